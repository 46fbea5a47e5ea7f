//! Cardholder routes: create, read, list, edit, KYC submit, KYC URL refresh,
//! bank account registration, and the staging-only KYC outcome simulation.
//!
//! A submitted cardholder stays Under Review (3) until `POST /staging/kyc/validate`
//! forces an outcome: staging "emulates realistic timing", so the fake never
//! approves on its own, and production never approves in the fake at all.

use serde_json::{Map, Value, json};
use wiremock::Request;

use super::http::{Answer, Field, Query, Rule, merge, no_route, object, ok, path_id, refuse, success, validate};
use super::state::{Cardholder, State};

/// The fields of `POST /cardholders`. Only `firstName`'s 2–50 characters are read on the
/// onboarding guide's required-fields table (the stored copy is cut after it); the rest are
/// the fields of the quickstart's example, required except the landline pair
/// (`countryCallingCode`, `phoneNum`, which the card pages call a landline / alternate
/// number). Lengths of the contact fields follow the card-level table of
/// <https://docs.api.axyscards.com/docs/guide-issue-a-virtual-card>; `gender` 0 Male ·
/// 1 Female · 2 Other and `placeOfBirth` ISO alpha-3 follow
/// <https://docs.api.axyscards.com/docs/recipe-zero-to-funded-card>.
pub(super) const CARDHOLDER_FIELDS: &[Field] = &[
    Field("firstName", true, Rule::Text(2, 50)),
    Field("lastName", true, Rule::Text(1, 50)),
    Field("emailAdr", true, Rule::Text(6, 50)),
    Field("gender", true, Rule::Int(0, 2)),
    Field("nationality", true, Rule::Text(1, 50)),
    Field("placeOfBirth", true, Rule::Text(3, 3)),
    Field("dob", true, Rule::Date),
    Field("adrLine1", true, Rule::Text(1, 100)),
    Field("city", true, Rule::Text(1, 50)),
    Field("state", true, Rule::Text(1, 50)),
    Field("country", true, Rule::Text(2, 2)),
    Field("zipCode", true, Rule::Text(1, 20)),
    Field("callingCode", true, Rule::Digits(1, 3)),
    Field("cellNum", true, Rule::Digits(10, 20)),
    Field("countryCallingCode", false, Rule::Text(2, 2)),
    Field("phoneNum", false, Rule::Digits(10, 20)),
];

/// The same fields, all optional: `PUT /cardholders/{id}` edits some of them.
fn edit_fields() -> Vec<Field> {
    CARDHOLDER_FIELDS.iter().map(|Field(n, _, r)| Field(n, false, *r)).collect()
}

/// `POST /cardholders/{id}/register-bank-account`
/// (<https://docs.api.axyscards.com/reference/post_cardholders-cardholderid-register-bank-account>).
const BANK_FIELDS: &[Field] = &[
    Field("senderAccountName", true, Rule::Text(1, 50)),
    Field("senderAccountNumber", true, Rule::Text(7, 34)),
    Field("senderRoutingNumber", true, Rule::Text(6, 12)),
];

/// The KYC application link for a cardholder's `serial`-th submission or refresh.
fn application_link(id: u64, serial: u32) -> String {
    format!("https://verify.axys.invalid/kyc/{id}/{serial}")
}

/// The cardholder as `GET /cardholders/{id}` and list items show it. The pages read
/// name `cardholderId` and the integer `status` polled for 1 but show no example answer:
/// the fake gives the object without an envelope, because `status` is the compliance
/// status here, not "success".
fn cardholder_json(id: u64, c: &Cardholder) -> Value {
    let mut body = Map::new();
    body.insert("cardholderId".into(), json!(id));
    body.insert("status".into(), json!(c.status));
    for (k, v) in &c.fields {
        body.insert(k.clone(), v.clone());
    }
    Value::Object(body)
}

/// Routes `/v2/cardholders…` (`rest` is the path after `cardholders`).
pub(super) fn route(method: &str, rest: &[&str], request: &Request, state: &mut State) -> Answer {
    match (method, rest) {
        ("GET", []) => list(request, state),
        ("POST", []) => create(request, state),
        (_, [id, tail @ ..]) => {
            let id = path_id(id, "cardholderId")?;
            if !state.cardholders.contains_key(&id) {
                return refuse(404, "Cardholder not found");
            }
            match (method, tail) {
                ("GET", []) => ok(cardholder_json(id, &state.cardholders[&id])),
                ("PUT", []) => edit(id, request, state),
                ("PUT", ["kyc-submit"]) => kyc_submit(id, state),
                ("POST", ["kyc-url", "refresh"]) => kyc_url_refresh(id, state),
                ("POST", ["register-bank-account"]) => register_bank_account(id, request, state),
                _ => no_route(),
            }
        }
        _ => no_route(),
    }
}

/// GET /cardholders — the shared list envelope; filter `status`
/// (<https://docs.api.axyscards.com/docs/pagination-filtering-and-rate-limits>,
/// empty on a new Program: <https://docs.api.axyscards.com/docs/quickstart-first-api-call>).
fn list(request: &Request, state: &State) -> Answer {
    let query = Query::parse(request)?;
    let status = query.int("status")?;
    let items = state
        .cardholders
        .iter()
        .filter(|(_, c)| query.in_window(c.created) && status.is_none_or(|s| u64::from(c.status) == s))
        .map(|(id, c)| cardholder_json(*id, c))
        .collect();
    query.page(items)
}

