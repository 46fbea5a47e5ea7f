//! The JSON Schemas of golive.toml and pack files (`golive schema`), and the
//! CI files: the committed `schema/*.json` equal what the code generates; every
//! pack, every valid configuration fixture and the README's configuration
//! example validate; the unknown-key, literal-secret, bad-date, unknown-kind
//! and bad-status fixtures are rejected; the workflows, the action and the GitLab template validate
//! against their vendors' schemas.
//!
//! The validator is `check-jsonschema` (PyPI), which `.ci/run` installs and
//! names in `GOLIVE_CHECK_JSONSCHEMA`; otherwise it is looked for on PATH.
//! Without it the validation tests say so and pass, except with `CI=true`,
//! where a missing validator fails them.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::support::{golive, output_within_limit, stderr, stdout};

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

const REGENERATE: &str = "regenerate them: cargo run -- schema config > schema/config.schema.json && cargo run -- schema pack > schema/pack.schema.json && cargo run -- schema report > schema/report.schema.json";

#[test]
fn the_committed_schemas_are_what_the_code_generates() {
    for (which, generated) in [
        ("config", golive::config::schema::config()),
        ("pack", golive::probe::schema::pack()),
        ("report", golive::report::schema::report()),
    ] {
        let path = root().join(format!("schema/{which}.schema.json"));
        let committed = std::fs::read_to_string(&path).unwrap_or_default();
        let generated = golive::config::schema::to_pretty(&generated);
        assert!(committed == generated, "{} differs from `golive schema {which}`: {REGENERATE}", path.display());
        let out = golive(&["schema", which]);
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
        assert_eq!(stdout(&out), generated, "`golive schema {which}` prints the generated schema");
    }
}

#[test]
fn the_schemas_close_tables_spell_out_secrets_and_carry_the_doc_comments() {
    let config = golive::config::schema::config().to_value();
    assert_eq!(config["$schema"], "https://json-schema.org/draft/2020-12/schema");
    assert_eq!(config["additionalProperties"], false);
    let env = &config["$defs"]["Environment"];
    assert_eq!(env["additionalProperties"], false, "unknown keys of [env.NAME] are errors: {env:#}");
    assert_eq!(env["required"], serde_json::json!(["pack"]));
    assert_eq!(env["properties"]["api_key"]["$ref"], "#/$defs/SecretRef");
    assert!(
        env["properties"]["base_url"]["description"].as_str().is_some_and(|d| d.contains("base URL")),
        "descriptions come from the doc comments: {env:#}"
    );
    let secret = &config["$defs"]["SecretRef"];
    let forms: Vec<&serde_json::Value> = secret["anyOf"].as_array().expect("anyOf").iter().collect();
    assert_eq!(forms.len(), 2, "{{ env }} | {{ file }}: {secret:#}");
    let resolved: Vec<&serde_json::Value> = forms
        .iter()
        .map(|f| f["$ref"].as_str().and_then(|r| r.strip_prefix("#/$defs/")).map_or(*f, |name| &config["$defs"][name]))
        .collect();
    let required: BTreeSet<String> =
        resolved.iter().map(|f| f["required"][0].as_str().unwrap_or("").to_string()).collect();
    assert_eq!(required, BTreeSet::from(["env".to_string(), "file".to_string()]), "{secret:#}");
    assert!(resolved.iter().all(|f| f["additionalProperties"] == false), "{secret:#}");
    assert!(!config.to_string().contains("\"null\""), "TOML has no null");

    let pack = golive::probe::schema::pack().to_value();
    assert_eq!(pack["$schema"], "https://json-schema.org/draft/2020-12/schema");
    assert_eq!(pack["additionalProperties"], false);
    let kinds = pack["$defs"]["ProbeKind"]["enum"].as_array().expect("kind names");
    assert!(kinds.iter().any(|k| k == "mtls") && kinds.iter().any(|k| k == "apikey-exchange"), "{kinds:?}");
    assert_eq!(pack["$defs"]["Probe"]["additionalProperties"], false);
}

