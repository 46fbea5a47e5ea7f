//! The validated environment: what probes see, never raw configuration.
//!
//! [`load`] reads `golive.toml`, picks one `[env.NAME]` and validates every
//! value with an error that points at it.

use std::collections::BTreeMap;
use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};
use std::time::Duration;

use secrecy::SecretString;
use serde::Deserialize;
use toml::Spanned;
use toml::de::DeTable;

use super::error::{ConfigError, SourceFile, from_toml};
use super::keys;
use super::pack::Pack;
use super::raw::{RawConfig, RawExposure, RawWebhook, RawWebhookAuth};
use super::secret::SecretRef;
use crate::redact::Redactor;
use crate::spec::InputFormat;

/// The built-in environment backed by the embedded fakes.
pub const DEMO_ENV: &str = "demo";

/// A secret value together with where it came from.
#[derive(Clone)]
pub struct Secret {
    /// The value; never printed.
    pub value: SecretString,
    /// Where it came from, safe to print.
    pub source: SecretRef,
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Secret({})", self.source)
    }
}

/// The merchant's webhook endpoint.
#[derive(Debug, Clone)]
pub struct Webhook {
    /// Where events are delivered.
    pub url: reqwest::Url,
    /// The signature scheme; `None` leaves it to the pack.
    pub scheme: Option<super::scheme::Scheme>,
    /// The signing secret.
    pub secret: Secret,
}

/// Credentials the merchant's webhook endpoint demands of every delivery
/// (`webhook.auth`): the ones registered with the partner's webhook destination.
#[derive(Debug, Clone)]
pub enum WebhookAuth {
    /// HTTP Basic, as PaymentsAI registers it (`auth: { type: "basic", username, password }`).
    Basic {
        /// The user name (not a secret).
        user: String,
        /// The password; never printed.
        password: Secret,
    },
}

/// The value of one input a pack declares, read as the pack says.
#[derive(Debug, Clone)]
pub enum Input {
    /// A text value, as written.
    Text(String),
    /// A secret, from its `{ env }` or `{ file }` reference.
    Secret(Secret),
    /// A path, resolved against the folder of the configuration file.
    Path(PathBuf),
}

/// `exposure = { repo, bundles, pages, logs }`: where the `exposure` probe
/// looks for the environment's secrets and for card data. Every source is optional.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Exposure {
    /// A git repository: every blob of its history (all refs) and its working tree.
    pub repo: Option<PathBuf>,
    /// Built front-end bundles on disk: files or folders (searched recursively).
    pub bundles: Vec<PathBuf>,
    /// Live pages, interpolated (`${website_url}/`); the same-site scripts they load are read too.
    pub pages: Vec<reqwest::Url>,
    /// Log files or globs (`/var/log/app/*.log`), resolved against the configuration's folder.
    pub logs: Vec<String>,
}

/// One validated environment.
#[derive(Debug, Clone, Default)]
pub struct Environment {
    /// The environment's name, e.g. `staging`.
    pub name: String,
    /// The pack names or paths this environment runs.
    pub pack: String,
    /// The partner API's base URL.
    pub base_url: Option<reqwest::Url>,
    /// The API key.
    pub api_key: Option<Secret>,
    /// Client certificate chain (PEM).
    pub client_cert: Option<PathBuf>,
    /// Client private key (PEM).
    pub client_key: Option<PathBuf>,
    /// `server_ca`: the partner's server roots, trusted instead of the system's.
    pub server_ca: Option<PathBuf>,
    /// `client_chain`: the CAs that issued the client certificate, up to its root.
    pub client_chain: Option<PathBuf>,
    /// `ca_bundle`, the older form of both: used where either is not set
    /// (read through [`Environment::server_roots`] and [`Environment::client_roots`]).
    pub ca_bundle: Option<PathBuf>,
    /// Calling IPs.
    pub calling_ips: Vec<IpAddr>,
    /// Nameservers.
    pub nameservers: Vec<SocketAddr>,
    /// The values of the inputs its pack declares (`[inputs.NAME]`) that the
    /// environment sets, in the pack's order.
    pub inputs: Vec<(String, Input)>,
    /// When the temporal API key was issued.
    pub temporal_key_issued_at: Option<time::OffsetDateTime>,
    /// golive's local state file; `None` means the default location.
    pub state_file: Option<PathBuf>,
    /// Webhook endpoint.
    pub webhook: Option<Webhook>,
    /// `webhook.auth`: credentials sent with every webhook delivery. Kept beside
    /// [`Webhook`] rather than inside it, so code that builds a `Webhook` keeps compiling.
    pub webhook_auth: Option<WebhookAuth>,
    /// `webhook.destination_id`: the partner's id of the registered webhook
    /// destination, which a pack reads as `${webhook_destination_id}`.
    pub webhook_destination_id: Option<String>,
    /// Merchant website.
    pub website_url: Option<reqwest::Url>,
    /// Default probe deadline.
    pub timeout: Option<Duration>,
    /// Extra interpolation values.
    pub vars: BTreeMap<String, String>,
    /// Optional program features enabled here (`features = ["wallets"]`).
    pub features: Vec<String>,
    /// Whether this is a staging or a production environment, when known.
    pub stage: Option<Stage>,
    /// Other stages whose probes run here too: never from golive.toml; the
    /// demo's PaymentsAI fake also answers the production key exchange.
    pub extra_stages: Vec<Stage>,
    /// `allow_insecure_http = true`: secrets may go over plain `http://` to a
    /// host other than loopback. Off by default: such a run is refused.
    pub allow_insecure_http: bool,
    /// `exposure`: the sources the `exposure` probe scans; `None` leaves it skipped.
    pub exposure: Option<Exposure>,
    /// `strict_contract = true` (or `verify --strict-contract`): the facts a
    /// pack infers are hard checks, as the documented ones are, for a team
    /// that has confirmed them (`golive contract report`).
    pub strict_contract: bool,
}

