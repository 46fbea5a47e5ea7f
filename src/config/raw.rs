//! Raw `golive.toml` types: close to the file, unknown keys rejected.
//!
//! Nothing here is validated beyond TOML types; [`super::env`] turns these into
//! an [`super::Environment`] with parsed URLs, addresses, durations and resolved
//! secrets, pointing at the exact span when something is wrong.

use std::collections::BTreeMap;

use serde::Deserialize;
use toml::Spanned;

/// The whole configuration file: one `[env.NAME]` table per environment, and
/// `[group.NAME]` tables naming several to run as one.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(title = "golive configuration (golive.toml)")]
pub struct RawConfig {
    /// `[env.NAME]` tables.
    #[serde(default)]
    #[schemars(with = "BTreeMap<String, RawEnv>")]
    pub env: BTreeMap<Spanned<String>, Spanned<RawEnv>>,
    /// `[group.NAME]` tables: `--env NAME` runs every environment of the group
    /// in one run, one report, one exit code.
    #[serde(default)]
    #[schemars(with = "BTreeMap<String, RawGroup>")]
    pub group: BTreeMap<Spanned<String>, Spanned<RawGroup>>,
}

/// One `[group.NAME]` table.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "Group")]
pub struct RawGroup {
    /// The environments of the group, each an `[env.NAME]` of this file.
    #[schemars(with = "Vec<String>")]
    pub envs: Vec<Spanned<String>>,
}

/// One `[env.NAME]` table. Unknown keys are collected (`inputs`) rather than
/// refused here: which are known depends on the pack.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[schemars(rename = "Environment", deny_unknown_fields)]
pub struct RawEnv {
    /// A built-in pack name or a path to a pack file.
    #[schemars(with = "String")]
    pub pack: Spanned<String>,
    /// The partner API's base URL.
    #[schemars(with = "Option<String>")]
    pub base_url: Option<Spanned<String>>,
    /// The API key, a secret reference.
    #[schemars(with = "Option<super::schema::SecretRefSchema>")]
    pub api_key: Option<Spanned<toml::Value>>,
    /// PEM client certificate chain, leaf first.
    #[schemars(with = "Option<String>")]
    pub client_cert: Option<Spanned<String>>,
    /// PEM private key of the client certificate (a path; its contents are secret).
    #[schemars(with = "Option<String>")]
    pub client_key: Option<Spanned<String>>,
    /// The partner's server roots, trusted instead of the system's (PEM).
    #[schemars(with = "Option<String>")]
    pub server_ca: Option<Spanned<String>>,
    /// The CA certificates that issued the program (client) certificate, up
    /// to its root (PEM): the `cert` probe verifies the client chain to them.
    #[schemars(with = "Option<String>")]
    pub client_chain: Option<Spanned<String>>,
    /// Older form of both: one PEM file holding the partner's server roots
    /// and the program certificate's issuer; used where `server_ca` or
    /// `client_chain` is not set.
    #[schemars(with = "Option<String>")]
    pub ca_bundle: Option<Spanned<String>>,
    /// The static IPs the integration calls from.
    #[serde(default)]
    #[schemars(with = "Vec<String>")]
    pub calling_ips: Vec<Spanned<String>>,
    /// Nameservers to use instead of the system resolver.
    #[serde(default)]
    #[schemars(with = "Vec<String>")]
    pub nameservers: Vec<Spanned<String>>,
    /// When the temporal API key was issued (RFC 3339, e.g. "2026-11-20T10:00:00Z"),
    /// so an expired one is refused before the exchange is sent.
    #[schemars(with = "Option<super::schema::DateTimeSchema>")]
    pub temporal_key_issued_at: Option<Spanned<toml::Value>>,
    /// golive's local state (secret history, key age); default: the user's state folder.
    #[schemars(with = "Option<String>")]
    pub state_file: Option<Spanned<String>>,
    /// The merchant's webhook endpoint.
    #[schemars(with = "Option<RawWebhook>")]
    pub webhook: Option<Spanned<RawWebhook>>,
    /// The merchant's public website, for compliance checks.
    #[schemars(with = "Option<String>")]
    pub website_url: Option<Spanned<String>>,
    /// Default probe deadline for this environment, e.g. "10s".
    #[schemars(with = "Option<super::schema::DurationSchema>")]
    pub timeout: Option<Spanned<String>>,
    /// Extra values a pack may interpolate as `${name}`.
    #[serde(default)]
    #[schemars(with = "BTreeMap<String, String>")]
    pub vars: BTreeMap<String, Spanned<String>>,
    /// Optional program features this environment has (e.g. "wallets", "3ds"):
    /// a pack's probes marked `feature = "..."` run only when it is listed.
    #[serde(default)]
    #[schemars(with = "Vec<String>")]
    pub features: Vec<Spanned<String>>,
    /// "staging" or "production": probes bound to a stage (`stage = "..."` in
    /// the pack) run only in an environment of that stage. Default: the
    /// environment's name when it is one of the two.
    #[schemars(with = "Option<super::schema::StageSchema>")]
    pub stage: Option<Spanned<String>>,
    /// Other stages whose probes run here too: a sandbox (or golive's fakes)
    /// that also answers another stage's steps, e.g. ["production"] for the
    /// PaymentsAI fake, which answers the go-live key exchange.
    #[serde(default)]
    #[schemars(with = "Vec<super::schema::StageSchema>")]
    pub extra_stages: Vec<Spanned<String>>,
    /// `true` lets secrets go over plain `http://` to a host other than
    /// loopback (a trusted test server); default: such a run is refused.
    #[serde(default)]
    pub allow_insecure_http: bool,
    /// Where the `exposure` probe looks for leaked secrets and card data.
    #[schemars(with = "Option<RawExposure>")]
    pub exposure: Option<Spanned<RawExposure>>,
    /// `true`: the partner facts a pack infers (not shown by any published
    /// page) are hard checks, as documented ones are; by default a miss is a
    /// warning. For a team that has confirmed them (`golive contract report`).
    #[serde(default)]
    pub strict_contract: bool,
    /// Every other key: the inputs the environment's pack declares
    /// (`[inputs.NAME]`), checked against the pack once it is loaded; any
    /// other key is an unknown-key error (see [`CORE_KEYS`]).
    #[serde(flatten)]
    #[schemars(skip)]
    pub inputs: BTreeMap<String, toml::Value>,
}

