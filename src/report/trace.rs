//! The trace of a probe: every HTTP exchange, DNS query, TLS handshake and
//! state transition it saw, for the auditor's evidence (`--evidence DIR`).
//!
//! Each probe buffers its own records (so parallel probes never interleave);
//! the buffer outlives the probe, so a probe cut off at its deadline loses
//! nothing it recorded. Records are JSON objects with a `type` field; the
//! runner redacts them like every other part of a report.

use std::sync::{Arc, Mutex};

use serde_json::{Value, json};

/// A probe's trace buffer, shared between the probe and the runner; or
/// none, when nothing of the run reads a trace ([`Trace::off`]).
#[derive(Debug, Clone)]
pub struct Trace {
    records: Option<Arc<Mutex<Vec<Value>>>>,
}

impl Default for Trace {
    fn default() -> Self {
        Trace { records: Some(Arc::default()) }
    }
}

impl Trace {
    /// A trace that keeps nothing: for a run that writes no evidence and
    /// serves no debug log, so its probes neither build nor redact records.
    pub fn off() -> Self {
        Trace { records: None }
    }

    /// Whether records are kept: a probe asks before it builds a costly one.
    pub fn is_on(&self) -> bool {
        self.records.is_some()
    }

    /// Records one event: `kind` is `http`, `dns`, `tls` or `state`; `fields`
    /// must be a JSON object.
    pub fn record(&self, kind: &str, fields: Value) {
        let Some(records) = &self.records else { return };
        let mut record = json!({ "type": kind, "at": now() });
        if let (Some(out), Value::Object(fields)) = (record.as_object_mut(), fields) {
            out.extend(fields);
        }
        if let Ok(mut records) = records.lock() {
            records.push(record);
        }
    }

    /// Records a state transition seen in a multi-step probe, e.g. cardholder
    /// `status` 4 → 3: `{type: "state", at, entity, field, from, to}`. The
    /// evidence writer puts these in `states.jsonl`.
    pub fn state(&self, entity: &str, field: &str, from: impl Into<Value>, to: impl Into<Value>) {
        self.record("state", json!({ "entity": entity, "field": field, "from": from.into(), "to": to.into() }));
    }

    /// Takes every record so far.
    pub fn take(&self) -> Vec<Value> {
        let Some(records) = &self.records else { return Vec::new() };
        records.lock().map(|mut r| std::mem::take(&mut *r)).unwrap_or_default()
    }
}

fn now() -> String {
    time::OffsetDateTime::now_utc().format(&time::format_description::well_known::Rfc3339).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_state_transition_is_a_typed_record() {
        let trace = Trace::default();
        trace.state("cardholder ch_1", "status", 4, 3);
        let records = trace.take();
        assert_eq!(records.len(), 1);
        let r = &records[0];
        assert_eq!(
            (r["type"].as_str(), r["entity"].as_str(), r["field"].as_str()),
            (Some("state"), Some("cardholder ch_1"), Some("status"))
        );
        assert_eq!((r["from"].as_i64(), r["to"].as_i64()), (Some(4), Some(3)));
        assert!(r["at"].as_str().is_some_and(|at| at.ends_with('Z')));
    }

    #[test]
    fn a_trace_that_is_off_keeps_nothing() {
        let trace = Trace::off();
        trace.state("cardholder ch_1", "status", 4, 3);
        trace.record("http", json!({ "url": "https://example.test/" }));
        assert!(!trace.is_on());
        assert!(trace.take().is_empty());
    }
}
