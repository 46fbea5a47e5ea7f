//! API keys: the partner's secret policy, the local reuse guard and the
//! one-time Temporal → Permanent exchange, shared by `golive key exchange`
//! and the probe kinds `apikey` and `apikey-exchange`.

pub mod exchange;
mod keyfile;
pub mod policy;
pub mod sent;
pub mod state;

pub use exchange::{ExchangeError, ExchangeInput, ExchangeSpec, Exchanged, exchange};
pub use policy::SecretPolicy;
pub use sent::{Recorder, SentRequest};
pub use state::State;
