//! The plain-http guard lets a secret go only to this machine: a literal
//! loopback address, or `localhost`, which golive's client resolves itself.
//! `localhost.` and `*.localhost` are names a resolver answers for.

use wiremock::matchers::method;
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::support::{golive_in, stderr, stdout};

fn config(base_url: &str) -> String {
    format!(
        "[env.staging]\npack = \"paymentsai\"\nbase_url = \"{base_url}\"\napi_key = {{ env = \"LB_PAI_KEY\" }}\n\
account_id = \"acc_1\"\norganization_id = \"3f9a2c4e-8b1d-4e6f-a2c7-5d9e0b1f4a68\"\n"
    )
}

const KEY: (&str, &str) = ("LB_PAI_KEY", "acc_1_loopbackkey_kid1");

/// `http://localhost.` counted as loopback for the plain-http guard but was
/// resolved through DNS: the API key could go in clear text wherever DNS said.
#[test]
fn localhost_with_a_root_dot_or_a_subdomain_is_not_loopback_for_the_plain_http_guard() {
    for base in ["http://localhost.:9", "http://api.localhost:9", "http://LocalHost.:9"] {
        let dir = tempfile::tempdir().expect("dir");
        std::fs::write(dir.path().join("golive.toml"), config(base)).expect("config");
        let out = golive_in(dir.path(), &["verify", "--env", "staging", "--only", "pai-api-key"], &[KEY]);
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(2), "{base}: {err}{}", stdout(&out));
        assert!(err.contains("would send `api_key` over plain http://"), "{base}: {err}");
        assert!(!err.contains(KEY.1), "{err}");
    }
}

/// `localhost` itself is this machine: golive resolves it to loopback and the
/// key reaches the server listening on 127.0.0.1.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn plain_localhost_is_resolved_by_golive_to_loopback_and_allowed() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200).set_body_json(serde_json::json!({"data": []})))
        .mount(&server)
        .await;
    let port = server.address().port();
    let dir = tempfile::tempdir().expect("dir");
    std::fs::write(dir.path().join("golive.toml"), config(&format!("http://localhost:{port}"))).expect("config");
    let path = dir.path().to_path_buf();
    let out = tokio::task::spawn_blocking(move || {
        golive_in(&path, &["verify", "--env", "staging", "--only", "pai-api-key", "--no-progress"], &[KEY])
    })
    .await
    .expect("golive ran");
    assert_ne!(out.status.code(), Some(2), "not refused: {}", stderr(&out));
    let got = server.received_requests().await.unwrap_or_default();
    assert!(!got.is_empty(), "the request reached 127.0.0.1: {}{}", stdout(&out), stderr(&out));
}
