//! The probe kinds: one trait a kind implements, the one list of kinds, and each kind's module.
//!
//! Each kind's file implements [`Kind`]: the type its `params` are described
//! by (the pack schema is derived from it), how it builds a runnable probe,
//! which environment keys it needs and which secrets it sends. Nothing has a
//! default, so a new kind cannot compile without saying what it needs and
//! what it sends; the preflight (`probe::inputs`), `golive init`, the pack
//! schema and the plan ask the kind through [`of`] instead of matching on
//! its name.

mod apikey;
mod apikey_exchange;
mod cert;
mod environment;
pub mod exposure;
mod fcrdns;
mod http;
mod mtls;
mod tls;
pub mod webhook;

use std::borrow::Cow;
use std::marker::PhantomData;
use std::sync::Arc;

use schemars::{JsonSchema, Schema, SchemaGenerator};
use serde::Deserialize;
use serde::de::DeserializeOwned;

use super::inputs::Sent;
use super::{BuildContext, Probe};
use crate::config::interpolate::interpolate_str;
use crate::config::{Environment, Pack};
use crate::spec::ProbeKind;

/// A probe kind, as its file defines it; its name and whether it mutates
/// are [`ProbeKind`]'s, the vocabulary packs and reports share.
pub trait Kind: Sync + 'static {
    /// The type the kind's `params` are parsed into (serde) and described by
    /// (schemars: the pack schema's `params` for this kind is derived from
    /// it); [`Raw`] for a kind that reads its table itself.
    type Params: JsonSchema + DeserializeOwned;

    /// Builds a runnable probe from interpolated, parsed parameters.
    const BUILD: Build<Self::Params>;

    /// Every environment key a probe of this kind reads directly, each with
    /// whether the environment sets it. Values a pack interpolates
    /// (`${account_id}`) are checked by interpolation itself.
    fn needs(&self, q: &Query<'_>) -> Vec<Need>;

    /// Where a probe of this kind sends secrets of the environment: every
    /// secret, or the plain-http preflight misses it.
    fn sends(&self, q: &Query<'_>) -> Vec<Sent>;
}

/// A kind's `build`: interpolated parameters to a runnable probe, or why not.
pub type Build<P> = fn(P, &BuildContext<'_>) -> Result<Arc<dyn Probe>, String>;

/// The parameters of a kind that reads its table itself, for messages of its
/// own (an `http` probe is one request or steps; `apikey` and `mtls` add keys
/// to a request's): described by `T`, handed over as the table.
pub struct Raw<T>(pub toml::Table, PhantomData<T>);

impl<'de, T> Deserialize<'de> for Raw<T> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        toml::Table::deserialize(d).map(|t| Raw(t, PhantomData))
    }
}

impl<T: JsonSchema> JsonSchema for Raw<T> {
    fn schema_name() -> Cow<'static, str> {
        T::schema_name()
    }

    fn schema_id() -> Cow<'static, str> {
        T::schema_id()
    }

    fn inline_schema() -> bool {
        T::inline_schema()
    }

    fn json_schema(g: &mut SchemaGenerator) -> Schema {
        T::json_schema(g)
    }
}

/// What the rest of golive asks of a kind, through [`of`]: every [`Kind`] is one.
pub trait AnyKind: Sync {
    /// The JSON Schema of the kind's `params`, its definitions added to `g`.
    fn params(&self, g: &mut SchemaGenerator) -> Schema;

