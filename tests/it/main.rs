//! golive's integration tests: one binary, one module per capability.
//!
//! Tests use loopback only: the embedded fakes, wiremock, in-process servers.

mod support;

mod apikey;
mod canary;
mod cert;
mod cli;
mod config_errors;
mod faults;
mod fcrdns;
mod mtls;
mod props;
mod reliability;
mod renderers;
mod runner;
mod secrets;
mod tls;
mod webhook;
