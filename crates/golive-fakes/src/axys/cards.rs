//! Card routes: virtual and physical issuance, activation, card reads (plain,
//! sensitive details, balance), status toggling, settings update, and the
//! transaction and fee lists. The card-level bank-deposit trace is routed here
//! and answered in `extras.rs`, next to the wallet trace it shares its fields with.
//!
//! Every card has the Luhn-valid test PAN [`super::TEST_PAN`]; a new card has
//! no spend (the simulation page names a "precise card spend" but the stored
//! copy does not show its route, so only [`super::AxysHandle::record_spend`]
//! adds one, for tests).

use serde_json::{Map, Value, json};
use wiremock::Request;

use super::http::{
    Answer, Field, Query, Refusal, Rule, create_answer, datetime, merge, no_route, object, ok, path_id, refuse,
    success, validate,
};
use super::state::{Card, CardKind, State};
use super::{TEST_CVV, TEST_EXP_MONTH, TEST_EXP_YEAR, TEST_PAN};
use crate::variant::{AxysChoices, DetailsNames, DetailsTypes, Placement};

/// The optional card-level fields shared by issuance and update
/// (<https://docs.api.axyscards.com/docs/guide-issue-a-virtual-card>,
/// <https://docs.api.axyscards.com/docs/guide-manage-card-lifecycle>).
const CARD_SETTINGS: &[Field] = &[
    Field("alias", false, Rule::Text(0, 100)),
    Field("transactionLimit", false, Rule::Int(0, i64::MAX)),
    Field("callingCode", false, Rule::Digits(1, 3)),
    Field("countryCallingCode", false, Rule::Text(2, 2)),
    Field("phoneNum", false, Rule::Digits(10, 20)),
    Field("cellNum", false, Rule::Digits(10, 20)),
    Field("emailAdr", false, Rule::Text(6, 50)),
];

/// `nameOnCard` is required, 1–26 characters, for both issuance routes.
const NAME_ON_CARD: Field = Field("nameOnCard", true, Rule::Text(1, 26));

/// `cardType` selects design slot 0–5; 0 is the default when omitted
/// (<https://docs.api.axyscards.com/docs/guide-issue-and-activate-a-physical-card>).
const CARD_TYPE: Field = Field("cardType", false, Rule::Int(0, 5));

/// `PUT /cards/{cardId}/activate`: every field an integer, all required
/// (<https://docs.api.axyscards.com/reference/put_cards-cardid-activate>).
const ACTIVATE_FIELDS: &[Field] = &[
    Field("cardNumber", true, Rule::Int(0, i64::MAX)),
    Field("expMonth", true, Rule::Int(1, 12)),
    Field("expYear", true, Rule::Int(0, 9999)),
    Field("cvv", true, Rule::Int(0, 9999)),
    Field("newPin", true, Rule::Int(0, 9999)),
];

fn masked() -> String {
    format!("************{}", &TEST_PAN[TEST_PAN.len() - 4..])
}

/// The deposit addresses provisioned at issuance, shaped like the physical-card example
/// (`{chain, address}` with chains `evm`, `bitcoin`, `solana`).
fn crypto_addresses(card_id: u64) -> Value {
    json!([
        {"chain": "evm", "address": format!("0x{card_id:040x}")},
        {"chain": "bitcoin", "address": format!("bc1q{card_id:0>38}")},
        {"chain": "solana", "address": format!("So1{card_id:0>40}")},
    ])
}

/// The card as `GET /cards/{cardId}` and list items show it. The pages read name these
/// fields (`cardStatus`, `issuerCardStatus`, `cryptoAddresses` on `GET /cards/{cardId}`)
/// but show no example answer of the read itself.
fn card_json(id: u64, card: &Card) -> Value {
    let mut body = Map::new();
    body.insert("cardId".into(), json!(id));
    body.insert("cardholderId".into(), json!(card.cardholder_id));
    body.insert("type".into(), json!(card.kind.name()));
    body.insert("cardStatus".into(), json!(1));
    body.insert("issuerCardStatus".into(), json!(card.issuer_status));
    body.insert("maskedCardNumber".into(), json!(masked()));
    for (k, v) in &card.fields {
        body.insert(k.clone(), v.clone());
    }
    body.insert("cryptoAddresses".into(), crypto_addresses(id));
    Value::Object(body)
}

