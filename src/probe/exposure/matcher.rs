//! The needles of an exposure scan: every secret of the environment in the
//! encodings it takes in the wild (raw, base64 at every alignment, URL-encoded,
//! JSON-escaped), PEM private key markers and partner key prefixes, in one
//! aho-corasick automaton. A needle knows the secret's name, never shows its value.

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, MatchKind};
use base64::Engine;

/// Secrets shorter than this are not searched for: they would match everywhere
/// (the redactor's bound is 4; a scan over a whole history needs more).
pub const MIN_SECRET_LEN: usize = 8;

/// Encoded forms shorter than this are dropped (a base64 stretch of a short
/// secret at an odd alignment is too common to mean anything).
const MIN_FORM_LEN: usize = 10;

/// What a needle stands for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum What {
    /// A configured secret, by its environment key (`api_key`), in one form.
    Secret {
        /// The environment key, e.g. `api_key` or `webhook.secret`.
        name: String,
        /// `raw`, `base64`, `url-encoded` or `json-escaped`.
        form: &'static str,
    },
    /// The marker line of a PEM private key block (`PRIVATE KEY-----`).
    PemKey,
    /// The literal prefix of a partner key whose format the partner documents;
    /// the rest must match the shape to count.
    PartnerKey(usize),
}

/// A partner key format: a literal prefix and the shape of what follows.
#[derive(Debug, Clone)]
pub struct PartnerKey {
    /// What to call a match, e.g. "a PaymentsAI API key".
    pub name: String,
    /// The literal start, e.g. `acc_123_` (the account id and an underscore).
    pub prefix: String,
    /// What must follow the prefix, anchored at its end.
    pub rest: regex::bytes::Regex,
}

/// The compiled needles.
pub struct Matcher {
    ac: Option<AhoCorasick>,
    what: Vec<What>,
    partner: Vec<PartnerKey>,
    longest: usize,
}

impl std::fmt::Debug for Matcher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Matcher({} needles)", self.what.len())
    }
}

/// One needle found: where in the searched bytes, and what.
#[derive(Debug, Clone, Copy)]
pub struct Hit<'m> {
    /// Start offset in the searched bytes.
    pub start: usize,
    /// End offset (exclusive).
    pub end: usize,
    /// What it is.
    pub what: &'m What,
}

impl Matcher {
    /// Needles for `secrets` (name, value) and `partner` key formats. PEM
    /// private key markers are always searched for.
    pub fn new(secrets: &[(String, Vec<u8>)], partner: Vec<PartnerKey>) -> Matcher {
        let mut patterns: Vec<Vec<u8>> = Vec::new();
        let mut what = Vec::new();
        let push = |p: Vec<u8>, w: What, patterns: &mut Vec<Vec<u8>>, what: &mut Vec<What>| {
            if !patterns.contains(&p) {
                patterns.push(p);
                what.push(w);
            }
        };
        for (name, value) in secrets.iter().filter(|(_, v)| v.len() >= MIN_SECRET_LEN) {
            for (form, bytes) in forms(value) {
                push(bytes, What::Secret { name: name.clone(), form }, &mut patterns, &mut what);
            }
        }
        push(b"PRIVATE KEY-----".to_vec(), What::PemKey, &mut patterns, &mut what);
        for (i, p) in partner.iter().enumerate() {
            if p.prefix.len() >= 4 {
                push(p.prefix.as_bytes().to_vec(), What::PartnerKey(i), &mut patterns, &mut what);
            }
        }
        let longest = patterns.iter().map(Vec::len).max().unwrap_or(0);
        let ac = AhoCorasickBuilder::new().match_kind(MatchKind::LeftmostLongest).build(&patterns).ok();
        Matcher { ac, what, partner, longest }
    }

    /// The longest needle, in bytes: chunks must overlap by at least this much.
    pub fn longest(&self) -> usize {
        self.longest
    }

