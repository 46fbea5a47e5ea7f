//! The binary end to end: the demo, exit codes, formats, report files, help.

use crate::support::{golive, golive_in, stderr, stdout};

#[test]
fn demo_passes_with_exit_0_and_valid_json() {
    let out = golive(&["verify", "--env", "demo", "--format", "json"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).expect("stdout is JSON");
    assert_eq!(doc["schema"], 1);
    let probes = doc["probes"].as_array().expect("probes");
    assert!(!probes.is_empty());
    for p in probes {
        assert_eq!(p["status"], "pass", "{p:#}");
        for c in p["checks"].as_array().expect("checks") {
            assert!(matches!(c["status"].as_str(), Some("pass" | "skip")), "{}: {c:#}", p["id"]);
        }
    }
    assert!(doc["packs"].as_array().is_some_and(|p| p.len() == 2), "both packs run: {doc:#}");
    // The flows clean up after themselves through the documented routes: the
    // test subscription is canceled (the fake once had no such route: 404).
    let subscription = probes.iter().find(|p| p["id"] == "pai-first-subscription").expect("the subscription flow");
    let cancel = subscription["checks"]
        .as_array()
        .expect("checks")
        .iter()
        .find(|c| c["name"] == "7. cancel the test subscription (mutating) › status")
        .unwrap_or_else(|| panic!("the cancellation ran: {subscription:#}"));
    assert_eq!(cancel["status"], "pass", "{cancel:#}");
}

#[test]
fn list_shows_every_demo_probe_with_its_runbook_reference() {
    let verify = golive(&["verify", "--env", "demo", "--format", "json"]);
    let doc: serde_json::Value = serde_json::from_slice(&verify.stdout).expect("JSON");
    let out = golive(&["list", "--env", "demo"]);
    assert_eq!(out.status.code(), Some(0));
    let text = stdout(&out);
    assert!(text.starts_with("ID"), "{text}");
    for p in doc["probes"].as_array().expect("probes") {
        let id = p["id"].as_str().expect("id");
        let line = text.lines().find(|l| l.starts_with(id)).unwrap_or_else(|| panic!("{id} listed:\n{text}"));
        let section = p["runbook"][0]["section"].as_str().expect("runbook section");
        assert!(line.contains(section), "{line}");
    }
}

#[test]
fn a_failing_scenario_exits_1_with_the_runbook_diagnosis() {
    let out = golive(&["verify", "--env", "demo", "--scenario", "ip-not-allowlisted"]);
    assert_eq!(out.status.code(), Some(1));
    let text = stdout(&out);
    assert!(text.contains("FAIL  axys-auth"), "{text}");
    assert!(
        text.contains("the calling IP is not allowlisted for this Tenant/Program, or the FCrDNS check failed"),
        "{text}"
    );
}

#[test]
fn errors_without_failures_exit_3() {
    let out = golive(&["verify", "--env", "demo", "--scenario", "partner-hangs", "--timeout", "300ms"]);
    assert_eq!(out.status.code(), Some(3), "{}", stdout(&out));
    assert!(stdout(&out).contains("no answer before the deadline"), "{}", stdout(&out));
}

#[test]
fn fail_on_warn_turns_a_warning_into_exit_1() {
    let warned = golive(&["verify", "--env", "demo", "--scenario", "cert-expiring-soon"]);
    assert_eq!(warned.status.code(), Some(0), "a warning alone passes: {}", stdout(&warned));
    assert!(stdout(&warned).contains("WARN"), "{}", stdout(&warned));
    let gated = golive(&["verify", "--env", "demo", "--scenario", "cert-expiring-soon", "--fail-on", "warn"]);
    assert_eq!(gated.status.code(), Some(1), "{}", stdout(&gated));
}

#[test]
fn usage_errors_exit_2() {
    assert_eq!(golive(&["verify"]).status.code(), Some(2));
    assert_eq!(golive(&["verify", "--env", "demo", "--jobs", "0"]).status.code(), Some(2));
    assert_eq!(golive(&["verify", "--env", "demo", "--timeout", "soon"]).status.code(), Some(2));
    assert_eq!(golive(&["verify", "--env", "demo", "--report", "junit"]).status.code(), Some(2));
    let only = golive(&["verify", "--env", "demo", "--only", "axys-auht"]);
    assert_eq!(only.status.code(), Some(2));
    assert!(stderr(&only).contains("did you mean `axys-auth`?"), "{}", stderr(&only));
    let scenario = golive(&["verify", "--env", "staging", "--scenario", "partner-down"]);
    assert_eq!(scenario.status.code(), Some(2));
    assert!(stderr(&scenario).contains("--scenario only applies to --env demo"));
}

#[test]
fn report_files_are_written_from_the_same_run() {
    let dir = tempfile::tempdir().expect("tempdir");
    let junit = dir.path().join("golive.xml");
    let md = dir.path().join("summary.md");
    let json = dir.path().join("run.json");
    let args = [
        "verify".to_string(),
        "--env".into(),
        "demo".into(),
        "--scenario".into(),
        "ip-not-allowlisted".into(),
        "--report".into(),
        format!("junit={}", junit.display()),
        "--report".into(),
        format!("markdown={}", md.display()),
        "--report".into(),
        format!("json={}", json.display()),
    ];
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let out = golive(&args);
    assert_eq!(out.status.code(), Some(1));
    let xml = std::fs::read_to_string(&junit).expect("junit written");
    assert!(xml.contains("<failure"), "{xml}");
    assert!(std::fs::read_to_string(&md).expect("markdown written").contains("❌"));
    let doc: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&json).expect("json")).expect("JSON");
    assert_eq!(doc["summary"]["fail"], 1);
}

