//! The values a pack needs from an environment beyond golive's own keys
//! (an account id, a one-time key, where a new key is written), declared by
//! the pack in `[inputs.NAME]` and set in `[env.NAME]` of `golive.toml` under
//! the same name:
//!
//! ```toml
//! [inputs.account_id]
//! about = "the account whose temporal key is exchanged"
//! env = "PARTNER_ACCOUNT_ID"   # a suggested variable name, for scaffolds
//!
//! [inputs.account_secret]
//! about = "the secret the key exchange registers"
//! secret = true                # set as { env = "VAR" } or { file = "path" }, redacted everywhere
//!
//! [inputs.permanent_key_file]
//! about = "where the key exchange writes the permanent key (must not exist yet)"
//! format = "path"              # relative to the folder of golive.toml
//! ```

use serde::Deserialize;

/// One input a pack declares.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct InputSpec {
    /// What the value is, in a few words (for errors, `golive init` and docs).
    pub about: String,
    /// A secret: written as `{ env = "VAR" }` or `{ file = "path" }`, never a
    /// literal, and redacted from every output.
    #[serde(default)]
    pub secret: bool,
    /// How the value is read (`text` by default).
    #[serde(default)]
    pub format: InputFormat,
    /// A suggested environment variable name, e.g. for a scaffolded `golive.toml`.
    pub env: Option<String>,
}

/// How an input's value is read.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum InputFormat {
    /// A string, used as written.
    #[default]
    Text,
    /// A file path, relative to the folder of `golive.toml`.
    Path,
}

impl InputFormat {
    /// Its name as a pack writes it.
    pub fn name(self) -> &'static str {
        match self {
            InputFormat::Text => "text",
            InputFormat::Path => "path",
        }
    }
}

/// Which of its pack's inputs the key exchange reads, by name.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ExchangeInputs {
    /// A text input: the account whose temporal key is exchanged. It keys the
    /// local state and fills `{NAME}` in the exchange's `credential`.
    pub account: String,
    /// A secret input: the one-time key that authorises the exchange.
    pub temporal_key: String,
    /// A secret input: the secret the exchange registers (unless the command
    /// line gives one).
    pub secret: String,
    /// A path input: where the permanent credential is written.
    pub key_file: String,
}
