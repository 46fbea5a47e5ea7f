//! The PaymentsAI-like temporal→permanent key exchange, after
//! https://api-docs.payments.ai/docs/api/api-key-generation (production only;
//! stage keys come ready to use):
//!
//! `PATCH /v1/accounts/public-api/{accountId}` with
//! `Authorization: ApiKey <temporal key>` and `{"secret": "..."}` sets the account
//! secret and "returns the permanent API key in the response body"; the temporal
//! key "is automatically deleted after a successful exchange" and is "valid for
//! 7 days". The header of later requests is `ApiKey <accountId>_<apiKey>_<apiKeyId>`.
//!
//! What the pages do NOT show: the status and the shape of the answer (the
//! stored copy stops at "The Authorization header for future request…"). The
//! [`AnswerShape::Flat`] answer, `{"apiKey", "apiKeyId"}`, is the fake's reading
//! of the three named parts; the other shapes exist so that tests can prove a
//! client keeps a permanent key it could not parse.
//!
//! Every call is counted, so tests can prove an exchange happened at most once.
//! A secret that breaks the policy gets the documented 400 without consuming the key.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

use serde_json::json;
use wiremock::matchers::{header, method, path, path_regex};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

use super::paymentsai::{self, PaiFake};

/// How the fake exchange behaves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExchangeMode {
    /// Accepts the temporal key once and answers [`AnswerShape::Flat`].
    Normal,
    /// Answers only after this long (a client timeout leaves the state unknown).
    Slow(Duration),
    /// Always answers this status (a documented error body for 429 and 500).
    Fails(u16),
    /// The temporal key is past its 7 days: the documented 401 ("wrong,
    /// malformed, or expired"), https://api-docs.payments.ai/docs/api/authentication.
    Expired,
    /// Accepts the temporal key once, and answers with this shape.
    Answer(AnswerShape),
}

/// The shape of an accepted exchange's answer. Only the content is documented
/// (the permanent key is in the body); none of these shapes is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AnswerShape {
    /// `{"apiKey": "...", "apiKeyId": "..."}`, the names of the documented header parts.
    Flat,
    /// Other field names: `{"key": "...", "keyId": "..."}`.
    OtherNames,
    /// Nested like the documented creates: `{"type": "object", "data": {"apiKey", "apiKeyId"}}`.
    Nested,
    /// A 200 that is not JSON: `apiKey=...&apiKeyId=...` as `text/plain`.
    NotJson,
    /// A 200 with an empty body: the key is consumed and nothing comes back.
    Empty,
}

/// What the fake hands out and counts.
#[derive(Debug, Clone)]
pub struct ExchangeFake {
    /// Exchange requests received, whatever their outcome.
    pub calls: Arc<AtomicUsize>,
    /// The permanent key the exchange returns (its `apiKey` part).
    pub api_key: String,
    /// The permanent key's id.
    pub api_key_id: String,
    /// The account the exchange is for.
    pub account_id: String,
    /// The organization whose Public API accepts the permanent key.
    pub organization_id: String,
}

impl ExchangeFake {
    /// How many exchange requests arrived.
    pub fn count(&self) -> usize {
        self.calls.load(Ordering::SeqCst)
    }

    /// The value after `ApiKey ` once exchanged: `<accountId>_<apiKey>_<apiKeyId>`.
    pub fn credential(&self) -> String {
        format!("{}_{}_{}", self.account_id, self.api_key, self.api_key_id)
    }
}

struct Responder {
    temporal: String,
    used: AtomicBool,
    calls: Arc<AtomicUsize>,
    mode: ExchangeMode,
    fake: ExchangeFake,
    api: PaiFake,
}

/// The documented secret policy (api-key-generation page and the go-live
/// runbook): 12 to 30 characters, an uppercase letter, an alphanumeric
/// character; rotated every 90 days, none of the last 4 reused.
fn meets_policy(secret: &str) -> bool {
    let length = secret.chars().count();
    (12..=30).contains(&length) && secret.chars().any(|c| c.is_uppercase()) && secret.chars().any(char::is_alphanumeric)
}

