//! Certificates made at test time with rcgen: CAs, leaves with chosen key
//! types and validity windows, and the key encodings (PKCS#8, PKCS#1, SEC1)
//! converted from rcgen's PKCS#8 by hand, so no tool is needed.

use std::path::{Path, PathBuf};

use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair, KeyUsagePurpose,
    PKCS_ECDSA_P256_SHA256, PKCS_ED25519, PKCS_RSA_SHA256,
};
use time::{Duration, OffsetDateTime};

/// A key algorithm.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Alg {
    Rsa,
    EcP256,
    Ed25519,
}

/// A private key PEM encoding.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Enc {
    Pkcs8,
    Pkcs1,
    Sec1,
}

pub fn key(alg: Alg) -> KeyPair {
    let alg = match alg {
        Alg::Rsa => &PKCS_RSA_SHA256,
        Alg::EcP256 => &PKCS_ECDSA_P256_SHA256,
        Alg::Ed25519 => &PKCS_ED25519,
    };
    KeyPair::generate_for(alg).expect("rcgen generates the key")
}

/// A certificate authority: its parameters, key and PEM.
pub struct Ca {
    pub params: CertificateParams,
    pub key: KeyPair,
    pub pem: String,
}

impl Ca {
    /// A self-signed root.
    pub fn root(name: &str) -> Ca {
        Self::root_valid(name, -1, 365)
    }

    /// A self-signed root valid from `from` to `to` days from now.
    pub fn root_valid(name: &str, from: i64, to: i64) -> Ca {
        let params = ca_params(name, from, to);
        let key = key(Alg::EcP256);
        let pem = params.self_signed(&key).expect("root signs").pem();
        Ca { params, key, pem }
    }

    /// An intermediate signed by `self`, valid from `from` to `to` days from now.
    pub fn intermediate(&self, name: &str, from: i64, to: i64) -> Ca {
        let params = ca_params(name, from, to);
        let key = key(Alg::EcP256);
        let pem = params.signed_by(&key, &Issuer::from_params(&self.params, &self.key)).expect("signs").pem();
        Ca { params, key, pem }
    }

    /// A leaf for `names` with `key`, signed by this CA.
    pub fn leaf(&self, key: &KeyPair, spec: &LeafSpec) -> String {
        let mut params = CertificateParams::new(spec.sans.clone()).expect("valid names");
        params.distinguished_name.push(DnType::CommonName, spec.cn.clone());
        params.not_before = days(spec.from);
        params.not_after = days(spec.to);
        params.extended_key_usages = spec.eku.clone();
        params.signed_by(key, &Issuer::from_params(&self.params, &self.key)).expect("leaf signs").pem()
    }
}

/// What a leaf says.
#[derive(Debug, Clone)]
pub struct LeafSpec {
    pub cn: String,
    pub sans: Vec<String>,
    /// Days from now.
    pub from: i64,
    /// Days from now.
    pub to: i64,
    pub eku: Vec<ExtendedKeyUsagePurpose>,
}

impl Default for LeafSpec {
    fn default() -> Self {
        LeafSpec {
            cn: "api.merchant.example".into(),
            sans: vec!["api.merchant.example".into()],
            from: -1,
            to: 90,
            eku: vec![ExtendedKeyUsagePurpose::ClientAuth],
        }
    }
}

fn ca_params(name: &str, from: i64, to: i64) -> CertificateParams {
    let mut params = CertificateParams::new(Vec::<String>::new()).expect("params");
    params.distinguished_name.push(DnType::CommonName, name);
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign, KeyUsagePurpose::DigitalSignature];
    params.not_before = days(from);
    params.not_after = days(to);
    params
}

fn days(n: i64) -> OffsetDateTime {
    // Whole seconds: certificates carry no sub-second times.
    let now = OffsetDateTime::now_utc().replace_nanosecond(0).expect("valid");
    now + Duration::days(n)
}

/// The PEM of `key` in encoding `enc`.
pub fn key_pem(key: &KeyPair, enc: Enc) -> String {
    let pkcs8 = key.serialize_der();
    match enc {
        Enc::Pkcs8 => pem("PRIVATE KEY", &pkcs8),
        Enc::Pkcs1 => pem("RSA PRIVATE KEY", pkcs8_inner(&pkcs8)),
        Enc::Sec1 => pem("EC PRIVATE KEY", &sec1_with_curve(pkcs8_inner(&pkcs8))),
    }
}

pub fn pem(label: &str, der: &[u8]) -> String {
    use base64::Engine;
    let b64 = base64::engine::general_purpose::STANDARD.encode(der);
    let lines: Vec<&str> =
        b64.as_bytes().chunks(64).map(|c| std::str::from_utf8(c).expect("base64 is ASCII")).collect();
    format!("-----BEGIN {label}-----\n{}\n-----END {label}-----\n", lines.join("\n"))
}

/// Splits DER content into its top-level TLVs (short and long lengths).
fn tlvs(mut bytes: &[u8]) -> Vec<&[u8]> {
    let mut out = Vec::new();
    while !bytes.is_empty() {
        let (header, len) = match bytes[1] {
            n if n < 0x80 => (2, n as usize),
            0x81 => (3, bytes[2] as usize),
            0x82 => (4, (bytes[2] as usize) << 8 | bytes[3] as usize),
            other => panic!("unexpected DER length byte {other:#x}"),
        };
        out.push(&bytes[..header + len]);
        bytes = &bytes[header + len..];
    }
    out
}

/// The value of a TLV.
fn value(tlv: &[u8]) -> &[u8] {
    let header = match tlv[1] {
        n if n < 0x80 => 2,
        0x81 => 3,
        _ => 4,
    };
    &tlv[header..]
}

fn wrap(tag: u8, content: &[u8]) -> Vec<u8> {
    let mut out = vec![tag];
    match content.len() {
        n if n < 0x80 => out.push(n as u8),
        n if n < 0x100 => out.extend([0x81, n as u8]),
        n => out.extend([0x82, (n >> 8) as u8, n as u8]),
    }
    out.extend_from_slice(content);
    out
}

/// The privateKey OCTET STRING of a PKCS#8 PrivateKeyInfo: PKCS#1 for RSA, SEC1 for EC.
fn pkcs8_inner(pkcs8: &[u8]) -> &[u8] {
    let outer = tlvs(pkcs8);
    value(tlvs(value(outer[0]))[2])
}

/// A SEC1 ECPrivateKey as openssl writes it: with the curve as `[0]` (P-256).
fn sec1_with_curve(sec1: &[u8]) -> Vec<u8> {
    let items = tlvs(value(tlvs(sec1)[0]));
    let p256 = [0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07];
    let mut content = Vec::new();
    content.extend_from_slice(items[0]);
    content.extend_from_slice(items[1]);
    content.extend(wrap(0xa0, &p256));
    for item in &items[2..] {
        if item[0] != 0xa0 {
            content.extend_from_slice(item);
        }
    }
    wrap(0x30, &content)
}

/// Writes `text` to `dir/name` and returns the path.
pub fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).expect("writes the test file");
    path
}