#[test]
fn every_command_has_help_and_completions_work() {
    for cmd in [&["--help"][..], &["verify", "--help"], &["list", "--help"], &["fake", "serve", "--help"]] {
        let out = golive(cmd);
        assert_eq!(out.status.code(), Some(0), "{cmd:?}");
        assert!(stdout(&out).contains("Usage:"), "{cmd:?}");
    }
    let out = golive(&["completions", "bash"]);
    assert_eq!(out.status.code(), Some(0));
    assert!(stdout(&out).contains("golive"));
}

#[test]
fn no_colour_when_not_a_terminal_even_without_no_color() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_golive"));
    let out = crate::support::output_within_limit(
        cmd.args(["verify", "--env", "demo"]).current_dir(dir).env_remove("NO_COLOR"),
    );
    assert!(!String::from_utf8_lossy(&out.stdout).contains('\u{1b}'));
    let _ = golive_in(dir, &["--version"], &[]);
}

#[test]
fn a_tag_no_probe_has_is_a_usage_error_with_a_suggestion_not_an_empty_pass() {
    let out = golive(&["verify", "--env", "demo", "--tag", "Launch-Day"]);
    assert_eq!(out.status.code(), Some(2), "{}", stdout(&out));
    let err = stderr(&out);
    assert!(err.contains("no probe has the tag `Launch-Day`") && err.contains("did you mean `launch-day`?"), "{err}");
}

#[test]
fn a_selection_that_leaves_nothing_is_a_usage_error() {
    // axys-tls has no `network` tag: together the filters select nothing.
    let out = golive(&["verify", "--env", "demo", "--only", "axys-tls", "--tag", "network"]);
    assert_eq!(out.status.code(), Some(2), "{}", stdout(&out));
    assert!(stderr(&out).contains("nothing to run"), "{}", stderr(&out));
}

