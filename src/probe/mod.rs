//! Probe kinds: one file per kind, one variant per kind in [`ProbeKind`].
//!
//! Adding a kind means a new file here with a `build` function and a type that
//! implements [`Probe`], plus one variant in [`ProbeKind`] (and its three match
//! arms below). The runner and the renderers never change for a new kind.

mod apikey;
mod apikey_exchange;
pub mod assert;
mod cert;
mod environment;
pub mod exposure;
mod fcrdns;
mod http;
pub mod inputs;
mod masking;
mod mtls;
pub mod resume;
pub mod steps;
mod tls;
mod webhook;

use std::sync::Arc;
use std::time::Instant;

use async_trait::async_trait;

use crate::config::{Environment, Pack};
use crate::net::Clients;
use crate::report::Outcome;

/// The single list of probe kinds golive implements.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ProbeKind {
    /// Local certificate chain and key files: match, expiry, pack rules, chain.
    Cert,
    /// One HTTP request, or ordered steps, with assertions.
    Http,
    /// The partner API's server certificate chain and TLS version.
    Tls,
    /// A handshake with the client certificate that explains itself, then one request.
    Mtls,
    /// The configured API key: its shape, an authenticated read, its age.
    ApiKey,
    /// The one-time Temporal → Permanent key exchange (mutating).
    ApiKeyExchange,
    /// Signed and forged deliveries to the merchant's webhook endpoint.
    Webhook,
    /// Forward-confirmed reverse DNS of every calling IP against the certificate's names.
    Fcrdns,
    /// The environment sets the values the integration needs, in their formats.
    Environment,
    /// The environment's secrets are not in source control, the front end or logs; no card data in logs.
    Exposure,
}

impl ProbeKind {
    /// Every kind, in the order `--help` and errors list them.
    pub const ALL: &'static [ProbeKind] = &[
        ProbeKind::Cert,
        ProbeKind::Http,
        ProbeKind::Tls,
        ProbeKind::Mtls,
        ProbeKind::ApiKey,
        ProbeKind::ApiKeyExchange,
        ProbeKind::Webhook,
        ProbeKind::Fcrdns,
        ProbeKind::Environment,
        ProbeKind::Exposure,
    ];

    /// The kind's name exactly as packs and reports write it.
    pub fn name(self) -> &'static str {
        match self {
            ProbeKind::Cert => "cert",
            ProbeKind::Http => "http",
            ProbeKind::Tls => "tls",
            ProbeKind::Mtls => "mtls",
            ProbeKind::ApiKey => "apikey",
            ProbeKind::ApiKeyExchange => "apikey-exchange",
            ProbeKind::Webhook => "webhook",
            ProbeKind::Fcrdns => "fcrdns",
            ProbeKind::Environment => "environment",
            ProbeKind::Exposure => "exposure",
        }
    }

    /// Whether every probe of this kind changes data on the other side.
    pub fn mutating(self) -> bool {
        match self {
            ProbeKind::Cert
            | ProbeKind::Http
            | ProbeKind::Tls
            | ProbeKind::Mtls
            | ProbeKind::ApiKey
            | ProbeKind::Webhook
            | ProbeKind::Fcrdns
            | ProbeKind::Environment
            | ProbeKind::Exposure => false,
            ProbeKind::ApiKeyExchange => true,
        }
    }

    /// Builds a runnable probe from interpolated parameters.
    pub fn build(self, params: toml::Table, cx: &BuildContext<'_>) -> Result<Arc<dyn Probe>, String> {
        match self {
            ProbeKind::Cert => cert::build(params, cx),
            ProbeKind::Http => http::build(params, cx),
            ProbeKind::Tls => tls::build(params, cx),
            ProbeKind::Mtls => mtls::build(params, cx),
            ProbeKind::ApiKey => apikey::build(params, cx),
            ProbeKind::ApiKeyExchange => apikey_exchange::build(params, cx),
            ProbeKind::Webhook => webhook::build(params, cx),
            ProbeKind::Fcrdns => fcrdns::build(params, cx),
            ProbeKind::Environment => environment::build(params, cx),
            ProbeKind::Exposure => exposure::build(params, cx),
        }
    }

    /// The kind named `name`, if golive implements it.
    pub fn from_name(name: &str) -> Option<ProbeKind> {
        Self::ALL.iter().copied().find(|k| k.name() == name)
    }

    /// Every kind's name.
    pub fn names() -> Vec<&'static str> {
        Self::ALL.iter().map(|k| k.name()).collect()
    }
}

/// What a kind's `build` may look at.
pub struct BuildContext<'a> {
    /// The probe's id.
    pub id: &'a str,
    /// The environment the probe is bound to.
    pub env: &'a Environment,
    /// The pack it comes from.
    pub pack: &'a Pack,
}

/// What a running probe may use.
pub struct ProbeContext {
    /// The environment.
    pub env: Arc<Environment>,
    /// Clients shared by every probe of the target.
    pub clients: Arc<Clients>,
    /// When the runner will stop waiting for this probe.
    pub deadline: Instant,
    /// Where the probe records what it saw, for evidence.
    pub trace: crate::report::trace::Trace,
}

impl ProbeContext {
    /// Time left before the deadline (never zero, so timers stay valid).
    pub fn remaining(&self) -> std::time::Duration {
        self.deadline.saturating_duration_since(Instant::now()).max(std::time::Duration::from_millis(1))
    }
}

/// A runnable probe: returns structure, never a bool.
#[async_trait]
pub trait Probe: Send + Sync + 'static {
    /// Runs the probe. Errors are outcomes with `error` checks, not panics.
    async fn run(&self, cx: &ProbeContext) -> Outcome;
}
