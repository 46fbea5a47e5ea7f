//! The `tls` probe against a real tokio-rustls server: facts of the chain,
//! expiry thresholds, and hostname mismatch and untrusted chains named.

use golive::config::Environment;
use golive::plan::Selection;
use golive::report::{ProbeReport, Status};
use golive::runner::RunOptions;
use golive_fakes::certs::{Authority, Identity, LeafSpec};
use golive_fakes::mtls_front::{self, ClientAuth, FrontConfig};

use crate::support::{pack_from, run_pack};

const PACK: &str = r#"
[pack]
name = "t"
title = "T"
runbook = "t"
[[probe]]
id = "tls"
kind = "tls"
title = "Server certificate"
timeout = "3s"
[probe.params]
url = "${base_url}"
warn_days = 30
fail_days = 7
"#;

async fn probe_server(server: Identity, trusted_root: &str, host: &str) -> ProbeReport {
    let front = mtls_front::start(FrontConfig {
        server,
        client_auth: ClientAuth::NotRequested,
        allowlist: vec![],
        upstream: "http://127.0.0.1:9".into(),
        versions: rustls::DEFAULT_VERSIONS,
    })
    .await
    .expect("server starts");
    let dir = tempfile::tempdir().expect("dir");
    std::fs::write(dir.path().join("ca.pem"), trusted_root).expect("write");
    let env = Environment {
        name: "t".into(),
        pack: "t".into(),
        base_url: Some(reqwest::Url::parse(&format!("https://{host}:{}/v2", front.addr.port())).expect("url")),
        ca_bundle: Some(dir.path().join("ca.pem")),
        ..Environment::default()
    };
    let summary = run_pack(env, pack_from(PACK), &Selection::default(), &RunOptions::default()).await;
    summary.probes.into_iter().next().expect("probe")
}

fn server(ca: &Authority, names: &[&str], days: i64) -> Identity {
    let mut spec = LeafSpec::server(names);
    spec.valid_until_days = days;
    ca.leaf(&spec).expect("leaf")
}

#[tokio::test]
async fn a_good_chain_passes_with_its_facts() {
    let ca = Authority::new("partner root").expect("ca");
    let r = probe_server(server(&ca, &["127.0.0.1"], 89), &ca.cert_pem(), "127.0.0.1").await;
    assert_eq!(r.status, Status::Pass, "{r:#?}");
    assert_eq!(r.facts["tls_version"], "TLSv1_3");
    let leaf = &r.facts["server_chain"][0];
    assert_eq!(leaf["issuer"], "CN=partner root, O=golive fakes");
    assert_eq!(leaf["sans"][0], "127.0.0.1");
    assert_eq!(leaf["sha256"].as_str().map(str::len), Some(64));
}

#[tokio::test]
async fn a_leaf_expiring_in_10_days_warns_and_in_3_fails() {
    let ca = Authority::new("partner root").expect("ca");
    let r = probe_server(server(&ca, &["127.0.0.1"], 10), &ca.cert_pem(), "127.0.0.1").await;
    assert_eq!(r.status, Status::Warn, "{r:#?}");
    let r = probe_server(server(&ca, &["127.0.0.1"], 3), &ca.cert_pem(), "127.0.0.1").await;
    assert_eq!(r.status, Status::Fail, "{r:#?}");
}

#[tokio::test]
async fn a_hostname_mismatch_is_named() {
    let ca = Authority::new("partner root").expect("ca");
    let r = probe_server(server(&ca, &["api.other.test"], 89), &ca.cert_pem(), "127.0.0.1").await;
    assert_eq!(r.status, Status::Fail, "{r:#?}");
    assert!(r.diagnosis.expect("diagnosis").cause.contains("hostname mismatch"));
    assert_eq!(r.facts["server_chain"][0]["sans"][0], "api.other.test", "facts even when the handshake fails");
}

#[tokio::test]
async fn an_untrusted_chain_is_named() {
    let ca = Authority::new("partner root").expect("ca");
    let other = Authority::new("someone else").expect("ca");
    let r = probe_server(server(&ca, &["127.0.0.1"], 89), &other.cert_pem(), "127.0.0.1").await;
    assert_eq!(r.status, Status::Fail, "{r:#?}");
    assert!(r.diagnosis.expect("diagnosis").cause.contains("untrusted server certificate"));
}

