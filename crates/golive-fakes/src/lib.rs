//! golive's fakes: real protocols on loopback for `golive verify --env demo`,
//! `golive fake serve` and golive's tests, written from the partners' published
//! pages (never from golive's code, which they exist to check).
//!
//! A [`Scenario`] chooses healthy or broken behaviour, so every diagnosis can
//! be demonstrated; a [`Variant`] chooses among the answers the partners' pages
//! leave open, so no pack passes only by sharing the fakes' guesses. Secrets of
//! the fakes are random per start and live in a private temporary folder,
//! referenced as files by the golive.toml the fakes write ([`config`]), never
//! printed.

pub mod axys;
pub mod certs;
pub mod config;
pub mod dns;
pub mod exchange;
pub mod faults;
mod files;
pub mod mock;
pub mod mtls_front;
mod partner;
pub mod paymentsai;
mod pki;
mod scenario;
pub mod variant;
pub mod webhook;
pub mod website;

use std::path::{Path, PathBuf};

pub use config::{CONFIG_HEADER, PLANNED_PORT, Planned};
pub use dns::{FakeDns, FakeDnsBuilder};
pub use files::write_private;
pub use mock::Wiremock;
pub use scenario::Scenario;
pub use variant::Variant;

use secrecy::{ExposeSecret, SecretString};

use config::Endpoints;
use pki::start_axys_front;

/// A private temporary folder for the fakes' files (`golive-fakes-*`: golive
/// removes it on a stop signal).
fn private_dir() -> Result<tempfile::TempDir, String> {
    tempfile::Builder::new()
        .prefix("golive-fakes-")
        .tempdir()
        .map_err(|e| format!("cannot create a temporary folder for the fakes: {e}"))
}

/// The running fakes of one run.
pub struct Fakes {
    /// The scenario they play.
    pub scenario: Scenario,
    /// The answers they give where the partners' pages are silent.
    pub variant: Variant,
    /// The Axys-like partner API behind its mTLS front.
    pub axys: Wiremock,
    /// The mTLS front of the Axys-like API.
    pub axys_front: mtls_front::Front,
    /// The PaymentsAI-like partner API.
    pub paymentsai: Wiremock,
    /// The PaymentsAI-like key exchange, with its call counter.
    pub pai_exchange: exchange::ExchangeFake,
    /// The merchant's webhook receiver (PaymentsAI scheme).
    pub webhook: Wiremock,
    /// The authoritative DNS server with the demo's forward and reverse zones.
    pub dns: FakeDns,
    /// The merchant's website (policies, contact, checkout).
    pub website: Wiremock,
    /// The fault server of a `fault-…` scenario that has one.
    pub fault: Option<faults::FaultServer>,
    secrets: DemoSecrets,
    dir: tempfile::TempDir,
}

/// The random secrets the fakes accept.
struct DemoSecrets {
    axys_api_key: SecretString,
    pai_api_key: SecretString,
    pai_temporal_key: SecretString,
    pai_account_secret: SecretString,
    webhook_secret: SecretString,
}

/// The domain the demo's program certificate is issued for.
pub const DEMO_DOMAIN: &str = "api.golive-demo.test";
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

fn random_token(prefix: &str) -> Result<SecretString, String> {
    random_hex(prefix, 16)
}

fn random_hex(prefix: &str, len: usize) -> Result<SecretString, String> {
    let mut bytes = vec![0u8; len];
    getrandom::fill(&mut bytes).map_err(|e| format!("no randomness for demo secrets: {e}"))?;
    Ok(SecretString::from(format!("{prefix}{}", hex::encode(bytes))))
}

impl Fakes {
    /// Starts every fake on 127.0.0.1 with random ports.
    pub async fn start(scenario: Scenario) -> Result<Fakes, String> {
        Fakes::start_with(scenario, Variant::Default).await
    }

