//! The evidence holds every request the run made, no more and no fewer: the
//! fakes count the requests they received and the trace must hold exactly as
//! many `http` records, answered, timed out or broken mid-body.

use std::path::Path;

use golive_fakes::axys::partner::AxysRunning;
use golive_fakes::paymentsai::partner::PaymentsAiRunning;

use crate::evidence::{FILES, json_lines, verify_evidence};
use crate::support::{golive_in, stderr, stdout};

/// Counts the `http` records of an evidence folder's trace.
fn http_records(dir: &Path) -> Vec<serde_json::Value> {
    json_lines(dir, "trace.jsonl").into_iter().filter(|r| r["type"] == "http").collect()
}

/// How many requests a fake server received so far.
async fn received(server: &wiremock::MockServer) -> usize {
    server.received_requests().await.expect("request recording is on").len()
}

/// Runs `golive verify --env ENV --allow-mutations --evidence evidence-ENV` in `dir`
/// off the runtime (the fakes answer on it) and returns the evidence folder.
async fn verify_with_evidence(
    dir: &Path,
    env: &'static str,
    extra: &[&str],
) -> (std::process::Output, std::path::PathBuf) {
    let path = dir.to_path_buf();
    let evidence = format!("evidence-{env}");
    let args: Vec<String> = ["verify", "--env", env, "--allow-mutations", "--evidence", evidence.as_str()]
        .iter()
        .chain(["--no-progress"].iter())
        .chain(extra)
        .map(|s| s.to_string())
        .collect();
    let out = tokio::task::spawn_blocking(move || {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        golive_in(&path, &args, &[])
    })
    .await
    .expect("golive ran");
    (out, dir.join(evidence))
}

/// Every request the run made is in the trace: the fakes count what they
/// received, and the trace holds exactly as many `http` records. The key
/// exchange (PATCH) and the read that checks the new key (GET) are among them,
/// recorded with their real URL, status and masked headers, bodies withheld.
///
/// Not HTTP-recorded, by design: the `tls` probe's handshake (a `tls` record,
/// no request reaches the API behind the mTLS front) and the `fcrdns` lookups
/// (`dns` records); neither shows up in a fake's request count.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fake_runs_record_exactly_the_requests_the_fakes_received() {
    let fakes = golive_fakes::Fakes::start(golive_fakes::Scenario::Healthy).await.expect("fakes start");
    let pai = fakes.partner::<PaymentsAiRunning>().expect("the PaymentsAI fake");
    let dir = tempfile::tempdir().expect("tempdir");
    let secrets = fakes.dir();
    let exchange = format!(
        "temporal_api_key = {{ file = \"{0}/pai_temporal_key\" }}\naccount_secret = {{ file = \"{0}/pai_account_secret\" }}\n\
         permanent_key_file = \"{1}/permanent.key\"\nstate_file = \"{1}/state.json\"\n",
        secrets.display(),
        dir.path().display()
    );
    let config = crate::support::replace_paymentsai_keys(&fakes.config_toml(), &exchange);
    std::fs::write(dir.path().join("golive.toml"), config).expect("config");

    // PaymentsAI: the partner API (API key read, key exchange, new-key read), the
    // merchant's webhook receiver and the merchant's website.
    let (out, ev) = verify_with_evidence(dir.path(), "fake-paymentsai", &[]).await;
    assert_eq!(out.status.code(), Some(0), "{}{}", stdout(&out), stderr(&out));
    assert_eq!(verify_evidence(&ev).status.code(), Some(0));
    let sent = received(&pai.api).await + received(&fakes.webhook).await + received(&fakes.website).await;
    let http = http_records(&ev);
    assert_eq!(pai.exchange.count(), 1, "the exchange ran once");
    assert_eq!(http.len(), sent, "one http record per request the fakes received: {http:#?}");
    let exchange: Vec<&serde_json::Value> = http.iter().filter(|r| r["probe"] == "pai-key-exchange").collect();
    assert_eq!(exchange.len(), 2, "the exchange and the read with the new key: {exchange:#?}");
    let base = pai.api.uri();
    let (account, org) = (golive_fakes::DEMO_ACCOUNT_ID, golive_fakes::DEMO_ORGANIZATION_ID);
    for (record, method, url) in [
        (exchange[0], "PATCH", format!("{base}/v1/accounts/public-api/{account}")),
        (exchange[1], "GET", format!("{base}/v1/public-api/organizations/{org}/subscriptions")),
    ] {
        assert_eq!((record["method"].as_str(), record["url"].as_str()), (Some(method), Some(url.as_str())));
        assert_eq!(record["response"]["status"], 200, "{record:#}");
        assert!(record["duration_ms"].is_u64(), "{record:#}");
        let headers = record["request"]["headers"].as_array().expect("request headers");
        assert!(headers.iter().any(|h| h[0] == "authorization" && h[1] == "***"), "the key is masked: {record:#}");
        assert!(record["response"]["headers"].as_array().is_some_and(|h| !h.is_empty()), "{record:#}");
        let withheld = |b: &serde_json::Value| b.as_str().is_some_and(|t| t.starts_with("[withheld: "));
        assert!(withheld(&record["response"]["body"]), "the answer's body is withheld: {record:#}");
        if method == "PATCH" {
            assert!(withheld(&record["request"]["body"]), "the secret's body is withheld: {record:#}");
        }
    }
    // Neither the account secret nor the new key is in the evidence.
    let permanent = std::fs::read_to_string(dir.path().join("permanent.key")).expect("the key was saved");
    let secret = std::fs::read_to_string(secrets.join("pai_account_secret")).expect("secret");
    let mut all = String::new();
    for name in FILES {
        all.push_str(&std::fs::read_to_string(ev.join(name)).expect("evidence file"));
    }
    for value in [permanent.trim(), secret.trim(), pai.exchange.api_key.as_str()] {
        assert!(!value.is_empty() && !all.contains(value), "a secret leaked into the evidence");
    }

    // Axys: every request reaches the API through the mTLS front.
    let (out, ev) = verify_with_evidence(dir.path(), "fake-axys", &[]).await;
    assert_eq!(out.status.code(), Some(0), "{}{}", stdout(&out), stderr(&out));
    let http = http_records(&ev);
    let axys = fakes.partner::<AxysRunning>().expect("the Axys fake");
    assert_eq!(http.len(), received(&axys.api).await, "one http record per request: {http:#?}");
    assert!(http.len() >= 2, "the mTLS probe and the flows make requests: {http:#?}");
}

