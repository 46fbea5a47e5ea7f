//! Probes: the kinds in `kinds/` (one file or folder each, implementing
//! [`kinds::Kind`]: its params' type, `build`, what it needs, which secrets it
//! sends; listed once in `kinds/mod.rs`), the flow engine of ordered steps in
//! `flow/`, and the request library they share (`request/`, `assert`).
//!
//! Adding a kind means its file under `kinds/` and its line in the list of
//! `kinds/mod.rs` (with its `mod` line): the list gives its name and flags,
//! which it registers for the layers below as [`crate::spec::ProbeKind`]. The
//! runner and the renderers never change for a new kind.

pub mod assert;
pub mod flow;
pub mod inputs;
pub mod jsonpath;
pub mod kinds;
pub mod links;
mod masking;
pub mod request;
pub mod schema;

use std::sync::Arc;
use std::time::Instant;

use async_trait::async_trait;

use crate::config::{Environment, Pack};
use crate::net::Clients;
use crate::report::Outcome;

pub use kinds::BuildError;

impl crate::spec::ProbeKind {
    /// Builds a runnable probe of this kind from interpolated parameters.
    pub fn build(self, params: toml::Table, cx: &BuildContext<'_>) -> Result<Arc<dyn Probe>, BuildError> {
        kinds::of(self).build(params, cx)
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
