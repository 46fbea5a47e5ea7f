//! The request library the kinds share (`http`, its steps, `mtls`, `apikey`,
//! `apikey-exchange`): the request shape a pack writes ([`raw`]), the
//! request spec ([`spec`]), sending it ([`send`]),
//! judging the answer ([`judge`]) with the basis of each fact ([`facts`]),
//! the answer's shape ([`shape`]) and recording the exchange in the trace
//! ([`trace`]). It knows no probe kind; the kinds import it, never each other.

pub mod facts;
pub mod judge;
pub mod raw;
pub mod send;
pub mod shape;
pub mod spec;
pub mod trace;

pub(crate) use judge::{Expect, Judged, Verdict, judge, no_vars};
pub(crate) use send::{perform, transport_diagnosis};
pub(crate) use spec::{
    RequestSpec, StatusFacts, api_key_header, assertions_with_facts, pack_file, pack_mask, probe_lines,
};
pub(crate) use trace::{Exchange, trace_exchange};
