//! The routes of the PaymentsAI-like fake, each after the page it names.
//! Authentication, body size and rate limit are checked before (in `mod.rs`).

use serde_json::{Map, Value, json};
use wiremock::{Request, ResponseTemplate};

use super::{CardOutcome, Instrument, State, Token, cancellations, error, new_id, now};
use crate::variant::{EventTypes, PaiChoices, Wrapper};

/// The most characters an `idempotencyKey` may have
/// (https://api-docs.payments.ai/docs/api/idempotency).
const MAX_IDEMPOTENCY_KEY: usize = 100;

pub(super) fn route(state: &State, request: &Request) -> ResponseTemplate {
    let path = request.url.path().trim_end_matches('/').to_string();
    let segments: Vec<&str> = path.split('/').skip(1).collect();
    let method = request.method.as_str();
    match segments.as_slice() {
        ["v1", "webhook-destinations"] if method == "POST" => with_json(request, |b| create_destination(state, b)),
        ["v1", "webhook-destinations", id] if method == "GET" => read_destination(state, id),
        ["v1", "public-api", "organizations", organization, rest @ ..] => {
            // https://api-docs.payments.ai/docs/api/authentication: 403 when "the
            // key is valid but does not have permission", e.g. an "organization mismatch".
            if *organization != state.organization_id {
                return error(403, None);
            }
            public_api(state, request, method, rest)
        }
        _ => error(404, None),
    }
}

fn public_api(state: &State, request: &Request, method: &str, rest: &[&str]) -> ResponseTemplate {
    match (method, rest) {
        // https://api-docs.payments.ai/docs/api/authentication shows this read as
        // its example request. No page shows a list answer: `{"data": [...]}` follows
        // the `data` wrapper of the documented subscription answer (concepts/orders/required-fields).
        ("GET", ["subscriptions"]) => {
            ResponseTemplate::new(200).set_body_json(json!({"data": state.data().subscriptions.clone()}))
        }
        ("POST", ["subscriptions"]) => with_json(request, |b| create_subscription(state, b)),
        // https://api-docs.payments.ai/docs/get-started/concepts/customers: "GET to
        // retrieve one or list many". The list answer is not shown (same wrapper as above).
        ("GET", ["customers"]) => {
            let all: Vec<Value> = state.data().customers.values().cloned().collect();
            ResponseTemplate::new(200).set_body_json(json!({"data": all}))
        }
        // https://api-docs.payments.ai/docs/get-started/tutorials/product-crud lists
        // products with this read (answer not shown: the list wrapper above).
        ("GET", ["products"]) => {
            let all: Vec<Value> = state.data().products.values().cloned().collect();
            ResponseTemplate::new(200).set_body_json(json!({"data": all}))
        }
        ("POST", ["products"]) => with_json(request, |b| create_product(state, b)),
        ("POST", ["plans"]) => with_json(request, |b| create_plan(state, b)),
        ("POST", ["customers"]) => with_json(request, |b| create_customer(state, b)),
        ("GET", ["customers", id]) => match state.data().customers.get(*id) {
            Some(c) => ResponseTemplate::new(200).set_body_json(object_answer(&state.choices, c.clone())),
            None => error(404, None),
        },
        ("POST", ["customers", id, "payment-instruments"]) => with_json(request, |b| attach(state, id, b)),
        ("POST", ["payment-instruments", "tokens"]) => with_json(request, |b| tokenize(state, b)),
        ("POST", ["transactions"]) => with_json(request, |b| create_transaction(state, b)),
        ("POST", ["subscription-cancellations"]) => with_json(request, |b| cancellations::create(state, b)),
        ("GET", ["subscription-cancellations"]) => cancellations::list(state),
        ("GET", ["subscription-cancellations", id]) => cancellations::read(state, id),
        _ => error(404, None),
    }
}

/// Parses the body as a JSON object, or answers the documented 400.
fn with_json(request: &Request, then: impl FnOnce(&Map<String, Value>) -> ResponseTemplate) -> ResponseTemplate {
    match serde_json::from_slice::<Value>(&request.body) {
        Ok(Value::Object(body)) => then(&body),
        _ => bad("the body is not a JSON object"),
    }
}

pub(super) fn bad(details: &str) -> ResponseTemplate {
    error(400, Some(details))
}

