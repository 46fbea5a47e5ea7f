//! The embedded fakes: real protocols on loopback for `--env demo`,
//! `golive fake serve` and the tests.
//!
//! A [`Scenario`] chooses healthy or broken behaviour, so every diagnosis can
//! be demonstrated; a [`Variant`] chooses among the answers the partners' pages
//! leave open, so no pack passes only by sharing the fakes' guesses. Secrets of the fakes are random per start and live in a
//! private temporary folder, referenced as files, never printed.

pub mod axys;
/// The former name of [`axys`], kept for callers.
pub use axys as axys_flow;
pub mod certs;
pub mod dns;
pub mod exchange;
pub mod faults;
pub mod mock;
pub mod mtls_front;
mod partner;
pub mod paymentsai;
pub mod variant;
pub mod webhook;
pub mod website;

use std::path::{Path, PathBuf};

pub use dns::{FakeDns, FakeDnsBuilder};
pub use mock::Wiremock;
pub use variant::Variant;

use secrecy::{ExposeSecret, SecretString};

use crate::config::{Environment, Input, Secret, SecretRef, Webhook};
pub use crate::files::write_private;

/// The scheme the demo's merchant receiver verifies: PaymentsAI's.
fn pai_webhook_scheme() -> Result<crate::webhook::Scheme, String> {
    crate::webhook::scheme::from_name("paymentsai")
}

/// Declares [`Scenario`] from one table: each named scenario's command-line
/// name and what it breaks. The fault catalogue's scenarios come from
/// [`faults::Fault`]'s own table, so no fault is listed twice.
macro_rules! scenarios {
    ($($variant:ident = $name:literal => $help:literal,)*) => {
        /// A behaviour of the fakes: healthy, or broken in one named way.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum Scenario {
            $(#[doc = $help] $variant,)*
            /// A fault of the catalogue (src/fake/faults.rs), `fault-<name>`: the
            /// probes it does not reach must still pass.
            Fault(faults::Fault),
        }

        impl Scenario {
            /// The named scenarios, in listing order (the faults follow them).
            const NAMED: &'static [Scenario] = &[$(Scenario::$variant),*];

            /// The scenario's name on the command line, e.g. `wrong-key` or `fault-http-429`.
            pub fn as_str(self) -> &'static str {
                match self {
                    $(Scenario::$variant => $name,)*
                    Scenario::Fault(f) => f.scenario_name(),
                }
            }

            /// What the scenario breaks, one line (`golive fake scenarios`).
            pub fn help(self) -> &'static str {
                match self {
                    $(Scenario::$variant => $help,)*
                    Scenario::Fault(f) => f.scenario_help(),
                }
            }
        }
    };
}

scenarios! {
    Healthy = "healthy" => "Everything works: the demo passes",
    IpNotAllowlisted = "ip-not-allowlisted" => "Axys answers 403 \"No Authorised IPs configured\" (IP not allowlisted, or PTR not set)",
    WrongKey = "wrong-key" => "The configured private key does not belong to the program certificate",
    CertExpired = "cert-expired" => "The program certificate expired yesterday",
    CertExpiringSoon = "cert-expiring-soon" => "The program certificate expires in 10 days",
    UntrustedCa = "untrusted-ca" => "The program certificate is signed by a CA the partner does not trust",
    NoClientCert = "no-client-cert" => "The environment has no client certificate at all",
    MtlsNotEnforced = "mtls-not-enforced" => "The partner's front never asks for a client certificate",
    ApiKeyRejected = "api-key-rejected" => "Both partners reject the API key with 401",
    PartnerDown = "partner-down" => "Both partner APIs answer 500",
    PartnerHangs = "partner-hangs" => "The partner APIs answer after 30 s: probes reach their deadline",
    WebhookAcceptsAnything = "webhook-accepts-anything" => "The merchant's webhook receiver answers 200 to everything, forgeries included",
    PtrMissing = "ptr-missing" => "The calling IPv4 has no PTR record (NXDOMAIN); Axys answers 403",
    PtrNotInCert = "ptr-not-in-cert" => "The PTR names the provider's generic host, not a certificate name; Axys answers 403",
    APointsElsewhere = "a-points-elsewhere" => "The certificate's domain has an A record elsewhere; Axys answers 403",
    Starts403Halfway = "starts-403-halfway" => "Axys answers its first 3 authenticated requests, then 403 \"No Authorised IPs configured\": a launch-day allowlist loss for `--watch` to catch",
    WebsiteMissingRefundPolicy = "website-missing-refund-policy" => "The merchant's website publishes no Refund Policy",
}

