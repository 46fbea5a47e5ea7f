//! Each variant of the partner fakes gives the answer it names, over real HTTP:
//! the create statuses, the read shapes, the card details, the decline paths the
//! Axys pages disagree on (each refusing what its reading refuses), the
//! transitional statuses, the OTP listener's required field, wallet funding, and
//! PaymentsAI's wrappers, event types, signature encoding and cancellations. The packs against
//! every variant are `variants.rs`.

use golive_fakes::Variant;
use golive_fakes::axys::Mode;
use golive_fakes::paymentsai::{Encoding, Options, Signature};
use golive_fakes::variant::{AxysChoices, Choices};
use golive_fakes::{DEMO_ORGANIZATION_ID, webhook};
use hmac::{Hmac, Mac};
use secrecy::SecretString;
use serde_json::{Value, json};

use crate::axys_fake::{Fake, fixture};
use crate::paymentsai_fake::{CREDENTIAL, ORG, Pai};

fn axys(variant: Variant) -> AxysChoices {
    variant.choices().axys
}

async fn axys_fake(variant: Variant) -> Fake {
    Fake::start_choices(Mode::Staging, axys(variant)).await
}

/// A cardholder forced to Compliance Decline (2).
async fn declined(fake: &Fake) -> u64 {
    let id = fake.submitted().await;
    fake.ok("POST", "/staging/kyc/validate", Some(&json!({"cardholderId": id, "result": "fail"}))).await;
    assert_eq!(fake.handle.cardholder_status(id), Some(2));
    id
}

#[tokio::test]
async fn axys_201_creates_answers_201_to_every_create_and_the_default_200() {
    for (variant, expected) in [(Variant::Axys201Creates, 201), (Variant::Default, 200)] {
        let fake = axys_fake(variant).await;
        let (status, _) = fake.send("POST", "/cardholders", Some(&fixture("post_cardholders")["request"])).await;
        assert_eq!(status, expected, "{variant:?}: POST /cardholders");
        let (holder, card) = fake.card().await;
        let bank = fixture("post_cardholders-cardholderid-register-bank-account")["request"].clone();
        let wallet = fake.done("POST", "/wallets", Some(&json!({"name": "Ops"}))).await["walletId"].clone();
        let creates = [
            ("POST", format!("/cards/virtual/{holder}"), json!({"nameOnCard": "JORDAN REYES"})),
            ("POST", format!("/cards/assign/{holder}"), json!({"nameOnCard": "JORDAN REYES"})),
            ("POST", "/wallets".to_string(), json!({"name": "Treasury"})),
            ("POST", "/otp/listeners".to_string(), json!({"cardId": card})),
            (
                "POST",
                "/wallets/transfer".to_string(),
                json!({"sourceWalletId": wallet, "destinationType": 1, "destinationId": card, "amount": 100}),
            ),
            ("POST", format!("/cardholders/{holder}/register-bank-account"), bank),
        ];
        for (method, path, body) in creates {
            let (status, answer) = fake.send(method, &path, Some(&body)).await;
            assert_eq!(status, expected, "{variant:?}: {method} {path}: {answer}");
        }
        // Not creates: a read, a state change.
        assert_eq!(fake.send("GET", &format!("/cards/{card}"), None).await.0, 200);
        assert_eq!(fake.send("PUT", &format!("/cards/{card}/status"), Some(&json!({"newStatus": 2}))).await.0, 200);
    }
}

#[tokio::test]
async fn axys_enveloped_cardholder_nests_the_compliance_status_under_cardholder() {
    let fake = axys_fake(Variant::AxysEnvelopedCardholder).await;
    let id = fake.cardholder().await;
    let read = fake.ok("GET", &format!("/cardholders/{id}"), None).await;
    assert_eq!(read["status"], "success", "{read}");
    assert_eq!(
        (read["cardholder"]["cardholderId"].as_u64(), read["cardholder"]["status"].as_u64()),
        (Some(id), Some(4))
    );
    // The list keeps its documented envelope, items flat.
    let list = fake.ok("GET", "/cardholders", None).await;
    assert_eq!(list["items"][0]["status"], 4, "{list}");
}

