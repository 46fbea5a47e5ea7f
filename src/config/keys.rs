//! The catalogue of golive's own `[env.NAME]` keys: each key once, with its
//! name, what it is, whether it holds a secret, its format, how it is parsed
//! into the [`Environment`] and how it is shown.
//!
//! Everything else derives from [`KEYS`]: the loader parses an environment
//! key by key through it and calls any other key unknown (unless the pack
//! declares it as an input), the JSON Schema of `[env.NAME]` lists it with its
//! `about`, the `environment` kind checks the keys marked `checkable`,
//! `golive init` writes a key by its format, kinds name the keys they need by
//! these statics, and the evidence writes each key as it [`Key::show`]s it, a
//! secret only as its reference. A pack's `[inputs.NAME]` is described the
//! same way ([`Described`]: about, secret, format).
//!
//! A new key is one `static` here, one line in [`KEYS`] and, when probes read
//! it, one field of [`Environment`].

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

use schemars::{JsonSchema, Schema, SchemaGenerator};
use serde_json::{Value, json};
use toml::Spanned;
use toml::de::DeValue;

use super::env::{Environment, Secret, Validator, WebhookAuth};
use super::raw::{RawExposure, RawWebhook};
use super::schema::{DateTimeSchema, DurationSchema, SecretRefSchema, StageSchema};
use super::{ConfigError, Stage};
use crate::spec::{InputFormat, InputSpec};

/// How a key's value is written and read. A pack input's [`InputFormat`]
/// is one of these ([`Format::from`]); golive's own keys use the rest.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// A string, used as written.
    Text,
    /// A path relative to the folder of golive.toml, which need not exist yet.
    Path,
    /// An `http(s)://` URL.
    Url,
    /// A path to a file that must exist (PEM).
    File,
    /// A secret reference, `{ env = "VAR" }` or `{ file = "path" }`.
    Secret,
    /// A list of IP addresses.
    Ips,
    /// A list of `IP` or `IP:PORT` nameserver addresses.
    Nameservers,
    /// An instant with its offset (RFC 3339).
    Instant,
    /// A duration such as `10s`.
    Duration,
    /// `staging` or `production`.
    Stage,
    /// A list of stages.
    Stages,
    /// A list of names.
    Names,
    /// A table of names to text.
    Map,
    /// `true` or `false`.
    Flag,
    /// A table of its own (its parts are described by its schema).
    Table,
}

impl From<InputFormat> for Format {
    fn from(f: InputFormat) -> Format {
        match f {
            InputFormat::Text => Format::Text,
            InputFormat::Path => Format::Path,
        }
    }
}

impl Format {
    /// The value of a key of this form that is not written, where it has one.
    pub fn default_value(self) -> Option<Value> {
        match self {
            Format::Ips | Format::Nameservers | Format::Names | Format::Stages => Some(json!([])),
            Format::Map => Some(json!({})),
            Format::Flag => Some(json!(false)),
            _ => None,
        }
    }

    /// The JSON Schema `format` of a value of this form, where there is one.
    pub fn schema_format(self) -> Option<&'static str> {
        match self {
            Format::Url => Some("uri"),
            Format::Instant => Some("date-time"),
            _ => None,
        }
    }
}

/// One key of `[env.NAME]` golive itself reads.
pub struct Key {
    /// The key as golive.toml writes it.
    pub name: &'static str,
    /// What it is, in a sentence (the schema's description, init's comments, errors).
    pub about: &'static str,
    /// Whether it holds a secret (as a whole, or in a part: `webhook.secret`):
    /// shown only as its reference, redacted everywhere.
    pub secret: bool,
    /// How its value is written.
    pub format: Format,
    /// Whether the `environment` kind may `require` it: a value of the
    /// integration, not a setting of golive's.
    pub checkable: bool,
    /// An example value as golive.toml writes it (TOML), for `golive init`.
    pub example: &'static str,
    /// Parses its value into the environment, or says why not.
    pub(crate) parse: Parse,
    /// The JSON Schema of its value.
    pub(crate) schema: fn(&mut SchemaGenerator) -> Schema,
    /// Its value in a validated environment.
    pub show: fn(&Environment) -> Shown<'_>,
}

/// A key's parser: the validator, the value with its span, the environment to fill.
pub(crate) type Parse = fn(&Validator<'_>, Raw<'_>, &mut Environment) -> Result<(), ConfigError>;

impl std::fmt::Debug for Key {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Key({})", self.name)
    }
}

