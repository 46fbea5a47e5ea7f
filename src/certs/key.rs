//! Keys: the type and size of a public key, the private key's encoding, and
//! whether a private key belongs to a certificate (by SubjectPublicKeyInfo).
//!
//! The match goes through rustls (`CertifiedKey::keys_match`, aws-lc-rs). Keys
//! aws-lc-rs refuses to load (e.g. RSA under 2048 bits) are compared by reading
//! the public half out of the private key's DER, so a small key still gets a
//! verdict and a size finding instead of "cannot load".

use std::sync::Arc;

use rustls::sign::CertifiedKey;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};
use serde::{Deserialize, Serialize};
use x509_parser::der_parser::ber::BerObject;
use x509_parser::der_parser::der::parse_der;
use x509_parser::public_key::PublicKey;
use x509_parser::x509::SubjectPublicKeyInfo;

/// The type of a public key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum KeyType {
    /// RSA (rsaEncryption or RSASSA-PSS).
    Rsa,
    /// ECDSA on a named curve.
    Ec,
    /// Ed25519.
    Ed25519,
    /// Ed448.
    Ed448,
    /// Anything else (DSA, GOST, ...).
    Other,
}

impl KeyType {
    /// The name used in messages, e.g. `RSA`.
    pub fn label(self) -> &'static str {
        match self {
            KeyType::Rsa => "RSA",
            KeyType::Ec => "EC",
            KeyType::Ed25519 => "Ed25519",
            KeyType::Ed448 => "Ed448",
            KeyType::Other => "unknown",
        }
    }
}

/// What a public key is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublicKeyFacts {
    /// Its type.
    pub key_type: KeyType,
    /// Its size in bits.
    pub bits: u32,
    /// The EC curve.
    pub curve: Option<&'static str>,
    /// The RSA modulus, without leading zero bytes.
    pub rsa_modulus: Option<Vec<u8>>,
    /// The raw public key bits (EC point, Ed25519 key), for fallback matching.
    pub raw: Vec<u8>,
}

impl PublicKeyFacts {
    /// Describes a parsed SubjectPublicKeyInfo.
    pub fn from_spki(spki: &SubjectPublicKeyInfo<'_>) -> PublicKeyFacts {
        let oid = spki.algorithm.algorithm.to_id_string();
        let raw = spki.subject_public_key.data.to_vec();
        match oid.as_str() {
            "1.2.840.113549.1.1.1" | "1.2.840.113549.1.1.10" => {
                let modulus = match spki.parsed() {
                    Ok(PublicKey::RSA(rsa)) => Some(strip_zeros(rsa.modulus).to_vec()),
                    _ => None,
                };
                let bits = modulus.as_deref().map_or(0, bit_len);
                PublicKeyFacts { key_type: KeyType::Rsa, bits, curve: None, rsa_modulus: modulus, raw }
            }
            "1.2.840.10045.2.1" => {
                let curve_oid =
                    spki.algorithm.parameters.as_ref().and_then(|p| p.as_oid().ok()).map(|o| o.to_id_string());
                let (curve, bits) = match curve_oid.as_deref() {
                    Some("1.2.840.10045.3.1.7") => (Some("P-256"), 256),
                    Some("1.3.132.0.34") => (Some("P-384"), 384),
                    Some("1.3.132.0.35") => (Some("P-521"), 521),
                    _ => (None, 0),
                };
                PublicKeyFacts { key_type: KeyType::Ec, bits, curve, rsa_modulus: None, raw }
            }
            "1.3.101.112" => {
                PublicKeyFacts { key_type: KeyType::Ed25519, bits: 256, curve: None, rsa_modulus: None, raw }
            }
            "1.3.101.113" => {
                PublicKeyFacts { key_type: KeyType::Ed448, bits: 456, curve: None, rsa_modulus: None, raw }
            }
            _ => PublicKeyFacts { key_type: KeyType::Other, bits: 0, curve: None, rsa_modulus: None, raw },
        }
    }
}

/// Whether a private key belongs to a certificate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyMatch {
    /// Same public key.
    Match,
    /// A different public key.
    Mismatch,
    /// No verdict, and why.
    Unknown(String),
}

