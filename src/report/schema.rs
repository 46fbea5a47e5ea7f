//! The JSON Schema of the JSON report (`golive schema report`), derived with
//! schemars from the model's types as they serialize, so it cannot drift
//! from what `--format json` writes. It is versioned like the report: its
//! title names the version, and `schema` must equal it.

use schemars::Schema;

use super::{RunSummary, SCHEMA_VERSION};

/// The JSON Schema (draft 2020-12) of the report document of this version.
pub fn report() -> Schema {
    let generator = schemars::generate::SchemaSettings::draft2020_12().for_serialize().into_generator();
    let mut value = generator.into_root_schema_for::<RunSummary>().to_value();
    if let Some(root) = value.as_object_mut() {
        root.insert("title".into(), format!("golive JSON report, schema {SCHEMA_VERSION}").into());
        root.insert(
            "description".into(),
            "What `golive verify --format json` (and `--report json=PATH`, `run.json` of the evidence) writes. A report of another `schema` value has another shape.".into(),
        );
    }
    if let Some(version) = value.pointer_mut("/properties/schema").and_then(|v| v.as_object_mut()) {
        version.insert("const".into(), SCHEMA_VERSION.into());
    }
    Schema::try_from(value).unwrap_or_default()
}
