//! Wiremock partner APIs with Axys-like and PaymentsAI-like behaviour; the
//! Axys card-issuing flow itself lives in [`super::axys`].

use std::time::Duration;

use serde_json::json;
use wiremock::matchers::{any, header, method, path, path_regex};
use wiremock::{Mock, MockServer, ResponseTemplate};

use super::paymentsai::{self, PaiFake};
use super::variant::{AxysChoices, PaiChoices};
use super::{DEMO_ORGANIZATION_ID, Scenario};

/// How many authenticated requests Axys answers in `starts-403-halfway` before it turns to 403.
pub const STARTS_403_AFTER: u64 = 3;

fn error(code: u16, message: &str) -> ResponseTemplate {
    ResponseTemplate::new(code).set_body_json(json!({"status": "error", "code": code, "message": message}))
}

/// What a broken scenario answers to every request, if it overrides the API.
fn broken(scenario: Scenario) -> Option<ResponseTemplate> {
    match scenario {
        Scenario::Healthy
        | Scenario::IpNotAllowlisted
        | Scenario::WrongKey
        | Scenario::CertExpired
        | Scenario::CertExpiringSoon
        | Scenario::UntrustedCa
        | Scenario::NoClientCert
        | Scenario::MtlsNotEnforced
        | Scenario::WebhookAcceptsAnything
        | Scenario::PtrMissing
        | Scenario::PtrNotInCert
        | Scenario::APointsElsewhere
        | Scenario::Starts403Halfway
        | Scenario::WebsiteMissingRefundPolicy
        // The fault catalogue redirects URLs to its fault server instead (see Fakes::environments).
        | Scenario::Fault(_) => None,
        Scenario::ApiKeyRejected => Some(error(401, "Invalid API key")),
        Scenario::PartnerDown => Some(error(500, "Internal Server Error")),
        Scenario::PartnerHangs => Some(ResponseTemplate::new(200).set_delay(Duration::from_secs(30))),
    }
}

/// Mounts the Axys-like API (`/v2/...`, `X-API-Key`) answering open choices as
/// `choices` say; a broken scenario answers every method, so the flow's writes break too.
pub async fn mount_axys(server: &MockServer, scenario: Scenario, api_key: &str, choices: AxysChoices) {
    if let Some(answer) = broken(scenario) {
        Mock::given(any()).respond_with(answer).mount(server).await;
        return;
    }
    // Axys gives the same 403 for an allowlist failure and an FCrDNS failure.
    let forbidden = matches!(scenario, Scenario::PtrMissing | Scenario::PtrNotInCert | Scenario::APointsElsewhere);
    if forbidden {
        Mock::given(path_regex(r"^/v2/")).respond_with(error(403, "No Authorised IPs configured")).mount(server).await;
        return;
    }
    if scenario == Scenario::Starts403Halfway {
        // The auth test's list answers a few times, then the allowlist is lost.
        Mock::given(method("GET"))
            .and(path("/v2/cardholders"))
            .and(header("X-API-Key", api_key))
            .respond_with(ResponseTemplate::new(200).set_body_json(super::axys::empty_list()))
            .up_to_n_times(STARTS_403_AFTER)
            .with_priority(2)
            .mount(server)
            .await;
        Mock::given(path("/v2/cardholders"))
            .and(header("X-API-Key", api_key))
            .respond_with(error(403, "No Authorised IPs configured"))
            .with_priority(3)
            .mount(server)
            .await;
    }
    super::axys::mount_choices(server, api_key, super::axys::Mode::Staging, choices).await;
}

/// Mounts the PaymentsAI-like API (see [`super::paymentsai`]: the Public API,
/// the stage tokenization endpoint and the webhook destinations, each route
/// after its documentation page) for the demo organization, accepting
/// `Authorization: ApiKey <credential>`, answering open choices as `choices` say.
/// A broken scenario answers every path of the API (the key exchange, mounted
/// apart, keeps working).
pub async fn mount_paymentsai(
    server: &MockServer,
    scenario: Scenario,
    credential: &str,
    choices: PaiChoices,
) -> PaiFake {
    if let Some(answer) = broken_paymentsai(scenario) {
        Mock::given(path_regex(paymentsai::API_PATHS)).respond_with(answer).with_priority(1).mount(server).await;
    }
    let options = paymentsai::Options { choices, ..paymentsai::Options::new(DEMO_ORGANIZATION_ID, credential) };
    paymentsai::mount(server, options).await
}

/// What a broken scenario answers on the PaymentsAI-like API, with the documented
/// error bodies (https://api-docs.payments.ai/docs/api/errors).
fn broken_paymentsai(scenario: Scenario) -> Option<ResponseTemplate> {
    match scenario {
        Scenario::ApiKeyRejected => Some(paymentsai::error(401, None)),
        Scenario::PartnerDown => Some(paymentsai::error(500, None)),
        _ => broken(scenario),
    }
}
