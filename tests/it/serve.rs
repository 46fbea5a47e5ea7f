//! `golive fake serve`: prints its addresses and a golive.toml that works,
//! keeps serving until Ctrl-C, then stops cleanly.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

use crate::support::{golive_in, stderr, stdout};

#[test]
fn fake_serve_prints_a_working_config_and_stops_on_ctrl_c() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_golive"))
        .args(["fake", "serve"])
        .env("NO_COLOR", "1")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("golive starts");
    let mut reader = BufReader::new(child.stdout.take().expect("stdout"));
    let mut config = String::new();
    let mut in_config = false;
    let mut line = String::new();
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
    let dir = tempfile::tempdir().expect("dir");
    std::fs::write(dir.path().join("golive.toml"), &config).expect("write config");
    for env in ["fake-axys", "fake-paymentsai"] {
        let out = golive_in(dir.path(), &["verify", "--env", env], &[]);
        assert_eq!(out.status.code(), Some(0), "{env}:\n{}{}\n{config}", stdout(&out), stderr(&out));
    }
    let killed = Command::new("kill").args(["-INT", &child.id().to_string()]).status().expect("kill runs");
    assert!(killed.success());
    let status = child.wait().expect("golive ends");
    assert_eq!(status.code(), Some(0), "Ctrl-C stops the fakes cleanly");
}
