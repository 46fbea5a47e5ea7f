//! Certificates for the fakes, made at start-up with rcgen with chosen
//! validity windows: a partner root that signs the API's server certificate,
//! a program CA that signs client certificates, and the broken variants
//! (expired, expiring soon, signed by an untrusted CA, a key that does not match).

use rcgen::{
    BasicConstraints, CertificateParams, CertifiedIssuer, DnType, ExtendedKeyUsagePurpose, IsCa, KeyPair,
    KeyUsagePurpose, RsaKeySize, SanType,
};
use time::{Duration, OffsetDateTime};

/// A certificate and its private key, both PEM.
#[derive(Clone)]
pub struct Identity {
    /// The certificate chain, leaf first.
    pub cert_pem: String,
    /// The private key (PKCS#8). Secret: never printed.
    pub key_pem: String,
}

impl std::fmt::Debug for Identity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Identity { cert_pem, key_pem: *** }")
    }
}

/// A certificate authority that can sign leaves.
pub struct Authority {
    issuer: CertifiedIssuer<'static, KeyPair>,
}

impl Authority {
    /// A self-signed CA with this common name, valid from a day ago for ten years.
    pub fn new(common_name: &str) -> Result<Authority, String> {
        let mut params = CertificateParams::new(Vec::<String>::new()).map_err(err)?;
        params.distinguished_name.push(DnType::CommonName, common_name);
        params.distinguished_name.push(DnType::OrganizationName, "golive fakes");
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params.key_usages =
            vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign, KeyUsagePurpose::DigitalSignature];
        params.not_before = OffsetDateTime::now_utc() - Duration::days(1);
        params.not_after = OffsetDateTime::now_utc() + Duration::days(3650);
        let key = KeyPair::generate().map_err(err)?;
        Ok(Authority { issuer: CertifiedIssuer::self_signed(params, key).map_err(err)? })
    }

    /// The CA certificate, PEM.
    pub fn cert_pem(&self) -> String {
        self.issuer.pem()
    }

    /// Signs a leaf. `names` are DNS names or IP addresses (as SANs); the first
    /// is also the common name.
    pub fn leaf(&self, spec: &LeafSpec<'_>) -> Result<Identity, String> {
        let mut params = CertificateParams::new(Vec::<String>::new()).map_err(err)?;
        params.distinguished_name.push(DnType::CommonName, spec.common_name);
        for name in spec.names {
            params.subject_alt_names.push(match name.parse::<std::net::IpAddr>() {
                Ok(ip) => SanType::IpAddress(ip),
                Err(_) => SanType::DnsName((*name).try_into().map_err(err)?),
            });
        }
        let now = OffsetDateTime::now_utc();
        params.not_before = now + Duration::days(spec.valid_from_days);
        params.not_after = now + Duration::days(spec.valid_until_days);
        params.key_usages = vec![KeyUsagePurpose::DigitalSignature, KeyUsagePurpose::KeyEncipherment];
        params.extended_key_usages =
            vec![if spec.client { ExtendedKeyUsagePurpose::ClientAuth } else { ExtendedKeyUsagePurpose::ServerAuth }];
        let key = if spec.rsa {
            KeyPair::generate_rsa_for(&rcgen::PKCS_RSA_SHA256, RsaKeySize::_2048).map_err(err)?
        } else {
            KeyPair::generate().map_err(err)?
        };
        let cert = params.signed_by(&key, &self.issuer).map_err(err)?;
        Ok(Identity { cert_pem: cert.pem(), key_pem: key.serialize_pem() })
    }
}

/// What a leaf certificate looks like.
#[derive(Debug, Clone)]
pub struct LeafSpec<'a> {
    /// The subject common name.
    pub common_name: &'a str,
    /// DNS names and IP addresses for the SAN extension.
    pub names: &'a [&'a str],
    /// Start of validity, in days from now (negative: in the past).
    pub valid_from_days: i64,
    /// End of validity, in days from now (negative: already expired).
    pub valid_until_days: i64,
    /// A client certificate (clientAuth) rather than a server certificate.
    pub client: bool,
    /// An RSA-2048 key instead of ECDSA P-256.
    pub rsa: bool,
}

impl<'a> LeafSpec<'a> {
    /// A client certificate valid for 90 days from yesterday, RSA-2048 like Axys issues.
    pub fn client(common_name: &'a str, names: &'a [&'a str]) -> Self {
        LeafSpec { common_name, names, valid_from_days: -1, valid_until_days: 89, client: true, rsa: true }
    }

    /// A server certificate for these names, valid for 90 days from yesterday.
    pub fn server(names: &'a [&'a str]) -> Self {
        LeafSpec {
            common_name: names.first().copied().unwrap_or("localhost"),
            names,
            valid_from_days: -1,
            valid_until_days: 89,
            client: false,
            rsa: false,
        }
    }
}

fn err(e: impl std::fmt::Display) -> String {
    format!("certificate generation failed: {e}")
}
