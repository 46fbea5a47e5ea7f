//! The streaming scanner: bytes arrive in chunks of any size, are searched
//! with an overlap (longest needle + lookahead), and leave behind findings with
//! a line number and a masked excerpt. Memory is the chunk plus the overlap,
//! whatever the size of the source.

use std::sync::LazyLock;

use aho_corasick::{AhoCorasick, AhoCorasickBuilder};
use regex::bytes::Regex;

use super::matcher::{Matcher, What, printable};

/// Bytes a hit may need after its end (partner key shape, header value, CVV value).
const LOOKAHEAD: usize = 256;
/// Printable context shown on each side of a hit.
const CONTEXT: usize = 20;
/// Findings kept per source; the rest are counted.
pub const MAX_FINDINGS: usize = 20;

/// What a scan looks for besides the matcher's needles.
#[derive(Debug, Clone, Copy, Default)]
pub struct Modes {
    /// Luhn-valid card numbers that are not masked, and CVV fields with a value (logs).
    pub cards: bool,
    /// `X-API-Key: value` / `Authorization: ApiKey value` literals (front end).
    pub headers: bool,
}

/// What was found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Kind {
    /// A configured secret, by name, in one encoding.
    Secret {
        /// The environment key.
        name: String,
        /// The encoding it was found in.
        form: &'static str,
    },
    /// A PEM private key block; `offset` is where its BEGIN line starts in the source.
    PemKey {
        /// Byte offset of `-----BEGIN` in the source.
        offset: u64,
    },
    /// A key in a partner's documented format.
    PartnerKey(String),
    /// A card number that is not masked.
    Card,
    /// A CVV / CVC field with a value.
    Cvv,
    /// An API key header written with its value.
    HeaderLiteral,
}

/// One finding in one source.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Found {
    /// 1-based line.
    pub line: u64,
    /// What it is.
    pub kind: Kind,
    /// The line around it, with the value itself replaced (`[api_key]`, `***1111`).
    pub excerpt: String,
}

static CVV: LazyLock<Option<AhoCorasick>> =
    LazyLock::new(|| AhoCorasickBuilder::new().ascii_case_insensitive(true).build(["cvv", "cvc"]).ok());
static HEADERS: LazyLock<Option<AhoCorasick>> =
    LazyLock::new(|| AhoCorasickBuilder::new().ascii_case_insensitive(true).build(["x-api-key", "authorization"]).ok());