    /// Builds a runnable probe from interpolated parameters.
    fn build(&self, params: toml::Table, cx: &BuildContext<'_>) -> Result<Arc<dyn Probe>, BuildError>;

    /// [`Kind::needs`].
    fn needs(&self, q: &Query<'_>) -> Vec<Need>;

    /// [`Kind::sends`].
    fn sends(&self, q: &Query<'_>) -> Vec<Sent>;
}

impl<K: Kind> AnyKind for K {
    fn params(&self, g: &mut SchemaGenerator) -> Schema {
        g.subschema_for::<K::Params>()
    }

    fn build(&self, params: toml::Table, cx: &BuildContext<'_>) -> Result<Arc<dyn Probe>, BuildError> {
        let params: K::Params =
            toml::Value::Table(params).try_into().map_err(|e: toml::de::Error| BuildError(e.message().to_string()))?;
        K::BUILD(params, cx).map_err(BuildError)
    }

    fn needs(&self, q: &Query<'_>) -> Vec<Need> {
        Kind::needs(self, q)
    }

    fn sends(&self, q: &Query<'_>) -> Vec<Sent> {
        Kind::sends(self, q)
    }
}

/// What [`Kind::needs`] and [`Kind::sends`] look at: a probe's
/// (uninterpolated) parameters, its environment and its pack.
#[derive(Clone, Copy)]
pub struct Query<'a> {
    /// The probe's `params`, `${...}` not yet replaced.
    pub params: &'a toml::Table,
    /// The environment it is bound to.
    pub env: &'a Environment,
    /// The pack it comes from.
    pub pack: &'a Pack,
}

/// The one list of kinds, in [`ProbeKind::ALL`]'s order (checked when
/// compiling): adding a kind is its own file and one line here.
const KINDS: &[(ProbeKind, &dyn AnyKind)] = &[
    (ProbeKind::Cert, &cert::Cert),
    (ProbeKind::Http, &http::Http),
    (ProbeKind::Tls, &tls::Tls),
    (ProbeKind::Mtls, &mtls::Mtls),
    (ProbeKind::ApiKey, &apikey::ApiKey),
    (ProbeKind::ApiKeyExchange, &apikey_exchange::ApiKeyExchange),
    (ProbeKind::Webhook, &webhook::Webhook),
    (ProbeKind::Fcrdns, &fcrdns::Fcrdns),
    (ProbeKind::Environment, &environment::EnvironmentKind),
    (ProbeKind::Exposure, &exposure::Exposure),
];

// Every kind has exactly one entry, at its own index: `of` cannot miss.
const _: () = {
    assert!(KINDS.len() == ProbeKind::ALL.len(), "every ProbeKind needs one line in KINDS");
    let mut i = 0;
    while i < KINDS.len() {
        assert!(KINDS[i].0 as usize == i && ProbeKind::ALL[i] as usize == i, "KINDS follows ProbeKind's order");
        i += 1;
    }
};

/// What `kind` does.
pub fn of(kind: ProbeKind) -> &'static dyn AnyKind {
    KINDS[kind as usize].1
}

/// A kind's parameters cannot make a probe: the message says which and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BuildError(pub String);

impl std::fmt::Display for BuildError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for BuildError {}

impl From<String> for BuildError {
    fn from(why: String) -> Self {
        BuildError(why)
    }
}

/// One environment key a probe reads directly.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Need {
    /// The key of `[env.NAME]`: `api_key`, `webhook.scheme`, an input's name.
    pub key: String,
    /// What the probe does with it.
    pub why: &'static str,
    /// Whether the environment sets it.
    pub set: bool,
}

impl Need {
    /// Key `key`, for `why`, set or not.
    pub fn new(key: &str, why: &'static str, set: bool) -> Need {
        Need { key: key.to_string(), why, set }
    }
}

/// Whether a request carries the pack's API key: `auth` defaults to true.
fn authenticated(request: &toml::Table) -> bool {
    request.get("auth").and_then(toml::Value::as_bool) != Some(false)
}

/// Whether some request of the probe carries the pack's `[auth]`: a pack
/// without `[auth]` sends no key, so its probes need none.
pub(super) fn needs_api_key(params: &toml::Table, pack: &Pack) -> bool {
    pack.auth.is_some() && crate::config::facts::requests(params).into_iter().any(authenticated)
}

/// `text` interpolated with the environment's values, as a URL; a value only
/// a run captures cannot change the scheme or host of a pack's URLs, so it is
/// kept as its placeholder.
pub(super) fn url(text: &str, env: &Environment) -> Option<reqwest::Url> {
    let text = interpolate_str(text, &|n| env.var(n).or_else(|| Some(format!("${{{n}}}")))).ok()?;
    reqwest::Url::parse(&text).ok()
}

/// Where the requests of `params` that carry the pack's `[auth]` send the API key.
pub(super) fn api_key_sends(params: &toml::Table, env: &Environment, pack: &Pack) -> Vec<Sent> {
    if pack.auth.is_none() || env.api_key.is_none() {
        return Vec::new();
    }
    crate::config::facts::requests(params)
        .into_iter()
        .filter(|r| authenticated(r))
        .filter_map(|r| r.get("url").and_then(toml::Value::as_str).and_then(|u| url(u, env)))
        .map(|u| Sent { secret: "api_key".into(), url: u })
        .collect()
}
