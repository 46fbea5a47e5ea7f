//! Secret references (`{ env = "VAR" }` or `{ file = "path" }`) and their resolution.
//!
//! A literal secret in a configuration file is an error: secrets live in the
//! environment or in files, never in `golive.toml`. Resolved values are
//! [`SecretString`]s, which print as `[REDACTED]` in `Debug`.

use std::path::{Path, PathBuf};

use secrecy::SecretString;

/// Where a secret comes from, as written in the configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SecretRef {
    /// An environment variable.
    Env(String),
    /// A file, resolved against the configuration's folder; trailing newlines are trimmed.
    File(PathBuf),
}

impl std::fmt::Display for SecretRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SecretRef::Env(var) => write!(f, "{{ env = \"{var}\" }}"),
            SecretRef::File(path) => write!(f, "{{ file = \"{}\" }}", path.display()),
        }
    }
}

/// Why a secret could not be read. Never carries the value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SecretError {
    /// The environment variable is not set.
    EnvUnset(String),
    /// The environment variable is set but empty.
    EnvEmpty(String),
    /// The file could not be read.
    File(PathBuf, String),
    /// The file is empty.
    FileEmpty(PathBuf),
}

impl std::fmt::Display for SecretError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SecretError::EnvUnset(var) => write!(f, "environment variable `{var}` is not set"),
            SecretError::EnvEmpty(var) => write!(f, "environment variable `{var}` is empty"),
            SecretError::File(path, why) => write!(f, "cannot read secret file {}: {why}", path.display()),
            SecretError::FileEmpty(path) => write!(f, "secret file {} is empty", path.display()),
        }
    }
}

impl SecretRef {
    /// Resolves a file reference against `base` (the configuration's folder).
    pub fn relative_to(self, base: &Path) -> SecretRef {
        match self {
            SecretRef::File(p) if p.is_relative() => SecretRef::File(base.join(p)),
            other => other,
        }
    }

    /// Reads the secret value.
    pub fn resolve(&self) -> Result<SecretString, SecretError> {
        match self {
            SecretRef::Env(var) => match std::env::var(var) {
                Ok(v) if v.is_empty() => Err(SecretError::EnvEmpty(var.clone())),
                Ok(v) => Ok(SecretString::from(v)),
                Err(_) => Err(SecretError::EnvUnset(var.clone())),
            },
            SecretRef::File(path) => {
                let text = crate::files::read_regular_text(path, crate::files::MAX_SECRET_BYTES)
                    .map_err(|e| SecretError::File(path.clone(), crate::config::error::io_reason(&e)))?;
                let trimmed = text.trim_end_matches(['\r', '\n']);
                if trimmed.is_empty() {
                    return Err(SecretError::FileEmpty(path.clone()));
                }
                Ok(SecretString::from(trimmed.to_string()))
            }
        }
    }
}
