//! What spikes of HTTP statuses mean during `--watch`, in the runbook's words:
//! a pack's `[[watch]]` table, checked at load time.

use serde::Deserialize;
use toml::Spanned;

use super::error::{ConfigError, SourceFile};

/// A `[[watch]]` rule: what a spike of an HTTP status means during `--watch`.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "WatchRule")]
pub(super) struct RawWatch {
    /// An exact status ("403") or a class ("4xx").
    #[schemars(with = "super::schema::StatusTextSchema")]
    pub(super) status: Spanned<String>,
    /// What a spike of it indicates, in the runbook's words.
    pub(super) meaning: String,
}

/// What a spike of an HTTP status means during `--watch`, in the runbook's
/// words: `[[watch]] status = "403" | "4xx" | "5xx", meaning = "..."`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WatchRule {
    /// An exact status (`"403"`) or a class (`"4xx"`), as written.
    pub status: String,
    /// What a spike of it indicates.
    pub meaning: String,
}

impl WatchRule {
    /// The exact status this rule names, if it names one rather than a class.
    pub fn exact(&self) -> Option<u16> {
        self.status.parse().ok()
    }

    /// Whether an HTTP status falls under this rule.
    pub fn matches(&self, status: u16) -> bool {
        match self.exact() {
            Some(exact) => exact == status,
            None => self.status.chars().next().and_then(|c| c.to_digit(10)) == Some(u32::from(status / 100)),
        }
    }

    /// The meaning of a spike of `key` (an exact status such as `403`, or a
    /// class such as `4xx`): the exact rule first, then the class rule.
    pub fn meaning_of<'a>(rules: &'a [WatchRule], key: &str) -> Option<&'a str> {
        rules.iter().find(|r| r.status == key).map(|r| r.meaning.as_str()).or_else(|| {
            let class = format!("{}xx", key.chars().next()?);
            rules.iter().find(|r| r.status == class).map(|r| r.meaning.as_str())
        })
    }
}

/// An HTTP status as packs write it, lower-cased: three digits from 100 to
/// 599, or a class `1xx`..`5xx`; `None` for anything else.
pub(super) fn status_text(raw: &str) -> Option<String> {
    let text = raw.trim().to_ascii_lowercase();
    let exact = text.parse::<u16>().is_ok_and(|s| (100..=599).contains(&s)) && text.len() == 3;
    let class = text.len() == 3 && text.ends_with("xx") && matches!(text.as_bytes()[0], b'1'..=b'5');
    (exact || class).then_some(text)
}

/// Checks a `[[watch]]` status: three digits from 100 to 599, or `1xx`..`5xx`.
pub(super) fn watch_status(file: &SourceFile, raw: &Spanned<String>) -> Result<String, ConfigError> {
    if let Some(text) = status_text(raw.get_ref()) {
        Ok(text)
    } else {
        Err(ConfigError::at(file, raw.span(), format!("`{}` is not an HTTP status or status class", raw.get_ref()))
            .help("write an exact status such as \"403\" or a class such as \"4xx\" or \"5xx\""))
    }
}
