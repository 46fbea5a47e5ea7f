//! A PaymentsAI-like key exchange endpoint: the temporal key works once, then
//! answers 401; a secret that breaks the policy gets 400 without consuming the
//! key; every call is counted, so tests can prove an exchange happened at most once.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

use serde_json::json;
use wiremock::matchers::{header, method, path, path_regex};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

use crate::apikey::SecretPolicy;

/// How the fake exchange behaves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExchangeMode {
    /// As the partner documents it.
    Normal,
    /// Answers only after this long (a client timeout leaves the state unknown).
    Slow(Duration),
    /// Always answers this 5xx status.
    Fails(u16),
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
}

impl ExchangeFake {
    /// How many exchange requests arrived.
    pub fn count(&self) -> usize {
        self.calls.load(Ordering::SeqCst)
    }
}

struct Responder {
    temporal: String,
    used: AtomicBool,
    calls: Arc<AtomicUsize>,
    mode: ExchangeMode,
    api_key: String,
    api_key_id: String,
}

fn policy() -> SecretPolicy {
    SecretPolicy {
        min_length: 12,
        max_length: Some(30),
        min_uppercase: 1,
        min_lowercase: 0,
        min_digits: 0,
        min_alphanumeric: 1,
        rotate_days: Some(90),
        history: 4,
    }
}

impl Respond for Responder {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        self.calls.fetch_add(1, Ordering::SeqCst);
        if let ExchangeMode::Fails(status) = self.mode {
            return ResponseTemplate::new(status).set_body_json(json!({"message": "Service Unavailable"}));
        }
        let auth = request.headers.get("authorization").and_then(|v| v.to_str().ok()).unwrap_or_default();
        if auth != format!("ApiKey {}", self.temporal) || self.used.load(Ordering::SeqCst) {
            return ResponseTemplate::new(401).set_body_json(json!({"message": "Invalid or expired API key"}));
        }
        let secret = serde_json::from_slice::<serde_json::Value>(&request.body)
            .ok()
            .and_then(|v| v.get("secret").and_then(|s| s.as_str()).map(str::to_string))
            .unwrap_or_default();
        if !policy().violations(&secret).is_empty() {
            return ResponseTemplate::new(400).set_body_json(json!({"message": "The secret does not meet the policy"}));
        }
        self.used.store(true, Ordering::SeqCst);
        let answer =
            ResponseTemplate::new(200).set_body_json(json!({"apiKey": self.api_key, "apiKeyId": self.api_key_id}));
        match self.mode {
            ExchangeMode::Slow(d) => answer.set_delay(d),
            ExchangeMode::Normal | ExchangeMode::Fails(_) => answer,
        }
    }
}

/// Mounts `PATCH /v1/accounts/public-api/{account}` on `server`, and the
/// subscriptions read for the permanent credential it hands out.
pub async fn mount(server: &MockServer, account: &str, temporal: &str, mode: ExchangeMode) -> ExchangeFake {
    let calls = Arc::new(AtomicUsize::new(0));
    let mut bytes = [0u8; 12];
    let _ = getrandom::fill(&mut bytes);
    // The key part contains underscores on purpose: clients must never split on `_`.
    let fake = ExchangeFake {
        calls: calls.clone(),
        api_key: format!("pk_live_{}", hex::encode(bytes)),
        api_key_id: "kid_01".into(),
    };
    Mock::given(method("PATCH"))
        .and(path(format!("/v1/accounts/public-api/{account}")))
        .respond_with(Responder {
            temporal: temporal.to_string(),
            used: AtomicBool::new(false),
            calls,
            mode,
            api_key: fake.api_key.clone(),
            api_key_id: fake.api_key_id.clone(),
        })
        .mount(server)
        .await;
    let credential = format!("ApiKey {account}_{}_{}", fake.api_key, fake.api_key_id);
    // The exchange's verifying read: the example authenticated request of
    // https://api-docs.payments.ai/docs/api/authentication.
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
