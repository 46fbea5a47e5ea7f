//! `webhook.auth`: the Basic credentials registered with the partner's webhook
//! destination. The `webhook` probe sends them with every delivery, names a
//! 401 from an endpoint that wants them, and never prints the password; a
//! PaymentsAI duplicate (same `deduplicationId`) must get exactly 200 too.
//!
//! The endpoints are real HTTP servers on 127.0.0.1 (wiremock) that verify
//! the credentials and the PaymentsAI signature as a merchant's handler would.

use std::collections::HashSet;
use std::sync::Mutex;

use base64::Engine;
use golive::config::scheme::Scheme;
use golive::config::{Environment, Secret, SecretRef, Webhook, WebhookAuth};
use golive::plan::Selection;
use golive::report::{Format, ProbeReport, RunSummary, Status};
use golive::runner::RunOptions;
use golive::webhook::sign::{self, Key};
use golive::webhook::verify;
use secrecy::SecretString;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

use crate::support::{pack_from, run_pack};

const USER: &str = "pai-hooks";
const PASSWORD: &str = "canary-BASIC-pa55word-4471";
const SIGNING_SECRET: &str = "webhook-signing-secret-for-tests";

/// The pack's PaymentsAI webhook probe, as `probes/paymentsai.toml` declares it.
const PACK: &str = r#"
[pack]
name = "test"
title = "Test"
runbook = "test-runbook"

[[probe]]
id = "hook"
kind = "webhook"
title = "Webhook"
[probe.params]
scheme = "paymentsai"
id_field = "deduplicationId"
[probe.params.event]
deduplicationId = "set-per-delivery"
type = "transaction-processed"
organizationId = "6f326525-1586-479b-8176-55ba802caea4"
metadata = { id = "golive-test-transaction", amount = 1, currency = "USD", status = "completed", result = "approved", type = "sale", paymentType = "one-time-payment" }
"#;

/// How the test endpoint treats credentials and duplicates.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Endpoint {
    /// Wants Basic credentials (401 with a `WWW-Authenticate: Basic` challenge
    /// without them), then verifies the signature; a duplicate gets 200.
    WantsBasic,
    /// Wants Basic credentials but sends no challenge with its 401.
    WantsBasicSilently,
    /// No credentials needed; refuses a duplicate `deduplicationId` with 409.
    RefusesDuplicates,
}

struct Merchant {
    endpoint: Endpoint,
    scheme: Scheme,
    key: Key,
    seen: Mutex<HashSet<String>>,
}

fn basic_value(user: &str, password: &str) -> String {
    format!("Basic {}", base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}")))
}

impl Respond for Merchant {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        if self.endpoint != Endpoint::RefusesDuplicates {
            let given = request.headers.get("authorization").and_then(|v| v.to_str().ok());
            if given != Some(basic_value(USER, PASSWORD).as_str()) {
                let refused = ResponseTemplate::new(401);
                return match self.endpoint {
                    Endpoint::WantsBasic => refused.insert_header("WWW-Authenticate", "Basic realm=\"webhooks\""),
                    _ => refused,
                };
            }
        }
        if verify::verify(&self.scheme, &self.key, &request.headers, &request.body, sign::now()).is_err() {
            return ResponseTemplate::new(401);
        }
        let event: serde_json::Value = serde_json::from_slice(&request.body).unwrap_or_default();
        let id = event["deduplicationId"].as_str().unwrap_or_default().to_string();
        let first = self.seen.lock().unwrap().insert(id);
        if !first && self.endpoint == Endpoint::RefusesDuplicates {
            return ResponseTemplate::new(409);
        }
        ResponseTemplate::new(200)
    }
}

async fn merchant(endpoint: Endpoint) -> MockServer {
    let scheme = Scheme::preset("paymentsai").unwrap();
    let key = Key::from_secret(&scheme, &SecretString::from(SIGNING_SECRET.to_string())).unwrap();
    let server = MockServer::builder().listener(std::net::TcpListener::bind("127.0.0.1:0").unwrap()).start().await;
    Mock::given(method("POST"))
        .and(path("/webhooks"))
        .respond_with(Merchant { endpoint, scheme, key, seen: Mutex::new(HashSet::new()) })
        .mount(&server)
        .await;
    server
}

fn secret(value: &str, var: &str) -> Secret {
    Secret { value: SecretString::from(value.to_string()), source: SecretRef::Env(var.into()) }
}

async fn probe(server: &MockServer, auth: Option<(&str, &str)>) -> RunSummary {
    let env = Environment {
        name: "staging".into(),
        pack: "test".into(),
        webhook: Some(Webhook {
            url: reqwest::Url::parse(&format!("{}/webhooks", server.uri())).unwrap(),
            scheme: None,
            secret: secret(SIGNING_SECRET, "PAI_WEBHOOK_SECRET"),
        }),
        webhook_auth: auth.map(|(user, password)| WebhookAuth::Basic {
            user: user.into(),
            password: secret(password, "PAI_WEBHOOK_PASSWORD"),
        }),
        ..Environment::default()
    };
    run_pack(env, pack_from(PACK), &Selection::default(), &RunOptions::default()).await
}

