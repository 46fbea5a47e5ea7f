//! The golive.toml the fakes hand over: the text of one environment per partner
//! fake of [`PARTNERS`] (its table's keys are the partner's own,
//! [`crate::Partner::env_toml`], written with [`EnvAt`]), pointing at the running
//! fakes (or, planned, at placeholders), with the secrets and certificates
//! referenced as files of the fakes' private folder.
//!
//! golive's demo has the fakes write it ([`crate::Fakes::write_config`]) and loads
//! it through its normal configuration loader, as a user loads what `golive fake
//! serve --write-config` wrote; the keys are the ones
//! golive's README documents for `[env.NAME]` and the packs' `[inputs]`.

use std::net::SocketAddr;
use std::path::Path;

use crate::files::{write, write_private};
use crate::partner::PARTNERS;
use crate::{Scenario, Variant};

/// The first line of the configuration: `fake serve --write-config` replaces
/// only a file that starts with it.
pub const CONFIG_HEADER: &str = "# golive.toml for the running fakes";

/// The port the planned demo's addresses name (the discard port: nothing
/// is sent there; `golive list` says what it stands for).
pub const PLANNED_PORT: u16 = 9;

/// Where the fakes listen (base URLs).
pub(crate) struct Endpoints {
    /// Each partner's, in the order of [`PARTNERS`].
    pub partners: Vec<String>,
    pub webhook: Option<String>,
    pub website: String,
    pub dns: SocketAddr,
}

impl Endpoints {
    /// Addresses on the discard port, for a configuration nothing is sent with.
    pub fn planned() -> Endpoints {
        let local = |scheme: &str| format!("{scheme}://127.0.0.1:{PLANNED_PORT}");
        Endpoints {
            partners: PARTNERS.iter().map(|p| local(p.scheme())).collect(),
            webhook: Some(format!("{}/webhooks", local("http"))),
            website: local("http"),
            dns: SocketAddr::from(([127, 0, 0, 1], PLANNED_PORT)),
        }
    }
}

/// A TOML string (JSON's escapes are TOML's for a basic string).
pub fn quote(text: &str) -> String {
    serde_json::Value::from(text).to_string()
}

/// A TOML array of strings.
pub fn list<I: IntoIterator<Item = String>>(items: I) -> String {
    let items: Vec<String> = items.into_iter().map(|i| quote(&i)).collect();
    format!("[{}]", items.join(", "))
}

/// What a partner's environment points at: its own address and the shared fakes.
pub struct EnvAt<'a> {
    /// The scenario the fakes play.
    pub scenario: Scenario,
    /// The partner's base address (scheme, host and port).
    pub url: &'a str,
    /// The merchant's webhook endpoint.
    pub webhook: Option<&'a str>,
    /// The merchant's website.
    pub website: &'a str,
    /// The authoritative DNS server.
    pub dns: SocketAddr,
    dir: &'a Path,
}

impl EnvAt<'_> {
    /// A file of the fakes' folder, as a TOML string.
    pub fn path(&self, name: &str) -> String {
        quote(&self.dir.join(name).display().to_string())
    }

    /// A secret of the fakes' folder, as golive reads one: `{ file = "..." }`.
    pub fn secret(&self, name: &str) -> String {
        format!("{{ file = {} }}", self.path(name))
    }

    /// The `exposure` line: the demo's clean bundle and masked log, and `pages`.
    pub fn exposure(&self, pages: Vec<String>) -> String {
        let base = self.dir.join("exposure");
        format!(
            "exposure = {{ bundles = {}, pages = {}, logs = {} }}\n",
            list([base.join("dist").display().to_string()]),
            list(pages),
            list([base.join("logs").join("*.log").display().to_string()])
        )
    }
}

/// The configuration's text: one environment per partner pack.
pub(crate) fn text(scenario: Scenario, variant: Variant, at: &Endpoints, dir: &Path) -> String {
    let mut out = format!("{CONFIG_HEADER} (scenario {}, variant {})\n", scenario.as_str(), variant.as_str());
    for (partner, url) in PARTNERS.iter().zip(&at.partners) {
        let env = EnvAt { scenario, url, webhook: at.webhook.as_deref(), website: &at.website, dns: at.dns, dir };
        out.push_str(&format!("\n[env.{}]\npack = {}\n", partner.env(), quote(partner.pack())));
        out.push_str(&partner.env_toml(&env));
    }
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
        for name in PARTNERS.iter().flat_map(|p| p.files()) {
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