/// The `exposure = { repo, bundles, pages, logs }` table.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawExposure {
    /// A git repository (its whole history and working tree).
    #[schemars(with = "Option<String>")]
    pub repo: Option<Spanned<String>>,
    /// Built front-end bundles: files or folders.
    #[serde(default)]
    #[schemars(with = "Vec<String>")]
    pub bundles: Vec<Spanned<String>>,
    /// Live pages, e.g. "${website_url}/", and the same-site scripts they load.
    #[serde(default)]
    #[schemars(with = "Vec<String>")]
    pub pages: Vec<Spanned<String>>,
    /// Log files or globs, e.g. "/var/log/app/*.log".
    #[serde(default)]
    #[schemars(with = "Vec<String>")]
    pub logs: Vec<Spanned<String>>,
}

/// The keys of `[env.NAME]` golive itself reads, in the order errors list
/// them; a pack's inputs come after. Keep in step with [`RawEnv`].
pub const CORE_KEYS: &[&str] = &[
    "pack",
    "base_url",
    "api_key",
    "client_cert",
    "client_key",
    "server_ca",
    "client_chain",
    "ca_bundle",
    "calling_ips",
    "nameservers",
    "temporal_key_issued_at",
    "state_file",
    "webhook",
    "website_url",
    "timeout",
    "vars",
    "features",
    "stage",
    "extra_stages",
    "allow_insecure_http",
    "exposure",
    "strict_contract",
];

/// The `webhook = { url, scheme, secret }` table.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "Webhook")]
pub struct RawWebhook {
    /// The merchant endpoint that receives events.
    #[schemars(with = "String")]
    pub url: Spanned<String>,
    /// The signature scheme: a preset name, e.g. "paymentsai", or a table
    /// defining a custom scheme; when absent, the pack's scheme applies.
    #[schemars(with = "Option<super::schema::WebhookSchemeSchema>")]
    pub scheme: Option<Spanned<toml::Value>>,
    /// The signing secret, a secret reference.
    #[schemars(with = "super::schema::SecretRefSchema")]
    pub secret: Spanned<toml::Value>,
    /// The credentials registered with the partner's webhook destination,
    /// which the endpoint may demand of every delivery.
    #[schemars(with = "Option<RawWebhookAuth>")]
    pub auth: Option<Spanned<RawWebhookAuth>>,
    /// The partner's id of the registered webhook destination (PaymentsAI
    /// returns it when the destination is registered).
    #[schemars(with = "Option<String>")]
    pub destination_id: Option<Spanned<String>>,
}

/// The `webhook.auth = { basic = { user, password } }` table.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "WebhookAuth")]
pub struct RawWebhookAuth {
    /// HTTP Basic credentials.
    #[schemars(with = "RawBasicAuth")]
    pub basic: Spanned<RawBasicAuth>,
}

/// The `basic = { user = "...", password = { env = "..." } }` table.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "BasicAuth")]
pub struct RawBasicAuth {
    /// The user name (not a secret).
    #[schemars(with = "String")]
    pub user: Spanned<String>,
    /// The password, a secret reference.
    #[schemars(with = "super::schema::SecretRefSchema")]
    pub password: Spanned<toml::Value>,
}
