//! The GitHub Action and the GitLab template fetch the whole history before a
//! run with the exposure probe: their own shell, taken from action.yml and the
//! template, runs here in a real `--depth 1` clone with golive on PATH.

use std::path::Path;
use std::process::Command;

use crate::exposure::{commit, git, repo, write};

/// The lines of the YAML block scalar after `marker` (a `run: |` or `- |`),
/// without their indentation.
fn block_after(yaml: &str, anchor: &str, marker: &str) -> String {
    let from = yaml.find(anchor).unwrap_or_else(|| panic!("`{anchor}` is in the file"));
    let rest = &yaml[from..];
    let start = rest.find(marker).expect("the block starts") + marker.len();
    let mut lines = rest[start..].lines().skip(1);
    let first = lines.clone().find(|l| !l.trim().is_empty()).expect("a line");
    let indent = first.len() - first.trim_start().len();
    let mut out = String::new();
    for line in lines.by_ref() {
        if !line.trim().is_empty() && line.len() - line.trim_start().len() < indent {
            break;
        }
        out.push_str(line.get(indent..).unwrap_or(""));
        out.push('\n');
    }
    out
}

/// A `--depth 1` clone of a repository with three commits, with a golive.toml
/// whose environment runs the exposure probe.
fn shallow_workspace() -> (tempfile::TempDir, tempfile::TempDir) {
    let src = repo();
    for i in 0..2 {
        write(src.path(), &format!("f{i}.txt"), "x\n");
        commit(src.path(), "more");
    }
    let work = tempfile::tempdir().expect("dir");
    git(work.path(), &["clone", "-q", "--depth", "1", &format!("file://{}", src.path().display()), "."]);
    std::fs::write(
        work.path().join("golive.toml"),
        "[env.staging]\npack = \"paymentsai\"\nbase_url = \"https://api.example.test\"\nexposure = { repo = \".\" }\n",
    )
    .expect("config");
    (src, work)
}

fn is_shallow(dir: &Path) -> bool {
    git(dir, &["rev-parse", "--is-shallow-repository"]) == "true"
}

fn run_bash(dir: &Path, script: &str, envs: &[(&str, &str)]) {
    let bin = Path::new(env!("CARGO_BIN_EXE_golive")).parent().expect("bin folder").display().to_string();
    let path = format!("{bin}:{}", std::env::var("PATH").unwrap_or_default());
    let out = Command::new("bash")
        .args(["-c", script])
        .current_dir(dir)
        .env("PATH", path)
        .envs(envs.iter().copied())
        .output()
        .expect("bash runs");
    assert!(out.status.success(), "{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
}

/// CI checkouts are shallow by default, so the exposure probe's security check
/// passed by construction there; the Action now fetches the history first.
#[test]
fn the_action_fetches_the_whole_history_when_the_exposure_probe_runs() {
    let action = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("action.yml")).expect("action.yml");
    let script = block_after(&action, "- name: Fetch the whole history for the exposure scan", "run: |");
    let (_src, work) = shallow_workspace();
    assert!(is_shallow(work.path()));
    let ws = work.path().display().to_string();
    run_bash(
        work.path(),
        &script,
        &[("GOLIVE_ENV", "staging"), ("GOLIVE_CONFIG", "golive.toml"), ("FETCH", "auto"), ("GITHUB_WORKSPACE", &ws)],
    );
    assert!(!is_shallow(work.path()), "the history was fetched");

    // `fetch-history: false` leaves the clone as it is.
    let (_src, work) = shallow_workspace();
    let ws = work.path().display().to_string();
    run_bash(
        work.path(),
        &script,
        &[("GOLIVE_ENV", "staging"), ("GOLIVE_CONFIG", "golive.toml"), ("FETCH", "false"), ("GITHUB_WORKSPACE", &ws)],
    );
    assert!(is_shallow(work.path()));
}

#[test]
fn the_gitlab_template_fetches_the_whole_history_when_the_exposure_probe_runs() {
    let template =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("ci/gitlab/golive.gitlab-ci.yml"))
            .expect("template");
    let script = block_after(&template, "shallow clone lacks: fetch it", "");
    let script = format!("# shallow clone lacks: fetch it\n{script}");
    let (_src, work) = shallow_workspace();
    std::fs::create_dir_all(work.path().join(".golive/bin")).expect("mkdir");
    std::os::unix::fs::symlink(env!("CARGO_BIN_EXE_golive"), work.path().join(".golive/bin/golive")).expect("link");
    run_bash(
        work.path(),
        &script,
        &[("GOLIVE_ENV", "staging"), ("GOLIVE_CONFIG", "golive.toml"), ("GOLIVE_FETCH_HISTORY", "auto")],
    );
    assert!(!is_shallow(work.path()), "the history was fetched");
}
