//! The JSON Schema of a pack file with every probe kind's `params`: derived
//! with schemars from the types each kind parses its parameters into, so an
//! editor completes them and a validator catches a misspelt one (what
//! `golive schema pack` prints and `schema/pack.schema.json` holds).
//!
//! The pack's own shape comes from [`crate::config::schema::pack`]; this adds
//! one `if kind = K then params: K's schema` rule per kind to the probe table,
//! each kind giving its own ([`kinds::AnyKind::params`]).

use schemars::Schema;
use serde_json::{Value, json};

use super::kinds;
use crate::spec::ProbeKind;

/// The JSON Schema of a pack file, each probe's `params` checked against its kind's.
pub fn pack() -> Schema {
    let mut value = crate::config::schema::pack().to_value();
    let mut g = crate::config::schema::generator();
    let rules: Vec<Value> = ProbeKind::all()
        .map(|k| {
            let params = kinds::of(k).params(&mut g).to_value();
            json!({
                "if": { "properties": { "kind": { "const": k.name() } }, "required": ["kind"] },
                "then": { "properties": { "params": params } }
            })
        })
        .collect();
    let defs: serde_json::Map<String, Value> = g.take_definitions(true).into_iter().collect();
    if let Some(all) = value.pointer_mut("/$defs").and_then(Value::as_object_mut) {
        for (name, def) in defs {
            all.entry(name).or_insert(def);
        }
    }
    if let Some(probe) = value.pointer_mut("/$defs/Probe").and_then(Value::as_object_mut) {
        probe.insert("allOf".into(), Value::Array(rules));
    }
    crate::config::schema::without_null(Schema::try_from(value).unwrap_or_default())
}
