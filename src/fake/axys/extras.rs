//! The runbook's "(if applicable)" routes the pages define: wallets (create,
//! bank-deposit trace, wallet-to-wallet and wallet-to-card transfer) and 3-DS
//! OTP listeners.
//!
//! Not here, because the stored pages do not show their route: the
//! card-level bank-deposit trace, PIN change, unsubscribing an OTP listener.
//! Those paths answer 404.

use serde_json::json;
use wiremock::Request;

use super::http::{Answer, Field, Rule, no_route, object, ok, path_id, refuse, success, validate};
use super::state::{Listener, State, Wallet};

/// Routes `/v2/wallets…` (`rest` is the path after `wallets`).
pub(super) fn wallets(method: &str, rest: &[&str], request: &Request, state: &mut State) -> Answer {
    match (method, rest) {
        ("POST", []) => create_wallet(request, state),
        ("POST", ["transfer"]) => transfer(request, state),
        ("POST", [id, "bank-deposit"]) => {
            let id = path_id(id, "walletId")?;
            bank_deposit(id, request, state)
        }
        _ => no_route(),
    }
}

/// POST /wallets `{name}` — answers `{"status":"success","walletId":3301}`
/// (<https://docs.api.axyscards.com/docs/guide-create-and-manage-wallets>).
fn create_wallet(request: &Request, state: &mut State) -> Answer {
    let body = object(request)?;
    validate(&body, &[Field("name", true, Rule::Text(1, 100))])?;
    let id = state.new_wallet_id();
    state.wallets.insert(id, Wallet { deposits: 0 });
    ok(json!({"status": "success", "walletId": id}))
}

/// POST /wallets/{walletId}/bank-deposit — the optional trace notification; every field
/// optional (`transactionAmount` integer, `transactionReference` string, the rest of the
/// table is cut in the stored copy). The answer is not shown: the envelope only
/// (<https://docs.api.axyscards.com/docs/guide-create-and-manage-wallets>).
fn bank_deposit(id: u64, request: &Request, state: &mut State) -> Answer {
    let body = object(request)?;
    let fields = [
        Field("transactionAmount", false, Rule::Int(0, i64::MAX)),
        Field("transactionReference", false, Rule::Text(1, 100)),
    ];
    validate(&body, &fields)?;
    let Some(wallet) = state.wallets.get_mut(&id) else { return refuse(404, "Wallet not found") };
    wallet.deposits += 1;
    success()
}

/// POST /wallets/transfer `{sourceWalletId, destinationType: 0 wallet | 1 card,
/// destinationId, amount, description?}` — answers `{"transId":91234,"transStatus":1}`
/// (<https://docs.api.axyscards.com/docs/guide-transfer-funds>). Transfers only leave a
/// wallet; the fake credits a destination card's balance at once (internal transfers have
/// "no clearing delay") and adds no card transaction (a wallet-to-card transfer produces
/// none, <https://docs.api.axyscards.com/docs/transactions-and-fees>). The `transStatus`
/// enum is cut in the stored copy, and so is what an unfunded wallet answers: the fake
/// does not track wallet balances and always answers 1. Unknown source or destination: 404.
fn transfer(request: &Request, state: &mut State) -> Answer {
    let body = object(request)?;
    let fields = [
        Field("sourceWalletId", true, Rule::Int(0, i64::MAX)),
        Field("destinationType", true, Rule::Int(0, 1)),
        Field("destinationId", true, Rule::Int(0, i64::MAX)),
        Field("amount", true, Rule::Int(1, i64::MAX)),
        Field("description", false, Rule::Text(0, 255)),
    ];
    validate(&body, &fields)?;
    let id = |k: &str| body[k].as_u64().unwrap_or_default();
    if !state.wallets.contains_key(&id("sourceWalletId")) {
        return refuse(404, "Source wallet not found");
    }
    let amount = body["amount"].as_i64().unwrap_or_default();
    if body["destinationType"] == 1 {
        let Some(card) = state.cards.get_mut(&id("destinationId")) else { return refuse(404, "Card not found") };
        card.balance = card.balance.saturating_add(amount);
    } else if !state.wallets.contains_key(&id("destinationId")) {
        return refuse(404, "Destination wallet not found");
    }
    let trans_id = state.new_transfer_id();
    ok(json!({"transId": trans_id, "transStatus": 1}))
}

/// Routes `/v2/otp…` (`rest` is the path after `otp`).
pub(super) fn otp(method: &str, rest: &[&str], request: &Request, state: &mut State) -> Answer {
    match (method, rest) {
        ("POST", ["listeners"]) => subscribe(request, state),
        ("GET", [token]) => read_otp(token, state),
        _ => no_route(),
    }
}

/// POST /otp/listeners `{cardId | cardholderId, webhookUrl?}` — an Active (1) card only;
/// answers `{token, expiresAt: null, status: "success"}`
/// (<https://docs.api.axyscards.com/docs/guide-3ds-otp-setup>,
/// <https://docs.api.axyscards.com/reference/post_otp-listeners>). A card not Active: 409.
fn subscribe(request: &Request, state: &mut State) -> Answer {
    let body = object(request)?;
    let fields = [
        Field("cardId", false, Rule::Int(0, i64::MAX)),
        Field("cardholderId", false, Rule::Int(0, i64::MAX)),
        Field("webhookUrl", false, Rule::Https),
    ];
    validate(&body, &fields)?;
    let card_id = body.get("cardId").and_then(serde_json::Value::as_u64);
    let cardholder_id = body.get("cardholderId").and_then(serde_json::Value::as_u64);
    match (card_id, cardholder_id) {
        (None, None) => return refuse(400, "cardId is required"),
        (Some(c), _) => match state.cards.get(&c) {
            None => return refuse(404, "Card not found"),
            Some(card) if card.issuer_status != 1 => {
                return refuse(409, "Only a card in status 1 (Active) can be registered for 3-DS");
            }
            Some(_) => {}
        },
        (None, Some(h)) if !state.cardholders.contains_key(&h) => return refuse(404, "Cardholder not found"),
        (None, Some(_)) => {}
    }
    let token = format!("otp_{:016x}", state.tick().wrapping_mul(0x9e37_79b9_7f4a_7c15));
    state.listeners.insert(token.clone(), Listener { card_id, cardholder_id, otp: None });
    ok(json!({"token": token, "expiresAt": null, "status": "success"}))
}

/// GET /otp/{token} — `{status: "received", code, expiresAt}` once an OTP was caught
/// (<https://docs.api.axyscards.com/docs/guide-3ds-otp-setup>). What it answers before any
/// 3-DS challenge is not shown: the fake answers 404 for an unknown token and for a
/// listener that caught nothing yet.
fn read_otp(token: &str, state: &State) -> Answer {
    match state.listeners.get(token).and_then(|l| l.otp.as_ref()) {
        Some((code, expires)) => ok(json!({"status": "received", "code": code, "expiresAt": expires})),
        None => refuse(404, "No OTP received for this token"),
    }
}
