//! The built-in packs against the partners' documented examples
//! (`fixtures/partners/<pack>/<slug>.json`, each naming its documentation page).
//!
//! Every request a pack sends to the partner's API (a URL under `${base_url}`)
//! that asserts or captures anything in a JSON answer names the documented
//! example of that answer (`contract = "<slug>"`). The test fails when a step
//! calls another method or path than its example documents, sends a body field
//! the documented request does not have, or asserts or captures a field the
//! documented answer does not have; an assertion that uses no captured value
//! must also hold on the documented answer.
//!
//! A page often shows no whole example, or shows one that leaves out fields
//! other pages document (a schema page, an idempotency page). A fixture then
//! lists them under `also_documented`: `[{ "page", "request"?, "response"? }]`,
//! partial shapes with the page that documents them; their fields count as
//! documented too.
//!
//! A fact the pack marks inferred (`basis = "inferred"`, with why) is golive's
//! guess where the pages are silent: it is not held to the documented example
//! (a miss at run time warns, and `golive contract report` counts it). Nor is
//! the body of a request whose acceptance is inferred (its status fact).

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use golive::probe::assert::{Answer, Assertion, RawAssertion};
use golive::report::Status;
use serde_json::Value;
use serde_json_path::JsonPath;

/// A documented example, as `fixtures/partners/*/*.json` stores it.
#[derive(Debug)]
struct Example {
    file: PathBuf,
    method: String,
    path: String,
    request: Value,
    response: Value,
    /// Partial shapes other pages document: (request, response).
    also: Vec<(Value, Value)>,
}

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn example(pack: &str, slug: &str) -> Result<Example, String> {
    let file = root().join("fixtures/partners").join(pack).join(format!("{slug}.json"));
    let text = std::fs::read_to_string(&file).map_err(|e| format!("{}: {e}", file.display()))?;
    let v: Value = serde_json::from_str(&text).map_err(|e| format!("{}: {e}", file.display()))?;
    let page = v["page"].as_str().unwrap_or_default();
    if !page.starts_with("https://") {
        return Err(format!("{} names no documentation page", file.display()));
    }
    let mut also = Vec::new();
    for extra in v["also_documented"].as_array().into_iter().flatten() {
        if !extra["page"].as_str().is_some_and(|p| p.starts_with("https://")) {
            return Err(format!("{}: an also_documented entry names no page", file.display()));
        }
        also.push((extra["request"].clone(), extra["response"].clone()));
    }
    Ok(Example {
        also,
        method: v["method"].as_str().unwrap_or_default().to_uppercase(),
        path: v["path"].as_str().unwrap_or_default().to_string(),
        request: v["request"].clone(),
        response: v["response"].clone(),
        file,
    })
}

/// A path with every parameter made alike: `/cards/{cardId}` and
/// `/cards/${cardId}` both become `/cards/{}`.
fn shape(path: &str) -> String {
    let mut out = String::new();
    let mut rest = path;
    while let Some(open) = rest.find('{') {
        let before = rest[..open].trim_end_matches('$');
        out.push_str(before);
        out.push_str("{}");
        rest = rest[open..].find('}').map_or("", |close| &rest[open + close + 1..]);
    }
    out.push_str(rest);
    out.trim_end_matches('/').to_string()
}

/// One request of a pack: a step, or a single-request probe's parameters.
struct Request<'a> {
    probe: String,
    name: String,
    table: &'a toml::Table,
    /// The ids of its inferred facts, e.g. `3.assert.2` (`config::facts`).
    inferred: BTreeSet<String>,
    /// Its number in the probe.
    step: usize,
}

fn requests(spec: &golive::config::ProbeSpec) -> Vec<Request<'_>> {
    let steps: Vec<&toml::Table> = ["steps", "cleanup"]
        .iter()
        .filter_map(|k| spec.params.get(*k).and_then(|v| v.as_array()))
        .flatten()
        .filter_map(|v| v.as_table())
        .collect();
    let facts = golive::config::facts::of_probe(&spec.id, spec.kind, &spec.params).expect("facts of a loaded pack");
    let inferred: BTreeSet<String> =
        facts.iter().filter(|f| f.basis.as_ref().is_some_and(|b| b.inferred())).map(|f| f.id.clone()).collect();
    if steps.is_empty() && spec.params.contains_key("url") {
        return vec![Request {
            probe: spec.id.clone(),
            name: "request".into(),
            table: &spec.params,
            inferred,
            step: 1,
        }];
    }
    steps
        .into_iter()
        .enumerate()
        .map(|(i, t)| Request {
            probe: spec.id.clone(),
            name: t.get("name").and_then(|n| n.as_str()).map_or_else(|| format!("step {}", i + 1), str::to_string),
            table: t,
            inferred: inferred.clone(),
            step: i + 1,
        })
        .collect()
}