#[tokio::test]
async fn axys_nested_card_and_balance_put_the_fields_under_card_and_account() {
    let fake = axys_fake(Variant::AxysNestedCard).await;
    let (_, card) = fake.card().await;
    let read = fake.ok("GET", &format!("/cards/{card}"), None).await;
    assert_eq!(read["status"], "success");
    assert_eq!(read["card"]["issuerCardStatus"], 1, "{read}");
    assert!(read.get("issuerCardStatus").is_none() && read["card"]["cryptoAddresses"].is_array(), "{read}");
    let balance = fake.ok("GET", &format!("/cards/{card}/balance"), None).await;
    assert_eq!(balance["availableBalance"], 0, "the balance stays flat in this variant: {balance}");

    let fake = axys_fake(Variant::AxysNestedBalance).await;
    let (_, card) = fake.card().await;
    let balance = fake.ok("GET", &format!("/cards/{card}/balance"), None).await;
    assert_eq!((&balance["status"], &balance["account"]["ledgerBalance"]), (&json!("success"), &json!(0)), "{balance}");
    assert!(balance.get("availableBalance").is_none(), "{balance}");
    assert_eq!(fake.ok("GET", &format!("/cards/{card}"), None).await["issuerCardStatus"], 1);
}

#[tokio::test]
async fn axys_details_variants_rename_and_retype_the_sensitive_fields() {
    let cases = [
        (Variant::Default, json!({"cardNumber": 4111111111111111u64, "expMonth": 11, "expYear": 2029, "cvv": 737})),
        (
            Variant::AxysDetailsPanNames,
            json!({"pan": 4111111111111111u64, "expiryMonth": 11, "expiryYear": 2029, "cvv2": 737}),
        ),
        (
            Variant::AxysDetailsStrings,
            json!({"cardNumber": "4111111111111111", "expMonth": "11", "expYear": "2029", "cvv": "737"}),
        ),
    ];
    for (variant, expected) in cases {
        let fake = axys_fake(variant).await;
        let (_, card) = fake.card().await;
        let details = fake.ok("GET", &format!("/cards/{card}/details"), None).await;
        for (name, value) in expected.as_object().expect("object") {
            assert_eq!(&details[name], value, "{variant:?}: {name} in {details}");
        }
        assert_eq!(
            details.as_object().map(|o| o.len()),
            Some(6),
            "{variant:?}: status, cardId and four fields: {details}"
        );
    }
}

/// The refresh reference's reading: a refresh after a decline is refused; the
/// documented re-submission goes through kyc-submit (directly, or after an edit
/// back to Draft as the onboarding guide draws it).
#[tokio::test]
async fn axys_refresh_only_in_review_refuses_a_refresh_after_a_decline_and_resubmits_by_kyc_submit() {
    let fake = axys_fake(Variant::AxysRefreshOnlyInReview).await;
    let id = declined(&fake).await;
    let (status, answer) = fake.send("POST", &format!("/cardholders/{id}/kyc-url/refresh"), None).await;
    assert_eq!((status, &answer["status"]), (409, &json!("error")), "{answer}");
    assert!(answer["message"].as_str().is_some_and(|m| m.contains("status 3")), "{answer}");
    assert_eq!(fake.handle.cardholder_status(id), Some(2), "the refused refresh changed nothing");
    let submitted = fake.ok("PUT", &format!("/cardholders/{id}/kyc-submit"), None).await;
    assert!(submitted["applicationLink"].is_string(), "{submitted}");
    assert_eq!(fake.cardholder_status(id).await, 3);
    // In review, the refresh is what the reference documents.
    fake.ok("POST", &format!("/cardholders/{id}/kyc-url/refresh"), None).await;
    fake.ok("POST", "/staging/kyc/validate", Some(&json!({"cardholderId": id, "result": "pass"}))).await;
    assert_eq!(fake.cardholder_status(id).await, 1);

    // The onboarding guide's path: edit (allowed in status 2) back to Draft, then submit.
    let other = declined(&fake).await;
    fake.ok("PUT", &format!("/cardholders/{other}"), Some(&json!({"city": "Oakland"}))).await;
    assert_eq!(fake.cardholder_status(other).await, 4);
    fake.ok("PUT", &format!("/cardholders/{other}/kyc-submit"), None).await;
    assert_eq!(fake.cardholder_status(other).await, 3);
}