pub(super) fn string<'a>(body: &'a Map<String, Value>, key: &str) -> Option<&'a str> {
    body.get(key).and_then(Value::as_str).filter(|s| !s.is_empty())
}

/// A destination as the registration answer shows it
/// (https://api-docs.payments.ai/docs/get-started/tutorials/webhook-setup):
/// `{type: "object", data: {id, createdAt, updatedAt, url, auth}}`. The answer
/// shown has no `eventTypes`, but its request sent none; registration accepts them
/// (https://api-docs.payments.ai/docs/api/webhooks/). Whether the answers list the
/// subscribed types is the variant's choice ([`EventTypes`]).
pub(super) fn destination(
    id: &str,
    url: &str,
    auth: Option<Value>,
    event_types: Vec<Value>,
    listed: EventTypes,
) -> Value {
    let at = now();
    let mut data = json!({"id": id, "createdAt": at, "updatedAt": at, "url": url});
    if let Some(auth) = auth {
        data["auth"] = auth;
    }
    if listed == EventTypes::Listed {
        data["eventTypes"] = Value::Array(event_types);
    }
    json!({"type": "object", "data": data})
}

/// A create whose status no page shows (customers, attach, products, plans,
/// subscriptions, cancellations): 201 like every documented create, or 200, as the variant says.
pub(super) fn created(choices: &PaiChoices, body: Value) -> ResponseTemplate {
    ResponseTemplate::new(choices.create_status.code()).set_body_json(body)
}

/// A customer, product, plan or cancellation as an answer shows it: bare, or wrapped
/// like the documented token and destination answers (`{type: "object", data}`), as the variant says.
pub(super) fn object_answer(choices: &PaiChoices, object: Value) -> Value {
    match choices.objects {
        Wrapper::Bare => object,
        Wrapper::Wrapped => json!({"type": "object", "data": object}),
    }
}

/// `POST /v1/webhook-destinations` (https://api-docs.payments.ai/docs/get-started/tutorials/webhook-setup):
/// `url` and `auth: {type: "basic", username, password}`; 201 on success, 400 "Your payload is incorrect".
fn create_destination(state: &State, body: &Map<String, Value>) -> ResponseTemplate {
    let Some(url) = string(body, "url") else { return bad("url is required") };
    if reqwest::Url::parse(url).is_err() {
        return bad("url is not a valid URL");
    }
    let auth = match body.get("auth") {
        None => None,
        Some(a) => {
            let basic = a.get("type").and_then(Value::as_str) == Some("basic")
                && a.get("username").is_some_and(Value::is_string)
                && a.get("password").is_some_and(Value::is_string);
            if !basic {
                return bad("auth must be {type: \"basic\", username, password}");
            }
            Some(a.clone())
        }
    };
    let event_types = match body.get("eventTypes") {
        None => Vec::new(),
        Some(Value::Array(types)) if types.iter().all(Value::is_string) => types.clone(),
        Some(_) => return bad("eventTypes must be a list of event type names"),
    };
    let id = new_id();
    let answer = destination(&id, url, auth, event_types, state.choices.event_types);
    state.data().destinations.insert(id, answer.clone());
    ResponseTemplate::new(201).set_body_json(answer)
}

/// `GET /v1/webhook-destinations/:webhookID`, "Validate your webhook"
/// (https://api-docs.payments.ai/docs/get-started/tutorials/webhook-setup). The
/// stored copy of the page ends before the answer: the fake answers what the
/// registration answered (see [`destination`]). The 404 is the fake's own.
fn read_destination(state: &State, id: &str) -> ResponseTemplate {
    match state.data().destinations.get(id) {
        Some(d) => ResponseTemplate::new(200).set_body_json(d),
        None => error(404, None),
    }
}