/// POST /cardholders — answers `{"status":"success","cardholderId":10532}`, the
/// cardholder in status 4 Draft (<https://docs.api.axyscards.com/docs/quickstart-first-api-call>,
/// <https://docs.api.axyscards.com/reference/post_cardholders>).
fn create(request: &Request, state: &mut State) -> Answer {
    let body = object(request)?;
    validate(&body, CARDHOLDER_FIELDS)?;
    let mut fields = Map::new();
    merge(&mut fields, &body, CARDHOLDER_FIELDS);
    let id = state.new_cardholder_id();
    let created = state.tick();
    state.cardholders.insert(id, Cardholder { status: 4, fields, created, link_serial: 0 });
    ok(json!({"status": "success", "cardholderId": id}))
}

/// PUT /cardholders/{id} — only in status 2/4/6/7, back to Draft; 409 otherwise, as the
/// staging test matrix expects for a compliance-locked edit
/// (<https://docs.api.axyscards.com/docs/guide-onboard-a-cardholder>,
/// <https://docs.api.axyscards.com/docs/sandbox-testing-guide>).
fn edit(id: u64, request: &Request, state: &mut State) -> Answer {
    let Some(c) = state.cardholders.get_mut(&id) else { return refuse(404, "Cardholder not found") };
    if ![2, 4, 6, 7].contains(&c.status) {
        return refuse(409, "Cardholder details are locked in this compliance status");
    }
    let body = object(request)?;
    let fields = edit_fields();
    validate(&body, &fields)?;
    merge(&mut c.fields, &body, &fields);
    c.status = 4;
    success()
}

/// PUT /cardholders/{id}/kyc-submit — Draft (4) or Error (6) to Under Review (3) with an
/// `applicationLink` (<https://docs.api.axyscards.com/docs/guide-onboard-a-cardholder>,
/// <https://docs.api.axyscards.com/docs/cardholders-and-compliance>). The answer's exact
/// shape is not shown on the pages read: the envelope plus `applicationLink`.
fn kyc_submit(id: u64, state: &mut State) -> Answer {
    let Some(c) = state.cardholders.get_mut(&id) else { return refuse(404, "Cardholder not found") };
    if ![4, 6].contains(&c.status) {
        return refuse(409, "Only a cardholder in status 4 (Draft) or 6 (Error) can be submitted");
    }
    c.status = 3;
    c.link_serial += 1;
    ok(json!({"status": "success", "applicationLink": application_link(id, c.link_serial)}))
}

/// POST /cardholders/{id}/kyc-url/refresh — a new link for an Under Review (3) cardholder
/// (<https://docs.api.axyscards.com/reference/post_cardholders-cardholderid-kyc-url-refresh>),
/// and the re-submission path after a Compliance Decline (2 → 3,
/// <https://docs.api.axyscards.com/docs/cardholders-and-compliance>,
/// <https://docs.api.axyscards.com/docs/sandbox-testing-guide>). Other statuses: 409.
fn kyc_url_refresh(id: u64, state: &mut State) -> Answer {
    let Some(c) = state.cardholders.get_mut(&id) else { return refuse(404, "Cardholder not found") };
    if ![2, 3].contains(&c.status) {
        return refuse(409, "A KYC URL can only be refreshed for a cardholder in status 3 (Under Review) or 2");
    }
    c.status = 3;
    c.link_serial += 1;
    ok(json!({"status": "success", "applicationLink": application_link(id, c.link_serial)}))
}

/// POST /cardholders/{id}/register-bank-account — approved cardholders only; answers
/// `{"depositId":7741,"statusText":"pending"}` as documented (no envelope), the
/// confirmation then happens by SMS outside the API
/// (<https://docs.api.axyscards.com/docs/guide-fund-a-card-via-bank-transfer>).
fn register_bank_account(id: u64, request: &Request, state: &mut State) -> Answer {
    let body = object(request)?;
    validate(&body, BANK_FIELDS)?;
    if state.cardholders.get(&id).is_none_or(|c| c.status != 1) {
        return refuse(409, "Only an approved cardholder (status 1) can register a bank account");
    }
    let deposit = state.new_deposit_id();
    ok(json!({"depositId": deposit, "statusText": "pending"}))
}

/// POST /staging/kyc/validate `{cardholderId, result: pass|fail}` — forces Under Review (3)
/// to Approved (1) or Compliance Decline (2); answers `{"status":"success","result":{}}`
/// (<https://docs.api.axyscards.com/docs/simulation-endpoints>). Staging only: the caller
/// answers 404 in production mode. A cardholder not in status 3: 409 (the page says it
/// must be 3, not what else answers).
pub(super) fn staging_kyc_validate(request: &Request, state: &mut State) -> Answer {
    let body = object(request)?;
    let fields =
        [Field("cardholderId", true, Rule::Int(0, i64::MAX)), Field("result", true, Rule::OneOf(&["pass", "fail"]))];
    validate(&body, &fields)?;
    let id = body["cardholderId"].as_u64().unwrap_or_default();
    let Some(c) = state.cardholders.get_mut(&id) else { return refuse(404, "Cardholder not found") };
    if c.status != 3 {
        return refuse(409, "The cardholder must be in status 3 (Under Review)");
    }
    c.status = if body["result"] == "pass" { 1 } else { 2 };
    ok(json!({"status": "success", "result": {}}))
}
