//! The Axys-like card-issuing flow behind the mTLS front: cardholders, KYC,
//! virtual cards, sensitive details, balance, status, updates, transactions
//! and fees, with state (a submitted cardholder is under review, status 3,
//! for [`POLLS_UNTIL_APPROVED`] reads, then approved, status 1).
//!
//! One [`Respond`] routes every `/v2/cardholders…` and `/v2/cards…` request, so
//! the state lives in one place. Tests mount a broken mock with a higher
//! priority (a lower number) over one route to break one step; every request
//! stays in wiremock's journal (`received_requests()`), cleanup calls included.

use std::collections::BTreeMap;
use std::sync::Mutex;

use serde_json::{Value, json};
use wiremock::matchers::path_regex;
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

/// The test PAN every card of the fake has (Luhn-valid, a well-known test number).
pub const TEST_PAN: &str = "4111111111111111";
/// The CVV every card of the fake has.
pub const TEST_CVV: &str = "737";
/// How many status reads a submitted cardholder stays under review.
pub const POLLS_UNTIL_APPROVED: u32 = 2;
/// The priority of the flow's mock: tests override a route with 1 to 4.
pub const PRIORITY: u8 = 5;

#[derive(Debug, Default)]
struct Cardholder {
    status: u8,
    polls: u32,
}

#[derive(Debug)]
struct Card {
    cardholder_id: String,
    status: String,
    alias: String,
    limit: i64,
}

#[derive(Debug, Default)]
struct State {
    next: u64,
    cardholders: BTreeMap<String, Cardholder>,
    cards: BTreeMap<String, Card>,
}

struct Flow {
    api_key: String,
    state: Mutex<State>,
}

/// The body Axys answers to an authenticated `GET /cardholders` on a fresh tenant.
pub fn empty_list() -> Value {
    json!({"status": "success", "items": [], "total": 0, "limit": 50, "offset": 0})
}

fn error(code: u16, message: &str) -> ResponseTemplate {
    ResponseTemplate::new(code).set_body_json(json!({"status": "error", "code": code, "message": message}))
}

fn ok(body: Value) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(body)
}

fn crypto_addresses(card_id: &str) -> Value {
    let tail: String = card_id.chars().filter(char::is_ascii_alphanumeric).collect();
    json!([
        {"type": "EVM", "network": "ethereum", "address": format!("0x{:0>40}", tail)},
        {"type": "BTC", "network": "bitcoin", "address": format!("bc1q{tail}")},
        {"type": "SOL", "network": "solana", "address": format!("So1{tail}")},
    ])
}

fn card_json(id: &str, card: &Card) -> Value {
    json!({
        "cardId": id,
        "cardholderId": card.cardholder_id,
        "type": "virtual",
        "status": card.status,
        "alias": card.alias,
        "limit": card.limit,
        "currency": "USD",
        "last4": &TEST_PAN[TEST_PAN.len() - 4..],
        "cryptoAddresses": crypto_addresses(id),
    })
}

/// The card's test transaction (a 1.00 USD authorization, amounts decimal-implied).
fn transactions(state: &State) -> Vec<Value> {
    state
        .cards
        .keys()
        .map(|id| {
            json!({
                "transactionId": format!("txn_{id}"),
                "cardId": id,
                "type": "purchase",
                "status": "settled",
                "amount": 100,
                "currency": "USD",
                "merchant": "GOLIVE TEST MERCHANT",
                "createdAt": "2026-11-21T09:00:00Z",
            })
        })
        .collect()
}

fn fees(state: &State) -> Vec<Value> {
    state
        .cards
        .keys()
        .map(|id| {
            json!({
                "feeId": format!("fee_{id}"),
                "transactionId": format!("txn_{id}"),
                "cardId": id,
                "type": "transaction",
                "amount": 5,
                "currency": "USD",
            })
        })
        .collect()
}

/// A page of `items` per the `limit` and `offset` query parameters, filtered by the others.
fn page(request: &Request, items: Vec<Value>) -> ResponseTemplate {
    let query: BTreeMap<String, String> = request.url.query_pairs().into_owned().collect();
    let number = |k: &str, default: usize| query.get(k).and_then(|v| v.parse().ok()).unwrap_or(default);
    let (limit, offset) = (number("limit", 50).min(200), number("offset", 0));
    let filtered: Vec<Value> = items
        .into_iter()
        .filter(|item| {
            ["cardId", "transactionId"].iter().all(|k| query.get(*k).is_none_or(|want| item[*k] == json!(want)))
        })
        .collect();
    let total = filtered.len();
    let items: Vec<Value> = filtered.into_iter().skip(offset).take(limit).collect();
    ok(json!({"status": "success", "items": items, "total": total, "limit": limit, "offset": offset}))
}

fn body(request: &Request) -> Value {
    serde_json::from_slice(&request.body).unwrap_or(Value::Null)
}

