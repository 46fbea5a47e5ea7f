//! Variants of the partner fakes: where the partners' published pages leave a
//! choice open, each fake can give every plausible answer, and a [`Variant`]
//! names one combination of answers (`--variant NAME`, `golive fake variants`).
//!
//! A pack that passes only against one combination depends on a guess; the
//! tests run both built-in packs against every variant (`tests/it/variants.rs`).
//! Each choice below names the pages that leave it open; the notes with the
//! full reasoning are `docs/partners/axys-contract.md` and
//! `docs/partners/paymentsai-contract.md` ("Open choices").

use crate::paymentsai::Encoding;

/// The HTTP status of a successful create, where no page shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum CreateStatus {
    /// `200 OK`.
    #[default]
    Ok,
    /// `201 Created`.
    Created,
}

impl CreateStatus {
    /// The status code.
    pub fn code(self) -> u16 {
        match self {
            CreateStatus::Ok => 200,
            CreateStatus::Created => 201,
        }
    }
}

/// Where a read answer puts the resource's fields.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Placement {
    /// At the top level of the answer.
    #[default]
    Flat,
    /// In one object under the `"status": "success"` envelope (`cardholder`,
    /// `card`, `account`).
    Nested,
}

/// The names of the sensitive fields of Axys `GET /cards/{cardId}/details`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum DetailsNames {
    /// `cardNumber`, `expMonth`, `expYear`, `cvv`: the names the activation
    /// reference gives "the sensitive card details"
    /// (<https://docs.api.axyscards.com/reference/put_cards-cardid-activate>).
    #[default]
    Activate,
    /// `pan`, `expiryMonth`, `expiryYear`, `cvv2`: names card issuers commonly
    /// use for a read of the sensitive data.
    Pan,
}

/// The JSON types of the sensitive fields of Axys `GET /cards/{cardId}/details`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum DetailsTypes {
    /// Integers, as the activation reference types them in its request.
    #[default]
    Integers,
    /// Strings (a PAN, a CVV and a month keep their leading digits).
    Strings,
}

/// Whether Axys `POST /cardholders/{id}/kyc-url/refresh` works for a cardholder in
/// Compliance Decline (2). Re-submitting through `kyc-submit` from 2, 6 or 7 is
/// documented (<https://docs.api.axyscards.com/reference/put_cardholders-cardholderid-kyc-submit>)
/// and always works; the pages disagree on the refresh.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum DeclinePath {
    /// The refresh works in status 2 too and moves the cardholder back to Under
    /// Review (3): the lifecycle's "ComplianceDecline --> UnderReview: Re-submit
    /// (regenerate KYC URL)" (<https://docs.api.axyscards.com/docs/cardholders-and-compliance>)
    /// and the test matrix's "Force decline, then POST .../kyc-url/refresh → force
    /// pass" (<https://docs.api.axyscards.com/docs/sandbox-testing-guide>).
    #[default]
    RefreshAfterDecline,
    /// The refresh works only in status 3, as its reference says: it "will only
    /// function correctly in respect of any cardholder who ... has a status of 3
    /// (under review), otherwise it may return an error"
    /// (<https://docs.api.axyscards.com/reference/post_cardholders-cardholderid-kyc-url-refresh>);
    /// the onboarding guide regenerates the URL only for "status = 3 + link expired"
    /// (<https://docs.api.axyscards.com/docs/guide-onboard-a-cardholder>).
    RefreshOnlyInReview,
}

/// Whether a transitional cardholder status shows between two compliance states.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Transitional {
    /// Never: a read shows the new status at once.
    #[default]
    Hidden,
    /// Once after each compliance transition, a read shows 0 (Pending), "a
    /// brief transitional state ... observed in passing"
    /// (<https://docs.api.axyscards.com/docs/cardholders-and-compliance>).
    Pending0,
    /// Once after each compliance transition, a read shows 5, which the
    /// onboarding guide's decision tree calls "5 (Pending) transitional"
    /// (<https://docs.api.axyscards.com/docs/guide-onboard-a-cardholder>) while the
    /// status tables call 5 Deleted.
    Pending5,
}

/// What Axys `POST /otp/listeners` requires.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum OtpListener {
    /// `cardId` (recommended) or `cardholderId` (legacy), as the 3-DS guide shows
    /// (<https://docs.api.axyscards.com/docs/guide-3ds-otp-setup>).
    #[default]
    CardOrCardholder,
    /// The cardholder id, as the reference's one required body parameter ("A
    /// cardholder's unique ID", <https://docs.api.axyscards.com/reference/post_otp-listeners>).
    CardholderRequired,
}

