//! API keys: the one-time exchange happens at most once whatever goes wrong,
//! writes a new 0600 file, refuses policy violations and reused secrets before
//! any request; the `apikey` probe checks shape and explains 401/403; no key
//! or secret appears in any output.

use std::path::Path;
use std::time::Duration;

use golive::apikey::{ExchangeError, ExchangeInput, Exchanged, Recorder, SentRequest, exchange};
use golive::config::{Environment, Input, Secret, SecretRef, pack};
use golive_fakes::exchange::{self as fake, ExchangeFake, ExchangeMode};
use golive_fakes::faults::Fault;
use secrecy::SecretString;
use wiremock::matchers::method;
use wiremock::{Mock, MockServer};

use crate::support::{golive_in, stderr, stdout};

const ACCOUNT: &str = "acc_test_42";
const TEMPORAL: &str = "CANARY-temporal-key-5b1c";
const SECRET: &str = "CANARY-Secret-9";
const ORGANIZATION: &str = "6f326525-1586-479b-8176-55ba802caea4";

fn secret(value: &str) -> Secret {
    Secret { value: SecretString::from(value.to_string()), source: SecretRef::Env("TEST".into()) }
}

fn env(base_url: &str, dir: &Path) -> Environment {
    Environment {
        name: "production".into(),
        pack: "paymentsai".into(),
        base_url: Some(reqwest::Url::parse(base_url).expect("url")),
        inputs: vec![
            ("account_id".into(), Input::Text(ACCOUNT.into())),
            ("organization_id".into(), Input::Text(ORGANIZATION.into())),
            ("temporal_api_key".into(), Input::Secret(secret(TEMPORAL))),
        ],
        state_file: Some(dir.join("state.json")),
        ..Environment::default()
    }
}

async fn run(
    server: &MockServer,
    dir: &Path,
    secret_value: &str,
    out: &str,
    timeout: Duration,
) -> Result<Exchanged, ExchangeError> {
    run_recorded(server, dir, secret_value, out, timeout, &|_| {}).await
}

async fn run_recorded(
    server: &MockServer,
    dir: &Path,
    secret_value: &str,
    out: &str,
    timeout: Duration,
    record: Recorder<'_>,
) -> Result<Exchanged, ExchangeError> {
    run_at(&server.uri(), dir, secret_value, out, timeout, record).await
}

async fn run_at(
    base_url: &str,
    dir: &Path,
    secret_value: &str,
    out: &str,
    timeout: Duration,
    record: Recorder<'_>,
) -> Result<Exchanged, ExchangeError> {
    let pack = pack::load("paymentsai", None).expect("built-in pack");
    let env = env(base_url, dir);
    let client = reqwest::Client::new();
    let secret = SecretString::from(secret_value.to_string());
    let out = dir.join(out);
    exchange(ExchangeInput {
        env: &env,
        spec: pack.key_exchange.as_ref().expect("pack describes the exchange"),
        policy: pack.secret_policy.as_ref(),
        pack: &pack.name,
        secret: &secret,
        out: &out,
        state_path: &dir.join("state.json"),
        client: &client,
        timeout,
        record,
    })
    .await
}

async fn fake_with(mode: ExchangeMode) -> (golive_fakes::Wiremock, ExchangeFake) {
    let server = golive_fakes::Wiremock::start().await;
    let fake = fake::mount(&server, ACCOUNT, TEMPORAL, mode).await;
    (server, fake)
}

const T: Duration = Duration::from_secs(5);

#[tokio::test]
async fn a_policy_violation_sends_nothing() {
    let (server, fake) = fake_with(ExchangeMode::Normal).await;
    let dir = tempfile::tempdir().expect("dir");
    let err = run(&server, dir.path(), "Short", "key", T).await.expect_err("refused");
    assert!(matches!(&err, ExchangeError::Policy(v) if v.len() == 1), "{err}");
    assert!(err.to_string().contains("at least 12 are required"), "{err}");
    assert_eq!(fake.count(), 0);
    assert!(!dir.path().join("key").exists());
}