/// Routes `/v2/cards…` (`rest` is the path after `cards`).
pub(super) fn route(method: &str, rest: &[&str], request: &Request, state: &mut State) -> Answer {
    match (method, rest) {
        ("GET", []) => list(request, state),
        ("GET", ["transactions"]) => transactions(request, state),
        ("GET", ["fees"]) => fees(request, state),
        ("POST", ["virtual", holder]) => issue(CardKind::Virtual, holder, request, state),
        ("POST", ["assign", holder]) => issue(CardKind::Physical, holder, request, state),
        (_, [id, tail @ ..]) => {
            let id = path_id(id, "cardId")?;
            let choices = state.choices;
            let Some(card) = state.cards.get_mut(&id) else { return refuse(404, "Card not found") };
            match (method, tail) {
                ("GET", []) => read(id, card, choices.card_read),
                ("GET", ["details"]) => details(id, &choices),
                ("GET", ["balance"]) => balance(id, card.balance, choices.balance_read),
                ("PUT", ["status"]) => change_status(card, request),
                ("PUT", ["update"]) => update(card, request),
                ("PUT", ["activate"]) => activate(card, request),
                // https://docs.api.axyscards.com/reference/post_cards-cardid-bank-deposit
                ("POST", ["bank-deposit"]) => super::extras::card_bank_deposit(card, request),
                _ => no_route(),
            }
        }
        _ => no_route(),
    }
}

/// The answer of a read: `body`'s fields beside `"status": "success"`, or under
/// `key` ([`Placement`]; no page shows a read answer of a single card).
fn enveloped(body: Value, placement: Placement, key: &str) -> Answer {
    let mut out = Map::new();
    out.insert("status".into(), json!("success"));
    match (placement, body) {
        (Placement::Flat, Value::Object(m)) => out.extend(m),
        (_, body) => {
            out.insert(key.into(), body);
        }
    }
    ok(Value::Object(out))
}

/// GET /cards/{cardId} — the non-sensitive read
/// (<https://docs.api.axyscards.com/docs/guide-issue-a-virtual-card>: "two retrieval modes";
/// `cryptoAddresses` "also available on GET /cards/{cardId}",
/// <https://docs.api.axyscards.com/docs/funding-and-deposits>). Where `issuerCardStatus`,
/// `transactionLimit` and the rest sit is the variant's choice.
fn read(id: u64, card: &Card, placement: Placement) -> Answer {
    enveloped(card_json(id, card), placement, "card")
}

/// GET /cards — filters `issuerCardStatus`, `cardholderId`
/// (<https://docs.api.axyscards.com/docs/pagination-filtering-and-rate-limits>).
fn list(request: &Request, state: &State) -> Answer {
    let query = Query::parse(request)?;
    let (status, holder) = (query.int("issuerCardStatus")?, query.int("cardholderId")?);
    let items = state
        .cards
        .iter()
        .filter(|(_, c)| {
            query.in_window(c.created)
                && status.is_none_or(|s| u64::from(c.issuer_status) == s)
                && holder.is_none_or(|h| c.cardholder_id == h)
        })
        .map(|(id, c)| card_json(*id, c))
        .collect();
    query.page(items)
}

