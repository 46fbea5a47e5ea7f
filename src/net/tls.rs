//! TLS building blocks shared by every probe: PEM loading, the crypto provider
//! and the client configuration (roots from `ca_bundle` or the platform, and the
//! client identity when the environment has one).

use std::path::Path;
use std::sync::Arc;

use rustls::ClientConfig;
use rustls::client::WebPkiServerVerifier;
use rustls::client::danger::ServerCertVerifier;
use rustls::crypto::CryptoProvider;
use rustls::sign::CertifiedKey;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};

use crate::config::Environment;

mod pem;

pub use pem::{PemBlock, parse as parse_pem};

/// Files larger than this are not read as PEM: no certificate chain is that big.
pub const MAX_PEM_BYTES: u64 = 1024 * 1024;

/// The one crypto provider golive uses (aws-lc-rs).
pub fn provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::aws_lc_rs::default_provider())
}

/// Why a PEM file could not be used: the message names the file and what to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PemError {
    /// The file could not be read at all (missing, a directory, no permission),
    /// as opposed to read but wrong.
    pub unreadable: bool,
    /// The whole message, file name included.
    pub message: String,
}

impl PemError {
    fn unreadable(message: String) -> Self {
        PemError { unreadable: true, message }
    }

    fn content(message: String) -> Self {
        PemError { unreadable: false, message }
    }
}

impl std::fmt::Display for PemError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl From<PemError> for String {
    fn from(e: PemError) -> String {
        e.message
    }
}

fn read_bounded(path: &Path, what: &str) -> Result<Vec<u8>, PemError> {
    let reason = |e: std::io::Error| {
        PemError::unreadable(format!("cannot read {what} {}: {}", path.display(), crate::config::error::io_reason(&e)))
    };
    let meta = std::fs::metadata(path).map_err(reason)?;
    if meta.is_dir() {
        return Err(PemError::unreadable(format!("{what} {} is a directory, not a PEM file", path.display())));
    }
    if meta.len() > MAX_PEM_BYTES {
        return Err(PemError::content(format!(
            "{what} {} is {} bytes: too large to be a PEM file (at most {MAX_PEM_BYTES} bytes)",
            path.display(),
            meta.len()
        )));
    }
    // Checked again as it is read: a FIFO or `/dev/zero` has no size to check first.
    crate::files::read_regular(path, MAX_PEM_BYTES).map_err(reason)
}

/// Loads every certificate of a PEM file, leaf first.
pub fn load_certs(path: &Path) -> Result<Vec<CertificateDer<'static>>, String> {
    Ok(parse_certs(path)?)
}

/// Loads the private key of a PEM file (PKCS#1, PKCS#8 or SEC1).
pub fn load_key(path: &Path) -> Result<PrivateKeyDer<'static>, String> {
    Ok(parse_key(path)?)
}

/// Loads every certificate of a PEM file, leaf first, with a typed error.
pub fn parse_certs(path: &Path) -> Result<Vec<CertificateDer<'static>>, PemError> {
    let what = "certificate file";
    let blocks = pem::read_blocks(path, what)?;
    let certs: Vec<CertificateDer<'static>> = blocks
        .iter()
        .filter(|b| b.label == "CERTIFICATE" || b.label == "X509 CERTIFICATE")
        .map(|b| CertificateDer::from(b.der.clone()))
        .collect();
    if !certs.is_empty() {
        return Ok(certs);
    }
    let name = path.display();
    let labels: Vec<&str> = blocks.iter().map(|b| b.label.as_str()).collect();
    Err(PemError::content(match labels.iter().find(|l| l.contains("PRIVATE KEY")) {
        Some(label) => format!(
            "certificate file {name} holds a {label}, not a certificate: are the certificate and key paths swapped?"
        ),
        None if labels.contains(&"CERTIFICATE REQUEST") || labels.contains(&"NEW CERTIFICATE REQUEST") => format!(
            "certificate file {name} holds a certificate request (CSR), not a certificate: use the signed certificate the CA returned for it"
        ),
        None => format!(
            "certificate file {name} holds no CERTIFICATE block (it has: {}); point it at the PEM certificate chain",
            labels.join(", ")
        ),
    }))
}