impl Key {
    /// The secrets it holds in `env`, each by the name golive.toml gives it
    /// (`api_key`, `webhook.secret`): what redaction must hide.
    pub fn secrets<'e>(&self, env: &'e Environment) -> Vec<(&'static str, &'e Secret)> {
        match (self.show)(env) {
            Shown::Secret(s) => vec![(self.name, s)],
            Shown::Table { secrets, .. } => secrets,
            _ => Vec::new(),
        }
    }

    /// Whether `env` sets it.
    pub fn is_set(&self, env: &Environment) -> bool {
        (self.show)(env).is_set()
    }
}

/// A key's value in a validated environment, as it may be shown.
#[derive(Debug, Clone)]
pub enum Shown<'e> {
    /// Not set.
    Unset,
    /// Text that may be shown.
    Text(String),
    /// A URL.
    Url(&'e reqwest::Url),
    /// A path.
    Path(&'e Path),
    /// A secret: only its reference may be shown.
    Secret(&'e Secret),
    /// A list (empty: unset).
    List(Vec<String>),
    /// A flag.
    Flag(bool),
    /// A duration (shown in milliseconds, as `<name>_ms`).
    Duration(Duration),
    /// A table.
    Table {
        /// The text a pattern of the `environment` kind reads (the webhook's URL).
        text: Option<String>,
        /// The whole, every secret as its reference.
        json: Value,
        /// The secrets in it, each with the name of its part
        /// (`webhook.secret`), for redaction.
        secrets: Vec<(&'static str, &'e Secret)>,
    },
}

impl Shown<'_> {
    /// Whether the environment sets the key.
    pub fn is_set(&self) -> bool {
        match self {
            Shown::Unset => false,
            Shown::List(items) => !items.is_empty(),
            Shown::Table { json: Value::Object(map), .. } => !map.is_empty(),
            _ => true,
        }
    }

    /// The value as JSON for a record (the evidence): a secret as its reference.
    pub fn to_json(&self) -> Value {
        match self {
            Shown::Unset => Value::Null,
            Shown::Text(t) => json!(t),
            Shown::Url(u) => json!(u.as_str()),
            Shown::Path(p) => json!(p.display().to_string()),
            Shown::Secret(s) => json!(s.source.to_string()),
            Shown::List(items) => json!(items),
            Shown::Flag(b) => json!(b),
            Shown::Duration(d) => json!(d.as_millis() as u64),
            Shown::Table { json, .. } => json.clone(),
        }
    }
}

/// A URL as a pack reads it (`${base_url}`): without a final `/`, so
/// `${base_url}/v1` has one.
pub fn url_text(u: &reqwest::Url) -> String {
    u.as_str().trim_end_matches('/').to_string()
}

/// A key's value as written, with its span, for its parser.
pub(crate) struct Raw<'a> {
    /// The key.
    pub key: &'a str,
    /// The value.
    pub value: Spanned<DeValue<'a>>,
}

impl Raw<'_> {
    /// The value read as `T` (which may keep spans: `Spanned<String>`), or an
    /// error at the value naming the key.
    pub fn read<T: serde::de::DeserializeOwned>(self, v: &Validator<'_>) -> Result<T, ConfigError> {
        let span = self.value.span();
        let key = self.key;
        T::deserialize(toml::de::ValueDeserializer::from(self.value)).map_err(|e| {
            let at = e.span().unwrap_or(span);
            let err = ConfigError::at(v.file, at, format!("`{key}`: {}", e.message().trim_end()));
            match get(key) {
                Some(k) => {
                    err.help(format!("`{key}`: {}", k.about)).help(format!("for example: {key} = {}", k.example))
                }
                None => err,
            }
        })
    }
}

/// Fills a field of the environment: a parser's last step.
fn set<T>(slot: &mut T, value: T) -> Result<(), ConfigError> {
    *slot = value;
    Ok(())
}

/// The value of `T`'s schema.
fn of<T: JsonSchema>(g: &mut SchemaGenerator) -> Schema {
    g.subschema_for::<T>()
}

fn path(p: &Option<std::path::PathBuf>) -> Shown<'_> {
    p.as_deref().map_or(Shown::Unset, Shown::Path)
}

fn url(u: &Option<reqwest::Url>) -> Shown<'_> {
    u.as_ref().map_or(Shown::Unset, Shown::Url)
}

fn list<T: ToString>(items: &[T]) -> Shown<'_> {
    Shown::List(items.iter().map(ToString::to_string).collect())
}