impl Environment {
    /// The value of `${name}` in a pack, if this environment has one.
    pub fn var(&self, name: &str) -> Option<String> {
        // golive's own URL keys are read under their own names (`${base_url}`).
        if let Some(key) = keys::get(name).filter(|k| k.format == keys::Format::Url) {
            return match (key.show)(self) {
                keys::Shown::Url(u) => Some(keys::url_text(u)),
                _ => None,
            };
        }
        match name {
            "webhook_url" => self.webhook.as_ref().map(|w| w.url.to_string()),
            // `webhook.destination_id`, or `vars.webhook_destination_id` as the plan's help suggests.
            "webhook_destination_id" => self.webhook_destination_id.clone().or_else(|| self.vars.get(name).cloned()),
            "env" => Some(self.name.clone()),
            other => match self.input(other) {
                Some(Input::Text(value)) => Some(value.clone()),
                // A secret or a path is no `${name}` value.
                Some(_) => None,
                None => self.vars.get(other).cloned(),
            },
        }
    }

    /// The value of the input `name`, if the environment sets it.
    pub fn input(&self, name: &str) -> Option<&Input> {
        self.inputs.iter().find(|(n, _)| n == name).map(|(_, v)| v)
    }

    /// The text input `name`, if set.
    pub fn input_text(&self, name: &str) -> Option<&str> {
        match self.input(name)? {
            Input::Text(v) => Some(v),
            _ => None,
        }
    }

    /// The secret input `name`, if set.
    pub fn input_secret(&self, name: &str) -> Option<&Secret> {
        match self.input(name)? {
            Input::Secret(s) => Some(s),
            _ => None,
        }
    }

    /// The path input `name`, if set.
    pub fn input_path(&self, name: &str) -> Option<&Path> {
        match self.input(name)? {
            Input::Path(p) => Some(p),
            _ => None,
        }
    }

    /// Whether probes bound to `stage` run here: its own stage, or one it also plays.
    pub fn plays(&self, stage: Stage) -> bool {
        self.stage == Some(stage) || self.extra_stages.contains(&stage)
    }

    /// The roots the partner's server certificates must chain to, and the key
    /// that named them: `server_ca`, else `ca_bundle`; `None`: the system's.
    pub fn server_roots(&self) -> Option<(&'static str, &Path)> {
        match (&self.server_ca, &self.ca_bundle) {
            (Some(p), _) => Some((keys::SERVER_CA.name, p)),
            (None, Some(p)) => Some((keys::CA_BUNDLE.name, p)),
            (None, None) => None,
        }
    }

    /// The CAs the client certificate's chain must verify to, and the key
    /// that named them: `client_chain`, else `ca_bundle`.
    pub fn client_roots(&self) -> Option<(&'static str, &Path)> {
        match (&self.client_chain, &self.ca_bundle) {
            (Some(p), _) => Some((keys::CLIENT_CHAIN.name, p)),
            (None, Some(p)) => Some((keys::CA_BUNDLE.name, p)),
            (None, None) => None,
        }
    }