/// POST /cards/virtual/{cardholderId} — active at once (`issuerCardStatus` 1), answers
/// `{"status":"success","cardId":8821,"type":"virtual","maskedCardNumber":…,"cryptoAddresses":[…]}`
/// (<https://docs.api.axyscards.com/docs/guide-issue-a-virtual-card>,
/// <https://docs.api.axyscards.com/reference/post_cards-virtual-cardholderid>).
/// POST /cards/assign/{cardholderId} — physical, Not Activated (4) until activated
/// (<https://docs.api.axyscards.com/docs/guide-issue-and-activate-a-physical-card>,
/// <https://docs.api.axyscards.com/reference/post_cards-assign-cardholderid>).
/// Only approved cardholders (status 1): the guide says issuance "will fail" otherwise
/// without naming the status; the fake answers 409.
fn issue(kind: CardKind, holder: &str, request: &Request, state: &mut State) -> Answer {
    let holder = path_id(holder, "cardholderId")?;
    let body = object(request)?;
    let mut fields = vec![NAME_ON_CARD];
    fields.extend_from_slice(CARD_SETTINGS);
    if kind == CardKind::Physical {
        fields.push(CARD_TYPE);
    }
    validate(&body, &fields)?;
    match state.cardholders.get(&holder).map(|c| c.status) {
        None => return refuse(404, "Cardholder not found"),
        Some(1) => {}
        Some(_) => return refuse(409, "Cards can only be issued to an approved cardholder (status 1)"),
    }
    let mut stored = Map::new();
    merge(&mut stored, &body, &fields);
    if kind == CardKind::Physical && !stored.contains_key("cardType") {
        stored.insert("cardType".into(), json!(0));
    }
    let id = state.new_card_id();
    let created = state.tick();
    let issuer_status = match kind {
        CardKind::Virtual => 1,
        CardKind::Physical => 4,
    };
    state.cards.insert(
        id,
        Card {
            cardholder_id: holder,
            kind,
            issuer_status,
            fields: stored,
            created,
            pin: None,
            balance: 0,
            deposit_traces: 0,
        },
    );
    let answer = json!({
        "status": "success",
        "cardId": id,
        "type": kind.name(),
        "maskedCardNumber": masked(),
        "cryptoAddresses": crypto_addresses(id),
    });
    create_answer(answer, state.choices.create_status)
}

/// GET /cards/{cardId}/details — the sensitive read
/// (<https://docs.api.axyscards.com/docs/guide-issue-a-virtual-card>); its answer is past the
/// stored copy's cut. The variant chooses the names (by default those the activation
/// reference gives "the sensitive card details": `cardNumber`, `expMonth`, `expYear`, `cvv`,
/// <https://docs.api.axyscards.com/reference/put_cards-cardid-activate>) and the types
/// (integers, as that page types them, or strings).
fn details(id: u64, choices: &AxysChoices) -> Answer {
    let names = match choices.details_names {
        DetailsNames::Activate => ["cardNumber", "expMonth", "expYear", "cvv"],
        DetailsNames::Pan => ["pan", "expiryMonth", "expiryYear", "cvv2"],
    };
    let values = [TEST_PAN.to_string(), TEST_EXP_MONTH.to_string(), TEST_EXP_YEAR.to_string(), TEST_CVV.to_string()];
    let mut body = Map::new();
    body.insert("status".into(), json!("success"));
    body.insert("cardId".into(), json!(id));
    for (name, value) in names.into_iter().zip(values) {
        let value = match choices.details_types {
            DetailsTypes::Integers => json!(value.parse::<u64>().unwrap_or_default()),
            DetailsTypes::Strings => json!(value),
        };
        body.insert(name.into(), value);
    }
    ok(Value::Object(body))
}

/// GET /cards/{cardId}/balance — the Card Account's `ledgerBalance` / `availableBalance`,
/// decimal-implied integers (<https://docs.api.axyscards.com/docs/accounts-wallets-and-deposit-addresses>:
/// "This is what GET /cards/{cardId}/balance returns"); `currency` the integer enum 0 USD
/// (whether the answer carries it is not shown). Whether the fields sit beside the
/// envelope's `status` or under `account` is the variant's choice.
fn balance(id: u64, amount: i64, placement: Placement) -> Answer {
    let account = json!({"cardId": id, "ledgerBalance": amount, "availableBalance": amount, "currency": 0});
    enveloped(account, placement, "account")
}

/// PUT /cards/{cardId}/status `{newStatus: 1|2}` — only from Active (1) or On Hold (2);
/// 409 from 0, 3, 4 ("it will fail", status not named)
/// (<https://docs.api.axyscards.com/docs/guide-manage-card-lifecycle>).
fn change_status(card: &mut Card, request: &Request) -> Answer {
    let body = object(request)?;
    validate(&body, &[Field("newStatus", true, Rule::Int(1, 2))])?;
    if ![1, 2].contains(&card.issuer_status) {
        return refuse(409, "The card status can only be changed from 1 (Active) or 2 (On Hold)");
    }
    card.issuer_status = u8::try_from(body["newStatus"].as_i64().unwrap_or(1)).unwrap_or(1);
    success()
}