/// The one request of `mtls` and `apikey` is described by the same
/// declaration as a step of `http`: in the pack schema golive prints, each
/// kind's params are the step's keys without the step-only ones, plus the
/// kind's own, and every one of them is closed.
#[test]
fn a_single_request_schema_is_the_step_schema_without_the_step_keys() {
    let pack = golive::probe::schema::pack().to_value();
    let keys = |def: &str| -> BTreeSet<String> {
        let d = &pack["$defs"][def];
        assert_eq!(d["additionalProperties"], false, "{def} is closed: {d:#}");
        d["properties"].as_object().unwrap_or_else(|| panic!("{def} has properties")).keys().cloned().collect()
    };
    let flow_only = golive::probe::request::raw::FLOW_ONLY;
    let step = keys("Step");
    assert!(flow_only.iter().all(|k| step.contains(*k)), "{flow_only:?} are step keys: {step:?}");
    let request: BTreeSet<String> = step.iter().filter(|k| !flow_only.contains(&k.as_str())).cloned().collect();
    for (def, own) in [("MtlsParams", &["not_enforced"][..]), ("ApiKeyParams", &["shape", "shape_hint", "rotate_days"])]
    {
        let mut expected = request.clone();
        expected.extend(own.iter().map(|k| k.to_string()));
        assert_eq!(keys(def), expected, "{def}");
    }
}

/// `check-jsonschema`, or `None` (with a note) where it may be missing.
fn validator() -> Option<PathBuf> {
    let candidates: Vec<PathBuf> = std::env::var_os("GOLIVE_CHECK_JSONSCHEMA")
        .map(PathBuf::from)
        .into_iter()
        .chain([PathBuf::from("check-jsonschema")])
        .collect();
    for exe in candidates {
        let works = Command::new(&exe).arg("--version").output().is_ok_and(|o| o.status.success());
        if works {
            return Some(exe);
        }
    }
    let ci = std::env::var("CI").is_ok_and(|v| v == "true" || v == "1");
    assert!(
        !ci,
        "CI=true but check-jsonschema is missing: .ci/run installs it (pip install check-jsonschema) and sets GOLIVE_CHECK_JSONSCHEMA"
    );
    eprintln!("check-jsonschema not found (set GOLIVE_CHECK_JSONSCHEMA or put it on PATH): schema validation not run");
    None
}

/// A TOML document as JSON, as the schemas see it (date-times as RFC 3339 text).
fn to_json(value: toml::Value) -> serde_json::Value {
    match value {
        toml::Value::String(s) => serde_json::Value::String(s),
        toml::Value::Integer(i) => serde_json::Value::from(i),
        toml::Value::Float(f) => serde_json::Value::from(f),
        toml::Value::Boolean(b) => serde_json::Value::Bool(b),
        toml::Value::Datetime(d) => serde_json::Value::String(d.to_string()),
        toml::Value::Array(items) => serde_json::Value::Array(items.into_iter().map(to_json).collect()),
        toml::Value::Table(t) => serde_json::Value::Object(t.into_iter().map(|(k, v)| (k, to_json(v))).collect()),
    }
}

/// The README's configuration example: the first ```toml block of its
/// "Configuration reference" section.
fn readme_example() -> String {
    let readme = std::fs::read_to_string(root().join("README.md")).expect("README.md");
    let section = readme.split("## Configuration reference").nth(1).expect("a Configuration reference section");
    let block = section.split("```toml\n").nth(1).expect("a ```toml block");
    block.split("```").next().expect("closed block").to_string()
}

/// Validates `files` (name, TOML text) against `schema` in one call and
/// returns the names of the files with errors, or `None` without a validator.
fn rejected(schema: &str, files: &[(String, String)]) -> Option<BTreeSet<String>> {
    let values: Vec<(String, serde_json::Value)> = files
        .iter()
        .map(|(name, text)| {
            let value: toml::Value = toml::from_str(text).unwrap_or_else(|e| panic!("{name} is TOML: {e}"));
            (name.clone(), to_json(value))
        })
        .collect();
    rejected_json(&root().join(schema), &values)
}

/// Validates JSON documents against the schema file `schema` in one call and
/// returns the names of those with errors, or `None` without a validator.
pub fn rejected_json(schema: &Path, files: &[(String, serde_json::Value)]) -> Option<BTreeSet<String>> {
    let exe = validator()?;
    let dir = tempfile::tempdir().expect("temp dir");
    let mut paths = Vec::new();
    for (i, (_, value)) in files.iter().enumerate() {
        let path = dir.path().join(format!("{i}.json"));
        std::fs::write(&path, serde_json::to_string_pretty(value).expect("JSON")).expect("write JSON");
        paths.push(path);
    }
    let mut cmd = Command::new(exe);
    cmd.arg("--schemafile").arg(schema).args(["--output-format", "json"]).args(&paths);
    let out = output_within_limit(&mut cmd);
    let report: serde_json::Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("check-jsonschema printed JSON ({e}): {}{}", stdout(&out), stderr(&out)));
    // check-jsonschema leaves `parse_errors` out when every file is valid.
    assert!(report["parse_errors"].as_array().is_none_or(Vec::is_empty), "{report:#}");
    let mut names = BTreeSet::new();
    for error in report["errors"].as_array().into_iter().flatten() {
        let file = error["filename"].as_str().unwrap_or_default();
        let index = paths.iter().position(|p| p.to_str() == Some(file)).expect("an error names a file given");
        names.insert(files[index].0.clone());
    }
    Some(names)
}

