//! Verification: what a correct receiver does with a delivery. Used by
//! `golive webhook verify` and by the fake merchant receiver.
//!
//! MACs are compared in constant time ([`super::sign::mac_matches`]); the
//! reasons a delivery is rejected never contain the secret or the expected MAC.

use http::HeaderMap;

use super::sign::{Key, decode, mac_matches};
use crate::config::scheme::{Layout, Scheme};

/// Why a delivery is not valid.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Rejection {
    /// A header the scheme needs is absent.
    MissingHeader(String),
    /// A header is present but not in the scheme's format.
    Malformed {
        /// The header.
        header: String,
        /// What is wrong with it.
        why: String,
    },
    /// No signature in the header matches the body.
    Mismatch,
    /// The timestamp is older than the tolerance allows.
    TooOld {
        /// How old it is, in seconds.
        age: i64,
        /// The tolerance, in seconds.
        tolerance: u64,
    },
    /// The timestamp is further in the future than the tolerance allows.
    TooNew {
        /// How far ahead it is, in seconds.
        ahead: i64,
        /// The tolerance, in seconds.
        tolerance: u64,
    },
}

impl std::fmt::Display for Rejection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Rejection::MissingHeader(h) => write!(f, "the `{h}` header is missing"),
            Rejection::Malformed { header, why } => write!(f, "the `{header}` header is malformed: {why}"),
            Rejection::Mismatch => {
                write!(f, "the signature does not match the body (wrong secret, or the body was changed)")
            }
            Rejection::TooOld { age, tolerance } => {
                write!(f, "the timestamp is {age} s old, beyond the tolerance of {tolerance} s")
            }
            Rejection::TooNew { ahead, tolerance } => {
                write!(f, "the timestamp is {ahead} s in the future, beyond the tolerance of {tolerance} s")
            }
        }
    }
}

/// A valid delivery's id and timestamp, as the headers gave them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verified {
    /// The delivery id, when the scheme has one.
    pub id: Option<String>,
    /// The timestamp, when the scheme has one.
    pub timestamp: Option<i64>,
}

fn header<'a>(headers: &'a HeaderMap, name: &str) -> Result<&'a str, Rejection> {
    let value = headers.get(name).ok_or_else(|| Rejection::MissingHeader(name.to_string()))?;
    value
        .to_str()
        .map(str::trim)
        .map_err(|_| Rejection::Malformed { header: name.to_string(), why: "not visible ASCII".to_string() })
}

fn malformed(header: &str, why: impl Into<String>) -> Rejection {
    Rejection::Malformed { header: header.to_string(), why: why.into() }
}

fn parse_timestamp(header: &str, text: &str) -> Result<i64, Rejection> {
    text.parse::<i64>().map_err(|_| malformed(header, format!("`{text}` is not a Unix timestamp in seconds")))
}

/// The timestamp and candidate MACs the signature header carries.
fn candidates(scheme: &Scheme, value: &str) -> Result<(Option<i64>, Vec<Vec<u8>>), Rejection> {
    let name = scheme.header.as_str();
    match scheme.layout {
        Layout::Single => {
            let rest = value
                .strip_prefix(scheme.prefix.as_str())
                .ok_or_else(|| malformed(name, format!("it does not start with `{}`", scheme.prefix)))?;
            let mac = decode(scheme.encoding, rest)
                .ok_or_else(|| malformed(name, format!("the signature is not {:?}", scheme.encoding)))?;
            Ok((None, vec![mac]))
        }
        Layout::List => {
            let macs: Vec<Vec<u8>> = value
                .split_whitespace()
                .filter_map(|item| item.strip_prefix(scheme.prefix.as_str()))
                .filter_map(|sig| decode(scheme.encoding, sig))
                .collect();
            if macs.is_empty() {
                return Err(malformed(name, format!("no `{}<signature>` entry in it", scheme.prefix)));
            }
            Ok((None, macs))
        }
        Layout::Stripe => {
            let mut timestamp = None;
            let mut macs = Vec::new();
            for item in value.split(',') {
                match item.trim().split_once('=') {
                    Some(("t", t)) => timestamp = Some(parse_timestamp(name, t)?),
                    Some(("v1", sig)) => macs.extend(decode(scheme.encoding, sig)),
                    _ => {}
                }
            }
            let t = timestamp.ok_or_else(|| malformed(name, "no `t=<timestamp>` in it"))?;
            if macs.is_empty() {
                return Err(malformed(name, "no `v1=<hex>` signature in it"));
            }
            Ok((Some(t), macs))
        }
    }
}

