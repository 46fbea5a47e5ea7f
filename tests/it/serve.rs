//! `golive fake serve`: prints its addresses and a golive.toml that works,
//! keeps serving until Ctrl-C, then stops cleanly.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use crate::support::{golive_in, stderr, stdout};

#[test]
fn fake_serve_prints_a_working_config_and_stops_on_ctrl_c() {
    // Reading its stdout or waiting for it would block forever if it hung.
    let _watchdog = crate::support::Watchdog::new("serve", Duration::from_secs(300));
    let mut child = Command::new(env!("CARGO_BIN_EXE_golive"))
        .args(["fake", "serve", "--variant", "default"])
        .env("NO_COLOR", "1")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map(KillOnDrop)
        .expect("golive starts");
    let mut reader = BufReader::new(child.0.stdout.take().expect("stdout"));
    let mut config = String::new();
    let mut in_config = false;
    let mut line = String::new();
    reader.read_line(&mut line).expect("stdout line");
    assert_eq!(line.trim_end(), "golive fakes running (scenario healthy, variant default):");
    line.clear();
    while reader.read_line(&mut line).expect("stdout line") > 0 {
        if line.starts_with("# golive.toml") {
            in_config = true;
        }
        if line.starts_with("Save the lines above") {
            break;
        }
        if in_config {
            config.push_str(&line);
        }
        line.clear();
    }
    assert!(config.contains("[env.fake-axys]") && config.contains("[env.fake-paymentsai]"), "{config}");
    assert!(config.starts_with("# golive.toml for the running fakes (scenario healthy, variant default)"), "{config}");
    let dir = tempfile::tempdir().expect("dir");
    std::fs::write(dir.path().join("golive.toml"), &config).expect("write config");
    for env in ["fake-axys", "fake-paymentsai"] {
        let out = golive_in(dir.path(), &["verify", "--env", env], &[]);
        assert_eq!(out.status.code(), Some(0), "{env}:\n{}{}\n{config}", stdout(&out), stderr(&out));
    }
    let killed = Command::new("kill").args(["-INT", &child.0.id().to_string()]).status().expect("kill runs");
    assert!(killed.success());
    let status = child.0.wait().expect("golive ends");
    assert_eq!(status.code(), Some(130), "Ctrl-C stops the fakes cleanly: 128 + SIGINT, as the exit codes say");
}

/// The `fake serve` child, killed if the test ends early (a failed assertion).
struct KillOnDrop(Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        if let Ok(None) = self.0.try_wait() {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
}
