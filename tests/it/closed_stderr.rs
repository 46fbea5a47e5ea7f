//! A closed stderr (`golive … 2>&1 | head -1`, a CI runner that went away)
//! loses messages and log lines, nothing else: no panic, no abort (134), the
//! same exit code, and the demo's private folder is still removed.
//!
//! Each run gets a real pipe whose read end is closed before golive starts,
//! so every write to it fails with EPIPE: the harshest form of `| head`.

use std::path::Path;
use std::process::{Command, Stdio};

use crate::fail_closed::fakes_folders;
use crate::support::output_within_limit;

/// Where the output goes.
#[derive(Clone, Copy)]
enum Out {
    /// Captured.
    Piped,
    /// A pipe nobody reads.
    Closed,
}

fn stdio(out: Out) -> Stdio {
    match out {
        Out::Piped => Stdio::piped(),
        Out::Closed => {
            let (reader, writer) = std::io::pipe().expect("a pipe");
            drop(reader);
            Stdio::from(writer)
        }
    }
}

/// Runs golive with its temporary folder in `tmp` and stdout/stderr as given;
/// a run that outlives the suite's limit is killed and fails the test.
fn run(tmp: &Path, args: &[&str], stdout: Out, stderr: Out) -> std::process::ExitStatus {
    let mut child = Command::new(env!("CARGO_BIN_EXE_golive"))
        .args(args)
        .env("NO_COLOR", "1")
        .env("TMPDIR", tmp)
        .current_dir(tmp)
        .stdin(Stdio::null())
        .stdout(stdio(stdout))
        .stderr(stdio(stderr))
        .spawn()
        .expect("golive runs");
    // Drains what is captured, so a full pipe never blocks the run.
    let drain = |pipe: Option<Box<dyn std::io::Read + Send>>| {
        std::thread::spawn(move || {
            if let Some(mut p) = pipe {
                let _ = std::io::copy(&mut p, &mut std::io::sink());
            }
        })
    };
    let drains = [
        drain(child.stdout.take().map(|p| Box::new(p) as Box<dyn std::io::Read + Send>)),
        drain(child.stderr.take().map(|p| Box::new(p) as Box<dyn std::io::Read + Send>)),
    ];
    let limit = std::time::Instant::now() + crate::support::RUN_LIMIT;
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait") {
            break status;
        }
        if std::time::Instant::now() > limit {
            let _ = child.kill();
            panic!("golive {args:?} still ran after {:?}", crate::support::RUN_LIMIT);
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    };
    for d in drains {
        let _ = d.join();
    }
    status
}

#[test]
fn a_closed_stderr_keeps_a_configuration_error_at_exit_2_not_134() {
    let tmp = tempfile::tempdir().expect("tmp");
    for verbose in [&[][..], &["-v"][..], &["-vv"][..]] {
        let mut args = verbose.to_vec();
        args.extend(["verify", "--env", "staging", "--config", "missing.toml"]);
        let status = run(tmp.path(), &args, Out::Piped, Out::Closed);
        assert_eq!(status.code(), Some(2), "{args:?}: {status:?}");
    }
    // The usage error of clap itself, and a command that writes to stderr only.
    assert_eq!(run(tmp.path(), &["verify", "--no-such-flag"], Out::Piped, Out::Closed).code(), Some(2));
    let status = run(tmp.path(), &["evidence", "verify", "nowhere"], Out::Piped, Out::Closed);
    assert_eq!(status.code(), Some(2), "{status:?}");
}

#[test]
fn verify_demo_dash_v_into_a_closed_pipe_leaves_no_fakes_folder() {
    let tmp = tempfile::tempdir().expect("tmp");
    let args = ["-v", "verify", "--env", "demo", "--no-progress"];
    // `2>&1 | head`: both closed; `-v 2>/dev/closed`: stderr alone; `| head`: stdout alone.
    for (stdout, stderr, what) in [
        (Out::Closed, Out::Closed, "stdout and stderr"),
        (Out::Piped, Out::Closed, "stderr"),
        (Out::Closed, Out::Piped, "stdout"),
    ] {
        let status = run(tmp.path(), &args, stdout, stderr);
        // The demo passes; a lost report may make it 4, never a crash.
        assert!(matches!(status.code(), Some(0 | 4)), "closed {what}: {status:?}");
        assert_eq!(fakes_folders(tmp.path()), Vec::<String>::new(), "closed {what}: the demo's folder is removed");
    }
    // Captured, the same run leaves nothing behind either (the check above can fail).
    let out = output_within_limit(
        Command::new(env!("CARGO_BIN_EXE_golive")).args(args).env("TMPDIR", tmp.path()).current_dir(tmp.path()),
    );
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stderr).contains("DEBUG"), "-v logs to stderr");
    assert_eq!(fakes_folders(tmp.path()), Vec::<String>::new());
}