/// What Axys `POST /wallets/transfer` does with a wallet that holds too little.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum WalletFunding {
    /// Wallet balances are not tracked: every transfer succeeds.
    #[default]
    Unchecked,
    /// A transfer larger than the wallet's balance is refused (409); nothing
    /// documented funds a wallet in the fake (the bank-rail trace only announces a
    /// transfer already sent, and the simulation page's deposit route is not readable).
    Required,
    /// As [`WalletFunding::Required`], but in staging a wallet's bank-deposit trace
    /// with a `transactionAmount` is emulated as that deposit arriving.
    TraceFundsInStaging,
}

/// The answers of the Axys fake to the choices its pages leave open.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct AxysChoices {
    /// Every create: `POST /cardholders`, `/cards/virtual/{id}`, `/cards/assign/{id}`,
    /// `/wallets`, `/wallets/transfer`, `/otp/listeners`,
    /// `/cardholders/{id}/register-bank-account`.
    pub create_status: CreateStatus,
    /// `GET /cardholders/{id}`: flat (`status` is the compliance status) or
    /// `{"status":"success","cardholder":{...}}`.
    pub cardholder_read: Placement,
    /// `GET /cards/{cardId}`: `issuerCardStatus`, `transactionLimit`, ... beside
    /// `"status":"success"` or under `card`.
    pub card_read: Placement,
    /// `GET /cards/{cardId}/balance`: `ledgerBalance`, `availableBalance` beside
    /// `"status":"success"` or under `account` (the page calls them the Card Account's).
    pub balance_read: Placement,
    /// `GET /cards/{cardId}/details`: the field names.
    pub details_names: DetailsNames,
    /// `GET /cards/{cardId}/details`: the field types.
    pub details_types: DetailsTypes,
    /// Whether the KYC URL refresh works after a Compliance Decline.
    pub decline: DeclinePath,
    /// A transitional status seen by reads.
    pub transitional: Transitional,
    /// `POST /otp/listeners`' required field.
    pub otp_listener: OtpListener,
    /// Transfers from a wallet that holds too little.
    pub wallet_funding: WalletFunding,
}

/// Whether the PaymentsAI webhook destination's answers list `eventTypes`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum EventTypes {
    /// Registration and read answers carry `data.eventTypes`.
    #[default]
    Listed,
    /// They do not: the registration answer the webhook-setup page shows has none.
    Omitted,
}

/// The shape of a PaymentsAI answer whose example no page shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Wrapper {
    /// The object itself ("Response returns the created Customer object").
    #[default]
    Bare,
    /// `{"type": "object", "data": {...}}`, as the documented token and webhook
    /// destination answers are.
    Wrapped,
}

/// Which PaymentsAI subscriptions `POST .../subscription-cancellations` takes.
/// The pages disagree: the concept page says "A subscription can be canceled at
/// any point" (<https://api-docs.payments.ai/docs/get-started/concepts/orders/subscription-cancellations>),
/// the tutorial "Only active subscriptions can be canceled; a paused subscription
/// must be resumed first" (<https://api-docs.payments.ai/docs/get-started/tutorials/cancel-subscription>).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Cancellation {
    /// Any subscription, whatever its status (the concept page).
    #[default]
    AnyStatus,
    /// Only an active one; any other (a pending one) is refused with 400 (the tutorial).
    OnlyActive,
}

/// The answers of the PaymentsAI fake to the choices its pages leave open.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PaiChoices {
    /// Creates whose status no page shows: customers, payment instruments
    /// (attach), products, plans, subscriptions. (Tokens, transactions and webhook
    /// destinations are documented 201.)
    pub create_status: CreateStatus,
    /// Whether the webhook destination's answers list `eventTypes`.
    pub event_types: EventTypes,
    /// How the `x-pai-signature` HMAC is encoded.
    pub signature: Encoding,
    /// Customer, product, plan and cancellation answers: bare or wrapped.
    pub objects: Wrapper,
    /// Which subscriptions a cancellation takes.
    pub cancellation: Cancellation,
}

impl Default for PaiChoices {
    fn default() -> PaiChoices {
        PaiChoices {
            create_status: CreateStatus::Created,
            event_types: EventTypes::Listed,
            signature: Encoding::Hex,
            objects: Wrapper::Bare,
            cancellation: Cancellation::AnyStatus,
        }
    }
}

/// The answers of both partner fakes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Choices {
    /// The Axys fake's.
    pub axys: AxysChoices,
    /// The PaymentsAI fake's.
    pub paymentsai: PaiChoices,
}

