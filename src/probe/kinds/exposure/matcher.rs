//! The needles of an exposure scan: every secret of the environment in the
//! encodings it takes in the wild (raw, base64 at every alignment, URL-encoded,
//! JSON-escaped: [`crate::redact::forms`], the redactor's own), PEM private
//! key markers and partner key prefixes, in one aho-corasick automaton. A
//! needle knows the secret's name, never shows its value.

use std::ops::Range;
use std::sync::LazyLock;

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, MatchKind};

use crate::redact::forms::forms;

/// A CVV field and its value inside an excerpt, to mask the value.
static CVV_IN_TEXT: LazyLock<Option<regex::Regex>> =
    LazyLock::new(|| regex::Regex::new(r#"(?i)(cv[vc](?:2|_?code)?["']?\s*[:=]\s*["']?)[0-9]{3,4}"#).ok());

/// Secrets shorter than this are not searched for: they would match everywhere
/// (the redactor's bound is 4; a scan over a whole history needs more).
pub const MIN_SECRET_LEN: usize = 8;

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

    /// An excerpt of one finding: `window` is the part of its line that any
    /// needle overlapping the shown context fits in, `focus` the finding in
    /// it, shown as `label`. Every other secret and partner key in the window
    /// becomes its `[name]`, every card number `***` and its last four, every
    /// CVV value `***`, and only then is the text cut to `context` printable
    /// characters on each side: a cut never reveals part of a secret or
    /// more of a card number than its last four digits.
    pub fn excerpt(&self, window: &[u8], focus: Range<usize>, label: &str, context: usize) -> String {
        let mut spans: Vec<(Range<usize>, String)> = Vec::new();
        self.find(window, |h| {
            let name = match h.what {
                What::Secret { name, .. } => name.clone(),
                What::PartnerKey(i) => match self.partner(*i) {
                    Some(p) => {
                        let rest = p.rest.find(&window[h.end..]).filter(|m| m.start() == 0);
                        match rest {
                            Some(m) => return spans.push((h.start..h.end + m.end(), format!("[{}]", p.name))),
                            None => return,
                        }
                    }
                    None => return,
                },
                What::PemKey => return,
            };
            spans.push((h.start..h.end, format!("[{name}]")));
        });
        // Text before and after the finding, each masked whole.
        let side = |range: Range<usize>| {
            let mut out = String::new();
            let mut at = range.start;
            for (span, name) in spans.iter().filter(|(s, _)| s.start < range.end && s.end > range.start) {
                out.push_str(&printable(&String::from_utf8_lossy(&window[at..span.start.max(at)])));
                out.push_str(name);
                at = span.end.min(range.end).max(at);
            }
            out.push_str(&printable(&String::from_utf8_lossy(&window[at..range.end])));
            let out = crate::redact::mask_card_numbers(&out);
            match CVV_IN_TEXT.as_ref() {
                Some(re) => re.replace_all(&out, "${1}***").into_owned(),
                None => out,
            }
        };
        let before = side(0..focus.start);
        let after = side(focus.end.min(window.len())..window.len());
        let skip = before.chars().count().saturating_sub(context);
        let before: String = before.chars().skip(skip).collect();
        let after: String = after.chars().take(context).collect();
        format!("{before}{label}{after}")
    }
}

/// Printable ASCII only: anything else becomes `.` (bytes from files are data).
pub fn printable(text: &str) -> String {
    text.chars().map(|c| if c.is_ascii_graphic() || c == ' ' { c } else { '.' }).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::Engine;

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
        let url = crate::redact::forms::percent(&secret, true);
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

    #[test]
    fn an_excerpt_masks_every_secret_and_card_in_the_line_before_it_is_cut() {
        let m = Matcher::new(
            &[
                ("api_key".into(), b"first-secret-0123".to_vec()),
                ("webhook.secret".into(), b"second-secret-4567".to_vec()),
            ],
            Vec::new(),
        );
        // Two secrets on one line: the second is near enough to be partly shown.
        let line = b"k=first-secret-0123;w=second-secret-4567;pan 4111 1111 1111 1111 end";
        let focus = 2..19;
        let out = m.excerpt(line, focus, "[api_key]", 20);
        assert_eq!(out, "k=[api_key];w=[webhook.secret];");
        // The card number cut at the edge of the context: masked before the cut.
        let out = m.excerpt(line, 22..40, "[webhook.secret]", 12);
        assert_eq!(out, "[api_key];w=[webhook.secret];pan ***1111", "{out}");
        assert!(!out.contains("4111 1"));
        // A CVV value next to the finding.
        let out = m.excerpt(b"cvv=737 key=first-secret-0123", 12..29, "[api_key]", 20);
        assert_eq!(out, "cvv=*** key=[api_key]");
    }
}
