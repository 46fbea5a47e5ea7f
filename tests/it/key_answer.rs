//! The key exchange never loses the permanent key: whatever the shape of an
//! accepted answer, it is on disk (0600) before anything reads it, the run
//! names the file and the header to build from it, and the key is in no
//! output, report or evidence. The temporal key's documented lifetime and
//! every disk problem are checked before any request.
//!
//! The partner is a wiremock server on 127.0.0.1 mounted here, answering the
//! exchange in shapes the pack does not know; the key and its id are canaries.

use std::path::Path;
use std::sync::Mutex;
use std::time::Duration;

use golive::apikey::{ExchangeError, ExchangeInput, Exchanged, SentRequest, exchange, temporal_key_age};
use golive::config::{Environment, Secret, SecretRef, pack};
use secrecy::SecretString;
use serde_json::json;
use time::OffsetDateTime;
use wiremock::matchers::{header, method, path};
use wiremock::{Mock, ResponseTemplate};

use crate::support::{golive_in, stderr, stdout};

const ACCOUNT: &str = "acc_shape_7";
const ORGANIZATION: &str = "6f326525-1586-479b-8176-55ba802caea4";
const TEMPORAL: &str = "CANARY-temporal-3e9a";
const SECRET: &str = "CANARY-Secret-41";
/// The permanent key (underscores on purpose: it is never split) and its id.
const KEY: &str = "CANARY_pk_live_7f3c_91d0";
const KEY_ID: &str = "CANARY-kid-5521";
/// Every value that may appear in no output.
const CANARIES: [&str; 4] = [KEY, KEY_ID, TEMPORAL, SECRET];
const T: Duration = Duration::from_secs(5);

/// Accepted answers the pack's paths do not match.
#[derive(Debug, Clone, Copy)]
enum Shape {
    /// JSON with field names of the partner's own.
    OtherNames,
    /// The documented names, nested deeper than any documented shape.
    DeepNesting,
    /// A 200 whose body is not JSON.
    NotJson,
    /// A 200 with an empty body; the key comes in a header of the partner's own.
    Empty,
}

impl Shape {
    const ALL: [Shape; 4] = [Shape::OtherNames, Shape::DeepNesting, Shape::NotJson, Shape::Empty];

    fn answer(self) -> ResponseTemplate {
        let ok = ResponseTemplate::new(200);
        match self {
            Shape::OtherNames => ok.set_body_json(json!({"key": KEY, "keyIdentifier": KEY_ID, "account": ACCOUNT})),
            Shape::DeepNesting => {
                ok.set_body_json(json!({"result": {"credentials": {"apiKey": KEY, "apiKeyId": KEY_ID}}}))
            }
            Shape::NotJson => ok.set_body_raw(format!("apiKey={KEY}\napiKeyId={KEY_ID}\n"), "text/plain"),
            Shape::Empty => ok.insert_header("x-permanent-api-key", format!("{KEY} {KEY_ID}")),
        }
    }

    /// How the run explains that it found no key.
    fn why(self) -> &'static str {
        match self {
            Shape::OtherNames | Shape::DeepNesting => {
                "its body is a JSON object with no key at any path the pack knows ($.apiKey and $.apiKeyId; $.data.apiKey and $.data.apiKeyId)"
            }
            Shape::NotJson => "its body is not JSON",
            Shape::Empty => "its body is empty",
        }
    }
}

/// The partner: the exchange answers `answer` every time, and the documented
/// read answers 200 to the permanent credential.
async fn partner(answer: ResponseTemplate) -> golive_fakes::Wiremock {
    let server = golive_fakes::Wiremock::start().await;
    Mock::given(method("PATCH"))
        .and(path(format!("/v1/accounts/public-api/{ACCOUNT}")))
        .and(header("Authorization", format!("ApiKey {TEMPORAL}").as_str()))
        .respond_with(answer)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(format!("/v1/public-api/organizations/{ORGANIZATION}/subscriptions")))
        .and(header("Authorization", format!("ApiKey {ACCOUNT}_{KEY}_{KEY_ID}").as_str()))
        .respond_with(ResponseTemplate::new(200))
        .mount(&server)
        .await;
    server
}