impl Respond for Responder {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        self.calls.fetch_add(1, Ordering::SeqCst);
        match self.mode {
            ExchangeMode::Fails(status) => return paymentsai::error(status, None),
            ExchangeMode::Expired => return paymentsai::error(401, None),
            ExchangeMode::Normal | ExchangeMode::Slow(_) | ExchangeMode::Answer(_) => {}
        }
        // The api-key-generation page sends `ApiKey ${TEMPORAL_API_KEY}`. (The older
        // account-api-keys-guide tutorial shows the bare key; the fake follows the
        // newer page and the authentication page: every request is prefixed `ApiKey`.)
        let auth = request.headers.get("authorization").and_then(|v| v.to_str().ok()).unwrap_or_default();
        if auth != format!("ApiKey {}", self.temporal) || self.used.load(Ordering::SeqCst) {
            return paymentsai::error(401, None);
        }
        let secret = serde_json::from_slice::<serde_json::Value>(&request.body)
            .ok()
            .and_then(|v| v.get("secret").and_then(|s| s.as_str()).map(str::to_string))
            .unwrap_or_default();
        if !meets_policy(&secret) {
            return paymentsai::error(400, Some("the secret does not meet the secret policy"));
        }
        self.used.store(true, Ordering::SeqCst);
        self.api.accept(&self.fake.credential());
        let (key, id) = (&self.fake.api_key, &self.fake.api_key_id);
        let shape = match self.mode {
            ExchangeMode::Answer(shape) => shape,
            _ => AnswerShape::Flat,
        };
        let answer = match shape {
            AnswerShape::Flat => ResponseTemplate::new(200).set_body_json(json!({"apiKey": key, "apiKeyId": id})),
            AnswerShape::OtherNames => ResponseTemplate::new(200).set_body_json(json!({"key": key, "keyId": id})),
            AnswerShape::Nested => ResponseTemplate::new(200)
                .set_body_json(json!({"type": "object", "data": {"apiKey": key, "apiKeyId": id}})),
            AnswerShape::NotJson => {
                ResponseTemplate::new(200).set_body_raw(format!("apiKey={key}&apiKeyId={id}"), "text/plain")
            }
            AnswerShape::Empty => ResponseTemplate::new(200),
        };
        match self.mode {
            ExchangeMode::Slow(d) => answer.set_delay(d),
            _ => answer,
        }
    }
}

/// Mounts the exchange on `server` next to a PaymentsAI-like API (`api`), which
/// accepts the permanent credential once an exchange succeeded.
pub async fn mount_with(
    server: &MockServer,
    api: &PaiFake,
    account: &str,
    temporal: &str,
    mode: ExchangeMode,
) -> ExchangeFake {
    let calls = Arc::new(AtomicUsize::new(0));
    let mut bytes = [0u8; 12];
    let _ = getrandom::fill(&mut bytes);
    // The key part contains underscores on purpose: clients must never split on `_`.
    let fake = ExchangeFake {
        calls: calls.clone(),
        api_key: format!("pk_live_{}", hex::encode(bytes)),
        api_key_id: "kid_01".into(),
        account_id: account.to_string(),
        organization_id: api.organization_id().to_string(),
    };
    Mock::given(method("PATCH"))
        .and(path(format!("/v1/accounts/public-api/{account}")))
        .respond_with(Responder {
            temporal: temporal.to_string(),
            used: AtomicBool::new(false),
            calls,
            mode,
            fake: fake.clone(),
            api: api.clone(),
        })
        .mount(server)
        .await;
    fake
}

/// Mounts the exchange alone, with a PaymentsAI-like API for the demo
/// organization that accepts only the permanent credential, and the
/// exchange's verifying read (the example authenticated request of
/// https://api-docs.payments.ai/docs/api/authentication, `GET .../subscriptions`)
/// for the permanent credential under any organization a test configures.
pub async fn mount(server: &MockServer, account: &str, temporal: &str, mode: ExchangeMode) -> ExchangeFake {
    let api = paymentsai::mount(
        server,
        paymentsai::Options { credentials: Vec::new(), ..paymentsai::Options::new(super::DEMO_ORGANIZATION_ID, "") },
    )
    .await;
    let fake = mount_with(server, &api, account, temporal, mode).await;
    let credential = format!("ApiKey {}", fake.credential());
    Mock::given(method("GET"))
        .and(path_regex(r"^/v1/public-api/organizations/[^/]+/subscriptions$"))
        .and(header("Authorization", credential.as_str()))
        // golive reads only the status; no list body is invented here.
        .respond_with(ResponseTemplate::new(200))
        .with_priority(1)
        .mount(server)
        .await;
    fake
}
