//! TLS session resumption never hides a client-certificate problem. The
//! probes of one environment share an HTTP client, so a later connection
//! resumes an earlier one's TLS 1.3 session and sends no certificate
//! (`net::gate` sets connections up one after another for that). Here an
//! environment whose certificate the server does not accept (an untrusted CA,
//! a key of another certificate) runs after one whose certificate it accepts,
//! against the same host and port, in one run: its probes must still fail,
//! and the `mtls` probe must make a full handshake even where a resumed one
//! was possible. (A configuration shared across environments, the bug this
//! guards against, lets the refused environment's GETs pass.)

use std::net::SocketAddr;
use std::path::Path;
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use golive::config::Environment;
use golive::plan::{Plan, Selection};
use golive::report::{ProbeReport, Status};
use golive::runner::{self, RunOptions};
use golive_fakes::certs::{Authority, Identity, LeafSpec};
use http_body_util::Full;
use hyper_util::rt::TokioIo;
use rustls::HandshakeKind;
use tokio_rustls::TlsAcceptor;

use crate::support::pack_from;

#[path = "../../benches/shared/mtls.rs"]
mod mtls;

const PACK: &str = r#"
[pack]
name = "t"
title = "T"
runbook = "t"

[[probe]]
id = "first"
kind = "http"
title = "First GET"
[probe.params]
method = "GET"
url = "${base_url}/ping"
expect_status = 200

[[probe]]
id = "second"
kind = "http"
title = "Second GET"
[probe.params]
method = "GET"
url = "${base_url}/ping"
expect_status = 200

[[probe]]
id = "auth"
kind = "mtls"
title = "mTLS"
[probe.params]
url = "${base_url}/ping"
"#;

/// An HTTPS server that requires a client certificate from `ca_pem`, closes
/// every connection after one answer (so each probe connects anew and may
/// resume) and records how each completed handshake went.
async fn server(server: &Identity, ca_pem: &str) -> (SocketAddr, Arc<Mutex<Vec<HandshakeKind>>>) {
    let mut config = mtls::server_config(server, ca_pem).expect("server config");
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    let acceptor = TlsAcceptor::from(Arc::new(config));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("address");
    let kinds = Arc::new(Mutex::new(Vec::new()));
    let seen = Arc::clone(&kinds);
    tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            let (acceptor, seen) = (acceptor.clone(), Arc::clone(&seen));
            tokio::spawn(async move {
                // A refused certificate ends here, unrecorded.
                let Ok(tls) = acceptor.accept(tcp).await else { return };
                seen.lock().expect("kinds").extend(tls.get_ref().1.handshake_kind());
                let answer = hyper::service::service_fn(|_req| async {
                    Ok::<_, std::convert::Infallible>(hyper::Response::new(Full::new(Bytes::from_static(b"{}"))))
                });
                let _ = hyper::server::conn::http1::Builder::new()
                    .keep_alive(false)
                    .serve_connection(TokioIo::new(tls), answer)
                    .await;
            });
        }
    });
    (addr, kinds)
}

fn env(
    name: &str,
    dir: &Path,
    addr: SocketAddr,
    server_ca: &Authority,
    cert: &Identity,
    key: &Identity,
) -> Environment {
    let file = |what: &str, text: &str| {
        let path = dir.join(format!("{name}-{what}"));
        std::fs::write(&path, text).expect("write");
        path
    };
    Environment {
        name: name.into(),
        pack: "t".into(),
        base_url: Some(reqwest::Url::parse(&format!("https://127.0.0.1:{}/v2", addr.port())).expect("url")),
        ca_bundle: Some(file("ca.pem", &server_ca.cert_pem())),
        client_cert: Some(file("client.crt", &cert.cert_pem)),
        client_key: Some(file("client.key", &key.key_pem)),
        ..Environment::default()
    }
}

fn shown(probes: &[ProbeReport]) -> String {
    probes.iter().map(|p| format!("{}/{}: {:?} {:?}\n", p.env, p.id, p.status, p.checks)).collect()
}

#[tokio::test]
async fn a_refused_certificate_fails_after_another_environment_resumed_sessions_to_the_same_host() {
    let partner = Authority::new("test partner root").expect("ca");
    let program = Authority::new("test program CA").expect("ca");
    let stranger = Authority::new("a CA the partner does not know").expect("ca");
    let server_id = partner.leaf(&LeafSpec::server(&["127.0.0.1"])).expect("server leaf");
    let accepted = program.leaf(&LeafSpec::client("program", &["api.example.test"])).expect("client leaf");
    let untrusted = stranger.leaf(&LeafSpec::client("program", &["api.example.test"])).expect("client leaf");
    let other = program.leaf(&LeafSpec::client("another", &["api.example.test"])).expect("client leaf");
    // The refused identities: a certificate of an unknown CA, and the
    // accepted certificate with another certificate's key.
    for (case, bad_cert, bad_key) in [("untrusted-ca", &untrusted, &untrusted), ("wrong-key", &accepted, &other)] {
        let (addr, kinds) = server(&server_id, &program.cert_pem()).await;
        let dir = tempfile::tempdir().expect("dir");
        let good = env("good", dir.path(), addr, &partner, &accepted, &accepted);
        let bad = env("bad", dir.path(), addr, &partner, bad_cert, bad_key);
        let plan = Plan::build("test", vec![(good, pack_from(PACK)), (bad, pack_from(PACK))], &Selection::default())
            .unwrap_or_else(|e| panic!("plan builds:\n{e}"));
        // One probe at a time, in plan order: the accepted environment's
        // probes have all succeeded before the refused one's start.
        let opts = RunOptions { jobs: 1, ..RunOptions::default() };
        let summary = runner::run(&plan, &opts, &mut |_| {}).await;
        let probes = &summary.probes;
        assert_eq!(probes.len(), 6, "{case}: {}", shown(probes));
        for p in probes {
            let expected = p.env == "good";
            assert_eq!(p.status == Status::Pass, expected, "{case}: {}/{}\n{}", p.env, p.id, shown(probes));
        }
        let kinds = kinds.lock().expect("kinds").clone();
        // The accepted environment's second GET resumed its first one's
        // session (resumption is live in this run); its mTLS probe made a
        // full handshake of its own; no handshake of the refused one completed.
        let resumed = kinds.iter().filter(|k| **k == HandshakeKind::Resumed).count();
        assert_eq!((kinds.len(), resumed), (3, 1), "{case}: handshakes completed {kinds:?}\n{}", shown(probes));
    }
}