impl Scenario {
    /// Every scenario, in listing order: the named ones, then one per fault of
    /// the catalogue.
    pub fn all() -> &'static [Scenario] {
        static ALL: std::sync::LazyLock<Vec<Scenario>> = std::sync::LazyLock::new(|| {
            Scenario::NAMED.iter().copied().chain(faults::Fault::ALL.iter().map(|&f| Scenario::Fault(f))).collect()
        });
        &ALL
    }

    /// The scenario's name on the command line.
    pub fn name(self) -> String {
        self.as_str().to_string()
    }

    /// The fault of a `fault-<name>` scenario.
    pub fn fault(self) -> Option<faults::Fault> {
        match self {
            Scenario::Fault(f) => Some(f),
            _ => None,
        }
    }
}

/// `--scenario NAME`: parsed from and listed by the one table above.
impl clap::ValueEnum for Scenario {
    fn value_variants<'a>() -> &'a [Self] {
        Scenario::all()
    }

    fn to_possible_value(&self) -> Option<clap::builder::PossibleValue> {
        Some(clap::builder::PossibleValue::new(self.as_str()).help(self.help()))
    }
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
        let dir = tempfile::Builder::new()
            .prefix("golive-fakes-")
            .tempdir()
            .map_err(|e| format!("cannot create a temporary folder for the fakes: {e}"))?;
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
        let receiver_scheme = paymentsai::signature_scheme(choices.paymentsai.signature)?;
        let webhook = webhook::start(&receiver_scheme, &secrets.webhook_secret, behaviour).await?;
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
        write_exposure_files(fakes.dir.path())?;
        // The partner's registered destination is the merchant endpoint the
        // environment names (a fault scenario's server when it replaces it).
        if let Some(w) = fakes.environments().iter().find_map(|e| e.webhook.as_ref()) {
            pai.seed_destination(DEMO_WEBHOOK_DESTINATION_ID, w.url.as_str(), &DEMO_WEBHOOK_EVENT_TYPES, None);
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
        for (name, value) in [
            ("axys_api_key", &self.secrets.axys_api_key),
            ("pai_api_key", &self.secrets.pai_api_key),
            ("pai_temporal_key", &self.secrets.pai_temporal_key),
            ("pai_account_secret", &self.secrets.pai_account_secret),
            ("webhook_secret", &self.secrets.webhook_secret),
        ] {
            write_private(&self.secret_file(name), value.expose_secret().as_bytes())?;
        }
        Ok(())
    }

