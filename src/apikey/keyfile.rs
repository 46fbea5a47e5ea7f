//! The local side of the key exchange, all blocking file and Argon2 work run
//! on tokio's blocking pool: the checks before anything is sent (neither the
//! key file nor the answer file exists, no other exchange holds the state
//! file's lock, a writable folder with room for the answer, a secret not used
//! before) and, after the partner's answer is on disk, the 0600 key file and
//! the secret history.
//!
//! The answer file is created before the request (see [`AnswerFile`]); the key
//! file is staged in the output's folder before the request too (proof the
//! folder is writable) and moved into place without ever overwriting a file or
//! following a symlink (`persist_noclobber` links, it does not open the
//! target); a file that cannot be moved is kept where it was staged and named.

use std::fs::File;
use std::path::{Path, PathBuf};

use secrecy::{ExposeSecret, SecretString};
use tempfile::NamedTempFile;

use super::answer_file::{AnswerFile, RESERVE, reserve};
use super::exchange::ExchangeError;
use super::inflight::Hold;
use super::state::State;
use crate::spec::SecretPolicy;

/// Where the partner's raw answer is saved for a key file at `out`:
/// `<out>.answer`, next to it, so the folder proven writable and the
/// permissions the user chose for secrets apply to both.
pub fn answer_path(out: &Path) -> PathBuf {
    let mut name = out.as_os_str().to_os_string();
    name.push(".answer");
    PathBuf::from(name)
}

/// Disk reserved for the key file before sending: a credential is a line of text.
const KEY_RESERVE: u64 = 4096;

/// The lock file beside a state file: one exchange at a time per state file.
fn lock_path(state: &Path) -> PathBuf {
    let mut name = state.as_os_str().to_os_string();
    name.push(".lock");
    PathBuf::from(name)
}

/// What the checks before the request leave ready for after the answer.
pub(super) struct Prepared {
    /// The answer's file, created and reserved.
    pub(super) answer: AnswerFile,
    /// What the key file needs.
    pub(super) key: KeyStage,
}

/// The key file's side: the staged file, the history, the lock.
pub(super) struct KeyStage {
    /// The empty file in the output's folder, proof it is writable.
    staged: NamedTempFile,
    /// The secret history, loaded.
    state: State,
    /// What `finish` needs to remember the secret.
    remember: Remember,
    /// The state file's lock, held until the exchange ends.
    _lock: Option<File>,
    /// Keeps the flight busy until the files are done with (dropped last).
    _hold: Hold,
}

/// Which secret to remember where, and how many.
pub(super) struct Remember {
    /// The state file.
    pub(super) path: PathBuf,
    /// `<pack>/<account id>`.
    pub(super) key: String,
    /// The chosen secret.
    pub(super) secret: SecretString,
    /// How many past secrets the policy forbids (0: none).
    pub(super) history: usize,
}

/// Runs `f` on the blocking pool; `lost` describes a task that never finished.
async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, ExchangeError> + Send + 'static,
    lost: impl FnOnce(String) -> ExchangeError,
) -> Result<T, ExchangeError> {
    tokio::task::spawn_blocking(f).await.unwrap_or_else(|e| Err(lost(e.to_string())))
}

/// An existing answer file: empty (an exchange stopped before any answer) or not.
fn answer_exists(path: PathBuf) -> ExchangeError {
    match std::fs::symlink_metadata(&path) {
        Ok(m) if m.is_file() && m.len() == 0 => ExchangeError::EmptyAnswerExists(path),
        _ => ExchangeError::AnswerExists(path),
    }
}

/// Neither the key file `out` nor its answer file may exist (nothing is
/// overwritten; an empty answer file is an earlier exchange that stopped).
pub fn check_free(out: &Path) -> Result<(), ExchangeError> {
    if std::fs::symlink_metadata(out).is_ok() {
        return Err(ExchangeError::OutExists(out.to_path_buf()));
    }
    let answer = answer_path(out);
    if std::fs::symlink_metadata(&answer).is_ok() {
        return Err(answer_exists(answer));
    }
    Ok(())
}