/// The default follows the sandbox guide and the lifecycle: a refresh re-submits a
/// declined cardholder; the documented kyc-submit does too, in every variant.
#[tokio::test]
async fn the_default_decline_path_accepts_both_a_refresh_and_a_kyc_submit() {
    let fake = axys_fake(Variant::Default).await;
    for route in [("POST", "kyc-url/refresh"), ("PUT", "kyc-submit")] {
        let id = declined(&fake).await;
        fake.ok(route.0, &format!("/cardholders/{id}/{}", route.1), None).await;
        assert_eq!(fake.cardholder_status(id).await, 3, "{route:?}");
    }
    // Neither works outside its documented statuses.
    let draft = fake.cardholder().await;
    assert_eq!(fake.send("POST", &format!("/cardholders/{draft}/kyc-url/refresh"), None).await.0, 409);
    let approved = fake.approved().await;
    assert_eq!(fake.send("PUT", &format!("/cardholders/{approved}/kyc-submit"), None).await.0, 409);
}

#[tokio::test]
async fn axys_transitional_variants_show_0_or_5_once_after_each_compliance_transition() {
    for (variant, seen) in [(Variant::AxysTransitional0, 0), (Variant::AxysTransitional5, 5)] {
        let fake = axys_fake(variant).await;
        let id = fake.cardholder().await;
        assert_eq!(fake.cardholder_status(id).await, 4, "{variant:?}: no transition yet");
        fake.ok("PUT", &format!("/cardholders/{id}/kyc-submit"), None).await;
        let reads = [fake.cardholder_status(id).await, fake.cardholder_status(id).await];
        assert_eq!(reads, [seen, 3], "{variant:?}: after the submission");
        fake.ok("POST", "/staging/kyc/validate", Some(&json!({"cardholderId": id, "result": "pass"}))).await;
        let reads = [fake.cardholder_status(id).await, fake.cardholder_status(id).await];
        assert_eq!(reads, [seen, 1], "{variant:?}: after the forced approval");
    }
    let fake = axys_fake(Variant::Default).await;
    let id = fake.submitted().await;
    assert_eq!(fake.cardholder_status(id).await, 3, "the default shows no transitional status");
}

#[tokio::test]
async fn axys_otp_cardholder_id_requires_the_cardholder_as_the_reference_does() {
    let fake = axys_fake(Variant::AxysOtpCardholderId).await;
    let (holder, card) = fake.card().await;
    let (status, answer) = fake.send("POST", "/otp/listeners", Some(&json!({"cardId": card}))).await;
    assert_eq!(status, 400, "{answer}");
    assert!(answer["message"].as_str().is_some_and(|m| m.contains("cardholderId")), "{answer}");
    let sub = fake.done("POST", "/otp/listeners", Some(&json!({"cardholderId": holder, "cardId": card}))).await;
    assert!(sub["token"].is_string(), "{sub}");
    fake.done("POST", "/otp/listeners", Some(&json!({"cardholderId": holder}))).await;
    // The default takes the guide's recommended card id.
    let fake = axys_fake(Variant::Default).await;
    let (_, card) = fake.card().await;
    fake.done("POST", "/otp/listeners", Some(&json!({"cardId": card}))).await;
}