fn only(summary: &RunSummary) -> &ProbeReport {
    assert_eq!(summary.probes.len(), 1);
    &summary.probes[0]
}

fn check<'a>(report: &'a ProbeReport, name: &str) -> &'a golive::report::Check {
    report.checks.iter().find(|c| c.name == name).unwrap_or_else(|| panic!("no check `{name}`: {report:#?}"))
}

/// Every rendering of the run, and every trace, as one text.
fn everything(summary: &RunSummary) -> String {
    let mut text = String::new();
    for format in [Format::Human, Format::Json, Format::Junit, Format::Markdown] {
        let mut out = Vec::new();
        format.render(summary, &mut out, false).unwrap();
        text.push_str(&String::from_utf8(out).unwrap());
    }
    for p in &summary.probes {
        text.push_str(&serde_json::to_string(&p.trace).unwrap());
        text.push_str(&format!("{p:?}"));
    }
    text
}

fn assert_no_password(summary: &RunSummary) {
    let text = everything(summary);
    let encoded = basic_value(USER, PASSWORD);
    let encoded = encoded.trim_start_matches("Basic ");
    assert_eq!(text.matches(PASSWORD).count(), 0, "the password leaked:\n{text}");
    assert_eq!(text.matches(encoded).count(), 0, "the encoded credentials leaked:\n{text}");
}

#[tokio::test]
async fn deliveries_carry_the_registered_basic_credentials() {
    let server = merchant(Endpoint::WantsBasic).await;
    let summary = probe(&server, Some((USER, PASSWORD))).await;
    let report = only(&summary);
    assert_eq!(report.status, Status::Pass, "{report:#?}");
    assert_eq!(check(report, "signed event").status, Status::Pass);
    // With the credentials accepted, the forgeries reach the signature check.
    for name in ["forgery: wrong secret", "forgery: tampered body", "forgery: missing signature"] {
        assert!(check(report, name).message.contains("rejected with 401"), "{name}: {report:#?}");
    }
    assert_eq!(report.facts["auth"], serde_json::json!(format!("basic (user {USER})")));
    let requests = server.received_requests().await.unwrap();
    assert!(!requests.is_empty());
    for r in &requests {
        let auth = r.headers.get("authorization").and_then(|v| v.to_str().ok());
        assert_eq!(auth, Some(basic_value(USER, PASSWORD).as_str()), "every delivery carries the credentials");
    }
    assert_no_password(&summary);
}

#[tokio::test]
async fn a_401_challenge_without_credentials_is_diagnosed_as_the_destinations_basic_auth() {
    let server = merchant(Endpoint::WantsBasic).await;
    let summary = probe(&server, None).await;
    let report = only(&summary);
    assert_eq!(report.status, Status::Fail, "{report:#?}");
    assert_eq!(check(report, "signed event").status, Status::Fail);
    let d = report.diagnosis.as_ref().expect("a diagnosis");
    assert!(d.cause.contains("the endpoint wants the Basic credentials registered with the destination"), "{d:#?}");
    assert!(d.cause.contains("WWW-Authenticate: Basic"), "{d:#?}");
    assert!(d.fix.contains("auth = { basic = { user ="), "{d:#?}");
    let requests = server.received_requests().await.unwrap();
    assert!(requests.iter().all(|r| r.headers.get("authorization").is_none()), "nothing sent that was not configured");
}

#[tokio::test]
async fn a_silent_401_without_credentials_names_both_possible_causes() {
    let server = merchant(Endpoint::WantsBasicSilently).await;
    let summary = probe(&server, None).await;
    let d = only(&summary).diagnosis.clone().expect("a diagnosis");
    assert!(d.cause.contains("wants the Basic credentials registered with the destination"), "{d:#?}");
    assert!(d.cause.contains("another secret"), "{d:#?}");
}

#[tokio::test]
async fn wrong_credentials_are_named_by_user_and_the_password_stays_hidden() {
    let server = merchant(Endpoint::WantsBasic).await;
    let summary = probe(&server, Some((USER, "canary-WRONG-pa55word-9001"))).await;
    let report = only(&summary);
    assert_eq!(report.status, Status::Fail, "{report:#?}");
    let d = report.diagnosis.as_ref().expect("a diagnosis");
    assert!(d.cause.contains(&format!("refused the Basic credentials of user `{USER}`")), "{d:#?}");
    let text = everything(&summary);
    assert!(!text.contains("canary-WRONG-pa55word-9001"), "{text}");
    assert_no_password(&summary);
}

