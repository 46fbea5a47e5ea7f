//! golive's fakes: real protocols on loopback for `golive verify --env demo`,
//! `golive fake serve` and golive's tests, written from the partners' published
//! pages (never from golive's code, which they exist to check).
//!
//! Each partner fake implements [`Partner`] in its own module and is listed
//! once in [`PARTNERS`]; [`Fakes`] starts them all beside what they share (the
//! merchant's webhook receiver and website, DNS, the fault catalogue).
//! A [`Scenario`] (shared, or one partner's own) chooses healthy or broken
//! behaviour, so every diagnosis can be demonstrated; a [`Variant`] chooses among the answers the partners' pages
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
pub mod partner;
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
pub use partner::{PARTNERS, Partner, Running};
pub use paymentsai::partner::{
    DEMO_ACCOUNT_ID, DEMO_ORGANIZATION_ID, DEMO_WEBHOOK_DESTINATION_ID, DEMO_WEBHOOK_EVENT_TYPES,
};
pub use scenario::{Outage, PartnerScenario, Scenario};
pub use variant::Variant;

use secrecy::SecretString;

use config::Endpoints;

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
    /// The partner fakes, in the order of [`PARTNERS`].
    partners: Vec<Box<dyn Running>>,
    /// The merchant's webhook receiver (the scheme of the partner that signs webhooks).
    pub webhook: Wiremock,
    /// The authoritative DNS server with the demo's forward and reverse zones.
    pub dns: FakeDns,
    /// The merchant's website (policies, contact, checkout).
    pub website: Wiremock,
    /// The fault server of a `fault-…` scenario that has one.
    pub fault: Option<faults::FaultServer>,
    dir: tempfile::TempDir,
}

/// The domain the demo's program certificate is issued for.
pub const DEMO_DOMAIN: &str = "api.golive-demo.test";
/// A random secret: `prefix` and 16 random bytes in hex.
pub(crate) fn random_token(prefix: &str) -> Result<SecretString, String> {
    random_hex(prefix, 16)
}

/// A random secret: `prefix` and `len` random bytes in hex.
pub(crate) fn random_hex(prefix: &str, len: usize) -> Result<SecretString, String> {
    let mut bytes = vec![0u8; len];
    getrandom::fill(&mut bytes).map_err(|e| format!("no randomness for demo secrets: {e}"))?;
    Ok(SecretString::from(format!("{prefix}{}", hex::encode(bytes))))
}

/// The environments of the fakes' golive.toml, one per partner, in the order of [`PARTNERS`].
pub fn environments() -> Vec<&'static str> {
    PARTNERS.iter().map(|p| p.env()).collect()
}

impl Fakes {
    /// Starts every fake on 127.0.0.1 with random ports.
    pub async fn start(scenario: Scenario) -> Result<Fakes, String> {
        Fakes::start_with(scenario, Variant::Default).await
    }

