//! golive's integration tests: one binary, one module per capability.
//!
//! Tests use loopback only: the embedded fakes, wiremock, in-process servers.

mod support;

mod runner;

mod fcrdns;
