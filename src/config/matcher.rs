//! When a pack diagnosis applies: the `when = { status, body_contains, error_class }`
//! of a `[[diagnosis]]`, where `status` is an exact HTTP status (`403`) or a
//! class (`"5xx"`), checked at load time.

use serde::Deserialize;
use toml::Spanned;

use super::error::{ConfigError, SourceFile};
use super::watch_rules::status_text;
use crate::spec::{ErrorClass, Signals};

/// An HTTP status a diagnosis matches: one exact status, or a whole class.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StatusMatch {
    /// Exactly this status, e.g. 403.
    Exact(u16),
    /// Every status of this hundred, e.g. 5 for `5xx`.
    Class(u16),
}

impl StatusMatch {
    /// Whether an HTTP status falls under this one.
    pub fn matches(self, status: u16) -> bool {
        match self {
            StatusMatch::Exact(want) => status == want,
            StatusMatch::Class(hundred) => status / 100 == hundred,
        }
    }
}

impl std::fmt::Display for StatusMatch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            StatusMatch::Exact(s) => write!(f, "{s}"),
            StatusMatch::Class(h) => write!(f, "{h}xx"),
        }
    }
}

/// When a pack diagnosis applies: every given condition must hold.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Matcher {
    /// The HTTP status, exact or a class.
    pub status: Option<StatusMatch>,
    /// Text the response body contains.
    pub body_contains: Option<String>,
    /// The error class (`timeout`, `connect`, `tls`, ...).
    pub error_class: Option<ErrorClass>,
}

impl Matcher {
    /// Whether the signals of a probe's run meet every condition (and there is one).
    pub fn matches(&self, s: &Signals) -> bool {
        let status = self.status.is_none_or(|want| s.http_status.is_some_and(|got| want.matches(got)));
        let body =
            self.body_contains.as_ref().is_none_or(|want| s.body.as_ref().is_some_and(|b| b.contains(want.as_str())));
        let class = self.error_class.is_none_or(|want| s.error_class == Some(want));
        status && body && class && *self != Matcher::default()
    }
}

/// A matcher as the pack file writes it: every given condition must hold.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "Matcher")]
pub(super) struct RawMatcher {
    /// The HTTP status: exact (403 or "403") or a class ("5xx").
    #[schemars(with = "Option<super::schema::StatusSchema>")]
    status: Option<Spanned<toml::Value>>,
    /// Text the response body contains.
    body_contains: Option<String>,
    /// The error class, e.g. "timeout", "connect", "tls" (the README lists every class).
    #[schemars(with = "Option<String>")]
    error_class: Option<Spanned<String>>,
}

impl RawMatcher {
    /// Checks the status: an integer from 100 to 599, or a string such as "403" or "5xx".
    pub(super) fn check(self, file: &SourceFile) -> Result<Matcher, ConfigError> {
        let status = match self.status {
            None => None,
            Some(raw) => {
                let parsed = match raw.get_ref() {
                    toml::Value::Integer(n) => status_text(&n.to_string()),
                    toml::Value::String(s) => status_text(s),
                    _ => None,
                };
                let parsed = parsed.map(|text| match text.parse::<u16>() {
                    Ok(exact) => StatusMatch::Exact(exact),
                    Err(_) => StatusMatch::Class(u16::from(text.as_bytes()[0] - b'0')),
                });
                let Some(parsed) = parsed else {
                    return Err(ConfigError::at(
                        file,
                        raw.span(),
                        format!(
                            "invalid `status` in a diagnosis: {} is not an HTTP status or status class",
                            raw.get_ref()
                        ),
                    )
                    .help("write an exact status such as 403 or a class such as \"4xx\" or \"5xx\""));
                };
                Some(parsed)
            }
        };
        let error_class = match self.error_class {
            None => None,
            Some(raw) => Some(raw.get_ref().parse::<ErrorClass>().map_err(|e| {
                ConfigError::at(file, raw.span(), format!("{e} in a diagnosis"))
                    .label("no probe reports this class, so the diagnosis would never apply")
                    .suggest(raw.get_ref(), ErrorClass::ALL.iter().map(|c| c.as_str()))
                    .help("README.md, \"Error classes\", lists every class and its meaning")
            })?),
        };
        Ok(Matcher { status, body_contains: self.body_contains, error_class })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(when: &str) -> Result<Matcher, String> {
        #[derive(Deserialize)]
        struct Doc {
            when: RawMatcher,
        }
        let file = SourceFile::embedded("x.toml", "");
        let doc: Doc = toml::from_str(&format!("when = {when}")).map_err(|e| e.to_string())?;
        doc.when.check(&file).map_err(|e| e.message.clone())
    }

    fn signals(status: u16) -> Signals {
        Signals { http_status: Some(status), ..Signals::default() }
    }

    #[test]
    fn exact_numbers_and_strings_and_classes() {
        let exact = check("{ status = 403 }").expect("403");
        assert_eq!(exact.status, Some(StatusMatch::Exact(403)));
        assert!(exact.matches(&signals(403)) && !exact.matches(&signals(401)));
        assert_eq!(check("{ status = \"403\" }").expect("\"403\"").status, Some(StatusMatch::Exact(403)));
        let class = check("{ status = \"5xx\" }").expect("5xx");
        assert_eq!(class.status, Some(StatusMatch::Class(5)));
        for s in [500, 502, 503, 599] {
            assert!(class.matches(&signals(s)), "{s}");
        }
        for s in [499, 404, 200] {
            assert!(!class.matches(&signals(s)), "{s}");
        }
        assert!(!class.matches(&Signals::default()), "no HTTP status, no match");
        assert_eq!(check("{ status = \"4XX\" }").expect("4XX").status, Some(StatusMatch::Class(4)));
    }

    #[test]
    fn bad_statuses_are_errors_naming_the_field() {
        for bad in ["\"5yy\"", "\"6xx\"", "600", "99", "\"\"", "true", "\"50x\""] {
            let err = check(&format!("{{ status = {bad} }}")).expect_err(bad);
            assert!(err.contains("invalid `status` in a diagnosis"), "{bad}: {err}");
        }
    }

    #[test]
    fn error_classes_parse_at_load_time_with_a_suggestion() {
        let m = check("{ error_class = \"unknown-ca\" }").expect("known class");
        assert_eq!(m.error_class, Some(ErrorClass::UnknownCa));
        let hit = Signals { error_class: Some(ErrorClass::UnknownCa), ..Signals::default() };
        assert!(m.matches(&hit) && !m.matches(&Signals::default()));
        let old = check("{ error_class = \"certificate-expired\" }").expect("old spelling");
        assert_eq!(old.error_class, Some(ErrorClass::CertExpired));
        let file = SourceFile::embedded("x.toml", "");
        #[derive(Deserialize)]
        struct Doc {
            when: RawMatcher,
        }
        let doc: Doc = toml::from_str("when = { error_class = \"handshake-failur\" }").expect("toml");
        let err = doc.when.check(&file).expect_err("a typo");
        assert_eq!(err.message, "unknown error class `handshake-failur` in a diagnosis");
        assert!(err.help.iter().any(|h| h == "did you mean `handshake-failure`?"), "{:?}", err.help);
    }
}
