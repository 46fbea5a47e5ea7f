//! The PaymentsAI-like fake, re-derived from the published documentation
//! (api-docs.payments.ai) and from nothing golive sends: every route names the
//! page it follows, and where a page is silent (or cut off in the stored copy)
//! the comment says so and the fake asserts as little as it can.
//!
//! It plays the stage environment (`staging-api.payments.ai`): the Public API
//! under `/v1/public-api/organizations/{organizationId}/...`, the stage-only
//! server-side tokenization endpoint, and the webhook destinations under
//! `/v1/webhook-destinations`. The temporal→permanent key exchange lives in
//! [`super::exchange`]; it adds the permanent credential to a [`PaiFake`].
//! The shared notes for pack writers are `docs/partners/paymentsai-contract.md`.

mod api;
mod cancellations;
pub mod partner;
pub mod signature;

pub use signature::{Encoding, Signature};

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use serde_json::{Value, json};
use wiremock::matchers::path_regex;
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

use crate::variant::PaiChoices;

/// The documented body limit: "Ensure that files or data sent are within the
/// allowed limits (4mb)" (https://api-docs.payments.ai/docs/api/errors). The page
/// does not say whether 4 MB means 10^6 or 2^20 bytes: the fake takes 2^20.
pub const MAX_BODY_BYTES: usize = 4 * 1024 * 1024;

/// The paths this fake answers: the Public API and the webhook destinations.
/// The key exchange (`/v1/accounts/public-api/...`) is mounted apart.
pub const API_PATHS: &str = r"^/v1/(public-api|webhook-destinations)(/|$)";

/// What a transaction on a given card turns into: the documented `result` and
/// `status` values (https://api-docs.payments.ai/docs/get-started/concepts/transaction-statuses).
///
/// Which card gives which outcome is NOT from the documentation: the test-cards
/// page (https://api-docs.payments.ai/docs/api/test-cards, "Below you could check
/// test cards for validating the 3ds flow") has no card numbers in the stored
/// copy. Tests choose outcomes per card number through [`Options::card_outcomes`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CardOutcome {
    /// `approved`, `declined`, `canceled`, `abandoned` or `unknown`.
    pub result: &'static str,
    /// `completed`, `waiting`, `offsite`, `not-sent`, ... (the documented list).
    pub status: &'static str,
}

impl CardOutcome {
    /// "The gateway approved the transaction" and "the transaction completed".
    pub const APPROVED: CardOutcome = CardOutcome { result: "approved", status: "completed" };
}

/// How a [`PaiFake`] starts.
#[derive(Debug, Clone)]
pub struct Options {
    /// The organization whose Public API the fake serves. The documentation
    /// says a UUID (https://api-docs.payments.ai/docs/get-started/concepts/organizations);
    /// the go-live runbook says `org_xxx`. The fake serves whichever it is given,
    /// and answers 403 for any other organization in the path.
    pub organization_id: String,
    /// Accepted credentials, each `<accountId>_<apiKey>_<apiKeyId>` as sent after `ApiKey `.
    pub credentials: Vec<String>,
    /// Answer 429 once this many authenticated requests were served. The rate
    /// limits themselves are not published; only the 429 answer is.
    pub rate_limit: Option<u64>,
    /// Outcome of a transaction per card number; any other card is approved.
    pub card_outcomes: Vec<(String, CardOutcome)>,
    /// The answers to the choices the pages leave open (see [`crate::Variant`]).
    pub choices: PaiChoices,
}

impl Options {
    /// One organization, one accepted credential, no rate limit, every card approved.
    pub fn new(organization_id: &str, credential: &str) -> Options {
        Options {
            organization_id: organization_id.to_string(),
            credentials: vec![credential.to_string()],
            rate_limit: None,
            card_outcomes: Vec::new(),
            choices: PaiChoices::default(),
        }
    }
}

/// A running PaymentsAI-like API: a handle on its state for the demo and tests.
#[derive(Clone)]
pub struct PaiFake {
    state: Arc<State>,
}

struct State {
    organization_id: String,
    credentials: Mutex<Vec<String>>,
    rate_limit: Option<u64>,
    served: AtomicU64,
    card_outcomes: Vec<(String, CardOutcome)>,
    choices: PaiChoices,
    data: Mutex<Data>,
}

/// Everything the API created, by id.
#[derive(Default)]
struct Data {
    customers: BTreeMap<String, Value>,
    /// Stage tokens: card number and whether an attach consumed it.
    tokens: BTreeMap<String, Token>,
    instruments: BTreeMap<String, Instrument>,
    transactions: Vec<Value>,
    /// `idempotencyKey` → the original transaction answer.
    idempotency: BTreeMap<String, Value>,
    subscriptions: Vec<Value>,
    /// Subscription cancellations, by id.
    cancellations: BTreeMap<String, Value>,
    destinations: BTreeMap<String, Value>,
    products: BTreeMap<String, Value>,
    plans: BTreeMap<String, Value>,
}

struct Token {
    pan: String,
    expiration_month: Value,
    expiration_year: Value,
    consumed: bool,
}

struct Instrument {
    customer_id: String,
    pan: String,
    active: bool,
    body: Value,
}

impl State {
    fn data(&self) -> MutexGuard<'_, Data> {
        self.data.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn credentials(&self) -> MutexGuard<'_, Vec<String>> {
        self.credentials.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

impl PaiFake {
    /// Accepts one more credential (`<accountId>_<apiKey>_<apiKeyId>`), e.g.
    /// the permanent key an exchange just handed out.
    pub fn accept(&self, credential: &str) {
        self.state.credentials().push(credential.to_string());
    }

