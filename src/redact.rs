//! Redaction: the last guard between a secret and any output.
//!
//! Secrets are typed ([`secrecy::SecretString`]) and probes never put them in a
//! report on purpose; the [`Redactor`] still scrubs every string of a finished
//! report, so a secret echoed back by a server or buried in an error message
//! is replaced by `***` before any renderer or evidence writer sees it.

use secrecy::{ExposeSecret, SecretString};

use crate::report::ProbeReport;

/// What a secret is replaced with.
pub const MASK: &str = "***";

/// Secrets shorter than this are not searched for: masking every "a" would
/// destroy the report and such values are not secrets anyone should use.
const MIN_SECRET_LEN: usize = 4;

/// Replaces every known secret value in strings with [`MASK`].
#[derive(Clone, Default)]
pub struct Redactor {
    secrets: Vec<SecretString>,
}

impl std::fmt::Debug for Redactor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Redactor({} secrets)", self.secrets.len())
    }
}

impl Redactor {
    /// A redactor that knows no secrets yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a secret to scrub.
    pub fn add(&mut self, secret: &SecretString) {
        if secret.expose_secret().len() >= MIN_SECRET_LEN {
            self.secrets.push(secret.clone());
        }
    }

    /// Adds every secret of another redactor.
    pub fn extend(&mut self, other: &Redactor) {
        self.secrets.extend(other.secrets.iter().cloned());
    }

    /// The text with every secret replaced.
    pub fn redact(&self, text: &str) -> String {
        let mut out = text.to_string();
        for secret in &self.secrets {
            let value = secret.expose_secret();
            if out.contains(value) {
                out = out.replace(value, MASK);
            }
        }
        out
    }

    /// Redacts every string of a JSON value in place.
    pub fn redact_json(&self, value: &mut serde_json::Value) {
        match value {
            serde_json::Value::String(s) => *s = self.redact(s),
            serde_json::Value::Array(items) => items.iter_mut().for_each(|v| self.redact_json(v)),
            serde_json::Value::Object(map) => map.values_mut().for_each(|v| self.redact_json(v)),
            _ => {}
        }
    }

    /// Redacts every free-text field of a probe report in place.
    pub fn redact_report(&self, report: &mut ProbeReport) {
        if self.secrets.is_empty() {
            return;
        }
        let fix = |s: &mut String| *s = self.redact(s);
        fix(&mut report.title);
        if let Some(reason) = &mut report.reason {
            fix(reason);
        }
        for check in &mut report.checks {
            fix(&mut check.name);
            fix(&mut check.message);
            check.expected.iter_mut().for_each(fix);
            check.actual.iter_mut().for_each(fix);
        }
        if let Some(d) = &mut report.diagnosis {
            fix(&mut d.cause);
            fix(&mut d.fix);
        }
        for value in report.facts.values_mut().chain(report.trace.iter_mut()) {
            self.redact_json(value);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replaces_every_occurrence_and_ignores_tiny_values() {
        let mut r = Redactor::new();
        r.add(&SecretString::from("canary-123"));
        r.add(&SecretString::from("ab"));
        assert_eq!(r.redact("x canary-123 y canary-123 ab"), "x *** y *** ab");
    }
}
