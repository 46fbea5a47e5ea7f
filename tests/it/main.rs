//! golive's integration tests: one binary, one module per capability.
//!
//! Tests use loopback only: the embedded fakes, wiremock, in-process servers.

mod support;

mod apikey;
mod axys_auth;
mod axys_fake;
mod axys_flows;
mod canary;
mod cert;
mod cli;
mod config_errors;
mod contracts;
mod diagnoses;
mod evidence;
mod evidence_complete;
mod exporter;
mod exposure;
mod fail_closed;
mod fakes;
mod faults;
mod fcrdns;
mod flow_engine;
mod hostile;
mod hostile_text;
mod import_layers;
mod init;
mod key_answer;
mod layers;
mod masking;
mod merge;
mod mtls;
mod packs;
mod paymentsai_fake;
mod props;
mod reliability;
mod renderers;
mod runner;
mod scenarios;
mod schema;
mod secrets;
mod serve;
mod tls;
mod watch;
mod webhook;
mod webhook_auth;