/// Before anything is sent: neither the output nor its answer file may exist
/// (the answer file is created now, new: a second exchange for the same file
/// stops here), no other exchange may hold the state file's lock, the folder
/// must be writable with room for the answer, the secret must comply with the
/// policy and not be one of the last `history` used.
pub(super) async fn prepare(
    out: &Path,
    policy: Option<SecretPolicy>,
    remember: Remember,
    hold: Hold,
) -> Result<Prepared, ExchangeError> {
    let out = out.to_path_buf();
    let work = move || {
        check_free(&out)?;
        let answer_at = answer_path(&out);
        let dir = out.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(Path::new(".")).to_path_buf();
        // If the answer cannot be written where planned, it goes beside the
        // state file, or to the temporary folder.
        let fallback: Vec<PathBuf> = [remember.path.parent().map(Path::to_path_buf), Some(std::env::temp_dir())]
            .into_iter()
            .flatten()
            .filter(|d| !d.as_os_str().is_empty() && *d != dir)
            .collect();
        let answer = AnswerFile::create(&answer_at, fallback).map_err(|e| match e.kind() {
            std::io::ErrorKind::AlreadyExists => answer_exists(answer_at.clone()),
            std::io::ErrorKind::StorageFull => ExchangeError::OutUnwritable(format!(
                "not enough free space in {} for the partner's answer ({} KiB are reserved before the request, so a full disk cannot lose the key): free some space or choose another --out",
                dir.display(),
                RESERVE / 1024
            )),
            _ => ExchangeError::OutUnwritable(format!("cannot write {}: {e}", answer_at.display())),
        })?;
        let lock = lock(&remember.path)?;
        // Prove the folder is writable before anything is sent: a key that cannot be saved is lost.
        let staged = tempfile::Builder::new()
            .prefix(".golive-key-")
            .tempfile_in(&dir)
            .map_err(|e| ExchangeError::OutUnwritable(format!("cannot write in {}: {e}", dir.display())))?;
        // Room for the credential too, so a disk that fills up meanwhile cannot refuse it.
        reserve(staged.as_file(), 0, KEY_RESERVE).map_err(|e| {
            ExchangeError::OutUnwritable(format!("not enough free space in {} for the key file: {e}", dir.display()))
        })?;
        let secret = remember.secret.expose_secret();
        if let Some(policy) = policy {
            let broken = policy.violations(secret);
            if !broken.is_empty() {
                return Err(ExchangeError::Policy(broken));
            }
        }
        let state = State::load(&remember.path).map_err(ExchangeError::Missing)?;
        if remember.history > 0 && state.was_used(&remember.key, secret, remember.history) {
            return Err(ExchangeError::Reused(remember.history));
        }
        Ok(Prepared { answer, key: KeyStage { staged, state, remember, _lock: lock, _hold: hold } })
    };
    blocking(work, |e| ExchangeError::Missing(format!("the local checks did not finish ({e})"))).await
}

/// Takes the exclusive lock beside the state file, or says who holds it. A
/// folder that cannot hold the lock file is no reason to refuse (the answer
/// file's `O_EXCL` still keeps two exchanges of one key file apart).
fn lock(state: &Path) -> Result<Option<File>, ExchangeError> {
    let path = lock_path(state);
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        let _ = std::fs::create_dir_all(dir);
    }
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(false);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let Ok(file) = options.open(&path) else { return Ok(None) };
    #[cfg(unix)]
    {
        use rustix::fs::{FlockOperation, flock};
        match flock(&file, FlockOperation::NonBlockingLockExclusive) {
            Ok(()) => {}
            Err(e) if e == rustix::io::Errno::WOULDBLOCK => return Err(ExchangeError::Busy(path)),
            Err(_) => return Ok(None),
        }
    }
    Ok(Some(file))
}

/// After the partner's answer is on disk: writes the credential to `out` and
/// remembers the secret. The key file's error, if any, comes first; a history
/// that could not be saved is returned as a warning.
pub(super) async fn finish(
    key: KeyStage,
    out: &Path,
    credential: SecretString,
) -> Result<Option<String>, ExchangeError> {
    let out = out.to_path_buf();
    let shown = out.clone();
    let work = move || {
        let KeyStage { staged, mut state, remember: r, _lock, _hold } = key;
        let written = write_credential(staged, &out, credential.expose_secret());
        // The partner took the secret whatever happened here: remember it,
        // unless golive is stopping at once (its folders may be going away).
        let warning = if super::inflight::abandoned() {
            Some("golive was stopped before the history was saved".to_string())
        } else {
            state.remember(&r.key, r.secret.expose_secret(), r.history.max(1)).and_then(|()| state.save(&r.path)).err()
        };
        written.map(|()| warning)
    };
    let lost = move |e: String| {
        ExchangeError::BadAnswer(format!("the permanent key could not be written to {} ({e})", shown.display()))
    };
    blocking(work, lost).await
}

/// Writes the credential into the staged file (0600) and moves it into place
/// without ever overwriting an existing file. When the move fails, the staged
/// file, the only copy of the key, is kept and the error says where.
fn write_credential(staged: NamedTempFile, out: &Path, credential: &str) -> Result<(), ExchangeError> {
    use std::io::Write;
    let fail = |e: String| {
        ExchangeError::BadAnswer(format!("the permanent key could not be written to {} ({e})", out.display()))
    };
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(staged.path(), std::fs::Permissions::from_mode(0o600))
            .map_err(|e| fail(e.to_string()))?;
    }
    let mut file = staged;
    writeln!(file, "{credential}").map_err(|e| fail(e.to_string()))?;
    file.as_file().sync_all().map_err(|e| fail(e.to_string()))?;
    match file.persist_noclobber(out) {
        Ok(_) => Ok(()),
        Err(e) => {
            let why = e.error.to_string();
            match e.file.keep() {
                Ok((_, kept)) => Err(ExchangeError::KeptElsewhere { out: out.to_path_buf(), kept, why }),
                Err(k) => Err(fail(format!("{why}; keeping the staged copy failed too: {}", k.error))),
            }
        }
    }
}
