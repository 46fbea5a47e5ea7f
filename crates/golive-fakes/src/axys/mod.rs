//! The Axys card-issuing API as a wiremock fake, re-derived route by route from
//! the published documentation (docs.api.axyscards.com), not from golive's pack.
//!
//! One [`Respond`] routes every `/v2/cardholders…`, `/v2/cards…`, `/v2/staging…`,
//! `/v2/wallets…` and `/v2/otp…` request, so the state lives in one place; it
//! runs behind the mTLS front like the real service, and checks `X-API-Key` on
//! every request. Each route's handler names the page it follows; the facts and
//! the gaps are listed in `docs/partners/axys-contract.md`.
//!
//! Where the pages leave a choice open (a create's status, a read's shape, the decline
//! path the pages disagree on, ...), [`AxysChoices`] picks the answer; the default
//! choices are the fake's usual ones, and [`crate::Variant`] names the others.
//!
//! [`Mode::Staging`] serves the staging-only simulation endpoints (`/staging/*`);
//! [`Mode::Production`] answers them 404 as the simulation page says production
//! does. In neither mode is KYC approved on its own. Tests mount a broken mock
//! with a higher priority (a lower number) over one route to break one step.

mod cardholders;
mod cards;
mod extras;
mod http;
pub mod partner;
mod state;

use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use serde_json::{Value, json};
use wiremock::matchers::path_regex;
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

use crate::variant::AxysChoices;
use http::{Answer, Refusal, no_route};
use state::{Fee, Spend, State};

/// The test PAN every card of the fake has (Luhn-valid, a well-known test number).
pub const TEST_PAN: &str = "4111111111111111";
/// The CVV every card of the fake has.
pub const TEST_CVV: &str = "737";
/// The expiry month every card of the fake has.
pub const TEST_EXP_MONTH: u8 = 11;
/// The expiry year every card of the fake has.
pub const TEST_EXP_YEAR: u16 = 2029;
/// The priority of the fake's mock: tests override a route with 1 to 4.
pub const PRIORITY: u8 = 5;

/// Which Axys environment the fake plays.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Mode {
    /// `staging.api.axyscards.com`: the `/staging/*` simulation endpoints exist.
    #[default]
    Staging,
    /// `production.api.axyscards.com`: `/staging/*` answers 404.
    Production,
}

/// The body Axys answers to an authenticated `GET /cardholders` on a new Program
/// (<https://docs.api.axyscards.com/docs/quickstart-first-api-call>).
pub fn empty_list() -> Value {
    json!({"status": "success", "items": [], "total": 0, "limit": 50, "offset": 0})
}

/// A test's hand on the fake's state: what no documented HTTP route can do
/// (a card spend, an incoming 3-DS OTP) and what a test wants to read back.
#[derive(Debug, Clone)]
pub struct AxysHandle {
    state: Arc<Mutex<State>>,
}

impl AxysHandle {
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Records a card spend of `amount` (a string, as `GET /cards/transactions` types it)
    /// and, with `fee`, a fee with the same `authRefNum`. Returns `(transId, authRefNum)`,
    /// or `None` for an unknown card.
    pub fn record_spend(&self, card_id: u64, amount: &str, fee: Option<&str>) -> Option<(String, String)> {
        let mut st = self.lock();
        let holder = st.cards.get(&card_id)?.cardholder_id;
        let serial = st.new_spend_serial();
        let created = st.tick();
        let (trans_id, auth_ref) = (format!("T{serial:09}"), format!("A{card_id}{serial:06}"));
        st.spend.push(Spend {
            card_id,
            cardholder_id: holder,
            trans_id: trans_id.clone(),
            auth_ref: auth_ref.clone(),
            amount: amount.to_string(),
            description: "GOLIVE TEST MERCHANT".into(),
            created,
        });
        if let Some(fee) = fee {
            st.fees.push(Fee {
                card_id,
                cardholder_id: holder,
                auth_ref: auth_ref.clone(),
                amount: fee.into(),
                created,
            });
        }
        Some((trans_id, auth_ref))
    }

    /// Delivers a 3-DS OTP `code` to every listener of the card (or of its cardholder);
    /// returns how many listeners caught it.
    pub fn receive_otp(&self, card_id: u64, code: &str, expires_at: u64) -> usize {
        let mut st = self.lock();
        let Some(holder) = st.cards.get(&card_id).map(|c| c.cardholder_id) else { return 0 };
        let mut caught = 0;
        for l in st.listeners.values_mut() {
            if l.card_id == Some(card_id) || (l.card_id.is_none() && l.cardholder_id == Some(holder)) {
                l.otp = Some((code.to_string(), expires_at));
                caught += 1;
            }
        }
        caught
    }