    /// The state file to use: the configured one, or the default location.
    pub fn state_path(&self) -> PathBuf {
        self.state_file.clone().unwrap_or_else(default_state_path)
    }

    /// Every secret of this environment, each by the name golive.toml gives
    /// it: those its keys hold ([`keys::Key::secrets`]) and its secret inputs.
    /// Redaction and the `exposure` probe's search both read this one list.
    pub fn secrets(&self) -> Vec<(&str, &Secret)> {
        let inputs = self.inputs.iter().filter_map(|(name, input)| match input {
            Input::Secret(s) => Some((name.as_str(), s)),
            _ => None,
        });
        keys::KEYS.iter().flat_map(|k| k.secrets(self)).chain(inputs).collect()
    }

    /// A redactor of every secret of this environment ([`Environment::secrets`]).
    pub fn redactor(&self) -> Redactor {
        let mut r = Redactor::new();
        for (_, s) in self.secrets() {
            r.add(&s.value);
        }
        r
    }
}

/// The partner environment an [`Environment`] talks to: some probes only make
/// sense in one (a staging simulation endpoint, a production-only check).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    /// The partner's staging (sandbox) environment.
    Staging,
    /// The partner's production environment.
    Production,
}

impl Stage {
    /// The stage named exactly `name`.
    pub fn from_name(name: &str) -> Option<Stage> {
        match name {
            "staging" => Some(Stage::Staging),
            "production" => Some(Stage::Production),
            _ => None,
        }
    }

    /// Its name in configuration and packs.
    pub fn name(self) -> &'static str {
        match self {
            Stage::Staging => "staging",
            Stage::Production => "production",
        }
    }
}

/// Where the configuration file is looked for when `--config` is not given.
pub const DEFAULT_CONFIG: &str = "golive.toml";

/// The environments `names` stand for: each an `[env.NAME]`, or a
/// `[group.NAME]` replaced by its environments, in order, each once. A name
/// that is neither is left for [`load`] to report; a group naming an
/// environment the file lacks is an error at the group.
pub fn expand(path: &Path, names: &[String]) -> Result<Vec<String>, ConfigError> {
    let mut out: Vec<String> = Vec::new();
    let mut push = |n: &str| {
        if !out.iter().any(|o| o == n) {
            out.push(n.to_string());
        }
    };
    if !path.exists() || names.iter().all(|n| n == DEMO_ENV) {
        names.iter().for_each(|n| push(n));
        return Ok(out);
    }
    let file = SourceFile::read(path, "configuration file")?;
    let raw: RawConfig = toml::from_str(&file.text).map_err(|e| from_toml(&file, &e))?;
    for name in names {
        let group = raw.group.iter().find(|(k, _)| k.get_ref() == name);
        let env = raw.env.keys().find(|k| k.get_ref() == name);
        match (group, env) {
            (Some((key, _)), Some(_)) => {
                return Err(ConfigError::at(&file, key.span(), format!("`{name}` is both a group and an environment"))
                    .help("rename the group or the environment: --env must name one of them"));
            }
            (Some((_, group)), None) => {
                for member in &group.get_ref().envs {
                    if !raw.env.keys().any(|k| k.get_ref() == member.get_ref()) {
                        let known: Vec<&str> = raw.env.keys().map(|k| k.get_ref().as_str()).collect();
                        return Err(ConfigError::at(
                            &file,
                            member.span(),
                            format!("group `{name}` names `{}`, which is no [env.NAME] of this file", member.get_ref()),
                        )
                        .suggest(member.get_ref(), known.iter().copied())
                        .help(format!("environments here: {}", known.join(", "))));
                    }
                    push(member.get_ref());
                }
            }
            _ => push(name),
        }
    }
    Ok(out)
}

/// Reads `path`, validates environment `name` and loads its pack.
pub fn load(path: &Path, name: &str) -> Result<(Environment, Pack), ConfigError> {
    load_with(path, name, true)
}

/// Like [`load`], for a command that sends nothing (`golive list`): secret
/// references are checked for their form but not read, so an unset variable is
/// no error; their values are empty.
pub fn load_unresolved(path: &Path, name: &str) -> Result<(Environment, Pack), ConfigError> {
    load_with(path, name, false)
}

