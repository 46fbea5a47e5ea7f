//! Redaction: the last guard between a secret and any output.
//!
//! Secrets are typed ([`secrecy::SecretString`]) and probes never put them in a
//! report on purpose; the [`Redactor`] still scrubs every string of a finished
//! report, so a secret echoed back by a server or buried in an error message
//! is replaced by `***` before any renderer or evidence writer sees it.

use std::sync::LazyLock;

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

/// A run of 13 to 19 digits, optionally grouped by single spaces or dashes,
/// not touching other digits or letters: a card number candidate.
static CARD_CANDIDATE: LazyLock<Option<regex::Regex>> =
    LazyLock::new(|| regex::Regex::new(r"\b\d(?:[ -]?\d){12,18}\b").ok());

/// The text with every Luhn-valid card number (13–19 digits, plain or grouped
/// by spaces or dashes) masked except its last four digits, e.g.
/// `4111 1111 1111 1111` → `**** **** **** 1111`.
///
/// Used on bodies written to the evidence folder. A 13–19 digit identifier
/// that happens to pass the Luhn check is masked too: for evidence, hiding a
/// false positive is the safe mistake.
pub fn mask_card_numbers(text: &str) -> String {
    let Some(re) = CARD_CANDIDATE.as_ref() else { return text.to_string() };
    re.replace_all(text, |caps: &regex::Captures<'_>| {
        let candidate = &caps[0];
        if is_card_number(candidate) {
            return mask_digits(candidate);
        }
        // "4111111111111111-123": the grouping was wrong, a plain run may still be a card.
        candidate
            .split_inclusive([' ', '-'])
            .map(|part| {
                let digits = part.trim_end_matches([' ', '-']);
                if is_card_number(digits) { mask_digits(part) } else { part.to_string() }
            })
            .collect()
    })
    .into_owned()
}

/// Whether the digits of `text` (separators ignored) are 13–19 long and pass the Luhn check.
fn is_card_number(text: &str) -> bool {
    let digits: Vec<u32> = text.chars().filter_map(|c| c.to_digit(10)).collect();
    if !(13..=19).contains(&digits.len()) {
        return false;
    }
    let sum: u32 = digits
        .iter()
        .rev()
        .enumerate()
        .map(|(i, &d)| if i % 2 == 1 { if d * 2 > 9 { d * 2 - 9 } else { d * 2 } } else { d })
        .sum();
    sum % 10 == 0
}

/// Every digit but the last four replaced with `*`; separators kept.
fn mask_digits(text: &str) -> String {
    let total = text.chars().filter(char::is_ascii_digit).count();
    let mut seen = 0;
    text.chars()
        .map(|c| {
            if c.is_ascii_digit() {
                seen += 1;
                if seen <= total.saturating_sub(4) { '*' } else { c }
            } else {
                c
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn card_numbers_are_masked_except_the_last_four() {
        assert_eq!(mask_card_numbers(r#"{"pan":"4111111111111111"}"#), r#"{"pan":"************1111"}"#);
        assert_eq!(mask_card_numbers("pan 4111 1111 1111 1111."), "pan **** **** **** 1111.");
        assert_eq!(mask_card_numbers("5500-0000-0000-0004"), "****-****-****-0004");
        assert_eq!(mask_card_numbers(r#"{"pan":5555555555554444}"#), r#"{"pan":************4444}"#);
        // A card followed by a short number: the plain run is still found.
        assert_eq!(mask_card_numbers("4111111111111111-123"), "************1111-123");
    }

    #[test]
    fn other_numbers_are_left_alone() {
        // Not Luhn-valid, too short, too long, or part of a word.
        for text in [
            "4111111111111112",
            "411111111111",
            "41111111111111111111111",
            "id_4111111111111111",
            "2025-01-02T10:11:12Z",
            "+1 415 555 2671",
        ] {
            assert_eq!(mask_card_numbers(text), text);
        }
    }

    #[test]
    fn replaces_every_occurrence_and_ignores_tiny_values() {
        let mut r = Redactor::new();
        r.add(&SecretString::from("canary-123"));
        r.add(&SecretString::from("ab"));
        assert_eq!(r.redact("x canary-123 y canary-123 ab"), "x *** y *** ab");
    }
}