    /// Starts every fake on 127.0.0.1 with random ports, the partner fakes answering
    /// as `variant` says where the pages leave a choice open.
    pub async fn start_with(scenario: Scenario, variant: Variant) -> Result<Fakes, String> {
        let dir = private_dir()?;
        let fault = scenario.fault();
        let fault_server = match fault {
            Some(f) if f.layer() != faults::Layer::Dns => Some(f.start().await?),
            _ => None,
        };
        // An HTTP fault replaces the partners' HTTP servers (behind a healthy TLS front).
        let http_fault = match (&fault_server, fault.map(faults::Fault::layer)) {
            (Some(server), Some(faults::Layer::Http)) => Some(server.url("http")),
            _ => None,
        };
        let mut partners = Vec::with_capacity(PARTNERS.len());
        for p in PARTNERS {
            let at = partner::Start {
                scenario,
                choices: variant.choices(),
                dir: dir.path(),
                http_fault: http_fault.clone(),
            };
            partners.push(p.start(at).await?);
        }
        let behaviour = match scenario {
            Scenario::WebhookAcceptsAnything => webhook::Behaviour::Naive,
            _ => webhook::Behaviour::Verifying,
        };
        // The demo has one receiver (one `webhook` in the configuration): it
        // verifies the deliveries of the one partner fake that signs them.
        let verifiers: Vec<Box<dyn webhook::Verify>> = partners.iter().filter_map(|p| p.webhook_verifier()).collect();
        let signers = verifiers.len();
        let Some(verifier) = verifiers.into_iter().next().filter(|_| signers == 1) else {
            return Err(format!(
                "the merchant's webhook receiver verifies one partner's deliveries, and {signers} partner fakes sign webhooks"
            ));
        };
        let webhook = webhook::start(verifier, behaviour).await;
        let ipv4 = PARTNERS
            .iter()
            .map(|p| p.calling_ipv4(scenario))
            .find(|records| *records != dns::CallingIpv4::Healthy)
            .unwrap_or(dns::CallingIpv4::Healthy);
        let mut zone = dns::demo(ipv4);
        if let Some(f) = fault {
            zone = f.dns(zone, &[DEMO_DOMAIN], &[dns::DEMO_IPV4, dns::DEMO_IPV6]);
        }
        let dns = zone.start().await?;
        let site = match scenario {
            Scenario::WebsiteMissingRefundPolicy => website::Site::NoRefundPolicy,
            _ => website::Site::Complete,
        };
        let website = website::start(site).await;
        let fakes = Fakes { scenario, variant, partners, webhook, website, dns, fault: fault_server, dir };
        config::write_exposure_files(fakes.dir.path())?;
        if let Some(url) = fakes.endpoints().webhook {
            for partner in &fakes.partners {
                partner.webhook_endpoint(&url);
            }
        }
        Ok(fakes)
    }

    /// The folder holding the fakes' files (secrets, certificates).
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// The running partner fakes with their entries of [`PARTNERS`].
    pub fn partners(&self) -> impl Iterator<Item = (&'static dyn Partner, &dyn Running)> {
        PARTNERS.iter().copied().zip(self.partners.iter().map(|p| &**p))
    }

    /// The API of the partner fake named `name` (`axys`, `paymentsai`).
    pub fn api(&self, name: &str) -> Option<&Wiremock> {
        self.partners().find(|(p, _)| p.name() == name).map(|(_, running)| running.api())
    }

    /// The running partner fake of type `T` (e.g. [`paymentsai::partner::PaymentsAiRunning`],
    /// with its key exchange), for what only that partner offers.
    pub fn partner<T: Running>(&self) -> Option<&T> {
        self.partners.iter().find_map(|p| (&**p as &dyn std::any::Any).downcast_ref::<T>())
    }

    /// The partner fakes `golive fake serve` lists first, as label and address
    /// (the webhook receiver, DNS and fault server follow).
    pub fn partner_listing(&self) -> Vec<(&'static str, String)> {
        self.partners.iter().map(|p| p.listing()).collect()
    }

    /// The environment of [`Fakes::config_toml`] that `golive fake serve` suggests running.
    pub const SUGGESTED_ENV: &'static str = axys::partner::ENV;

    /// Where the configuration sends each client: a fault scenario sends the
    /// layers it breaks to its fault server.
    fn endpoints(&self) -> Endpoints {
        let layer = self.scenario.fault().map(faults::Fault::layer);
        let faulty = |layers: &[faults::Layer], scheme: &str| {
            self.fault.as_ref().filter(|_| layer.is_some_and(|l| layers.contains(&l))).map(|server| server.url(scheme))
        };
        use faults::Layer::{Http, Transport, Webhook as Hook};
        Endpoints {
            // An HTTP fault is already each partner's upstream (`partner::Start::upstream`).
            partners: self
                .partners()
                .map(|(partner, running)| faulty(&[Transport], partner.scheme()).unwrap_or_else(|| running.url()))
                .collect(),
            webhook: Some(match faulty(&[Transport, Http, Hook], "http") {
                Some(base) => format!("{base}{}", webhook::PATH),
                None => format!("{}{}", self.webhook.uri(), webhook::PATH),
            }),
            website: self.website.uri(),
            dns: self.dns.addr(),
        }
    }

    /// A ready golive.toml for these fakes, secrets referenced as files: one
    /// environment per partner pack (see [`environments`]).
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
