//! Writing an evidence folder from a finished run and its plan.

use std::path::Path;

use serde_json::{Map, Value, json};

use super::sign::{SIGNATURE, Signer};
use super::{ENVIRONMENT, EvidenceError, MANIFEST, REPORT, RUN, STATES, TRACE, manifest};
use crate::config::{Environment, Input, keys};
use crate::plan::Plan;
use crate::redact::Redactor;
use crate::report::RunSummary;

/// What was written, for the command to tell the user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Written {
    /// The files, manifest and signature last.
    pub files: Vec<String>,
    /// How many `http` records `trace.jsonl` holds.
    pub http: usize,
    /// How many records `trace.jsonl` holds in all.
    pub trace: usize,
    /// How many transitions `states.jsonl` holds.
    pub states: usize,
}

/// Makes `dir` ready before the run, so nothing runs when the evidence could
/// not be written: creates it when missing (0700: it holds full traces) and
/// refuses one that exists and holds anything (evidence is never mixed with or
/// written over other files, earlier evidence included); loads the signing
/// key at `key`, or makes one there.
pub fn prepare(dir: &Path, key: &Path) -> Result<Signer, EvidenceError> {
    let shown = dir.display();
    if dir.exists() && !dir.is_dir() {
        return Err(EvidenceError::new(
            format!("the evidence folder {shown} is a file"),
            "pass the path of a new folder to --evidence, e.g. --evidence evidence/$(date +%Y%m%d-%H%M%S)",
        ));
    }
    std::fs::create_dir_all(dir).map_err(|e| {
        EvidenceError::new(format!("cannot create the evidence folder {shown}: {e}"), "check the path and permissions")
    })?;
    let mut entries = std::fs::read_dir(dir).map_err(|e| {
        EvidenceError::new(format!("cannot read the evidence folder {shown}: {e}"), "check its permissions")
    })?;
    if entries.next().is_some() {
        return Err(EvidenceError::new(
            format!("the evidence folder {shown} is not empty"),
            "evidence is never written over other files: pass a new folder, e.g. --evidence evidence/$(date +%Y%m%d-%H%M%S)",
        ));
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700)).map_err(|e| {
            EvidenceError::new(format!("cannot make the evidence folder {shown} private: {e}"), "check its owner")
        })?;
    }
    Signer::load_or_create(key)
}

/// Writes the evidence of a run into `dir` (see [`prepare`]): every file
/// (0600) through a temporary name and a rename, then the manifest, then its
/// signature by `signer`.
pub fn write(dir: &Path, summary: &RunSummary, plan: &Plan, signer: &Signer) -> Result<Written, EvidenceError> {
    let redactor = plan.redactor();
    let clean = |mut v: Value| {
        clean_json(&redactor, &mut v);
        v
    };
    let mut trace = String::new();
    let mut states = String::new();
    let (mut http, mut records, mut transitions) = (0, 0, 0);
    for probe in &summary.probes {
        for record in &probe.trace {
            let kind = record.get("type").and_then(Value::as_str).unwrap_or("");
            if kind == "state" {
                let field = |k: &str| record.get(k).cloned().unwrap_or(Value::Null);
                let line = json!({
                    "probe": probe.id,
                    "entity": field("entity"),
                    "field": field("field"),
                    "from": field("from"),
                    "to": field("to"),
                    "at": field("at"),
                });
                push_line(&mut states, &clean(line))?;
                transitions += 1;
            } else {
                let mut line = Map::new();
                line.insert("probe".into(), Value::String(probe.id.clone()));
                if let Value::Object(fields) = record {
                    line.extend(fields.iter().map(|(k, v)| (k.clone(), v.clone())));
                }
                push_line(&mut trace, &clean(Value::Object(line)))?;
                records += 1;
                http += usize::from(kind == "http");
            }
        }
    }
    let run = clean(serde_json::to_value(summary).map_err(|e| cannot(dir, RUN, &e))?);
    let environment = clean(environment(summary, plan));
    let files: [(&str, Vec<u8>); 5] = [
        (RUN, pretty(&run).map_err(|e| cannot(dir, RUN, &e))?),
        (TRACE, trace.into_bytes()),
        (STATES, states.into_bytes()),
        (ENVIRONMENT, pretty(&environment).map_err(|e| cannot(dir, ENVIRONMENT, &e))?),
        (REPORT, html(summary, &redactor).map_err(|e| cannot(dir, REPORT, &e))?),
    ];
    for (name, bytes) in &files {
        write_file(dir, name, bytes)?;
    }
    let text = manifest::render(files.iter().map(|(n, b)| (*n, b.as_slice())));
    write_file(dir, MANIFEST, text.as_bytes())?;
    write_file(dir, SIGNATURE, signer.sign(text.as_bytes()).as_bytes())?;
    let mut names: Vec<String> = files.iter().map(|(n, _)| n.to_string()).collect();
    names.extend([MANIFEST.to_string(), SIGNATURE.to_string()]);
    Ok(Written { files: names, http, trace: records, states: transitions })
}

/// The HTML report of the run: every report redacted again before it is
/// rendered (escaping would hide a secret from a search of the page), card
/// numbers masked in the page (escaping leaves digits as they are).
fn html(summary: &RunSummary, redactor: &Redactor) -> std::io::Result<Vec<u8>> {
    let mut clean = summary.clone();
    clean.probes.iter_mut().for_each(|p| redactor.redact_report(p));
    let mut page = Vec::new();
    crate::report::html::render(&clean, &mut page)?;
    Ok(redactor.redact(&String::from_utf8_lossy(&page)).into_bytes())
}

