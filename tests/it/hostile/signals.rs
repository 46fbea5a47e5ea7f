//! Signals end every command that starts the demo's fakes the same way:
//! 128 + the signal's number, and the fakes' private folder removed.

use std::process::Stdio;
use std::time::{Duration, Instant};

use super::{golive, wait_within};

fn fakes_folders(tmp: &std::path::Path) -> usize {
    std::fs::read_dir(tmp)
        .map(|d| d.flatten().filter(|e| e.file_name().to_string_lossy().starts_with("golive-fakes-")).count())
        .unwrap_or(0)
}

/// `golive checklist` had no SIGTERM handler: a cancelled CI job killed it on
/// the spot and left the demo's folder (keys, secrets) behind.
#[cfg(unix)]
#[test]
fn sigterm_stops_checklist_with_143_and_removes_the_fakes_folder() {
    let tmp = tempfile::tempdir().expect("tmp");
    let child = golive(&["checklist", "--env", "demo", "--scenario", "partner-hangs"])
        .env("TMPDIR", tmp.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("golive starts");
    let started = Instant::now();
    while fakes_folders(tmp.path()) == 0 {
        assert!(started.elapsed() < Duration::from_secs(120), "the fakes never started");
        std::thread::sleep(Duration::from_millis(20));
    }
    // The probes now wait on the hanging partner.
    std::thread::sleep(Duration::from_millis(300));
    let sent = std::process::Command::new("kill").args(["-TERM", &child.id().to_string()]).status();
    assert!(sent.expect("kill runs").success());
    let ended = wait_within(child, Duration::from_secs(60)).expect("checklist ends");
    assert_eq!(ended.code, Some(143), "128 + SIGTERM: {}", ended.stderr);
    assert!(ended.stderr.contains("stopped by SIGTERM"), "{}", ended.stderr);
    assert_eq!(fakes_folders(tmp.path()), 0, "the demo's folder is removed");
}
