//! Pack diagnoses through the runner: a `status` class such as "5xx" maps a
//! server error to the pack's cause, and pack-wide HTTP rules only speak for
//! answers of the partner's API, not for the merchant's own webhook or website.

use golive::config::scheme::Scheme;
use golive::config::{Environment, Secret, SecretRef, Webhook};
use golive::plan::Selection;
use golive::report::{ProbeReport, Status};
use golive::runner::RunOptions;
use secrecy::SecretString;
use wiremock::matchers::path;
use wiremock::{Mock, ResponseTemplate};

use crate::support::{env_at, pack_from, run_pack};

const SERVER_ERROR: &str = "the partner answered a server error (5xx)";
const KEY_REJECTED: &str = "the partner rejected the API key (401)";

/// A pack with a 401 and a 5xx rule, an http probe of the partner API and one of the merchant's website.
fn pack(extra: &str) -> String {
    format!(
        r#"
[pack]
name = "t"
title = "T"
runbook = "t"

[[diagnosis]]
when = {{ status = 401 }}
cause = "{KEY_REJECTED}"
fix = "check api_key"

[[diagnosis]]
when = {{ status = "5xx" }}
cause = "{SERVER_ERROR}"
fix = "retry later"

[[probe]]
id = "api"
kind = "http"
title = "Partner API"
[probe.params]
url = "${{base_url}}/accounts"

[[probe]]
id = "site"
kind = "http"
title = "Merchant website"
[probe.params]
url = "${{website_url}}/"
auth = false
{extra}"#
    )
}

async fn answering(status: u16) -> golive_fakes::Wiremock {
    let server = golive_fakes::Wiremock::start().await;
    Mock::given(path("/v1/accounts"))
        .respond_with(ResponseTemplate::new(status).set_body_json(serde_json::json!({"message": "nope"})))
        .mount(&server)
        .await;
    Mock::given(path("/")).respond_with(ResponseTemplate::new(status)).mount(&server).await;
    server
}

fn cause(r: &ProbeReport) -> Option<&str> {
    r.diagnosis.as_ref().map(|d| d.cause.as_str())
}

/// The partner API under `/v1` of one server, the merchant's website at another.
fn env(partner: &str, website: &str) -> Environment {
    let mut env = env_at(&format!("{partner}/v1"));
    env.website_url = Some(reqwest::Url::parse(website).expect("url"));
    env
}

async fn run(env: Environment, text: &str) -> Vec<ProbeReport> {
    run_pack(env, pack_from(text), &Selection::default(), &RunOptions::default()).await.probes
}

#[tokio::test]
async fn a_status_class_matches_every_status_of_its_hundred_and_no_other() {
    for (status, want) in [(500, Some(SERVER_ERROR)), (503, Some(SERVER_ERROR)), (401, Some(KEY_REJECTED)), (404, None)]
    {
        let partner = answering(status).await;
        let reports = run(env(&partner.uri(), "http://127.0.0.1:9/"), &pack("")).await;
        let api = reports.iter().find(|r| r.id == "api").expect("api probe");
        assert_eq!(api.status, Status::Fail, "{status}: {api:#?}");
        assert_eq!(cause(api), want, "{status}: {api:#?}");
    }
}

#[tokio::test]
async fn pack_wide_http_rules_do_not_speak_for_the_merchants_website() {
    let partner = answering(503).await;
    let website = answering(500).await;
    let reports = run(env(&partner.uri(), &website.uri()), &pack("")).await;
    let api = reports.iter().find(|r| r.id == "api").expect("api");
    assert_eq!(cause(api), Some(SERVER_ERROR), "{api:#?}");
    let site = reports.iter().find(|r| r.id == "site").expect("site");
    assert_eq!(site.status, Status::Fail, "{site:#?}");
    assert_eq!(cause(site), None, "the website's 500 is not the partner's server error: {site:#?}");

    // A probe's own rule still applies wherever it points.
    let own = "[[probe.diagnosis]]\nwhen = { status = \"5xx\" }\ncause = \"the website is down\"\nfix = \"tell the web team\"\n";
    let reports = run(env(&partner.uri(), &website.uri()), &pack(own)).await;
    let site = reports.iter().find(|r| r.id == "site").expect("site");
    assert_eq!(cause(site), Some("the website is down"), "{site:#?}");
}

#[tokio::test]
async fn a_webhook_endpoint_answering_503_keeps_the_webhook_diagnosis() {
    let partner = answering(503).await;
    let endpoint = golive_fakes::Wiremock::start().await;
    Mock::given(path("/hooks")).respond_with(ResponseTemplate::new(503)).mount(&endpoint).await;
    let scheme = Scheme::preset("paymentsai").expect("preset");
    let mut env = env(&partner.uri(), "http://127.0.0.1:9/");
    env.webhook = Some(Webhook {
        url: reqwest::Url::parse(&format!("{}/hooks", endpoint.uri())).expect("url"),
        scheme: Some(scheme),
        secret: Secret {
            value: SecretString::from("a-test-secret-for-the-receiver".to_string()),
            source: SecretRef::Env("TEST_WEBHOOK_SECRET".into()),
        },
    });
    let text = format!(
        "{}\n[[probe]]\nid = \"hook\"\nkind = \"webhook\"\ntitle = \"Webhook\"\n[probe.params]\nid_field = \"deduplicationId\"\n[probe.params.event]\ndeduplicationId = \"x\"\ntype = \"t\"\n",
        pack("")
    );
    let reports = run(env, &text).await;
    let hook = reports.iter().find(|r| r.id == "hook").expect("hook");
    assert_eq!(hook.status, Status::Fail, "{hook:#?}");
    let got = cause(hook).unwrap_or_default();
    // The webhook's own diagnosis of a server error, not the partner's.
    assert!(got.contains("failed with 503 while handling a correctly signed event"), "{hook:#?}");
}

/// `${header.NAME}` in a diagnosis shows that header of the answer, or
/// `not sent`; and a 429 to a mutating request is never resent.
#[tokio::test]
async fn a_diagnosis_shows_the_retry_after_header_and_a_mutation_is_sent_once() {
    let text = r#"
[pack]
name = "t"
title = "T"
runbook = "t"

[[diagnosis]]
when = { status = 429 }
cause = "rate-limited; Retry-After: ${header.retry-after}"
fix = "wait ${header.Retry-After} s; ${header.x-missing}; ${base_url} stays"

[[probe]]
id = "create"
kind = "http"
title = "Create"
tags = ["mutating"]
[probe.params]
method = "POST"
url = "${base_url}/create"
json = { name = "x" }
"#;
    let server = golive_fakes::Wiremock::start().await;
    Mock::given(path("/create"))
        .respond_with(ResponseTemplate::new(429).insert_header("Retry-After", "120"))
        .mount(&server)
        .await;
    let opts = RunOptions { allow_mutations: true, ..RunOptions::default() };
    let summary = run_pack(env_at(&server.uri()), pack_from(text), &Selection::default(), &opts).await;
    let r = &summary.probes[0];
    assert_eq!(r.status, Status::Fail, "{r:#?}");
    let d = r.diagnosis.as_ref().expect("diagnosis");
    assert_eq!(d.cause, "rate-limited; Retry-After: 120");
    assert_eq!(d.fix, "wait 120 s; not sent; ${base_url} stays");
    let received = server.received_requests().await.unwrap_or_default();
    assert_eq!(received.len(), 1, "the POST was sent once, never retried: {received:?}");
}