#[test]
fn a_report_that_cannot_be_written_keeps_the_verdict_and_names_the_path() {
    let dir = tempfile::tempdir().unwrap();
    let blocker = dir.path().join("not-a-folder");
    std::fs::write(&blocker, "a file where a folder should be").unwrap();
    let report = format!("junit={}", blocker.join("golive.xml").display());
    // A passing run whose report is lost exits 4, never 0 (and never 2: the probes ran).
    let out = golive(&["verify", "--env", "demo", "--only", "axys-cert", "--report", &report]);
    assert_eq!(out.status.code(), Some(4), "{}", stderr(&out));
    assert!(stderr(&out).contains(&blocker.join("golive.xml").display().to_string()), "{}", stderr(&out));
    assert!(stdout(&out).contains("axys-cert"), "the report still reaches stdout");
    // A failing run keeps its 1.
    let out =
        golive(&["verify", "--env", "demo", "--scenario", "wrong-key", "--only", "axys-cert", "--report", &report]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
}

/// `verify --help` fits a screen (under 60 lines) and lists the scenarios
/// nowhere: `golive fake scenarios` does, once, each with what it breaks.
#[test]
fn verify_help_is_short_and_the_scenarios_are_listed_by_their_own_command() {
    let out = golive(&["verify", "--help"]);
    let help = stdout(&out);
    assert!(help.lines().count() < 60, "{} lines:\n{help}", help.lines().count());
    let flat = help.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(!help.contains("ip-not-allowlisted") && flat.contains("`golive fake scenarios`"), "{help}");
    for cmd in [&["list", "--help"][..], &["fake", "serve", "--help"], &["--help"]] {
        assert!(!stdout(&golive(cmd)).contains("ip-not-allowlisted"), "{cmd:?} lists no scenario");
    }
    let out = golive(&["fake", "scenarios"]);
    assert_eq!(out.status.code(), Some(0));
    let text = stdout(&out);
    for s in <golive_fakes::Scenario as clap::ValueEnum>::value_variants() {
        let line = text.lines().find(|l| l.split_whitespace().next() == Some(s.name().as_str())).expect("listed");
        assert!(line.len() > s.name().len() + 5, "{line}: with its description");
    }
}

/// `--color always` colours even into a pipe and with NO_COLOR set (the flag
/// is explicit); `never` and `auto` (not a terminal here) do not.
#[test]
fn color_flag_always_never_auto() {
    let args =
        |when: &'static str| ["--color", when, "verify", "--env", "demo", "--only", "axys-cert", "--no-progress"];
    let out = golive(&args("always"));
    assert!(stdout(&out).contains('\u{1b}'), "always: {}", stdout(&out));
    for when in ["never", "auto"] {
        let out = golive(&args(when));
        assert!(!stdout(&out).contains('\u{1b}'), "{when}: {}", stdout(&out));
    }
    let bad = golive(&["--color", "sometimes", "list", "--env", "demo"]);
    assert_eq!(bad.status.code(), Some(2));
}

/// `list` shows the URL each probe will call, and `--format json` gives the same plan as data.
#[test]
fn list_shows_each_probes_url_and_has_a_json_format() {
    let out = golive(&["list", "--env", "demo"]);
    let text = stdout(&out);
    assert!(text.lines().next().is_some_and(|h| h.contains("URL")), "{text}");
    let auth = text.lines().find(|l| l.starts_with("axys-auth")).expect("axys-auth listed");
    assert!(auth.contains("/v2/cardholders"), "{auth}");
    let out = golive(&["list", "--env", "demo", "--format", "json"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    let probes = doc["probes"].as_array().expect("probes");
    let auth = probes.iter().find(|p| p["id"] == "axys-auth").expect("axys-auth");
    assert!(auth["urls"][0].as_str().is_some_and(|u| u.ends_with("/v2/cardholders")), "{auth:#}");
    assert_eq!(auth["kind"], "mtls");
    let cert = probes.iter().find(|p| p["id"] == "axys-cert").expect("axys-cert");
    assert_eq!(cert["urls"], serde_json::json!([]), "a cert probe calls no URL");
}

/// Messages name the format as it is written: "JUnit", never "junit" or "Junit".
#[test]
fn a_lost_junit_report_is_named_junit() {
    assert_eq!(golive::report::Format::Junit.label(), "JUnit");
    let out = golive(&[
        "verify",
        "--env",
        "demo",
        "--only",
        "axys-cert",
        "--watch",
        "100ms",
        "--for",
        "300ms",
        "--no-progress",
        "--report",
        "junit=/nonexistent-golive-dir/report.xml",
    ]);
    let err = stderr(&out);
    assert!(err.contains("the JUnit watch report could not be written"), "{err}");
}

#[test]
fn list_needs_no_secret_values() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("golive.toml"),
        "[env.staging]\npack = \"paymentsai\"\nbase_url = \"https://staging-api.payments.ai\"\n\
         api_key = { env = \"GOLIVE_TEST_UNSET_KEY\" }\naccount_id = \"acc_1\"\norganization_id = \"org_1\"\n\
         website_url = \"https://shop.example.test\"\n\
         webhook = { url = \"https://shop.example.test/hooks\", secret = { env = \"GOLIVE_TEST_UNSET_SECRET\" }, destination_id = \"d1\" }\n",
    )
    .unwrap();
    let out = golive_in(dir.path(), &["list", "--env", "staging"], &[]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(stdout(&out).contains("pai-api-key"), "{}", stdout(&out));
    // verify does need them, and says which.
    let out = golive_in(dir.path(), &["verify", "--env", "staging"], &[]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("GOLIVE_TEST_UNSET_"), "{}", stderr(&out));
}

/// The binary allocates with jemalloc and the options `src/main.rs` gives it
/// (BENCHMARKS.md, "Start-up and fan-out"); on Linux it is unprefixed, so
/// `MALLOC_CONF` reaches it, and the C code inside allocates from it too.
#[cfg(target_os = "linux")]
#[test]
fn the_binary_allocates_with_jemalloc_and_its_options() {
    let out = golive_in(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")),
        &["--version"],
        &[("MALLOC_CONF", "stats_print:true")],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let stats = stderr(&out);
    assert!(stats.contains("jemalloc statistics"), "{stats}");
    assert!(stats.contains("opt.narenas: 2") && stats.contains("opt.tcache_max: 4096"), "{stats}");
}
