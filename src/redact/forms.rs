//! The encodings a secret takes in the wild, for the redactor and the
//! exposure scan alike: raw, base64 at each of the three alignments (so a
//! secret inside `user:password` encoded for Basic auth is found too, and the
//! URL-safe alphabet), percent-encoded (upper and lower case) and JSON-escaped
//! (with and without `\/`).

use base64::Engine;

/// Encoded forms shorter than this are dropped (a base64 stretch of a short
/// secret at an odd alignment is too common to mean anything).
pub const MIN_FORM_LEN: usize = 10;

/// The label of a form found by its base64 encoding.
pub const BASE64: &str = "base64";

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
        add(BASE64, b64);
        add(BASE64, url_safe);
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
pub fn base64_stretches(value: &[u8]) -> Vec<Vec<u8>> {
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
pub fn percent(value: &[u8], upper: bool) -> Vec<u8> {
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
pub fn json_escaped(value: &[u8], slash: bool) -> Vec<u8> {
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

    #[test]
    fn every_alignment_of_base64_and_both_escapes() {
        let f = forms(b"s3cr3t/Value+with \"quotes\"");
        let labels: Vec<&str> = f.iter().map(|(l, _)| *l).collect();
        assert_eq!(labels.iter().filter(|l| **l == BASE64).count(), 3, "3 alignments: {labels:?}");
        // The URL-safe alphabet differs where the standard one has `+` or `/`.
        let slashy = forms(b"\xfb\xff\xbf-canary-value");
        assert!(slashy.iter().any(|(l, b)| *l == BASE64 && b.contains(&b'_')), "{slashy:?}");
        assert!(f.iter().any(|(_, b)| b == b"s3cr3t%2FValue%2Bwith%20%22quotes%22"));
        assert!(f.iter().any(|(_, b)| b == b"s3cr3t\\/Value+with \\\"quotes\\\""));
        // A short secret keeps its raw form only.
        assert_eq!(forms(b"abcd").len(), 1);
    }
}
