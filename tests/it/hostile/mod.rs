//! Hostile input and fail-open paths, one module per class: each class lists
//! its cases and tries them with real processes, pipes, repositories, servers
//! and special files. The tests assert every case holds; the README's
//! reliability table (`tests/it/reliability.rs`) counts what was tried and
//! what held from the same lists.

pub mod ci_history;
pub mod closed_pipe;
pub mod durations;
pub mod jsonpath;
pub mod list;
pub mod loopback;
pub mod markup;
pub mod merge_markdown;
pub mod misspelt;
pub mod nothing_looked_at;
pub mod refused;
pub mod shallow;
pub mod signals;
pub mod slow_source;
pub mod special_files;

use std::io::Read;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

/// The outcome of a class: cases tried and, for each that did not hold, why.
pub struct Tally {
    /// How many cases were tried.
    pub tried: usize,
    /// The cases that did not hold, each with what happened.
    pub broken: Vec<String>,
}

impl Tally {
    /// Tries every case; a panic in a case counts as not held.
    pub fn of<C>(cases: &[C], name: impl Fn(&C) -> String, check: impl Fn(&C) -> Result<(), String>) -> Tally {
        let mut broken = Vec::new();
        for case in cases {
            match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| check(case))) {
                Ok(Ok(())) => {}
                Ok(Err(why)) => broken.push(format!("{}: {why}", name(case))),
                Err(_) => broken.push(format!("{}: the check panicked", name(case))),
            }
        }
        Tally { tried: cases.len(), broken }
    }

    /// The cases that did not hold, as (panics, hangs, other problems).
    pub fn split(&self) -> (usize, usize, usize) {
        let panics = self.broken.iter().filter(|b| b.contains("panicked")).count();
        let hangs = self.broken.iter().filter(|b| b.contains("still running after")).count();
        (panics, hangs, self.broken.len() - panics - hangs)
    }

    /// Fails the test naming every case that did not hold.
    pub fn assert_held(&self) {
        assert!(
            self.broken.is_empty(),
            "{} of {} cases did not hold:\n{}",
            self.broken.len(),
            self.tried,
            self.broken.join("\n")
        );
    }
}

/// What a finished golive process left: its exit code and stderr.
pub struct Ended {
    /// The exit code; `None` when a signal ended it.
    pub code: Option<i32>,
    /// stderr as text.
    pub stderr: String,
}

/// A golive command with colour off and stdin closed.
pub fn golive(args: &[&str]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_golive"));
    cmd.args(args).current_dir(env!("CARGO_MANIFEST_DIR")).env("NO_COLOR", "1").stdin(Stdio::null());
    cmd
}

/// Runs golive in `dir` (also its TMPDIR) with stdout discarded; a run past a
/// minute is killed and reported as a hang.
pub fn run_in(dir: &std::path::Path, args: &[&str]) -> Result<Ended, String> {
    let child = golive(args)
        .current_dir(dir)
        .env("TMPDIR", dir)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| e.to_string())?;
    wait_within(child, Duration::from_secs(60))
}

/// Waits for `child` at most `limit`, then kills it; stderr must be piped.
pub fn wait_within(mut child: Child, limit: Duration) -> Result<Ended, String> {
    let mut pipe = child.stderr.take().ok_or("stderr is not piped")?;
    let reader = std::thread::spawn(move || {
        let mut text = String::new();
        let _ = pipe.read_to_string(&mut text);
        text
    });
    let started = Instant::now();
    let status: ExitStatus = loop {
        if let Some(status) = child.try_wait().map_err(|e| e.to_string())? {
            break status;
        }
        if started.elapsed() > limit {
            let _ = child.kill();
            let _ = child.wait();
            return Err(format!("still running after {limit:?}; killed"));
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    Ok(Ended { code: status.code(), stderr: reader.join().unwrap_or_default() })
}