/// `pack`.
pub static PACK: Key = Key {
    name: "pack",
    about: "A built-in pack name or a path to a pack file.",
    secret: false,
    format: Format::Text,
    checkable: false,
    example: "\"axys\"",
    parse: |v, raw, env| set(&mut env.pack, raw.read(v)?),
    schema: of::<String>,
    show: |env| Shown::Text(env.pack.clone()),
};

/// `base_url`.
pub static BASE_URL: Key = Key {
    name: "base_url",
    about: "The partner API's base URL, the start of every request URL.",
    secret: false,
    format: Format::Url,
    checkable: true,
    example: "\"https://staging.api.example.com/v2\"",
    parse: |v, raw, env| set(&mut env.base_url, Some(v.url("base_url", raw.read(v)?)?)),
    schema: of::<String>,
    show: |env| url(&env.base_url),
};

/// `api_key`.
pub static API_KEY: Key = Key {
    name: "api_key",
    about: "The API key, a secret reference.",
    secret: true,
    format: Format::Secret,
    checkable: true,
    example: "{ env = \"API_KEY\" }",
    parse: |v, raw, env| set(&mut env.api_key, Some(v.secret("api_key", raw.read(v)?)?)),
    schema: of::<SecretRefSchema>,
    show: |env| env.api_key.as_ref().map_or(Shown::Unset, Shown::Secret),
};

/// `client_cert`.
pub static CLIENT_CERT: Key = Key {
    name: "client_cert",
    about: "PEM client certificate, leaf first, with its optional chain.",
    secret: false,
    format: Format::File,
    checkable: true,
    example: "\"certs/program.crt\"",
    parse: |v, raw, env| set(&mut env.client_cert, Some(v.file_path("client_cert", raw.read(v)?)?)),
    schema: of::<String>,
    show: |env| path(&env.client_cert),
};

/// `client_key`.
pub static CLIENT_KEY: Key = Key {
    name: "client_key",
    about: "PEM private key of the client certificate; the file's contents are secret, its path is not.",
    secret: false,
    format: Format::File,
    checkable: true,
    example: "\"certs/program.key\"",
    parse: |v, raw, env| set(&mut env.client_key, Some(v.file_path("client_key", raw.read(v)?)?)),
    schema: of::<String>,
    show: |env| path(&env.client_key),
};

/// `server_ca`.
pub static SERVER_CA: Key = Key {
    name: "server_ca",
    about: "The partner's server roots, trusted instead of the system's (PEM).",
    secret: false,
    format: Format::File,
    checkable: true,
    example: "\"certs/partner-roots.pem\"",
    parse: |v, raw, env| set(&mut env.server_ca, Some(v.file_path("server_ca", raw.read(v)?)?)),
    schema: of::<String>,
    show: |env| path(&env.server_ca),
};

/// `client_chain`.
pub static CLIENT_CHAIN: Key = Key {
    name: "client_chain",
    about: "The CA certificates that issued the program (client) certificate, up to its root (PEM): the `cert` probe verifies the client chain to them.",
    secret: false,
    format: Format::File,
    checkable: true,
    example: "\"certs/program-chain.pem\"",
    parse: |v, raw, env| set(&mut env.client_chain, Some(v.file_path("client_chain", raw.read(v)?)?)),
    schema: of::<String>,
    show: |env| path(&env.client_chain),
};

/// `ca_bundle`.
pub static CA_BUNDLE: Key = Key {
    name: "ca_bundle",
    about: "Older form of both: one PEM file holding the partner's server roots and the program certificate's issuer; used where `server_ca` or `client_chain` is not set.",
    secret: false,
    format: Format::File,
    checkable: true,
    example: "\"certs/ca-bundle.pem\"",
    parse: |v, raw, env| set(&mut env.ca_bundle, Some(v.file_path("ca_bundle", raw.read(v)?)?)),
    schema: of::<String>,
    show: |env| path(&env.ca_bundle),
};

/// `calling_ips`.
pub static CALLING_IPS: Key = Key {
    name: "calling_ips",
    about: "The static IPs the integration calls from.",
    secret: false,
    format: Format::Ips,
    checkable: true,
    example: "[\"203.0.113.10\"]",
    parse: |v, raw, env| {
        let ips: Vec<Spanned<String>> = raw.read(v)?;
        env.calling_ips = v.each(ips, |ip| v.ip(ip))?;
        Ok(())
    },
    schema: of::<Vec<String>>,
    show: |env| list(&env.calling_ips),
};

