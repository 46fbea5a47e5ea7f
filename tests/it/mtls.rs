//! The `mtls` probe against a real tokio-rustls front (certificates made by
//! rcgen at test time) in front of wiremock: every rejection class, in TLS 1.2
//! and TLS 1.3, and the HTTP outcomes behind the handshake.

use std::path::Path;
use std::time::Duration;

use golive::config::Environment;
use golive::plan::Selection;
use golive::report::{ProbeReport, Status};
use golive::runner::RunOptions;
use golive_fakes::certs::{Authority, Identity, LeafSpec};
use golive_fakes::mtls_front::{self, ClientAuth, Front, FrontConfig};
use wiremock::matchers::path;
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::support::{pack_from, run_pack};

const PACK: &str = r#"
[pack]
name = "t"
title = "T"
runbook = "t"
[auth]
header = "X-API-Key"

[[diagnosis]]
when = { status = 403, body_contains = "No Authorised IPs configured" }
cause = "IP not allowlisted, or PTR record not set"
fix = "Re-check the allowlist"

[[diagnosis]]
when = { status = 401 }
cause = "the API key was rejected (401)"
fix = "Check api_key"

[[probe]]
id = "auth"
kind = "mtls"
title = "Auth test"
timeout = "2s"
[probe.params]
url = "${base_url}/cardholders"
assert = [{ path = "$.status", equals = "success" }]
"#;

static TLS12_ONLY: &[&rustls::SupportedProtocolVersion] = &[&rustls::version::TLS12];

struct Pki {
    partner: Authority,
    program: Authority,
    server: Identity,
}

fn pki() -> Pki {
    let partner = Authority::new("test partner root").expect("ca");
    let program = Authority::new("test program CA").expect("ca");
    let server = partner.leaf(&LeafSpec::server(&["127.0.0.1", "localhost"])).expect("server leaf");
    Pki { partner, program, server }
}

async fn upstream() -> golive_fakes::Wiremock {
    let server = golive_fakes::Wiremock::start().await;
    Mock::given(path("/v2/cardholders"))
        .respond_with(ResponseTemplate::new(200).set_body_json(serde_json::json!({"status": "success", "items": []})))
        .mount(&server)
        .await;
    server
}

async fn front(pki: &Pki, upstream: &MockServer, client_auth: ClientAuth, v12_only: bool) -> Front {
    mtls_front::start(FrontConfig {
        server: pki.server.clone(),
        client_auth,
        allowlist: vec![std::net::IpAddr::from([127, 0, 0, 1])],
        upstream: upstream.uri(),
        versions: if v12_only { TLS12_ONLY } else { rustls::DEFAULT_VERSIONS },
    })
    .await
    .expect("front starts")
}

fn env(dir: &Path, base_url: &str, pki: &Pki, client: Option<&Identity>) -> Environment {
    std::fs::write(dir.join("ca.pem"), pki.partner.cert_pem()).expect("write ca");
    let mut env = Environment {
        name: "test".into(),
        pack: "t".into(),
        base_url: Some(reqwest::Url::parse(base_url).expect("url")),
        ca_bundle: Some(dir.join("ca.pem")),
        ..Environment::default()
    };
    if let Some(id) = client {
        std::fs::write(dir.join("client.crt"), &id.cert_pem).expect("write cert");
        std::fs::write(dir.join("client.key"), &id.key_pem).expect("write key");
        env.client_cert = Some(dir.join("client.crt"));
        env.client_key = Some(dir.join("client.key"));
    }
    env
}

async fn probe(env: Environment) -> ProbeReport {
    probe_with(env, PACK).await
}

async fn probe_with(env: Environment, pack: &str) -> ProbeReport {
    let summary = run_pack(env, pack_from(pack), &Selection::default(), &RunOptions::default()).await;
    summary.probes.into_iter().next().expect("one probe")
}

fn ecdsa_client(ca: &Authority, valid_until_days: i64) -> Identity {
    let names = ["api.example.test"];
    let mut spec = LeafSpec::client("api.example.test", &names);
    spec.rsa = false;
    spec.valid_until_days = valid_until_days;
    if valid_until_days < 0 {
        spec.valid_from_days = valid_until_days - 30;
    }
    ca.leaf(&spec).expect("client leaf")
}

fn class(r: &ProbeReport) -> String {
    format!("{:?} / {:?}", r.status, r.checks.iter().map(|c| &c.message).collect::<Vec<_>>())
}