    /// The environments of the demo: one per pack, pointing at these fakes.
    pub fn environments(&self) -> Vec<Environment> {
        // A fault scenario sends the layers it breaks to its fault server.
        let layer = self.scenario.fault().map(faults::Fault::layer);
        let faulty = |layers: &[faults::Layer], scheme: &str| {
            self.fault.as_ref().filter(|_| layer.is_some_and(|l| layers.contains(&l))).map(|server| server.url(scheme))
        };
        use faults::Layer::{Http, Transport, Webhook as Hook};
        let at = Endpoints {
            axys: faulty(&[Transport], "https").unwrap_or_else(|| format!("https://{}", self.axys_front.addr)),
            paymentsai: faulty(&[Transport, Http], "http").unwrap_or_else(|| self.paymentsai.uri()),
            webhook: faulty(&[Transport, Http, Hook], "http")
                .and_then(|base| reqwest::Url::parse(&format!("{base}{}", webhook::PATH)).ok())
                .or_else(|| webhook::url(&self.webhook).ok()),
            website: self.website.uri(),
            dns: self.dns.addr(),
        };
        demo_environments(self.scenario, &at, &self.secrets, self.dir.path())
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
    pub const SUGGESTED_ENV: &'static str = "fake-axys";

    /// A ready `golive.toml` for these fakes, secrets referenced as files.
    pub fn config_toml(&self) -> String {
        let mut out = format!("{CONFIG_HEADER} (scenario ");
        out.push_str(&self.scenario.name());
        out.push_str(", variant ");
        out.push_str(self.variant.as_str());
        out.push_str(")\n");
        for env in self.environments() {
            out.push_str(&format!("\n[env.fake-{}]\npack = \"{}\"\n", env.pack, env.pack));
            if let Some(u) = &env.base_url {
                out.push_str(&format!("base_url = \"{}\"\n", u.as_str().trim_end_matches('/')));
            }
            if let Some(k) = &env.api_key {
                out.push_str(&format!("api_key = {}\n", k.source));
            }
            for (key, path) in [
                ("client_cert", &env.client_cert),
                ("client_key", &env.client_key),
                ("server_ca", &env.server_ca),
                ("client_chain", &env.client_chain),
            ] {
                if let Some(p) = path {
                    out.push_str(&format!("{key} = \"{}\"\n", p.display()));
                }
            }
            let quoted = |list: Vec<String>| list.iter().map(|v| format!("\"{v}\"")).collect::<Vec<_>>().join(", ");
            if !env.calling_ips.is_empty() {
                out.push_str(&format!(
                    "calling_ips = [{}]\n",
                    quoted(env.calling_ips.iter().map(|i| i.to_string()).collect())
                ));
            }
            if !env.nameservers.is_empty() {
                out.push_str(&format!(
                    "nameservers = [{}]\n",
                    quoted(env.nameservers.iter().map(|n| n.to_string()).collect())
                ));
            }
            if let Some(u) = &env.website_url {
                out.push_str(&format!("website_url = \"{}\"\n", u.as_str().trim_end_matches('/')));
            }
            // Every input the pack declares, the key exchange's secrets and key file
            // included: the configuration runs with --allow-mutations as the demo does.
            for (key, value) in &env.inputs {
                match value {
                    crate::config::Input::Text(v) => out.push_str(&format!("{key} = \"{v}\"\n")),
                    crate::config::Input::Secret(s) => out.push_str(&format!("{key} = {}\n", s.source)),
                    crate::config::Input::Path(p) => out.push_str(&format!("{key} = \"{}\"\n", p.display())),
                }
            }
            // The fakes' state (secret history, resumed flows) stays in their folder.
            out.push_str(&format!("state_file = \"{}\"\n", self.dir().join("state.json").display()));
            if !env.features.is_empty() {
                out.push_str(&format!("features = [{}]\n", quoted(env.features.clone())));
            }
            if let Some(w) = &env.webhook {
                let scheme = w.scheme.as_ref().map_or("paymentsai", |s| s.name.as_str());
                let destination = env
                    .webhook_destination_id
                    .as_ref()
                    .map(|d| format!(", destination_id = \"{d}\""))
                    .unwrap_or_default();
                out.push_str(&format!(
                    "webhook = {{ url = \"{}\", scheme = \"{scheme}\", secret = {}{destination} }}\n",
                    w.url, w.secret.source
                ));
            }
            if let Some(stage) = env.stage {
                out.push_str(&format!("stage = \"{}\"\n", stage.name()));
            }
            if !env.extra_stages.is_empty() {
                let names: Vec<String> = env.extra_stages.iter().map(|s| s.name().to_string()).collect();
                out.push_str(&format!("extra_stages = [{}]\n", quoted(names)));
            }
            if let Some(e) = &env.exposure {
                let paths = |list: &[PathBuf]| quoted(list.iter().map(|p| p.display().to_string()).collect());
                out.push_str(&format!(
                    "exposure = {{ bundles = [{}], pages = [{}], logs = [{}] }}\n",
                    paths(&e.bundles),
                    quoted(e.pages.iter().map(|u| u.to_string()).collect()),
                    quoted(e.logs.clone())
                ));
            }
        }
        out
    }
}

/// Where the demo's fakes listen (base URLs).
struct Endpoints {
    axys: String,
    paymentsai: String,
    webhook: Option<reqwest::Url>,
    website: String,
    dns: std::net::SocketAddr,
}

/// The first line of [`Fakes::config_toml`]: `fake serve --write-config`
/// replaces only a file that starts with it.
pub const CONFIG_HEADER: &str = "# golive.toml for the running fakes";

/// The port the planned demo's addresses name (the discard port: nothing
/// is sent there; `golive list` says what it stands for).
pub const PLANNED_PORT: u16 = 9;

/// The demo's environments as `golive list` needs them: the same keys and
/// values, but nothing started and nothing written (placeholder addresses
/// and secrets that no request will ever use).
pub fn planned_environments(scenario: Scenario) -> Vec<Environment> {
    let placeholder = || SecretString::from("not-started".to_string());
    let secrets = DemoSecrets {
        axys_api_key: placeholder(),
        pai_api_key: placeholder(),
        pai_temporal_key: placeholder(),
        pai_account_secret: placeholder(),
        webhook_secret: placeholder(),
    };
    let local = |scheme: &str| format!("{scheme}://127.0.0.1:{PLANNED_PORT}");
    let at = Endpoints {
        axys: local("https"),
        paymentsai: local("http"),
        webhook: reqwest::Url::parse(&format!("{}/webhooks", local("http"))).ok(),
        website: local("http"),
        dns: std::net::SocketAddr::from(([127, 0, 0, 1], PLANNED_PORT)),
    };
    demo_environments(scenario, &at, &secrets, &std::env::temp_dir().join("golive-fakes"))
}

fn demo_environments(scenario: Scenario, at: &Endpoints, secrets: &DemoSecrets, dir: &Path) -> Vec<Environment> {
    let secret =
        |name: &str, value: &SecretString| Secret { value: value.clone(), source: SecretRef::File(dir.join(name)) };
    let url = |base: &str, path: &str| reqwest::Url::parse(&format!("{base}{path}")).ok();
    let with_cert = scenario != Scenario::NoClientCert;
    let axys = Environment {
        name: crate::config::DEMO_ENV.to_string(),
        pack: "axys".to_string(),
        base_url: url(&at.axys, "/v2"),
        api_key: Some(secret("axys_api_key", &secrets.axys_api_key)),
        client_cert: with_cert.then(|| dir.join(PROGRAM_CERT)),
        client_key: with_cert.then(|| dir.join(PROGRAM_KEY)),
        server_ca: Some(dir.join(PARTNER_ROOT)),
        client_chain: Some(dir.join(PROGRAM_CA)),
        calling_ips: vec![dns::DEMO_IPV4, dns::DEMO_IPV6],
        nameservers: vec![at.dns],
        // The fakes play the partners' staging environments, with every
        // optional program feature the Axys pack knows, so the demo runs them all.
        stage: Some(crate::config::Stage::Staging),
        features: ["physical-card", "bank-deposit", "wallets", "3ds"].map(String::from).to_vec(),
        exposure: Some(demo_exposure(dir, None)),
        ..Environment::default()
    };
    let paymentsai = Environment {
        name: crate::config::DEMO_ENV.to_string(),
        pack: "paymentsai".to_string(),
        base_url: url(&at.paymentsai, ""),
        api_key: Some(secret("pai_api_key", &secrets.pai_api_key)),
        // The inputs probes/paymentsai.toml declares, in its order.
        inputs: vec![
            ("account_id".into(), Input::Text(DEMO_ACCOUNT_ID.to_string())),
            ("organization_id".into(), Input::Text(DEMO_ORGANIZATION_ID.to_string())),
            ("temporal_api_key".into(), Input::Secret(secret("pai_temporal_key", &secrets.pai_temporal_key))),
            ("account_secret".into(), Input::Secret(secret("pai_account_secret", &secrets.pai_account_secret))),
            ("permanent_key_file".into(), Input::Path(dir.join("pai-permanent.key"))),
        ],
        state_file: Some(dir.join("state.json")),
        webhook: at.webhook.clone().map(|url| Webhook {
            url,
            scheme: pai_webhook_scheme().ok(),
            secret: secret("webhook_secret", &secrets.webhook_secret),
        }),
        website_url: url(&at.website, "/"),
        webhook_destination_id: Some(DEMO_WEBHOOK_DESTINATION_ID.to_string()),
        stage: Some(crate::config::Stage::Staging),
        // Its fakes also answer Stage 5's one-time key exchange, a production step.
        extra_stages: vec![crate::config::Stage::Production],
        exposure: Some(demo_exposure(dir, url(&at.website, "/checkout"))),
        ..Environment::default()
    };
    vec![axys, paymentsai]
}

/// The demo's `exposure` sources: a clean front-end bundle and a log whose
/// card numbers are masked (written by [`write_exposure_files`]), and the
/// website's checkout page with the script it loads. The demo needs no git, so
/// it names no repository.
fn demo_exposure(dir: &Path, page: Option<reqwest::Url>) -> crate::config::Exposure {
    crate::config::Exposure {
        repo: None,
        bundles: vec![dir.join("exposure").join("dist")],
        pages: page.into_iter().collect(),
        logs: vec![dir.join("exposure").join("logs").join("*.log").display().to_string()],
    }
}

/// Writes the demo's clean bundle and masked log.
fn write_exposure_files(dir: &Path) -> Result<(), String> {
    let base = dir.join("exposure");
    let write = |rel: &str, text: &str| {
        let path = base.join(rel);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(|e| format!("cannot create {}: {e}", parent.display()))?;
        }
        std::fs::write(&path, text).map_err(|e| format!("cannot write {}: {e}", path.display()))
    };
    // The browser calls the shop's backend, which holds the partner keys.
    write("dist/checkout.js", "fetch('/api/checkout', { method: 'POST', body: JSON.stringify(order) });\n")?;
    write(
        "logs/app.log",
        "2026-11-27T10:00:00Z INFO card issued id=crd_1 pan=411111******1111 cvv=***\n\
2026-11-27T10:00:01Z INFO payment ok amount=4900 currency=USD last4=4242\n",
    )
}