/// The handshake check names the version in words ("TLS 1.3"), not rustls'
/// enum name (`TLSv1_3`, which stays the machine-readable fact).
#[tokio::test]
async fn the_handshake_message_names_the_tls_version_in_words() {
    let ca = Authority::new("partner root").expect("ca");
    let r = probe_server(server(&ca, &["127.0.0.1"], 89), &ca.cert_pem(), "127.0.0.1").await;
    let handshake = r.checks.iter().find(|c| c.name == "handshake").expect("handshake check");
    assert!(handshake.message.contains("speaks TLS 1.3 with"), "{handshake:#?}");
    assert!(!handshake.message.contains("TLSv1_3"), "{handshake:#?}");
}

/// Serves `cert_pem` with `key_pem` on 127.0.0.1 without rustls' own checks of
/// the pair (it refuses to load an X.509 v1 certificate); returns the port.
async fn serve_unchecked(cert_pem: &str, key_pem: &str) -> u16 {
    #[derive(Debug)]
    struct Fixed(std::sync::Arc<rustls::sign::CertifiedKey>);
    impl rustls::server::ResolvesServerCert for Fixed {
        fn resolve(&self, _: rustls::server::ClientHello<'_>) -> Option<std::sync::Arc<rustls::sign::CertifiedKey>> {
            Some(self.0.clone())
        }
    }
    let der = |label: &str, pem: &str| {
        golive::net::tls::parse_pem(pem.as_bytes())
            .expect("pem")
            .into_iter()
            .find(|b| b.label == label)
            .expect(label)
            .der
    };
    let provider = std::sync::Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let key = rustls_pki_types::PrivateKeyDer::Pkcs8(der("PRIVATE KEY", key_pem).into());
    let signing = provider.key_provider.load_private_key(key).expect("key");
    let certified = rustls::sign::CertifiedKey::new(vec![der("CERTIFICATE", cert_pem).into()], signing);
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .expect("versions")
        .with_no_client_auth()
        .with_cert_resolver(std::sync::Arc::new(Fixed(std::sync::Arc::new(certified))));
    let acceptor = tokio_rustls::TlsAcceptor::from(std::sync::Arc::new(config));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let port = listener.local_addr().expect("addr").port();
    tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            let acceptor = acceptor.clone();
            tokio::spawn(async move { drop(acceptor.accept(tcp).await) });
        }
    });
    port
}

/// An X.509 v1 server certificate is named in a sentence, never as webpki's
/// `UnsupportedCertVersion` inside rustls' `Other(OtherError(..))`.
#[tokio::test]
async fn an_x509_v1_server_certificate_is_explained_in_words() {
    let fixture = |name: &str| {
        std::fs::read_to_string(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/pem").join(name))
            .expect("fixture")
    };
    let port = serve_unchecked(&fixture("v1.crt"), &fixture("v1.key")).await;
    let dir = tempfile::tempdir().expect("dir");
    std::fs::write(dir.path().join("ca.pem"), fixture("v1.crt")).expect("write");
    let env = Environment {
        name: "t".into(),
        pack: "t".into(),
        base_url: Some(reqwest::Url::parse(&format!("https://localhost:{port}/v2")).expect("url")),
        ca_bundle: Some(dir.path().join("ca.pem")),
        ..Environment::default()
    };
    let summary = run_pack(env, pack_from(PACK), &Selection::default(), &RunOptions::default()).await;
    let r = &summary.probes[0];
    assert_eq!(r.status, Status::Fail, "{r:#?}");
    let handshake = r.checks.iter().find(|c| c.name == "handshake").expect("handshake check");
    assert!(handshake.message.contains("X.509 version 1"), "{handshake:#?}");
    for internal in ["UnsupportedCertVersion", "OtherError", "Other("] {
        assert!(!handshake.message.contains(internal), "{internal} in {handshake:#?}");
    }
}
