//! The PaymentsAI-like fake against its contract fixtures
//! (`fixtures/partners/paymentsai/*.json`, each a documented example): every
//! documented request, sent over real HTTP, gets an answer with every JSON path
//! of the fixture's `response` at the same JSON type; errors carry the documented
//! bodies; an idempotent replay answers the original; the exchange works once.

use std::path::PathBuf;

use golive_fakes::exchange::{self, AnswerShape, ExchangeMode};
use golive_fakes::paymentsai::{self, CardOutcome, Options, PaiFake};
use golive_fakes::{DEMO_ORGANIZATION_ID, Wiremock};
use serde_json::{Value, json};

pub(crate) const CREDENTIAL: &str = "acc_abc123_key_xyz789_kid_def456";
const CARD: &str = "4111111111111111";

fn fixture_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fixtures/partners/paymentsai")
}

fn fixture(slug: &str) -> Value {
    let path = fixture_dir().join(format!("{slug}.json"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

/// Every JSON path of `expected` must exist in `actual` with the same JSON type.
/// A `null` in `expected` accepts any value; the elements of an actual array
/// must each have the shape of the expected array's first element.
fn shape_problems(expected: &Value, actual: &Value, at: &str, out: &mut Vec<String>) {
    match (expected, actual) {
        (Value::Null, _) => {}
        (Value::Object(e), Value::Object(a)) => {
            for (key, value) in e {
                let here = format!("{at}.{key}");
                match a.get(key) {
                    Some(v) => shape_problems(value, v, &here, out),
                    None => out.push(format!("{here} is missing")),
                }
            }
        }
        (Value::Array(e), Value::Array(a)) => {
            if let Some(first) = e.first() {
                for (i, v) in a.iter().enumerate() {
                    shape_problems(first, v, &format!("{at}[{i}]"), out);
                }
            }
        }
        (e, a) if type_name(e) == type_name(a) => {}
        (e, a) => out.push(format!("{at} is a {} where the fixture has a {}", type_name(a), type_name(e))),
    }
}

/// Asserts the answer has the fixture's status and the shape of its response.
fn assert_matches(slug: &str, status: u16, body: &Value) {
    let f = fixture(slug);
    assert_eq!(u64::from(status), f["status"].as_u64().expect("status"), "{slug}: {body}");
    let mut problems = Vec::new();
    shape_problems(&f["response"], body, "$", &mut problems);
    assert!(problems.is_empty(), "{slug}: {problems:?}\n{body:#}");
}

/// A running fake and an HTTP client for it (the variants' tests use it too).
pub(crate) struct Pai {
    server: Wiremock,
    fake: PaiFake,
    client: reqwest::Client,
}

impl Pai {
    pub(crate) async fn start(options: Options) -> Pai {
        let server = Wiremock::start().await;
        let fake = paymentsai::mount(&server, options).await;
        Pai { server, fake, client: reqwest::Client::new() }
    }

    pub(crate) async fn demo() -> Pai {
        Pai::start(Options::new(DEMO_ORGANIZATION_ID, CREDENTIAL)).await
    }

    /// `path` with `{organizationId}` replaced by the fake's organization.
    pub(crate) fn url(&self, path: &str) -> String {
        format!("{}{}", self.server.uri(), path.replace("{organizationId}", self.fake.organization_id()))
    }

    pub(crate) async fn send(
        &self,
        method: &str,
        path: &str,
        auth: Option<&str>,
        body: Option<&Value>,
    ) -> (u16, Value) {
        let method = reqwest::Method::from_bytes(method.as_bytes()).expect("method");
        let mut request = self.client.request(method, self.url(path));
        if let Some(auth) = auth {
            request = request.header("Authorization", auth);
        }
        if let Some(body) = body {
            request = request.json(body);
        }
        let answer = request.send().await.expect("the fake answers");
        let status = answer.status().as_u16();
        let text = answer.text().await.expect("body");
        (status, if text.is_empty() { Value::Null } else { serde_json::from_str(&text).unwrap_or(json!(text)) })
    }

    pub(crate) async fn call(&self, method: &str, path: &str, body: Option<&Value>) -> (u16, Value) {
        self.send(method, path, Some(&format!("ApiKey {CREDENTIAL}")), body).await
    }

    /// Sends a fixture's documented request (after `edit`) and checks the answer against it.
    pub(crate) async fn fixture_call(&self, slug: &str, path: &str, edit: impl FnOnce(&mut Value)) -> Value {
        let f = fixture(slug);
        let mut request = f["request"].clone();
        edit(&mut request);
        let body = (!request.is_null()).then_some(&request);
        let (status, answer) = self.call(f["method"].as_str().expect("method"), path, body).await;
        assert_matches(slug, status, &answer);
        answer
    }

    /// A customer with an attached (inactive) card: (customerId, paymentInstrumentId).
    pub(crate) async fn customer_with_card(&self, card: &str) -> (String, String) {
        let org = "/v1/public-api/organizations/{organizationId}";
        let (status, customer) = self
            .call(
                "POST",
                &format!("{org}/customers"),
                Some(&json!({"firstName": "A", "lastName": "B", "email": "a@b.c"})),
            )
            .await;
        assert_eq!(status, 201, "{customer}");
        let customer = customer["id"].as_str().expect("id").to_string();
        let card = json!({"primaryAccountNumber": card, "cardVerificationValue": "123", "expirationMonth": 12, "expirationYear": 2030});
        let (status, token) = self.call("POST", &format!("{org}/payment-instruments/tokens"), Some(&card)).await;
        assert_eq!(status, 201, "{token}");
        let token = token["data"]["id"].clone();
        let (status, instrument) = self
            .call("POST", &format!("{org}/customers/{customer}/payment-instruments"), Some(&json!({"token": token})))
            .await;
        assert_eq!(status, 201, "{instrument}");
        (customer, instrument["id"].as_str().expect("id").to_string())
    }
}

pub(crate) const ORG: &str = "/v1/public-api/organizations/{organizationId}";

fn sale(customer: &str, instrument: &str, key: Option<&str>) -> Value {
    let mut body = json!({
        "type": "sale", "amount": 10, "currency": "USD", "customerId": customer,
        "paymentInstruction": {"paymentInstrumentId": instrument}
    });
    if let Some(k) = key {
        body["idempotencyKey"] = json!(k);
    }
    body
}

/// The slug of a fixture, as `fixtures/partners` names them (common rules).
fn slug_of(method: &str, path: &str) -> String {
    let path = path.replace(':', "-");
    let segments: Vec<String> =
        path.trim_start_matches('/').split('/').map(|s| s.replace(['{', '}'], "").to_lowercase()).collect();
    format!("{}_{}", method.to_lowercase(), segments.join("-"))
}

#[test]
fn every_fixture_names_its_page_and_is_named_after_its_route() {
    let mut count = 0;
    for entry in std::fs::read_dir(fixture_dir()).expect("fixtures") {
        let path = entry.expect("entry").path();
        let name = path.file_stem().and_then(|s| s.to_str()).expect("name").to_string();
        let f = fixture(&name);
        let keys: Vec<&str> = f.as_object().expect("object").keys().map(String::as_str).collect();
        let six = ["page", "method", "path", "request", "status", "response"];
        // The six keys of the shared format, then optionally `also_documented`: the partial
        // shapes other pages document, each naming its own PaymentsAI page.
        assert!(keys == six || keys == [&six[..], &["also_documented"]].concat(), "{name}: keys {keys:?}");
        let on_payments_ai = |p: &Value| p.as_str().is_some_and(|p| p.starts_with("https://api-docs.payments.ai/"));
        assert!(on_payments_ai(&f["page"]), "{name}");
        if let Some(also) = f.get("also_documented") {
            let entries = also.as_array().unwrap_or_else(|| panic!("{name}: also_documented is a list"));
            for entry in entries {
                assert!(on_payments_ai(&entry["page"]), "{name}: also_documented entry without its page: {entry}");
                let extra: Vec<&String> = entry
                    .as_object()
                    .unwrap_or_else(|| panic!("{name}: also_documented entry {entry}"))
                    .keys()
                    .filter(|k| !["page", "note", "request", "response"].contains(&k.as_str()))
                    .collect();
                assert!(extra.is_empty(), "{name}: also_documented keys {extra:?}");
            }
        }
        let status = f["status"].as_u64().expect("status");
        let expected = slug_of(f["method"].as_str().expect("method"), f["path"].as_str().expect("path"));
        let expected = if matches!(status, 200 | 201) { expected } else { format!("{expected}.{status}") };
        assert_eq!(name, expected, "{}", path.display());
        count += 1;
    }
    assert!(count >= 20, "{count} fixtures");
}

#[tokio::test]
async fn the_documented_stage_flow_answers_the_shapes_of_its_fixtures() {
    // The declined outcome keeps the instrument inactive, so the subscription
    // is the documented `pending` case.
    let declined = CardOutcome { result: "declined", status: "not-sent" };
    let pai = Pai::start(Options {
        card_outcomes: vec![(CARD.into(), declined)],
        ..Options::new(DEMO_ORGANIZATION_ID, CREDENTIAL)
    })
    .await;
    let slug = "get_v1-public-api-organizations-organizationid-subscriptions";
    let (status, body) = pai.call("GET", &format!("{ORG}/subscriptions"), None).await;
    assert_matches(slug, status, &body);

    let customer = pai
        .fixture_call("post_v1-public-api-organizations-organizationid-customers", &format!("{ORG}/customers"), |_| {})
        .await;
    let customer = customer["id"].as_str().expect("id").to_string();
    let (status, body) = pai.call("GET", &format!("{ORG}/customers"), None).await;
    assert_matches("get_v1-public-api-organizations-organizationid-customers", status, &body);
    let (status, read) = pai.call("GET", &format!("{ORG}/customers/{customer}"), None).await;
    assert_eq!((status, read["id"].as_str()), (200, Some(customer.as_str())));

    let token = pai
        .fixture_call(
            "post_v1-public-api-organizations-organizationid-payment-instruments-tokens",
            &format!("{ORG}/payment-instruments/tokens"),
            |_| {},
        )
        .await;
    let token = token["data"]["id"].clone();
    let instrument = pai
        .fixture_call(
            "post_v1-public-api-organizations-organizationid-customers-customerid-payment-instruments",
            &format!("{ORG}/customers/{customer}/payment-instruments"),
            |r| r["token"] = token.clone(),
        )
        .await;
    let instrument = instrument["id"].as_str().expect("id").to_string();
    assert_eq!(instrument.len(), 36, "a UUID like the documented one");

    let transaction = pai
        .fixture_call(
            "post_v1-public-api-organizations-organizationid-transactions",
            &format!("{ORG}/transactions"),
            |r| {
                r["paymentInstruction"]["paymentInstrumentId"] = json!(instrument);
                r["customerId"] = json!(customer);
                r["amount"] = json!(10);
                r["currency"] = json!("USD");
            },
        )
        .await;
    assert_eq!((transaction["result"].as_str(), transaction["status"].as_str()), (Some("declined"), Some("not-sent")));
    // The answer is the Transaction of the webhook schemas page.
    let mut problems = Vec::new();
    shape_problems(
        &fixture("post_webhook-transaction-declined")["request"]["metadata"],
        &transaction,
        "$",
        &mut problems,
    );
    assert!(problems.is_empty(), "{problems:?}");

    let subscription = pai
        .fixture_call(
            "post_v1-public-api-organizations-organizationid-subscriptions",
            &format!("{ORG}/subscriptions"),
            |r| {
                r["customerId"] = json!(customer);
                r["paymentInstrumentId"] = json!(instrument);
            },
        )
        .await;
    assert_eq!(subscription["data"]["status"], "pending");
    let (_, listed) = pai.call("GET", &format!("{ORG}/subscriptions"), None).await;
    assert_eq!(listed["data"][0]["id"], subscription["data"]["id"]);

    let created = pai.fixture_call("post_v1-webhook-destinations", "/v1/webhook-destinations", |_| {}).await;
    let id = created["data"]["id"].as_str().expect("id");
    let (status, read) = pai.call("GET", &format!("/v1/webhook-destinations/{id}"), None).await;
    assert_matches("get_v1-webhook-destinations-webhookid", status, &read);
    assert_matches("post_v1-webhook-destinations", 201, &read);
    assert_eq!(read["data"]["url"], "https://your-url-here.com/webhook");
}

#[tokio::test]
async fn authentication_errors_are_the_documented_401_and_403() {
    let pai = Pai::demo().await;
    let path = format!("{ORG}/subscriptions");
    let slug = "get_v1-public-api-organizations-organizationid-subscriptions";
    let bad = [
        None,                                                        // no header
        Some(CREDENTIAL.to_string()),                                // missing `ApiKey` prefix
        Some(format!("Bearer {CREDENTIAL}")),                        // another scheme
        Some("ApiKey acc_abc123key_xyz789kid_def456".to_string()),   // missing underscores
        Some("ApiKey acc_abc123-key_xyz789-kid_def456".to_string()), // wrong separator
        Some(format!("ApiKey {CREDENTIAL}x")),                       // another key
    ];
    for auth in bad {
        let (status, body) = pai.send("GET", &path, auth.as_deref(), None).await;
        assert_matches(&format!("{slug}.401"), status, &body);
        assert_eq!(body["message"], "Missing auth token");
    }
    // A valid key for another organization: the documented "organization mismatch".
    let (status, body) = pai.call("GET", "/v1/public-api/organizations/org_someone_else/subscriptions", None).await;
    assert_matches(&format!("{slug}.403"), status, &body);
    // The webhook destinations want the same header.
    let (status, body) =
        pai.send("POST", "/v1/webhook-destinations", Some(CREDENTIAL), Some(&json!({"url": "https://x.test"}))).await;
    assert_matches("post_v1-webhook-destinations.401", status, &body);
    assert_eq!(pai.fake.served(), 1, "only the 403 was an authenticated request");
}

#[tokio::test]
async fn bodies_over_4_mb_are_413_and_rate_limits_are_429() {
    let pai = Pai::start(Options { rate_limit: Some(2), ..Options::new(DEMO_ORGANIZATION_ID, CREDENTIAL) }).await;
    let big = json!({"firstName": "x".repeat(paymentsai::MAX_BODY_BYTES), "lastName": "y", "email": "z"});
    let (status, body) = pai.call("POST", &format!("{ORG}/customers"), Some(&big)).await;
    assert_matches("post_v1-public-api-organizations-organizationid-customers.413", status, &body);
    for _ in 0..2 {
        assert_eq!(pai.call("GET", &format!("{ORG}/subscriptions"), None).await.0, 200);
    }
    let (status, body) = pai.call("GET", &format!("{ORG}/subscriptions"), None).await;
    assert_matches("get_v1-public-api-organizations-organizationid-subscriptions.429", status, &body);
}

#[tokio::test]
async fn payload_errors_are_the_documented_400_and_server_errors_500() {
    let pai = Pai::demo().await;
    let (customer, instrument) = pai.customer_with_card(CARD).await;
    pai.fixture_call(
        "post_v1-public-api-organizations-organizationid-subscriptions.400",
        &format!("{ORG}/subscriptions"),
        |r| {
            r["customerId"] = json!(customer);
            r["paymentInstrumentId"] = json!(instrument);
        },
    )
    .await;
    // A paymentInstruction wrapper, or a bare plan id: the documented wrong shapes.
    for body in [
        json!({"customerId": customer, "paymentInstruction": {"paymentInstrumentId": instrument}, "items": [{"plan": {"id": "p"}}], "isTrialOnly": false}),
        json!({"customerId": customer, "paymentInstrumentId": instrument, "items": ["p"], "isTrialOnly": false}),
    ] {
        let (status, answer) = pai.call("POST", &format!("{ORG}/subscriptions"), Some(&body)).await;
        assert_matches("post_v1-public-api-organizations-organizationid-subscriptions.400", status, &answer);
    }
    let (status, body) = pai.call("POST", "/v1/webhook-destinations", Some(&json!({"auth": {"type": "basic"}}))).await;
    assert_matches("post_v1-webhook-destinations.400", status, &body);
    // Not reachable on a healthy fake: the bodies the broken scenarios answer.
    for (slug, status) in [("post_v1-webhook-destinations.403", 403), ("post_v1-webhook-destinations.500", 500)] {
        assert_matches(slug, status, &paymentsai::error_body(status, None));
    }
}

#[tokio::test]
async fn the_same_idempotency_key_replays_the_original_transaction() {
    let declined = CardOutcome { result: "declined", status: "not-sent" };
    let pai = Pai::start(Options {
        card_outcomes: vec![("5555555555554444".into(), declined)],
        ..Options::new(DEMO_ORGANIZATION_ID, CREDENTIAL)
    })
    .await;
    let (customer, instrument) = pai.customer_with_card(CARD).await;
    let path = format!("{ORG}/transactions");
    let (s1, first) = pai.call("POST", &path, Some(&sale(&customer, &instrument, Some("order-42")))).await;
    let (s2, again) = pai.call("POST", &path, Some(&sale(&customer, &instrument, Some("order-42")))).await;
    assert_eq!((s1, s2), (201, 201));
    assert_eq!(first, again, "the original result, not a second transaction");
    assert_eq!(pai.fake.transactions_created(), 1);
    // Another body under the same key: the page only says a matching key
    // returns the original operation's result; so does the fake.
    let mut other = sale(&customer, &instrument, Some("order-42"));
    other["amount"] = json!(999);
    let (_, replay) = pai.call("POST", &path, Some(&other)).await;
    assert_eq!(replay, first);
    assert_eq!(pai.fake.transactions_created(), 1);
    // A new key is a new transaction; over 100 characters is a 400.
    let (_, fresh) = pai.call("POST", &path, Some(&sale(&customer, &instrument, Some("order-43")))).await;
    assert_ne!(fresh["id"], first["id"]);
    let (status, body) = pai.call("POST", &path, Some(&sale(&customer, &instrument, Some(&"k".repeat(101))))).await;
    assert_eq!((status, body["statusCode"].as_u64()), (400, Some(400)));
    assert_eq!(pai.fake.transactions_created(), 2);
}

#[tokio::test]
async fn a_201_can_be_a_decline_and_only_a_success_activates_the_card() {
    // The published test cards are not in the stored documentation: these
    // outcomes are chosen by the test, with the documented result/status values.
    let outcomes = vec![
        ("4000000000000002".to_string(), CardOutcome { result: "declined", status: "not-sent" }),
        ("4000000000009995".to_string(), CardOutcome { result: "declined", status: "completed" }),
        ("4000000000003220".to_string(), CardOutcome { result: "unknown", status: "offsite" }),
    ];
    let pai =
        Pai::start(Options { card_outcomes: outcomes.clone(), ..Options::new(DEMO_ORGANIZATION_ID, CREDENTIAL) }).await;
    for (card, outcome) in &outcomes {
        let (customer, instrument) = pai.customer_with_card(card).await;
        let (status, tx) =
            pai.call("POST", &format!("{ORG}/transactions"), Some(&sale(&customer, &instrument, None))).await;
        assert_eq!(status, 201, "{tx}");
        assert_eq!((tx["result"].as_str(), tx["status"].as_str()), (Some(outcome.result), Some(outcome.status)));
        let sub = json!({"customerId": customer, "paymentInstrumentId": instrument, "items": [{"plan": {"id": "p"}}], "isTrialOnly": false});
        let (_, sub) = pai.call("POST", &format!("{ORG}/subscriptions"), Some(&sub)).await;
        assert_eq!(sub["data"]["status"], "pending", "a card without a successful payment stays inactive");
    }
    let (customer, instrument) = pai.customer_with_card(CARD).await;
    let (_, tx) = pai.call("POST", &format!("{ORG}/transactions"), Some(&sale(&customer, &instrument, None))).await;
    assert_eq!((tx["result"].as_str(), tx["status"].as_str()), (Some("approved"), Some("completed")));
    let sub = json!({"customerId": customer, "paymentInstrumentId": instrument, "items": [{"plan": {"id": "p"}}], "isTrialOnly": false});
    let (_, sub) = pai.call("POST", &format!("{ORG}/subscriptions"), Some(&sub)).await;
    assert_eq!(sub["data"]["status"], "active");
    assert!(sub["data"].get("recentInvoicePaymentFormUrl").is_none());
}

#[tokio::test]
async fn a_token_attaches_once() {
    let pai = Pai::demo().await;
    let (customer, _) = pai.customer_with_card(CARD).await;
    let card = json!({"primaryAccountNumber": CARD, "cardVerificationValue": "123", "expirationMonth": "12", "expirationYear": "2030"});
    let (_, token) = pai.call("POST", &format!("{ORG}/payment-instruments/tokens"), Some(&card)).await;
    let attach = format!("{ORG}/customers/{customer}/payment-instruments");
    let body = json!({"token": token["data"]["id"]});
    assert_eq!(pai.call("POST", &attach, Some(&body)).await.0, 201);
    let (status, answer) = pai.call("POST", &attach, Some(&body)).await;
    assert_eq!((status, answer["message"].as_str()), (400, Some("Bad request")));
    // Stage rejects production's riskMetadata; an unknown customer is a 404.
    let mut risky = card.clone();
    risky["riskMetadata"] = json!({});
    assert_eq!(pai.call("POST", &format!("{ORG}/payment-instruments/tokens"), Some(&risky)).await.0, 400);
    assert_eq!(pai.call("POST", &format!("{ORG}/customers/nobody/payment-instruments"), Some(&body)).await.0, 404);
}

#[tokio::test]
async fn both_documented_organization_id_forms_are_served() {
    for org in [DEMO_ORGANIZATION_ID, "org_xxx"] {
        let pai = Pai::start(Options::new(org, CREDENTIAL)).await;
        assert_eq!(pai.call("GET", &format!("/v1/public-api/organizations/{org}/subscriptions"), None).await.0, 200);
        assert!(paymentsai::is_documented_organization_id(org));
    }
    assert!(!paymentsai::is_documented_organization_id("acme"));
    assert!(!paymentsai::is_documented_organization_id("org_"));
}

#[tokio::test]
async fn the_seeded_demo_destination_reads_back_with_its_event_types() {
    let pai = Pai::demo().await;
    pai.fake.seed_destination("d-1", "http://127.0.0.1:9/webhooks", &["transaction-processed"], Some(("user", "pass")));
    let (status, body) = pai.call("GET", "/v1/webhook-destinations/d-1", None).await;
    assert_matches("post_v1-webhook-destinations", 201, &body);
    assert_eq!(status, 200);
    assert_eq!(body["data"]["eventTypes"], json!(["transaction-processed"]));
    assert_eq!(body["data"]["auth"]["type"], "basic");
    assert_eq!(pai.call("GET", "/v1/webhook-destinations/d-2", None).await.0, 404);
}

async fn exchange_fake(mode: ExchangeMode) -> (Pai, exchange::ExchangeFake) {
    let pai = Pai::start(Options { credentials: Vec::new(), ..Options::new(DEMO_ORGANIZATION_ID, "") }).await;
    let fake = exchange::mount_with(&pai.server, &pai.fake, "acc_test_1", "temporal-1", mode).await;
    (pai, fake)
}

async fn patch(pai: &Pai, auth: &str, secret: &str) -> reqwest::Response {
    pai.client
        .patch(pai.url("/v1/accounts/public-api/acc_test_1"))
        .header("Authorization", auth)
        .json(&json!({"secret": secret}))
        .send()
        .await
        .expect("answer")
}

#[tokio::test]
async fn the_temporal_key_works_once_and_the_permanent_key_opens_the_public_api() {
    let (pai, fake) = exchange_fake(ExchangeMode::Normal).await;
    let read = format!("{ORG}/subscriptions");
    let permanent = format!("ApiKey {}", fake.credential());
    assert_eq!(pai.send("GET", &read, Some(&permanent), None).await.0, 401, "not before the exchange");
    // A bare temporal key (no `ApiKey` prefix) or a bad secret consumes nothing.
    assert_eq!(patch(&pai, "temporal-1", "Good-Secret-123").await.status(), 401);
    let refused = patch(&pai, "ApiKey temporal-1", "short").await;
    assert_eq!(refused.status(), 400);
    let answer = patch(&pai, "ApiKey temporal-1", "Good-Secret-123").await;
    let f = fixture("patch_v1-accounts-public-api-accountid");
    assert_eq!(u64::from(answer.status().as_u16()), f["status"].as_u64().expect("status"));
    let body: Value = answer.json().await.expect("json");
    assert_eq!(body, json!({"apiKey": fake.api_key, "apiKeyId": fake.api_key_id}));
    assert_eq!(pai.send("GET", &read, Some(&permanent), None).await.0, 200);
    let again = patch(&pai, "ApiKey temporal-1", "Good-Secret-123").await;
    let status = again.status().as_u16();
    assert_matches("patch_v1-accounts-public-api-accountid.401", status, &again.json().await.expect("json"));
    assert_eq!(fake.count(), 4);
}

#[tokio::test]
async fn the_exchange_answers_unexpected_shapes_on_demand() {
    for shape in
        [AnswerShape::Flat, AnswerShape::OtherNames, AnswerShape::Nested, AnswerShape::NotJson, AnswerShape::Empty]
    {
        let (pai, fake) = exchange_fake(ExchangeMode::Answer(shape)).await;
        let answer = patch(&pai, "ApiKey temporal-1", "Good-Secret-123").await;
        assert_eq!(answer.status(), 200, "{shape:?}");
        let text = answer.text().await.expect("text");
        match shape {
            AnswerShape::Empty => assert!(text.is_empty()),
            AnswerShape::NotJson => {
                assert!(serde_json::from_str::<Value>(&text).is_err() && text.contains(&fake.api_key))
            }
            AnswerShape::Nested => {
                assert_eq!(serde_json::from_str::<Value>(&text).expect("json")["data"]["apiKey"], json!(fake.api_key))
            }
            AnswerShape::OtherNames => {
                assert_eq!(serde_json::from_str::<Value>(&text).expect("json")["key"], json!(fake.api_key))
            }
            AnswerShape::Flat => {
                assert_eq!(serde_json::from_str::<Value>(&text).expect("json")["apiKey"], json!(fake.api_key))
            }
        }
        // The key was consumed whatever the shape.
        assert_eq!(patch(&pai, "ApiKey temporal-1", "Good-Secret-123").await.status(), 401, "{shape:?}");
    }
    // Past the documented 7 days: the documented 401, nothing handed out.
    let (pai, fake) = exchange_fake(ExchangeMode::Expired).await;
    let answer = patch(&pai, "ApiKey temporal-1", "Good-Secret-123").await;
    assert_matches(
        "patch_v1-accounts-public-api-accountid.401",
        answer.status().as_u16(),
        &answer.json().await.expect("json"),
    );
    assert_eq!(
        pai.send("GET", &format!("{ORG}/subscriptions"), Some(&format!("ApiKey {}", fake.credential())), None).await.0,
        401
    );
}

#[tokio::test]
async fn the_demo_serves_its_key_on_the_public_api_and_its_webhook_destination() {
    let fakes = golive_fakes::Fakes::start(golive_fakes::Scenario::Healthy).await.expect("fakes");
    let key = std::fs::read_to_string(fakes.dir().join("pai_api_key")).expect("demo key");
    let client = reqwest::Client::new();
    let base = fakes.api("paymentsai").expect("the paymentsai fake").uri();
    let get = |path: String| {
        client.get(format!("{base}{path}")).header("Authorization", format!("ApiKey {}", key.trim())).send()
    };
    let read = get(format!("/v1/public-api/organizations/{DEMO_ORGANIZATION_ID}/subscriptions")).await.expect("answer");
    assert_eq!(read.status(), 200);
    let id = golive_fakes::DEMO_WEBHOOK_DESTINATION_ID;
    let destination: Value =
        get(format!("/v1/webhook-destinations/{id}")).await.expect("answer").json().await.expect("json");
    let receiver = golive_fakes::webhook::url(&fakes.webhook).expect("url");
    assert_eq!(destination["data"]["url"], json!(receiver.as_str()));
    assert_eq!(destination["data"]["eventTypes"], json!(golive_fakes::DEMO_WEBHOOK_EVENT_TYPES));
    assert!(paymentsai::is_documented_organization_id(DEMO_ORGANIZATION_ID));
}