/// A CVV field name's tail and its value: `cvv2": "123"`, `cvc=123`.
static CVV_VALUE: LazyLock<Option<Regex>> =
    LazyLock::new(|| Regex::new(r#"(?i-u)^(?:2|_?code)?["']?\s*[:=]\s*["']?([0-9]{3,4})(?:[^0-9]|$)"#).ok());
/// An API key header with a literal value: a quoted value after the header
/// name (`"X-API-Key": "..."`, `setRequestHeader('X-API-Key', '...')`), a raw
/// header line, or `Authorization: ApiKey ...`. `${...}` and `'+ key` are not literals.
static HEADER_VALUE: LazyLock<Option<Regex>> = LazyLock::new(|| {
    Regex::new(
        r#"(?i-u)^(?:x-api-key["']?\s*[:=,]\s*["']|x-api-key:[ \t]*|authorization["']?\s*[:=,]\s*["']?apikey[ \t]+)([A-Za-z0-9_.~+/=-]{8,})"#,
    )
    .ok()
});

/// A chunked scan of one source.
pub struct Scanner<'m> {
    m: &'m Matcher,
    modes: Modes,
    keep: usize,
    buf: Vec<u8>,
    /// Offset in the source of `buf[0]`.
    base: u64,
    /// Newlines before `buf[0]`.
    base_lines: u64,
    /// Hits ending at or before these source offsets were handled.
    ac_done: u64,
    extra_done: u64,
    digits_done: u64,
    /// Findings (at most [`MAX_FINDINGS`]).
    pub found: Vec<Found>,
    /// Findings beyond the bound.
    pub more: usize,
    /// Bytes fed.
    pub bytes: u64,
}

impl<'m> Scanner<'m> {
    /// A scanner for one source.
    pub fn new(m: &'m Matcher, modes: Modes) -> Scanner<'m> {
        let keep = m.longest() + 2 * LOOKAHEAD;
        Scanner {
            m,
            modes,
            keep,
            buf: Vec::with_capacity(256 * 1024 + keep),
            base: 0,
            base_lines: 0,
            ac_done: 0,
            extra_done: 0,
            digits_done: 0,
            found: Vec::new(),
            more: 0,
            bytes: 0,
        }
    }

    /// Starts over for a new source, keeping the buffer's memory.
    pub fn reset(&mut self) {
        self.buf.clear();
        (self.base, self.base_lines, self.ac_done, self.extra_done, self.digits_done) = (0, 0, 0, 0, 0);
        self.found.clear();
        self.more = 0;
    }

    /// Feeds the next bytes of the source.
    pub fn feed(&mut self, data: &[u8]) {
        self.bytes += data.len() as u64;
        for piece in data.chunks(256 * 1024) {
            self.buf.extend_from_slice(piece);
            self.process(false);
            if self.buf.len() > self.keep {
                let drop = self.buf.len() - self.keep;
                self.base_lines += count_lines(&self.buf[..drop]);
                self.buf.drain(..drop);
                self.base += drop as u64;
            }
        }
    }

    /// Ends the source: what waited for more bytes is decided now.
    pub fn finish(&mut self) {
        self.process(true);
    }

    fn push(&mut self, at: usize, kind: Kind, excerpt: String) {
        if self.found.len() >= MAX_FINDINGS {
            self.more += 1;
            return;
        }
        let line = self.base_lines + count_lines(&self.buf[..at]) + 1;
        self.found.push(Found { line, kind, excerpt });
    }

    fn process(&mut self, last: bool) {
        let len = self.buf.len();
        let end_abs = self.base + len as u64;
        // A hit is handled once its lookahead is in the buffer (or the source ended).
        let ready = |end: usize| last || end + LOOKAHEAD <= len;
        let mut hits = Vec::new();
        self.m.find(&self.buf, |h| hits.push((h.start, h.end, h.what.clone())));
        for (start, end, what) in hits {
            if self.base + end as u64 <= self.ac_done || !ready(end) {
                continue;
            }
            self.hit(start, end, &what);
        }
        let horizon = if last { end_abs } else { end_abs.saturating_sub(LOOKAHEAD as u64) };
        self.ac_done = self.ac_done.max(horizon);
        if self.modes.cards || self.modes.headers {
            let ac = if self.modes.cards { CVV.as_ref() } else { HEADERS.as_ref() };
            let mut extra = Vec::new();
            if let Some(ac) = ac {
                extra.extend(ac.find_iter(&self.buf[..]).map(|m| (m.start(), m.end())));
            }
            for (start, end) in extra {
                if self.base + end as u64 <= self.extra_done || !ready(end) {
                    continue;
                }
                if self.modes.cards {
                    self.cvv(start, end);
                } else {
                    self.header(start);
                }
            }
            self.extra_done = self.extra_done.max(horizon);
        }
        if self.modes.cards {
            self.cards(last);
        }
    }

    fn hit(&mut self, start: usize, end: usize, what: &What) {
        match what {
            What::Secret { name, form } => {
                let excerpt = self.excerpt(start, end, &format!("[{name}]"));
                self.push(start, Kind::Secret { name: name.clone(), form }, excerpt);
            }
            What::PemKey => {
                // `PRIVATE KEY-----` ends a BEGIN line (not an END line) within the same line.
                let from = start.saturating_sub(64);
                let line = &self.buf[from..start];
                let Some(pos) = find(line, b"-----BEGIN ") else { return };
                if line[pos..].contains(&b'\n') {
                    return;
                }
                let begin = from + pos;
                let marker = String::from_utf8_lossy(&self.buf[begin..end]).into_owned();
                let offset = self.base + begin as u64;
                self.push(begin, Kind::PemKey { offset }, printable(&marker));
            }
            What::PartnerKey(i) => {
                let Some(p) = self.m.partner(*i) else { return };
                let after = &self.buf[end..self.buf.len().min(end + LOOKAHEAD)];
                let Some(m) = p.rest.find(after).filter(|m| m.start() == 0) else { return };
                // The configured key itself is reported by its name, not twice.
                let name = p.name.clone();
                let excerpt = self.excerpt(start, end + m.end(), &format!("[{name}]"));
                self.push(start, Kind::PartnerKey(name), excerpt);
            }
        }
    }

    fn cvv(&mut self, start: usize, end: usize) {
        let Some(re) = CVV_VALUE.as_ref() else { return };
        let after = &self.buf[end..self.buf.len().min(end + 64)];
        let Some(c) = re.captures(after) else { return };
        let Some(value) = c.get(1) else { return };
        let field = String::from_utf8_lossy(&self.buf[start..end + value.start()]).into_owned();
        let excerpt = format!("{}{}", printable(&field), crate::redact::MASK);
        self.push(start, Kind::Cvv, excerpt);
    }

    fn header(&mut self, start: usize) {
        let Some(re) = HEADER_VALUE.as_ref() else { return };
        let window = &self.buf[start..self.buf.len().min(start + LOOKAHEAD)];
        let Some(c) = re.captures(window) else { return };
        let Some(value) = c.get(1) else { return };
        // An upper-case name (`YOUR_API_KEY`, `API_KEY`) is a placeholder, not a key.
        if value.as_bytes().iter().all(|b| b.is_ascii_uppercase() || *b == b'_') {
            return;
        }
        let excerpt = self.excerpt(start, start + value.end(), "[API key value]");
        self.push(start, Kind::HeaderLiteral, excerpt);
    }

    /// Card numbers: runs of digit groups (single space or dash between) with
    /// 13 to 19 digits in a Luhn-valid stretch, as `redact::mask_card_numbers`
    /// sees them, standing alone (no letter or digit glued to either end, so
    /// not part of a hex id), whose first digit is a card's (2 to 6:
    /// Mastercard, Amex, Visa, Mastercard, Discover). Millisecond timestamps
    /// (first digit 1) and masked numbers (`411111******1111`) are not card
    /// numbers. The price: an all-digit id of card length that passes Luhn.
    fn cards(&mut self, last: bool) {
        let b = &self.buf;
        let n = b.len();
        let mut runs = Vec::new();
        let mut i = 0;
        while i < n {
            if !b[i].is_ascii_digit() {
                i += 1;
                continue;
            }
            let s = i;
            let mut digits = 0usize;
            loop {
                while i < n && b[i].is_ascii_digit() {
                    i += 1;
                    digits += 1;
                }
                if i + 1 < n && (b[i] == b' ' || b[i] == b'-') && b[i + 1].is_ascii_digit() {
                    i += 1;
                    continue;
                }
                break;
            }
            // A run needs the bytes after it (what ends it, the excerpt's context).
            let settled = last || i + LOOKAHEAD <= n;
            let fresh = self.base + i as u64 > self.digits_done;
            // A run at the start of a later buffer began in bytes already dropped.
            let whole = s > 0 || self.base == 0;
            // Digits inside an identifier (`req=3d4111…0234b`, a hex id) are not a card number.
            let alone = (s == 0 || !b[s - 1].is_ascii_alphanumeric()) && (i >= n || !b[i].is_ascii_alphanumeric());
            if digits >= 13 && settled && fresh && whole && alone && (b'2'..=b'6').contains(&b[s]) {
                runs.push((s, i));
            }
        }
        let horizon = if last { self.base + n as u64 } else { (self.base + n as u64).saturating_sub(LOOKAHEAD as u64) };
        self.digits_done = self.digits_done.max(horizon);
        for (s, e) in runs {
            let text = String::from_utf8_lossy(&self.buf[s..e]).into_owned();
            let masked = crate::redact::mask_card_numbers(&text);
            if masked != text {
                let excerpt = self.excerpt(s, e, &masked);
                self.push(s, Kind::Card, excerpt);
            }
        }
    }

    /// Up to [`CONTEXT`] printable bytes of the line on each side, the hit
    /// replaced by `label`, every other secret and card number in the line
    /// masked before the cut (see [`Matcher::excerpt`]).
    fn excerpt(&self, start: usize, end: usize, label: &str) -> String {
        let b = &self.buf;
        // As far as a needle (or a partner key's rest) overlapping the context can reach.
        let reach = CONTEXT + self.m.longest() + LOOKAHEAD;
        let mut from = start.saturating_sub(reach);
        if let Some(nl) = b[from..start].iter().rposition(|&c| c == b'\n') {
            from += nl + 1;
        }
        let mut to = b.len().min(end + reach);
        if let Some(nl) = b[end.min(to)..to].iter().position(|&c| c == b'\n') {
            to = end + nl;
        }
        self.m.excerpt(&b[from..to.max(end)], start - from..end - from, label, CONTEXT)
    }
}

fn count_lines(b: &[u8]) -> u64 {
    b.iter().filter(|&&c| c == b'\n').count() as u64
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).rposition(|w| w == needle)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scan(m: &Matcher, modes: Modes, text: &[u8], chunk: usize) -> Vec<Found> {
        let mut s = Scanner::new(m, modes);
        for c in text.chunks(chunk) {
            s.feed(c);
        }
        s.finish();
        s.found
    }

    #[test]
    fn hits_across_chunk_boundaries_are_found_once_with_their_line() {
        let m = Matcher::new(&[("api_key".into(), b"key_0123456789abcdef".to_vec())], Vec::new());
        let mut text = "x\n".repeat(100_000).into_bytes();
        text.extend_from_slice(b"const k = \"key_0123456789abcdef\";\n");
        text.extend_from_slice(&"y\n".repeat(1000).into_bytes());
        for chunk in [1, 7, 4096, 1 << 20] {
            if chunk == 1 && text.len() > 300_000 {
                let small = &text[190_000..];
                let f = scan(&m, Modes::default(), small, chunk);
                assert_eq!(f.len(), 1, "chunk {chunk}");
                continue;
            }
            let f = scan(&m, Modes::default(), &text, chunk);
            assert_eq!(f.len(), 1, "chunk {chunk}: {f:?}");
            assert_eq!(f[0].line, 100_001);
            assert_eq!(f[0].excerpt, "const k = \"[api_key]\";");
        }
    }

    #[test]
    fn card_numbers_and_cvv_in_logs_masked_numbers_and_timestamps_not() {
        let m = Matcher::new(&[], Vec::new());
        let log = b"ts=1732712345678 ok id=3d4111111111111111b\npan=4111 1111 1111 1111 amount=12\ncard 411111******1111 cvv=***\n{\"cvv2\": \"123\"}\n";
        for chunk in [3, 64, 4096] {
            let mut f = scan(&m, Modes { cards: true, headers: false }, log, chunk);
            f.sort_by_key(|f| f.line);
            let kinds: Vec<(u64, &Kind)> = f.iter().map(|f| (f.line, &f.kind)).collect();
            assert_eq!(kinds, vec![(2, &Kind::Card), (4, &Kind::Cvv)], "chunk {chunk}: {f:?}");
            assert_eq!(f[0].excerpt, "pan=***1111 amount=12");
            assert!(!format!("{f:?}").contains("4111 1111 1111 1111"));
            assert!(!format!("{f:?}").contains("123"));
        }
    }

    #[test]
    fn api_key_header_literals_in_front_end_code() {
        let m = Matcher::new(&[], Vec::new());
        let js = br#"fetch(u,{headers:{"X-API-Key":"live_abcdef123456"}});
xhr.setRequestHeader('Authorization', 'ApiKey acc_1_key_xyz789_kid_1');
h["X-API-Key"] = process.env.API_KEY; h2 = {"X-API-Key": "YOUR_API_KEY"}; a = "Authorization: ApiKey ${KEY}";
"#;
        let f = scan(&m, Modes { cards: false, headers: true }, js, 16);
        assert_eq!(f.iter().map(|f| f.line).collect::<Vec<_>>(), vec![1, 2], "{f:?}");
        assert!(!format!("{f:?}").contains("live_abcdef123456"));
    }
}
