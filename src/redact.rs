//! Redaction: the last guard between a secret and any output.
//!
//! Secrets are typed ([`secrecy::SecretString`]) and probes never put them in a
//! report on purpose; the [`Redactor`] still scrubs every string of a finished
//! report, so a secret echoed back by a server or buried in an error message
//! is replaced by `***` before any renderer or evidence writer sees it.
//!
//! It searches one aho-corasick automaton for every secret in every form it
//! takes in the wild ([`forms`]: raw, base64 at every alignment, URL-encoded,
//! JSON-escaped), the same forms the exposure scan searches for, and for the
//! documented parts of composite keys ([`parts`]). A base64 form is masked
//! with the whole base64 word around it, so an echoed `Authorization: Basic
//! <base64 of user:password>` loses its whole value, not only the password's
//! stretch.
//!
//! Card numbers need no declaration: any Luhn-valid run of 13–19 digits (see
//! [`mask_card_numbers`]) is masked in every string the redactor sees, after
//! the secrets (a card-like run inside a secret must not break its match).
//!
//! Every secret a redactor learns is also known process-wide, so code that
//! cuts a text for an excerpt can scrub the whole text first ([`cut`]): a
//! secret cut in half no longer matches anything afterwards.

mod cards;
pub mod forms;
pub mod parts;

use std::sync::{Arc, LazyLock, OnceLock, RwLock};

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, AhoCorasickKind, MatchKind};
use secrecy::{ExposeSecret, SecretString};

pub use cards::mask_card_numbers;
use cards::masked_cards;

/// What a secret is replaced with.
pub const MASK: &str = "***";

/// Secrets shorter than this are not searched for: masking every "a" would
/// destroy the report and such values are not secrets anyone should use.
const MIN_SECRET_LEN: usize = 4;

/// Replaces every known secret value, in every form, with [`MASK`].
#[derive(Clone, Default)]
pub struct Redactor {
    secrets: Vec<SecretString>,
    /// The automaton, built on first use after the last `add`.
    compiled: Arc<OnceLock<Compiled>>,
}

/// The needles of a redactor.
struct Compiled {
    ac: Option<AhoCorasick>,
    /// Per pattern: whether it is a base64 form (masked with its whole word).
    base64: Vec<bool>,
    /// The longest pattern, in bytes.
    longest: usize,
}

impl std::fmt::Debug for Redactor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Redactor({} secrets)", self.secrets.len())
    }
}

/// Every secret any redactor of this process learnt (see [`cut`]).
static KNOWN: LazyLock<RwLock<Redactor>> = LazyLock::new(|| RwLock::new(Redactor::default()));

impl Redactor {
    /// A redactor that knows no secrets yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a secret to scrub (and makes it known process-wide).
    pub fn add(&mut self, secret: &SecretString) {
        if self.learn(secret)
            && let Ok(mut known) = KNOWN.write()
        {
            known.learn(secret);
        }
    }

    /// Adds a secret to this redactor only; whether it was new.
    fn learn(&mut self, secret: &SecretString) -> bool {
        let value = secret.expose_secret();
        if value.len() < MIN_SECRET_LEN || self.secrets.iter().any(|s| s.expose_secret() == value) {
            return false;
        }
        self.secrets.push(secret.clone());
        self.compiled = Arc::new(OnceLock::new());
        true
    }

    /// Adds a composite secret and the documented parts of it that
    /// `template` names and `known` does not fill (see [`parts`]), e.g.
    /// PaymentsAI's `<accountId>_<apiKey>_<apiKeyId>`: each part alone is masked too.
    pub fn add_parts(&mut self, secret: &SecretString, template: &str, known: &dyn Fn(&str) -> Option<String>) {
        self.add(secret);
        for part in parts::parts(secret.expose_secret(), template, known) {
            self.add(&SecretString::from(part));
        }
    }

    /// Adds every secret of another redactor.
    pub fn extend(&mut self, other: &Redactor) {
        for s in &other.secrets {
            self.add(s);
        }
    }

    /// The longest form of any secret, in bytes.
    fn longest(&self) -> usize {
        self.compiled().longest
    }