/// `nameservers`.
pub static NAMESERVERS: Key = Key {
    name: "nameservers",
    about: "Nameservers to use instead of the system resolver.",
    secret: false,
    format: Format::Nameservers,
    checkable: true,
    example: "[\"192.0.2.53\"]",
    parse: |v, raw, env| {
        let servers: Vec<Spanned<String>> = raw.read(v)?;
        env.nameservers = v.each(servers, |ns| v.nameserver(ns))?;
        Ok(())
    },
    schema: of::<Vec<String>>,
    show: |env| list(&env.nameservers),
};

/// `temporal_key_issued_at`.
pub static TEMPORAL_KEY_ISSUED_AT: Key = Key {
    name: "temporal_key_issued_at",
    about: "When the temporal API key was issued (RFC 3339, e.g. \"2026-11-20T10:00:00Z\"), so an expired one is refused before the exchange is sent.",
    secret: false,
    format: Format::Instant,
    checkable: false,
    example: "\"2026-11-20T10:00:00Z\"",
    parse: |v, raw, env| set(&mut env.temporal_key_issued_at, Some(v.instant("temporal_key_issued_at", raw.read(v)?)?)),
    schema: of::<DateTimeSchema>,
    show: |env| {
        let text =
            env.temporal_key_issued_at.and_then(|t| t.format(&time::format_description::well_known::Rfc3339).ok());
        text.map_or(Shown::Unset, Shown::Text)
    },
};

/// `state_file`.
pub static STATE_FILE: Key = Key {
    name: "state_file",
    about: "golive's local state (secret history, key age); default: the user's state folder.",
    secret: false,
    format: Format::Path,
    checkable: false,
    example: "\".golive/state.json\"",
    parse: |v, raw, env| set(&mut env.state_file, Some(v.base.join(raw.read::<String>(v)?))),
    schema: of::<String>,
    show: |env| path(&env.state_file),
};

/// `webhook`.
pub static WEBHOOK: Key = Key {
    name: "webhook",
    about: "The merchant's webhook endpoint.",
    secret: true,
    format: Format::Table,
    checkable: true,
    example: "{ url = \"https://merchant.example/hooks\", secret = { env = \"WEBHOOK_SECRET\" } }",
    parse: |v, raw, env| {
        let (webhook, auth, destination) = v.webhook(raw.read::<RawWebhook>(v)?)?;
        (env.webhook, env.webhook_auth, env.webhook_destination_id) = (Some(webhook), auth, destination);
        Ok(())
    },
    schema: of::<RawWebhook>,
    show: |env| {
        let Some(w) = &env.webhook else { return Shown::Unset };
        let mut secrets = vec![("webhook.secret", &w.secret)];
        let auth = env.webhook_auth.as_ref().map(|a| match a {
            WebhookAuth::Basic { user, password } => {
                secrets.push(("webhook.auth.basic.password", password));
                json!({ "basic": { "user": user, "password": password.source.to_string() } })
            }
        });
        let json = json!({
            "url": w.url.as_str(),
            "scheme": w.scheme.as_ref().map(|s| s.name.clone()),
            "secret": w.secret.source.to_string(),
            "auth": auth,
            "destination_id": env.webhook_destination_id,
        });
        Shown::Table { text: Some(w.url.to_string()), json, secrets }
    },
};

/// `website_url`.
pub static WEBSITE_URL: Key = Key {
    name: "website_url",
    about: "The merchant's public website, for the compliance checks.",
    secret: false,
    format: Format::Url,
    checkable: true,
    example: "\"https://merchant.example\"",
    parse: |v, raw, env| set(&mut env.website_url, Some(v.url("website_url", raw.read(v)?)?)),
    schema: of::<String>,
    show: |env| url(&env.website_url),
};

/// `timeout`.
pub static TIMEOUT: Key = Key {
    name: "timeout",
    about: "Default probe deadline for this environment, e.g. \"10s\".",
    secret: false,
    format: Format::Duration,
    checkable: false,
    example: "\"10s\"",
    parse: |v, raw, env| set(&mut env.timeout, Some(v.duration("timeout", &raw.read(v)?)?)),
    schema: of::<DurationSchema>,
    show: |env| env.timeout.map_or(Shown::Unset, Shown::Duration),
};

