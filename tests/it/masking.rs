//! The pack's `[masking] fields` in every check of every kind that judges an
//! HTTP answer (`http`, `apikey`; `mtls` in its own module): a value shown
//! whole, such as the object holding the PAN and CVV, is masked inside, and
//! the traced request and response bodies are masked too.

use golive::config::{Environment, Secret, SecretRef};
use golive::plan::Selection;
use golive::report::ProbeReport;
use golive::runner::RunOptions;
use secrecy::SecretString;
use serde_json::json;
use wiremock::matchers::path;
use wiremock::{Mock, ResponseTemplate};

use crate::support::{env_at, pack_from, run_pack};

/// A CVV no other text of a report could hold by chance.
pub const CVV: &str = "CVV-CANARY-737";
/// A card number that is not Luhn-valid, so only the field masking hides it.
pub const PAN: &str = "4111111111111112";

/// A pack of one probe of `kind` asserting on the parent object of the sensitive fields.
pub fn pack(kind: &str) -> String {
    format!(
        r#"
[pack]
name = "t"
title = "T"
runbook = "t"
[auth]
header = "X-API-Key"
[masking]
fields = ["pan", "cvv"]

[[probe]]
id = "p"
kind = "{kind}"
title = "P"
[probe.params]
method = "POST"
url = "${{base_url}}/card"
json = {{ note = "sent back", cvv = "{CVV}" }}
assert = [{{ path = "$.card", equals = "x" }}, {{ path = "$.card", one_of = [{{ pan = "1", cvv = "{CVV}" }}] }}]
"#
    )
}

/// The answer: the card object with both sensitive fields.
pub fn answer() -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(json!({"card": {"pan": PAN, "cvv": CVV, "last4": "1112"}}))
}

