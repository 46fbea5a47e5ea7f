//! Configuration: `golive.toml` environments and runbook packs.
//!
//! Two stages: raw serde types close to the file ([`raw`], and the raw half of
//! [`pack`]) and validated types ([`Environment`], [`Pack`]) with parsed URLs,
//! addresses, durations and resolved secrets. Probes only see validated types.
//! Every error is a [`ConfigError`] that points at file, line and column.

pub mod coverage;
pub mod env;
pub mod error;
pub mod facts;
pub mod interpolate;
pub mod keys;
pub mod matcher;
pub mod observe;
pub mod observe_rules;
pub mod pack;
pub mod positions;
pub mod raw;
pub mod schema;
pub mod scheme;
pub mod secret;
pub mod watch_rules;

pub use coverage::{Coverage, CoverageItem};
pub use env::{DEFAULT_CONFIG, DEMO_ENV, Environment, Exposure, Input, Secret, Stage, Webhook, WebhookAuth};
pub use error::{ConfigError, SourceFile};
pub use pack::{ApiKeyAuth, DiagnosisRule, Pack, ProbeSpec};
pub use secret::SecretRef;
pub use watch_rules::WatchRule;