/// A request that gets no answer before the deadline is in the trace too,
/// with its error: the partner hangs, so every Axys request times out.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn requests_that_time_out_are_recorded_too() {
    let fakes = golive_fakes::Fakes::start(golive_fakes::Scenario::PartnerHangs).await.expect("fakes start");
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join("golive.toml"), fakes.config_toml()).expect("config");
    let (out, ev) = verify_with_evidence(dir.path(), "fake-axys", &["--timeout", "2s"]).await;
    assert_eq!(out.status.code(), Some(3), "timeouts are errors: {}{}", stdout(&out), stderr(&out));
    let http = http_records(&ev);
    let sent = received(fakes.api("axys").expect("the axys fake")).await;
    assert!(sent >= 1, "requests reached the hanging API");
    assert_eq!(http.len(), sent, "one http record per request, answered or not: {http:#?}");
    for record in &http {
        assert!(record["response"].is_null() && record["error"].is_string(), "{record:#}");
    }
}

/// A server that answers `200` with a body cut short of its `Content-Length`,
/// then closes; counts the requests it got.
async fn cut_body_server() -> (String, std::sync::Arc<std::sync::atomic::AtomicUsize>) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let url = format!("http://{}", listener.local_addr().expect("addr"));
    let count = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let seen = count.clone();
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            let mut head = Vec::new();
            let mut buf = [0u8; 1024];
            while !head.windows(4).any(|w| w == b"\r\n\r\n") {
                match stream.read(&mut buf).await {
                    Ok(0) | Err(_) => break,
                    Ok(n) => head.extend_from_slice(&buf[..n]),
                }
            }
            seen.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            let answer = "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 100\r\n\r\n{\"cut\":";
            let _ = stream.write_all(answer.as_bytes()).await;
            let _ = stream.shutdown().await;
        }
    });
    (url, count)
}

/// A request whose answer breaks while its body is read is in the trace with
/// its status and the error.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_whose_body_breaks_is_recorded_too() {
    let (url, count) = cut_body_server().await;
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(
        dir.path().join("pack.toml"),
        "[pack]\nname = \"cut\"\ntitle = \"Cut\"\nrunbook = \"cut\"\n\
         [[probe]]\nid = \"cut\"\nkind = \"http\"\ntitle = \"Cut\"\n[probe.params]\nurl = \"${base_url}/cut\"\n",
    )
    .expect("write pack");
    std::fs::write(dir.path().join("golive.toml"), format!("[env.cut]\npack = \"pack.toml\"\nbase_url = \"{url}\"\n"))
        .expect("write config");
    let (out, ev) = verify_with_evidence(dir.path(), "cut", &[]).await;
    assert_eq!(out.status.code(), Some(3), "the body cannot be read: {}{}", stdout(&out), stderr(&out));
    let http = http_records(&ev);
    assert_eq!(http.len(), count.load(std::sync::atomic::Ordering::SeqCst), "{http:#?}");
    assert_eq!(http.len(), 1, "{http:#?}");
    assert_eq!(http[0]["response"]["status"], 200, "{:#}", http[0]);
    assert!(http[0]["error"].as_str().is_some_and(|e| e.starts_with("reading the body failed")), "{:#}", http[0]);
}