/// Everything a report shows of a probe, checks and trace included, and whether
/// both values were masked in place (not dropped).
pub fn assert_masked(r: &ProbeReport) {
    let all = format!("{r:?}");
    assert!(!all.contains(CVV) && !all.contains(PAN), "card data leaked:\n{r:#?}");
    let card = r.checks.iter().find(|c| c.name == "$.card" && c.expected.as_deref() == Some("\"x\"")).expect("check");
    let actual = card.actual.as_deref().unwrap_or_default();
    assert!(actual.contains(r#""pan":"***""#) && actual.contains(r#""cvv":"***""#), "masked in place: {actual}");
    assert!(actual.contains(r#""last4":"1112""#), "other fields shown: {actual}");
    let one_of =
        r.checks.iter().find(|c| c.expected.as_deref().is_some_and(|e| e.starts_with("one of"))).expect("check");
    assert!(one_of.expected.as_deref().is_some_and(|e| e.contains(r#""cvv":"***""#)), "{one_of:?}");
    let http = r.trace.iter().find(|t| t["type"] == "http").expect("traced");
    let request = http["request"]["body"].as_str().unwrap_or_default();
    assert!(request.contains(r#""cvv":"***""#) && request.contains("sent back"), "{http:#}");
}

async fn run(kind: &str, env: Environment) -> ProbeReport {
    let summary = run_pack(env, pack_from(&pack(kind)), &Selection::default(), &RunOptions::default()).await;
    summary.probes.into_iter().next().expect("one probe")
}

#[tokio::test]
async fn an_http_check_on_the_card_object_masks_the_pan_and_cvv_inside() {
    let server = golive_fakes::Wiremock::start().await;
    Mock::given(path("/card")).respond_with(answer()).mount(&server).await;
    assert_masked(&run("http", env_at(&server.uri())).await);
}

#[tokio::test]
async fn an_apikey_check_on_the_card_object_masks_the_pan_and_cvv_inside() {
    let server = golive_fakes::Wiremock::start().await;
    Mock::given(path("/card")).respond_with(answer()).mount(&server).await;
    let key = Secret { value: SecretString::from("test-key-0123"), source: SecretRef::Env("K".into()) };
    let env = Environment { api_key: Some(key), ..env_at(&server.uri()) };
    assert_masked(&run("apikey", env).await);
}

/// A one-time code masked by path on the step that reads it (`mask`), and a
/// pack-wide path (`[masking] paths`): the values there are masked in every
/// check and trace; a field of the same name elsewhere (an error's `code`)
/// stays readable.
const BY_PATH: &str = r#"
[pack]
name = "t"
title = "T"
runbook = "t"
[masking]
paths = ["$.data.secret"]

[[probe]]
id = "otp"
kind = "http"
title = "OTP"
[probe.params]
url = "${base_url}/otp"
mask = ["$.code"]
assert = [{ path = "$.code", type = "string" }, { path = "$.status", equals = "received" }, { path = "$.data.secret", equals = "y" }]

[[probe]]
id = "refused"
kind = "http"
title = "An error elsewhere"
[probe.params]
url = "${base_url}/refused"
"#;

#[tokio::test]
async fn masking_by_path_hides_the_otp_code_and_leaves_an_error_code_readable() {
    let server = golive_fakes::Wiremock::start().await;
    Mock::given(path("/otp"))
        .respond_with(ResponseTemplate::new(200).set_body_json(
            json!({"status": "received", "code": "847291", "data": {"secret": "SECRET-CANARY", "code": "E1"}}),
        ))
        .mount(&server)
        .await;
    Mock::given(path("/refused"))
        .respond_with(ResponseTemplate::new(403).set_body_json(json!({"status": "error", "code": "FORBIDDEN_SCOPE"})))
        .mount(&server)
        .await;
    let summary =
        run_pack(env_at(&server.uri()), pack_from(BY_PATH), &Selection::default(), &RunOptions::default()).await;
    let otp = &summary.probes[0];
    let all = format!("{otp:?}");
    assert!(!all.contains("847291") && !all.contains("SECRET-CANARY"), "masked by path:\n{otp:#?}");
    let secret = otp.checks.iter().find(|c| c.name == "$.data.secret").expect("check");
    assert_eq!(secret.actual.as_deref(), Some("***"), "{secret:?}");
    // The answer's other fields, and its nested `code`, are not the OTP.
    let status = otp.checks.iter().find(|c| c.name == "$.status").expect("check");
    assert!(status.message.contains(r#""received""#), "{status:?}");
    let traced = otp.trace.iter().find(|t| t["type"] == "http").expect("traced");
    let body = traced["response"]["body"].as_str().unwrap_or_default();
    assert!(body.contains(r#""code":"***""#) && body.contains(r#""code":"E1""#), "{body}");
    // The 403's error code stays readable: no mask applies to it.
    let refused = &summary.probes[1];
    let status = refused.checks.iter().find(|c| c.name == "status").expect("check");
    assert!(status.message.contains("FORBIDDEN_SCOPE"), "{status:?}");
    let traced = refused.trace.iter().find(|t| t["type"] == "http").expect("traced");
    assert!(traced["response"]["body"].as_str().unwrap_or_default().contains("FORBIDDEN_SCOPE"));
}

/// Regression: the trace cut a body to 64 KiB before masking it, so a JSON
/// answer longer than that no longer parsed, the pack's masked paths were not
/// applied, and the OTP and the secret reached the evidence whole.
#[tokio::test]
async fn an_answer_longer_than_the_trace_keeps_is_masked_by_path_before_it_is_cut() {
    let server = golive_fakes::Wiremock::start().await;
    let padding = "p".repeat(100 * 1024);
    Mock::given(path("/otp"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "status": "received", "code": "847291", "data": {"secret": "SECRET-CANARY"}, "padding": padding,
        })))
        .mount(&server)
        .await;
    let summary =
        run_pack(env_at(&server.uri()), pack_from(BY_PATH), &Selection::default(), &RunOptions::default()).await;
    let otp = &summary.probes[0];
    let traced = otp.trace.iter().find(|t| t["type"] == "http").expect("traced");
    let body = traced["response"]["body"].as_str().unwrap_or_default();
    assert!(body.len() < padding.len(), "the trace keeps a bounded excerpt: {} bytes", body.len());
    assert!(body.contains(r#""code":"***""#), "masked in place: {}", &body[..body.len().min(300)]);
    let all = format!("{otp:?}");
    assert!(!all.contains("847291") && !all.contains("SECRET-CANARY"), "masked by path before the cut");
}
