//! One lost output, one exit code: `verify`, `verify --watch`, `observe` and
//! `report merge` write their outputs through one reporter, so the same loss
//! (stdout into a full disk, stdout's reader gone, a `--report` file into a
//! missing folder) gives every command the same exit code, and stderr names
//! the output that was lost. Real processes, the demo's fakes on loopback.

use std::io::Read;
use std::path::Path;
use std::process::Stdio;
use std::time::Duration;

use crate::hostile::{Ended, golive, wait_within};

/// How stdout is broken, or a `--report` file lost instead.
#[derive(Debug, Clone, Copy)]
enum Loss {
    /// stdout is `/dev/full`: every write fails with ENOSPC.
    FullDisk,
    /// stdout is a pipe whose reader closed at once: EPIPE.
    ClosedPipe,
    /// stdout is discarded; `--report junit=` points into a missing folder.
    MissingFolder,
}

/// One command that writes a report, all of whose probes pass on the demo.
struct Case {
    name: &'static str,
    args: &'static [&'static str],
    /// What stderr calls its stdout (`the report`, `the watch summary`).
    stdout: &'static str,
    /// What stderr calls its `--report` file after the format.
    file: &'static str,
}

const CASES: [Case; 4] = [
    Case { name: "verify", args: &["verify", "--env", "demo", "--no-progress"], stdout: "the report", file: "report" },
    Case {
        name: "verify --watch",
        args: &["verify", "--env", "demo", "--no-progress", "--watch", "1s", "--for", "2s"],
        stdout: "the watch summary",
        file: "watch report",
    },
    Case {
        name: "observe",
        args: &["observe", "--env", "demo", "--faults", "none", "--", "true"],
        stdout: "the report",
        file: "report",
    },
    Case {
        name: "report merge",
        args: &["report", "merge", "nat-a.json"],
        stdout: "the merged report",
        file: "merged report",
    },
];

/// Runs `args` in `dir` (also its TMPDIR) with stdout broken as `loss` says.
fn run(dir: &Path, args: &[&str], loss: Loss) -> Ended {
    let mut all: Vec<String> = args.iter().map(|a| a.to_string()).collect();
    let missing = dir.join("no-such-folder").join("golive.xml");
    if let Loss::MissingFolder = loss {
        // Before `--` (observe's command), so golive reads it as its own flag.
        let at = all.iter().position(|a| a == "--").unwrap_or(all.len());
        all.insert(at, format!("junit={}", missing.display()));
        all.insert(at, "--report".into());
    }
    let stdout = match loss {
        Loss::FullDisk => Stdio::from(std::fs::OpenOptions::new().write(true).open("/dev/full").expect("/dev/full")),
        Loss::ClosedPipe => Stdio::piped(),
        Loss::MissingFolder => Stdio::null(),
    };
    let mut child = golive(&all.iter().map(String::as_str).collect::<Vec<_>>())
        .current_dir(dir)
        .env("TMPDIR", dir)
        .stdout(stdout)
        .stderr(Stdio::piped())
        .spawn()
        .expect("golive starts");
    // The reader leaves before golive wrote anything.
    drop(child.stdout.take());
    wait_within(child, Duration::from_secs(120)).expect("golive ends")
}

/// A folder holding a passing JSON report of the demo, for `report merge`.
fn folder() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut child = golive(&["verify", "--env", "demo", "--format", "json", "--egress", "nat-a"])
        .current_dir(dir.path())
        .env("TMPDIR", dir.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("golive starts");
    let mut json = Vec::new();
    child.stdout.take().expect("piped").read_to_end(&mut json).expect("read the report");
    assert_eq!(child.wait().expect("golive ends").code(), Some(0), "the demo passes");
    std::fs::write(dir.path().join("nat-a.json"), json).expect("write nat-a.json");
    dir
}

/// Every case under one loss: each exit code, and what is wrong with its
/// stderr, if anything. One after the other: each runs the demo's fakes and
/// probes, and a dozen demos at once on a 2-core runner can push a probe past
/// its deadline, which is another verdict than the one this test is about.
fn codes_under(loss: Loss) -> Vec<(&'static str, Option<i32>, Option<String>)> {
    let dir = folder();
    CASES
        .iter()
        .map(|case| {
            let ended = run(dir.path(), case.args, loss);
            let err = ended.stderr;
            let said = match loss {
                Loss::FullDisk => format!("cannot write {} to stdout: No space left on device", case.stdout),
                Loss::ClosedPipe => format!("stdout was closed before {} was written in full", case.stdout),
                Loss::MissingFolder => format!("the JUnit {} could not be written to", case.file),
            };
            let wrong = if err.contains("panicked") || err.contains("internal error") {
                Some(format!("{} panicked: {err}", case.name))
            } else if !err.contains(&said) {
                Some(format!("{}: stderr does not say `{said}`: {err}", case.name))
            } else {
                None
            };
            (case.name, ended.code, wrong)
        })
        .collect()
}

/// Asserts every case exits 4 (all passed, an output is lost) under `loss`,
/// naming the lost output on stderr without a panic.
fn same_code_everywhere(loss: Loss) {
    let codes = codes_under(loss);
    for (name, code, wrong) in &codes {
        assert_eq!(wrong, &None, "{loss:?}");
        assert_eq!(*code, Some(i32::from(golive::exit::OUTPUT)), "{name} under {loss:?}: {codes:?}");
    }
}

/// `golive verify --env demo > /dev/full` and the same with `--watch 1s --for
/// 2s` must exit the same code: once exit 4 and exit 0, since each command
/// wrote its outputs its own way.
#[test]
fn stdout_into_a_full_disk_exits_the_same_in_verify_watch_observe_and_merge() {
    same_code_everywhere(Loss::FullDisk);
}

/// A reader that closed the pipe (`| head -0`) loses the report alike everywhere.
#[test]
fn stdout_closed_by_its_reader_exits_the_same_in_verify_watch_observe_and_merge() {
    same_code_everywhere(Loss::ClosedPipe);
}

/// A `--report` file into a missing folder is lost alike everywhere, and named.
#[test]
fn a_report_file_into_a_missing_folder_exits_the_same_in_verify_watch_observe_and_merge() {
    same_code_everywhere(Loss::MissingFolder);
}

/// A watch without `--for` whose stdout is a full disk ran on for ever,
/// every round line failing unseen: it ends at its first round, as when its
/// reader leaves, and names the lost summary (exit 4).
#[test]
fn a_watch_without_an_end_stops_when_stdout_is_a_full_disk() {
    let dir = tempfile::tempdir().expect("tempdir");
    let full = std::fs::OpenOptions::new().write(true).open("/dev/full").expect("/dev/full");
    let child = golive(&["verify", "--env", "demo", "--no-progress", "--watch", "1s"])
        .current_dir(dir.path())
        .env("TMPDIR", dir.path())
        .stdout(Stdio::from(full))
        .stderr(Stdio::piped())
        .spawn()
        .expect("golive starts");
    let ended = wait_within(child, Duration::from_secs(120)).expect("the watch ends by itself");
    assert_eq!(ended.code, Some(i32::from(golive::exit::OUTPUT)), "{}", ended.stderr);
    assert!(ended.stderr.contains("cannot write the watch summary to stdout"), "{}", ended.stderr);
}