/// Loads the one private key of a PEM file (PKCS#1, PKCS#8 or SEC1), with a typed error.
pub fn parse_key(path: &Path) -> Result<PrivateKeyDer<'static>, PemError> {
    let what = "key file";
    let blocks = pem::read_blocks(path, what)?;
    let name = path.display();
    if blocks.iter().any(|b| b.label == "ENCRYPTED PRIVATE KEY" || b.encrypted) {
        return Err(PemError::content(format!(
            "key file {name} is encrypted with a passphrase, which golive does not take; decrypt it with `openssl pkey -in {name} -out program.key` (you will be asked for the passphrase), keep the result in your secrets store with mode 0600 and point client_key at it"
        )));
    }
    let mut keys = Vec::new();
    for b in &blocks {
        let key = match b.label.as_str() {
            "PRIVATE KEY" => PrivateKeyDer::Pkcs8(b.der.clone().into()),
            "RSA PRIVATE KEY" => PrivateKeyDer::Pkcs1(b.der.clone().into()),
            "EC PRIVATE KEY" => PrivateKeyDer::Sec1(b.der.clone().into()),
            _ => continue,
        };
        keys.push(key);
    }
    match keys.len() {
        1 => Ok(keys.remove(0)),
        0 => {
            let labels: Vec<&str> = blocks.iter().map(|b| b.label.as_str()).collect();
            Err(PemError::content(if labels.contains(&"CERTIFICATE") {
                format!(
                    "key file {name} holds a certificate, not a private key: are the certificate and key paths swapped?"
                )
            } else if labels.contains(&"OPENSSH PRIVATE KEY") {
                format!(
                    "key file {name} is an OpenSSH key, not a PEM private key: use the key the certificate request (CSR) was made with"
                )
            } else {
                format!(
                    "key file {name} holds no private key (it has: {}); PKCS#1, PKCS#8 or SEC1 PEM expected",
                    labels.join(", ")
                )
            }))
        }
        n => Err(PemError::content(format!(
            "key file {name} holds {n} private keys; keep only the key of the certificate"
        ))),
    }
}

/// The verifier of server certificates for an environment: its `server_ca`
/// (or `ca_bundle`) when set, the platform's trusted roots otherwise.
pub fn server_verifier(env: &Environment) -> Result<Arc<dyn ServerCertVerifier>, String> {
    let provider = provider();
    match env.server_roots() {
        Some((key, path)) => {
            let mut roots = rustls::RootCertStore::empty();
            for cert in load_certs(path)? {
                roots
                    .add(cert)
                    .map_err(|e| format!("{key} {}: a certificate is not usable as a root: {e}", path.display()))?;
            }
            let verifier = WebPkiServerVerifier::builder_with_provider(Arc::new(roots), provider)
                .build()
                .map_err(|e| format!("{key} {}: {e}", path.display()))?;
            Ok(verifier)
        }
        None => Ok(Arc::new(
            rustls_platform_verifier::Verifier::new(provider)
                .map_err(|e| format!("cannot load the system's trusted roots: {e}"))?,
        )),
    }
}

/// The environment's client identity (certificate chain and key), when it has one.
pub fn client_identity(env: &Environment) -> Result<Option<Arc<CertifiedKey>>, String> {
    let (Some(cert), Some(key)) = (&env.client_cert, &env.client_key) else { return Ok(None) };
    let certs = load_certs(cert)?;
    let signing = provider()
        .key_provider
        .load_private_key(load_key(key)?)
        .map_err(|e| format!("key file {}: unsupported key: {e}", key.display()))?;
    Ok(Some(Arc::new(CertifiedKey::new(certs, signing))))
}

/// A client configuration with this verifier and identity, for HTTP/1.1 and h2.
pub fn config_with(
    verifier: Arc<dyn ServerCertVerifier>,
    identity: Option<Arc<CertifiedKey>>,
    alpn: &[&[u8]],
) -> Result<ClientConfig, String> {
    let builder = ClientConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .map_err(|e| format!("TLS setup: {e}"))?
        .dangerous()
        .with_custom_certificate_verifier(verifier);
    let mut config = match identity {
        Some(id) => builder.with_client_cert_resolver(Arc::new(FixedIdentity(id))),
        None => builder.with_no_client_auth(),
    };
    config.alpn_protocols = alpn.iter().map(|p| p.to_vec()).collect();
    Ok(config)
}

/// The rustls client configuration for an environment: its roots and, when
/// `with_identity` and the environment has one, its client certificate.
pub fn client_config(env: &Environment, with_identity: bool) -> Result<ClientConfig, String> {
    let identity = if with_identity { client_identity(env)? } else { None };
    if let Some(id) = &identity {
        id.keys_match().map_err(|e| {
            format!(
                "client_key does not belong to client_cert ({}): {}",
                env.client_cert.as_ref().map(|p| p.display().to_string()).unwrap_or_default(),
                super::verifier::rustls_error(&e)
            )
        })?;
    }
    config_with(server_verifier(env)?, identity, &[b"h2", b"http/1.1"])
}

/// Sends the same client identity whenever a server asks.
#[derive(Debug)]
struct FixedIdentity(Arc<CertifiedKey>);

impl rustls::client::ResolvesClientCert for FixedIdentity {
    fn resolve(&self, _hints: &[&[u8]], _schemes: &[rustls::SignatureScheme]) -> Option<Arc<CertifiedKey>> {
        Some(self.0.clone())
    }

    fn has_certs(&self) -> bool {
        true
    }
}