/// How many exchanges the partner received.
async fn patches(server: &golive_fakes::Wiremock) -> usize {
    server.received_requests().await.unwrap_or_default().iter().filter(|r| r.method.as_str() == "PATCH").count()
}

fn env(base_url: &str, dir: &Path, issued_at: Option<OffsetDateTime>) -> Environment {
    Environment {
        name: "production".into(),
        pack: "paymentsai".into(),
        base_url: Some(reqwest::Url::parse(base_url).expect("url")),
        inputs: vec![
            ("account_id".into(), golive::config::Input::Text(ACCOUNT.into())),
            ("organization_id".into(), golive::config::Input::Text(ORGANIZATION.into())),
            (
                "temporal_api_key".into(),
                golive::config::Input::Secret(Secret {
                    value: SecretString::from(TEMPORAL.to_string()),
                    source: SecretRef::Env("T".into()),
                }),
            ),
        ],
        temporal_key_issued_at: issued_at,
        state_file: Some(dir.join("state.json")),
        ..Environment::default()
    }
}

/// One exchange from the library, writing `dir/out`, its requests recorded.
async fn run(
    base_url: &str,
    dir: &Path,
    out: &str,
    issued_at: Option<OffsetDateTime>,
) -> (Result<Exchanged, ExchangeError>, Vec<SentRequest>) {
    let pack = pack::load("paymentsai", None).expect("built-in pack");
    let env = env(base_url, dir, issued_at);
    let sent = Mutex::new(Vec::new());
    let record = |r: SentRequest| sent.lock().expect("lock").push(r);
    let result = exchange(ExchangeInput {
        env: &env,
        spec: pack.key_exchange.as_ref().expect("exchange spec"),
        policy: pack.secret_policy.as_ref(),
        pack: &pack.name,
        secret: &SecretString::from(SECRET.to_string()),
        out: &dir.join(out),
        state_path: &dir.join("state.json"),
        client: &reqwest::Client::builder().no_proxy().build().expect("client"),
        timeout: T,
        record: &record,
    })
    .await;
    (result, sent.into_inner().expect("records"))
}

fn ago(d: time::Duration) -> Option<OffsetDateTime> {
    Some(OffsetDateTime::now_utc() - d)
}

#[cfg(unix)]
fn mode(p: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(p).expect("meta").permissions().mode() & 0o777
}

fn leaks(text: &str) -> Vec<&'static str> {
    CANARIES.into_iter().filter(|c| text.contains(c)).collect()
}

#[tokio::test]
async fn every_unknown_answer_shape_leaves_the_key_on_disk_and_in_no_record() {
    for shape in Shape::ALL {
        let server = partner(shape.answer()).await;
        let dir = tempfile::tempdir().expect("dir");
        let (result, sent) = run(&server.uri(), dir.path(), "key", None).await;
        let err = result.expect_err("no key file");
        let ExchangeError::AnswerKept { answer, why, header } = &err else { panic!("{shape:?}: {err:?}") };
        assert_eq!(answer, &dir.path().join("key.answer"), "{shape:?}");
        assert!(why.starts_with(shape.why()), "{shape:?}: {why}");
        assert_eq!(header, &format!("Authorization: ApiKey {ACCOUNT}_<apiKey>_<apiKeyId>"));
        // The key is recoverable from the file the error names...
        let saved = std::fs::read_to_string(answer).expect("the raw answer");
        assert!(saved.starts_with("HTTP/1.1 200 OK\r\n"), "{shape:?}: {saved}");
        assert!(saved.contains(KEY) && saved.contains(KEY_ID), "{shape:?}: the key is on disk: {saved}");
        #[cfg(unix)]
        assert_eq!(mode(answer), 0o600, "{shape:?}");
        assert!(!dir.path().join("key").exists(), "{shape:?}: no key file from a guess");
        // ...which says what it holds and how to use it...
        let text = err.to_string();
        for part in [
            answer.display().to_string().as_str(),
            "it holds the permanent key",
            "Do not exchange again",
            header.as_str(),
        ] {
            assert!(text.contains(part), "{shape:?}: `{part}` in: {text}");
        }
        assert!(err.sent() && !text.contains("not saved"), "{shape:?}: {text}");
        // ...and it is in no message and no record.
        assert_eq!(leaks(&format!("{text}{err:?}{sent:?}")), Vec::<&str>::new(), "{shape:?}");
        assert_eq!(sent.len(), 1, "{shape:?}: no read with a key golive does not have: {sent:#?}");
        assert_eq!(patches(&server).await, 1, "{shape:?}");
    }
}

