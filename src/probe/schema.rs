//! The JSON Schema of a pack file with every probe kind's `params`: derived
//! with schemars from the types each kind parses its parameters into, so an
//! editor completes them and a validator catches a misspelt one (what
//! `golive schema pack` prints and `schema/pack.schema.json` holds).
//!
//! The pack's own shape comes from [`crate::config::schema::pack`]; this adds
//! one `if kind = K then params: K's schema` rule per kind to the probe table.

use schemars::{JsonSchema, Schema, SchemaGenerator};
use serde_json::{Value, json};

use super::ProbeKind;

/// `params` of an `apikey` probe: the key's shape and age, then one request.
#[derive(JsonSchema)]
#[schemars(rename = "ApiKeyParams", deny_unknown_fields)]
#[allow(dead_code)]
struct ApiKeyParams {
    /// A regular expression the key must match.
    shape: Option<String>,
    /// How the shape reads for a human, e.g. "<accountId>_<apiKey>_<apiKeyId>".
    shape_hint: Option<String>,
    /// The key's rotation period in days (default: the pack's `[secret_policy]`).
    rotate_days: Option<u32>,
    #[serde(flatten)]
    request: super::request::spec::Params,
}

/// `params` of an `mtls` probe: what a server that never asks for a client
/// certificate gets, then one request.
#[derive(JsonSchema)]
#[schemars(rename = "MtlsParams", deny_unknown_fields)]
#[allow(dead_code)]
struct MtlsParams {
    /// "warn" (default) or "fail".
    not_enforced: Option<super::mtls::NotEnforced>,
    #[serde(flatten)]
    request: super::request::spec::Params,
}

/// `params` of an `http` probe: one request, or ordered steps.
struct HttpParams;

impl JsonSchema for HttpParams {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "HttpParams".into()
    }

    fn json_schema(g: &mut SchemaGenerator) -> Schema {
        let flow = g.subschema_for::<super::http::Flow>();
        let one = g.subschema_for::<super::steps::RawStep>();
        schemars::json_schema!({
            "description": "One request (method, url, assertions, ...) or `steps = [...]` with optional `cleanup`.",
            "anyOf": [flow, one]
        })
    }
}

/// The schema of `kind`'s `params`, its definitions added to `g`.
fn params_of(kind: ProbeKind, g: &mut SchemaGenerator) -> Schema {
    match kind {
        ProbeKind::Cert => g.subschema_for::<crate::certs::Policy>(),
        ProbeKind::Http => g.subschema_for::<HttpParams>(),
        ProbeKind::Tls => g.subschema_for::<super::tls::Params>(),
        ProbeKind::Mtls => g.subschema_for::<MtlsParams>(),
        ProbeKind::ApiKey => g.subschema_for::<ApiKeyParams>(),
        // Described by the pack's [key_exchange]: no parameters.
        ProbeKind::ApiKeyExchange => schemars::json_schema!({
            "type": "object",
            "additionalProperties": false,
            "description": "None: the exchange is described by the pack's [key_exchange]."
        }),
        ProbeKind::Webhook => g.subschema_for::<super::webhook::Params>(),
        ProbeKind::Fcrdns => g.subschema_for::<super::fcrdns::Params>(),
        ProbeKind::Environment => g.subschema_for::<super::environment::Params>(),
        ProbeKind::Exposure => g.subschema_for::<super::exposure::Params>(),
    }
}

/// The JSON Schema of a pack file, each probe's `params` checked against its kind's.
pub fn pack() -> Schema {
    let mut value = crate::config::schema::pack().to_value();
    let mut g = crate::config::schema::generator();
    let rules: Vec<Value> = ProbeKind::ALL
        .iter()
        .map(|k| {
            let params = params_of(*k, &mut g).to_value();
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