fn transfer(wallet: &Value, card: u64, amount: i64) -> Value {
    json!({"sourceWalletId": wallet, "destinationType": 1, "destinationId": card, "amount": amount})
}

async fn card_balance(fake: &Fake, card: u64) -> i64 {
    fake.ok("GET", &format!("/cards/{card}/balance"), None).await["availableBalance"].as_i64().expect("balance")
}

#[tokio::test]
async fn axys_unfunded_transfer_refused_refuses_a_transfer_no_deposit_covers() {
    let fake = axys_fake(Variant::AxysUnfundedTransferRefused).await;
    let (_, card) = fake.card().await;
    let wallet = fake.done("POST", "/wallets", Some(&json!({"name": "Ops"}))).await["walletId"].clone();
    let (status, answer) = fake.send("POST", "/wallets/transfer", Some(&transfer(&wallet, card, 100))).await;
    assert_eq!((status, &answer["status"]), (409, &json!("error")), "{answer}");
    // A trace only announces a bank transfer: it funds nothing here.
    let trace = json!({"transactionAmount": 5000, "transactionReference": "REF-1"});
    fake.ok("POST", &format!("/wallets/{wallet}/bank-deposit"), Some(&trace)).await;
    assert_eq!(fake.send("POST", "/wallets/transfer", Some(&transfer(&wallet, card, 100))).await.0, 409);
    assert_eq!(card_balance(&fake, card).await, 0, "nothing moved");
    let listed = fake.ok("GET", "/wallets/transactions", None).await;
    assert_eq!(listed["total"], 0, "a refused transfer is not recorded: {listed}");
}

#[tokio::test]
async fn axys_trace_funds_wallet_credits_the_traced_amount_in_staging_only() {
    let fake = axys_fake(Variant::AxysTraceFundsWallet).await;
    let (_, card) = fake.card().await;
    let wallet = fake.done("POST", "/wallets", Some(&json!({"name": "Ops"}))).await["walletId"].clone();
    let trace = json!({"transactionAmount": 5000});
    fake.ok("POST", &format!("/wallets/{wallet}/bank-deposit"), Some(&trace)).await;
    fake.done("POST", "/wallets/transfer", Some(&transfer(&wallet, card, 3000))).await;
    assert_eq!(card_balance(&fake, card).await, 3000);
    let (status, answer) = fake.send("POST", "/wallets/transfer", Some(&transfer(&wallet, card, 3000))).await;
    assert_eq!(status, 409, "2000 left: {answer}");

    // Production emulates nothing: the trace does not fund the wallet.
    let fake = Fake::start_choices(Mode::Production, axys(Variant::AxysTraceFundsWallet)).await;
    let id = fake.submitted().await;
    assert!(fake.handle.complete_review(id, true));
    let card = fake.done("POST", &format!("/cards/virtual/{id}"), Some(&json!({"nameOnCard": "J R"}))).await["cardId"]
        .as_u64()
        .expect("cardId");
    let wallet = fake.done("POST", "/wallets", Some(&json!({"name": "Ops"}))).await["walletId"].clone();
    fake.ok("POST", &format!("/wallets/{wallet}/bank-deposit"), Some(&trace)).await;
    assert_eq!(fake.send("POST", "/wallets/transfer", Some(&transfer(&wallet, card, 3000))).await.0, 409);
}

#[tokio::test]
async fn the_default_wallet_funding_is_unchecked() {
    let fake = axys_fake(Variant::Default).await;
    let (_, card) = fake.card().await;
    let wallet = fake.done("POST", "/wallets", Some(&json!({"name": "Ops"}))).await["walletId"].clone();
    fake.ok("POST", "/wallets/transfer", Some(&transfer(&wallet, card, 2500))).await;
    assert_eq!(card_balance(&fake, card).await, 2500);
}

