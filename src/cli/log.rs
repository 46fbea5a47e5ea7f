//! Diagnostic logging to stderr: `-v` (debug), `-vv` (trace, every library
//! included) or `GOLIVE_LOG` (a tracing filter such as `golive=trace`).
//!
//! Off by default, so reports stay clean. Log events never carry a secret
//! value: they name probes, hosts, phases and classes, and sensitive header
//! values are marked as such before any request is built.
//!
//! A closed or failing stderr loses log lines and nothing else: the writer is
//! [`crate::stderr::Quiet`] and the subscriber's own error report is off.

use tracing_subscriber::EnvFilter;

/// The environment variable holding a tracing filter that overrides `-v`.
pub const ENV_VAR: &str = "GOLIVE_LOG";

/// Installs the stderr logger for a verbosity (the number of `-v`s). Does
/// nothing when neither `-v` nor `GOLIVE_LOG` is given.
pub fn init(verbosity: u8) {
    let filter = match std::env::var(ENV_VAR) {
        Ok(text) if !text.trim().is_empty() => EnvFilter::try_new(text.trim()).ok(),
        _ => None,
    };
    let filter = match (filter, verbosity) {
        (Some(f), _) => f,
        (None, 0) => return,
        (None, 1) => EnvFilter::new("warn,golive=debug"),
        // The most verbose level: golive and every library it uses.
        (None, _) => EnvFilter::new("trace"),
    };
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(crate::stderr::Quiet)
        .log_internal_errors(false)
        .with_ansi(super::stderr_colour())
        .with_target(true)
        .try_init();
}