    /// Starts every fake on 127.0.0.1 with random ports, the partner fakes answering
    /// as `variant` says where the pages leave a choice open.
    pub async fn start_with(scenario: Scenario, variant: Variant) -> Result<Fakes, String> {
        let choices = variant.choices();
        let secrets = DemoSecrets {
            axys_api_key: random_token("demo_axys_")?,
            pai_api_key: random_token(&format!("{DEMO_ACCOUNT_ID}_demo_pai_"))?,
            pai_temporal_key: random_token("tmp_")?,
            // Within the partner's policy: 12 to 30 characters, an uppercase letter.
            pai_account_secret: random_hex("Demo-", 8)?,
            webhook_secret: random_token("demo_pai_whsec_")?,
        };
        let dir = private_dir()?;
        let axys = Wiremock::start().await;
        partner::mount_axys(&axys, scenario, secrets.axys_api_key.expose_secret(), choices.axys).await;
        let paymentsai = Wiremock::start().await;
        let pai_key = secrets.pai_api_key.expose_secret();
        let pai = partner::mount_paymentsai(&paymentsai, scenario, pai_key, choices.paymentsai).await;
        let pai_exchange = exchange::mount_with(
            &paymentsai,
            &pai,
            DEMO_ACCOUNT_ID,
            secrets.pai_temporal_key.expose_secret(),
            exchange::ExchangeMode::Normal,
        )
        .await;
        let fault = scenario.fault();
        let fault_server = match fault {
            Some(f) if f.layer() != faults::Layer::Dns => Some(f.start().await?),
            _ => None,
        };
        // An HTTP fault reaches the Axys-like API through its (healthy) mTLS front.
        let upstream = match (&fault_server, fault.map(faults::Fault::layer)) {
            (Some(server), Some(faults::Layer::Http)) => server.url("http"),
            _ => axys.uri(),
        };
        let axys_front = start_axys_front(scenario, &upstream, dir.path()).await?;
        let behaviour = match scenario {
            Scenario::WebhookAcceptsAnything => webhook::Behaviour::Naive,
            _ => webhook::Behaviour::Verifying,
        };
        // The merchant's receiver verifies as PaymentsAI's pages say it signs.
        let signature = paymentsai::Signature::new(secrets.webhook_secret.clone(), choices.paymentsai.signature);
        let webhook = webhook::start(signature, behaviour).await;
        let mut zone = dns::demo(scenario);
        if let Some(f) = fault {
            zone = f.dns(zone, &[DEMO_DOMAIN], &[dns::DEMO_IPV4, dns::DEMO_IPV6]);
        }
        let dns = zone.start().await?;
        let site = match scenario {
            Scenario::WebsiteMissingRefundPolicy => website::Site::NoRefundPolicy,
            _ => website::Site::Complete,
        };
        let website = website::start(site).await;
        let fault = fault_server;
        let fakes = Fakes {
            scenario,
            variant,
            axys,
            axys_front,
            paymentsai,
            pai_exchange,
            webhook,
            website,
            dns,
            fault,
            secrets,
            dir,
        };
        fakes.write_secret_files()?;
        config::write_exposure_files(fakes.dir.path())?;
        // The partner's registered destination is the merchant endpoint the
        // configuration names (a fault scenario's server when it replaces it).
        if let Some(url) = fakes.endpoints().webhook {
            pai.seed_destination(DEMO_WEBHOOK_DESTINATION_ID, &url, &DEMO_WEBHOOK_EVENT_TYPES, None);
        }
        Ok(fakes)
    }

    /// The folder holding the fakes' files (secrets, certificates).
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    fn secret_file(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    fn write_secret_files(&self) -> Result<(), String> {
        let s = &self.secrets;
        let values = [&s.axys_api_key, &s.pai_api_key, &s.pai_temporal_key, &s.pai_account_secret, &s.webhook_secret];
        for (name, value) in config::SECRET_FILES.into_iter().zip(values) {
            write_private(&self.secret_file(name), value.expose_secret().as_bytes())?;
        }
        Ok(())
    }

    /// The partner fakes `golive fake serve` lists first, as label and address
    /// (the webhook receiver, DNS and fault server follow).
    pub fn partner_listing(&self) -> [(&'static str, String); 2] {
        [
            ("axys-like API (mTLS)", format!("https://{}/v2", self.axys_front.addr)),
            ("paymentsai-like API ", self.paymentsai.uri()),
        ]
    }

    /// The environment of [`Fakes::config_toml`] that `golive fake serve` suggests running.
    pub const SUGGESTED_ENV: &'static str = config::AXYS_ENV;

    /// Where the configuration sends each client: a fault scenario sends the
    /// layers it breaks to its fault server.
    fn endpoints(&self) -> Endpoints {
        let layer = self.scenario.fault().map(faults::Fault::layer);
        let faulty = |layers: &[faults::Layer], scheme: &str| {
            self.fault.as_ref().filter(|_| layer.is_some_and(|l| layers.contains(&l))).map(|server| server.url(scheme))
        };
        use faults::Layer::{Http, Transport, Webhook as Hook};
        Endpoints {
            axys: faulty(&[Transport], "https").unwrap_or_else(|| format!("https://{}", self.axys_front.addr)),
            paymentsai: faulty(&[Transport, Http], "http").unwrap_or_else(|| self.paymentsai.uri()),
            webhook: Some(match faulty(&[Transport, Http, Hook], "http") {
                Some(base) => format!("{base}{}", webhook::PATH),
                None => format!("{}{}", self.webhook.uri(), webhook::PATH),
            }),
            website: self.website.uri(),
            dns: self.dns.addr(),
        }
    }

    /// A ready golive.toml for these fakes, secrets referenced as files: one
    /// environment per partner pack ([`config::AXYS_ENV`], [`config::PAYMENTSAI_ENV`]).
    pub fn config_toml(&self) -> String {
        config::text(self.scenario, self.variant, &self.endpoints(), self.dir.path())
    }

    /// Writes [`Fakes::config_toml`] into the fakes' folder (removed with them)
    /// and returns its path: the configuration golive's demo loads.
    pub fn write_config(&self) -> Result<PathBuf, String> {
        let path = self.dir.path().join("golive.toml");
        files::write(&path, &self.config_toml())?;
        Ok(path)
    }
}