async fn pai(variant: Variant) -> Pai {
    let Choices { paymentsai, .. } = variant.choices();
    Pai::start(Options { choices: paymentsai, ..Options::new(DEMO_ORGANIZATION_ID, CREDENTIAL) }).await
}

/// Customer, token, attach, product, plan, subscription: the statuses and answers.
async fn pai_creates(pai: &Pai) -> Vec<(&'static str, u16, Value)> {
    let mut out = Vec::new();
    let (status, customer) = pai
        .call("POST", &format!("{ORG}/customers"), Some(&json!({"firstName": "A", "lastName": "B", "email": "a@b.c"})))
        .await;
    let customer_id = customer["id"].as_str().or(customer["data"]["id"].as_str()).expect("customer id").to_string();
    out.push(("customer", status, customer));
    let card = json!({"primaryAccountNumber": "4111111111111111", "cardVerificationValue": "123", "expirationMonth": 12, "expirationYear": 2030});
    let (status, token) = pai.call("POST", &format!("{ORG}/payment-instruments/tokens"), Some(&card)).await;
    let token_id = token["data"]["id"].clone();
    out.push(("token", status, token));
    let attach = json!({"token": token_id});
    let (status, instrument) =
        pai.call("POST", &format!("{ORG}/customers/{customer_id}/payment-instruments"), Some(&attach)).await;
    let instrument_id = instrument["id"].clone();
    out.push(("attach", status, instrument));
    let (status, product) = pai.call("POST", &format!("{ORG}/products"), Some(&json!({"name": "Gym"}))).await;
    let product_id = product["id"].as_str().or(product["data"]["id"].as_str()).expect("product id").to_string();
    out.push(("product", status, product));
    let plan = json!({"name": "Monthly", "currency": "USD", "productId": product_id, "pricing": {"price": 10, "formula": "fixed-fee"}});
    let (status, plan) = pai.call("POST", &format!("{ORG}/plans"), Some(&plan)).await;
    let plan_id = plan["id"].as_str().or(plan["data"]["id"].as_str()).expect("plan id").to_string();
    out.push(("plan", status, plan));
    let subscription = json!({"customerId": customer_id, "paymentInstrumentId": instrument_id, "items": [{"plan": {"id": plan_id}}], "isTrialOnly": false});
    let (status, subscription) = pai.call("POST", &format!("{ORG}/subscriptions"), Some(&subscription)).await;
    out.push(("subscription", status, subscription));
    out
}

#[tokio::test]
async fn pai_200_creates_answers_200_where_no_page_shows_the_status_and_201_where_one_does() {
    for (variant, undocumented) in [(Variant::Pai200Creates, 200), (Variant::Default, 201)] {
        let pai = pai(variant).await;
        for (what, status, answer) in pai_creates(&pai).await {
            // The tokenization endpoint's 201 is documented (base-urls page).
            let expected = if what == "token" { 201 } else { undocumented };
            assert_eq!(status, expected, "{variant:?}: {what}: {answer}");
        }
    }
}

#[tokio::test]
async fn pai_wrapped_objects_wraps_customers_products_and_plans_but_not_the_documented_instrument() {
    let pai = pai(Variant::PaiWrappedObjects).await;
    let creates = pai_creates(&pai).await;
    for (what, _, answer) in &creates {
        let wrapped = answer["type"] == "object" && answer["data"]["id"].is_string();
        let expected = matches!(*what, "customer" | "product" | "plan" | "token");
        assert_eq!(wrapped, expected, "{what}: {answer}");
    }
    let customer = creates[0].2["data"]["id"].as_str().expect("id").to_string();
    let (status, read) = pai.call("GET", &format!("{ORG}/customers/{customer}"), None).await;
    assert_eq!((status, read["data"]["id"].as_str()), (200, Some(customer.as_str())), "{read}");
}