/// Runs one rejection case in TLS 1.2 and in TLS 1.3 and checks the class.
async fn rejected_in_both_versions(client: impl Fn(&Pki) -> Option<Identity>, expected_text: &str) {
    for v12 in [true, false] {
        let pki = pki();
        let up = upstream().await;
        let f = front(&pki, &up, ClientAuth::Required(pki.program.cert_pem()), v12).await;
        let dir = tempfile::tempdir().expect("dir");
        let id = client(&pki);
        let r = probe(env(dir.path(), &format!("https://127.0.0.1:{}/v2", f.addr.port()), &pki, id.as_ref())).await;
        assert_eq!(r.status, Status::Fail, "TLS 1.2 only: {v12}: {}", class(&r));
        assert!(
            r.checks.iter().any(|c| c.message.contains(expected_text)),
            "TLS 1.2 only: {v12}: expected `{expected_text}` in {}",
            class(&r)
        );
        let tls13_note = r.checks.iter().any(|c| c.message.contains("TLS 1.3 alert on the first read"));
        assert_eq!(tls13_note, !v12, "the TLS 1.3 post-handshake path is named as such: {}", class(&r));
        assert!(r.diagnosis.is_some(), "{}", class(&r));
    }
}

#[tokio::test]
async fn no_client_cert_is_certificate_required() {
    rejected_in_both_versions(|_| None, "`certificate_required`").await;
}

#[tokio::test]
async fn a_cert_from_another_ca_is_unknown_ca_and_the_accepted_ca_is_named() {
    rejected_in_both_versions(|_| Some(ecdsa_client(&Authority::new("rogue CA").expect("ca"), 30)), "`unknown_ca`")
        .await;
    rejected_in_both_versions(
        |_| Some(ecdsa_client(&Authority::new("rogue CA").expect("ca"), 30)),
        "the server accepts client certificates issued by CN=test program CA",
    )
    .await;
}

#[tokio::test]
async fn an_expired_client_cert_is_certificate_expired() {
    rejected_in_both_versions(|pki| Some(ecdsa_client(&pki.program, -1)), "`certificate_expired`").await;
}

#[tokio::test]
async fn a_valid_rsa_client_cert_passes_with_phases_and_facts() {
    let pki = pki();
    let up = upstream().await;
    let f = front(&pki, &up, ClientAuth::Required(pki.program.cert_pem()), false).await;
    let dir = tempfile::tempdir().expect("dir");
    let names = ["api.example.test"];
    let id = pki.program.leaf(&LeafSpec::client("api.example.test", &names)).expect("leaf");
    let r = probe(env(dir.path(), &format!("https://127.0.0.1:{}/v2", f.addr.port()), &pki, Some(&id))).await;
    assert_eq!(r.status, Status::Pass, "{}", class(&r));
    let phases: Vec<&str> = r.phases.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(phases, ["dns", "connect", "tls", "request"]);
    assert_eq!(r.facts["client_cert_requested"], true);
    assert_eq!(r.facts["acceptable_client_cas"][0], "CN=test program CA, O=golive fakes");
}

#[tokio::test]
async fn a_server_that_never_asks_for_a_cert_is_mtls_not_enforced() {
    let pki = pki();
    let up = upstream().await;
    let f = front(&pki, &up, ClientAuth::NotRequested, false).await;
    let dir = tempfile::tempdir().expect("dir");
    let id = ecdsa_client(&pki.program, 30);
    let r = probe(env(dir.path(), &format!("https://127.0.0.1:{}/v2", f.addr.port()), &pki, Some(&id))).await;
    assert_eq!(r.status, Status::Warn, "{}", class(&r));
    assert!(r.checks.iter().any(|c| c.message.starts_with("mTLS not enforced")), "{}", class(&r));

    // A pack may make it a failure.
    let strict = PACK.replace("[probe.params]\n", "[probe.params]\nnot_enforced = \"fail\"\n");
    assert!(strict.contains("not_enforced = \"fail\""));
    let e = env(dir.path(), &format!("https://127.0.0.1:{}/v2", f.addr.port()), &pki, Some(&id));
    let r = probe_with(e, &strict).await;
    assert_eq!(r.status, Status::Fail, "{}", class(&r));
    let check = r.checks.iter().find(|c| c.name == "mtls enforced").expect("the mtls enforced check");
    assert_eq!(check.status, Status::Fail, "{check:#?}");
    assert!(r.diagnosis.as_ref().is_some_and(|d| d.cause.contains("does not require a client certificate")), "{r:#?}");
}

