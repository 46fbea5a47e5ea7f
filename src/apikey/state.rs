//! The local state file: salted Argon2 hashes of the last secrets per account
//! (never the secrets) and when each key was exchanged, so golive can refuse a
//! reused secret and show a key's age against the rotation period.

use std::collections::BTreeMap;
use std::path::Path;

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use serde::{Deserialize, Serialize};

/// The state of one account.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct AccountState {
    /// PHC strings of the last secrets, newest last.
    #[serde(default)]
    pub secret_hashes: Vec<String>,
    /// When the current permanent key was made, RFC 3339.
    pub exchanged_at: Option<String>,
}

/// The whole state file.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct State {
    /// Accounts by `<pack>/<account id>`.
    #[serde(default)]
    pub accounts: BTreeMap<String, AccountState>,
}

/// The environment's state file when it does not exist yet: a run with it
/// starts golive's history over (a throwaway CI runner whose state folder is
/// not kept). The demo's state lives in its temporary folder by design: never.
pub fn new_for(env: &crate::config::Environment) -> Option<std::path::PathBuf> {
    let path = env.state_path();
    (env.name != crate::config::DEMO_ENV && !path.exists()).then_some(path)
}

/// What a report says when the state file is new, instead of starting over
/// silently: `what` is what is unknown because of it.
pub fn new_state_note(path: &Path, what: &str) -> String {
    format!(
        "the state file {} does not exist yet: {what}. It is new on a first run, or on a CI runner that keeps nothing between runs: keep its folder (GOLIVE_STATE_DIR; the GitHub Action and the GitLab template cache it)",
        path.display()
    )
}

impl State {
    /// Reads the state file; a missing file is an empty state.
    pub fn load(path: &Path) -> Result<State, String> {
        match crate::files::read_regular_text(path, crate::files::MAX_STATE_BYTES) {
            Ok(text) => serde_json::from_str(&text).map_err(|e| {
                format!("state file {} is not valid ({e}); move it aside to start a fresh history", path.display())
            }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(State::default()),
            Err(e) => Err(format!("cannot read state file {}: {e}", path.display())),
        }
    }

    /// Writes the state file (0600), creating its folder.
    pub fn save(&self, path: &Path) -> Result<(), String> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
        }
        let text = serde_json::to_string_pretty(self).map_err(|e| e.to_string())?;
        let tmp = path.with_extension("json.tmp");
        let _ = std::fs::remove_file(&tmp);
        crate::files::write_private(&tmp, text.as_bytes())?;
        std::fs::rename(&tmp, path).map_err(|e| format!("cannot write state file {}: {e}", path.display()))
    }

    /// Whether `secret` is one of the last `history` secrets of `account`.
    pub fn was_used(&self, account: &str, secret: &str, history: usize) -> bool {
        let Some(state) = self.accounts.get(account) else { return false };
        let skip = state.secret_hashes.len().saturating_sub(history);
        state.secret_hashes.iter().skip(skip).any(|phc| {
            PasswordHash::new(phc)
                .is_ok_and(|h| argon2::Argon2::default().verify_password(secret.as_bytes(), &h).is_ok())
        })
    }

    /// Remembers a secret (as a salted hash) and the time of the exchange,
    /// keeping the last `history` hashes.
    pub fn remember(&mut self, account: &str, secret: &str, history: usize) -> Result<(), String> {
        let mut salt = [0u8; 16];
        getrandom::fill(&mut salt).map_err(|e| format!("no randomness for the salt: {e}"))?;
        let salt = SaltString::encode_b64(&salt).map_err(|e| e.to_string())?;
        let phc = argon2::Argon2::default()
            .hash_password(secret.as_bytes(), &salt)
            .map_err(|e| format!("hashing the secret failed: {e}"))?
            .to_string();
        let state = self.accounts.entry(account.to_string()).or_default();
        state.secret_hashes.push(phc);
        let excess = state.secret_hashes.len().saturating_sub(history.max(1));
        state.secret_hashes.drain(..excess);
        state.exchanged_at = Some(
            time::OffsetDateTime::now_utc().format(&time::format_description::well_known::Rfc3339).unwrap_or_default(),
        );
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn remembers_hashes_not_secrets_and_forgets_past_the_history() {
        let mut s = State::default();
        for i in 0..5 {
            s.remember("pai/acc", &format!("Secret-number-{i}"), 4).unwrap();
        }
        let text = serde_json::to_string(&s).unwrap();
        assert!(!text.contains("Secret-number"));
        assert!(!s.was_used("pai/acc", "Secret-number-0", 4), "the fifth-last is forgotten");
        assert!(s.was_used("pai/acc", "Secret-number-4", 4));
        assert!(!s.was_used("pai/other", "Secret-number-4", 4));
    }
}