/// What the private key file holds and whether it matches the leaf.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyReport {
    /// The PEM encoding: `PKCS#8`, `PKCS#1` or `SEC1`.
    pub format: &'static str,
    /// The key's public half, when it could be derived.
    pub public: Option<PublicKeyFacts>,
    /// The verdict.
    pub matches: KeyMatch,
}

/// Compares a private key with the leaf certificate (first of `chain`).
pub fn check_key(
    chain: &[CertificateDer<'static>],
    leaf_spki: &SubjectPublicKeyInfo<'_>,
    key: &PrivateKeyDer<'static>,
) -> KeyReport {
    let format = match key {
        PrivateKeyDer::Pkcs1(_) => "PKCS#1",
        PrivateKeyDer::Sec1(_) => "SEC1",
        PrivateKeyDer::Pkcs8(_) => "PKCS#8",
        _ => "unknown",
    };
    let leaf = PublicKeyFacts::from_spki(leaf_spki);
    match crate::net::tls::provider().key_provider.load_private_key(key.clone_key()) {
        Ok(signing) => {
            let public = signing.public_key().and_then(|spki| super::facts::spki_from_der(spki.as_ref()).ok());
            let certified = CertifiedKey::new(chain.to_vec(), Arc::clone(&signing));
            let matches = match certified.keys_match() {
                Ok(()) => KeyMatch::Match,
                Err(rustls::Error::InconsistentKeys(rustls::InconsistentKeys::KeyMismatch)) => KeyMatch::Mismatch,
                Err(_) => match signing.public_key() {
                    // rustls could not decide (e.g. it cannot parse the certificate): compare SPKI bytes.
                    Some(spki) if spki.as_ref() == leaf_spki.raw => KeyMatch::Match,
                    Some(_) => KeyMatch::Mismatch,
                    None => fallback_match(key, &leaf),
                },
            };
            KeyReport { format, public: public.or_else(|| fallback_public(key)), matches }
        }
        Err(_) => KeyReport { format, public: fallback_public(key), matches: fallback_match(key, &leaf) },
    }
}

fn fallback_match(key: &PrivateKeyDer<'static>, leaf: &PublicKeyFacts) -> KeyMatch {
    let Some(public) = fallback_public(key) else {
        return KeyMatch::Unknown("the key could not be read (not RSA, EC or Ed25519, or malformed DER)".to_string());
    };
    if public.key_type != leaf.key_type {
        return KeyMatch::Mismatch;
    }
    match (&public.rsa_modulus, &leaf.rsa_modulus) {
        (Some(a), Some(b)) => return if a == b { KeyMatch::Match } else { KeyMatch::Mismatch },
        _ if public.raw.is_empty() => {
            return KeyMatch::Unknown("the key file does not carry its public key, and golive cannot derive it".into());
        }
        _ => {}
    }
    if public.raw == leaf.raw { KeyMatch::Match } else { KeyMatch::Mismatch }
}

/// Reads the public half out of a private key's DER, without crypto.
fn fallback_public(key: &PrivateKeyDer<'static>) -> Option<PublicKeyFacts> {
    match key {
        PrivateKeyDer::Pkcs1(der) => rsa_public(der.secret_pkcs1_der()),
        PrivateKeyDer::Sec1(der) => ec_public(der.secret_sec1_der(), None),
        PrivateKeyDer::Pkcs8(der) => {
            let (_, info) = parse_der(der.secret_pkcs8_der()).ok()?;
            let items = info.as_sequence().ok()?;
            let alg = items.get(1)?.as_sequence().ok()?;
            let oid = alg.first()?.as_oid().ok()?.to_id_string();
            let inner = items.get(2)?.as_slice().ok()?;
            match oid.as_str() {
                "1.2.840.113549.1.1.1" | "1.2.840.113549.1.1.10" => rsa_public(inner),
                "1.2.840.10045.2.1" => {
                    ec_public(inner, alg.get(1).and_then(|p| p.as_oid().ok()).map(|o| o.to_id_string()))
                }
                "1.3.101.112" => {
                    // OneAsymmetricKey v2 may carry the public key as [1].
                    let raw =
                        items.iter().skip(3).find(|o| is_context(o, 1)).and_then(implicit_bits).unwrap_or_default();
                    Some(PublicKeyFacts { key_type: KeyType::Ed25519, bits: 256, curve: None, rsa_modulus: None, raw })
                }
                _ => None,
            }
        }
        _ => None,
    }
}

fn rsa_public(pkcs1: &[u8]) -> Option<PublicKeyFacts> {
    let (_, obj) = parse_der(pkcs1).ok()?;
    let items = obj.as_sequence().ok()?;
    let modulus = strip_zeros(items.get(1)?.as_slice().ok()?).to_vec();
    Some(PublicKeyFacts {
        key_type: KeyType::Rsa,
        bits: bit_len(&modulus),
        curve: None,
        rsa_modulus: Some(modulus),
        raw: Vec::new(),
    })
}

fn ec_public(sec1: &[u8], curve_oid: Option<String>) -> Option<PublicKeyFacts> {
    let (_, obj) = parse_der(sec1).ok()?;
    let items = obj.as_sequence().ok()?;
    let mut curve_oid = curve_oid;
    let mut raw = Vec::new();
    for item in items.iter().skip(2) {
        if is_context(item, 0) {
            curve_oid = curve_oid.or_else(|| context_oid(item));
        } else if is_context(item, 1) {
            raw = context_bytes(item).unwrap_or_default();
        }
    }
    let (curve, bits) = match curve_oid.as_deref() {
        Some("1.2.840.10045.3.1.7") => (Some("P-256"), 256),
        Some("1.3.132.0.34") => (Some("P-384"), 384),
        Some("1.3.132.0.35") => (Some("P-521"), 521),
        _ => (None, 0),
    };
    Some(PublicKeyFacts { key_type: KeyType::Ec, bits, curve, rsa_modulus: None, raw })
}

/// The content of a context-specific tag: the inner object of an explicit tag.
fn tagged_inner<'a>(item: &BerObject<'a>) -> Option<BerObject<'a>> {
    use x509_parser::der_parser::ber::BerObjectContent;
    match &item.content {
        BerObjectContent::Tagged(_, _, inner) => Some((**inner).clone()),
        _ => parse_der(item.as_slice().ok()?).ok().map(|(_, o)| o),
    }
}