fn read(path: &Path) -> (String, String) {
    let name = path.strip_prefix(root()).unwrap_or(path).display().to_string();
    (name, std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display())))
}

fn tomls(dir: &str) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = std::fs::read_dir(root().join(dir))
        .unwrap_or_else(|e| panic!("{dir}: {e}"))
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .collect();
    out.sort();
    out
}

#[test]
fn configurations_validate_and_unknown_keys_and_literal_secrets_are_rejected() {
    // Every configuration fixture is read; the invalid ones whose fault only
    // golive's own checks can see (a bad URL, a missing file, a cycle in the
    // pack) are valid for the schema, the rest are named here.
    let must_fail = BTreeSet::from([
        "fixtures/config/invalid-unknown-key.toml".to_string(),
        "fixtures/config/invalid-literal-secret.toml".to_string(),
        // A pack's inputs: a misspelt one, and a secret input written as a literal.
        "fixtures/config/invalid-unknown-input.toml".to_string(),
        "fixtures/config/invalid-literal-input-secret.toml".to_string(),
        // "2026-11-20 10:00" is no RFC 3339 date-time (`format: date-time`).
        "fixtures/config/invalid-temporal-key-issued-at.toml".to_string(),
        // Several mistakes, an unknown key among them.
        "fixtures/config/invalid-many-errors.toml".to_string(),
        "fixtures/config/invalid-too-many-errors.toml".to_string(),
        // Values of the wrong type, and an unknown field of the webhook table.
        "fixtures/config/invalid-key-types.toml".to_string(),
    ]);
    let mut files: Vec<(String, String)> = tomls("fixtures/config").iter().map(|p| read(p)).collect();
    assert!(files.iter().any(|(n, _)| n.ends_with("valid-two-envs.toml")), "the valid fixture is there");
    files.push(("README.md configuration example".to_string(), readme_example()));
    let Some(rejected) = rejected("schema/config.schema.json", &files) else { return };
    assert_eq!(rejected, must_fail, "the configuration schema rejects exactly these files");
}

#[test]
fn packs_validate_and_an_unknown_kind_is_rejected() {
    let must_fail = BTreeSet::from([
        "fixtures/config/packs/unknown-kind.toml".to_string(),
        "fixtures/config/packs/bad-diagnosis-status.toml".to_string(),
        "fixtures/config/packs/several-errors.toml".to_string(),
        // A probe parameter golive does not know (`warn_day` for `warn_days`).
        "fixtures/config/packs/param-typo.toml".to_string(),
        // A step key (`capture`) in the one request of an `mtls` probe.
        "fixtures/config/packs/single-request-step-key.toml".to_string(),
    ]);
    let mut files: Vec<(String, String)> = tomls("probes").iter().map(|p| read(p)).collect();
    assert!(files.len() >= 2, "the built-in packs are there");
    files.extend(tomls("fixtures/config/packs").iter().map(|p| read(p)));
    let Some(rejected) = rejected("schema/pack.schema.json", &files) else { return };
    assert_eq!(rejected, must_fail, "the pack schema rejects exactly these files");
}

#[test]
fn workflows_the_action_and_the_gitlab_template_validate() {
    let Some(exe) = validator() else { return };
    let workflows: Vec<PathBuf> = std::fs::read_dir(root().join(".github/workflows"))
        .expect(".github/workflows")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|x| x == "yml" || x == "yaml"))
        .collect();
    assert!(workflows.len() >= 3, "ci, the gate example and release: {workflows:?}");
    for (schema, files) in [
        ("vendor.github-workflows", workflows),
        ("vendor.github-actions", vec![root().join("action.yml")]),
        ("vendor.gitlab-ci", vec![root().join("ci/gitlab/golive.gitlab-ci.yml")]),
    ] {
        let mut cmd = Command::new(&exe);
        cmd.args(["--builtin-schema", schema]).args(&files);
        let out = output_within_limit(&mut cmd);
        assert_eq!(out.status.code(), Some(0), "{schema}: {files:?}\n{}{}", stdout(&out), stderr(&out));
    }
}