#[tokio::test]
async fn a_successful_exchange_writes_a_0600_file_once_and_a_second_is_refused_by_the_partner() {
    let (server, fake) = fake_with(ExchangeMode::Normal).await;
    let dir = tempfile::tempdir().expect("dir");
    let done = run(&server, dir.path(), SECRET, "key", T).await.expect("exchanged");
    assert_eq!(fake.count(), 1);
    assert_eq!(done.verified, Ok(200), "the new credential works for an authenticated read");
    let written = std::fs::read_to_string(dir.path().join("key")).expect("key file");
    assert_eq!(written.trim(), format!("{ACCOUNT}_{}_{}", fake.api_key, fake.api_key_id));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(dir.path().join("key")).expect("meta").permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    assert!(!done.header_shape.contains(&fake.api_key), "the shape never shows the key");
    // The raw answer was saved first, next to the key, and says where it is.
    let answer_file = dir.path().join("key.answer");
    assert_eq!(done.answer.as_deref().ok(), Some(answer_file.as_path()));
    let answer = std::fs::read_to_string(&answer_file).expect("answer file");
    assert!(answer.starts_with("HTTP/1.1 200 OK\r\n") && answer.contains(&fake.api_key), "{answer}");
    assert!(done.found.configured, "the documented shape is the pack's key_path: {:?}", done.found);
    // The same output again: refused locally, nothing sent, nothing overwritten.
    let again = run(&server, dir.path(), "Another-Secret-1", "key", T).await.expect_err("exists");
    assert!(matches!(again, ExchangeError::OutExists(_)));
    assert_eq!(fake.count(), 1);
    // A new output: the partner says the temporal key is dead.
    let again = run(&server, dir.path(), "Another-Secret-1", "key2", T).await.expect_err("used");
    assert!(matches!(again, ExchangeError::TemporalKeyRefused(401)), "{again}");
    assert!(again.to_string().contains("temporal key was already used or has expired"), "{again}");
    assert_eq!(fake.count(), 2);
    assert!(!dir.path().join("key2").exists() && !dir.path().join("key2.answer").exists(), "a refusal saves nothing");
    assert_eq!(std::fs::read_to_string(dir.path().join("key")).expect("key").trim(), written.trim());
}

#[tokio::test]
async fn every_request_sent_is_recorded_with_its_real_url_and_no_body_or_key() {
    let (server, fake) = fake_with(ExchangeMode::Normal).await;
    let dir = tempfile::tempdir().expect("dir");
    let sent = std::sync::Mutex::new(Vec::<SentRequest>::new());
    let record = |r: SentRequest| sent.lock().expect("lock").push(r);
    run_recorded(&server, dir.path(), SECRET, "key", T, &record).await.expect("exchanged");
    run_recorded(&server, dir.path(), "Short", "key2", T, &record).await.expect_err("policy");
    run_recorded(&server, dir.path(), "Another-Secret-1", "key3", T, &record).await.expect_err("used");
    let sent = sent.into_inner().expect("records");
    let shown: Vec<(&str, String, Option<u16>)> =
        sent.iter().map(|r| (r.method.as_str(), r.url.clone(), r.status)).collect();
    let (exchange, read) = (
        format!("{}/v1/accounts/public-api/{ACCOUNT}", server.uri()),
        format!("{}/v1/public-api/organizations/{ORGANIZATION}/subscriptions", server.uri()),
    );
    // The policy violation sent nothing, so it recorded nothing.
    assert_eq!(
        shown,
        [("PATCH", exchange.clone(), Some(200)), ("GET", read, Some(200)), ("PATCH", exchange, Some(401))],
        "{sent:#?}"
    );
    let bodies: Vec<(Option<&str>, Option<&str>)> = sent.iter().map(|r| (r.request_body, r.response_body)).collect();
    assert_eq!(
        bodies,
        [
            (Some("[withheld: holds the account secret]"), Some("[withheld: holds the permanent key]")),
            (None, Some("[withheld: not read; the status proves the new key]")),
            (Some("[withheld: holds the account secret]"), Some("[withheld: may echo the account secret]")),
        ]
    );
    for r in &sent {
        assert!(r.request_headers.contains(&("authorization".into(), "***".into())), "{r:#?}");
        assert!(!r.response_headers.is_empty() && r.error.is_none(), "{r:#?}");
    }
    let all = format!("{sent:?}");
    for canary in [TEMPORAL, SECRET, "Another-Secret-1", &fake.api_key, "CANARY"] {
        assert!(!all.contains(canary), "{canary} is in a record: {all}");
    }
}