/// The key bits of `[1] EXPLICIT BIT STRING` (SEC1 `publicKey`).
fn context_bytes(item: &BerObject<'_>) -> Option<Vec<u8>> {
    use x509_parser::der_parser::ber::BerObjectContent;
    match tagged_inner(item)?.content {
        BerObjectContent::BitString(_, data) => Some(data.data.to_vec()),
        _ => None,
    }
}

/// The key bits of `[1] IMPLICIT BIT STRING` (PKCS#8 v2 `publicKey`): the
/// content is the unused-bits count, then the bits.
fn implicit_bits(item: &BerObject<'_>) -> Option<Vec<u8>> {
    item.as_slice().ok().and_then(|c| c.get(1..)).map(<[u8]>::to_vec)
}

fn context_oid(item: &BerObject<'_>) -> Option<String> {
    tagged_inner(item)?.as_oid().ok().map(|o| o.to_id_string())
}

fn is_context(item: &BerObject<'_>, tag: u32) -> bool {
    item.header.class() == x509_parser::der_parser::ber::Class::ContextSpecific && item.header.tag().0 == tag
}

fn strip_zeros(bytes: &[u8]) -> &[u8] {
    let start = bytes.iter().position(|b| *b != 0).unwrap_or(bytes.len());
    &bytes[start..]
}

fn bit_len(unsigned: &[u8]) -> u32 {
    let bytes = strip_zeros(unsigned);
    match bytes.first() {
        Some(first) => (bytes.len() as u32 - 1) * 8 + (8 - first.leading_zeros()),
        None => 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bit_length_ignores_leading_zeros() {
        assert_eq!(bit_len(&[0x00, 0x80, 0x00]), 16);
        assert_eq!(bit_len(&[0x01, 0xff]), 9);
        assert_eq!(bit_len(&[]), 0);
    }
}