/// `vars`.
pub static VARS: Key = Key {
    name: "vars",
    about: "Extra values a pack may interpolate as `${name}`.",
    secret: false,
    format: Format::Map,
    checkable: false,
    example: "{ merchant_id = \"m_123\" }",
    parse: |v, raw, env| set(&mut env.vars, raw.read(v)?),
    schema: of::<BTreeMap<String, String>>,
    show: |env| Shown::Table { text: None, json: json!(env.vars), secrets: Vec::new() },
};

/// `features`.
pub static FEATURES: Key = Key {
    name: "features",
    about: "Optional program features this environment has (e.g. \"wallets\", \"3ds\"): a pack's probes marked `feature = \"...\"` run only when it is listed.",
    secret: false,
    format: Format::Names,
    checkable: false,
    example: "[\"wallets\"]",
    parse: |v, raw, env| set(&mut env.features, v.features(raw.read(v)?)?),
    schema: of::<Vec<String>>,
    show: |env| list(&env.features),
};

/// `stage`.
pub static STAGE: Key = Key {
    name: "stage",
    about: "\"staging\" or \"production\": probes bound to a stage (`stage = \"...\"` in the pack) run only in an environment of that stage. Default: the environment's name when it is one of the two.",
    secret: false,
    format: Format::Stage,
    checkable: false,
    example: "\"staging\"",
    parse: |v, raw, env| set(&mut env.stage, Some(v.stage(raw.read(v)?)?)),
    schema: of::<StageSchema>,
    show: |env| env.stage.map_or(Shown::Unset, |s| Shown::Text(s.name().to_string())),
};

/// `extra_stages`.
pub static EXTRA_STAGES: Key = Key {
    name: "extra_stages",
    about: "Other stages whose probes run here too: a sandbox (or golive's fakes) that also answers another stage's steps, e.g. [\"production\"] for the PaymentsAI fake, which answers the go-live key exchange.",
    secret: false,
    format: Format::Stages,
    checkable: false,
    example: "[\"production\"]",
    parse: |v, raw, env| {
        let stages: Vec<Spanned<String>> = raw.read(v)?;
        env.extra_stages = v.each(stages, |s| v.stage(s))?;
        Ok(())
    },
    schema: of::<Vec<StageSchema>>,
    show: |env| Shown::List(env.extra_stages.iter().map(|s| Stage::name(*s).to_string()).collect()),
};

/// `allow_insecure_http`.
pub static ALLOW_INSECURE_HTTP: Key = Key {
    name: "allow_insecure_http",
    about: "`true` lets secrets go over plain `http://` to a host other than loopback (a trusted test server); default: such a run is refused.",
    secret: false,
    format: Format::Flag,
    checkable: false,
    example: "true",
    parse: |v, raw, env| set(&mut env.allow_insecure_http, raw.read(v)?),
    schema: of::<bool>,
    show: |env| Shown::Flag(env.allow_insecure_http),
};

/// `exposure`.
pub static EXPOSURE: Key = Key {
    name: "exposure",
    about: "Where the `exposure` probe looks for leaked secrets and card data.",
    secret: false,
    format: Format::Table,
    checkable: false,
    example: "{ repo = \".\" }",
    // After `website_url` in [`KEYS`]: its pages may name `${website_url}`.
    parse: |v, raw, env| {
        let exposure = v.exposure(raw.read::<RawExposure>(v)?, env)?;
        set(&mut env.exposure, Some(exposure))
    },
    schema: of::<RawExposure>,
    show: |env| {
        let Some(e) = &env.exposure else { return Shown::Unset };
        let paths = |ps: &[std::path::PathBuf]| ps.iter().map(|p| p.display().to_string()).collect::<Vec<_>>();
        let json = json!({
            "repo": e.repo.as_ref().map(|p| p.display().to_string()),
            "bundles": paths(&e.bundles),
            "pages": e.pages.iter().map(|u| u.as_str()).collect::<Vec<_>>(),
            "logs": e.logs,
        });
        Shown::Table { text: None, json, secrets: Vec::new() }
    },
};

/// `strict_contract`.
pub static STRICT_CONTRACT: Key = Key {
    name: "strict_contract",
    about: "`true`: the partner facts a pack infers (not shown by any published page) are hard checks, as documented ones are; by default a miss is a warning. For a team that has confirmed them (`golive contract report`).",
    secret: false,
    format: Format::Flag,
    checkable: false,
    example: "true",
    parse: |v, raw, env| set(&mut env.strict_contract, raw.read(v)?),
    schema: of::<bool>,
    show: |env| Shown::Flag(env.strict_contract),
};

