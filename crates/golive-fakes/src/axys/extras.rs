//! The runbook's "(if applicable)" routes the pages define: wallets (create,
//! bank-deposit trace, wallet-to-wallet and wallet-to-card transfer, the wallet
//! transactions list), the card-level bank-deposit trace, and 3-DS OTP listeners.
//!
//! Not here, because the readable pages do not show their route: PIN change,
//! unsubscribing an OTP listener. Those paths answer 404.

use serde_json::{Map, Value, json};
use wiremock::Request;

use super::Mode;
use super::http::{
    Answer, Field, Query, Rule, create_answer, datetime, no_route, object, ok, path_id, refuse, success, validate,
};
use super::state::{Card, Listener, State, Wallet, WalletTxn};
use crate::variant::{OtpListener, WalletFunding};

/// The fields of a bank-deposit trace notification, for wallets
/// (<https://docs.api.axyscards.com/docs/guide-create-and-manage-wallets>: all optional,
/// `transactionAmount` a decimal-implied integer, `transactionReference` a string; the table
/// is cut after it) and for cards, whose flow the wallet guide calls "the same as for cards".
/// Fields past the cut are not checked (the fake accepts and ignores them).
const TRACE_FIELDS: &[Field] = &[
    Field("transactionAmount", false, Rule::Int(0, i64::MAX)),
    Field("transactionReference", false, Rule::Text(1, 100)),
];

/// Routes `/v2/wallets…` (`rest` is the path after `wallets`).
pub(super) fn wallets(method: &str, rest: &[&str], request: &Request, state: &mut State) -> Answer {
    match (method, rest) {
        ("POST", []) => create_wallet(request, state),
        ("POST", ["transfer"]) => transfer(request, state),
        ("GET", ["transactions"]) => wallet_transactions(request, state),
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
    state.wallets.insert(id, Wallet { deposits: 0, balance: 0 });
    create_answer(json!({"status": "success", "walletId": id}), state.choices.create_status)
}

/// POST /wallets/{walletId}/bank-deposit — the optional trace notification, [`TRACE_FIELDS`]
/// (<https://docs.api.axyscards.com/docs/guide-create-and-manage-wallets>,
/// <https://docs.api.axyscards.com/reference/post_wallets-walletid-bank-deposit>). The answer is
/// not shown: the envelope only. The trace only announces a transfer already sent by bank:
/// the fake has no bank rail, so no balance moves, except in a variant that emulates, in
/// staging ("backend states, events, and side effects are simulated",
/// <https://docs.api.axyscards.com/docs/sandbox-overview>), the announced deposit arriving
/// ([`WalletFunding::TraceFundsInStaging`]).
fn bank_deposit(id: u64, request: &Request, state: &mut State) -> Answer {
    let body = object(request)?;
    validate(&body, TRACE_FIELDS)?;
    let emulated = state.choices.wallet_funding == WalletFunding::TraceFundsInStaging && state.mode == Mode::Staging;
    let Some(wallet) = state.wallets.get_mut(&id) else { return refuse(404, "Wallet not found") };
    wallet.deposits += 1;
    if emulated {
        wallet.balance =
            wallet.balance.saturating_add(body.get("transactionAmount").and_then(Value::as_i64).unwrap_or(0));
    }
    success()
}

/// POST /cards/{cardId}/bank-deposit — the card-level trace notification
/// (<https://docs.api.axyscards.com/reference/post_cards-cardid-bank-deposit>): it asserts a
/// bank or wire transfer to the card was already initiated; "if it can be verified
/// electronically" the amount shows in `ledgerBalance`, and in `availableBalance` only after
/// clearing (up to five banking days). The reference's body table and answer are not in the
/// stored copy: the fields are the wallet trace's ("the same as for cards",
/// <https://docs.api.axyscards.com/docs/guide-create-and-manage-wallets>), the answer the
/// envelope only. The fake cannot verify a transfer nobody sent, so no balance moves; no card
/// status is required (the pages name none). The caller answers 404 for an unknown card.
pub(super) fn card_bank_deposit(card: &mut Card, request: &Request) -> Answer {
    let body = object(request)?;
    validate(&body, TRACE_FIELDS)?;
    card.deposit_traces += 1;
    success()
}

/// POST /wallets/transfer `{sourceWalletId, destinationType: 0 wallet | 1 card,
/// destinationId, amount, description?}` — answers `{"transId":91234,"transStatus":1}`
/// (<https://docs.api.axyscards.com/docs/guide-transfer-funds>). Transfers only leave a
/// wallet; the fake credits a destination card's balance at once (internal transfers have
/// "no clearing delay") and records a wallet transaction but no card transaction ("a
/// wallet-to-card transfer produces only a wallet transaction record and no card transaction
/// record", <https://docs.api.axyscards.com/docs/transactions-and-fees>). The `transStatus`
/// enum is cut in the stored copy, and so is what a wallet holding too little answers:
/// by default the fake does not track wallet balances and always answers 1; a variant
/// refuses the transfer (409, the status is not documented) as a correct ledger would
/// ([`WalletFunding`]). Unknown source or destination: 404.
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
    let Some(source) = state.wallets.get(&id("sourceWalletId")) else {
        return refuse(404, "Source wallet not found");
    };
    let amount = body["amount"].as_i64().unwrap_or_default();
    let checked = state.choices.wallet_funding != WalletFunding::Unchecked;
    if checked && source.balance < amount {
        return refuse(409, "The source wallet's balance does not cover the amount");
    }
    let (destination_type, destination_id) = (u8::from(body["destinationType"] == 1), id("destinationId"));
    let mut cardholder_id = None;
    if destination_type == 1 {
        let Some(card) = state.cards.get_mut(&destination_id) else { return refuse(404, "Card not found") };
        card.balance = card.balance.saturating_add(amount);
        cardholder_id = Some(card.cardholder_id);
    } else {
        let Some(wallet) = state.wallets.get_mut(&destination_id) else {
            return refuse(404, "Destination wallet not found");
        };
        wallet.balance = wallet.balance.saturating_add(amount);
    }
    if let Some(source) = state.wallets.get_mut(&id("sourceWalletId")) {
        source.balance -= amount;
    }
    let trans_id = state.new_transfer_id();
    let created = state.tick();
    state.wallet_txns.push(WalletTxn {
        trans_id,
        source_wallet: id("sourceWalletId"),
        destination_type,
        destination_id,
        cardholder_id,
        amount,
        description: body.get("description").and_then(Value::as_str).map(str::to_string),
        created,
    });
    create_answer(json!({"transId": trans_id, "transStatus": 1}), state.choices.create_status)
}

