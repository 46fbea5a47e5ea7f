//! The observed command: run with the fronts' URLs in its environment. Its
//! standard output and error go to golive's stderr (golive's stdout stays the
//! report's): straight through when a `--log` file is named, else through one
//! private capture file that both write to in order (O_APPEND) and that golive
//! copies to stderr as it grows. A file, not a pipe: a line the command writes
//! before its next request is on disk when the front measures the log, so the
//! rules that read logs see it in the right place.

use std::ffi::OsString;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use super::logs::LogMeter;

/// How the command ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CommandEnd {
    /// Its exit status, when it exited.
    pub code: Option<i32>,
    /// The signal that killed it, when one did.
    pub signal: Option<i32>,
}

impl CommandEnd {
    /// Whether it exited with status 0.
    pub fn success(&self) -> bool {
        self.code == Some(0)
    }
}

impl std::fmt::Display for CommandEnd {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match (self.code, self.signal) {
            (Some(code), _) => write!(f, "exited with status {code}"),
            (None, Some(signal)) => write!(f, "was killed by signal {signal}"),
            (None, None) => f.write_str("ended without an exit status"),
        }
    }
}

/// The file the command's output is captured into.
#[derive(Debug, Clone)]
pub struct Capture {
    path: PathBuf,
}

impl Capture {
    /// A new private capture file at `path`, and the meter the fronts measure it with.
    pub fn create(path: &Path) -> Result<(Capture, LogMeter), String> {
        let mut options = std::fs::OpenOptions::new();
        options.append(true).create_new(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        options.open(path).map_err(|e| format!("cannot create {}: {e}", path.display()))?;
        Ok((Capture { path: path.to_path_buf() }, LogMeter::captured(path.to_path_buf())))
    }

    fn writer(&self) -> Result<Stdio, String> {
        let file = std::fs::OpenOptions::new()
            .append(true)
            .open(&self.path)
            .map_err(|e| format!("cannot open {}: {e}", self.path.display()))?;
        Ok(Stdio::from(file))
    }
}

/// golive's own stderr, for the command to write to directly.
fn our_stderr() -> Stdio {
    #[cfg(unix)]
    {
        use std::os::fd::AsFd;
        if let Ok(fd) = std::io::stderr().as_fd().try_clone_to_owned() {
            return Stdio::from(fd);
        }
    }
    Stdio::inherit()
}

/// Copies what is appended to the capture to golive's stderr until `done`,
/// then what is left.
fn tail(path: PathBuf, done: Arc<AtomicBool>) {
    let Ok(mut file) = std::fs::File::open(&path) else { return };
    let mut buf = vec![0u8; 8192];
    let mut stderr = std::io::stderr();
    loop {
        let finished = done.load(Ordering::Acquire);
        match file.read(&mut buf) {
            Ok(0) if finished => break,
            Ok(0) => std::thread::sleep(Duration::from_millis(20)),
            Ok(n) => {
                let _ = stderr.write_all(&buf[..n]);
            }
            Err(_) => break,
        }
    }
    let _ = stderr.flush();
}

/// Runs `argv` with these extra variables until it ends, its output captured
/// when `capture` is given. Dropping the future kills the command.
pub async fn run(argv: &[OsString], vars: &[(String, String)], capture: Option<Capture>) -> Result<CommandEnd, String> {
    let Some((program, args)) = argv.split_first() else {
        return Err("no command to run after `--`".into());
    };
    let (stdout, stderr) = match &capture {
        Some(c) => (c.writer()?, c.writer()?),
        None => (our_stderr(), Stdio::inherit()),
    };
    let mut child = tokio::process::Command::new(program)
        .args(args)
        .envs(vars.iter().map(|(k, v)| (k, v)))
        .stdin(Stdio::inherit())
        .stdout(stdout)
        .stderr(stderr)
        .kill_on_drop(true)
        .spawn()
        .map_err(|e| format!("cannot run `{}`: {e}", program.to_string_lossy()))?;
    let done = Arc::new(AtomicBool::new(false));
    let copier = capture.map(|c| {
        let done = done.clone();
        std::thread::spawn(move || tail(c.path, done))
    });
    // Stops the copier however this future ends (the command done, or killed by a signal).
    struct Stop(Arc<AtomicBool>);
    impl Drop for Stop {
        fn drop(&mut self) {
            self.0.store(true, Ordering::Release);
        }
    }
    let stop = Stop(done);
    let status = child.wait().await.map_err(|e| format!("cannot wait for `{}`: {e}", program.to_string_lossy()))?;
    drop(stop);
    if let Some(copier) = copier {
        let _ = tokio::task::spawn_blocking(move || copier.join()).await;
    }
    #[cfg(unix)]
    let signal = std::os::unix::process::ExitStatusExt::signal(&status);
    #[cfg(not(unix))]
    let signal = None;
    Ok(CommandEnd { code: status.code(), signal })
}
