//! The shared vocabulary, below every other layer: the words a pack is written
//! in and a report speaks (probe kinds, signals, diagnoses, runbook items, the
//! inputs, secret policy and key exchange a pack declares, the basis of a
//! partner fact, where a pack declares each step: `SourceAt`). `config` parses into these
//! types; `report`, `probe`, `apikey` and the rest act on them. Nothing here
//! imports another golive module.

pub mod basis;
pub mod error_class;
pub mod exchange;
pub mod input;
pub mod kind;
pub mod outcome;
pub mod position;
pub mod secret_policy;

pub use basis::{Basis, FactBasis, RawBasis, StatusExpect};
pub use error_class::ErrorClass;
pub use exchange::{ExchangeSpec, KeyPaths};
pub use input::{ExchangeInputs, InputFormat, InputSpec};
pub use kind::ProbeKind;
pub use outcome::{Diagnosis, RunbookRef, Signals};
pub use position::SourceAt;
pub use secret_policy::SecretPolicy;