    /// Calls `found` for every needle in `hay` (non-overlapping, leftmost longest).
    pub fn find(&self, hay: &[u8], mut found: impl FnMut(Hit<'_>)) {
        let Some(ac) = &self.ac else { return };
        for m in ac.find_iter(hay) {
            found(Hit { start: m.start(), end: m.end(), what: &self.what[m.pattern().as_usize()] });
        }
    }

    /// The partner key format `i`.
    pub fn partner(&self, i: usize) -> Option<&PartnerKey> {
        self.partner.get(i)
    }
}

/// The forms of a secret to search for, deduplicated, each with its label.
pub fn forms(value: &[u8]) -> Vec<(&'static str, Vec<u8>)> {
    let mut out: Vec<(&'static str, Vec<u8>)> = vec![("raw", value.to_vec())];
    let mut add = |form: &'static str, bytes: Vec<u8>| {
        if bytes.len() >= MIN_FORM_LEN && !out.iter().any(|(_, b)| *b == bytes) {
            out.push((form, bytes));
        }
    };
    for b64 in base64_stretches(value) {
        let url_safe: Vec<u8> = b64
            .iter()
            .map(|&c| match c {
                b'+' => b'-',
                b'/' => b'_',
                c => c,
            })
            .collect();
        add("base64", b64);
        add("base64", url_safe);
    }
    let (upper, lower) = (percent(value, true), percent(value, false));
    add("url-encoded", upper);
    add("url-encoded", lower);
    add("json-escaped", json_escaped(value, false));
    add("json-escaped", json_escaped(value, true));
    out
}

/// The base64 of `value` wherever it sits in a longer encoded text: for each of
/// the three alignments, the characters that depend on `value`'s bytes only
/// (a secret inside `user:password` encoded for Basic auth is found too).
fn base64_stretches(value: &[u8]) -> Vec<Vec<u8>> {
    let engine = base64::engine::general_purpose::STANDARD_NO_PAD;
    (0..3usize)
        .filter_map(|k| {
            let mut input = vec![0u8; k];
            input.extend_from_slice(value);
            let enc = engine.encode(&input).into_bytes();
            // Character j covers bits [6j, 6j + 6); keep those inside the value's bits.
            let first = (8 * k).div_ceil(6);
            let last = 8 * (k + value.len()) / 6; // exclusive
            (last > first).then(|| enc[first..last.min(enc.len())].to_vec())
        })
        .collect()
}

/// Percent-encoding of every byte outside RFC 3986's unreserved set.
fn percent(value: &[u8], upper: bool) -> Vec<u8> {
    let mut out = Vec::with_capacity(value.len() * 3);
    for &b in value {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(b);
        } else if upper {
            out.extend_from_slice(format!("%{b:02X}").as_bytes());
        } else {
            out.extend_from_slice(format!("%{b:02x}").as_bytes());
        }
    }
    out
}

/// The value as it appears inside a JSON string (optionally with `/` escaped, as some encoders do).
fn json_escaped(value: &[u8], slash: bool) -> Vec<u8> {
    let mut out = Vec::with_capacity(value.len() + 8);
    for &b in value {
        match b {
            b'"' => out.extend_from_slice(b"\\\""),
            b'\\' => out.extend_from_slice(b"\\\\"),
            b'/' if slash => out.extend_from_slice(b"\\/"),
            b'\n' => out.extend_from_slice(b"\\n"),
            b'\r' => out.extend_from_slice(b"\\r"),
            b'\t' => out.extend_from_slice(b"\\t"),
            b if b < 0x20 => out.extend_from_slice(format!("\\u{b:04x}").as_bytes()),
            b => out.push(b),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn found(m: &Matcher, hay: &[u8]) -> Vec<What> {
        let mut out = Vec::new();
        m.find(hay, |h| out.push(h.what.clone()));
        out
    }

    #[test]
    fn a_secret_is_found_raw_base64_at_any_alignment_url_encoded_and_json_escaped() {
        let secret = b"s3cr3t/Value+with \"quotes\"".to_vec();
        let m = Matcher::new(&[("api_key".into(), secret.clone())], Vec::new());
        let engine = base64::engine::general_purpose::STANDARD;
        for prefix in ["", "u", "us", "user:"] {
            let mut whole = prefix.as_bytes().to_vec();
            whole.extend_from_slice(&secret);
            let hay = format!("Authorization: Basic {}\n", engine.encode(&whole));
            assert!(
                found(&m, hay.as_bytes()).iter().any(|w| matches!(w, What::Secret { form: "base64", .. })),
                "{prefix:?}"
            );
        }
        let url = percent(&secret, true);
        assert_eq!(found(&m, &url), vec![What::Secret { name: "api_key".into(), form: "url-encoded" }]);
        let json = serde_json::to_string(&String::from_utf8(secret.clone()).unwrap()).unwrap();
        assert!(found(&m, json.as_bytes()).iter().any(|w| matches!(w, What::Secret { form: "json-escaped", .. })));
        assert!(found(&m, b"nothing here -----BEGIN RSA PRIVATE KEY-----").contains(&What::PemKey));
    }

    #[test]
    fn short_secrets_are_not_needles() {
        let m = Matcher::new(&[("api_key".into(), b"abc".to_vec())], Vec::new());
        assert!(found(&m, b"abc abc").is_empty());
    }
}