fn load_with(path: &Path, name: &str, resolve_secrets: bool) -> Result<(Environment, Pack), ConfigError> {
    if !path.exists() {
        let packs: Vec<&str> = super::pack::BUILT_IN.iter().map(|(n, _)| *n).collect();
        let config =
            if path == Path::new(DEFAULT_CONFIG) { String::new() } else { format!(" --output {}", path.display()) };
        return Err(ConfigError::in_file(path, format!("no configuration file at {}", path.display()))
            .help(format!(
                "write one with `golive init --pack {} --env {name}{config}` (packs: {}, or the path of your own pack file), then set what it marks CHANGE-ME",
                packs.first().copied().unwrap_or("PACK"),
                packs.join(", ")
            ))
            .help("or pass --config PATH; `golive verify --env demo` runs without any configuration"));
    }
    let file = SourceFile::read(path, "configuration file")?;
    // Parsed once, every value with its span (nested ones too): the file's
    // shape is read from it, and each key's parser reads its value from it
    // (`keys::Raw`).
    let doc = toml::de::DeTable::parse(&file.text).map_err(|e| from_toml(&file, &e))?;
    let raw = RawConfig::deserialize(toml::de::Deserializer::from(doc.clone())).map_err(|e| from_toml(&file, &e))?;
    let tables = env_tables(doc.get_ref());
    let Some((_, env)) = raw.env.iter().find(|(k, _)| k.get_ref() == name) else {
        return Err(unknown_env(&file, name));
    };
    let pack = super::pack::load(env.get_ref().pack.get_ref(), Some((&file, env.get_ref().pack.span())))?;
    let mut errors = unknown_keys(&file, &raw, &tables, (name, &pack));
    let base = path.parent().unwrap_or(Path::new(""));
    let Some(table) = tables.iter().find(|(k, _)| *k == name).map(|(_, t)| *t) else {
        return Err(unknown_env(&file, name));
    };
    let validator = Validator { file: &file, base, resolve_secrets, pack: &pack };
    match validator.env(name.to_string(), table) {
        Ok(env) if errors.is_empty() => Ok((env, pack)),
        Ok(_) => Err(ConfigError::all(errors).unwrap_or_else(|| unknown_env(&file, name))),
        Err(more) => {
            errors.extend(more);
            Err(ConfigError::all(errors).unwrap_or_else(|| unknown_env(&file, name)))
        }
    }
}

/// Every `[env.NAME]` table of a parsed file, by name.
fn env_tables<'a, 'i>(doc: &'a DeTable<'i>) -> Vec<(&'a str, &'a DeTable<'i>)> {
    let Some(envs) = doc.iter().find(|(k, _)| k.get_ref() == "env").and_then(|(_, v)| v.get_ref().as_table()) else {
        return Vec::new();
    };
    envs.iter().filter_map(|(k, v)| Some((k.get_ref().as_ref(), v.get_ref().as_table()?))).collect()
}

