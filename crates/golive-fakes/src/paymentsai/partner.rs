//! The PaymentsAI fake in the list of partners: how it starts (its Public API,
//! webhook destinations and one-time key exchange on one server, answering the
//! shared outages with its documented errors, signing the merchant's webhooks),
//! and its environment of the fakes' golive.toml. It has no scenario of its own.

use async_trait::async_trait;
use secrecy::{ExposeSecret, SecretString};
use wiremock::matchers::path_regex;
use wiremock::{Mock, ResponseTemplate};

use crate::config::{EnvAt, quote};
use crate::exchange::{self, ExchangeFake};
use crate::files::write_private;
use crate::partner::{Partner, Running, Start};
use crate::scenario::{Outage, PartnerScenario};
use crate::{Wiremock, webhook};

use super::{PaiFake, Signature};

/// The PaymentsAI-like account of the demo.
pub const DEMO_ACCOUNT_ID: &str = "acc_demo_0001";
/// The PaymentsAI-like organization of the demo: a UUID, as the documentation
/// says (https://api-docs.payments.ai/docs/get-started/concepts/organizations);
/// the go-live runbook says `org_xxx`, a form the fake serves too when given one.
pub const DEMO_ORGANIZATION_ID: &str = "3f9a2c4e-8b1d-4e6f-a2c7-5d9e0b1f4a68";
/// The webhook destination registered for the demo's receiver, readable at
/// `GET /v1/webhook-destinations/{id}`.
pub const DEMO_WEBHOOK_DESTINATION_ID: &str = "b7e1d2c3-4a5f-4b6c-8d7e-9f0a1b2c3d4e";
/// The event types the demo's destination is subscribed to.
pub const DEMO_WEBHOOK_EVENT_TYPES: [&str; 2] = ["transaction-processed", "transaction-declined"];

/// The environment playing the PaymentsAI pack.
pub const ENV: &str = "fake-paymentsai";
/// The secrets' files in the fakes' folder.
const API_KEY: &str = "pai_api_key";
const TEMPORAL_KEY: &str = "pai_temporal_key";
const ACCOUNT_SECRET: &str = "pai_account_secret";
const WEBHOOK_SECRET: &str = "webhook_secret";

/// The PaymentsAI fake (payments).
pub struct PaymentsAi;

/// The running PaymentsAI fake.
pub struct PaymentsAiRunning {
    /// The API, webhook destinations and key exchange.
    pub api: Wiremock,
    /// A hand on the API's state.
    pub fake: PaiFake,
    /// The key exchange, with its call counter.
    pub exchange: ExchangeFake,
    url: String,
    signature: Signature,
}

impl Running for PaymentsAiRunning {
    fn api(&self) -> &Wiremock {
        &self.api
    }

    fn url(&self) -> String {
        self.url.clone()
    }

    fn listing(&self) -> (&'static str, String) {
        ("paymentsai-like API ", self.api.uri())
    }

    /// The merchant's receiver verifies as PaymentsAI's pages say it signs.
    fn webhook_verifier(&self) -> Option<Box<dyn webhook::Verify>> {
        Some(Box::new(self.signature.clone()))
    }

    /// The partner's registered destination is the merchant endpoint the
    /// configuration names (a fault scenario's server when it replaces it).
    fn webhook_endpoint(&self, url: &str) {
        self.fake.seed_destination(DEMO_WEBHOOK_DESTINATION_ID, url, &DEMO_WEBHOOK_EVENT_TYPES, None);
    }
}

/// What a shared outage answers on the API, with the documented error bodies
/// (https://api-docs.payments.ai/docs/api/errors).
fn outage(outage: Outage) -> ResponseTemplate {
    match outage {
        Outage::KeyRejected => super::error(401, None),
        Outage::Down => super::error(500, None),
        Outage::Hangs => ResponseTemplate::new(200).set_delay(std::time::Duration::from_secs(30)),
    }
}

