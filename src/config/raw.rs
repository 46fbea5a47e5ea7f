//! Raw `golive.toml` types: close to the file, unknown keys rejected.
//!
//! Nothing here is validated beyond TOML types; [`super::env`] turns these
//! into an [`super::Environment`] through the catalogue of keys
//! ([`super::keys`]), with parsed URLs, addresses, durations and resolved
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

/// One `[env.NAME]` table: its pack, and every other key as written. The
/// keys are read one by one through the catalogue ([`super::keys::KEYS`]),
/// with the spans of their values, and the pack's inputs; any other key is an
/// unknown-key error. The schema of the table is the catalogue's.
#[derive(Debug, Deserialize)]
pub struct RawEnv {
    /// A built-in pack name or a path to a pack file: read first, since
    /// which keys an environment may have depends on its pack.
    pub pack: Spanned<String>,
    /// Every other key.
    #[serde(flatten)]
    pub rest: BTreeMap<String, toml::Value>,
}

impl schemars::JsonSchema for RawEnv {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Environment".into()
    }

    fn json_schema(g: &mut schemars::SchemaGenerator) -> schemars::Schema {
        super::keys::schema(g)
    }
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