#[tokio::test]
async fn the_documented_envelope_is_found_after_the_configured_paths() {
    let answer = ResponseTemplate::new(200)
        .set_body_json(json!({"type": "object", "data": {"apiKey": KEY, "apiKeyId": KEY_ID, "accountId": ACCOUNT}}));
    let server = partner(answer).await;
    let dir = tempfile::tempdir().expect("dir");
    let (result, sent) = run(&server.uri(), dir.path(), "key", None).await;
    let done = result.expect("exchanged");
    assert_eq!(
        std::fs::read_to_string(dir.path().join("key")).expect("key").trim(),
        format!("{ACCOUNT}_{KEY}_{KEY_ID}")
    );
    assert_eq!(done.verified, Ok(200), "the documented read accepts the new credential");
    assert!(!done.found.configured && done.found.at == "$.data.apiKey and $.data.apiKeyId", "{:?}", done.found);
    let answer = done.answer.as_ref().expect("the raw answer was saved");
    assert!(std::fs::read_to_string(answer).expect("answer").contains(KEY));
    assert_eq!(leaks(&format!("{sent:?}{done:?}")), Vec::<&str>::new(), "Exchanged shows no key, even in Debug");
}

fn config(dir: &Path, base_url: &str, issued_at: Option<&str>) {
    let issued = issued_at.map(|t| format!("temporal_key_issued_at = {t}\n")).unwrap_or_default();
    let text = format!(
        "[env.production]\npack = \"paymentsai\"\nbase_url = \"{base_url}\"\naccount_id = \"{ACCOUNT}\"\n\
         organization_id = \"{ORGANIZATION}\"\ntemporal_api_key = {{ env = \"T_KEY\" }}\n{issued}\
         account_secret = {{ env = \"T_SECRET\" }}\npermanent_key_file = \"probe.key\"\nstate_file = \"state.json\"\n\
         api_key = {{ env = \"T_API\" }}\nwebsite_url = \"{base_url}\"\n"
    );
    std::fs::write(dir.join("golive.toml"), text).expect("config");
}

const ENVS: [(&str, &str); 3] = [("T_KEY", TEMPORAL), ("T_SECRET", SECRET), ("T_API", "acc_x_wrong_key")];

/// Every file under `dir`, as text.
fn files_under(dir: &Path) -> String {
    let mut all = String::new();
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let p = entry.path();
        if p.is_dir() {
            all.push_str(&files_under(&p));
        } else {
            all.push_str(&String::from_utf8_lossy(&std::fs::read(&p).unwrap_or_default()));
        }
    }
    all
}

