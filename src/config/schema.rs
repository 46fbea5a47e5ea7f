//! JSON Schemas (draft 2020-12) of `golive.toml` and of pack files, generated
//! from the serde types that parse them ([`super::raw::RawConfig`] and the raw
//! pack), for editors (`#:schema` in TOML) and `golive schema config|pack`.
//!
//! The parsing types keep spans (`toml::Spanned`) and take some values as raw
//! TOML to give precise errors later; the types below only describe, for the
//! schema, what those values may be. They parse nothing.

use std::borrow::Cow;

use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};

/// The generator both schemas use: draft 2020-12.
pub fn generator() -> SchemaGenerator {
    schemars::generate::SchemaSettings::draft2020_12().into_generator()
}

/// The JSON Schema of `golive.toml`.
///
/// `[env.NAME]` also takes the inputs a pack declares (`[inputs.NAME]`): the
/// built-in packs' inputs are listed, so an editor knows them and unknown keys
/// stay errors. (An environment of a pack file with other inputs is checked
/// by golive itself; drop the `#:schema` line there or extend the schema.)
pub fn config() -> Schema {
    config_for(&[])
}

/// The JSON Schema of a `golive.toml` whose environments use `packs` besides
/// the built-in ones: their `[inputs.NAME]` are keys of `[env.NAME]`, and the
/// schemes they declare (`[schemes.NAME]`) are names `webhook.scheme` takes.
/// What `golive init` writes beside the file, so the schema accepts what
/// golive accepts.
pub fn config_for(packs: &[&super::Pack]) -> Schema {
    let schema = without_null(generator().into_root_schema_for::<super::raw::RawConfig>());
    let mut value = schema.to_value();
    if let Some(props) = value.pointer_mut("/$defs/Environment/properties").and_then(|p| p.as_object_mut()) {
        let own = packs.iter().flat_map(|p| p.inputs.iter().map(move |(n, s)| (n.clone(), s.clone(), Some(&p.name))));
        let built_in = built_in_inputs().into_iter().map(|(n, s)| (n, s, None));
        for (name, spec, pack) in built_in.chain(own) {
            let about = match pack {
                Some(p) => format!("An input of pack `{p}`: {}.", spec.about),
                None => format!("An input of the built-in packs: {}.", spec.about),
            };
            let entry = if spec.secret {
                serde_json::json!({ "$ref": "#/$defs/SecretRef", "description": about })
            } else {
                serde_json::json!({ "type": "string", "description": about })
            };
            props.entry(name).or_insert(entry);
        }
    }
    // A pack's own scheme is a name `webhook.scheme` may give, like a preset.
    let names = value.pointer_mut("/$defs/WebhookScheme/anyOf/0/enum").and_then(|e| e.as_array_mut());
    if let Some(names) = names {
        for (scheme, _) in packs.iter().flat_map(|p| &p.schemes) {
            let name = serde_json::Value::String(scheme.clone());
            if !names.contains(&name) {
                names.push(name);
            }
        }
    }
    Schema::try_from(value).unwrap_or_default()
}

/// Every input the built-in packs declare, by name (first declaration wins).
fn built_in_inputs() -> std::collections::BTreeMap<String, crate::spec::InputSpec> {
    #[derive(serde::Deserialize)]
    struct Inputs {
        #[serde(default)]
        inputs: std::collections::BTreeMap<String, crate::spec::InputSpec>,
    }
    let mut out = std::collections::BTreeMap::new();
    for (_, text) in super::pack::BUILT_IN {
        // A built-in pack that does not parse fails its own tests; here it adds nothing.
        // Only `[inputs]` is read; the pack's other tables are ignored.
        if let Ok(parsed) = toml::from_str::<Inputs>(text) {
            for (name, spec) in parsed.inputs {
                out.entry(name).or_insert(spec);
            }
        }
    }
    out
}

/// The JSON Schema of a pack file, its probes' `params` any table (the
/// schema golive prints adds each kind's parameters: `probe::schema::pack`).
pub fn pack() -> Schema {
    without_null(generator().into_root_schema_for::<super::pack::RawPack>())
}

/// Drops the `null` schemars allows for every `Option`: TOML has no null, an
/// optional key is simply left out (and not in `required`).
pub fn without_null(schema: Schema) -> Schema {
    fn strip(v: &mut serde_json::Value) {
        let Some(obj) = v.as_object_mut() else {
            if let Some(items) = v.as_array_mut() {
                items.iter_mut().for_each(strip);
            }
            return;
        };
        if let Some(serde_json::Value::Array(types)) = obj.get_mut("type") {
            types.retain(|t| t != "null");
            if types.len() == 1 {
                let only = types.remove(0);
                obj.insert("type".into(), only);
            }
        }
        if let Some(serde_json::Value::Array(any)) = obj.get_mut("anyOf") {
            let null = serde_json::json!({ "type": "null" });
            any.retain(|s| *s != null);
            if any.len() == 1
                && let Some(serde_json::Value::Object(only)) = any.pop()
            {
                obj.remove("anyOf");
                for (k, val) in only {
                    obj.entry(k).or_insert(val);
                }
            }
        }
        obj.values_mut().for_each(strip);
    }
    let mut value = schema.to_value();
    strip(&mut value);
    Schema::try_from(value).unwrap_or_default()
}