    fn compiled(&self) -> &Compiled {
        self.compiled.get_or_init(|| {
            let mut patterns: Vec<Vec<u8>> = Vec::new();
            let mut base64 = Vec::new();
            for s in &self.secrets {
                for (form, bytes) in forms::forms(s.expose_secret().as_bytes()) {
                    if !patterns.contains(&bytes) {
                        patterns.push(bytes);
                        base64.push(form == forms::BASE64);
                    }
                }
            }
            let ac = (!patterns.is_empty())
                // A contiguous NFA, not the DFA the builder would pick for a few
                // patterns: as fast on the short texts scrubbed here, and built in
                // a fraction of the time every run pays once.
                .then(|| {
                    AhoCorasickBuilder::new()
                        .match_kind(MatchKind::LeftmostLongest)
                        .kind(Some(AhoCorasickKind::ContiguousNFA))
                        .build(&patterns)
                        .ok()
                })
                .flatten();
            let longest = patterns.iter().map(Vec::len).max().unwrap_or(0);
            Compiled { ac, base64, longest }
        })
    }

    /// The byte ranges of `text` to mask, sorted and merged.
    fn ranges(&self, text: &str) -> Vec<(usize, usize)> {
        let compiled = self.compiled();
        let Some(ac) = &compiled.ac else { return Vec::new() };
        let bytes = text.as_bytes();
        let mut out: Vec<(usize, usize)> = Vec::new();
        for m in ac.find_iter(bytes) {
            let (mut start, mut end) = (m.start(), m.end());
            if compiled.base64[m.pattern().as_usize()] {
                // The whole base64 word: the characters around the secret's
                // stretch encode it partly, and the rest is what it came with
                // (a Basic auth user). `=` only pads its end (`token=` stays).
                while start > 0 && is_base64(bytes[start - 1]) {
                    start -= 1;
                }
                while end < bytes.len() && is_base64(bytes[end]) {
                    end += 1;
                }
                while end < bytes.len() && bytes[end] == b'=' {
                    end += 1;
                }
            }
            match out.last_mut() {
                Some(last) if start <= last.1 => last.1 = last.1.max(end),
                _ => out.push((start, end)),
            }
        }
        out
    }

    /// The text with every secret replaced and every card number masked.
    pub fn redact(&self, text: &str) -> String {
        self.redacted(text).unwrap_or_else(|| text.to_string())
    }

    /// Redacts a string in place; one with nothing to mask is left as it is,
    /// not copied (a report's strings mostly are).
    pub fn redact_in_place(&self, text: &mut String) {
        if let Some(clean) = self.redacted(text) {
            *text = clean;
        }
    }

    /// The text with every secret replaced and every card number masked, or
    /// `None` when there is nothing to mask.
    fn redacted(&self, text: &str) -> Option<String> {
        let ranges = self.ranges(text);
        if ranges.is_empty() {
            return masked_cards(text);
        }
        let mut out = String::with_capacity(text.len());
        let mut last = 0;
        for (start, end) in ranges {
            // Needles are UTF-8 or ASCII and widening stops at ASCII, so
            // every range falls on character boundaries.
            out.push_str(text.get(last..start).unwrap_or_default());
            out.push_str(MASK);
            last = end;
        }
        out.push_str(text.get(last..).unwrap_or_default());
        Some(masked_cards(&out).unwrap_or(out))
    }

    /// Redacts every string of a JSON value in place.
    pub fn redact_json(&self, value: &mut serde_json::Value) {
        match value {
            serde_json::Value::String(s) => self.redact_in_place(s),
            serde_json::Value::Array(items) => items.iter_mut().for_each(|v| self.redact_json(v)),
            serde_json::Value::Object(map) => map.values_mut().for_each(|v| self.redact_json(v)),
            _ => {}
        }
    }
}

/// A character of base64, either alphabet (padding aside).
fn is_base64(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/' | b'-' | b'_')
}

/// The text scrubbed of every secret this process knows (and card numbers).
pub fn scrub(text: &str) -> String {
    match KNOWN.read() {
        Ok(known) => known.redact(text),
        Err(_) => mask_card_numbers(text),
    }
}