#[tokio::test]
async fn an_nginx_style_400_about_the_certificate_is_named() {
    let pki = pki();
    let up = upstream().await;
    let f = front(&pki, &up, ClientAuth::OptionalThen400(pki.program.cert_pem()), false).await;
    let dir = tempfile::tempdir().expect("dir");
    let r = probe(env(dir.path(), &format!("https://127.0.0.1:{}/v2", f.addr.port()), &pki, None)).await;
    assert_eq!(r.status, Status::Fail, "{}", class(&r));
    assert!(r.diagnosis.as_ref().is_some_and(|d| d.cause.contains("HTTP 400 about the client certificate")), "{r:#?}");
}

#[tokio::test]
async fn http_401_and_the_403_allowlist_are_diagnosed() {
    let pki = pki();
    let up = golive_fakes::Wiremock::start().await;
    Mock::given(path("/v2/cardholders"))
        .respond_with(ResponseTemplate::new(401).set_body_json(serde_json::json!({"message": "Invalid API key"})))
        .mount(&up)
        .await;
    let f = front(&pki, &up, ClientAuth::Required(pki.program.cert_pem()), false).await;
    let dir = tempfile::tempdir().expect("dir");
    let id = ecdsa_client(&pki.program, 30);
    let r = probe(env(dir.path(), &format!("https://127.0.0.1:{}/v2", f.addr.port()), &pki, Some(&id))).await;
    assert_eq!(r.status, Status::Fail);
    assert!(r.checks.iter().any(|c| c.actual.as_deref() == Some("401")), "{}", class(&r));
    assert_eq!(r.diagnosis.as_ref().map(|d| d.cause.as_str()), Some("the API key was rejected (401)"), "{r:#?}");

    let blocked = mtls_front::start(FrontConfig {
        server: pki.server.clone(),
        client_auth: ClientAuth::Required(pki.program.cert_pem()),
        allowlist: vec![],
        upstream: up.uri(),
        versions: rustls::DEFAULT_VERSIONS,
    })
    .await
    .expect("front");
    let r = probe(env(dir.path(), &format!("https://127.0.0.1:{}/v2", blocked.addr.port()), &pki, Some(&id))).await;
    assert_eq!(r.status, Status::Fail);
    assert_eq!(r.diagnosis.expect("diagnosis").cause, "IP not allowlisted, or PTR record not set");
}

#[tokio::test]
async fn a_server_that_accepts_tcp_and_never_speaks_tls_is_an_error_at_the_deadline() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let port = listener.local_addr().expect("addr").port();
    let _hold = tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((s, _)) = listener.accept().await {
            held.push(s);
        }
    });
    let pki = pki();
    let dir = tempfile::tempdir().expect("dir");
    // The server holds every connection: only the probe's deadline ends the wait.
    let _watchdog = crate::support::Watchdog::new("mtls::never_speaks_tls", Duration::from_secs(60));
    let r = probe(env(dir.path(), &format!("https://127.0.0.1:{port}/v2"), &pki, None)).await;
    assert_eq!(r.status, Status::Error, "{}", class(&r));
    assert!(r.checks.iter().any(|c| c.message.contains("before the deadline")), "{}", class(&r));
}

#[tokio::test]
async fn an_untrusted_server_certificate_is_named() {
    let pki = pki();
    let up = upstream().await;
    let f = front(&pki, &up, ClientAuth::NotRequested, false).await;
    let dir = tempfile::tempdir().expect("dir");
    let mut e = env(dir.path(), &format!("https://127.0.0.1:{}/v2", f.addr.port()), &pki, None);
    std::fs::write(dir.path().join("other.pem"), Authority::new("other root").expect("ca").cert_pem()).expect("w");
    e.ca_bundle = Some(dir.path().join("other.pem"));
    let r = probe(e).await;
    assert_eq!(r.status, Status::Fail, "{}", class(&r));
    assert!(r.diagnosis.expect("diagnosis").cause.contains("not trusted"));
}