/// File names of the demo's certificates in the fakes' folder.
const PROGRAM_CERT: &str = "axys-program.crt";
const PROGRAM_KEY: &str = "axys-program.key";
/// The partner's server root (`server_ca`).
const PARTNER_ROOT: &str = "axys-server-ca.pem";
/// The CA the partner signs program certificates with (`client_chain`).
const PROGRAM_CA: &str = "axys-program-ca.pem";

/// Makes the demo's PKI for a scenario, writes the client's files and starts
/// the Axys-like mTLS front before the wiremock API.
async fn start_axys_front(scenario: Scenario, upstream: &str, dir: &Path) -> Result<mtls_front::Front, String> {
    use certs::{Authority, LeafSpec};
    let partner_root = Authority::new("golive fake partner root CA")?;
    let program_ca = Authority::new("golive fake program CA")?;
    let server = partner_root.leaf(&LeafSpec::server(&["127.0.0.1", "localhost"]))?;
    let names = [DEMO_DOMAIN];
    let mut leaf = LeafSpec::client(DEMO_DOMAIN, &names);
    match scenario {
        Scenario::CertExpired => (leaf.valid_from_days, leaf.valid_until_days) = (-91, -1),
        Scenario::CertExpiringSoon => (leaf.valid_from_days, leaf.valid_until_days) = (-80, 10),
        _ => {}
    }
    let signer =
        if scenario == Scenario::UntrustedCa { Authority::new("golive fake untrusted CA")? } else { program_ca };
    let mut client = signer.leaf(&leaf)?;
    if scenario == Scenario::WrongKey {
        client.key_pem = rcgen::KeyPair::generate_rsa_for(&rcgen::PKCS_RSA_SHA256, rcgen::RsaKeySize::_2048)
            .map_err(|e| format!("key generation failed: {e}"))?
            .serialize_pem();
    }
    std::fs::write(dir.join(PROGRAM_CERT), &client.cert_pem)
        .map_err(|e| format!("cannot write {PROGRAM_CERT}: {e}"))?;
    write_private(&dir.join(PROGRAM_KEY), client.key_pem.as_bytes())?;
    let program_ca_pem = if scenario == Scenario::UntrustedCa {
        Authority::new("golive fake program CA")?.cert_pem()
    } else {
        signer.cert_pem()
    };
    // The root of the partner's server certificates, and the CA that signs
    // program certificates (the client chain verifies to it), each in its file.
    std::fs::write(dir.join(PARTNER_ROOT), partner_root.cert_pem())
        .map_err(|e| format!("cannot write {PARTNER_ROOT}: {e}"))?;
    std::fs::write(dir.join(PROGRAM_CA), &program_ca_pem).map_err(|e| format!("cannot write {PROGRAM_CA}: {e}"))?;
    let client_auth = match scenario {
        Scenario::MtlsNotEnforced => mtls_front::ClientAuth::NotRequested,
        _ => mtls_front::ClientAuth::Required(program_ca_pem),
    };
    let allowlist = match scenario {
        Scenario::IpNotAllowlisted => vec![],
        _ => vec![std::net::IpAddr::from([127, 0, 0, 1])],
    };
    mtls_front::start(mtls_front::FrontConfig {
        server,
        client_auth,
        allowlist,
        upstream: upstream.to_string(),
        versions: rustls::DEFAULT_VERSIONS,
    })
    .await
}

#[cfg(test)]
mod scenario_tests {
    use super::*;

    #[test]
    fn every_scenario_has_one_name_that_parses_back_to_it() {
        let all = Scenario::all();
        assert_eq!(all.len(), Scenario::NAMED.len() + faults::Fault::ALL.len());
        let mut names = std::collections::BTreeSet::new();
        for &s in all {
            assert!(names.insert(s.as_str()), "{} named twice", s.as_str());
            assert_eq!(<Scenario as clap::ValueEnum>::from_str(s.as_str(), false), Ok(s));
            assert!(!s.help().is_empty() && !s.help().ends_with('.'), "{}", s.as_str());
            assert_eq!(s.fault().map(faults::Fault::scenario_name), s.fault().map(|_| s.as_str()));
        }
        assert_eq!(Scenario::Fault(faults::Fault::RateLimited).as_str(), "fault-http-429");
    }
}