/// Every key golive reads, in the order errors and the schema list them (a
/// pack's inputs come after) and the order they are parsed in.
pub static KEYS: &[&Key] = &[
    &PACK,
    &BASE_URL,
    &API_KEY,
    &CLIENT_CERT,
    &CLIENT_KEY,
    &SERVER_CA,
    &CLIENT_CHAIN,
    &CA_BUNDLE,
    &CALLING_IPS,
    &NAMESERVERS,
    &TEMPORAL_KEY_ISSUED_AT,
    &STATE_FILE,
    &WEBHOOK,
    &WEBSITE_URL,
    &TIMEOUT,
    &VARS,
    &FEATURES,
    &STAGE,
    &EXTRA_STAGES,
    &ALLOW_INSECURE_HTTP,
    &EXPOSURE,
    &STRICT_CONTRACT,
];

/// The key named `name`, if golive reads one.
pub fn get(name: &str) -> Option<&'static Key> {
    KEYS.iter().copied().find(|k| k.name == name)
}

/// The names of every key, in [`KEYS`]' order (as long-lived as the names
/// they are listed with, a pack's inputs).
pub fn names<'a>() -> impl Iterator<Item = &'a str> + Clone {
    KEYS.iter().map(|k| -> &'a str { k.name })
}

/// A key of `[env.NAME]` as golive or the pack describes it.
#[derive(Debug, Clone, Copy)]
pub enum Described<'p> {
    /// One of golive's own keys.
    Core(&'static Key),
    /// An input the pack declares.
    Input(&'p str, &'p InputSpec),
}

impl<'p> Described<'p> {
    /// `name` as golive or `pack` describes it.
    pub fn of(name: &str, pack: &'p super::Pack) -> Option<Described<'p>> {
        get(name)
            .map(Described::Core)
            .or_else(|| pack.inputs.iter().find(|(n, _)| n == name).map(|(n, spec)| Described::Input(n.as_str(), spec)))
    }

    /// Its name.
    pub fn name(&self) -> &'p str {
        match self {
            Described::Core(k) => k.name,
            Described::Input(n, _) => n,
        }
    }

    /// What it is.
    pub fn about(&self) -> &'p str {
        match self {
            Described::Core(k) => k.about,
            Described::Input(_, spec) => &spec.about,
        }
    }

    /// Whether it holds a secret.
    pub fn secret(&self) -> bool {
        match self {
            Described::Core(k) => k.secret,
            Described::Input(_, spec) => spec.secret,
        }
    }

    /// How it is written: a secret input is a reference, as `api_key` is.
    pub fn format(&self) -> Format {
        match self {
            Described::Core(k) => k.format,
            Described::Input(_, spec) if spec.secret => Format::Secret,
            Described::Input(_, spec) => spec.format.into(),
        }
    }
}

/// The JSON Schema of `[env.NAME]`: every key of [`KEYS`] with its `about`
/// as the description, `pack` required, no other key (a pack's inputs are
/// added by [`super::schema::config_for`]).
pub(crate) fn schema(g: &mut SchemaGenerator) -> Schema {
    let mut properties = serde_json::Map::new();
    for key in KEYS {
        let mut value = super::schema::without_null((key.schema)(g)).to_value();
        if let Value::Object(obj) = &mut value {
            obj.insert("description".into(), json!(key.about));
            if let Some(format) = key.format.schema_format() {
                obj.entry("format").or_insert(json!(format));
            }
            if let Some(default) = key.format.default_value() {
                obj.insert("default".into(), default);
            }
        }
        properties.insert(key.name.into(), value);
    }
    let schema = json!({
        "type": "object",
        "description": "One `[env.NAME]` table: golive's own keys, and the inputs the environment's pack declares.",
        "properties": properties,
        "required": [PACK.name],
        "additionalProperties": false,
    });
    Schema::try_from(schema).unwrap_or_default()
}

#[cfg(test)]
pub(crate) mod tests {
    use std::path::PathBuf;

    use super::*;
    use crate::config::{Exposure, Input, SecretRef, Webhook};

    /// A secret of value `canary`, read from variable `var`.
    pub(crate) fn secret(canary: &str, var: &str) -> Secret {
        Secret { value: secrecy::SecretString::from(canary.to_string()), source: SecretRef::Env(var.into()) }
    }

