//! The trace of a probe: every HTTP exchange, DNS query, TLS handshake and
//! state transition it saw, for the auditor's evidence (`--evidence DIR`).
//!
//! Each probe buffers its own records (so parallel probes never interleave);
//! the buffer outlives the probe, so a probe cut off at its deadline loses
//! nothing it recorded. Records are JSON objects with a `type` field; the
//! runner redacts them like every other part of a report.

use std::sync::{Arc, Mutex};

use serde_json::{Value, json};

/// A probe's trace buffer, shared between the probe and the runner.
#[derive(Debug, Clone, Default)]
pub struct Trace {
    records: Arc<Mutex<Vec<Value>>>,
}

impl Trace {
    /// Records one event: `kind` is `http`, `dns`, `tls` or `state`; `fields`
    /// must be a JSON object.
    pub fn record(&self, kind: &str, fields: Value) {
        let mut record = json!({ "type": kind, "at": now() });
        if let (Some(out), Value::Object(fields)) = (record.as_object_mut(), fields) {
            out.extend(fields);
        }
        if let Ok(mut records) = self.records.lock() {
            records.push(record);
        }
    }

    /// Takes every record so far.
    pub fn take(&self) -> Vec<Value> {
        self.records.lock().map(|mut r| std::mem::take(&mut *r)).unwrap_or_default()
    }
}

fn now() -> String {
    time::OffsetDateTime::now_utc().format(&time::format_description::well_known::Rfc3339).unwrap_or_default()
}
