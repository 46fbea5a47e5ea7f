//! The `tls` probe against a real tokio-rustls server: facts of the chain,
//! expiry thresholds, and hostname mismatch and untrusted chains named.

use golive::config::Environment;
use golive::fake::certs::{Authority, Identity, LeafSpec};
use golive::fake::mtls_front::{self, ClientAuth, FrontConfig};
use golive::plan::Selection;
use golive::report::{ProbeReport, Status};
use golive::runner::RunOptions;

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
