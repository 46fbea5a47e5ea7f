//! The embedded fakes: real protocols on loopback for `--env demo`,
//! `golive fake serve` and the tests.
//!
//! A [`Scenario`] chooses healthy or broken behaviour, so every diagnosis can
//! be demonstrated. Secrets of the fakes are random per start and live in a
//! private temporary folder, referenced as files, never printed.

mod certs;
pub mod dns;
mod partner;

use std::path::{Path, PathBuf};

pub use dns::{FakeDns, FakeDnsBuilder};

use secrecy::{ExposeSecret, SecretString};
use wiremock::MockServer;

use crate::config::{Environment, Secret, SecretRef};

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
    /// The calling IPv4 has no PTR record (NXDOMAIN); Axys answers 403.
    PtrMissing,
    /// The PTR names the provider's generic host, not a certificate name; Axys answers 403.
    PtrNotInCert,
    /// The certificate's domain has an A record elsewhere; Axys answers 403.
    APointsElsewhere,
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
    /// The authoritative DNS server with the demo's forward and reverse zones.
    pub dns: FakeDns,
    client_cert: PathBuf,
    secrets: DemoSecrets,
    dir: tempfile::TempDir,
}

/// The random secrets the fakes accept.
struct DemoSecrets {
    axys_api_key: SecretString,
    pai_api_key: SecretString,
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
        };
        let dir = tempfile::Builder::new()
            .prefix("golive-fakes-")
            .tempdir()
            .map_err(|e| format!("cannot create a temporary folder for the fakes: {e}"))?;
        let axys = MockServer::start().await;
        partner::mount_axys(&axys, scenario, secrets.axys_api_key.expose_secret()).await;
        let paymentsai = MockServer::start().await;
        partner::mount_paymentsai(&paymentsai, scenario, secrets.pai_api_key.expose_secret()).await;
        let dns = dns::demo(scenario).start().await?;
        let client_cert = certs::write_demo_client_cert(dir.path(), dns::DEMO_DOMAIN)?;
        let fakes = Fakes { scenario, axys, paymentsai, dns, client_cert, secrets, dir };
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
        for (name, value) in [("axys_api_key", &self.secrets.axys_api_key), ("pai_api_key", &self.secrets.pai_api_key)]
        {
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
            client_cert: Some(self.client_cert.clone()),
            calling_ips: vec![dns::DEMO_IPV4, dns::DEMO_IPV6],
            nameservers: vec![self.dns.addr()],
            ..Environment::default()
        };
        let paymentsai = Environment {
            name: crate::config::DEMO_ENV.to_string(),
            pack: "paymentsai".to_string(),
            base_url: url(&self.paymentsai, ""),
            api_key: Some(self.secret("pai_api_key", &self.secrets.pai_api_key)),
            account_id: Some(DEMO_ACCOUNT_ID.to_string()),
            organization_id: Some(DEMO_ORGANIZATION_ID.to_string()),
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
            if let Some(c) = &env.client_cert {
                out.push_str(&format!("client_cert = \"{}\"\n", c.display()));
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
            for (key, value) in [("account_id", &env.account_id), ("organization_id", &env.organization_id)] {
                if let Some(v) = value {
                    out.push_str(&format!("{key} = \"{v}\"\n"));
                }
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