/// Declares [`Variant`] from one table: each variant's command-line name, what
/// it answers differently from `default`, and how it sets the choices.
macro_rules! variants {
    ($($variant:ident = $name:literal => $help:literal, |$c:ident| $set:block)*) => {
        /// One combination of answers to the choices the partners' pages leave open.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
        pub enum Variant {
            /// The fakes' usual answers.
            #[default]
            Default,
            $(#[doc = $help] $variant,)*
        }

        impl Variant {
            /// Every variant, in listing order.
            pub const ALL: &'static [Variant] = &[Variant::Default, $(Variant::$variant),*];

            /// The variant's name on the command line, e.g. `axys-201-creates`.
            pub fn as_str(self) -> &'static str {
                match self {
                    Variant::Default => "default",
                    $(Variant::$variant => $name,)*
                }
            }

            /// What the variant answers, one line (`golive fake variants`).
            pub fn help(self) -> &'static str {
                match self {
                    Variant::Default => "The fakes' usual answers where the pages are silent: the demo passes with the built-in packs",
                    $(Variant::$variant => $help,)*
                }
            }

            /// The answers of this variant.
            pub fn choices(self) -> Choices {
                #[allow(unused_mut)]
                let mut choices = Choices::default();
                match self {
                    Variant::Default => {}
                    $(Variant::$variant => {
                        let $c = &mut choices;
                        $set
                    })*
                }
                choices
            }
        }
    };
}

variants! {
    Axys201Creates = "axys-201-creates" => "Axys answers 201 Created to every create (cardholder, card, wallet, transfer, OTP listener, bank account)",
        |c| { c.axys.create_status = CreateStatus::Created; }
    AxysEnvelopedCardholder = "axys-enveloped-cardholder" => "Axys GET /cardholders/{id} answers {\"status\":\"success\",\"cardholder\":{...}}",
        |c| { c.axys.cardholder_read = Placement::Nested; }
    AxysNestedCard = "axys-nested-card" => "Axys GET /cards/{cardId} puts issuerCardStatus, transactionLimit and the rest under \"card\"",
        |c| { c.axys.card_read = Placement::Nested; }
    AxysNestedBalance = "axys-nested-balance" => "Axys GET /cards/{cardId}/balance puts ledgerBalance and availableBalance under \"account\"",
        |c| { c.axys.balance_read = Placement::Nested; }
    AxysDetailsPanNames = "axys-details-pan-names" => "Axys card details are named pan, expiryMonth, expiryYear, cvv2",
        |c| { c.axys.details_names = DetailsNames::Pan; }
    AxysDetailsStrings = "axys-details-strings" => "Axys card details are strings, not integers",
        |c| { c.axys.details_types = DetailsTypes::Strings; }
    AxysRefreshOnlyInReview = "axys-refresh-only-in-review" => "Axys kyc-url/refresh works only in status 3 (its reference); after a decline only kyc-submit re-submits",
        |c| { c.axys.decline = DeclinePath::RefreshOnlyInReview; }
    AxysTransitional0 = "axys-transitional-0" => "Axys cardholder reads show status 0 (Pending) once after each compliance transition",
        |c| { c.axys.transitional = Transitional::Pending0; }
    AxysTransitional5 = "axys-transitional-5" => "Axys cardholder reads show status 5 (the onboarding guide's \"Pending\") once after each compliance transition",
        |c| { c.axys.transitional = Transitional::Pending5; }
    AxysOtpCardholderId = "axys-otp-cardholder-id" => "Axys POST /otp/listeners requires cardholderId (the reference's one required field)",
        |c| { c.axys.otp_listener = OtpListener::CardholderRequired; }
    AxysUnfundedTransferRefused = "axys-unfunded-transfer-refused" => "Axys refuses (409) a transfer larger than the source wallet's balance; nothing funds a wallet",
        |c| { c.axys.wallet_funding = WalletFunding::Required; }
    AxysTraceFundsWallet = "axys-trace-funds-wallet" => "Axys staging credits a wallet on its bank-deposit trace's transactionAmount; larger transfers are refused (409)",
        |c| { c.axys.wallet_funding = WalletFunding::TraceFundsInStaging; }
    Pai200Creates = "pai-200-creates" => "PaymentsAI answers 200 OK to the creates whose status no page shows (customer, attach, product, plan, subscription)",
        |c| { c.paymentsai.create_status = CreateStatus::Ok; }
    PaiDestinationWithoutEventTypes = "pai-destination-without-event-types" => "PaymentsAI webhook destination answers list no eventTypes",
        |c| { c.paymentsai.event_types = EventTypes::Omitted; }
    PaiSignatureBase64 = "pai-signature-base64" => "PaymentsAI's x-pai-signature is base64, not hex: the merchant's receiver verifies base64",
        |c| { c.paymentsai.signature = Encoding::Base64; }
    PaiWrappedObjects = "pai-wrapped-objects" => "PaymentsAI customer, product, plan and cancellation answers are wrapped in {\"type\":\"object\",\"data\":{...}}",
        |c| { c.paymentsai.objects = Wrapper::Wrapped; }
    PaiCancelOnlyActive = "pai-cancel-only-active" => "PaymentsAI cancels only active subscriptions (the cancel tutorial): a pending one is refused with 400",
        |c| { c.paymentsai.cancellation = Cancellation::OnlyActive; }
    DocsStrict = "docs-strict" => "Every restriction a page states, at once: refresh only in review, OTP by cardholderId, no unfunded transfers, cancel only active subscriptions",
        |c| {
            c.axys.decline = DeclinePath::RefreshOnlyInReview;
            c.axys.otp_listener = OtpListener::CardholderRequired;
            c.axys.wallet_funding = WalletFunding::Required;
            c.paymentsai.cancellation = Cancellation::OnlyActive;
        }
    Alt = "alt" => "Every open choice flipped from default at once",
        |c| {
            *c = Choices {
                axys: AxysChoices {
                    create_status: CreateStatus::Created,
                    cardholder_read: Placement::Nested,
                    card_read: Placement::Nested,
                    balance_read: Placement::Nested,
                    details_names: DetailsNames::Pan,
                    details_types: DetailsTypes::Strings,
                    decline: DeclinePath::RefreshOnlyInReview,
                    transitional: Transitional::Pending5,
                    otp_listener: OtpListener::CardholderRequired,
                    wallet_funding: WalletFunding::Required,
                },
                paymentsai: PaiChoices {
                    create_status: CreateStatus::Ok,
                    event_types: EventTypes::Omitted,
                    signature: Encoding::Base64,
                    objects: Wrapper::Wrapped,
                    cancellation: Cancellation::OnlyActive,
                },
            };
        }
}