#[tokio::test]
async fn a_timeout_is_reported_as_unknown_state_and_not_retried() {
    let (server, fake) = fake_with(ExchangeMode::Slow(Duration::from_secs(3))).await;
    let dir = tempfile::tempdir().expect("dir");
    let sent = std::sync::Mutex::new(Vec::<SentRequest>::new());
    let record = |r: SentRequest| sent.lock().expect("lock").push(r);
    let err = run_recorded(&server, dir.path(), SECRET, "key", Duration::from_millis(300), &record)
        .await
        .expect_err("timeout");
    assert_eq!(err, ExchangeError::Timeout);
    let sent = sent.into_inner().expect("records");
    assert_eq!(sent.len(), 1, "the timed-out request is recorded: {sent:#?}");
    assert_eq!((sent[0].status, sent[0].error.as_deref()), (None, Some("no answer before the deadline")));
    assert!(err.to_string().contains("may or may not have been exchanged"));
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(fake.count(), 1);
}

#[tokio::test]
async fn a_reset_after_the_request_is_unknown_state_and_only_a_failed_connect_means_nothing_sent() {
    let dir = tempfile::tempdir().expect("dir");
    let reset = Fault::ResetDuringHandshake.start().await.expect("fault server");
    let err = run_at(&reset.url("http"), dir.path(), SECRET, "key", T, &|_| {}).await.expect_err("reset");
    assert_eq!(reset.patches(), 1, "the request arrived before the reset");
    assert!(matches!(err, ExchangeError::UnknownState(_)), "{err:?}");
    let text = err.to_string();
    assert!(
        text.starts_with(
            "unknown state — the key may or may not have been exchanged; check with the partner before retrying"
        ),
        "{text}"
    );
    assert!(!text.contains("before any answer") && !text.contains("nothing was sent"), "{text}");
    assert!(err.sent());
    let refused = Fault::ConnectionRefused.start().await.expect("fault server");
    let err = run_at(&refused.url("http"), dir.path(), SECRET, "key", T, &|_| {}).await.expect_err("refused");
    assert!(matches!(err, ExchangeError::Transport(_)), "{err:?}");
    assert!(err.to_string().contains("nothing was sent") && !err.sent(), "{err}");
}

#[tokio::test]
async fn a_key_that_cannot_be_moved_into_place_is_kept_and_its_place_named() {
    let dir = tempfile::tempdir().expect("dir");
    let out = dir.path().join("key");
    let server = golive_fakes::Wiremock::start().await;
    let target = out.clone();
    // The output appears after the check before the request: the move must not overwrite it.
    let answer = move |_: &wiremock::Request| {
        std::fs::write(&target, "someone else's file\n").expect("write");
        wiremock::ResponseTemplate::new(200)
            .set_body_json(serde_json::json!({"apiKey": "pk_kept_1", "apiKeyId": "kid_1"}))
    };
    Mock::given(method("PATCH")).respond_with(answer).mount(&server).await;
    let err = run(&server, dir.path(), SECRET, "key", T).await.expect_err("not moved");
    let ExchangeError::KeptElsewhere { kept, .. } = &err else { panic!("{err:?}") };
    assert_eq!(std::fs::read_to_string(&out).expect("out"), "someone else's file\n", "never overwritten");
    assert_eq!(std::fs::read_to_string(kept).expect("kept").trim(), format!("{ACCOUNT}_pk_kept_1_kid_1"));
    assert!(err.to_string().contains(&kept.display().to_string()), "{err}");
    assert!(!err.to_string().contains("pk_kept_1"), "the key is never shown: {err}");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(kept).expect("meta").permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }
}