#[tokio::test]
async fn key_exchange_and_its_probe_name_the_answer_file_and_show_the_key_nowhere() {
    for shape in Shape::ALL {
        let server = partner(shape.answer()).await;
        let dir = tempfile::tempdir().expect("dir");
        config(dir.path(), &server.uri(), None);
        let cli =
            golive_in(dir.path(), &["key", "exchange", "--env", "production", "--yes", "--out", "cli.key"], &ENVS);
        let said = format!("{}{}", stdout(&cli), stderr(&cli));
        assert_eq!(cli.status.code(), Some(1), "{shape:?}: {said}");
        for part in ["cli.key.answer (mode 0600)", "it holds the permanent key", shape.why()] {
            assert!(said.contains(part), "{shape:?}: `{part}` in: {said}");
        }
        assert!(said.contains(&format!("`Authorization: ApiKey {ACCOUNT}_<apiKey>_<apiKeyId>`")), "{said}");
        let saved = std::fs::read_to_string(dir.path().join("cli.key.answer")).expect("the file the output names");
        assert!(saved.contains(KEY) && saved.contains(KEY_ID), "{shape:?}");

        let args = [
            "-vv",
            "verify",
            "--env",
            "production",
            "--only",
            "pai-key-exchange",
            "--allow-mutations",
            "--no-progress",
            "--format",
            "json",
            "--report",
            "junit=r.xml",
            "--report",
            "markdown=r.md",
            "--evidence",
            "ev",
        ];
        let probe = golive_in(dir.path(), &args, &ENVS);
        let doc: serde_json::Value = serde_json::from_str(&stdout(&probe)).expect("json");
        let p = doc["probes"].as_array().expect("probes").iter().find(|p| p["kind"] == "apikey-exchange").expect("ran");
        assert_eq!(p["status"], "fail", "{shape:?}: {p:#}");
        assert!(p.to_string().contains("probe.key.answer"), "{shape:?}: the report names the file: {p:#}");
        let saved = std::fs::read_to_string(dir.path().join("probe.key.answer")).expect("the file the report names");
        assert!(saved.contains(KEY) && saved.contains(KEY_ID), "{shape:?}");

        let mut all = format!("{said}{}{}", stdout(&probe), stderr(&probe));
        for report in ["r.xml", "r.md"] {
            all.push_str(&std::fs::read_to_string(dir.path().join(report)).expect("report"));
        }
        let evidence = files_under(&dir.path().join("ev"));
        assert!(evidence.contains("pai-key-exchange"), "{shape:?}: the evidence holds the exchange");
        all.push_str(&evidence);
        assert_eq!(leaks(&all), Vec::<&str>::new(), "{shape:?}: leaked in:\n{all}");
        assert_eq!(patches(&server).await, 2, "{shape:?}: one exchange per run");
    }
}

#[tokio::test]
async fn an_expired_temporal_key_is_refused_before_any_request_and_near_expiry_warns() {
    let documented = ResponseTemplate::new(200).set_body_json(json!({"apiKey": KEY, "apiKeyId": KEY_ID}));
    let server = partner(documented).await;
    let dir = tempfile::tempdir().expect("dir");
    let (result, sent) = run(&server.uri(), dir.path(), "key", ago(time::Duration::days(8))).await;
    let err = result.expect_err("expired");
    assert!(matches!(err, ExchangeError::TemporalKeyExpired { valid_days: 7, .. }), "{err:?}");
    let text = err.to_string();
    for part in [
        "the temporal key expired at",
        "lifetime of 7 days",
        "nothing was sent",
        "Ask the partner for a new temporal key",
    ] {
        assert!(text.contains(part), "`{part}` in: {text}");
    }
    assert!(!err.sent() && sent.is_empty());
    assert_eq!(std::fs::read_dir(dir.path()).expect("dir").count(), 0, "nothing staged, nothing written");
    assert_eq!(patches(&server).await, 0);

    // Six days and twenty hours old: it warns, and the exchange goes ahead.
    let issued = ago(time::Duration::days(6) + time::Duration::hours(20));
    let pack = pack::load("paymentsai", None).expect("pack");
    let spec = pack.key_exchange.as_ref().expect("spec");
    let warning = temporal_key_age(&env(&server.uri(), dir.path(), issued), spec).warning().expect("a warning");
    assert!(warning.starts_with("the temporal key expires at ") && warning.contains("3h 59m left"), "{warning}");
    let (result, _) = run(&server.uri(), dir.path(), "key", issued).await;
    assert_eq!(result.expect("exchanged").verified, Ok(200));
    assert_eq!(patches(&server).await, 1);
}