/// Verifies a delivery as a correct receiver would at Unix time `now`.
pub fn verify(scheme: &Scheme, key: &Key, headers: &HeaderMap, body: &[u8], now: i64) -> Result<Verified, Rejection> {
    let value = header(headers, &scheme.header)?;
    let id = match &scheme.id_header {
        Some(h) => Some(header(headers, h)?.to_string()),
        None => None,
    };
    let (in_header, macs) = candidates(scheme, value)?;
    let timestamp = match (&scheme.timestamp_header, in_header) {
        (_, Some(t)) => Some(t),
        (Some(h), None) => Some(parse_timestamp(h, header(headers, h)?)?),
        (None, None) => None,
    };
    let content = scheme.signed_content(id.as_deref().unwrap_or(""), timestamp.unwrap_or(0), body);
    if !macs.iter().any(|m| mac_matches(scheme.algorithm, key, &content, m)) {
        return Err(Rejection::Mismatch);
    }
    if let (Some(t), Some(tolerance)) = (timestamp, scheme.tolerance) {
        let tolerance = tolerance.as_secs();
        let limit = i64::try_from(tolerance).unwrap_or(i64::MAX);
        let age = now.saturating_sub(t);
        if age > limit {
            return Err(Rejection::TooOld { age, tolerance });
        }
        if scheme.reject_future && -age > limit {
            return Err(Rejection::TooNew { ahead: -age, tolerance });
        }
    }
    Ok(Verified { id, timestamp })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::webhook::sign::{Stamp, headers as sign_headers};

    fn map(pairs: &[(String, String)]) -> HeaderMap {
        let mut m = HeaderMap::new();
        for (k, v) in pairs {
            m.insert(http::HeaderName::from_bytes(k.as_bytes()).unwrap(), v.parse().unwrap());
        }
        m
    }

    #[test]
    fn every_preset_round_trips_and_rejects_a_changed_body() {
        for name in crate::config::scheme::PRESETS {
            let scheme = Scheme::preset(name).unwrap();
            let key = Key::from_bytes(b"0123456789abcdef");
            let stamp = Stamp { id: "msg_1".into(), timestamp: 1_700_000_000 };
            let h = map(&sign_headers(&scheme, &key, &stamp, b"{\"a\":1}"));
            assert!(verify(&scheme, &key, &h, b"{\"a\":1}", 1_700_000_010).is_ok(), "{name}");
            assert_eq!(verify(&scheme, &key, &h, b"{\"a\":2}", 1_700_000_010), Err(Rejection::Mismatch), "{name}");
        }
    }

    #[test]
    fn stripe_accepts_future_timestamps_standard_webhooks_does_not() {
        let key = Key::from_bytes(b"k3y-k3y-k3y");
        let stamp = Stamp { id: "msg_1".into(), timestamp: 2_000 };
        for (name, accepted) in [("stripe", true), ("standard-webhooks", false)] {
            let scheme = Scheme::preset(name).unwrap();
            let h = map(&sign_headers(&scheme, &key, &stamp, b"x"));
            assert_eq!(verify(&scheme, &key, &h, b"x", 1_000).is_ok(), accepted, "{name}");
            let old = verify(&scheme, &key, &h, b"x", 3_000);
            assert_eq!(old, Err(Rejection::TooOld { age: 1000, tolerance: 300 }), "{name}");
        }
    }
}
