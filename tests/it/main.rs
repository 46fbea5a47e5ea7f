//! golive's integration tests: one binary, one module per capability.
//!
//! Tests use loopback only: the embedded fakes, wiremock, in-process servers.

mod support;

mod apikey;
mod cli;
mod config_errors;
mod mtls;
mod packs;
mod renderers;
mod runner;
mod secrets;
mod webhook;
