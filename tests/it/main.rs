//! golive's integration tests: one binary, one module per capability.
//!
//! Tests use loopback only: the embedded fakes, wiremock, in-process servers.

mod support;

mod apikey;
mod axys_auth;
mod axys_fake;
mod axys_flows;
mod blackbox;
mod browser;
mod ca_files;
mod canary;
mod cert;
mod ci_files;
mod cli;
mod closed_stderr;
mod config_errors;
mod contract_report;
mod contracts;
mod diagnoses;
mod error_class_outputs;
mod evidence;
mod evidence_complete;
#[cfg(unix)]
mod exchange_faults;
mod exporter;
mod exposure;
mod fail_closed;
mod fake_variants;
mod fakes;
mod faults;
mod fcrdns;
mod first_hour;
mod flow_engine;
mod hostile;
mod hostile_text;
mod html_report;
mod import_layers;
mod inferred_facts;
mod init;
mod key_answer;
mod layers;
mod masking;
mod merge;
mod mtls;
mod observe;
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
mod serve_limits;
mod state;
mod step_effects;
mod tls;
mod variants;
mod watch;
mod webhook;
mod webhook_auth;
mod webhook_encodings;
mod webhook_send;
