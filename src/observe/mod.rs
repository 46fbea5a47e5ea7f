//! `golive observe`: proves the merchant's own integration. A front on
//! loopback stands between the merchant's command (its integration tests, a
//! smoke script, a running app) and the partner; it injects the partner's
//! documented failures from the pack's `[[fault]]` tables, records every
//! exchange, and once the command ends the pack's `[[rule]]`s judge what the
//! client did about them: no blind resend of a transfer, Retry-After
//! honoured, no storm after 401/403, the same idempotency key on a resend,
//! every error status survived, the two-cause 403 told apart in the logs, a
//! support ticket after an admin decline, and alerts loaded in Prometheus.
//!
//! | file | holds |
//! |---|---|
//! | [`session`] | one run: fronts, command variables, judging, the report |
//! | [`front`] | the TLS front: routing, faults, forwarding with the client certificate |
//! | [`ca`] | the front's certificate authority, made per run |
//! | [`faults`] | the fault plan from `--faults` |
//! | [`record`] | the recording: streamed to disk, read back line by line |
//! | [`judge`], [`rules`] | the traffic rules over the recording |
//! | [`alerts`] | the Prometheus alerting-rules check |
//! | [`command`], [`logs`] | the observed command, its output and log |
//!
//! What it does not do: start the demo's fakes (the command line does) or print.

pub mod alerts;
pub mod ca;
pub mod command;
pub mod faults;
pub mod front;
pub mod judge;
pub mod logs;
pub mod record;
pub mod rules;
pub mod session;

pub use session::{Options, SESSION_ID, Session};
