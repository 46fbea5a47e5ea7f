//! The demo's certificates: the partner's server root, the CA that signs program
//! certificates and the program certificate a shared scenario breaks, written to
//! the fakes' folder; and the mTLS front that checks them (a partner fake behind
//! one starts it: the Axys-like API).

use std::path::Path;

use crate::files::write_private;
use crate::{DEMO_DOMAIN, Scenario, mtls_front};

/// The names of one partner's certificate files in the fakes' folder: each
/// partner behind a front has its own PKI.
pub(crate) struct Files {
    /// The program certificate (`client_cert`).
    pub cert: &'static str,
    /// Its private key (`client_key`).
    pub key: &'static str,
    /// The partner's server root (`server_ca`).
    pub root: &'static str,
    /// The CA the partner signs program certificates with (`client_chain`).
    pub ca: &'static str,
}

/// Makes a partner's PKI for a scenario, writes the client's `files` and starts
/// an mTLS front before `upstream`; only 127.0.0.1 gets through when
/// `allowlisted`, nobody otherwise.
pub(crate) async fn start_mtls_front(
    scenario: Scenario,
    upstream: &str,
    dir: &Path,
    files: &Files,
    allowlisted: bool,
) -> Result<mtls_front::Front, String> {
    use crate::certs::{Authority, LeafSpec};
    let partner_root = Authority::new("golive fake partner root CA")?;
    let program_ca = Authority::new("golive fake program CA")?;
    let server = partner_root.leaf(&LeafSpec::server(&["127.0.0.1", "localhost"]))?;
    let names = [DEMO_DOMAIN];
    let mut leaf = LeafSpec::client(DEMO_DOMAIN, &names);
    match scenario {
        Scenario::CertExpired => (leaf.valid_from_days, leaf.valid_until_days) = (-91, -1),
        Scenario::CertExpiringSoon => (leaf.valid_from_days, leaf.valid_until_days) = (-80, 10),
        _ => {}
    }
    let signer =
        if scenario == Scenario::UntrustedCa { Authority::new("golive fake untrusted CA")? } else { program_ca };
    let mut client = signer.leaf(&leaf)?;
    if scenario == Scenario::WrongKey {
        client.key_pem = rcgen::KeyPair::generate_rsa_for(&rcgen::PKCS_RSA_SHA256, rcgen::RsaKeySize::_2048)
            .map_err(|e| format!("key generation failed: {e}"))?
            .serialize_pem();
    }
    std::fs::write(dir.join(files.cert), &client.cert_pem).map_err(|e| format!("cannot write {}: {e}", files.cert))?;
    write_private(&dir.join(files.key), client.key_pem.as_bytes())?;
    let program_ca_pem = if scenario == Scenario::UntrustedCa {
        Authority::new("golive fake program CA")?.cert_pem()
    } else {
        signer.cert_pem()
    };
    // The root of the partner's server certificates, and the CA that signs
    // program certificates (the client chain verifies to it), each in its file.
    std::fs::write(dir.join(files.root), partner_root.cert_pem())
        .map_err(|e| format!("cannot write {}: {e}", files.root))?;
    std::fs::write(dir.join(files.ca), &program_ca_pem).map_err(|e| format!("cannot write {}: {e}", files.ca))?;
    let client_auth = match scenario {
        Scenario::MtlsNotEnforced => mtls_front::ClientAuth::NotRequested,
        _ => mtls_front::ClientAuth::Required(program_ca_pem),
    };
    let allowlist = if allowlisted { vec![std::net::IpAddr::from([127, 0, 0, 1])] } else { vec![] };
    mtls_front::start(mtls_front::FrontConfig {
        server,
        client_auth,
        allowlist,
        upstream: upstream.to_string(),
        versions: rustls::DEFAULT_VERSIONS,
    })
    .await
}