impl Request<'_> {
    /// Whether the fact in `slot` of this request is inferred.
    fn infers(&self, slot: &str) -> bool {
        self.inferred.contains(&format!("{}.{slot}", self.step))
    }
}

/// The documented assertions under `key` (`assert`, or a poll's lists), with
/// their raw tables: `slot` numbers them as fact ids do (`assert`, `poll.until`).
fn assertions<'t>(r: &Request<'_>, table: &'t toml::Table, key: &str, slot: &str) -> Vec<(&'t toml::Value, Assertion)> {
    table
        .get(key)
        .and_then(|v| v.as_array())
        .into_iter()
        .flatten()
        .enumerate()
        .filter(|(i, _)| !r.infers(&format!("{slot}.{}", i + 1)))
        .map(|(_, a)| {
            let raw: RawAssertion = a.clone().try_into().expect("assertion parses");
            (a, Assertion::compile(raw).expect("assertion compiles"))
        })
        .collect()
}

/// What is wrong with one request against its documented example.
fn judge(pack: &str, r: &Request<'_>) -> Vec<String> {
    let t = r.table;
    let at = format!("{pack}: {} › {}", r.probe, r.name);
    let url = t.get("url").and_then(|u| u.as_str()).unwrap_or_default();
    let Some(path) = url.strip_prefix("${base_url}") else { return Vec::new() };
    let poll = t.get("poll").and_then(|p| p.as_table());
    let asserted = assertions(r, t, "assert", "assert");
    let mut checked: Vec<Assertion> = asserted.iter().map(|(_, a)| a.clone()).collect();
    let polled: Vec<Assertion> = poll
        .map(|p| [assertions(r, p, "until", "poll.until"), assertions(r, p, "fail_if", "poll.fail_if")].concat())
        .unwrap_or_default()
        .into_iter()
        .map(|(_, a)| a)
        .collect();
    // A capture is a JSONPath, or a table whose `path` it reads.
    let captures: Vec<(String, String)> = t
        .get("capture")
        .and_then(|c| c.as_table())
        .into_iter()
        .flatten()
        .filter(|(k, _)| !r.infers(&format!("capture.{k}")))
        .filter_map(|(k, v)| {
            v.as_str().or_else(|| v.get("path").and_then(|p| p.as_str())).map(|p| (k.clone(), p.to_string()))
        })
        .collect();
    let reads_json = checked.iter().chain(&polled).any(|a| a.path().is_some()) || !captures.is_empty();
    let Some(slug) = t.get("contract").and_then(|c| c.as_str()) else {
        return if reads_json {
            vec![format!("{at}: reads the partner's JSON answer but names no `contract` (its documented example)")]
        } else {
            Vec::new()
        };
    };
    let ex = match example(pack, slug) {
        Ok(ex) => ex,
        Err(e) => return vec![format!("{at}: contract `{slug}`: {e}")],
    };
    let mut wrong = Vec::new();
    let method = t.get("method").and_then(|m| m.as_str()).unwrap_or("GET").to_uppercase();
    let path = path.split('?').next().unwrap_or_default();
    if method != ex.method || shape(path) != shape(&ex.path) {
        wrong.push(format!(
            "{at}: sends {method} {path}, but {} documents {} {}",
            ex.file.display(),
            ex.method,
            ex.path
        ));
    }
    let requests: Vec<&Value> = std::iter::once(&ex.request).chain(ex.also.iter().map(|(q, _)| q)).collect();
    let documented = |k: &str| requests.iter().any(|r| r.get(k).is_some());
    // A request whose acceptance is inferred may send what no one example shows.
    if let Some(json) = t.get("json").and_then(|j| j.as_table()).filter(|_| !r.infers("status")) {
        for key in json.keys().filter(|k| !documented(k)) {
            wrong.push(format!(
                "{at}: sends `{key}`, which the documented request ({}) does not have",
                ex.file.display()
            ));
        }
    }
    let body = serde_json::to_vec(&ex.response).unwrap_or_default();
    let answer = Answer { headers: &[], body: &body, json: Some(&ex.response) };
    let answers: Vec<&Value> = std::iter::once(&ex.response).chain(ex.also.iter().map(|(_, r)| r)).collect();
    let found = |p: &str| JsonPath::parse(p).is_ok_and(|jp| answers.iter().any(|a| !jp.query(a).is_empty()));
    checked.extend(polled.iter().cloned());
    for a in &checked {
        let Some(p) = a.path() else { continue };
        if !found(p) && a.check(&answer, &|_| Some("0".into())).status != Status::Pass {
            wrong.push(format!(
                "{at}: asserts `{p}`, which the documented answer ({}) does not have",
                ex.file.display()
            ));
        }
    }
    // An assertion that pins a value (equals, one_of, length) may depend on the
    // request (a limit echoed back): the documented answer must hold a value of
    // the same JSON type there. Shape assertions (type, matches) must hold.
    for (raw, a) in &asserted {
        let Some(p) = a.path() else { continue };
        let got = JsonPath::parse(p).ok().and_then(|jp| answers.iter().find_map(|a| jp.query(a).first().cloned()));
        let Some(got) = got else {
            continue; // reported above as absent, or absent and allowed (if_present, exists = false)
        };
        let pinned = ["equals", "one_of"].iter().find_map(|k| raw.get(*k)).map(|v| match v {
            toml::Value::Array(items) if raw.get("one_of").is_some() => items.first().cloned(),
            other => Some(other.clone()),
        });
        let ok = match pinned {
            Some(Some(want)) if !a.uses_vars() => {
                let want = serde_json::to_value(&want).unwrap_or(Value::Null);
                same_type(&want, &got)
            }
            Some(_) => true,
            None if raw.get("length").is_some() => got.is_array() || got.is_string() || got.is_object(),
            None if a.uses_vars() || a.warns() => true,
            None => answers.iter().any(|doc| {
                let body = serde_json::to_vec(doc).unwrap_or_default();
                a.check(&Answer { headers: &[], body: &body, json: Some(doc) }, &|_| None).status == Status::Pass
            }),
        };
        if !ok {
            wrong.push(format!(
                "{at}: `{p}` does not fit the documented answer ({}): it holds {got}",
                ex.file.display()
            ));
        }
    }
    for (name, p) in &captures {
        if !found(p) {
            wrong.push(format!("{at}: captures `{name}` from `{p}`, which the documented answer does not have"));
        }
    }
    wrong
}

