//! Signing: the HMAC key from a secret, the MAC of a delivery, and the headers
//! to send. The probe's forgeries are built from these same functions.

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use hmac::{Hmac, Mac};
use secrecy::{ExposeSecret, SecretSlice, SecretString};
use sha2::{Sha256, Sha512};

use crate::config::scheme::{Algorithm, Encoding, Layout, Scheme, SecretFormat};

/// An HMAC key; never printed (its `Debug` shows only the length).
#[derive(Clone)]
pub struct Key(SecretSlice<u8>);

impl std::fmt::Debug for Key {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Key({} bytes)", self.0.expose_secret().len())
    }
}

impl Key {
    /// The key a scheme derives from a secret. Errors never contain the secret.
    pub fn from_secret(scheme: &Scheme, secret: &SecretString) -> Result<Key, String> {
        let text = secret.expose_secret();
        let bytes = match scheme.secret_format {
            SecretFormat::Raw => text.as_bytes().to_vec(),
            SecretFormat::Whsec => BASE64.decode(text.strip_prefix("whsec_").unwrap_or(text)).map_err(|_| {
                format!("the {} secret is not `whsec_` followed by base64 (the value is not shown)", scheme.name)
            })?,
            SecretFormat::Base64 => BASE64
                .decode(text)
                .map_err(|_| format!("the {} secret is not base64 (the value is not shown)", scheme.name))?,
        };
        if bytes.is_empty() {
            return Err(format!("the {} secret gives an empty key", scheme.name));
        }
        Ok(Key(bytes.into()))
    }

    /// A random 32-byte key, for the "wrong secret" forgery.
    pub fn random() -> Result<Key, String> {
        let mut bytes = vec![0u8; 32];
        getrandom::fill(&mut bytes).map_err(|e| format!("no randomness for a key: {e}"))?;
        Ok(Key(bytes.into()))
    }

    /// A key from raw bytes (tests and RFC 4231 vectors).
    pub fn from_bytes(bytes: &[u8]) -> Key {
        Key(bytes.to_vec().into())
    }

    fn bytes(&self) -> &[u8] {
        self.0.expose_secret()
    }
}

/// HMAC of `content` with `key`.
pub fn mac(algorithm: Algorithm, key: &Key, content: &[u8]) -> Vec<u8> {
    match algorithm {
        Algorithm::Sha256 => match Hmac::<Sha256>::new_from_slice(key.bytes()) {
            Ok(mut m) => {
                m.update(content);
                m.finalize().into_bytes().to_vec()
            }
            // HMAC takes keys of any length; this arm exists only because the trait is fallible.
            Err(_) => Vec::new(),
        },
        Algorithm::Sha512 => match Hmac::<Sha512>::new_from_slice(key.bytes()) {
            Ok(mut m) => {
                m.update(content);
                m.finalize().into_bytes().to_vec()
            }
            Err(_) => Vec::new(),
        },
    }
}

/// Whether `candidate` is the HMAC of `content`, compared in constant time.
pub fn mac_matches(algorithm: Algorithm, key: &Key, content: &[u8], candidate: &[u8]) -> bool {
    match algorithm {
        Algorithm::Sha256 => Hmac::<Sha256>::new_from_slice(key.bytes()).is_ok_and(|mut m| {
            m.update(content);
            m.verify_slice(candidate).is_ok()
        }),
        Algorithm::Sha512 => Hmac::<Sha512>::new_from_slice(key.bytes()).is_ok_and(|mut m| {
            m.update(content);
            m.verify_slice(candidate).is_ok()
        }),
    }
}

/// Encodes MAC bytes for a header.
pub fn encode(encoding: Encoding, bytes: &[u8]) -> String {
    match encoding {
        Encoding::Hex => hex::encode(bytes),
        Encoding::Base64 => BASE64.encode(bytes),
    }
}

/// Decodes MAC bytes from a header; `None` when the text is not in that encoding.
pub fn decode(encoding: Encoding, text: &str) -> Option<Vec<u8>> {
    match encoding {
        Encoding::Hex => hex::decode(text).ok(),
        Encoding::Base64 => BASE64.decode(text).ok(),
    }
}

/// What identifies one delivery besides its body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stamp {
    /// The delivery id (sent when the scheme has an id header).
    pub id: String,
    /// Unix seconds (sent when the scheme has a timestamp).
    pub timestamp: i64,
}

/// The signature header's value for a delivery.
pub fn signature_value(scheme: &Scheme, key: &Key, stamp: &Stamp, body: &[u8]) -> String {
    let content = scheme.signed_content(&stamp.id, stamp.timestamp, body);
    let mac = mac(scheme.algorithm, key, &content);
    match scheme.layout {
        Layout::Single | Layout::List => format!("{}{}", scheme.prefix, encode(scheme.encoding, &mac)),
        Layout::Stripe => format!("t={},v1={}", stamp.timestamp, hex::encode(mac)),
    }
}

/// Every header to send with a delivery, id and timestamp first, signature last.
pub fn headers(scheme: &Scheme, key: &Key, stamp: &Stamp, body: &[u8]) -> Vec<(String, String)> {
    let mut out = Vec::with_capacity(3);
    if let Some(h) = &scheme.id_header {
        out.push((h.clone(), stamp.id.clone()));
    }
    if let Some(h) = &scheme.timestamp_header {
        out.push((h.clone(), stamp.timestamp.to_string()));
    }
    out.push((scheme.header.clone(), signature_value(scheme, key, stamp, body)));
    out
}

/// A signature header value that is not a signature in this scheme's format.
pub fn malformed_value(scheme: &Scheme) -> String {
    match scheme.layout {
        Layout::Single => format!("{}%%not-a-signature%%", scheme.prefix),
        Layout::List => format!("{}%%not-base64%%", scheme.prefix),
        Layout::Stripe => "t=not-a-time,v1=zz".to_string(),
    }
}

/// The current time in Unix seconds.
pub fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}

/// A fresh random delivery id, e.g. `msg_golive_3f9a...`.
pub fn random_id() -> String {
    let mut bytes = [0u8; 12];
    // Without randomness the id falls back to the clock: still unique enough for a probe run.
    if getrandom::fill(&mut bytes).is_err() {
        let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_nanos());
        bytes.copy_from_slice(&nanos.to_le_bytes()[..12]);
    }
    format!("msg_golive_{}", hex::encode(bytes))
}