    /// An environment that sets every key of the catalogue (and a secret, a
    /// text and a path input), each secret's value `canary` followed by its
    /// variable's name.
    pub(crate) fn full(canary: &str) -> Environment {
        let url = |u: &str| reqwest::Url::parse(u).unwrap();
        let s = |var: &str| secret(&format!("{canary}{var}"), var);
        Environment {
            name: "staging".into(),
            pack: "axys".into(),
            base_url: Some(url("https://192.0.2.1/v2")),
            api_key: Some(s("API_KEY")),
            client_cert: Some(PathBuf::from("program.crt")),
            client_key: Some(PathBuf::from("program.key")),
            server_ca: Some(PathBuf::from("roots.pem")),
            client_chain: Some(PathBuf::from("chain.pem")),
            ca_bundle: Some(PathBuf::from("bundle.pem")),
            calling_ips: vec!["192.0.2.10".parse().unwrap()],
            nameservers: vec!["192.0.2.53:53".parse().unwrap()],
            inputs: vec![
                ("account_id".into(), Input::Text("acct_1".into())),
                ("account_secret".into(), Input::Secret(s("ACCOUNT_SECRET"))),
                ("permanent_key_file".into(), Input::Path(PathBuf::from("key.txt"))),
            ],
            temporal_key_issued_at: Some(time::OffsetDateTime::UNIX_EPOCH),
            state_file: Some(PathBuf::from("state.json")),
            webhook: Some(Webhook {
                url: url("https://198.51.100.7/hooks"),
                scheme: Some(crate::config::scheme::from_name("standard-webhooks").unwrap()),
                secret: s("WEBHOOK_SECRET"),
            }),
            webhook_auth: Some(WebhookAuth::Basic { user: "golive".into(), password: s("WEBHOOK_PASSWORD") }),
            webhook_destination_id: Some("dest_1".into()),
            website_url: Some(url("https://merchant.example/")),
            timeout: Some(Duration::from_secs(10)),
            vars: BTreeMap::from([("merchant_id".to_string(), "m_1".to_string())]),
            features: vec!["wallets".into()],
            stage: Some(Stage::Staging),
            extra_stages: vec![Stage::Production],
            allow_insecure_http: true,
            exposure: Some(Exposure { repo: Some(PathBuf::from(".")), ..Exposure::default() }),
            strict_contract: true,
        }
    }

    #[test]
    fn every_key_is_listed_once_with_what_it_is() {
        let mut seen = std::collections::BTreeSet::new();
        for key in KEYS {
            assert!(seen.insert(key.name), "{} listed twice", key.name);
            assert!(key.about.ends_with('.') && key.about.len() > 10, "{}: about is a sentence", key.name);
            let example: Result<toml::Table, _> = toml::from_str(&format!("x = {}", key.example));
            assert!(example.is_ok(), "{}: the example is a TOML value: {}", key.name, key.example);
        }
        // `exposure` interpolates `${website_url}`: it is parsed after it.
        let at = |k: &Key| KEYS.iter().position(|x| x.name == k.name).unwrap();
        assert!(at(&WEBSITE_URL) < at(&EXPOSURE));
    }

    /// The schema of `[env.NAME]` is the catalogue's: every key with its
    /// `about`, and no other key but the built-in packs' inputs.
    #[test]
    fn the_schema_lists_every_key_with_its_about_and_no_other() {
        let schema = crate::config::schema::config().to_value();
        let props = schema.pointer("/$defs/Environment/properties").and_then(Value::as_object).unwrap();
        for key in KEYS {
            let prop = props.get(key.name).unwrap_or_else(|| panic!("{} is in the schema", key.name));
            assert_eq!(prop["description"], json!(key.about), "{}", key.name);
            if let Some(format) = key.format.schema_format() {
                assert_eq!(prop["format"], json!(format), "{}", key.name);
            }
        }
        let packs: Vec<crate::config::Pack> =
            crate::config::pack::BUILT_IN.iter().map(|(n, _)| crate::config::pack::load(n, None).unwrap()).collect();
        for name in props.keys() {
            let input = packs.iter().any(|p| p.inputs.iter().any(|(n, _)| n == name));
            assert!(get(name).is_some() || input, "`{name}` in the schema is no key of the catalogue nor an input");
        }
    }