#[async_trait]
impl Partner for PaymentsAi {
    fn name(&self) -> &'static str {
        "paymentsai"
    }

    fn pack(&self) -> &'static str {
        "paymentsai"
    }

    fn env(&self) -> &'static str {
        ENV
    }

    fn scheme(&self) -> &'static str {
        "http"
    }

    fn scenarios(&self) -> &'static [PartnerScenario] {
        &[]
    }

    fn files(&self) -> &'static [&'static str] {
        &[API_KEY, TEMPORAL_KEY, ACCOUNT_SECRET, WEBHOOK_SECRET]
    }

    async fn start(&self, at: Start<'_>) -> Result<Box<dyn Running>, String> {
        let api_key = crate::random_token(&format!("{DEMO_ACCOUNT_ID}_demo_pai_"))?;
        let temporal = crate::random_token("tmp_")?;
        // Within the partner's policy: 12 to 30 characters, an uppercase letter.
        let account_secret = crate::random_hex("Demo-", 8)?;
        let webhook_secret = crate::random_token("demo_pai_whsec_")?;
        let secrets: [(&str, &SecretString); 4] = [
            (API_KEY, &api_key),
            (TEMPORAL_KEY, &temporal),
            (ACCOUNT_SECRET, &account_secret),
            (WEBHOOK_SECRET, &webhook_secret),
        ];
        for (name, value) in secrets {
            write_private(&at.dir.join(name), value.expose_secret().as_bytes())?;
        }
        let api = Wiremock::start().await;
        // An outage answers every path of the API; the key exchange, mounted
        // apart, keeps working.
        if let Some(o) = at.scenario.outage() {
            Mock::given(path_regex(super::API_PATHS)).respond_with(outage(o)).with_priority(1).mount(&api).await;
        }
        let choices = at.choices.paymentsai;
        let options = super::Options { choices, ..super::Options::new(DEMO_ORGANIZATION_ID, api_key.expose_secret()) };
        let fake = super::mount(&api, options).await;
        let exchange = exchange::mount_with(
            &api,
            &fake,
            DEMO_ACCOUNT_ID,
            temporal.expose_secret(),
            exchange::ExchangeMode::Normal,
        )
        .await;
        let signature = Signature::new(webhook_secret, choices.signature);
        let url = at.upstream(&api);
        Ok(Box::new(PaymentsAiRunning { api, fake, exchange, url, signature }))
    }

    fn env_toml(&self, at: &EnvAt<'_>) -> String {
        let mut out = format!("base_url = {}\n", quote(at.url));
        out.push_str(&format!("api_key = {}\n", at.secret(API_KEY)));
        out.push_str(&format!("website_url = {}\n", quote(at.website)));
        // The inputs probes/paymentsai.toml declares, in its order.
        out.push_str(&format!("account_id = {}\n", quote(DEMO_ACCOUNT_ID)));
        out.push_str(&format!("organization_id = {}\n", quote(DEMO_ORGANIZATION_ID)));
        out.push_str(&format!("temporal_api_key = {}\n", at.secret(TEMPORAL_KEY)));
        out.push_str(&format!("account_secret = {}\n", at.secret(ACCOUNT_SECRET)));
        out.push_str(&format!("permanent_key_file = {}\n", at.path("pai-permanent.key")));
        out.push_str(&format!("state_file = {}\n", at.path("state.json")));
        if let Some(url) = at.webhook {
            out.push_str(&format!(
                "webhook = {{ url = {}, scheme = \"paymentsai\", secret = {}, destination_id = {} }}\n",
                quote(url),
                at.secret(WEBHOOK_SECRET),
                quote(DEMO_WEBHOOK_DESTINATION_ID)
            ));
        }
        out.push_str("stage = \"staging\"\n");
        // Its fakes also answer Stage 5's one-time key exchange, a production step.
        out.push_str("extra_stages = [\"production\"]\n");
        out.push_str(&at.exposure(vec![format!("{}/checkout", at.website)]));
        out
    }
}