/// Every key of any `[env.NAME]` that neither golive ([`keys::KEYS`]) nor
/// that environment's pack knows: an error for each, listing the keys known there.
/// The environment being loaded brings its pack; another environment's pack is
/// loaded only to learn its inputs, and skipped when it does not load (that
/// environment's own load says why).
fn unknown_keys(
    file: &SourceFile,
    raw: &RawConfig,
    tables: &[(&str, &DeTable<'_>)],
    (selected, selected_pack): (&str, &Pack),
) -> Vec<ConfigError> {
    let mut unknown: Vec<ConfigError> = Vec::new();
    for (name, env) in &raw.env {
        let env = env.get_ref();
        let Some((_, table)) = tables.iter().find(|(k, _)| k == name.get_ref()) else { continue };
        if env.rest.keys().all(|k| keys::get(k).is_some()) {
            continue;
        }
        let other;
        let pack = if name.get_ref() == selected {
            selected_pack
        } else {
            match super::pack::load(env.pack.get_ref(), Some((file, env.pack.span()))) {
                Ok(p) => {
                    other = p;
                    &other
                }
                Err(_) => continue,
            }
        };
        let declared = |k: &str| pack.inputs.iter().any(|(n, _)| n == k);
        for (key, _) in table.iter() {
            let k = key.get_ref();
            if keys::get(k).is_some() || declared(k) {
                continue;
            }
            let known = keys::names().chain(pack.inputs.iter().map(|(n, _)| n.as_str()));
            unknown.push(super::error::unknown_key(file, key.span(), k, known));
        }
    }
    unknown
}

fn unknown_env(file: &SourceFile, name: &str) -> ConfigError {
    let keys: Vec<Spanned<String>> =
        toml::from_str::<RawConfig>(&file.text).map(|r| r.env.into_keys().collect()).unwrap_or_default();
    let groups: Vec<String> = toml::from_str::<RawConfig>(&file.text)
        .map(|r| r.group.into_keys().map(|k| k.into_inner()).collect())
        .unwrap_or_default();
    let mut known: Vec<&str> = vec![DEMO_ENV];
    known.extend(keys.iter().map(|k| k.get_ref().as_str()));
    let message = format!("unknown environment `{name}`");
    let err = match keys.first() {
        Some(first) => ConfigError::at(file, first.span(), message).label("environments are declared as [env.NAME]"),
        None => ConfigError::in_file(&file.path, message),
    };
    let groups_help = if groups.is_empty() { String::new() } else { format!("; groups: {}", groups.join(", ")) };
    err.suggest(name, known.iter().copied().chain(groups.iter().map(String::as_str))).help(format!(
        "known environments: {} (built in), {}{groups_help}",
        DEMO_ENV,
        known[1..].join(", ")
    ))
}

/// Reads the values of one environment: each key's parser ([`keys::Key`])
/// calls the checks here, which point at the value when it is wrong.
pub(crate) struct Validator<'a> {
    /// The configuration file.
    pub(crate) file: &'a SourceFile,
    /// Its folder: relative paths are resolved against it.
    pub(crate) base: &'a Path,
    /// Whether secret values are read (not for `golive list`).
    resolve_secrets: bool,
    /// The environment's pack (its inputs, schemes and features).
    pack: &'a Pack,
}

impl Validator<'_> {
    /// The environment `name` from its table: its pack's inputs, then every
    /// key of [`keys::KEYS`] it sets, in that order (`exposure` interpolates
    /// values read before it). Every value is checked and every error kept:
    /// one run names them all. Unknown keys are [`unknown_keys`]'.
    fn env(&self, name: String, table: &DeTable<'_>) -> Result<Environment, Vec<ConfigError>> {
        let (inputs, mut errors) = self.inputs(table);
        let mut env = Environment { stage: Stage::from_name(&name), name, inputs, ..Environment::default() };
        for key in keys::KEYS {
            let Some((_, value)) = table.iter().find(|(k, _)| k.get_ref() == key.name) else { continue };
            if let Err(e) = (key.parse)(self, keys::Raw { key: key.name, value: value.clone() }, &mut env) {
                errors.push(e);
            }
        }
        if errors.is_empty() { Ok(env) } else { Err(errors) }
    }

    /// Each item read by `read`; the errors of all that cannot be, as one.
    pub(crate) fn each<R, T>(
        &self,
        items: Vec<R>,
        read: impl Fn(R) -> Result<T, ConfigError>,
    ) -> Result<Vec<T>, ConfigError> {
        let mut errors = Vec::new();
        let out = items.into_iter().filter_map(|i| keep(&mut errors, read(i))).collect();
        match ConfigError::all(errors) {
            Some(e) => Err(e),
            None => Ok(out),
        }
    }

    /// The `exposure` table: paths resolved against this file's folder, pages
    /// interpolated with the environment's values (`${website_url}`).
    pub(crate) fn exposure(&self, raw: RawExposure, env: &Environment) -> Result<Exposure, ConfigError> {
        let repo = match raw.repo {
            Some(r) => {
                let path = self.base.join(r.get_ref());
                if !path.is_dir() {
                    return Err(ConfigError::at(
                        self.file,
                        r.span(),
                        format!("`exposure.repo` is not a folder: {}", path.display()),
                    )
                    .label("relative paths are resolved against the folder of this file")
                    .help("point `repo` at the root of the application's git checkout, e.g. repo = \".\""));
                }
                Some(path)
            }
            None => None,
        };
        let mut pages = Vec::new();
        for page in raw.pages {
            let text = super::interpolate::interpolate_str(page.get_ref(), &|n| env.var(n)).map_err(|why| {
                ConfigError::at(self.file, page.span(), format!("`exposure.pages`: {why}")).help(
                    "pages may use the environment's values, e.g. \"${website_url}/\" or \"${website_url}/checkout\"",
                )
            })?;
            pages.push(self.url("exposure.pages", Spanned::new(page.span(), text))?);
        }
        Ok(Exposure {
            repo,
            bundles: raw.bundles.iter().map(|b| self.base.join(b.get_ref())).collect(),
            pages,
            logs: raw
                .logs
                .into_iter()
                .map(|l| {
                    let p = Path::new(l.get_ref());
                    if p.is_absolute() { l.into_inner() } else { self.base.join(p).display().to_string() }
                })
                .collect(),
        })
    }

    /// The values of the pack's inputs the environment sets, read as each is
    /// declared, and the error of every one that cannot be read.
    fn inputs(&self, table: &DeTable<'_>) -> (Vec<(String, Input)>, Vec<ConfigError>) {
        let mut out = Vec::new();
        let mut errors = Vec::new();
        for (name, spec) in &self.pack.inputs {
            let Some((_, value)) = table.iter().find(|(k, _)| k.get_ref() == name) else { continue };
            let value: Spanned<toml::Value> = match (keys::Raw { key: name, value: value.clone() }).read(self) {
                Ok(v) => v,
                Err(e) => {
                    errors.push(e);
                    continue;
                }
            };
            let input = if spec.secret {
                self.secret(name, value).map(Input::Secret)
            } else {
                match (value.get_ref().as_str(), spec.format) {
                    (None, _) => Err(ConfigError::at(self.file, value.span(), format!("`{name}` must be a string"))
                        .help(format!("{name}: {}", spec.about))),
                    (Some(text), InputFormat::Text) => Ok(Input::Text(text.to_string())),
                    (Some(text), InputFormat::Path) => Ok(Input::Path(self.base.join(text))),
                }
            };
            match input {
                Ok(input) => out.push((name.clone(), input)),
                Err(e) => errors.push(e),
            }
        }
        (out, errors)
    }

    /// `features`: each must be one the pack's probes name (`feature = "..."`),
    /// else a misspelt feature would silently leave its probes off.
    pub(crate) fn features(&self, raw: Vec<Spanned<String>>) -> Result<Vec<String>, ConfigError> {
        let pack = self.pack;
        let mut known: Vec<&str> = Vec::new();
        for f in pack.probes.iter().filter_map(|p| p.feature.as_deref()) {
            if !known.contains(&f) {
                known.push(f);
            }
        }
        for f in &raw {
            if known.contains(&f.get_ref().as_str()) {
                continue;
            }
            let listed = if known.is_empty() {
                format!("pack `{}` has no optional features: remove `features`", pack.name)
            } else {
                format!("the features of pack `{}`: {}", pack.name, known.join(", "))
            };
            return Err(ConfigError::at(self.file, f.span(), format!("unknown feature `{}`", f.get_ref()))
                .label("no probe of the pack checks this feature")
                .suggest(f.get_ref(), known.iter().copied())
                .help(listed));
        }
        Ok(raw.into_iter().map(Spanned::into_inner).collect())
    }

    pub(crate) fn stage(&self, raw: Spanned<String>) -> Result<Stage, ConfigError> {
        Stage::from_name(raw.get_ref()).ok_or_else(|| {
            ConfigError::at(self.file, raw.span(), format!("`{}` is not a stage", raw.get_ref()))
                .suggest(raw.get_ref(), ["staging", "production"])
                .help("stage is \"staging\" or \"production\"")
        })
    }

    pub(crate) fn url(&self, key: &str, raw: Spanned<String>) -> Result<reqwest::Url, ConfigError> {
        let span = raw.span();
        let bad = |why: String| {
            ConfigError::at(self.file, span.clone(), format!("invalid URL in `{key}`: {why}"))
                .help("write the full URL with its scheme, e.g. https://staging.api.example.com/v2")
        };
        let url = reqwest::Url::parse(raw.get_ref()).map_err(|e| bad(e.to_string()))?;
        match url.scheme() {
            "http" | "https" => Ok(url),
            other => Err(bad(format!("scheme `{other}` is not http or https"))),
        }
    }

    pub(crate) fn file_path(&self, key: &str, raw: Spanned<String>) -> Result<PathBuf, ConfigError> {
        let path = self.base.join(raw.get_ref());
        if !path.is_file() {
            let what = if path.is_dir() { "is a directory, not a file" } else { "not found" };
            return Err(ConfigError::at(self.file, raw.span(), format!("`{key}` file {what}: {}", path.display()))
                .label("relative paths are resolved against the folder of this file")
                .help(format!("check the path, or remove `{key}` if this environment does not use it")));
        }
        Ok(path)
    }

    pub(crate) fn ip(&self, raw: Spanned<String>) -> Result<IpAddr, ConfigError> {
        raw.get_ref().trim().parse().map_err(|_| {
            ConfigError::at(self.file, raw.span(), format!("`{}` is not an IP address", raw.get_ref()))
                .help("calling_ips lists IPv4 or IPv6 addresses, e.g. [\"203.0.113.10\", \"2001:db8::10\"]")
        })
    }

    pub(crate) fn nameserver(&self, raw: Spanned<String>) -> Result<SocketAddr, ConfigError> {
        let text = raw.get_ref().trim();
        text.parse::<SocketAddr>().or_else(|_| text.parse::<IpAddr>().map(|ip| SocketAddr::new(ip, 53))).map_err(|_| {
            ConfigError::at(self.file, raw.span(), format!("`{text}` is not a nameserver address"))
                .help("write IP or IP:PORT, e.g. \"192.0.2.53\" or \"[2001:db8::53]:53\"")
        })
    }

    pub(crate) fn duration(&self, key: &str, raw: &Spanned<String>) -> Result<Duration, ConfigError> {
        parse_duration(raw.get_ref()).map_err(|why| {
            ConfigError::at(self.file, raw.span(), format!("invalid duration in `{key}`: {why}"))
                .help("write durations like 500ms, 10s or 2m")
        })
    }

    /// An instant with its offset: an RFC 3339 string or a TOML offset date-time.
    pub(crate) fn instant(&self, key: &str, raw: Spanned<toml::Value>) -> Result<time::OffsetDateTime, ConfigError> {
        let text = match raw.get_ref() {
            toml::Value::String(s) => s.trim().to_string(),
            toml::Value::Datetime(d) => d.to_string(),
            _ => String::new(),
        };
        time::OffsetDateTime::parse(&text, &time::format_description::well_known::Rfc3339).map_err(|_| {
            ConfigError::at(self.file, raw.span(), format!("`{key}` is not a date and time with a time zone")).help(
                format!(
                    "write it in RFC 3339, e.g. {key} = \"2026-11-20T10:00:00Z\" (UTC) or \"2026-11-20T11:00:00+01:00\""
                ),
            )
        })
    }

    /// The webhook table: the endpoint, its `auth` and the destination id.
    pub(crate) fn webhook(
        &self,
        raw: RawWebhook,
    ) -> Result<(Webhook, Option<WebhookAuth>, Option<String>), ConfigError> {
        let webhook = Webhook {
            url: self.url("webhook.url", raw.url)?,
            scheme: raw.scheme.map(|s| self.webhook_scheme(s)).transpose()?,
            secret: self.secret("webhook.secret", raw.secret)?,
        };
        let auth = raw.auth.map(|a| self.webhook_auth(a.into_inner())).transpose()?;
        let destination = match raw.destination_id {
            Some(id) if id.get_ref().trim().is_empty() => {
                return Err(ConfigError::at(self.file, id.span(), "`webhook.destination_id` is empty")
                    .help("write the id the partner returned when the webhook destination was registered"));
            }
            other => other.map(|id| id.into_inner().trim().to_string()),
        };
        Ok((webhook, auth, destination))
    }

    fn webhook_auth(&self, raw: RawWebhookAuth) -> Result<WebhookAuth, ConfigError> {
        let basic = raw.basic.into_inner();
        let user = basic.user;
        // RFC 7617: the user-id of Basic credentials cannot contain a colon.
        if user.get_ref().is_empty() || user.get_ref().contains(':') {
            return Err(ConfigError::at(
                self.file,
                user.span(),
                "`webhook.auth.basic.user` must be a non-empty user name without `:`",
            )
            .help("write the user name registered with the webhook destination (HTTP Basic forbids `:` in it)"));
        }
        let password = self.secret("webhook.auth.basic.password", basic.password)?;
        Ok(WebhookAuth::Basic { user: user.into_inner(), password })
    }

    fn webhook_scheme(&self, raw: Spanned<toml::Value>) -> Result<super::scheme::Scheme, ConfigError> {
        super::scheme::from_toml_with(raw.get_ref(), &self.pack.schemes).map_err(|why| {
            ConfigError::at(self.file, raw.span(), format!("invalid `webhook.scheme`: {why}")).help(format!(
                "write a built-in name ({}) or a table such as {{ header = \"X-Signature\", algorithm = \"sha256\", encoding = \"hex\" }}",
                super::scheme::known_names()
            ))
        })
    }

    pub(crate) fn secret(&self, key: &str, raw: Spanned<toml::Value>) -> Result<Secret, ConfigError> {
        let span = raw.span();
        let example_var = key.replace('.', "_").to_uppercase();
        let how = format!(
            "write `{key} = {{ env = \"{example_var}\" }}` (an environment variable) or `{key} = {{ file = \"secrets/{}\" }}`",
            key.replace('.', "_")
        );
        let source = match raw.get_ref() {
            toml::Value::String(_) => {
                // Never show the literal: mask it in the snippet we print.
                let masked =
                    SourceFile { path: self.file.path.clone(), text: mask(&self.file.text, span.clone()).into() };
                return Err(ConfigError::at(
                    &masked,
                    span,
                    format!("`{key}` is a literal secret; secrets must not be written in the configuration file"),
                )
                .label("secret value (hidden)")
                .help(how));
            }
            toml::Value::Table(t) => match (t.get("env"), t.get("file"), t.len()) {
                (Some(toml::Value::String(var)), None, 1) => SecretRef::Env(var.clone()),
                (None, Some(toml::Value::String(p)), 1) => SecretRef::File(PathBuf::from(p)).relative_to(self.base),
                _ => {
                    return Err(ConfigError::at(
                        self.file,
                        span,
                        format!("`{key}` must name exactly one source: `env` or `file`"),
                    )
                    .help(how));
                }
            },
            _ => return Err(ConfigError::at(self.file, span, format!("`{key}` must be a secret reference")).help(how)),
        };
        if !self.resolve_secrets {
            return Ok(Secret { value: SecretString::from(String::new()), source });
        }
        let value = source.resolve().map_err(|e| {
            ConfigError::at(self.file, span.clone(), format!("cannot read secret `{key}`: {e}")).help(match &source {
                SecretRef::Env(var) => {
                    format!("set {var} in the environment (e.g. from your secrets manager), or point `{key}` at a file")
                }
                SecretRef::File(_) => "check the path; it is resolved against the folder of this file".to_string(),
            })
        })?;
        Ok(Secret { value, source })
    }
}