#[tokio::test]
async fn a_5xx_is_not_retried() {
    let (server, fake) = fake_with(ExchangeMode::Fails(503)).await;
    let dir = tempfile::tempdir().expect("dir");
    let err = run(&server, dir.path(), SECRET, "key", T).await.expect_err("5xx");
    assert_eq!(err, ExchangeError::ServerError(503));
    assert!(err.to_string().contains("does not retry"));
    assert_eq!(fake.count(), 1);
}

#[tokio::test]
async fn a_reused_secret_is_refused_before_any_request() {
    let dir = tempfile::tempdir().expect("dir");
    let (server, fake) = fake_with(ExchangeMode::Normal).await;
    run(&server, dir.path(), SECRET, "key", T).await.expect("first exchange");
    assert_eq!(fake.count(), 1);
    let (server2, fake2) = fake_with(ExchangeMode::Normal).await;
    let err = run(&server2, dir.path(), SECRET, "key2", T).await.expect_err("reused");
    assert_eq!(err, ExchangeError::Reused(4));
    assert_eq!(fake2.count(), 0);
    let state = std::fs::read_to_string(dir.path().join("state.json")).expect("state");
    assert!(!state.contains(SECRET), "the state holds hashes, never the secret");
}

#[tokio::test]
async fn key_exchange_cli_and_probe_leak_no_key_or_secret() {
    let (server, fake) = fake_with(ExchangeMode::Normal).await;
    let dir = tempfile::tempdir().expect("dir");
    std::fs::write(
        dir.path().join("golive.toml"),
        format!(
            "[env.production]\npack = \"paymentsai\"\nbase_url = \"{}\"\naccount_id = \"{ACCOUNT}\"\norganization_id = \"org_01\"\n\
             temporal_api_key = {{ env = \"T_KEY\" }}\naccount_secret = {{ env = \"T_SECRET\" }}\n\
             permanent_key_file = \"permanent.key\"\nstate_file = \"state.json\"\napi_key = {{ env = \"T_API\" }}\n\
             website_url = \"{}\"\n",
            server.uri(),
            server.uri()
        ),
    )
    .expect("config");
    let envs = [("T_KEY", TEMPORAL), ("T_SECRET", SECRET), ("T_API", "CANARY-wrong-api-key")];
    let refused = golive_in(dir.path(), &["key", "exchange", "--env", "production"], &envs);
    assert_eq!(refused.status.code(), Some(2), "no terminal and no --yes: refused");
    assert_eq!(fake.count(), 0);
    let cli = golive_in(dir.path(), &["key", "exchange", "--env", "production", "--yes"], &envs);
    assert_eq!(cli.status.code(), Some(0), "{}", stderr(&cli));
    assert_eq!(fake.count(), 1);
    let probe = golive_in(
        dir.path(),
        &[
            "verify",
            "--env",
            "production",
            "--only",
            "pai-key-exchange",
            "--only",
            "pai-api-key",
            "--allow-mutations",
            "--format",
            "json",
            "--report",
            "junit=r.xml",
        ],
        &envs,
    );
    let mut all = format!("{}{}{}{}", stdout(&cli), stderr(&cli), stdout(&probe), stderr(&probe));
    all.push_str(&std::fs::read_to_string(dir.path().join("r.xml")).expect("junit"));
    for canary in [TEMPORAL, SECRET, &fake.api_key, "CANARY"] {
        assert_eq!(all.matches(canary).count(), 0, "{canary} leaked:\n{all}");
    }
    let doc: serde_json::Value = serde_json::from_str(&stdout(&probe)).expect("json");
    let exchange =
        doc["probes"].as_array().expect("probes").iter().find(|p| p["kind"] == "apikey-exchange").expect("ran");
    assert_eq!(exchange["status"], "fail", "the permanent key file exists: {exchange:#}");
    let api = doc["probes"].as_array().expect("probes").iter().find(|p| p["kind"] == "apikey").expect("ran");
    assert_eq!(api["status"], "fail", "the wrong key has the wrong shape: {api:#}");
    assert!(api["checks"][0]["message"].as_str().expect("msg").contains("<accountId>_<apiKey>_<apiKeyId>"));
}
