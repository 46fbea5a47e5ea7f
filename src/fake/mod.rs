//! The embedded fakes: real protocols on loopback for `--env demo`,
//! `golive fake serve` and the tests.
//!
//! A [`Scenario`] chooses healthy or broken behaviour, so every diagnosis can
//! be demonstrated. Secrets of the fakes are random per start and live in a
//! private temporary folder, referenced as files, never printed.

mod partner;
pub mod webhook;

use std::path::{Path, PathBuf};

use secrecy::{ExposeSecret, SecretString};
use wiremock::MockServer;

use crate::config::{Environment, Secret, SecretRef, Webhook};

/// The scheme the demo's merchant receiver verifies: PaymentsAI's.
fn pai_webhook_scheme() -> Result<crate::webhook::Scheme, String> {
    crate::webhook::scheme::from_name("paymentsai")
}

/// A behaviour of the fakes: healthy, or broken in one named way.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Scenario {
    /// Everything works: the demo passes.
    Healthy,
    /// Axys answers 403 "No Authorised IPs configured" (IP not allowlisted, or PTR not set).
    IpNotAllowlisted,
    /// Both partners reject the API key with 401.
    ApiKeyRejected,
    /// Both partner APIs answer 500.
    PartnerDown,
    /// The partner APIs answer after 30 s: probes reach their deadline.
    PartnerHangs,
    /// The merchant's webhook receiver answers 200 to everything, forgeries included.
    WebhookAcceptsAnything,
}

impl Scenario {
    /// The scenario's name on the command line.
    pub fn name(self) -> String {
        clap::ValueEnum::to_possible_value(&self).map_or_else(String::new, |v| v.get_name().to_string())
    }
}

/// The running fakes of one run.
pub struct Fakes {
    /// The scenario they play.
    pub scenario: Scenario,
    /// The Axys-like partner API.
    pub axys: MockServer,
    /// The PaymentsAI-like partner API.
    pub paymentsai: MockServer,
    /// The merchant's webhook receiver (PaymentsAI scheme).
    pub webhook: MockServer,
    secrets: DemoSecrets,
    dir: tempfile::TempDir,
}

/// The random secrets the fakes accept.
struct DemoSecrets {
    axys_api_key: SecretString,
    pai_api_key: SecretString,
    webhook_secret: SecretString,
}

/// The PaymentsAI-like account of the demo.
pub const DEMO_ACCOUNT_ID: &str = "acc_demo_0001";
/// The PaymentsAI-like organization of the demo.
pub const DEMO_ORGANIZATION_ID: &str = "org_demo01";

fn random_token(prefix: &str) -> Result<SecretString, String> {
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes).map_err(|e| format!("no randomness for demo secrets: {e}"))?;
    Ok(SecretString::from(format!("{prefix}{}", hex::encode(bytes))))
}

impl Fakes {
    /// Starts every fake on 127.0.0.1 with random ports.
    pub async fn start(scenario: Scenario) -> Result<Fakes, String> {
        let secrets = DemoSecrets {
            axys_api_key: random_token("demo_axys_")?,
            pai_api_key: random_token(&format!("{DEMO_ACCOUNT_ID}_demo_pai_"))?,
            webhook_secret: random_token("demo_pai_whsec_")?,
        };
        let dir = tempfile::Builder::new()
            .prefix("golive-fakes-")
            .tempdir()
            .map_err(|e| format!("cannot create a temporary folder for the fakes: {e}"))?;
        let axys = MockServer::start().await;
        partner::mount_axys(&axys, scenario, secrets.axys_api_key.expose_secret()).await;
        let paymentsai = MockServer::start().await;
        partner::mount_paymentsai(&paymentsai, scenario, secrets.pai_api_key.expose_secret()).await;
        let behaviour = match scenario {
            Scenario::WebhookAcceptsAnything => webhook::Behaviour::Naive,
            _ => webhook::Behaviour::Verifying,
        };
        let webhook = webhook::start(&pai_webhook_scheme()?, &secrets.webhook_secret, behaviour).await?;
        let fakes = Fakes { scenario, axys, paymentsai, webhook, secrets, dir };
        fakes.write_secret_files()?;
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
            ("webhook_secret", &self.secrets.webhook_secret),
        ] {
            write_private(&self.secret_file(name), value.expose_secret().as_bytes())?;
        }
        Ok(())
    }

    fn secret(&self, name: &str, value: &SecretString) -> Secret {
        Secret { value: value.clone(), source: SecretRef::File(self.secret_file(name)) }
    }

    /// The environments of the demo: one per pack, pointing at these fakes.
    pub fn environments(&self) -> Vec<Environment> {
        let url = |server: &MockServer, path: &str| reqwest::Url::parse(&format!("{}{path}", server.uri())).ok();
        let axys = Environment {
            name: crate::config::DEMO_ENV.to_string(),
            pack: "axys".to_string(),
            base_url: url(&self.axys, "/v2"),
            api_key: Some(self.secret("axys_api_key", &self.secrets.axys_api_key)),
            ..Environment::default()
        };
        let paymentsai = Environment {
            name: crate::config::DEMO_ENV.to_string(),
            pack: "paymentsai".to_string(),
            base_url: url(&self.paymentsai, ""),
            api_key: Some(self.secret("pai_api_key", &self.secrets.pai_api_key)),
            account_id: Some(DEMO_ACCOUNT_ID.to_string()),
            organization_id: Some(DEMO_ORGANIZATION_ID.to_string()),
            webhook: webhook::url(&self.webhook).ok().map(|url| Webhook {
                url,
                scheme: pai_webhook_scheme().ok(),
                secret: self.secret("webhook_secret", &self.secrets.webhook_secret),
            }),
            ..Environment::default()
        };
        vec![axys, paymentsai]
    }

    /// A ready `golive.toml` for these fakes, secrets referenced as files.
    pub fn config_toml(&self) -> String {
        let mut out = String::from("# golive.toml for the running fakes (scenario ");
        out.push_str(&self.scenario.name());
        out.push_str(")\n");
        for env in self.environments() {
            out.push_str(&format!("\n[env.fake-{}]\npack = \"{}\"\n", env.pack, env.pack));
            if let Some(u) = &env.base_url {
                out.push_str(&format!("base_url = \"{}\"\n", u.as_str().trim_end_matches('/')));
            }
            if let Some(k) = &env.api_key {
                out.push_str(&format!("api_key = {}\n", k.source));
            }
            for (key, value) in [("account_id", &env.account_id), ("organization_id", &env.organization_id)] {
                if let Some(v) = value {
                    out.push_str(&format!("{key} = \"{v}\"\n"));
                }
            }
            if let Some(w) = &env.webhook {
                let scheme = w.scheme.as_ref().map_or("paymentsai", |s| s.name.as_str());
                out.push_str(&format!(
                    "webhook = {{ url = \"{}\", scheme = \"{scheme}\", secret = {} }}\n",
                    w.url, w.secret.source
                ));
            }
        }
        out
    }
}

/// Writes a file only its owner can read (0600 on Unix).
pub fn write_private(path: &Path, bytes: &[u8]) -> Result<(), String> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(path).map_err(|e| format!("cannot create {}: {e}", path.display()))?;
    file.write_all(bytes).map_err(|e| format!("cannot write {}: {e}", path.display()))
}
