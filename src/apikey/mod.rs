//! API keys: the partner's secret policy, the local reuse guard and the
//! one-time Temporal → Permanent exchange, shared by `golive key exchange`
//! and the probe kinds `apikey` and `apikey-exchange`.

pub mod answer;
pub mod exchange;
mod keyfile;
pub mod lifetime;
pub mod sent;
pub mod state;

pub use crate::spec::SecretPolicy;
pub use crate::spec::secret_policy as policy;
pub use exchange::{
    ExchangeError, ExchangeInput, ExchangeSpec, Exchanged, FailureKind, KeyPaths, exchange, temporal_key_age,
};
pub use keyfile::answer_path;
pub use lifetime::TemporalKeyAge;
pub use sent::{Recorder, SentRequest};
pub use state::State;