#[tokio::test]
async fn a_refused_duplicate_fails_because_paymentsai_retries_anything_but_200() {
    let server = merchant(Endpoint::RefusesDuplicates).await;
    let summary = probe(&server, None).await;
    let report = only(&summary);
    assert_eq!(report.status, Status::Fail, "{report:#?}");
    assert_eq!(check(report, "signed event").status, Status::Pass);
    let replay = check(report, "replay");
    assert_eq!(replay.status, Status::Fail);
    assert!(replay.message.contains("the same deduplicationId"), "{replay:#?}");
    assert!(replay.message.contains("409"), "{replay:#?}");
    let d = report.diagnosis.as_ref().expect("a diagnosis");
    assert!(d.fix.contains("deduplicationId"), "{d:#?}");
}

#[tokio::test]
async fn an_accepted_duplicate_passes_with_a_note() {
    let server = merchant(Endpoint::WantsBasic).await;
    let summary = probe(&server, Some((USER, PASSWORD))).await;
    let replay = check(only(&summary), "replay");
    assert_eq!(replay.status, Status::Pass);
    assert!(
        replay
            .message
            .starts_with("note: a duplicate delivery (the same deduplicationId) was answered 200, as the first one")
    );
}

/// `webhook.auth` and `webhook.destination_id` in golive.toml.
mod config {
    use golive::config::{WebhookAuth, env};
    use secrecy::ExposeSecret;

    fn load(body: &str, vars: &[(&str, &str)]) -> Result<golive::config::Environment, String> {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("golive.toml");
        std::fs::write(&path, format!("[env.staging]\npack = \"paymentsai\"\n{body}")).unwrap();
        for (k, v) in vars {
            // SAFETY: each test uses its own variable names.
            unsafe { std::env::set_var(k, v) };
        }
        env::load(&path, "staging").map(|(e, _)| e).map_err(|e| e.to_string())
    }

    #[test]
    fn basic_credentials_and_the_destination_id_are_read() {
        let env = load(
            "webhook = { url = \"https://merchant.example/hooks\", secret = { env = \"WA_T1_SECRET\" }, destination_id = \"497f6eca-6276-4993-bfeb-53cbbbba6f08\", auth = { basic = { user = \"pai\", password = { env = \"WA_T1_PASSWORD\" } } } }\n",
            &[("WA_T1_SECRET", "s"), ("WA_T1_PASSWORD", "canary-config-pw-1")],
        )
        .unwrap();
        let Some(WebhookAuth::Basic { user, password }) = &env.webhook_auth else { panic!("{env:?}") };
        assert_eq!(user, "pai");
        assert_eq!(password.value.expose_secret(), "canary-config-pw-1");
        assert_eq!(env.var("webhook_destination_id").as_deref(), Some("497f6eca-6276-4993-bfeb-53cbbbba6f08"));
        assert!(!format!("{env:?}").contains("canary-config-pw-1"));
        let redacted = env.redactor().redact("sent canary-config-pw-1");
        assert!(!redacted.contains("canary-config-pw-1"), "{redacted}");
    }

    #[test]
    fn the_destination_id_may_also_come_from_vars() {
        let env = load(
            "webhook = { url = \"https://merchant.example/hooks\", secret = { env = \"WA_T4_SECRET\" } }\nvars = { webhook_destination_id = \"dest-from-vars\" }\n",
            &[("WA_T4_SECRET", "s")],
        )
        .unwrap();
        assert!(env.webhook_auth.is_none() && env.webhook_destination_id.is_none());
        assert_eq!(env.var("webhook_destination_id").as_deref(), Some("dest-from-vars"));
        let empty = load(
            "webhook = { url = \"https://merchant.example/hooks\", secret = { env = \"WA_T4_SECRET\" }, destination_id = \" \" }\n",
            &[("WA_T4_SECRET", "s")],
        )
        .unwrap_err();
        assert!(empty.contains("`webhook.destination_id` is empty"), "{empty}");
    }

    #[test]
    fn a_literal_password_is_refused_without_showing_it() {
        let err = load(
            "webhook = { url = \"https://merchant.example/hooks\", secret = { env = \"WA_T2_SECRET\" }, auth = { basic = { user = \"pai\", password = \"canary-literal-pw\" } } }\n",
            &[("WA_T2_SECRET", "s")],
        )
        .unwrap_err();
        assert!(err.contains("`webhook.auth.basic.password` is a literal secret"), "{err}");
        assert!(!err.contains("canary-literal-pw"), "{err}");
    }

    #[test]
    fn a_user_with_a_colon_and_unknown_auth_types_are_errors() {
        let colon = load(
            "webhook = { url = \"https://merchant.example/hooks\", secret = { env = \"WA_T3_SECRET\" }, auth = { basic = { user = \"a:b\", password = { env = \"WA_T3_PASSWORD\" } } } }\n",
            &[("WA_T3_SECRET", "s"), ("WA_T3_PASSWORD", "p")],
        )
        .unwrap_err();
        assert!(colon.contains("without `:`"), "{colon}");
        let bearer = load(
            "webhook = { url = \"https://merchant.example/hooks\", secret = { env = \"WA_T3_SECRET\" }, auth = { bearer = \"x\" } }\n",
            &[("WA_T3_SECRET", "s")],
        )
        .unwrap_err();
        assert!(bearer.contains("bearer"), "{bearer}");
    }
}