    /// The organization the fake serves.
    pub fn organization_id(&self) -> &str {
        &self.state.organization_id
    }

    /// Authenticated requests served so far (429 answers included).
    pub fn served(&self) -> u64 {
        self.state.served.load(Ordering::SeqCst)
    }

    /// Transactions created (an idempotent replay creates none).
    pub fn transactions_created(&self) -> usize {
        self.state.data().transactions.len()
    }

    /// Registers a webhook destination as `POST /v1/webhook-destinations` would,
    /// under a chosen id, so the demo has one to read back.
    pub fn seed_destination(&self, id: &str, url: &str, event_types: &[&str], basic: Option<(&str, &str)>) {
        let auth =
            basic.map(|(username, password)| json!({"type": "basic", "username": username, "password": password}));
        let types = event_types.iter().map(|t| json!(t)).collect();
        let body = api::destination(id, url, auth, types, self.state.choices.event_types);
        self.state.data().destinations.insert(id.to_string(), body);
    }
}

/// Mounts the API on `server` (every path of [`API_PATHS`]).
pub async fn mount(server: &MockServer, options: Options) -> PaiFake {
    let state = Arc::new(State {
        organization_id: options.organization_id,
        credentials: Mutex::new(options.credentials),
        rate_limit: options.rate_limit,
        served: AtomicU64::new(0),
        card_outcomes: options.card_outcomes,
        choices: options.choices,
        data: Mutex::new(Data::default()),
    });
    Mock::given(path_regex(API_PATHS)).respond_with(Api { state: state.clone() }).mount(server).await;
    PaiFake { state }
}

struct Api {
    state: Arc<State>,
}

impl Respond for Api {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        // https://api-docs.payments.ai/docs/api/errors: 413 over the 4 MB limit.
        if request.body.len() > MAX_BODY_BYTES {
            return error(413, None);
        }
        // https://api-docs.payments.ai/docs/api/authentication: exactly
        // `Authorization: ApiKey <accountId>_<apiKey>_<apiKeyId>`, "a single value",
        // not URL-encoded nor base64. Anything else (no `ApiKey ` prefix, another
        // separator, a revoked key) is the documented 401.
        if !authenticated(request, &self.state.credentials()) {
            return error(401, None);
        }
        let served = self.state.served.fetch_add(1, Ordering::SeqCst) + 1;
        // https://api-docs.payments.ai/docs/api/errors: 429 "Too many requests".
        if self.state.rate_limit.is_some_and(|limit| served > limit) {
            return error(429, None);
        }
        api::route(&self.state, request)
    }
}

fn authenticated(request: &Request, credentials: &[String]) -> bool {
    let Some(value) = request.headers.get("authorization").and_then(|v| v.to_str().ok()) else { return false };
    let Some(credential) = value.strip_prefix("ApiKey ") else { return false };
    credentials.iter().any(|c| c == credential)
}

/// A documented error answer (https://api-docs.payments.ai/docs/api/errors):
/// `{errorCode, statusCode, message}`, plus `details` on 400 (and 422).
/// `errorCode` is "an opaque identifier string": the fake's values are its own.
pub fn error(status: u16, details: Option<&str>) -> ResponseTemplate {
    ResponseTemplate::new(status).set_body_json(error_body(status, details))
}

/// The body of [`error`].
pub fn error_body(status: u16, details: Option<&str>) -> Value {
    let (code, message) = match status {
        400 => ("BAD_REQUEST", "Bad request"),
        401 => ("MISSING_AUTH_TOKEN", "Missing auth token"),
        403 => ("FORBIDDEN_ACCESS", "Forbidden access"),
        // 404 is listed for customers and payment instruments, but the page
        // shows no 404 body: this message is the fake's own.
        404 => ("NOT_FOUND", "Not found"),
        413 => ("REQUEST_ENTITY_TOO_LARGE", "Request entity too large"),
        429 => ("TOO_MANY_REQUESTS", "Too many requests"),
        500 => ("INTERNAL_SERVER_ERROR", "Internal server error"),
        _ => ("ERROR", "Error"),
    };
    let mut body = json!({"errorCode": code, "statusCode": status, "message": message});
    if let Some(d) = details.filter(|_| matches!(status, 400 | 422)) {
        body["details"] = json!(d);
    }
    body
}

/// A random UUID-shaped id (v4 layout), like the documented ids.
fn new_id() -> String {
    let mut b = [0u8; 16];
    let _ = getrandom::fill(&mut b);
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let h = hex::encode(b);
    format!("{}-{}-{}-{}-{}", &h[..8], &h[8..12], &h[12..16], &h[16..20], &h[20..])
}

/// Now, as the documented timestamps are written (RFC 3339, UTC).
fn now() -> String {
    time::OffsetDateTime::now_utc()
        .replace_nanosecond(0)
        .ok()
        .and_then(|t| t.format(&time::format_description::well_known::Rfc3339).ok())
        .unwrap_or_default()
}

/// Whether an organization id has one of the two documented forms: a UUID
/// (the documentation) or `org_…` (the go-live runbook).
pub fn is_documented_organization_id(id: &str) -> bool {
    let uuid = id.len() == 36
        && id.char_indices().all(|(i, c)| if matches!(i, 8 | 13 | 18 | 23) { c == '-' } else { c.is_ascii_hexdigit() });
    let runbook = id.strip_prefix("org_").is_some_and(|rest| !rest.is_empty());
    uuid || runbook
}