/// `POST .../customers` (https://api-docs.payments.ai/docs/get-started/concepts/customers,
/// https://api-docs.payments.ai/docs/get-started/tutorials/create-customer-with-payment-instrument).
/// The pages disagree on what is required ("All fields are optional" against a
/// "minimal required set") and on the address (`primaryAddress.customerAddress`
/// or `address`): the fake requires only `firstName`, `lastName` and `email`,
/// present in every documented example. "Response returns the created Customer
/// object with its assigned id": the Customer of the webhook schemas page
/// (https://api-docs.payments.ai/docs/api/webhooks/Schemas). The status and the
/// wrapper are not shown: the variant chooses (201 and bare by default).
fn create_customer(state: &State, body: &Map<String, Value>) -> ResponseTemplate {
    for key in ["firstName", "lastName", "email"] {
        if string(body, key).is_none() {
            return bad(&format!("{key} is required"));
        }
    }
    let id = new_id();
    let first = string(body, "firstName").unwrap_or_default();
    let last = string(body, "lastName").unwrap_or_default();
    let mut customer = json!({"id": id, "name": format!("{first} {last}")});
    for key in ["firstName", "lastName", "email", "phoneNumber", "language"] {
        if let Some(v) = body.get(key).filter(|v| v.is_string()) {
            customer[key] = v.clone();
        }
    }
    // Either documented address shape becomes the schema's `address`.
    let given = body
        .get("primaryAddress")
        .and_then(|p| p.get("customerAddress"))
        .or_else(|| body.get("address"))
        .and_then(Value::as_object);
    let mut address = Map::new();
    if let Some(given) = given {
        for (from, to) in [
            ("country", "country"),
            ("address1", "address1"),
            ("address", "address1"),
            ("address2", "address2"),
            ("city", "city"),
            ("region", "region"),
            ("zip", "zip"),
        ] {
            if let Some(v) = given.get(from).filter(|v| v.is_string()) {
                address.insert(to.to_string(), v.clone());
            }
        }
    }
    customer["address"] = Value::Object(address);
    for key in ["lifetimeRevenue", "averageValue"] {
        customer[key] = json!({"currency": "USD", "amount": 0, "amountUSD": 0});
    }
    state.data().customers.insert(id, customer.clone());
    created(&state.choices, object_answer(&state.choices, customer))
}

/// `POST .../payment-instruments/tokens`, stage only (https://api-docs.payments.ai/docs/api/base-urls,
/// https://api-docs.payments.ai/docs/get-started/tutorials/tokenization-endpoint): a flat body
/// `primaryAccountNumber, cardVerificationValue, expirationMonth, expirationYear`,
/// no `riskMetadata`; "Returns HTTP 201 with { type, data: { id, createdAt, expiratedAt } }".
/// The field types are not shown: card number and CVV as strings, month and year
/// as numbers or strings. The token is single-use (https://api-docs.payments.ai/docs/api/tokenization/token-lifecycle).
fn tokenize(state: &State, body: &Map<String, Value>) -> ResponseTemplate {
    if body.contains_key("riskMetadata") {
        return bad("riskMetadata is not accepted on stage");
    }
    let Some(pan) = string(body, "primaryAccountNumber") else { return bad("primaryAccountNumber is required") };
    if !(12..=19).contains(&pan.len()) || !pan.bytes().all(|b| b.is_ascii_digit()) {
        return bad("primaryAccountNumber is not a card number");
    }
    if string(body, "cardVerificationValue").is_none() {
        return bad("cardVerificationValue is required");
    }
    let month_or_year = |v: Option<&Value>| v.is_some_and(|v| v.is_u64() || v.as_str().is_some_and(|s| !s.is_empty()));
    for key in ["expirationMonth", "expirationYear"] {
        if !month_or_year(body.get(key)) {
            return bad(&format!("{key} is required"));
        }
    }
    let id = new_id();
    // The stored copy shows no lifetime: the fake says one hour.
    let expires = time::OffsetDateTime::now_utc()
        .replace_nanosecond(0)
        .ok()
        .map(|t| t + time::Duration::hours(1))
        .and_then(|t| t.format(&time::format_description::well_known::Rfc3339).ok())
        .unwrap_or_default();
    state.data().tokens.insert(
        id.clone(),
        Token {
            pan: pan.to_string(),
            expiration_month: body.get("expirationMonth").cloned().unwrap_or(Value::Null),
            expiration_year: body.get("expirationYear").cloned().unwrap_or(Value::Null),
            consumed: false,
        },
    );
    ResponseTemplate::new(201)
        .set_body_json(json!({"type": "object", "data": {"id": id, "createdAt": now(), "expiratedAt": expires}}))
}

