//! The demo's client certificate, as far as FCrDNS needs it: a self-signed
//! leaf whose CN and SAN name the demo domain, written as PEM.
//!
//! Kept apart on purpose: the full certificate fakes (program CA, chosen
//! validity windows, keys) replace this file; only [`write_demo_client_cert`]
//! is used elsewhere.

use std::path::{Path, PathBuf};

use rcgen::{CertificateParams, DistinguishedName, DnType, KeyPair};

/// Writes `client.crt` (PEM, 0600) in `dir` naming `domain` in CN and SAN and
/// returns its path. The key is not written: FCrDNS only reads the names.
pub fn write_demo_client_cert(dir: &Path, domain: &str) -> Result<PathBuf, String> {
    let key = KeyPair::generate().map_err(|e| format!("cannot generate the demo certificate key: {e}"))?;
    let mut params = CertificateParams::new(vec![domain.to_string()])
        .map_err(|e| format!("cannot make the demo certificate for {domain}: {e}"))?;
    let mut dn = DistinguishedName::new();
    dn.push(DnType::CommonName, domain);
    dn.push(DnType::OrganizationName, "golive demo merchant");
    params.distinguished_name = dn;
    let cert = params.self_signed(&key).map_err(|e| format!("cannot sign the demo certificate: {e}"))?;
    let path = dir.join("client.crt");
    super::write_private(&path, cert.pem().as_bytes())?;
    Ok(path)
}