#[tokio::test]
async fn the_cli_checks_the_temporal_keys_age_from_the_configuration() {
    let documented = ResponseTemplate::new(200).set_body_json(json!({"apiKey": KEY, "apiKeyId": KEY_ID}));
    let server = partner(documented).await;
    let rfc3339 = |t: Option<OffsetDateTime>| {
        format!("\"{}\"", t.expect("t").format(&time::format_description::well_known::Rfc3339).expect("format"))
    };
    let exchange = ["key", "exchange", "--env", "production", "--yes"];

    let dir = tempfile::tempdir().expect("dir");
    config(dir.path(), &server.uri(), Some(&rfc3339(ago(time::Duration::days(9)))));
    let out = golive_in(dir.path(), &exchange, &ENVS);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("the temporal key expired at"), "{}", stderr(&out));
    // The probe refuses it the same way, with a diagnosis.
    let verify = [
        "verify",
        "--env",
        "production",
        "--only",
        "pai-key-exchange",
        "--allow-mutations",
        "--no-progress",
        "--format",
        "json",
    ];
    let out = golive_in(dir.path(), &verify, &ENVS);
    let doc: serde_json::Value = serde_json::from_str(&stdout(&out)).expect("json");
    let p = doc["probes"].as_array().expect("probes").iter().find(|p| p["kind"] == "apikey-exchange").expect("ran");
    assert_eq!(p["status"], "fail", "{p:#}");
    assert!(
        p.to_string().contains("the temporal key expired at") && p.to_string().contains("older than the 7 days"),
        "{p:#}"
    );
    assert_eq!(patches(&server).await, 0);

    // A zone-less time is refused where it is written.
    config(dir.path(), &server.uri(), Some("\"2026-11-20 10:00\""));
    let out = golive_in(dir.path(), &exchange, &ENVS);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("`temporal_key_issued_at` is not a date and time with a time zone"),
        "{}",
        stderr(&out)
    );

    // A TOML date-time, 6 days and 12 hours old: a warning, then the exchange.
    let issued = ago(time::Duration::days(6) + time::Duration::hours(12)).expect("t");
    let literal = issued.replace_nanosecond(0).expect("ns").format(&time::format_description::well_known::Rfc3339);
    config(dir.path(), &server.uri(), Some(&literal.expect("format")));
    let out = golive_in(dir.path(), &exchange, &ENVS);
    assert_eq!(out.status.code(), Some(0), "{}{}", stdout(&out), stderr(&out));
    assert!(stderr(&out).contains("warning: the temporal key expires at"), "{}", stderr(&out));
    assert!(stdout(&out).contains("probe.key.answer (mode 0600)"), "{}", stdout(&out));
    assert_eq!(patches(&server).await, 1);
}

#[tokio::test]
async fn disk_problems_are_found_before_the_request_for_both_files() {
    let documented = ResponseTemplate::new(200).set_body_json(json!({"apiKey": KEY, "apiKeyId": KEY_ID}));
    let server = partner(documented).await;
    let fresh = ago(time::Duration::hours(1));
    let dir = tempfile::tempdir().expect("dir");
    // The folder cannot hold files (a file stands where it should be; root too is refused).
    std::fs::write(dir.path().join("not-a-folder"), "").expect("file");
    let (result, _) = run(&server.uri(), dir.path(), "not-a-folder/key", fresh).await;
    let err = result.expect_err("unwritable");
    assert!(matches!(err, ExchangeError::OutUnwritable(_)) && err.to_string().ends_with("nothing was sent"), "{err}");
    // An answer file from an earlier exchange is never overwritten.
    std::fs::write(dir.path().join("key.answer"), "an earlier answer\n").expect("answer");
    let (result, _) = run(&server.uri(), dir.path(), "key", fresh).await;
    let err = result.expect_err("answer exists");
    assert!(matches!(&err, ExchangeError::AnswerExists(p) if p == &dir.path().join("key.answer")), "{err:?}");
    assert!(err.to_string().contains("may hold the permanent key of an earlier exchange"), "{err}");
    assert_eq!(std::fs::read_to_string(dir.path().join("key.answer")).expect("kept"), "an earlier answer\n");
    // Nor is a symlink followed, even a dangling one.
    #[cfg(unix)]
    {
        std::os::unix::fs::symlink(dir.path().join("elsewhere"), dir.path().join("link.answer")).expect("symlink");
        let (result, _) = run(&server.uri(), dir.path(), "link", fresh).await;
        assert!(matches!(result, Err(ExchangeError::AnswerExists(_))), "{result:?}");
        assert!(!dir.path().join("elsewhere").exists());
    }
    assert_eq!(patches(&server).await, 0);
    assert!(!dir.path().join("key").exists());
}
