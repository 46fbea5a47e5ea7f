//! [`CertFacts`]: what one X.509 certificate says, parsed with x509-parser into
//! a serializable, partner-neutral record (subject, issuer, SANs, validity,
//! days left, public key, fingerprints, extended key usage).

use serde::Serialize;
use sha2::{Digest, Sha256};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;
use x509_parser::certificate::X509Certificate;
use x509_parser::extensions::GeneralName;
use x509_parser::prelude::FromDer;

use super::key::{KeyType, PublicKeyFacts};

/// What one certificate says.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CertFacts {
    /// The subject, e.g. `CN=merchant.example.com, O=Example Ltd`.
    pub subject: String,
    /// The issuer, in the same form.
    pub issuer: String,
    /// The subject's first common name, when it has one.
    pub common_name: Option<String>,
    /// Subject alternative names: DNS names and IP addresses as written,
    /// other kinds prefixed (`email:`, `URI:`).
    pub sans: Vec<String>,
    /// The serial number, lower-case hex.
    pub serial: String,
    /// Start of validity, RFC 3339.
    pub not_before: String,
    /// End of validity, RFC 3339.
    pub not_after: String,
    /// Whole days from now to `not_after` (negative once expired).
    pub days_left: i64,
    /// The public key's type.
    pub key_type: KeyType,
    /// The public key's size in bits (RSA modulus, EC curve, 256 for Ed25519).
    pub key_bits: u32,
    /// The EC curve, e.g. `P-256`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub curve: Option<String>,
    /// For RSA: the MD5 that `openssl x509 -noout -modulus -in C | openssl md5` prints.
    pub rsa_modulus_md5: Option<String>,
    /// SHA-256 of the DER SubjectPublicKeyInfo, lower-case hex.
    pub spki_sha256: String,
    /// SHA-256 of the whole certificate (its fingerprint), lower-case hex.
    pub sha256: String,
    /// Whether basic constraints make it a CA.
    pub is_ca: bool,
    /// Whether subject and issuer are the same name.
    pub self_issued: bool,
    /// Extended key usages (`serverAuth`, `clientAuth`, or an OID); `None`
    /// when the certificate has no such extension (any use allowed).
    pub extended_key_usage: Option<Vec<String>>,
    /// Validity start, for computations.
    #[serde(skip)]
    pub not_before_at: OffsetDateTime,
    /// Validity end, for computations.
    #[serde(skip)]
    pub not_after_at: OffsetDateTime,
    /// The DER SubjectPublicKeyInfo, for key matching.
    #[serde(skip)]
    pub spki_der: Vec<u8>,
    /// The DER subject name, for chain linkage.
    #[serde(skip)]
    pub subject_der: Vec<u8>,
    /// The DER issuer name, for chain linkage.
    #[serde(skip)]
    pub issuer_der: Vec<u8>,
}

impl CertFacts {
    /// Parses one DER certificate, with days left counted from now.
    pub fn from_der(der: &[u8]) -> Result<CertFacts, String> {
        Self::from_der_at(der, OffsetDateTime::now_utc())
    }

    /// Parses one DER certificate, with days left counted from `now`.
    pub fn from_der_at(der: &[u8], now: OffsetDateTime) -> Result<CertFacts, String> {
        let (rest, cert) =
            X509Certificate::from_der(der).map_err(|e| format!("is not a valid X.509 certificate ({e})"))?;
        if !rest.is_empty() {
            return Err(format!("has {} bytes after the certificate's DER", rest.len()));
        }
        let validity = cert.validity();
        let not_before_at = validity.not_before.to_datetime();
        let not_after_at = validity.not_after.to_datetime();
        let spki = cert.public_key();
        let key = PublicKeyFacts::from_spki(spki);
        Ok(CertFacts {
            subject: cert.subject().to_string(),
            issuer: cert.issuer().to_string(),
            common_name: cert.subject().iter_common_name().next().and_then(|cn| cn.as_str().ok()).map(String::from),
            sans: sans(&cert),
            serial: hex::encode(cert.raw_serial()),
            not_before: rfc3339(not_before_at),
            not_after: rfc3339(not_after_at),
            days_left: (not_after_at - now).whole_days(),
            key_type: key.key_type,
            key_bits: key.bits,
            curve: key.curve.map(String::from),
            rsa_modulus_md5: key.rsa_modulus.as_deref().map(openssl_modulus_md5),
            spki_sha256: hex::encode(Sha256::digest(spki.raw)),
            sha256: hex::encode(Sha256::digest(der)),
            is_ca: cert.is_ca(),
            self_issued: cert.subject().as_raw() == cert.issuer().as_raw(),
            extended_key_usage: extended_key_usage(&cert),
            not_before_at,
            not_after_at,
            spki_der: spki.raw.to_vec(),
            subject_der: cert.subject().as_raw().to_vec(),
            issuer_der: cert.issuer().as_raw().to_vec(),
        })
    }