/// GET /wallets/transactions — the third dataset, wallet-level movements
/// (<https://docs.api.axyscards.com/docs/transactions-and-fees>), in the shared list envelope
/// with the card transactions' filters `cardId`, `cardholderId`, `before`, `after`
/// (<https://docs.api.axyscards.com/docs/pagination-filtering-and-rate-limits>). The record's
/// fields are past the stored copy's cut: the fake's items carry the transfer's own documented
/// names (`transId`, `transStatus`, `sourceWalletId`, `destinationType`, `destinationId`,
/// `amount`, `description`) and `dateCreated` as the card transactions do. `cardId` and
/// `cardholderId` match a transfer to that card (or to that cardholder's card). The only
/// wallet-level movement the fake knows is a transfer (a bank-deposit trace moves nothing).
fn wallet_transactions(request: &Request, state: &State) -> Answer {
    let query = Query::parse(request)?;
    let (card, holder) = (query.int("cardId")?, query.int("cardholderId")?);
    let items = state
        .wallet_txns
        .iter()
        .filter(|t| {
            query.in_window(t.created)
                && card.is_none_or(|c| t.destination_type == 1 && t.destination_id == c)
                && holder.is_none_or(|h| t.cardholder_id == Some(h))
        })
        .map(wallet_txn_json)
        .collect();
    query.page(items)
}

fn wallet_txn_json(t: &WalletTxn) -> Value {
    let mut item = Map::new();
    item.insert("transId".into(), json!(t.trans_id));
    item.insert("transStatus".into(), json!(1));
    item.insert("sourceWalletId".into(), json!(t.source_wallet));
    item.insert("destinationType".into(), json!(t.destination_type));
    item.insert("destinationId".into(), json!(t.destination_id));
    item.insert("amount".into(), json!(t.amount));
    if let Some(d) = &t.description {
        item.insert("description".into(), json!(d));
    }
    item.insert("dateCreated".into(), json!(datetime(t.created)));
    Value::Object(item)
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
/// The guide subscribes "By cardId (recommended)" or "By cardholderId (legacy)"; the
/// reference's one required body parameter is "A cardholder's unique ID". A variant
/// follows the reference ([`OtpListener::CardholderRequired`]).
fn subscribe(request: &Request, state: &mut State) -> Answer {
    let body = object(request)?;
    let fields = [
        Field("cardId", false, Rule::Int(0, i64::MAX)),
        Field("cardholderId", false, Rule::Int(0, i64::MAX)),
        Field("webhookUrl", false, Rule::Https),
    ];
    validate(&body, &fields)?;
    let card_id = body.get("cardId").and_then(Value::as_u64);
    let cardholder_id = body.get("cardholderId").and_then(Value::as_u64);
    if state.choices.otp_listener == OtpListener::CardholderRequired && cardholder_id.is_none() {
        return refuse(400, "cardholderId is required");
    }
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
    create_answer(json!({"token": token, "expiresAt": null, "status": "success"}), state.choices.create_status)
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