impl Variant {
    /// The variant's name on the command line.
    pub fn name(self) -> String {
        self.as_str().to_string()
    }
}

/// `--variant NAME`: parsed from and listed by the one table above.
impl clap::ValueEnum for Variant {
    fn value_variants<'a>() -> &'a [Self] {
        Variant::ALL
    }

    fn to_possible_value(&self) -> Option<clap::builder::PossibleValue> {
        Some(clap::builder::PossibleValue::new(self.as_str()).help(self.help()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_variant_has_one_name_that_parses_back_to_it_and_its_own_answers() {
        let mut names = std::collections::BTreeSet::new();
        let mut answers = Vec::new();
        for &v in Variant::ALL {
            assert!(names.insert(v.as_str()), "{} named twice", v.as_str());
            assert_eq!(<Variant as clap::ValueEnum>::from_str(v.as_str(), false), Ok(v));
            assert!(!v.help().is_empty() && !v.help().ends_with('.'), "{}", v.as_str());
            assert!(!answers.contains(&v.choices()), "{} answers like another variant", v.as_str());
            answers.push(v.choices());
        }
        assert_eq!(Variant::default().choices(), Choices::default());
    }

    /// `alt` flips every choice of `default`; the destructuring makes a new
    /// choice a compile error here until it is compared (and flipped in `alt`).
    #[test]
    fn alt_differs_from_default_in_every_choice() {
        let (d, a) = (Choices::default(), Variant::Alt.choices());
        let AxysChoices {
            create_status,
            cardholder_read,
            card_read,
            balance_read,
            details_names,
            details_types,
            decline,
            transitional,
            otp_listener,
            wallet_funding,
        } = a.axys;
        let axys = [
            d.axys.create_status != create_status,
            d.axys.cardholder_read != cardholder_read,
            d.axys.card_read != card_read,
            d.axys.balance_read != balance_read,
            d.axys.details_names != details_names,
            d.axys.details_types != details_types,
            d.axys.decline != decline,
            d.axys.transitional != transitional,
            d.axys.otp_listener != otp_listener,
            d.axys.wallet_funding != wallet_funding,
        ];
        let PaiChoices { create_status, event_types, signature, objects, cancellation } = a.paymentsai;
        let pai = [
            d.paymentsai.create_status != create_status,
            d.paymentsai.event_types != event_types,
            d.paymentsai.signature != signature,
            d.paymentsai.objects != objects,
            d.paymentsai.cancellation != cancellation,
        ];
        assert!(axys.iter().chain(&pai).all(|&flipped| flipped), "{a:#?}");
    }
}
