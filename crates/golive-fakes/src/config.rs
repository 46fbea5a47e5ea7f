//! The golive.toml the fakes hand over: the text of one environment per partner
//! pack, pointing at the running fakes (or, planned, at placeholders), with the
//! secrets and certificates referenced as files of the fakes' private folder.
//!
//! golive's demo has the fakes write it ([`crate::Fakes::write_config`]) and loads
//! it through its normal configuration loader, as a user loads what `golive fake
//! serve --write-config` wrote; the keys are the ones
//! golive's README documents for `[env.NAME]` and the packs' `[inputs]`.

use std::net::SocketAddr;
use std::path::Path;

use crate::files::{write, write_private};
use crate::pki::{PARTNER_ROOT, PROGRAM_CA, PROGRAM_CERT, PROGRAM_KEY};
use crate::{DEMO_ACCOUNT_ID, DEMO_ORGANIZATION_ID, DEMO_WEBHOOK_DESTINATION_ID, Scenario, Variant, dns};

/// The first line of the configuration: `fake serve --write-config` replaces
/// only a file that starts with it.
pub const CONFIG_HEADER: &str = "# golive.toml for the running fakes";

/// The environment playing the Axys pack.
pub const AXYS_ENV: &str = "fake-axys";
/// The environment playing the PaymentsAI pack.
pub const PAYMENTSAI_ENV: &str = "fake-paymentsai";

/// The port the planned demo's addresses name (the discard port: nothing
/// is sent there; `golive list` says what it stands for).
pub const PLANNED_PORT: u16 = 9;

/// The file names of the secrets in the fakes' folder.
pub(crate) const SECRET_FILES: [&str; 5] =
    ["axys_api_key", "pai_api_key", "pai_temporal_key", "pai_account_secret", "webhook_secret"];

/// Where the fakes listen (base URLs).
pub(crate) struct Endpoints {
    pub axys: String,
    pub paymentsai: String,
    pub webhook: Option<String>,
    pub website: String,
    pub dns: SocketAddr,
}

impl Endpoints {
    /// Addresses on the discard port, for a configuration nothing is sent with.
    pub fn planned() -> Endpoints {
        let local = |scheme: &str| format!("{scheme}://127.0.0.1:{PLANNED_PORT}");
        Endpoints {
            axys: local("https"),
            paymentsai: local("http"),
            webhook: Some(format!("{}/webhooks", local("http"))),
            website: local("http"),
            dns: SocketAddr::from(([127, 0, 0, 1], PLANNED_PORT)),
        }
    }
}

/// A TOML string (JSON's escapes are TOML's for a basic string).
fn quote(text: &str) -> String {
    serde_json::Value::from(text).to_string()
}

fn list<I: IntoIterator<Item = String>>(items: I) -> String {
    let items: Vec<String> = items.into_iter().map(|i| quote(&i)).collect();
    format!("[{}]", items.join(", "))
}

