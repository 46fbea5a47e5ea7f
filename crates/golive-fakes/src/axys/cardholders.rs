//! Cardholder routes: create, read, list, edit, KYC submit, KYC URL refresh,
//! bank account registration, and the staging-only KYC outcome simulation.
//!
//! A submitted cardholder stays Under Review (3) until `POST /staging/kyc/validate`
//! forces an outcome: staging "emulates realistic timing", so the fake never
//! approves on its own, and production never approves in the fake at all.

use serde_json::{Map, Value, json};
use wiremock::Request;

use super::http::{
    Answer, Field, Query, Rule, create_answer, merge, no_route, object, ok, path_id, refuse, success, validate,
};
use super::state::{Cardholder, State};
use crate::variant::{DeclinePath, Placement};

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

/// The cardholder as `GET /cardholders/{id}` and list items show it, with compliance
/// status `status`. The pages read name `cardholderId` and the integer `status` polled
/// for 1 but show no example answer.
fn cardholder_json(id: u64, c: &Cardholder, status: u8) -> Value {
    let mut body = Map::new();
    body.insert("cardholderId".into(), json!(id));
    body.insert("status".into(), json!(status));
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
                ("GET", []) => read(id, state),
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
        .map(|(id, c)| cardholder_json(*id, c, c.status))
        .collect();
    query.page(items)
}

/// GET /cardholders/{id} — polled for the integer compliance `status`
/// (<https://docs.api.axyscards.com/docs/recipe-poll-compliance-status>,
/// <https://docs.api.axyscards.com/docs/guide-onboard-a-cardholder>); no page shows the
/// answer. Whether it is the object itself (then `status` is the compliance status) or
/// the object under a `"status":"success"` envelope is the variant's choice, and so is
/// a transitional status (0, or the onboarding guide's 5) seen once after a transition.
fn read(id: u64, state: &mut State) -> Answer {
    let placement = state.choices.cardholder_read;
    let Some(c) = state.cardholders.get_mut(&id) else { return refuse(404, "Cardholder not found") };
    let shown = c.transit.take().unwrap_or(c.status);
    let body = cardholder_json(id, c, shown);
    match placement {
        Placement::Flat => ok(body),
        Placement::Nested => ok(json!({"status": "success", "cardholder": body})),
    }
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
    state.cardholders.insert(id, Cardholder { status: 4, fields, created, link_serial: 0, transit: None });
    create_answer(json!({"status": "success", "cardholderId": id}), state.choices.create_status)
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

/// PUT /cardholders/{id}/kyc-submit — Draft (4) to Under Review (3) with an
/// `applicationLink`, and the documented re-submission: "A cardholder can also be
/// re-submitted to compliance using this endpoint in the event of its status being 2
/// (compliance decline), 6 (error) or 7 (admin decline)"
/// (<https://docs.api.axyscards.com/reference/put_cardholders-cardholderid-kyc-submit>,
/// <https://docs.api.axyscards.com/docs/guide-onboard-a-cardholder>). Other statuses: 409
/// (the status of the error is not named). The answer's exact shape is not shown on the
/// pages read: the envelope plus `applicationLink`.
fn kyc_submit(id: u64, state: &mut State) -> Answer {
    let seen = state.choices.transitional;
    let Some(c) = state.cardholders.get_mut(&id) else { return refuse(404, "Cardholder not found") };
    if ![2, 4, 6, 7].contains(&c.status) {
        return refuse(409, "Only a cardholder in status 4 (Draft), 2, 6 or 7 can be submitted to compliance");
    }
    c.move_to(3, seen);
    c.link_serial += 1;
    ok(json!({"status": "success", "applicationLink": application_link(id, c.link_serial)}))
}

/// POST /cardholders/{id}/kyc-url/refresh — a new link for an Under Review (3) cardholder.
/// The pages disagree on Compliance Decline (2) ([`DeclinePath`]): the reference says the
/// route "will only function correctly in respect of any cardholder who ... has a status of
/// 3 (under review), otherwise it may return an error"
/// (<https://docs.api.axyscards.com/reference/post_cardholders-cardholderid-kyc-url-refresh>),
/// while the lifecycle's "ComplianceDecline --> UnderReview: Re-submit (regenerate KYC URL)"
/// (<https://docs.api.axyscards.com/docs/cardholders-and-compliance>) and the test matrix's
/// "Force decline, then POST .../kyc-url/refresh → force pass"
/// (<https://docs.api.axyscards.com/docs/sandbox-testing-guide>) use it after a decline
/// (2 → 3). No page names the error's status: 409, as for the other refused transitions.
fn kyc_url_refresh(id: u64, state: &mut State) -> Answer {
    let (decline, seen) = (state.choices.decline, state.choices.transitional);
    let Some(c) = state.cardholders.get_mut(&id) else { return refuse(404, "Cardholder not found") };
    let after_decline = decline == DeclinePath::RefreshAfterDecline && c.status == 2;
    if !(after_decline || c.status == 3) {
        return refuse(
            409,
            match decline {
                DeclinePath::RefreshOnlyInReview => {
                    "A KYC URL can only be refreshed for a cardholder in status 3 (Under Review)"
                }
                DeclinePath::RefreshAfterDecline => {
                    "A KYC URL can only be refreshed for a cardholder in status 3 (Under Review) or 2 (Compliance Decline)"
                }
            },
        );
    }
    if c.status != 3 {
        c.move_to(3, seen);
    }
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
    create_answer(json!({"depositId": deposit, "statusText": "pending"}), state.choices.create_status)
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
    let seen = state.choices.transitional;
    let Some(c) = state.cardholders.get_mut(&id) else { return refuse(404, "Cardholder not found") };
    if c.status != 3 {
        return refuse(409, "The cardholder must be in status 3 (Under Review)");
    }
    c.move_to(if body["result"] == "pass" { 1 } else { 2 }, seen);
    ok(json!({"status": "success", "result": {}}))
}
