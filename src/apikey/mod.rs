//! API keys: the partner's secret policy, the local reuse guard and the
//! one-time Temporal → Permanent exchange, shared by `golive key exchange`
//! and the probe kinds `apikey` and `apikey-exchange`.
//!
//! The exchange: `exchange` (checks, then the request and what follows it in
//! `send`, a task of its own), `keyfile` (the files before and after),
//! `answer_file` (the answer written as it arrives, its space reserved),
//! `answer` (where the key is in it), `inflight` (what a signal waits for),
//! `error` (every way it does not finish, with what to do).

pub mod answer;
mod answer_file;
mod error;
pub mod exchange;
pub mod inflight;
mod keyfile;
pub mod lifetime;
mod send;
pub mod sent;
pub mod state;

pub use exchange::{ExchangeError, ExchangeInput, Exchanged, FailureKind, exchange, temporal_key_age};
pub use keyfile::{answer_path, check_free};
pub use lifetime::TemporalKeyAge;
pub use sent::{Recorder, SentRequest};
pub use state::State;