fn brand(pan: &str) -> &'static str {
    // Only "visa" appears in the documentation; the others are the fake's guess.
    match pan.as_bytes().first() {
        Some(b'4') => "visa",
        Some(b'5') => "mastercard",
        _ => "unknown",
    }
}

fn number(v: &Value) -> Value {
    match v {
        Value::String(s) => s.parse::<u64>().map_or(Value::Null, |n| json!(n)),
        other => other.clone(),
    }
}

/// `POST .../customers/{customerId}/payment-instruments` with `{token}`
/// (https://api-docs.payments.ai/docs/api/tokenization/attach-flow): answers a
/// PaymentInstrument, `{id, type: "payment-card", creditCard: {creditCardLastFourDigits,
/// brand, expireYear, expireMonth}, billingAddress}`; the status is not shown (the variant's).
/// The token is consumed; a second attach "fails" (token-lifecycle page; the
/// status is not shown: 400, which the errors page lists for payment instruments).
/// The new instrument is `inactive` until a transaction succeeds on it
/// (https://api-docs.payments.ai/docs/get-started/concepts/payment-instrument-lifecycle).
fn attach(state: &State, customer_id: &str, body: &Map<String, Value>) -> ResponseTemplate {
    let mut data = state.data();
    let Some(customer) = data.customers.get(customer_id).cloned() else { return error(404, None) };
    let Some(token_id) = string(body, "token") else { return bad("token is required") };
    let Some(token) = data.tokens.get_mut(token_id) else { return bad("the token does not exist") };
    if token.consumed {
        return bad("the token was already used");
    }
    token.consumed = true;
    let pan = token.pan.clone();
    let instrument = json!({
        "id": new_id(),
        "type": "payment-card",
        "creditCard": {
            "creditCardLastFourDigits": pan[pan.len() - 4..].to_string(),
            "brand": brand(&pan),
            "expireYear": number(&token.expiration_year),
            "expireMonth": number(&token.expiration_month),
        },
        "billingAddress": customer.get("address").cloned().unwrap_or_else(|| json!({})),
    });
    let id = instrument["id"].as_str().unwrap_or_default().to_string();
    data.instruments
        .insert(id, Instrument { customer_id: customer_id.to_string(), pan, active: false, body: instrument.clone() });
    created(&state.choices, instrument)
}

/// `POST .../transactions` (https://api-docs.payments.ai/docs/get-started/concepts/transactions,
/// https://api-docs.payments.ai/docs/api/idempotency).
///
/// - 201 whenever the record is created, declines included: "always check the
///   result and status fields in the response body". The answer is the
///   Transaction of https://api-docs.payments.ai/docs/api/webhooks/Schemas, unwrapped.
/// - `idempotencyKey` in the body, at most 100 characters. A key already seen
///   "returns the result of the original operation instead of creating a second
///   transaction". The page says nothing about a different body under the same
///   key: the fake, like the sentence, answers the original whatever the body.
/// - `type` is `sale` or `authorize` (the two the page lists for POST); every
///   transaction "references a customerId"; `paymentInstruction` holds a
///   `paymentInstrumentId` or a `token` (attach-flow page), or is left out to
///   charge the customer's default instrument (customers page).
fn create_transaction(state: &State, body: &Map<String, Value>) -> ResponseTemplate {
    let key = match body.get("idempotencyKey") {
        None => None,
        Some(Value::String(k)) if !k.is_empty() && k.chars().count() <= MAX_IDEMPOTENCY_KEY => Some(k.clone()),
        Some(_) => return bad("idempotencyKey must be a string of 1 to 100 characters"),
    };
    let mut data = state.data();
    if let Some(original) = key.as_ref().and_then(|k| data.idempotency.get(k)) {
        return ResponseTemplate::new(201).set_body_json(original);
    }
    let Some(kind) = string(body, "type").filter(|t| matches!(*t, "sale" | "authorize")) else {
        return bad("type must be sale or authorize");
    };
    let Some(amount) = body.get("amount").filter(|a| a.is_number()).cloned() else {
        return bad("amount must be a number");
    };
    let Some(currency) = string(body, "currency") else { return bad("currency is required") };
    let Some(customer_id) = string(body, "customerId") else { return bad("customerId is required") };
    // The errors page lists 400, 401 and 500 for POST /transactions: an unknown
    // customer or instrument is a 400 here.
    let Some(customer) = data.customers.get(customer_id).cloned() else { return bad("unknown customerId") };
    let instruction = body.get("paymentInstruction").and_then(Value::as_object);
    let instrument_id = match instruction {
        Some(i) => match (i.get("paymentInstrumentId").and_then(Value::as_str), i.get("token").and_then(Value::as_str))
        {
            (Some(id), _) => Some(id.to_string()),
            (None, Some(token)) => {
                // "The token is consumed directly by the transaction itself."
                let Some(t) = data.tokens.get_mut(token) else { return bad("the token does not exist") };
                if t.consumed {
                    return bad("the token was already used");
                }
                t.consumed = true;
                let pan = t.pan.clone();
                return finish(state, &mut data, kind, amount, currency, customer, None, &pan, key);
            }
            (None, None) => return bad("paymentInstruction needs paymentInstrumentId or token"),
        },
        None => data.instruments.iter().find(|(_, i)| i.customer_id == customer_id).map(|(id, _)| id.clone()),
    };
    let Some(instrument_id) = instrument_id else { return bad("no payment instrument to charge") };
    let Some(instrument) = data.instruments.get(&instrument_id) else { return bad("unknown paymentInstrumentId") };
    if instrument.customer_id != customer_id {
        return bad("the payment instrument belongs to another customer");
    }
    let pan = instrument.pan.clone();
    finish(state, &mut data, kind, amount, currency, customer, Some(instrument_id), &pan, key)
}