    /// What a person does outside the API: completes (or fails) the identity
    /// check of a cardholder Under Review (3), which becomes Approved (1) or
    /// Compliance Decline (2). Production has no simulation endpoint for it.
    /// Returns whether the cardholder was under review.
    pub fn complete_review(&self, cardholder_id: u64, approved: bool) -> bool {
        let mut st = self.lock();
        let seen = st.choices.transitional;
        match st.cardholders.get_mut(&cardholder_id) {
            Some(c) if c.status == 3 => {
                c.move_to(if approved { 1 } else { 2 }, seen);
                true
            }
            _ => false,
        }
    }

    /// A cardholder's compliance `status`, if it exists.
    pub fn cardholder_status(&self, cardholder_id: u64) -> Option<u8> {
        self.lock().cardholders.get(&cardholder_id).map(|c| c.status)
    }

    /// A card's `issuerCardStatus`, if it exists.
    pub fn card_status(&self, card_id: u64) -> Option<u8> {
        self.lock().cards.get(&card_id).map(|c| c.issuer_status)
    }

    /// The ids of the cards still Active (`issuerCardStatus` 1): what a cleanup left behind.
    pub fn active_cards(&self) -> Vec<u64> {
        self.lock().cards.iter().filter(|(_, c)| c.issuer_status == 1).map(|(id, _)| *id).collect()
    }
}

struct Flow {
    api_key: String,
    state: Arc<Mutex<State>>,
}

impl Flow {
    fn route(&self, request: &Request, state: &mut State) -> Answer {
        let method = request.method.as_str();
        let Some(path) = request.url.path().strip_prefix("/v2/") else { return no_route() };
        let parts: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
        match parts.split_first() {
            Some((&"cardholders", rest)) => cardholders::route(method, rest, request, state),
            Some((&"cards", rest)) => cards::route(method, rest, request, state),
            Some((&"wallets", rest)) => extras::wallets(method, rest, request, state),
            Some((&"otp", rest)) => extras::otp(method, rest, request, state),
            // https://docs.api.axyscards.com/docs/simulation-endpoints: staging only;
            // "Calling them against the production base URL ... will return 404".
            Some((&"staging", _)) if state.mode == Mode::Production => no_route(),
            Some((&"staging", ["kyc", "validate"])) if method == "POST" => {
                cardholders::staging_kyc_validate(request, state)
            }
            _ => no_route(),
        }
    }
}

impl Respond for Flow {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        // https://docs.api.axyscards.com/docs/authentication-and-environments: every
        // request carries X-API-Key. The page says a request without it "will be
        // rejected" without naming the status; the fake answers 401.
        let key = request.headers.get("x-api-key").and_then(|v| v.to_str().ok()).unwrap_or_default();
        if key != self.api_key {
            return Refusal::new(401, "Invalid API key").respond();
        }
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        self.route(request, &mut state).unwrap_or_else(Refusal::respond)
    }
}

/// Mounts the staging Axys API (`/v2/…`) on `server`.
pub async fn mount(server: &MockServer, api_key: &str) -> AxysHandle {
    mount_with(server, api_key, Mode::Staging).await
}

/// Mounts the Axys API (`/v2/…`) on `server` in the given mode; the handle reaches its state.
pub async fn mount_with(server: &MockServer, api_key: &str, mode: Mode) -> AxysHandle {
    mount_choices(server, api_key, mode, AxysChoices::default()).await
}

/// Mounts the Axys API (`/v2/…`) on `server` in the given mode, answering the choices the
/// pages leave open as `choices` say (see [`crate::Variant`]).
pub async fn mount_choices(server: &MockServer, api_key: &str, mode: Mode, choices: AxysChoices) -> AxysHandle {
    let state = Arc::new(Mutex::new(State::new(choices, mode)));
    Mock::given(path_regex(r"^/v2/(cardholders|cards|staging|wallets|otp)(/.*)?$"))
        .respond_with(Flow { api_key: api_key.to_string(), state: Arc::clone(&state) })
        .with_priority(PRIORITY)
        .mount(server)
        .await;
    AxysHandle { state }
}