/// Whether two JSON values are of the same type (integers and other numbers apart).
fn same_type(a: &Value, b: &Value) -> bool {
    let kind = |v: &Value| match v {
        Value::Number(n) if n.is_i64() || n.is_u64() => "integer",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Bool(_) => "boolean",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
        Value::Null => "null",
    };
    kind(a) == kind(b)
}

fn built_in_packs() -> Vec<(String, golive::config::Pack)> {
    let dir = root().join("probes");
    let mut packs: Vec<_> = std::fs::read_dir(&dir)
        .expect("probes/")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .map(|p| {
            let name = p.file_stem().unwrap().to_string_lossy().into_owned();
            let pack = golive::config::pack::load(&name, None).unwrap_or_else(|e| panic!("{name}: {e}"));
            (name, pack)
        })
        .collect();
    packs.sort_by(|a, b| a.0.cmp(&b.0));
    packs
}

#[test]
fn every_partner_request_of_the_built_in_packs_follows_its_documented_example() {
    let mut wrong = Vec::new();
    let mut named = 0;
    for (name, pack) in built_in_packs() {
        for spec in &pack.probes {
            for r in requests(spec) {
                named += usize::from(r.table.contains_key("contract"));
                wrong.extend(judge(&name, &r));
            }
        }
    }
    assert!(wrong.is_empty(), "{} problems:\n{}", wrong.len(), wrong.join("\n"));
    assert!(named >= 10, "only {named} requests name their documented example");
}

#[test]
fn every_fixture_is_well_formed_and_names_its_page() {
    for (name, _) in built_in_packs() {
        let dir = root().join("fixtures/partners").join(&name);
        let mut count = 0;
        for file in std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
            let path = file.unwrap().path();
            let slug = path.file_stem().unwrap().to_string_lossy().into_owned();
            let ex = example(&name, &slug).unwrap_or_else(|e| panic!("{e}"));
            assert!(!ex.method.is_empty() && !ex.path.is_empty(), "{}: method and path", ex.file.display());
            count += 1;
        }
        assert!(count > 0, "{} holds no documented example", dir.display());
    }
}

#[test]
fn a_step_asserting_an_undocumented_field_is_caught() {
    let (name, pack) = built_in_packs().into_iter().find(|(n, _)| n == "axys").expect("axys pack");
    let spec = pack.probes.iter().find(|s| requests(s).iter().any(|r| r.table.contains_key("contract"))).unwrap();
    let r = requests(spec).into_iter().find(|r| r.table.contains_key("contract")).unwrap();
    let mut table = r.table.clone();
    let extra: toml::Value = toml::from_str::<toml::Table>("a = { path = \"$.notDocumented\", type = \"string\" }")
        .unwrap()
        .remove("a")
        .unwrap();
    let mut list = table.get("assert").and_then(|a| a.as_array()).cloned().unwrap_or_default();
    list.push(extra);
    table.insert("assert".into(), toml::Value::Array(list));
    let wrong = judge(&name, &Request { table: &table, ..r });
    assert!(wrong.iter().any(|w| w.contains("$.notDocumented")), "{wrong:?}");
}

#[test]
fn shapes_compare_documented_and_pack_paths() {
    assert_eq!(shape("/cards/{cardId}/details"), shape("/cards/${cardId}/details"));
    assert_ne!(shape("/cards/{cardId}"), shape("/cards/${cardId}/details"));
}