#[tokio::test]
async fn axys_auth_behind_a_503_gets_the_packs_server_error_diagnosis() {
    let pki = pki();
    let up = golive_fakes::Wiremock::start().await;
    Mock::given(path("/v2/cardholders"))
        .respond_with(ResponseTemplate::new(503).set_body_json(serde_json::json!({"message": "Service Unavailable"})))
        .mount(&up)
        .await;
    let f = front(&pki, &up, ClientAuth::Required(pki.program.cert_pem()), false).await;
    let dir = tempfile::tempdir().expect("dir");
    let names = ["api.example.test"];
    let id = pki.program.leaf(&LeafSpec::client("api.example.test", &names)).expect("RSA-2048 leaf, as Axys issues");
    let mut e = env(dir.path(), &format!("https://127.0.0.1:{}/v2", f.addr.port()), &pki, Some(&id));
    // axys-cert runs first and checks the client chain against ca_bundle too.
    std::fs::write(dir.path().join("both.pem"), pki.partner.cert_pem() + &pki.program.cert_pem()).expect("write");
    e.ca_bundle = Some(dir.path().join("both.pem"));
    let axys = golive::config::pack::load("axys", None).expect("the axys pack");
    let only = Selection { only: vec!["axys-auth".into()], ..Selection::default() };
    let summary = run_pack(e, axys, &only, &RunOptions::default()).await;
    let auth = summary.probes.iter().find(|p| p.id == "axys-auth").expect("axys-auth ran");
    assert_eq!(auth.status, Status::Fail, "{auth:#?}");
    let d = auth.diagnosis.as_ref().expect("a diagnosis");
    assert!(d.cause.starts_with("Axys answered a server error (5xx)"), "{d:#?}");
    assert!(d.fix.contains("support ticket"), "{d:#?}");
}

/// rcgen leaves of every key type and encoding the `cert` kind loads, signed by
/// the front's client CA: the matching key completes the handshake and the
/// request; another key of the same type is refused locally (a server would
/// answer `DecryptError`), and the cause names the cert/key pair.
#[tokio::test]
async fn every_client_key_type_and_encoding_handshakes_and_a_mismatched_key_is_named() {
    use crate::cert::make::{self, Ca};
    for &(alg, enc) in crate::cert::CASES {
        for v12 in [true, false] {
            let case = format!("{alg:?} {enc:?}, TLS 1.2 only: {v12}");
            let pki = pki();
            let program = Ca::root("Test Program CA");
            let up = upstream().await;
            let f = front(&pki, &up, ClientAuth::Required(program.pem.clone()), v12).await;
            let url = format!("https://127.0.0.1:{}/v2", f.addr.port());
            let key = make::key(alg);
            let cert = program.leaf(&key, &make::LeafSpec::default());

            let dir = tempfile::tempdir().expect("dir");
            let pair = Identity { cert_pem: cert.clone(), key_pem: make::key_pem(&key, enc) };
            let r = probe(env(dir.path(), &url, &pki, Some(&pair))).await;
            assert_eq!(r.status, Status::Pass, "{case}: {}", class(&r));
            assert_eq!(r.facts["client_cert_requested"], true, "{case}");

            let dir = tempfile::tempdir().expect("dir");
            let wrong = Identity { cert_pem: cert, key_pem: make::key_pem(&make::key(alg), enc) };
            let r = probe(env(dir.path(), &url, &pki, Some(&wrong))).await;
            assert_eq!(r.status, Status::Fail, "{case}: {}", class(&r));
            let d = r.diagnosis.as_ref().unwrap_or_else(|| panic!("{case}: a diagnosis: {}", class(&r)));
            assert!(d.cause.contains("wrong cert/key pair"), "{case}: {d:#?}");
            let local = r.checks.iter().find(|c| c.name == "client identity").expect("the local check");
            assert!(local.message.contains("client.key does not belong to client_cert"), "{case}: {local:#?}");
            assert!(r.phases.iter().all(|p| p.name != "tls"), "{case}: no handshake was made: {:?}", r.phases);
        }
    }
}

#[tokio::test]
async fn a_check_on_the_card_object_masks_the_pack_fields_inside() {
    let pki = pki();
    let up = golive_fakes::Wiremock::start().await;
    Mock::given(path("/v2/card")).respond_with(crate::masking::answer()).mount(&up).await;
    let f = front(&pki, &up, ClientAuth::Required(pki.program.cert_pem()), false).await;
    let dir = tempfile::tempdir().expect("dir");
    let id = ecdsa_client(&pki.program, 30);
    let env = env(dir.path(), &format!("https://127.0.0.1:{}/v2", f.addr.port()), &pki, Some(&id));
    let pack = pack_from(&crate::masking::pack("mtls"));
    let r = run_pack(env, pack, &Selection::default(), &RunOptions::default()).await.probes.remove(0);
    crate::masking::assert_masked(&r);
}