#[tokio::test]
async fn pai_destination_without_event_types_lists_none_in_its_answers() {
    for (variant, listed) in [(Variant::PaiDestinationWithoutEventTypes, false), (Variant::Default, true)] {
        let pai = pai(variant).await;
        let body = json!({"url": "https://merchant.example/webhooks", "eventTypes": ["transaction-processed"]});
        let (status, created) = pai.call("POST", "/v1/webhook-destinations", Some(&body)).await;
        assert_eq!(status, 201, "documented: {created}");
        let id = created["data"]["id"].as_str().expect("id").to_string();
        let (_, read) = pai.call("GET", &format!("/v1/webhook-destinations/{id}"), None).await;
        for answer in [&created, &read] {
            assert_eq!(answer["data"]["eventTypes"].is_array(), listed, "{variant:?}: {answer}");
            assert_eq!(answer["data"]["url"], "https://merchant.example/webhooks");
        }
    }
}

/// HMAC-SHA256 of `body` under `secret`, computed here, apart from golive's signer.
fn hmac_sha256(secret: &str, body: &[u8]) -> Vec<u8> {
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(secret.as_bytes()).expect("any key length");
    mac.update(body);
    mac.finalize().into_bytes().to_vec()
}

#[tokio::test]
async fn pai_signature_base64_has_the_receiver_verify_base64_and_refuse_hex() {
    use base64::Engine as _;
    let secret = "demo_pai_whsec_0123456789";
    let body = br#"{"deduplicationId":"d-1","type":"transaction-processed","organizationId":"o","metadata":{}}"#;
    let mac = hmac_sha256(secret, body);
    let (hex, b64) = (hex::encode(&mac), base64::engine::general_purpose::STANDARD.encode(&mac));
    for (encoding, good, bad) in [(Encoding::Base64, &b64, &hex), (Encoding::Hex, &hex, &b64)] {
        let chosen = if encoding == Encoding::Base64 { Variant::PaiSignatureBase64 } else { Variant::Default };
        assert_eq!(chosen.choices().paymentsai.signature, encoding);
        let receiver =
            webhook::start(Signature::new(SecretString::from(secret), encoding), webhook::Behaviour::Verifying).await;
        let url = webhook::url(&receiver).expect("url");
        let client = reqwest::Client::new();
        for (signature, expected) in [(good, 200), (bad, 401)] {
            let answer = client
                .post(url.clone())
                .header("content-type", "application/json")
                .header("x-pai-signature", signature.as_str())
                .body(body.to_vec())
                .send()
                .await
                .expect("the receiver answers");
            assert_eq!(answer.status().as_u16(), expected, "{encoding:?}: {signature}");
        }
    }
}

/// Cancels `subscription` immediately (no `cancelAt`), as both cancellation pages show.
async fn cancel(pai: &Pai, subscription: &Value) -> (u16, Value) {
    let body = json!({"subscriptionId": subscription, "cancelledBy": "customer", "reason": "other"});
    pai.call("POST", &format!("{ORG}/subscription-cancellations"), Some(&body)).await
}

/// The status the subscription list shows for `id`.
async fn subscription_status(pai: &Pai, id: &Value) -> Value {
    let (_, list) = pai.call("GET", &format!("{ORG}/subscriptions"), None).await;
    let all = list["data"].as_array().expect("a list").clone();
    all.into_iter().find(|s| &s["id"] == id).map(|s| s["status"].clone()).expect("the subscription is listed")
}