    /// The names a client certificate stands for: the CN when it looks like a
    /// DNS name, then the DNS SANs (lower-case, without duplicates).
    pub fn dns_names(&self) -> Vec<String> {
        let mut names: Vec<String> = Vec::new();
        let cn = self.common_name.iter().filter(|cn| looks_like_dns_name(cn));
        for name in cn.chain(self.sans.iter().filter(|s| looks_like_dns_name(s))) {
            let lower = name.to_ascii_lowercase();
            if !names.contains(&lower) {
                names.push(lower);
            }
        }
        names
    }

    /// A short name for messages: the CN, else the subject.
    pub fn short_name(&self) -> String {
        self.common_name.clone().unwrap_or_else(|| self.subject.clone())
    }
}

/// A time as RFC 3339 (`2026-05-01T12:00:00Z`).
pub fn rfc3339(at: OffsetDateTime) -> String {
    at.format(&Rfc3339).unwrap_or_else(|_| at.to_string())
}

/// The MD5 that `openssl x509 -noout -modulus -in C | openssl md5` prints:
/// openssl prints `Modulus=` and the modulus in upper-case hex without leading
/// zeros (BN_print), then a newline, and md5 hashes that whole line.
pub fn openssl_modulus_md5(modulus: &[u8]) -> String {
    use md5::Digest as _;
    let hex = hex::encode_upper(modulus);
    let digits = hex.trim_start_matches('0');
    let line = format!("Modulus={}\n", if digits.is_empty() { "0" } else { digits });
    hex::encode(md5::Md5::digest(line.as_bytes()))
}

fn looks_like_dns_name(name: &str) -> bool {
    name.contains('.')
        && !name.contains(' ')
        && name.parse::<std::net::IpAddr>().is_err()
        && name.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '*' | '_'))
}

fn sans(cert: &X509Certificate<'_>) -> Vec<String> {
    let Ok(Some(ext)) = cert.subject_alternative_name() else {
        return Vec::new();
    };
    ext.value
        .general_names
        .iter()
        .map(|name| match name {
            GeneralName::DNSName(dns) => dns.to_string(),
            GeneralName::IPAddress(bytes) => match bytes.len() {
                4 => <[u8; 4]>::try_from(*bytes).map(|b| std::net::IpAddr::from(b).to_string()).unwrap_or_default(),
                16 => <[u8; 16]>::try_from(*bytes).map(|b| std::net::IpAddr::from(b).to_string()).unwrap_or_default(),
                _ => format!("IP:{}", hex::encode(bytes)),
            },
            GeneralName::RFC822Name(mail) => format!("email:{mail}"),
            GeneralName::URI(uri) => format!("URI:{uri}"),
            other => format!("{other:?}"),
        })
        .collect()
}

fn extended_key_usage(cert: &X509Certificate<'_>) -> Option<Vec<String>> {
    let ext = cert.extended_key_usage().ok()??;
    let eku = ext.value;
    let mut out = Vec::new();
    for (on, name) in [
        (eku.any, "any"),
        (eku.server_auth, "serverAuth"),
        (eku.client_auth, "clientAuth"),
        (eku.code_signing, "codeSigning"),
        (eku.email_protection, "emailProtection"),
        (eku.time_stamping, "timeStamping"),
        (eku.ocsp_signing, "OCSPSigning"),
    ] {
        if on {
            out.push(name.to_string());
        }
    }
    out.extend(eku.other.iter().map(|oid| oid.to_id_string()));
    Some(out)
}

/// Parses a DER SubjectPublicKeyInfo alone (e.g. a private key's public half).
pub fn spki_from_der(der: &[u8]) -> Result<PublicKeyFacts, String> {
    let (_, spki) = x509_parser::x509::SubjectPublicKeyInfo::from_der(der)
        .map_err(|e| format!("the public key is not a valid SubjectPublicKeyInfo ({e})"))?;
    Ok(PublicKeyFacts::from_spki(&spki))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn modulus_md5_hashes_the_openssl_line() {
        // `printf 'Modulus=AB01\n' | openssl md5`
        assert_eq!(openssl_modulus_md5(&[0x00, 0xab, 0x01]), openssl_modulus_md5(&[0xab, 0x01]));
        use md5::Digest as _;
        assert_eq!(openssl_modulus_md5(&[0xab, 0x01]), hex::encode(md5::Md5::digest(b"Modulus=AB01\n")));
    }

    #[test]
    fn dns_names_skip_a_company_name_cn() {
        assert!(!looks_like_dns_name("Example Merchant Ltd"));
        assert!(looks_like_dns_name("api.merchant.example"));
        assert!(!looks_like_dns_name("203.0.113.10"));
    }
}
