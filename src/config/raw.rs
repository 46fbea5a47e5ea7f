//! Raw `golive.toml` types: close to the file, unknown keys rejected.
//!
//! Nothing here is validated beyond TOML types; [`super::env`] turns these into
//! an [`super::Environment`] with parsed URLs, addresses, durations and resolved
//! secrets, pointing at the exact span when something is wrong.

use std::collections::BTreeMap;

use serde::Deserialize;
use toml::Spanned;

/// The whole configuration file.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawConfig {
    /// `[env.NAME]` tables.
    #[serde(default)]
    pub env: BTreeMap<Spanned<String>, Spanned<RawEnv>>,
}

/// One `[env.NAME]` table.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawEnv {
    /// A built-in pack name or a path to a pack file.
    pub pack: Spanned<String>,
    /// The partner API's base URL.
    pub base_url: Option<Spanned<String>>,
    /// The API key, a secret reference.
    pub api_key: Option<Spanned<toml::Value>>,
    /// PEM client certificate chain, leaf first.
    pub client_cert: Option<Spanned<String>>,
    /// PEM private key of the client certificate (a path; its contents are secret).
    pub client_key: Option<Spanned<String>>,
    /// Roots to trust instead of the system's.
    pub ca_bundle: Option<Spanned<String>>,
    /// The static IPs the integration calls from.
    #[serde(default)]
    pub calling_ips: Vec<Spanned<String>>,
    /// Nameservers to use instead of the system resolver.
    #[serde(default)]
    pub nameservers: Vec<Spanned<String>>,
    /// The partner account id.
    pub account_id: Option<Spanned<String>>,
    /// The partner organization id.
    pub organization_id: Option<Spanned<String>>,
    /// A one-time temporal API key, a secret reference.
    pub temporal_api_key: Option<Spanned<toml::Value>>,
    /// When the temporal API key was issued (RFC 3339, e.g. "2026-11-20T10:00:00Z"),
    /// so an expired one is refused before the exchange is sent.
    pub temporal_key_issued_at: Option<Spanned<toml::Value>>,
    /// The account secret chosen for the key exchange, a secret reference.
    pub account_secret: Option<Spanned<toml::Value>>,
    /// Where the key exchange writes the permanent credential (must not exist yet).
    pub permanent_key_file: Option<Spanned<String>>,
    /// golive's local state (secret history, key age); default: the user's state folder.
    pub state_file: Option<Spanned<String>>,
    /// The merchant's webhook endpoint.
    pub webhook: Option<Spanned<RawWebhook>>,
    /// The merchant's public website, for compliance checks.
    pub website_url: Option<Spanned<String>>,
    /// Default probe deadline for this environment, e.g. "10s".
    pub timeout: Option<Spanned<String>>,
    /// Extra values a pack may interpolate as `${name}`.
    #[serde(default)]
    pub vars: BTreeMap<String, Spanned<String>>,
    /// Optional program features this environment has (e.g. "wallets", "3ds"):
    /// a pack's probes marked `feature = "..."` run only when it is listed.
    #[serde(default)]
    pub features: Vec<Spanned<String>>,
    /// "staging" or "production": probes bound to a stage (`stage = "..."` in
    /// the pack) run only in an environment of that stage. Default: the
    /// environment's name when it is one of the two.
    pub stage: Option<Spanned<String>>,
    /// `true` lets secrets go over plain `http://` to a host other than
    /// loopback (a trusted test server); default: such a run is refused.
    #[serde(default)]
    pub allow_insecure_http: bool,
    /// Where the `exposure` probe looks for leaked secrets and card data.
    pub exposure: Option<Spanned<RawExposure>>,
}

/// The `exposure = { repo, bundles, pages, logs }` table.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawExposure {
    /// A git repository (its whole history and working tree).
    pub repo: Option<Spanned<String>>,
    /// Built front-end bundles: files or folders.
    #[serde(default)]
    pub bundles: Vec<Spanned<String>>,
    /// Live pages, e.g. "${website_url}/", and the same-site scripts they load.
    #[serde(default)]
    pub pages: Vec<Spanned<String>>,
    /// Log files or globs, e.g. "/var/log/app/*.log".
    #[serde(default)]
    pub logs: Vec<Spanned<String>>,
}

/// The `webhook = { url, scheme, secret }` table.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawWebhook {
    /// The merchant endpoint that receives events.
    pub url: Spanned<String>,
    /// The signature scheme: a preset name, e.g. "paymentsai", or a table
    /// defining a custom scheme; when absent, the pack's scheme applies.
    pub scheme: Option<Spanned<toml::Value>>,
    /// The signing secret, a secret reference.
    pub secret: Spanned<toml::Value>,
    /// The credentials registered with the partner's webhook destination,
    /// which the endpoint may demand of every delivery.
    pub auth: Option<Spanned<RawWebhookAuth>>,
    /// The partner's id of the registered webhook destination (PaymentsAI
    /// returns it when the destination is registered).
    pub destination_id: Option<Spanned<String>>,
}

/// The `webhook.auth = { basic = { user, password } }` table.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawWebhookAuth {
    /// HTTP Basic credentials.
    pub basic: Spanned<RawBasicAuth>,
}

/// The `basic = { user = "...", password = { env = "..." } }` table.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawBasicAuth {
    /// The user name (not a secret).
    pub user: Spanned<String>,
    /// The password, a secret reference.
    pub password: Spanned<toml::Value>,
}