/// At most `max_chars` characters of `text`, scrubbed first (see [`scrub`]):
/// an excerpt never holds the start or the end of a secret it cut in half.
/// Only as much of the text as a secret or card number crossing the cut can
/// reach is scrubbed, so a long body costs no more than its excerpt.
pub fn cut(text: &str, max_chars: usize) -> String {
    let reach = KNOWN.read().map(|k| k.longest()).unwrap_or(0).max(CARD_REACH);
    let window = match text.char_indices().nth(max_chars + reach) {
        Some((at, _)) => &text[..at],
        None => text,
    };
    let clean = scrub(window);
    match clean.char_indices().nth(max_chars) {
        Some((at, _)) => clean[..at].to_string(),
        None => clean,
    }
}

/// How far past a cut a card number that crosses it can reach: 19 digits
/// and the spaces or dashes between their groups.
const CARD_REACH: usize = 40;

#[cfg(test)]
mod tests {
    use super::*;
    use base64::Engine;

    #[test]
    fn the_redactor_masks_card_numbers_without_any_secret() {
        assert_eq!(Redactor::new().redact("card 4111111111111111"), "card ***1111");
    }

    #[test]
    fn replaces_every_occurrence_and_ignores_tiny_values() {
        let mut r = Redactor::new();
        r.add(&SecretString::from("canary-123"));
        r.add(&SecretString::from("ab"));
        assert_eq!(r.redact("x canary-123 y canary-123 ab"), "x *** y *** ab");
    }

    #[test]
    fn every_encoding_of_a_secret_is_masked() {
        let secret = "pa\"ss/w+rd%Canary\\7";
        let mut r = Redactor::new();
        r.add(&SecretString::from(secret));
        let b64 = |s: &str| base64::engine::general_purpose::STANDARD.encode(s);
        let url_safe = |s: &str| base64::engine::general_purpose::URL_SAFE.encode(s);
        let echoes = [
            format!("raw {secret} end"),
            format!("Authorization: Basic {} end", b64(&format!("user:{secret}"))),
            format!("Authorization: Basic {} end", b64(&format!("us:{secret}"))),
            format!("Authorization: Basic {} end", b64(&format!("u:{secret}"))),
            format!("token={} end", url_safe(&format!("x{secret}"))),
            format!("json {} end", serde_json::to_string(secret).expect("json")),
            format!("query ?s={} end", String::from_utf8_lossy(&forms::percent(secret.as_bytes(), true))),
            format!("query ?s={} end", String::from_utf8_lossy(&forms::percent(secret.as_bytes(), false))),
        ];
        for echo in echoes {
            let out = r.redact(&echo);
            assert!(out.ends_with(" end") && out.contains(MASK), "{echo} -> {out}");
            // Nothing of the encoded value is left: the whole base64 word goes.
            assert!(!out.contains("dXNlcj") && !out.contains("Canary"), "{echo} -> {out}");
        }
        assert_eq!(
            r.redact(&format!("Authorization: Basic {}", b64(&format!("user:{secret}")))),
            "Authorization: Basic ***"
        );
    }

    #[test]
    fn the_documented_parts_of_a_composite_key_are_masked_alone() {
        let mut r = Redactor::new();
        let credential = SecretString::from("acc_abc123_key_xyz789secret_kid_def456");
        r.add_parts(&credential, "{account_id}_{api_key}_{api_key_id}", &|n| {
            (n == "account_id").then(|| "acc_abc123".to_string())
        });
        assert_eq!(r.redact("echo key_xyz789secret alone"), "echo *** alone");
        assert_eq!(r.redact("ApiKey acc_abc123_key_xyz789secret_kid_def456"), "ApiKey ***");
        assert_eq!(r.redact("account acc_abc123 is not secret"), "account acc_abc123 is not secret");
    }

    #[test]
    fn a_cut_never_leaves_half_a_secret() {
        let mut r = Redactor::new();
        r.add(&SecretString::from("cut-canary-0123456789"));
        let text = "0123456789 cut-canary-0123456789 tail";
        // Cut first, then redacted: half the secret survives.
        let naive: String = r.redact(&text.chars().take(25).collect::<String>());
        assert!(naive.contains("cut-canary-01"), "{naive}");
        assert_eq!(cut(text, 25), "0123456789 *** tail");
        assert_eq!(cut(text, 12), "0123456789 *");
    }
}