#[tokio::test]
async fn the_default_cancels_a_pending_subscription_at_once_and_reads_the_cancellation_back() {
    let pai = pai(Variant::Default).await;
    let creates = pai_creates(&pai).await;
    let pending = creates[5].2["data"]["id"].clone();
    assert_eq!(subscription_status(&pai, &pending).await, "pending");
    let (status, cancellation) = cancel(&pai, &pending).await;
    assert_eq!((status, &cancellation["subscriptionId"]), (201, &pending), "{cancellation}");
    // "Omit cancelAt. The subscription transitions to canceled straight away."
    assert_eq!(subscription_status(&pai, &pending).await, "canceled");
    let id = cancellation["id"].as_str().expect("its own id");
    let (status, read) = pai.call("GET", &format!("{ORG}/subscription-cancellations/{id}"), None).await;
    assert_eq!((status, &read["reason"]), (200, &json!("other")), "{read}");
    let (_, list) = pai.call("GET", &format!("{ORG}/subscription-cancellations"), None).await;
    assert_eq!(list["data"][0]["id"], json!(id), "{list}");
    // A scheduled cancellation leaves the subscription as it is until cancelAt.
    let subscription = json!({"customerId": creates[0].2["id"], "paymentInstrumentId": creates[2].2["id"], "items": [{"plan": {"id": creates[4].2["id"]}}], "isTrialOnly": false});
    let (_, later) = pai.call("POST", &format!("{ORG}/subscriptions"), Some(&subscription)).await;
    let later = later["data"]["id"].clone();
    let body = json!({"subscriptionId": later, "cancelledBy": "customer", "reason": "too-expensive", "cancelAt": "2030-06-30T23:59:59Z"});
    assert_eq!(pai.call("POST", &format!("{ORG}/subscription-cancellations"), Some(&body)).await.0, 201);
    assert_eq!(subscription_status(&pai, &later).await, "pending");
    // What the pages refuse or do not know.
    for (body, why) in [
        (json!({"cancelledBy": "customer"}), "subscriptionId is required"),
        (json!({"subscriptionId": "nope"}), "unknown subscriptionId"),
        (json!({"subscriptionId": later, "reason": "bored"}), "reason is not a documented cancellation reason"),
    ] {
        let (status, answer) = pai.call("POST", &format!("{ORG}/subscription-cancellations"), Some(&body)).await;
        assert_eq!((status, answer["details"].as_str()), (400, Some(why)), "{answer}");
    }
}

#[tokio::test]
async fn pai_cancel_only_active_refuses_a_pending_subscription_and_cancels_an_active_one() {
    for variant in [Variant::PaiCancelOnlyActive, Variant::DocsStrict, Variant::Alt] {
        let pai = pai(variant).await;
        let creates = pai_creates(&pai).await;
        let pending = creates[5].2["data"]["id"].clone();
        let (status, refused) = cancel(&pai, &pending).await;
        assert_eq!(status, 400, "{variant:?}: {refused}");
        assert_eq!(refused["details"], "Only active subscriptions can be canceled", "{variant:?}");
        assert_eq!(subscription_status(&pai, &pending).await, "pending", "{variant:?}: unchanged");
        // An approved transaction activates the instrument; a subscription on it starts active.
        let customer =
            creates[0].2["id"].as_str().or(creates[0].2["data"]["id"].as_str()).expect("customer").to_string();
        let instrument = creates[2].2["id"].clone();
        let sale = json!({"type": "sale", "amount": 1, "currency": "USD", "customerId": customer, "paymentInstruction": {"paymentInstrumentId": instrument}});
        assert_eq!(pai.call("POST", &format!("{ORG}/transactions"), Some(&sale)).await.0, 201);
        let plan = creates[4].2["id"].as_str().or(creates[4].2["data"]["id"].as_str()).expect("plan").to_string();
        let subscription = json!({"customerId": customer, "paymentInstrumentId": instrument, "items": [{"plan": {"id": plan}}], "isTrialOnly": false});
        let (_, active) = pai.call("POST", &format!("{ORG}/subscriptions"), Some(&subscription)).await;
        assert_eq!(active["data"]["status"], "active", "{variant:?}: {active}");
        let (status, _) = cancel(&pai, &active["data"]["id"]).await;
        assert!(matches!(status, 200 | 201), "{variant:?}: {status}");
        assert_eq!(subscription_status(&pai, &active["data"]["id"]).await, "canceled", "{variant:?}");
    }
}