#[allow(clippy::too_many_arguments)]
fn finish(
    state: &State,
    data: &mut super::Data,
    kind: &str,
    amount: Value,
    currency: &str,
    customer: Value,
    instrument_id: Option<String>,
    pan: &str,
    key: Option<String>,
) -> ResponseTemplate {
    let outcome =
        state.card_outcomes.iter().find(|(card, _)| card == pan).map_or(CardOutcome::APPROVED, |(_, outcome)| *outcome);
    let instrument = instrument_id.as_ref().and_then(|id| data.instruments.get_mut(id));
    // "inactive → active: a transaction succeeds against the instrument."
    let approved = outcome.result == "approved" && outcome.status == "completed";
    let instrument_body = instrument.map(|i| {
        i.active |= approved;
        i.body.clone()
    });
    // The combined status "merges status and result": the schema says it is
    // a status, or `abandoned`.
    let combined = if outcome.result == "abandoned" { "abandoned" } else { outcome.status };
    let captured = kind == "sale" && approved;
    let transaction = json!({
        "id": new_id(),
        "amount": amount,
        "refundableAmount": if captured { amount.clone() } else { json!(0) },
        "currency": currency,
        "status": outcome.status,
        "result": outcome.result,
        "combinedStatus": combined,
        "customer": customer,
        "date": now(),
        "type": kind,
        "paymentType": "one-time-payment",
        "paymentInstrument": instrument_body.unwrap_or(Value::Null),
        "invoices": [],
        "gatewayName": "PaymentsAI",
        "gatewaySlug": null,
        "permissionBundle": {"isRefundable": captured},
        "isProcessedOutside": false,
    });
    data.transactions.push(transaction.clone());
    if let Some(k) = key {
        data.idempotency.insert(k, transaction.clone());
    }
    ResponseTemplate::new(201).set_body_json(transaction)
}

/// `POST .../products` (https://api-docs.payments.ai/docs/get-started/tutorials/product-crud):
/// `name` is the one required field; `unitLabel`, `description`,
/// `requiresShipping`, `options`, `taxCategoryId`, `accountingCode` optional.
/// The answer is not shown: the product with its new `id`, status and wrapper as the
/// variant says.
fn create_product(state: &State, body: &Map<String, Value>) -> ResponseTemplate {
    if string(body, "name").is_none() {
        return bad("name is required");
    }
    let mut product = Value::Object(body.clone());
    let id = new_id();
    product["id"] = json!(id);
    state.data().products.insert(id, product.clone());
    created(&state.choices, object_answer(&state.choices, product))
}

