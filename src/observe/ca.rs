//! The front's TLS identity: a certificate authority made for this run alone
//! (rcgen), and a server certificate it signs for `127.0.0.1`, `::1` and
//! `localhost`. The command trusts the CA through the file named in
//! `GOLIVE_PROXY_CA`; the CA's key never leaves memory and dies with the run.

use std::sync::Arc;

use rcgen::{
    BasicConstraints, CertificateParams, CertifiedIssuer, DnType, ExtendedKeyUsagePurpose, IsCa, KeyPair,
    KeyUsagePurpose, SanType,
};
use rustls::ServerConfig;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use time::{Duration, OffsetDateTime};

/// The front's CA (PEM, for the command to trust) and its TLS server configuration.
pub struct FrontIdentity {
    /// The CA certificate, PEM.
    pub ca_pem: String,
    /// The server configuration: the signed leaf, HTTP/1.1.
    pub server: Arc<ServerConfig>,
}

fn err(e: impl std::fmt::Display) -> String {
    format!("cannot make the front's certificate: {e}")
}

/// Makes a CA and a loopback server certificate valid from an hour ago for a week.
pub fn make() -> Result<FrontIdentity, String> {
    let now = OffsetDateTime::now_utc();
    let mut ca = CertificateParams::new(Vec::<String>::new()).map_err(err)?;
    ca.distinguished_name.push(DnType::CommonName, "golive observe front CA (this run only)");
    ca.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
    ca.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::DigitalSignature];
    ca.not_before = now - Duration::hours(1);
    ca.not_after = now + Duration::days(7);
    let issuer = CertifiedIssuer::self_signed(ca, KeyPair::generate().map_err(err)?).map_err(err)?;
    let mut leaf = CertificateParams::new(Vec::<String>::new()).map_err(err)?;
    leaf.distinguished_name.push(DnType::CommonName, "127.0.0.1");
    leaf.subject_alt_names = vec![
        SanType::IpAddress(std::net::Ipv4Addr::LOCALHOST.into()),
        SanType::IpAddress(std::net::Ipv6Addr::LOCALHOST.into()),
        SanType::DnsName("localhost".try_into().map_err(err)?),
    ];
    leaf.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    leaf.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    leaf.not_before = now - Duration::hours(1);
    leaf.not_after = now + Duration::days(7);
    let key = KeyPair::generate().map_err(err)?;
    let cert = leaf.signed_by(&key, &issuer).map_err(err)?;
    let chain = vec![CertificateDer::from(cert.der().to_vec()), CertificateDer::from(issuer.der().to_vec())];
    let private = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der()));
    let mut server = ServerConfig::builder_with_provider(crate::net::tls::provider())
        .with_safe_default_protocol_versions()
        .map_err(err)?
        .with_no_client_auth()
        .with_single_cert(chain, private)
        .map_err(err)?;
    server.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(FrontIdentity { ca_pem: issuer.pem(), server: Arc::new(server) })
}