impl Flow {
    fn route(&self, request: &Request, state: &mut State) -> ResponseTemplate {
        let method = request.method.as_str();
        let path = request.url.path().trim_start_matches("/v2/");
        let parts: Vec<&str> = path.split('/').collect();
        match (method, parts.as_slice()) {
            ("GET", ["cardholders"]) => ok(empty_list()),
            ("POST", ["cardholders"]) => {
                let b = body(request);
                let missing: Vec<&str> = ["firstName", "lastName", "email", "phone", "dateOfBirth", "address"]
                    .into_iter()
                    .filter(|k| b.get(k).is_none_or(Value::is_null))
                    .collect();
                if !missing.is_empty() {
                    return error(422, &format!("Missing required fields: {}", missing.join(", ")));
                }
                state.next += 1;
                let id = format!("ch_{:06}", state.next);
                state.cardholders.insert(id.clone(), Cardholder::default());
                ok(json!({"cardholderId": id, "status": 0}))
            }
            ("PUT", ["cardholders", id, "kyc-submit"]) => match state.cardholders.get_mut(*id) {
                Some(c) => {
                    c.status = 3;
                    ok(json!({
                        "cardholderId": id,
                        "applicationLink": format!("https://kyc.axys-demo.test/apply/{id}"),
                        "status": 3,
                    }))
                }
                None => error(404, "Cardholder not found"),
            },
            ("GET", ["cardholders", id]) => match state.cardholders.get_mut(*id) {
                Some(c) => {
                    if c.status == 3 {
                        c.polls += 1;
                        if c.polls > POLLS_UNTIL_APPROVED {
                            c.status = 1;
                        }
                    }
                    ok(json!({"cardholderId": id, "status": c.status}))
                }
                None => error(404, "Cardholder not found"),
            },
            ("POST", ["cards", "virtual", holder]) => match state.cardholders.get(*holder) {
                Some(c) if c.status == 1 => {
                    state.next += 1;
                    let id = format!("card_{:06}", state.next);
                    let b = body(request);
                    let card = Card {
                        cardholder_id: holder.to_string(),
                        status: "active".into(),
                        alias: b["alias"].as_str().unwrap_or("virtual card").to_string(),
                        limit: b["limit"].as_i64().unwrap_or(100_000),
                    };
                    let answer = card_json(&id, &card);
                    state.cards.insert(id, card);
                    ok(answer)
                }
                Some(_) => error(409, "Cardholder is not approved (status must be 1)"),
                None => error(404, "Cardholder not found"),
            },
            ("GET", ["cards", "transactions"]) => page(request, transactions(state)),
            ("GET", ["cards", "fees"]) => page(request, fees(state)),
            (_, ["cards", id, rest @ ..]) => {
                let Some(card) = state.cards.get_mut(*id) else { return error(404, "Card not found") };
                match (method, rest) {
                    ("GET", []) => ok(card_json(id, card)),
                    ("GET", ["details"]) => ok(json!({
                        "cardId": id,
                        "pan": TEST_PAN,
                        "cvv": TEST_CVV,
                        "expiryMonth": 11,
                        "expiryYear": 2029,
                        "nameOnCard": "GOLIVE TEST",
                    })),
                    ("GET", ["balance"]) => {
                        ok(json!({"cardId": id, "balance": 0, "availableBalance": 0, "currency": "USD"}))
                    }
                    ("PUT", ["status"]) => match body(request)["status"].as_str() {
                        Some(s @ ("active" | "blocked")) => {
                            card.status = s.to_string();
                            ok(json!({"cardId": id, "status": s}))
                        }
                        _ => error(422, "status must be \"active\" or \"blocked\""),
                    },
                    ("PUT", ["update"]) => {
                        let b = body(request);
                        if let Some(a) = b["alias"].as_str() {
                            card.alias = a.to_string();
                        }
                        if let Some(l) = b["limit"].as_i64() {
                            card.limit = l;
                        }
                        ok(card_json(id, card))
                    }
                    _ => error(404, "Not found"),
                }
            }
            _ => error(404, "Not found"),
        }
    }
}

impl Respond for Flow {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let key = request.headers.get("x-api-key").and_then(|v| v.to_str().ok()).unwrap_or_default();
        if key != self.api_key {
            return error(401, "Invalid API key");
        }
        match self.state.lock() {
            Ok(mut state) => self.route(request, &mut state),
            Err(_) => error(500, "Internal Server Error"),
        }
    }
}

/// Mounts the whole Axys-like API (`/v2/cardholders…`, `/v2/cards…`) on `server`.
pub async fn mount(server: &MockServer, api_key: &str) {
    Mock::given(path_regex(r"^/v2/(cardholders|cards)(/.*)?$"))
        .respond_with(Flow { api_key: api_key.to_string(), state: Mutex::new(State::default()) })
        .with_priority(PRIORITY)
        .mount(server)
        .await;
}