/// `golive schema report` describes what `--format json` writes: reports of a
/// passing demo, of failures with error classes and probes off, and of a
/// run that reached no verdict validate against it, and a report of another
/// version does not.
#[test]
fn json_reports_validate_against_the_versioned_report_schema() {
    let mut files = Vec::new();
    for scenario in ["healthy", "ip-not-allowlisted", "untrusted-ca", "fault-connection-refused"] {
        let out = golive(&["verify", "--env", "demo", "--scenario", scenario, "--format", "json", "--no-progress"]);
        let doc: serde_json::Value =
            serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{scenario}: JSON ({e}): {}", stderr(&out)));
        files.push((scenario.to_string(), doc));
    }
    let mut other = files[0].1.clone();
    other["schema"] = serde_json::json!(2);
    files.push(("a report of schema 2".to_string(), other));
    let out = golive(&["schema", "report"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(stdout(&out).contains("\"title\": \"golive JSON report, schema 1\""), "versioned: {}", stdout(&out));
    let Some(rejected) = rejected_json(&root().join("schema/report.schema.json"), &files) else { return };
    assert_eq!(rejected, BTreeSet::from(["a report of schema 2".to_string()]));
}

/// `golive init --pack` of a pack of your own (its inputs, its own webhook
/// scheme) writes a schema that accepts the golive.toml it wrote, as does
/// `golive schema config --config`; the built-in schema alone does not.
#[test]
fn the_schema_init_writes_accepts_the_config_it_wrote_for_a_custom_pack() {
    let dir = tempfile::tempdir().expect("tempdir");
    crate::support::write_nimbus_pack(
        dir.path(),
        r#"[inputs.merchant_ref]
about = "the merchant reference Nimbus assigns"

[inputs.signing_token]
about = "the token Nimbus signs settlement files with"
secret = true

[schemes.nimbus]
header = "x-nimbus-signature"
expect_status = 200

[[probe]]
id = "nimbus-merchant"
kind = "http"
title = "The merchant exists"
[probe.params]
url = "${base_url}/merchants/${merchant_ref}"

[[probe]]
id = "nimbus-webhook"
kind = "webhook"
title = "The webhook endpoint verifies Nimbus signatures"
[probe.params]
scheme = "nimbus"
[probe.params.event]
type = "settlement.ready"
"#,
    );
    let out = crate::support::golive_in(dir.path(), &["init", "--pack", "nimbus.toml", "--env", "staging"], &[]);
    assert_eq!(out.status.code(), Some(0), "{}{}", stdout(&out), stderr(&out));
    let text = std::fs::read_to_string(dir.path().join("golive.toml")).expect("golive.toml");
    // Filled in as a user would: the pack's secret input set, the webhook naming the pack's own scheme.
    assert!(text.contains("merchant_ref = ") && text.contains("[env.staging.webhook]\n"), "{text}");
    let filled = text.replace("merchant_ref = ", "signing_token = { env = \"NIMBUS_SIGNING_TOKEN\" }\nmerchant_ref = ");
    let filled = if filled.contains("scheme = \"nimbus\"") {
        filled
    } else {
        filled.replace("[env.staging.webhook]\n", "[env.staging.webhook]\nscheme = \"nimbus\"\n")
    };
    let value: toml::Value = toml::from_str(&filled).unwrap_or_else(|e| panic!("TOML ({e}):\n{filled}"));
    let env = &value["env"]["staging"];
    assert!(env.get("merchant_ref").is_some() && env.get("signing_token").is_some(), "{filled}");
    let doc = vec![("golive.toml".to_string(), to_json(value))];
    let written = dir.path().join("golive.schema.json");
    let printed = crate::support::golive_in(dir.path(), &["schema", "config", "--config", "golive.toml"], &[]);
    assert_eq!(printed.status.code(), Some(0), "{}", stderr(&printed));
    assert_eq!(stdout(&printed), std::fs::read_to_string(&written).expect("schema written"), "the same schema");
    let Some(rejected) = rejected_json(&written, &doc) else { return };
    assert!(rejected.is_empty(), "the schema init wrote rejects the file it wrote:\n{filled}");
    let built_in = rejected_json(&root().join("schema/config.schema.json"), &doc).expect("validator");
    assert!(!built_in.is_empty(), "the built-in packs' schema does not know nimbus's inputs");
}
