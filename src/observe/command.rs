//! The observed command: run with the fronts' URLs in its environment, its
//! standard output and error passed through to golive's stderr (golive's
//! stdout stays the report's) and captured into one private file, which the
//! rules that read logs use when no `--log` is named.

use std::ffi::OsString;
use std::io::Write;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWriteExt};

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

/// Where the command's output is captured.
#[derive(Clone)]
pub struct Capture {
    file: Arc<Mutex<std::fs::File>>,
    written: Arc<AtomicU64>,
}

impl Capture {
    /// A new private capture file at `path`, and the meter the fronts read its length with.
    pub fn create(path: &Path) -> Result<(Capture, LogMeter), String> {
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        let file = options.open(path).map_err(|e| format!("cannot create {}: {e}", path.display()))?;
        let written = Arc::new(AtomicU64::new(0));
        let meter = LogMeter::Captured { path: path.to_path_buf(), written: written.clone() };
        Ok((Capture { file: Arc::new(Mutex::new(file)), written }, meter))
    }

    fn append(&self, bytes: &[u8]) {
        let Ok(mut file) = self.file.lock() else { return };
        if file.write_all(bytes).is_ok() {
            self.written.fetch_add(bytes.len() as u64, Ordering::Release);
        }
    }
}

/// Copies one of the command's pipes to golive's stderr and to the capture.
async fn pump(mut from: impl AsyncRead + Unpin, capture: Option<Capture>) {
    let mut buf = vec![0u8; 8192];
    let mut stderr = tokio::io::stderr();
    loop {
        match from.read(&mut buf).await {
            Ok(0) | Err(_) => break,
            Ok(n) => {
                if let Some(c) = &capture {
                    c.append(&buf[..n]);
                }
                let _ = stderr.write_all(&buf[..n]).await;
            }
        }
    }
    let _ = stderr.flush().await;
}

/// Runs `argv` with these extra variables until it ends. Dropping the future
/// kills the command.
pub async fn run(argv: &[OsString], vars: &[(String, String)], capture: Option<Capture>) -> Result<CommandEnd, String> {
    let Some((program, args)) = argv.split_first() else {
        return Err("no command to run after `--`".into());
    };
    let mut child = tokio::process::Command::new(program)
        .args(args)
        .envs(vars.iter().map(|(k, v)| (k, v)))
        .stdin(std::process::Stdio::inherit())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .map_err(|e| format!("cannot run `{}`: {e}", program.to_string_lossy()))?;
    let out = child.stdout.take().map(|p| tokio::spawn(pump(p, capture.clone())));
    let err = child.stderr.take().map(|p| tokio::spawn(pump(p, capture)));
    let status = child.wait().await.map_err(|e| format!("cannot wait for `{}`: {e}", program.to_string_lossy()))?;
    // A background process the command left behind may hold its pipes open:
    // what it writes after this is not the command's.
    for pipe in [out, err].into_iter().flatten() {
        let _ = tokio::time::timeout(std::time::Duration::from_secs(2), pipe).await;
    }
    #[cfg(unix)]
    let signal = std::os::unix::process::ExitStatusExt::signal(&status);
    #[cfg(not(unix))]
    let signal = None;
    Ok(CommandEnd { code: status.code(), signal })
}