    /// A key marked secret shows as its reference and never its value; a key
    /// not marked secret shows no secret at all.
    #[test]
    fn a_secret_key_shows_only_its_reference_and_only_secret_keys_hold_one() {
        let env = full("CANARY-7f3a-");
        for key in KEYS {
            let shown = (key.show)(&env);
            let text = shown.to_json().to_string();
            assert!(!text.contains("CANARY-7f3a-"), "{}: a secret value shows: {text}", key.name);
            let reference = text.contains("{ env = ");
            assert_eq!(key.secret, reference, "{}: secret = {} but shows {text}", key.name, key.secret);
            assert_eq!(key.secret, !key.secrets(&env).is_empty(), "{}: its secrets are redacted", key.name);
            assert!(key.is_set(&env), "{}: set in the full environment", key.name);
        }
        // Redaction hides each of them, and the exposure probe searches for each.
        let redactor = env.redactor();
        let searched = crate::probe::kinds::exposure::secrets(&env);
        for (name, s) in KEYS.iter().flat_map(|k| k.secrets(&env)) {
            let value = secrecy::ExposeSecret::expose_secret(&s.value).to_string();
            assert!(!redactor.redact(&format!("x{value}x")).contains(&value), "{name} is redacted");
            assert!(searched.iter().any(|(n, _)| n == name), "the exposure probe searches for {name}");
        }
        let empty = Environment::default();
        for key in KEYS.iter().filter(|k| !matches!(k.format, Format::Flag | Format::Text)) {
            assert!(!key.is_set(&empty), "{}: unset in an empty environment", key.name);
        }
    }

    /// Every key of the catalogue is a known key of `[env.NAME]`, read by its
    /// own parser: its example is of the type that parser takes. Any other
    /// key is an unknown-key error naming the file, line and key.
    #[test]
    fn every_key_is_known_and_its_example_reads_and_no_other_key_is() {
        let dir = tempfile::tempdir().unwrap();
        let mut text = String::from("[env.staging]\n");
        for key in KEYS {
            text.push_str(&format!("{} = {}\n", key.name, key.example));
        }
        text.push_str("not_a_key = 1\n");
        let path = dir.path().join("golive.toml");
        std::fs::write(&path, &text).unwrap();
        let err = crate::config::env::load_unresolved(&path, "staging").expect_err("not_a_key is unknown");
        let all = err.render(false);
        assert_eq!(all.matches("unknown key").count(), 1, "{all}");
        let line = text.lines().count();
        assert!(all.contains("unknown key `not_a_key`") && all.contains(&format!(":{line}:1")), "{all}");
        for key in KEYS {
            assert!(
                !all.contains(&format!("`{}`: invalid type", key.name)),
                "{}: example {}: {all}",
                key.name,
                key.example
            );
            assert!(!all.contains(&format!("`{}`: unknown field", key.name)), "{}: {all}", key.name);
        }
    }

    /// The README's configuration reference shows every key: a key added
    /// here without its line there fails.
    #[test]
    fn the_readme_configuration_reference_shows_every_key() {
        let readme = include_str!("../../README.md");
        let start = readme.find("## Configuration reference").expect("the section");
        let end = readme[start..].find("### Editor schema").map_or(readme.len(), |e| start + e);
        let section = &readme[start..end];
        for key in KEYS {
            let line = format!("{} = ", key.name);
            let written =
                section.lines().map(|l| l.trim_start().trim_start_matches("# ")).any(|l| l.starts_with(&line));
            assert!(written, "README's configuration example has no `{} = ...` line", key.name);
        }
    }

    /// Every field of [`Environment`] is a key's (the webhook's parts are the
    /// `webhook` key's), or its name, or the pack's inputs: the destructuring
    /// has no `..`, so a field added without its key does not compile here.
    #[test]
    fn every_field_of_the_environment_belongs_to_a_key() {
        let Environment {
            name: _,
            inputs: _,
            pack: _,
            base_url: _,
            api_key: _,
            client_cert: _,
            client_key: _,
            server_ca: _,
            client_chain: _,
            ca_bundle: _,
            calling_ips: _,
            nameservers: _,
            temporal_key_issued_at: _,
            state_file: _,
            webhook: _,
            webhook_auth: _,
            webhook_destination_id: _,
            website_url: _,
            timeout: _,
            vars: _,
            features: _,
            stage: _,
            extra_stages: _,
            allow_insecure_http: _,
            exposure: _,
            strict_contract: _,
        } = Environment::default();
        // The fields above but `name`, `inputs` and the webhook's two parts.
        assert_eq!(KEYS.len(), 26 - 4, "a field of the environment without its key in KEYS, or the reverse");
    }
}
