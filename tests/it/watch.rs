//! Watch mode: rounds, per-probe statistics, spikes with the pack's runbook
//! meaning, reports of the whole watch, exit code of the whole watch, Ctrl-C.

use golive::config::SourceFile;
use golive::config::pack;

use crate::support::{golive, stderr, stdout};

/// The watch runs until it has seen six rounds (the fake answers 3 requests,
/// then 403s), then Ctrl-C ends it: counted in rounds, never in seconds.
#[cfg(unix)]
#[test]
fn a_403_that_starts_halfway_is_reported_as_a_spike_with_the_runbook_cause_and_exits_1() {
    use std::io::{BufRead, BufReader, Read};
    use std::process::{Command, Stdio};
    let _watchdog =
        crate::support::Watchdog::new("watch::a_403_that_starts_halfway", std::time::Duration::from_secs(300));
    let dir = tempfile::tempdir().expect("tempdir");
    let mut child = Command::new(env!("CARGO_BIN_EXE_golive"))
        .args([
            "verify",
            "--env",
            "demo",
            "--scenario",
            "starts-403-halfway",
            "--watch",
            "100ms",
            "--report",
            "json=watch.json",
            "--report",
            "junit=watch.xml",
            "--report",
            "markdown=watch.md",
        ])
        .current_dir(dir.path())
        .env("NO_COLOR", "1")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("golive starts");
    let mut reader = BufReader::new(child.stdout.take().expect("stdout"));
    let mut text = String::new();
    let mut line = String::new();
    while !line.contains("round 6 ") {
        line.clear();
        assert!(reader.read_line(&mut line).expect("stdout") > 0, "the watch ended early:\n{text}");
        text.push_str(&line);
    }
    let killed = Command::new("kill").args(["-INT", &child.id().to_string()]).status().expect("kill runs");
    assert!(killed.success());
    reader.read_to_string(&mut text).expect("the rest of stdout");
    let status = child.wait().expect("golive ends");
    let mut err = String::new();
    child.stderr.take().expect("stderr").read_to_string(&mut err).expect("stderr");
    let out = std::process::Output { status, stdout: text.into_bytes(), stderr: err.into_bytes() };
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(1), "{text}{}", stderr(&out));
    let round1 = text.lines().find(|l| l.contains("round 1 ")).unwrap_or_default();
    assert!(round1.contains(" pass") && !round1.contains("fail"), "one line per round, the first all green:\n{text}");
    assert!(text.contains("axys-auth fail (HTTP 403)"), "{text}");
    assert!(text.contains("403 spike: "), "{text}");
    assert!(text.contains("— axys: 403 spikes indicate IP/cert issues"), "the pack's runbook meaning:\n{text}");
    assert!(text.contains("first failure"), "{text}");
    assert!(text.contains("No Authorised IPs configured"), "the diagnosis of the first failure:\n{text}");

    let doc: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("watch.json")).expect("json report"))
            .expect("JSON");
    assert_eq!(doc["mode"], "watch");
    let rounds = doc["rounds"].as_array().expect("rounds").len();
    assert!(rounds >= 6, "the six rounds seen on stdout: {rounds}");
    let axys = doc["probes"].as_array().expect("probes").iter().find(|p| p["id"] == "axys-auth").expect("axys-auth");
    assert_eq!(axys["worst"], "fail");
    assert_eq!(axys["counts"]["pass"], 3, "the fake answers 3 requests before the 403s: {axys:#}");
    assert_eq!(axys["first_failure_round"], 4);
    assert_eq!(axys["flaps"], 1);
    let pai = doc["probes"].as_array().expect("probes").iter().find(|p| p["id"] == "pai-api-key").expect("pai");
    assert_eq!(pai["pass_rate"], 1.0);
    let spike = &doc["spikes"][0];
    assert_eq!(spike["status"], "403");
    assert_eq!(spike["rounds"].as_u64(), Some(rounds as u64 - 3), "{spike:#}");
    assert_eq!(spike["meanings"][0]["pack"], "axys");

    let xml = std::fs::read_to_string(dir.path().join("watch.xml")).expect("junit report");
    assert_eq!(
        xml.matches("<testcase").count(),
        doc["probes"].as_array().map_or(0, Vec::len),
        "one testcase per probe:\n{xml}"
    );
    assert!(xml.contains("<failure"), "the worst round decides:\n{xml}");
    let md = std::fs::read_to_string(dir.path().join("watch.md")).expect("markdown report");
    assert!(md.contains("403 spike") && md.contains("| `axys-auth` | fail | 3 of"), "{md}");
}

#[test]
fn a_healthy_watch_exits_0_and_json_stdout_is_one_document() {
    let out = golive(&["verify", "--env", "demo", "--watch", "100ms", "--for", "400ms", "--format", "json"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).expect("stdout is one JSON document");
    assert_eq!(doc["summary"]["fail"], 0);
    assert!(doc["spikes"].as_array().is_some_and(Vec::is_empty), "{doc:#}");
    assert!(!doc["interrupted"].as_bool().unwrap_or(true));
}

#[test]
fn for_needs_watch() {
    let out = golive(&["verify", "--env", "demo", "--for", "1s"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("--watch"), "{}", stderr(&out));
}

#[test]
fn a_pack_watch_status_must_be_a_status_or_class() {
    let text = "[pack]\nname = \"t\"\ntitle = \"T\"\nrunbook = \"t\"\n[[watch]]\nstatus = \"40x\"\nmeaning = \"m\"\n";
    let err = pack::parse(SourceFile { path: "t.toml".into(), text: text.into() }).expect_err("40x is rejected");
    let shown = err.render(false);
    assert!(shown.contains("`40x` is not an HTTP status or status class"), "{shown}");
    assert!(shown.contains("t.toml:6:"), "points at the line: {shown}");
    let ok = "[pack]\nname = \"t\"\ntitle = \"T\"\nrunbook = \"t\"\n[[watch]]\nstatus = \"5XX\"\nmeaning = \"m\"\n";
    let pack = pack::parse(SourceFile { path: "t.toml".into(), text: ok.into() }).expect("5XX is a class");
    assert!(pack.watch[0].matches(503) && !pack.watch[0].matches(403));
}

/// Ctrl-C (SIGINT) ends the watch with the summary, exit code of the rounds so far.
#[cfg(unix)]
#[test]
fn ctrl_c_ends_the_watch_with_the_summary() {
    use std::io::{BufRead, BufReader, Read};
    use std::process::{Command, Stdio};
    let mut child = Command::new(env!("CARGO_BIN_EXE_golive"))
        .args(["verify", "--env", "demo", "--watch", "100ms"])
        .env("NO_COLOR", "1")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("golive starts");
    let mut reader = BufReader::new(child.stdout.take().expect("stdout"));
    let mut first = String::new();
    reader.read_line(&mut first).expect("a round line");
    assert!(first.contains("round 1"), "{first}");
    let killed = Command::new("kill").args(["-INT", &child.id().to_string()]).status().expect("kill runs");
    assert!(killed.success());
    let mut rest = String::new();
    reader.read_to_string(&mut rest).expect("the rest of stdout");
    let status = child.wait().expect("golive ends");
    assert_eq!(status.code(), Some(0), "{first}{rest}");
    assert!(rest.contains("stopped by Ctrl-C"), "{rest}");
    assert!(rest.contains("0 fail, 0 error"), "{rest}");
    assert!(rest.contains("pai-key-exchange"), "the mutating probe is listed, not run: {rest}");
}
