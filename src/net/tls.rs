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
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};

use crate::config::Environment;

/// Files larger than this are not read as PEM: no certificate chain is that big.
pub const MAX_PEM_BYTES: u64 = 1024 * 1024;

/// The one crypto provider golive uses (aws-lc-rs).
pub fn provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::aws_lc_rs::default_provider())
}

/// Reads a PEM file with a size bound and a message that names the file.
pub fn read_pem(path: &Path, what: &str) -> Result<Vec<u8>, String> {
    let meta = std::fs::metadata(path)
        .map_err(|e| format!("cannot read {what} {}: {}", path.display(), crate::config::error::io_reason(&e)))?;
    if meta.is_dir() {
        return Err(format!("{what} {} is a directory, not a PEM file", path.display()));
    }
    if meta.len() > MAX_PEM_BYTES {
        return Err(format!("{what} {} is {} bytes: too large to be a PEM file", path.display(), meta.len()));
    }
    std::fs::read(path)
        .map_err(|e| format!("cannot read {what} {}: {}", path.display(), crate::config::error::io_reason(&e)))
}

/// Loads every certificate of a PEM file, leaf first.
pub fn load_certs(path: &Path) -> Result<Vec<CertificateDer<'static>>, String> {
    let pem = read_pem(path, "certificate file")?;
    let certs = CertificateDer::pem_slice_iter(&pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| format!("certificate file {} is not valid PEM: {e}", path.display()))?;
    if certs.is_empty() {
        return Err(format!(
            "certificate file {} holds no CERTIFICATE block (is it the key, or DER instead of PEM?)",
            path.display()
        ));
    }
    Ok(certs)
}

/// Loads the private key of a PEM file (PKCS#1, PKCS#8 or SEC1).
pub fn load_key(path: &Path) -> Result<PrivateKeyDer<'static>, String> {
    let pem = read_pem(path, "key file")?;
    if String::from_utf8_lossy(&pem).contains("ENCRYPTED") {
        return Err(format!(
            "key file {} is encrypted; decrypt it for golive with `openssl pkey -in {} -out program.key` and keep the result in your secrets store",
            path.display(),
            path.display()
        ));
    }
    PrivateKeyDer::from_pem_slice(&pem).map_err(|_| {
        format!(
            "key file {} holds no private key (PKCS#1, PKCS#8 or SEC1 PEM expected; is it the certificate?)",
            path.display()
        )
    })
}

/// The verifier of server certificates for an environment: its `ca_bundle`
/// when set, the platform's trusted roots otherwise.
pub fn server_verifier(env: &Environment) -> Result<Arc<dyn ServerCertVerifier>, String> {
    let provider = provider();
    match &env.ca_bundle {
        Some(path) => {
            let mut roots = rustls::RootCertStore::empty();
            for cert in load_certs(path)? {
                roots
                    .add(cert)
                    .map_err(|e| format!("ca_bundle {}: a certificate is not usable as a root: {e}", path.display()))?;
            }
            let verifier = WebPkiServerVerifier::builder_with_provider(Arc::new(roots), provider)
                .build()
                .map_err(|e| format!("ca_bundle {}: {e}", path.display()))?;
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
                "client_key does not belong to client_cert ({}): {e:?}",
                env.client_cert.as_ref().map(|p| p.display().to_string()).unwrap_or_default()
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