/// The value of `r`, or `None` with its error kept in `errors`.
fn keep<T>(errors: &mut Vec<ConfigError>, r: Result<T, ConfigError>) -> Option<T> {
    r.map_err(|e| errors.push(e)).ok()
}

/// Replaces every character of a quoted value with `*`, keeping the quotes and
/// the length, so spans stay right and the value never reaches a terminal.
fn mask(text: &str, span: std::ops::Range<usize>) -> String {
    text.char_indices()
        .map(|(i, c)| {
            let inside = i > span.start && i + c.len_utf8() < span.end;
            if inside && c != '\n' { '*' } else { c }
        })
        .collect()
}

/// The shortest duration golive accepts anywhere (a deadline, an interval).
pub const MIN_DURATION: Duration = Duration::from_millis(1);
/// The longest: a year. Longer values (`18446744073709551615s`) would
/// overflow the clock arithmetic of deadlines and watches.
pub const MAX_DURATION: Duration = Duration::from_secs(366 * 24 * 3600);

/// Parses a duration such as `500ms`, `10s` or `2m`, from 1ms to 366 days.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    const RANGE: &str = "durations go from 1ms to 366d";
    let d = humantime::parse_duration(text.trim()).map_err(|e| match e {
        humantime::DurationError::NumberOverflow => format!("`{text}` is too long: {RANGE}"),
        e => format!("`{text}`: {e}"),
    })?;
    if d.is_zero() {
        return Err(format!("`{text}` is zero; a deadline must be positive ({RANGE})"));
    }
    if d < MIN_DURATION {
        return Err(format!("`{text}` is shorter than 1ms: {RANGE}"));
    }
    if d > MAX_DURATION {
        return Err(format!("`{text}` is longer than 366 days: {RANGE}"));
    }
    Ok(d)
}

/// Where the key-exchange state lives when neither the environment nor `GOLIVE_STATE_DIR` says.
pub fn default_state_path() -> PathBuf {
    let base = std::env::var_os("GOLIVE_STATE_DIR")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("XDG_STATE_HOME").map(|d| PathBuf::from(d).join("golive")))
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".local/state/golive")))
        .unwrap_or_else(|| PathBuf::from(".golive-state"));
    base.join("state.json")
}
