//! The request library the kinds share (`http`, its steps, `mtls`, `apikey`,
//! `apikey-exchange`): the request spec ([`spec`]), sending it ([`send`]),
//! judging the answer ([`judge`]) and recording the exchange in the trace
//! ([`trace`]). It knows no probe kind; the kinds import it, never each other.

pub mod judge;
pub mod send;
pub mod spec;
pub mod trace;

pub(crate) use judge::{Judged, judge, no_vars};
pub(crate) use send::{perform, transport_diagnosis};
pub(crate) use spec::{RequestSpec, api_key_header, sensitive_fields};
pub(crate) use trace::{Exchange, trace_exchange};
