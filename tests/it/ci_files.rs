//! The CI integration works as written: the GitHub Action takes golive's
//! version as an input whose default is this release (never
//! `github.action_ref`, which GitHub does not promise inside a composite
//! action), names its artifact uniquely per matrix job, keeps golive's state
//! with actions/cache and annotates each failed probe (`--format github`); the
//! GitLab template installs the release binary, checked against SHA256SUMS,
//! and keeps the state too. The shell the files hold is run here, with bash.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::support::{golive, output_within_limit, stderr, stdout};

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn read(path: &str) -> String {
    std::fs::read_to_string(root().join(path)).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// The block scalar (`run: |` or `- |`) that follows the first line
/// containing `marker`, dedented: the shell a step or job runs.
fn script_after(text: &str, marker: &str) -> String {
    let mut lines = text.lines().skip_while(|l| !l.contains(marker));
    let opener = lines.find(|l| l.trim_end().ends_with('|')).unwrap_or_else(|| panic!("a block after {marker}"));
    let indent = opener.len() - opener.trim_start().len();
    let body: Vec<&str> =
        lines.take_while(|l| l.trim().is_empty() || l.len() - l.trim_start().len() > indent).collect();
    let inner = body.iter().filter(|l| !l.trim().is_empty()).map(|l| l.len() - l.trim_start().len()).min().unwrap_or(0);
    body.iter().map(|l| if l.len() >= inner { &l[inner..] } else { "" }).collect::<Vec<_>>().join("\n")
}

/// Runs `script` with bash in `dir` with `envs`; returns the output.
fn bash(dir: &Path, script: &str, envs: &[(&str, String)]) -> std::process::Output {
    let mut cmd = Command::new("bash");
    cmd.args(["-e", "-c", script]).current_dir(dir);
    for (k, v) in envs {
        cmd.env(k, v);
    }
    output_within_limit(&mut cmd)
}

/// The `key=value` lines a step wrote to `$GITHUB_OUTPUT`.
fn outputs(path: &Path) -> std::collections::BTreeMap<String, String> {
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .filter_map(|l| l.split_once('=').map(|(k, v)| (k.to_string(), v.to_string())))
        .collect()
}

#[test]
fn the_action_takes_the_version_as_an_input_whose_default_is_this_release() {
    let action = read("action.yml");
    for unpromised in ["github.action_ref", "github.action_repository"] {
        assert!(!action.contains(unpromised), "action.yml reads {unpromised}, which a composite action may not have");
    }
    let version = action.split("\n  version:").nth(1).expect("a version input");
    let default = version.lines().find_map(|l| l.trim().strip_prefix("default: ")).expect("a default");
    assert_eq!(default, format!("v{}", env!("CARGO_PKG_VERSION")), "the action installs the release it belongs to");
    // The README and the GitLab template name the same default.
    assert!(read("README.md").contains(&format!("version: v{}", env!("CARGO_PKG_VERSION"))));
    let gitlab = read("ci/gitlab/golive.gitlab-ci.yml");
    assert!(gitlab.contains(&format!("\n    GOLIVE_VERSION: v{}\n", env!("CARGO_PKG_VERSION"))), "{gitlab}");
}

#[test]
fn the_action_names_each_matrix_jobs_artifact_apart_and_keeps_the_state_of_the_environment() {
    let action = read("action.yml");
    let script = script_after(&action, "name: Where golive comes from");
    let dir = tempfile::tempdir().expect("tempdir");
    let job = |egress: &str, runner: &str| {
        let out = dir.path().join(format!("out-{egress}-{runner}"));
        let envs = [
            ("VERSION", "v0.1.0".to_string()),
            ("REPOSITORY", String::new()),
            ("GOLIVE_ENV", "production".to_string()),
            ("CONFIG", "golive.toml".to_string()),
            ("STATE_DIR", String::new()),
            ("ARTIFACT", String::new()),
            ("UNIQUE", format!("production golive.toml launch-day --egress {egress} golive.xml")),
            ("GITHUB_ACTION_PATH", "/home/runner/work/_actions/acme/golive/v0.1.0".to_string()),
            ("GITHUB_REPOSITORY", "shop/app".to_string()),
            ("RUNNER_OS", "Linux".to_string()),
            ("RUNNER_ARCH", "X64".to_string()),
            ("RUNNER_TEMP", dir.path().display().to_string()),
            ("RUNNER_TOOL_CACHE", dir.path().display().to_string()),
            ("RUNNER_NAME", runner.to_string()),
            ("GITHUB_JOB", "gate".to_string()),
            ("GITHUB_RUN_ID", "42".to_string()),
            ("GITHUB_RUN_ATTEMPT", "1".to_string()),
            ("GITHUB_OUTPUT", out.display().to_string()),
        ];
        let run = bash(dir.path(), &script, &envs);
        assert!(run.status.success(), "{}{}", stdout(&run), stderr(&run));
        outputs(&out)
    };
    let a = job("nat-a", "GitHub Actions 3");
    let b = job("nat-b", "GitHub Actions 7");
    assert_eq!(a["repo"], "acme/golive", "the repository the action was loaded from, read from its path");
    assert_eq!(a["target"], "x86_64-unknown-linux-gnu");
    assert_ne!(a["artifact"], b["artifact"], "two matrix jobs upload two artifacts");
    assert!(a["artifact"].starts_with("golive-junit-production-gate-"), "{a:?}");
    assert_eq!(a["state-prefix"], b["state-prefix"], "the environment's state is restored whichever job saved it");
    assert_ne!(a["state-key"], b["state-key"], "each job saves under its own key");
    assert!(Path::new(&a["state"]).is_dir(), "the state folder exists before the cache step");

    for step in
        ["actions/cache/restore@v4", "actions/cache/save@v4", "GOLIVE_STATE_DIR: ${{ steps.where.outputs.state }}"]
    {
        assert!(action.contains(step), "action.yml keeps the state: {step}");
    }
    assert!(action.contains("name: ${{ steps.where.outputs.artifact }}"), "the upload uses the unique name");
    assert!(action.contains("--report \"github=$annotations\""), "annotations per probe");
}

#[test]
fn verify_format_github_annotates_each_probe_that_did_not_pass() {
    let out = golive(&["verify", "--env", "demo", "--scenario", "ip-not-allowlisted", "--format", "github"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let text = stdout(&out);
    // Placed on the pack's line (`file=probes/axys.toml,line=N,`) when the pack
    // file is in the folder golive runs from, as here in golive's repository.
    let errors: Vec<&str> =
        text.lines().filter(|l| l.starts_with("::error ") && l.contains("title=golive%3A ")).collect();
    assert!(!errors.is_empty(), "{text}");
    assert!(errors.iter().any(|l| l.contains(" failed::") && l.contains("%0Acause: ")), "{text}");
    assert!(text.lines().all(|l| l.starts_with("::")), "every line is a workflow command: {text}");
    let notice = text.lines().last().expect("a last line");
    assert!(notice.starts_with("::notice title=golive::environment demo: ") && notice.contains(" failed"), "{notice}");
}

/// A release as golive's workflow publishes it, in `dir/<version>/`: the
/// archive of this build's binary and SHA256SUMS.
fn release(dir: &Path, version: &str) -> PathBuf {
    let target = match std::env::consts::ARCH {
        "aarch64" => "aarch64-unknown-linux-gnu",
        _ => "x86_64-unknown-linux-gnu",
    };
    let at = dir.join(version);
    std::fs::create_dir_all(&at).expect("mkdir");
    let staging = dir.join("staging");
    std::fs::create_dir_all(&staging).expect("mkdir");
    std::fs::copy(env!("CARGO_BIN_EXE_golive"), staging.join("golive")).expect("copy the binary");
    let asset = format!("golive-{version}-{target}.tar.gz");
    let tar = Command::new("tar").arg("-czf").arg(at.join(&asset)).arg("-C").arg(&staging).arg("golive").status();
    assert!(tar.is_ok_and(|s| s.success()), "tar");
    let sums = Command::new("sha256sum").arg(&asset).current_dir(&at).output().expect("sha256sum");
    std::fs::write(at.join("SHA256SUMS"), &sums.stdout).expect("write SHA256SUMS");
    at.join(asset)
}

#[test]
fn the_gitlab_template_installs_the_release_binary_checked_against_its_sums_and_keeps_the_state() {
    if !cfg!(target_os = "linux") {
        return;
    }
    let template = read("ci/gitlab/golive.gitlab-ci.yml");
    let gitlab_job = template.split(".golive-from-source:").next().expect("the .golive job");
    assert!(!gitlab_job.contains("image: rust:"), "the template does not compile golive");
    assert!(gitlab_job.contains("GOLIVE_STATE_DIR: $CI_PROJECT_DIR/.golive-state"), "{gitlab_job}");
    assert!(gitlab_job.contains("- .golive-state/"), "the state folder is cached");
    let install = script_after(gitlab_job, "before_script:");
    let dir = tempfile::tempdir().expect("tempdir");
    let releases = dir.path().join("releases");
    let archive = release(&releases, "v9.9.9");
    let project = dir.path().join("project");
    std::fs::create_dir_all(&project).expect("mkdir");
    let envs =
        [("GOLIVE_RELEASES", format!("file://{}", releases.display())), ("GOLIVE_VERSION", "v9.9.9".to_string())];
    let run = bash(&project, &install, &envs);
    assert!(run.status.success(), "{}{}", stdout(&run), stderr(&run));
    assert!(stdout(&run).contains(&format!("golive {}", env!("CARGO_PKG_VERSION"))), "{}", stdout(&run));
    assert!(project.join(".golive/bin/golive").is_file());

    // An archive that is not the one SHA256SUMS names is refused.
    std::fs::remove_dir_all(project.join(".golive")).expect("clear the cache");
    std::fs::write(&archive, b"not the release").expect("tamper");
    let run = bash(&project, &install, &envs);
    assert!(!run.status.success(), "a tampered archive must not install: {}", stdout(&run));
    assert!(!project.join(".golive/bin/golive").exists());

    // Without the release URL, the job says what to set.
    let run = bash(&project, &install, &[("GOLIVE_RELEASES", String::new()), ("GOLIVE_VERSION", "v9.9.9".into())]);
    assert_eq!(run.status.code(), Some(2));
    assert!(stdout(&run).contains("set GOLIVE_RELEASES"), "{}", stdout(&run));
}