/// PUT /cards/{cardId}/update — alias, `transactionLimit` and contact fields, in any status
/// (<https://docs.api.axyscards.com/docs/guide-manage-card-lifecycle>).
fn update(card: &mut Card, request: &Request) -> Answer {
    let body = object(request)?;
    validate(&body, CARD_SETTINGS)?;
    merge(&mut card.fields, &body, CARD_SETTINGS);
    success()
}

/// PUT /cards/{cardId}/activate — the card's own details and a new four-digit PIN turn a
/// Not Activated (4) card Active (1); it cannot be reverted
/// (<https://docs.api.axyscards.com/reference/put_cards-cardid-activate>). Details that do
/// not match: 400; a card not in status 4: 409.
fn activate(card: &mut Card, request: &Request) -> Answer {
    let body = object(request)?;
    validate(&body, ACTIVATE_FIELDS)?;
    if card.issuer_status != 4 {
        return refuse(409, "Only a card in status 4 (Not Activated) can be activated");
    }
    let matches = body["cardNumber"].as_u64() == TEST_PAN.parse().ok()
        && body["expMonth"].as_u64() == Some(u64::from(TEST_EXP_MONTH))
        && body["expYear"].as_u64() == Some(u64::from(TEST_EXP_YEAR))
        && body["cvv"].as_u64() == TEST_CVV.parse().ok();
    if !matches {
        return refuse(400, "The card details do not match this card");
    }
    card.issuer_status = 1;
    card.pin = body["newPin"].as_i64();
    success()
}

/// The `cardId` / `cardholderId` filters of the transaction and fee lists.
fn filters(query: &Query) -> Result<(Option<u64>, Option<u64>), Refusal> {
    Ok((query.int("cardId")?, query.int("cardholderId")?))
}

/// GET /cards/transactions — items `{cardId, transId, authRefNum, amount (string),
/// description, dateCreated}`, filters `cardId`, `cardholderId`, `before`, `after`
/// (<https://docs.api.axyscards.com/docs/transactions-and-fees>,
/// <https://docs.api.axyscards.com/docs/pagination-filtering-and-rate-limits>).
fn transactions(request: &Request, state: &State) -> Answer {
    let query = Query::parse(request)?;
    let (card, holder) = filters(&query)?;
    let items = state
        .spend
        .iter()
        .filter(|s| {
            query.in_window(s.created)
                && card.is_none_or(|c| s.card_id == c)
                && holder.is_none_or(|h| s.cardholder_id == h)
        })
        .map(|s| {
            json!({
                "cardId": s.card_id,
                "transId": s.trans_id,
                "authRefNum": s.auth_ref,
                "amount": s.amount,
                "description": s.description,
                "dateCreated": datetime(s.created),
            })
        })
        .collect();
    query.page(items)
}

/// GET /cards/fees — fee records linked to their transaction by `authRefNum`; `amount`
/// and `merchantAmount` are strings (<https://docs.api.axyscards.com/docs/transactions-and-fees>,
/// <https://docs.api.axyscards.com/docs/accounts-wallets-and-deposit-addresses>).
fn fees(request: &Request, state: &State) -> Answer {
    let query = Query::parse(request)?;
    let (card, holder) = filters(&query)?;
    let items = state
        .fees
        .iter()
        .filter(|f| {
            query.in_window(f.created)
                && card.is_none_or(|c| f.card_id == c)
                && holder.is_none_or(|h| f.cardholder_id == h)
        })
        .map(|f| {
            json!({
                "cardId": f.card_id,
                "authRefNum": f.auth_ref,
                "amount": f.amount,
                "merchantAmount": f.amount,
                "dateCreated": datetime(f.created),
            })
        })
        .collect();
    query.page(items)
}
