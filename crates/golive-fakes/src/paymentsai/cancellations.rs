//! Subscription cancellations of the PaymentsAI-like fake, "a separate resource
//! in the API ... with its own ID and its own properties"
//! (<https://api-docs.payments.ai/docs/get-started/concepts/orders/subscription-cancellations>,
//! <https://api-docs.payments.ai/docs/get-started/tutorials/cancel-subscription>):
//! create (immediate without `cancelAt`, scheduled with it), list, read by id.

use serde_json::{Map, Value, json};
use wiremock::ResponseTemplate;

use super::api::{bad, created, object_answer, string};
use super::{State, error, new_id, now};
use crate::variant::Cancellation;

/// The reasons the concept page's table lists.
const REASONS: &[&str] = &[
    "did-not-use",
    "did-not-want",
    "missing-features",
    "bugs-or-problems",
    "too-expensive",
    "do-not-remember",
    "risk-warning",
    "contract-expired",
    "billing-failure",
    "other",
];

/// `POST .../subscription-cancellations` `{subscriptionId, cancelledBy, reason,
/// cancelAt?}`, as both pages' examples send it. `subscriptionId` is required
/// and must name a subscription (the errors page lists no 404 for subscriptions:
/// 400); `reason`, when sent, is one of the documented values. The values of
/// `cancelledBy` are past the stored copies' cut: any string. Without `cancelAt`
/// the subscription "transitions to canceled straight away"; with it, it stays as
/// it is until then. Which subscriptions can be canceled the pages disagree on:
/// the variant's choice ([`Cancellation`]). The answer, its status and wrapper are
/// not shown: the cancellation with its new `id`, as the other undocumented creates.
pub(super) fn create(state: &State, body: &Map<String, Value>) -> ResponseTemplate {
    let Some(subscription_id) = string(body, "subscriptionId") else { return bad("subscriptionId is required") };
    if let Some(reason) = body.get("reason")
        && !reason.as_str().is_some_and(|r| REASONS.contains(&r))
    {
        return bad("reason is not a documented cancellation reason");
    }
    if body.get("cancelledBy").is_some_and(|b| !b.is_string()) {
        return bad("cancelledBy must be a string");
    }
    let cancel_at = match body.get("cancelAt") {
        None => None,
        Some(Value::String(at))
            if time::OffsetDateTime::parse(at, &time::format_description::well_known::Rfc3339).is_ok() =>
        {
            Some(at.clone())
        }
        Some(_) => return bad("cancelAt must be an RFC 3339 date-time"),
    };
    let mut data = state.data();
    let Some(subscription) = data.subscriptions.iter_mut().find(|s| s["id"].as_str() == Some(subscription_id)) else {
        return bad("unknown subscriptionId");
    };
    if state.choices.cancellation == Cancellation::OnlyActive && subscription["status"] != "active" {
        return bad("Only active subscriptions can be canceled");
    }
    if cancel_at.is_none() {
        subscription["status"] = json!("canceled");
    }
    let mut cancellation = json!({"id": new_id(), "createdAt": now()});
    for key in ["subscriptionId", "cancelledBy", "reason", "cancelAt"] {
        if let Some(v) = body.get(key) {
            cancellation[key] = v.clone();
        }
    }
    let id = cancellation["id"].as_str().unwrap_or_default().to_string();
    data.cancellations.insert(id, cancellation.clone());
    created(&state.choices, object_answer(&state.choices, cancellation))
}

/// `GET .../subscription-cancellations` (the tutorial's "READ cancelations"; the
/// answer is not shown: the list wrapper of the other lists).
pub(super) fn list(state: &State) -> ResponseTemplate {
    let all: Vec<Value> = state.data().cancellations.values().cloned().collect();
    ResponseTemplate::new(200).set_body_json(json!({"data": all}))
}

/// `GET .../subscription-cancellations/{id}` (the tutorial's "READ cancelation by
/// ID"; the answer is not shown: as the create answers it).
pub(super) fn read(state: &State, id: &str) -> ResponseTemplate {
    match state.data().cancellations.get(id) {
        Some(c) => ResponseTemplate::new(200).set_body_json(object_answer(&state.choices, c.clone())),
        None => error(404, None),
    }
}
