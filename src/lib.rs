//! golive: verifies that a payment integration is ready to go live.
//!
//! The library holds everything; `main.rs` only parses the command line, calls
//! [`cli::run`] and maps the outcome to an exit code. The flow is
//! configuration ([`config`]) ► plan ([`plan`]) ► runner ([`runner`]) ► report
//! model ([`report`]) ► renderers. Probe kinds live in [`probe`], shared network
//! clients in [`net`], the demo (`--env demo`: the `golive-fakes` crate behind the
//! default-on `demo` feature) in `demo`, the webhook signature schemes shared by a
//! probe and a command in [`webhook`],
//! the auditor's evidence folder in [`evidence`], `--watch` rounds in [`watch`] and
//! the clean stop on SIGINT, SIGTERM and SIGHUP in [`signals`].

// First, so its `eprintln!`/`eprint!` replace the standard ones (which panic
// on a closed stderr) in every module below.
#[macro_use]
pub mod stderr;

pub mod apikey;
pub mod certs;
pub mod cli;
pub mod config;
#[cfg(feature = "demo")]
pub mod demo;
pub mod evidence;
pub mod exit;
pub mod exporter;
pub mod files;
pub mod net;
pub mod observe;
pub mod plan;
pub mod probe;
pub mod redact;
pub mod report;
pub mod runner;
pub mod signals;
pub mod spec;
pub mod watch;
pub mod webhook;