/// Secrets replaced and card numbers masked in every string of a JSON value.
fn clean_json(redactor: &Redactor, value: &mut Value) {
    match value {
        Value::String(s) => *s = redactor.redact(s),
        Value::Array(items) => items.iter_mut().for_each(|v| clean_json(redactor, v)),
        Value::Object(map) => map.values_mut().for_each(|v| clean_json(redactor, v)),
        Value::Null | Value::Bool(_) | Value::Number(_) => {}
    }
}

fn push_line(out: &mut String, value: &Value) -> Result<(), EvidenceError> {
    let line = serde_json::to_string(value)
        .map_err(|e| EvidenceError::new(format!("cannot encode a trace record: {e}"), "please report it"))?;
    out.push_str(&line);
    out.push('\n');
    Ok(())
}

fn pretty(value: &Value) -> Result<Vec<u8>, serde_json::Error> {
    let mut bytes = serde_json::to_vec_pretty(value)?;
    bytes.push(b'\n');
    Ok(bytes)
}

fn cannot(dir: &Path, name: &str, e: &dyn std::fmt::Display) -> EvidenceError {
    EvidenceError::new(format!("cannot write {}: {e}", dir.join(name).display()), "check free space and permissions")
}

/// Writes `name` in `dir` (0600) under a temporary name, then renames it, so
/// a reader never sees half a file under the real name.
fn write_file(dir: &Path, name: &str, bytes: &[u8]) -> Result<(), EvidenceError> {
    let partial = dir.join(format!(".{name}.partial"));
    crate::files::write_private(&partial, bytes)
        .and_then(|()| std::fs::rename(&partial, dir.join(name)).map_err(|e| e.to_string()))
        .map_err(|e| cannot(dir, name, &e))
}

/// `environment.json`: tool, packs, configuration with secrets as references,
/// OS and clock.
fn environment(summary: &RunSummary, plan: &Plan) -> Value {
    let now = time::OffsetDateTime::now_utc();
    let packs: Vec<Value> = plan
        .targets
        .iter()
        .map(|t| {
            json!({
                "name": t.pack.name,
                "title": t.pack.title,
                "runbook": t.pack.runbook,
                "sha256": t.pack.sha256(),
                "source": t.pack.source.path.display().to_string(),
            })
        })
        .collect();
    let environments: Vec<Value> = plan.targets.iter().map(|t| configuration(&t.env)).collect();
    json!({
        "schema": 1,
        "golive_version": env!("CARGO_PKG_VERSION"),
        "env": summary.env,
        "command": std::env::args_os().map(|a| a.to_string_lossy().into_owned()).collect::<Vec<_>>(),
        "packs": packs,
        "environments": environments,
        "os": std::env::consts::OS,
        "arch": std::env::consts::ARCH,
        "clock": {
            "written_at": now.format(&time::format_description::well_known::Rfc3339).unwrap_or_default(),
            "run_started_at": summary.started_at,
            "unix_ms": (now.unix_timestamp_nanos() / 1_000_000) as i64,
        },
    })
}

/// One environment as configured, every key of the catalogue as it shows
/// itself ([`keys::Key::show`]): a secret (`api_key`, the webhook's secret and
/// password, a secret input) only as its reference (`{ env = "VAR" }`), never
/// its value; a duration as `<key>_ms`.
fn configuration(env: &Environment) -> Value {
    let mut map = Map::new();
    map.insert("name".into(), json!(env.name));
    for key in keys::KEYS {
        let shown = (key.show)(env);
        let name = match shown {
            keys::Shown::Duration(_) => format!("{}_ms", key.name),
            _ => key.name.to_string(),
        };
        map.insert(name, shown.to_json());
    }
    // The pack's inputs under the keys golive.toml gives them, secrets as references.
    for (key, input) in &env.inputs {
        let value = match input {
            Input::Text(v) => json!(v),
            Input::Secret(s) => json!(s.source.to_string()),
            Input::Path(p) => json!(p.display().to_string()),
        };
        map.insert(key.clone(), value);
    }
    Value::Object(map)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The evidence's record of an environment is the catalogue's: every key
    /// is there, and no secret of the catalogue (nor of a secret input) is,
    /// only its reference.
    #[test]
    fn the_environment_record_holds_every_key_and_no_secret_value() {
        let env = crate::config::keys::tests::full("CANARY-e91c-");
        let record = configuration(&env);
        let text = record.to_string();
        assert!(!text.contains("CANARY-e91c-"), "a secret value reached the evidence: {text}");
        for var in ["API_KEY", "WEBHOOK_SECRET", "WEBHOOK_PASSWORD", "ACCOUNT_SECRET"] {
            assert!(text.contains(&format!("{{ env = \\\"{var}\\\" }}")), "the reference of {var}: {text}");
        }
        for key in keys::KEYS {
            let shown = match (key.show)(&env) {
                keys::Shown::Duration(_) => format!("{}_ms", key.name),
                _ => key.name.to_string(),
            };
            assert!(record.get(&shown).is_some_and(|v| !v.is_null()), "{} is recorded: {text}", key.name);
        }
    }
}
