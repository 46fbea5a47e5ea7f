//! The local side of the key exchange, all blocking file and Argon2 work run
//! on tokio's blocking pool: the checks before anything is sent (neither the
//! key file nor the answer file exists, a writable folder, a secret not used
//! before) and, after the partner's answer, first the raw answer file, then
//! the 0600 key file and the secret history.
//!
//! Both files are staged in the output's folder before the request (proof the
//! folder is writable) and moved into place without ever overwriting a file
//! or following a symlink (`persist_noclobber` links, it does not open the
//! target); a file that cannot be moved is kept where it was staged and named.

use std::path::{Path, PathBuf};

use secrecy::{ExposeSecret, SecretString};
use tempfile::NamedTempFile;

use super::exchange::ExchangeError;
use super::policy::SecretPolicy;
use super::state::State;

/// Where the partner's raw answer is saved for a key file at `out`:
/// `<out>.answer`, next to it, so the folder proven writable and the
/// permissions the user chose for secrets apply to both.
pub fn answer_path(out: &Path) -> PathBuf {
    let mut name = out.as_os_str().to_os_string();
    name.push(".answer");
    PathBuf::from(name)
}

/// The empty file staged for the raw answer.
pub(super) struct StagedAnswer(NamedTempFile);

/// What the checks before the request leave ready for after the answer.
pub(super) struct Prepared {
    /// The empty file in the output's folder, proof it is writable.
    staged: NamedTempFile,
    /// The secret history, loaded.
    state: State,
    /// What `finish` needs to remember the secret.
    remember: Remember,
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

/// Before anything is sent: neither the output nor its answer file may
/// exist, their folder must be writable, the secret must comply with the
/// policy and not be one of the last `history` used.
pub(super) async fn prepare(
    out: &Path,
    policy: Option<SecretPolicy>,
    remember: Remember,
) -> Result<(Prepared, StagedAnswer), ExchangeError> {
    let out = out.to_path_buf();
    let work = move || {
        if std::fs::symlink_metadata(&out).is_ok() {
            return Err(ExchangeError::OutExists(out));
        }
        let answer = answer_path(&out);
        if std::fs::symlink_metadata(&answer).is_ok() {
            return Err(ExchangeError::AnswerExists(answer));
        }
        // Prove the folder is writable before anything is sent: a key that cannot be saved is lost.
        let dir = out.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(Path::new("."));
        let stage = |prefix: &str| {
            tempfile::Builder::new()
                .prefix(prefix)
                .tempfile_in(dir)
                .map_err(|e| ExchangeError::OutUnwritable(format!("cannot write in {}: {e}", dir.display())))
        };
        let staged = stage(".golive-key-")?;
        let staged_answer = StagedAnswer(stage(".golive-answer-")?);
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
        Ok((Prepared { staged, state, remember }, staged_answer))
    };
    blocking(work, |e| ExchangeError::Missing(format!("the local checks did not finish ({e})"))).await
}

/// Right after an accepted exchange, before anything reads it: writes the
/// partner's raw answer (0600) to `path`, or, when it cannot be moved there,
/// keeps it where it was staged. Returns where it is.
pub(super) async fn save_answer(staged: StagedAnswer, path: PathBuf, raw: Vec<u8>) -> Result<PathBuf, String> {
    let work = move || {
        use std::io::Write;
        let mut file = staged.0;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(file.path(), std::fs::Permissions::from_mode(0o600)).map_err(|e| e.to_string())?;
        }
        file.write_all(&raw).map_err(|e| e.to_string())?;
        file.as_file().sync_all().map_err(|e| e.to_string())?;
        match file.persist_noclobber(&path) {
            Ok(_) => Ok(path),
            Err(e) => e.file.keep().map(|(_, kept)| kept).map_err(|k| {
                format!("it could not be moved to {} ({}) nor kept ({})", path.display(), e.error, k.error)
            }),
        }
    };
    tokio::task::spawn_blocking(work).await.unwrap_or_else(|e| Err(format!("the write did not finish ({e})")))
}

/// After the partner's answer: writes the credential to `out` and remembers
/// the secret. The key file's error, if any, comes first; a history that
/// could not be saved is returned as a warning.
pub(super) async fn finish(
    prepared: Prepared,
    out: &Path,
    credential: SecretString,
) -> Result<Option<String>, ExchangeError> {
    let out = out.to_path_buf();
    let shown = out.clone();
    let work = move || {
        let Prepared { staged, mut state, remember: r } = prepared;
        let written = write_credential(staged, &out, credential.expose_secret());
        // The partner took the secret whatever happened here: remember it.
        let warning =
            state.remember(&r.key, r.secret.expose_secret(), r.history.max(1)).and_then(|()| state.save(&r.path)).err();
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
