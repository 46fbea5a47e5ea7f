//! The fake's memory: cardholders, cards, spend, fees, wallets, wallet transfers and 3-DS OTP
//! listeners, with integer ids as the Axys documentation shows them
//! (`cardholderId` 10532, `cardId` 8821, `walletId` 3301, `depositId` 7741).

use std::collections::BTreeMap;

use serde_json::{Map, Value};

use super::Mode;
use crate::variant::{AxysChoices, Transitional};

/// A cardholder and its compliance status (0 Pending … 7 Admin Decline,
/// <https://docs.api.axyscards.com/docs/cardholders-and-compliance>).
#[derive(Debug)]
pub(super) struct Cardholder {
    pub status: u8,
    pub fields: Map<String, Value>,
    pub created: u64,
    pub link_serial: u32,
    /// A transitional status the next read shows once, instead of `status`
    /// ([`crate::variant::Transitional`]).
    pub transit: Option<u8>,
}

impl Cardholder {
    /// Moves to compliance status `to`; a variant that shows a transitional
    /// status has the next read see it first.
    pub fn move_to(&mut self, to: u8, seen_between: Transitional) {
        self.status = to;
        self.transit = match seen_between {
            Transitional::Hidden => None,
            Transitional::Pending0 => Some(0),
            Transitional::Pending5 => Some(5),
        };
    }
}

/// Virtual or physical, as the issuance answer's `type` says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum CardKind {
    Virtual,
    Physical,
}

impl CardKind {
    pub fn name(self) -> &'static str {
        match self {
            CardKind::Virtual => "virtual",
            CardKind::Physical => "physical",
        }
    }
}

/// A card and its operational status `issuerCardStatus` (0 Pending, 1 Active,
/// 2 On Hold, 3 Closed, 4 Not Activated,
/// <https://docs.api.axyscards.com/docs/cards-virtual-and-physical>).
#[derive(Debug)]
pub(super) struct Card {
    pub cardholder_id: u64,
    pub kind: CardKind,
    pub issuer_status: u8,
    pub fields: Map<String, Value>,
    pub created: u64,
    pub pin: Option<i64>,
    /// `availableBalance`, decimal-implied; internal transfers clear at once, so the
    /// fake keeps `ledgerBalance` equal to it.
    pub balance: i64,
    /// How many bank-deposit trace notifications the card received.
    pub deposit_traces: u32,
}

/// One record of `GET /cards/transactions`.
#[derive(Debug, Clone)]
pub(super) struct Spend {
    pub card_id: u64,
    pub cardholder_id: u64,
    pub trans_id: String,
    pub auth_ref: String,
    pub amount: String,
    pub description: String,
    pub created: u64,
}

/// One record of `GET /cards/fees`, linked to its spend by `authRefNum`.
#[derive(Debug, Clone)]
pub(super) struct Fee {
    pub card_id: u64,
    pub cardholder_id: u64,
    pub auth_ref: String,
    pub amount: String,
    pub created: u64,
}

/// One record of `GET /wallets/transactions`: a transfer out of a wallet, with the
/// fields of the `POST /wallets/transfer` request and answer (the record's own fields
/// are not in the stored copy of <https://docs.api.axyscards.com/docs/transactions-and-fees>).
#[derive(Debug, Clone)]
pub(super) struct WalletTxn {
    pub trans_id: u64,
    pub source_wallet: u64,
    /// 0 wallet, 1 card.
    pub destination_type: u8,
    pub destination_id: u64,
    /// The destination card's cardholder (card destinations only), for the `cardholderId` filter.
    pub cardholder_id: Option<u64>,
    pub amount: i64,
    pub description: Option<String>,
    pub created: u64,
}

/// A named fiat sub-ledger.
#[derive(Debug)]
pub(super) struct Wallet {
    pub deposits: u32,
    /// Decimal-implied; only variants that check funding move it
    /// ([`crate::variant::WalletFunding`]).
    pub balance: i64,
}

/// A 3-DS OTP subscription (`POST /otp/listeners`) and the last OTP it caught.
#[derive(Debug)]
pub(super) struct Listener {
    pub card_id: Option<u64>,
    pub cardholder_id: Option<u64>,
    pub otp: Option<(String, u64)>,
}

fn take(counter: &mut u64) -> u64 {
    let id = *counter;
    *counter += 1;
    id
}

/// Everything the fake remembers between requests.
#[derive(Debug)]
pub(super) struct State {
    /// The variant's answers to the choices the pages leave open.
    pub choices: AxysChoices,
    /// Staging or production.
    pub mode: Mode,
    next_cardholder: u64,
    next_card: u64,
    next_wallet: u64,
    next_deposit: u64,
    next_spend: u64,
    next_transfer: u64,
    clock: u64,
    pub cardholders: BTreeMap<u64, Cardholder>,
    pub cards: BTreeMap<u64, Card>,
    pub spend: Vec<Spend>,
    pub fees: Vec<Fee>,
    pub wallets: BTreeMap<u64, Wallet>,
    pub wallet_txns: Vec<WalletTxn>,
    pub listeners: BTreeMap<String, Listener>,
}

impl State {
    /// An empty Program in `mode`, answering as `choices` say.
    pub fn new(choices: AxysChoices, mode: Mode) -> State {
        State {
            choices,
            mode,
            // The first ids are the documentation's examples.
            next_cardholder: 10532,
            next_card: 8821,
            next_wallet: 3301,
            next_deposit: 7741,
            next_spend: 1,
            next_transfer: 91234,
            // 2026-11-21T00:00:00Z; every record is one second younger than the last,
            // so `before` / `after` filters have something to cut.
            clock: 1_795_219_200,
            cardholders: BTreeMap::new(),
            cards: BTreeMap::new(),
            spend: Vec::new(),
            fees: Vec::new(),
            wallets: BTreeMap::new(),
            wallet_txns: Vec::new(),
            listeners: BTreeMap::new(),
        }
    }

    /// The creation time of the next record (Unix seconds).
    pub fn tick(&mut self) -> u64 {
        self.clock += 1;
        self.clock
    }

    pub fn new_cardholder_id(&mut self) -> u64 {
        take(&mut self.next_cardholder)
    }

    pub fn new_card_id(&mut self) -> u64 {
        take(&mut self.next_card)
    }

    pub fn new_wallet_id(&mut self) -> u64 {
        take(&mut self.next_wallet)
    }

    pub fn new_deposit_id(&mut self) -> u64 {
        take(&mut self.next_deposit)
    }

    pub fn new_spend_serial(&mut self) -> u64 {
        take(&mut self.next_spend)
    }

    pub fn new_transfer_id(&mut self) -> u64 {
        take(&mut self.next_transfer)
    }
}