/// `POST .../plans` (https://api-docs.payments.ai/docs/get-started/tutorials/plan-crud):
/// `name`, `currency`, `productId` ("the product this plan applies to") and
/// `pricing {price, formula}` (formula one of fixed-fee, flat-rate, tiered,
/// volume, stairstep). The page marks no field required; the fake asks for the
/// four a plan cannot mean anything without, and for a product it knows. The
/// answer is not shown: the plan with its new `id`, status and wrapper as the variant says.
fn create_plan(state: &State, body: &Map<String, Value>) -> ResponseTemplate {
    for key in ["name", "currency", "productId"] {
        if string(body, key).is_none() {
            return bad(&format!("{key} is required"));
        }
    }
    let formulas = ["fixed-fee", "flat-rate", "tiered", "volume", "stairstep"];
    let pricing_ok = body.get("pricing").is_some_and(|p| {
        p.get("price").is_some_and(Value::is_number)
            && p.get("formula").and_then(Value::as_str).is_some_and(|f| formulas.contains(&f))
    });
    if !pricing_ok {
        return bad("pricing must be {price, formula} with a documented formula");
    }
    let mut data = state.data();
    if !string(body, "productId").is_some_and(|id| data.products.contains_key(id)) {
        return bad("unknown productId");
    }
    let mut plan = Value::Object(body.clone());
    let id = new_id();
    plan["id"] = json!(id);
    data.plans.insert(id, plan.clone());
    created(&state.choices, object_answer(&state.choices, plan))
}

/// `POST .../subscriptions` (https://api-docs.payments.ai/docs/get-started/concepts/orders/required-fields,
/// https://api-docs.payments.ai/docs/get-started/tutorials/create-subscription):
/// `customerId`, a flat `paymentInstrumentId` (not in `paymentInstruction`),
/// `items: [{plan: {id}}]` and an explicit `isTrialOnly` ("omitting it returns a 400").
/// On an inactive instrument the answer is `{data: {id, status: "pending",
/// recentInvoicePaymentFormUrl, recentInvoiceId}}`. On an active one the stored
/// page is cut off; the fake answers `active` without a form URL. A plan the
/// fake created must be named; before any plan exists (tests that only subscribe),
/// any plan id is accepted. The status code is not shown: the variant's.
fn create_subscription(state: &State, body: &Map<String, Value>) -> ResponseTemplate {
    if !body.get("isTrialOnly").is_some_and(Value::is_boolean) {
        return bad("isTrialOnly is required");
    }
    if body.contains_key("paymentInstruction") {
        return bad("paymentInstrumentId is a top-level field, not in paymentInstruction");
    }
    let Some(customer_id) = string(body, "customerId") else { return bad("customerId is required") };
    let Some(instrument_id) = string(body, "paymentInstrumentId") else {
        return bad("paymentInstrumentId is required");
    };
    let items_ok = body.get("items").and_then(Value::as_array).is_some_and(|items| {
        !items.is_empty() && items.iter().all(|i| i.get("plan").and_then(|p| p.get("id")).is_some_and(Value::is_string))
    });
    if !items_ok {
        return bad("items must be [{plan: {id}}]");
    }
    let mut data = state.data();
    let plans_known = body["items"]
        .as_array()
        .into_iter()
        .flatten()
        .all(|i| data.plans.is_empty() || i["plan"]["id"].as_str().is_some_and(|id| data.plans.contains_key(id)));
    if !plans_known {
        return bad("unknown plan id");
    }
    // The errors page lists no 404 for subscriptions: unknown ids are a 400.
    if !data.customers.contains_key(customer_id) {
        return bad("unknown customerId");
    }
    let Some(instrument) = data.instruments.get(instrument_id) else { return bad("unknown paymentInstrumentId") };
    if instrument.customer_id != customer_id {
        return bad("the payment instrument belongs to another customer");
    }
    let active = instrument.active;
    let invoice = new_id();
    let mut subscription = json!({"id": new_id(), "status": if active { "active" } else { "pending" }});
    if !active {
        // The fake serves no hosted form: a `.invalid` host never resolves.
        subscription["recentInvoicePaymentFormUrl"] =
            json!(format!("https://hosted-form.fake-paymentsai.invalid/{invoice}"));
        subscription["recentInvoiceId"] = json!(invoice);
    }
    data.subscriptions.push(subscription.clone());
    created(&state.choices, json!({"data": subscription}))
}
