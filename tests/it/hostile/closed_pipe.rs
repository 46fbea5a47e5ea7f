//! A reader that goes away: every command that writes to stdout, run with
//! stdout a real pipe whose reading end is closed (at once, or after a few
//! bytes as `| head -c 10` does). A document ends quietly with exit 0; a run's
//! report is lost output (exit 4 when all passed), said in one line; nothing
//! panics, nothing hangs, and the fakes' folder never stays behind.

use std::io::Read;
use std::process::Stdio;
use std::time::Duration;

use super::{Tally, golive, wait_within};

/// One command and what a closed stdout must give.
#[derive(Clone)]
pub struct Case {
    /// golive's arguments.
    pub args: &'static [&'static str],
    /// The exit code expected.
    pub code: i32,
    /// Whether stderr names the lost output (a report) or stays empty (a document).
    pub says_lost: bool,
}

const fn doc(args: &'static [&'static str]) -> Case {
    Case { args, code: 0, says_lost: false }
}

const fn report(args: &'static [&'static str]) -> Case {
    Case { args, code: 4, says_lost: true }
}

/// Every stdout path: documents, reports, a watch, the fakes' configuration.
pub fn cases() -> Vec<Case> {
    vec![
        doc(&["completions", "zsh"]),
        doc(&["completions", "bash"]),
        doc(&["completions", "fish"]),
        doc(&["man"]),
        doc(&["schema", "config"]),
        doc(&["schema", "pack"]),
        doc(&["list", "--env", "demo"]),
        doc(&["list", "--env", "demo", "--format", "json"]),
        doc(&["fake", "scenarios"]),
        doc(&["fake", "variants"]),
        doc(&["dashboard"]),
        doc(&["contract", "report"]),
        doc(&["alerts", "--env", "demo"]),
        doc(&["checklist", "--env", "demo"]),
        doc(&["fake", "serve"]),
        // A version 1 certificate fails the inspection: the verdict (1) stands.
        Case { args: &["cert", "inspect", "fixtures/pem/v1.crt"], code: 1, says_lost: true },
        report(&["verify", "--env", "demo", "--no-progress"]),
        report(&["verify", "--env", "demo", "--format", "json"]),
        report(&["verify", "--env", "demo", "--format", "junit"]),
        report(&["verify", "--env", "demo", "--format", "markdown"]),
        report(&["verify", "--env", "demo", "--format", "html"]),
        // A report file that is the closed pipe itself.
        Case {
            args: &["verify", "--env", "demo", "--format", "json", "--report", "markdown=/dev/stdout"],
            code: 4,
            says_lost: true,
        },
        // The watch ends when its reader leaves, instead of running on unread.
        report(&["verify", "--env", "demo", "--only", "axys-tls", "--watch", "100ms", "--no-progress"]),
    ]
}

/// The command line of a case, for messages.
pub fn name(case: &Case) -> String {
    format!("golive {}", case.args.join(" "))
}

/// Runs the case with stdout's reader closed after `read` bytes (0: at once).
pub fn check_after(case: &Case, read: usize) -> Result<(), String> {
    let tmp = tempfile::tempdir().map_err(|e| e.to_string())?;
    let mut child = golive(case.args)
        .env("TMPDIR", tmp.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| e.to_string())?;
    let mut stdout = child.stdout.take().ok_or("stdout is not piped")?;
    if read > 0 {
        let mut first = vec![0u8; read];
        let _ = stdout.read(&mut first);
    }
    drop(stdout);
    let ended = wait_within(child, Duration::from_secs(120))?;
    let err = ended.stderr.trim();
    if err.contains("internal error") || err.contains("panicked") {
        return Err(format!("panicked: {err}"));
    }
    let leftover: Vec<_> = std::fs::read_dir(tmp.path())
        .map_err(|e| e.to_string())?
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().starts_with("golive-fakes-"))
        .collect();
    if !leftover.is_empty() {
        return Err("the fakes' folder was left behind".into());
    }
    // Read after a few bytes, a small document may have been written in full before the close.
    let code_ok = ended.code == Some(case.code) || (read > 0 && ended.code == Some(0));
    if !code_ok {
        return Err(format!("exit {:?}, expected {}: {err}", ended.code, case.code));
    }
    match (case.says_lost, read) {
        (true, 0) if !err.contains("stdout was closed before") && !err.contains("could not be written") => {
            Err(format!("the lost report is not named on stderr: {err}"))
        }
        (false, _) if !err.is_empty() && !case.args.contains(&"serve") => {
            Err(format!("a document's end is not quiet: {err}"))
        }
        _ => Ok(()),
    }
}

/// Every case, stdout closed at once and after 10 bytes.
pub fn tally() -> Tally {
    // The fakes' configuration fits in the pipe's buffer: read in part, it was
    // written in full, and the fakes serve on like any server until a signal.
    let both: Vec<(Case, usize)> = cases()
        .into_iter()
        .flat_map(|c| [0, 10].map(|n| (c.clone(), n)))
        .filter(|(c, n)| *n == 0 || !c.args.contains(&"serve"))
        .collect();
    Tally::of(&both, |(c, n)| format!("{} (closed after {n} bytes)", name(c)), |(c, n)| check_after(c, *n))
}

/// `golive completions zsh | head -c 10` exited 101 with an "internal error"
/// panic; every stdout path now ends quietly or names the lost report.
#[test]
fn a_closed_pipe_on_stdout_is_a_normal_end_not_an_internal_error_panic() {
    tally().assert_held();
}