/// The configuration's text: one environment per partner pack.
pub(crate) fn text(scenario: Scenario, variant: Variant, at: &Endpoints, dir: &Path) -> String {
    let path = |name: &str| quote(&dir.join(name).display().to_string());
    let secret = |name: &str| format!("{{ file = {} }}", path(name));
    let logs = dir.join("exposure").join("logs").join("*.log").display().to_string();
    let exposure = |pages: Vec<String>| {
        format!(
            "exposure = {{ bundles = {}, pages = {}, logs = {} }}\n",
            list([dir.join("exposure").join("dist").display().to_string()]),
            list(pages),
            list([logs.clone()])
        )
    };
    let mut out = format!("{CONFIG_HEADER} (scenario {}, variant {})\n", scenario.as_str(), variant.as_str());
    out.push_str(&format!("\n[env.{AXYS_ENV}]\npack = \"axys\"\n"));
    out.push_str(&format!("base_url = {}\n", quote(&format!("{}/v2", at.axys))));
    out.push_str(&format!("api_key = {}\n", secret("axys_api_key")));
    if scenario != Scenario::NoClientCert {
        out.push_str(&format!("client_cert = {}\nclient_key = {}\n", path(PROGRAM_CERT), path(PROGRAM_KEY)));
    }
    out.push_str(&format!("server_ca = {}\nclient_chain = {}\n", path(PARTNER_ROOT), path(PROGRAM_CA)));
    out.push_str(&format!("calling_ips = {}\n", list([dns::DEMO_IPV4, dns::DEMO_IPV6].map(|ip| ip.to_string()))));
    out.push_str(&format!("nameservers = {}\n", list([at.dns.to_string()])));
    // The fakes' state (secret history, resumed flows) stays in their folder.
    out.push_str(&format!("state_file = {}\n", path("state.json")));
    // The fakes play the partners' staging environments, with every optional
    // program feature the Axys pack knows, so the demo runs them all.
    out.push_str(&format!(
        "features = {}\n",
        list(["physical-card", "bank-deposit", "wallets", "3ds"].map(String::from))
    ));
    out.push_str("stage = \"staging\"\n");
    // The demo needs no git, so it names no repository.
    out.push_str(&exposure(Vec::new()));

    out.push_str(&format!("\n[env.{PAYMENTSAI_ENV}]\npack = \"paymentsai\"\n"));
    out.push_str(&format!("base_url = {}\n", quote(&at.paymentsai)));
    out.push_str(&format!("api_key = {}\n", secret("pai_api_key")));
    out.push_str(&format!("website_url = {}\n", quote(&at.website)));
    // The inputs probes/paymentsai.toml declares, in its order.
    out.push_str(&format!("account_id = {}\n", quote(DEMO_ACCOUNT_ID)));
    out.push_str(&format!("organization_id = {}\n", quote(DEMO_ORGANIZATION_ID)));
    out.push_str(&format!("temporal_api_key = {}\n", secret("pai_temporal_key")));
    out.push_str(&format!("account_secret = {}\n", secret("pai_account_secret")));
    out.push_str(&format!("permanent_key_file = {}\n", path("pai-permanent.key")));
    out.push_str(&format!("state_file = {}\n", path("state.json")));
    if let Some(url) = &at.webhook {
        out.push_str(&format!(
            "webhook = {{ url = {}, scheme = \"paymentsai\", secret = {}, destination_id = {} }}\n",
            quote(url),
            secret("webhook_secret"),
            quote(DEMO_WEBHOOK_DESTINATION_ID)
        ));
    }
    out.push_str("stage = \"staging\"\n");
    // Its fakes also answer Stage 5's one-time key exchange, a production step.
    out.push_str("extra_stages = [\"production\"]\n");
    out.push_str(&exposure(vec![format!("{}/checkout", at.website)]));
    out
}

/// Writes the demo's clean bundle and masked log (the `exposure` sources).
pub(crate) fn write_exposure_files(dir: &Path) -> Result<(), String> {
    let base = dir.join("exposure");
    // The browser calls the shop's backend, which holds the partner keys.
    write(
        &base.join("dist").join("checkout.js"),
        "fetch('/api/checkout', { method: 'POST', body: JSON.stringify(order) });\n",
    )?;
    write(
        &base.join("logs").join("app.log"),
        "2026-11-27T10:00:00Z INFO card issued id=crd_1 pan=411111******1111 cvv=***\n\
2026-11-27T10:00:01Z INFO payment ok amount=4900 currency=USD last4=4242\n",
    )
}

/// A configuration for fakes that are not started (`golive list --env demo`):
/// the same keys, placeholder addresses, and placeholder files in a private
/// folder that is removed when this is dropped.
pub struct Planned {
    /// Kept for the placeholder files' lifetime: removed on drop.
    _dir: tempfile::TempDir,
    config: std::path::PathBuf,
}

impl Planned {
    /// Writes the planned configuration of `scenario` and its placeholder files.
    pub fn write(scenario: Scenario, variant: Variant) -> Result<Planned, String> {
        let dir = crate::private_dir()?;
        let placeholder = b"not started: nothing is sent with a planned configuration\n";
        for name in SECRET_FILES.iter().chain(&[PROGRAM_CERT, PROGRAM_KEY, PARTNER_ROOT, PROGRAM_CA]) {
            write_private(&dir.path().join(name), placeholder)?;
        }
        write_exposure_files(dir.path())?;
        let config = dir.path().join("golive.toml");
        write(&config, &text(scenario, variant, &Endpoints::planned(), dir.path()))?;
        Ok(Planned { _dir: dir, config })
    }

    /// The configuration file.
    pub fn config(&self) -> &Path {
        &self.config
    }
}