/// Pretty JSON of a schema, with a final newline: what `golive schema` prints
/// and what `schema/*.json` hold.
pub fn to_pretty(schema: &Schema) -> String {
    let mut text = serde_json::to_string_pretty(schema).unwrap_or_default();
    text.push('\n');
    text
}

/// A secret: `{ env = "VAR" }` or `{ file = "path" }`, never a literal string.
#[derive(JsonSchema)]
#[serde(untagged)]
#[schemars(rename = "SecretRef")]
#[allow(dead_code)]
pub(crate) enum SecretRefSchema {
    /// `{ env = "VAR" }`: read from an environment variable.
    Env(EnvSecret),
    /// `{ file = "path" }`: read from a file, relative to golive.toml's folder; trailing newlines are trimmed.
    File(FileSecret),
}

/// `{ env = "VAR" }`: the secret is the value of an environment variable (set, not empty).
#[derive(JsonSchema)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
pub(crate) struct EnvSecret {
    /// The environment variable holding the secret, e.g. "AXYS_API_KEY".
    env: String,
}

/// `{ file = "path" }`: the secret is the contents of a file (not empty).
#[derive(JsonSchema)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
pub(crate) struct FileSecret {
    /// The file holding the secret, relative to the folder of golive.toml.
    file: String,
}

/// An instant with its offset: RFC 3339 text ("2026-11-20T10:00:00Z") or a TOML offset date-time.
pub(crate) struct DateTimeSchema;

impl JsonSchema for DateTimeSchema {
    fn schema_name() -> Cow<'static, str> {
        "DateTime".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "type": "string",
            "format": "date-time",
            "description": "An instant with its offset: RFC 3339 text such as \"2026-11-20T10:00:00Z\", or a TOML offset date-time."
        })
    }
}

/// A duration such as "500ms", "10s" or "2m".
pub(crate) struct DurationSchema;

impl JsonSchema for DurationSchema {
    fn schema_name() -> Cow<'static, str> {
        "Duration".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "type": "string",
            "pattern": "^\\s*[0-9]",
            "description": "A positive duration such as \"500ms\", \"10s\" or \"2m\"."
        })
    }
}

/// "staging" or "production".
pub(crate) struct StageSchema;

impl JsonSchema for StageSchema {
    fn schema_name() -> Cow<'static, str> {
        "Stage".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "type": "string",
            "enum": ["staging", "production"],
            "description": "The partner environment: \"staging\" or \"production\"."
        })
    }
}

/// A probe kind this golive implements.
pub(crate) struct ProbeKindSchema;

impl JsonSchema for ProbeKindSchema {
    fn schema_name() -> Cow<'static, str> {
        "ProbeKind".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        let kinds = crate::spec::ProbeKind::names();
        json_schema!({
            "type": "string",
            "enum": kinds,
            "description": "The probe kind: what it checks and which `params` it reads (README, \"What it checks\")."
        })
    }
}

/// An HTTP status or class as text: "403" or "5xx".
pub(crate) struct StatusTextSchema;

const STATUS_PATTERN: &str = "^\\s*([1-5][0-9][0-9]|[1-5][xX][xX])\\s*$";

impl JsonSchema for StatusTextSchema {
    fn schema_name() -> Cow<'static, str> {
        "StatusText".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "type": "string",
            "pattern": STATUS_PATTERN,
            "description": "An exact HTTP status (\"403\") or a class (\"4xx\")."
        })
    }
}

/// An HTTP status: an integer from 100 to 599, or text "403" / "5xx".
pub(crate) struct StatusSchema;

impl JsonSchema for StatusSchema {
    fn schema_name() -> Cow<'static, str> {
        "Status".into()
    }

    fn json_schema(generator: &mut SchemaGenerator) -> Schema {
        let text = generator.subschema_for::<StatusTextSchema>();
        json_schema!({
            "description": "An exact HTTP status (403 or \"403\") or a class (\"5xx\").",
            "anyOf": [{ "type": "integer", "minimum": 100, "maximum": 599 }, text]
        })
    }
}

/// A webhook signature scheme: a preset name or a table defining one.
pub(crate) struct WebhookSchemeSchema;

impl JsonSchema for WebhookSchemeSchema {
    fn schema_name() -> Cow<'static, str> {
        "WebhookScheme".into()
    }

    fn json_schema(generator: &mut SchemaGenerator) -> Schema {
        let def = generator.subschema_for::<super::scheme::SchemeDef>();
        let presets: Vec<&str> = super::scheme::PRESETS.iter().copied().collect();
        json_schema!({
            "description": "The signature scheme: a built-in preset's name, or a table defining a custom scheme (which may start from a preset).",
            "anyOf": [
                { "type": "string", "enum": presets },
                def
            ]
        })
    }
}
