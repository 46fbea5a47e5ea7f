//! The probe kinds: one trait a kind implements, the one list of kinds, and each kind's module.
//!
//! Each kind's file implements [`Kind`]: the type its `params` are described
//! by (the pack schema is derived from it), how it builds a runnable probe,
//! which environment keys it needs and which secrets it sends. Nothing has a
//! default, so a new kind cannot compile without saying what it needs and
//! what it sends; the preflight (`probe::inputs`), `golive init`, the pack
//! schema and the plan ask the kind through [`of`] instead of matching on
//! its name.
//!
//! The list (`kinds!`) gives each kind its name and flags (mutating, facts)
//! and registers them for the layers below the probes as
//! [`crate::spec::ProbeKind`]: the config layer reads a pack's `kind` through
//! it without importing this layer, and no other file declares a kind's name.

mod apikey;
pub mod apikey_exchange;
pub mod cert;
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
use crate::spec::kind::{Declared, Registry};

/// A probe kind, as its file defines it; its name and flags are its line
/// in the list of kinds (`kinds!` below), whence [`ProbeKind`], the name
/// the layers below read.
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
pub trait AnyKind: std::any::Any + Sync {
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

/// The `needs` and `sends` of a kind that needs no environment key to run
/// and sends no secret, with why: still written in each such kind's `impl
/// Kind`, so that no kind leaves them out by default (a kind directly under
/// this module invokes it).
macro_rules! needs_and_sends_nothing {
    ($why:literal) => {
        #[doc = $why]
        fn needs(&self, _q: &super::Query<'_>) -> Vec<super::Need> {
            Vec::new()
        }

        #[doc = $why]
        fn sends(&self, _q: &super::Query<'_>) -> Vec<crate::probe::inputs::Sent> {
            Vec::new()
        }
    };
}
pub(crate) use needs_and_sends_nothing;

/// Lists each kind with its name and flags, one line per kind: `KINDS`
/// (what it does) and `DECLARED` (its name and flags, registered for the
/// layers below as `spec::ProbeKind`), in the same order. Every field is
/// written out: a new kind says whether it mutates and whether its requests
/// carry facts.
macro_rules! kinds {
    ($($module:ident :: $kind:ident { $($declared:tt)* }),* $(,)?) => {
        /// What each kind does, in the order of `DECLARED`.
        const KINDS: &[&dyn AnyKind] = &[$(&$module::$kind),*];

        /// What each kind declares about itself, in the order of `KINDS`.
        static DECLARED: &[Declared] = &[$(Declared { $($declared)* }),*];
    };
}

// The one list of kinds: adding a kind is its own file (or folder), its
// `mod` line above and one line here. `--help` and errors list the kinds in
// this order.
kinds![
    cert::Cert { name: "cert", mutating: false, facts: false },
    http::Http { name: "http", mutating: false, facts: true },
    tls::Tls { name: "tls", mutating: false, facts: false },
    mtls::Mtls { name: "mtls", mutating: false, facts: true },
    apikey::ApiKey { name: "apikey", mutating: false, facts: true },
    apikey_exchange::ApiKeyExchange { name: "apikey-exchange", mutating: true, facts: false },
    webhook::Webhook { name: "webhook", mutating: false, facts: false },
    fcrdns::Fcrdns { name: "fcrdns", mutating: false, facts: false },
    environment::EnvironmentKind { name: "environment", mutating: false, facts: false },
    exposure::Exposure { name: "exposure", mutating: false, facts: false },
];

inventory::submit! { Registry(DECLARED) }

/// What `kind` does: its entry of the list, as `ProbeKind` numbers them.
pub fn of(kind: ProbeKind) -> &'static dyn AnyKind {
    KINDS[kind.index()]
}

/// Whether `kind` is the kind `K` (for code that treats one kind apart).
pub fn is<K: Kind>(kind: ProbeKind) -> bool {
    let any: &dyn std::any::Any = of(kind);
    any.is::<K>()
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
        .map(|u| Sent { secret: crate::config::keys::API_KEY.name.into(), url: u })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The names and flags the layers below read (`spec::ProbeKind`) are this
    /// list's: one registry, this file's, and every kind of `KINDS` is found
    /// by its name through it, as the pack loader finds it, and is that kind.
    #[test]
    fn kind_names_and_flags_come_from_the_one_list() {
        let registered = crate::spec::kind::registries();
        assert_eq!(registered.len(), 1, "exactly one list of kinds is registered");
        assert!(std::ptr::eq(registered[0], DECLARED), "the registered list is this file's");
        assert_eq!(DECLARED.len(), KINDS.len());
        assert_eq!(ProbeKind::all().count(), KINDS.len());
        for (i, d) in DECLARED.iter().enumerate() {
            let kind = ProbeKind::from_name(d.name).unwrap_or_else(|| panic!("`{}` is not found by its name", d.name));
            assert_eq!(kind.index(), i, "{}", d.name);
            assert!(std::ptr::addr_eq(of(kind), KINDS[i]), "`{}` is the kind of its line", d.name);
            assert_eq!((kind.name(), kind.mutating(), kind.has_facts()), (d.name, d.mutating, d.facts));
        }
        let names: std::collections::BTreeSet<_> = ProbeKind::names().into_iter().collect();
        assert_eq!(names.len(), KINDS.len(), "every name once");
        assert!(is::<webhook::Webhook>(ProbeKind::from_name("webhook").unwrap()));
        assert!(!is::<webhook::Webhook>(ProbeKind::from_name("cert").unwrap()));
        let exchange = ProbeKind::from_name("apikey-exchange").unwrap();
        assert!(is::<apikey_exchange::ApiKeyExchange>(exchange) && exchange.mutating());
    }
}
