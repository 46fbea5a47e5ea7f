//! The partner facts a pack's requests rely on, read from the probe
//! parameters of the kinds that send them (`http`, `mtls`, `apikey`): each
//! request's expected status (and the code golive infers, `inferred_status`),
//! each assertion, each capture, each poll condition, with its basis
//! ([`crate::spec::basis`]).
//!
//! The pack loader checks every basis here (a malformed one is a load error in
//! any pack; a missing one in a pack that requires bases, which the built-in
//! packs always do); `golive contract report` lists the inferred ones. The
//! engine numbers facts the same way ([`crate::spec::basis::fact_id`]), so a
//! check in a report names the fact it judged.

use std::ops::Range;

use super::error::{ConfigError, SourceFile};
use crate::spec::ProbeKind;
use crate::spec::basis::{Basis, FactBasis, RawBasis, StatusExpect, fact_id};

/// One fact of a pack's request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PackFact {
    /// The probe's id.
    pub probe: String,
    /// The request's number in the probe (1 for a single request).
    pub step: usize,
    /// The request's name as reports show it (without its number).
    pub step_name: String,
    /// The fact's id in the probe, e.g. `3.status` ([`fact_id`]).
    pub id: String,
    /// What the fact says, e.g. `status 2xx`, `$.cardholderId type integer`.
    pub what: String,
    /// Its basis; `None` when the pack gives none.
    pub basis: Option<FactBasis>,
}

/// The request tables of a probe's parameters: `steps` then `cleanup`, or the
/// parameters themselves as one request.
pub fn requests(params: &toml::Table) -> Vec<&toml::Table> {
    if !params.contains_key("steps") {
        return if params.contains_key("url") { vec![params] } else { Vec::new() };
    }
    ["steps", "cleanup"]
        .iter()
        .filter_map(|k| params.get(*k).and_then(toml::Value::as_array))
        .flatten()
        .filter_map(toml::Value::as_table)
        .collect()
}

/// The name reports give a request: its `name`, else `METHOD /path`.
fn request_name(t: &toml::Table) -> String {
    if let Some(name) = t.get("name").and_then(toml::Value::as_str) {
        return name.to_string();
    }
    let method = t.get("method").and_then(toml::Value::as_str).unwrap_or("GET").to_uppercase();
    let url = t.get("url").and_then(toml::Value::as_str).unwrap_or("?");
    let path = match url.split_once("://") {
        Some((_, rest)) => rest.find('/').map_or(rest, |i| &rest[i..]),
        // `${base_url}/cards`: the path after the base URL.
        None => url.strip_prefix("${base_url}").unwrap_or(url),
    };
    format!("{method} {path}")
}

/// Every fact of one probe's parameters, or what is malformed in them.
pub fn of_probe(probe: &str, kind: ProbeKind, params: &toml::Table) -> Result<Vec<PackFact>, String> {
    if !kind.has_facts() {
        return Ok(Vec::new());
    }
    let mut out = Vec::new();
    for (i, t) in requests(params).into_iter().enumerate() {
        let step = i + 1;
        let name = request_name(t);
        let at = |e: String| format!("step {step} ({name}): {e}");
        let step_basis = RawBasis::from_table(t).and_then(|b| b.resolve(None)).map_err(at)?;
        let mut fact = |slot: String, what: String, basis: Option<FactBasis>| {
            out.push(PackFact {
                probe: probe.to_string(),
                step,
                step_name: name.clone(),
                id: fact_id(step, &slot),
                what,
                basis,
            });
        };
        // The expected status: a code or class, or a table with its own basis.
        let (status, own) = match t.get("expect_status") {
            None => (StatusExpect::default(), RawBasis::default()),
            Some(toml::Value::Table(x)) => {
                let is = x.get("is").ok_or_else(|| {
                    at("`expect_status` as a table needs `is`, e.g. { is = \"2xx\", source = \"https://...\" }".into())
                })?;
                (StatusExpect::parse(is).map_err(at)?, RawBasis::from_table(x).map_err(at)?)
            }
            Some(v) => (StatusExpect::parse(v).map_err(at)?, RawBasis::default()),
        };
        let basis = own.resolve(step_basis.as_ref()).map_err(|e| at(format!("expect_status: {e}")))?;
        fact("status".into(), format!("status {status}"), basis);
        if let Some(guess) = t.get("inferred_status") {
            let code = inferred_status(guess).map_err(|e| at(format!("inferred_status: {e}")))?;
            if !status.matches(code.0) {
                return Err(at(format!(
                    "inferred_status {} is not a {status} answer: it refines expect_status",
                    code.0
                )));
            }
            let basis = FactBasis { basis: Basis::Inferred, source: None, why: Some(code.1) };
            fact("inferred_status".into(), format!("status {}", code.0), Some(basis));
        }
        for (n, a) in t.get("assert").and_then(toml::Value::as_array).into_iter().flatten().enumerate() {
            let table = a.as_table().ok_or_else(|| at(format!("assertion {} is not a table", n + 1)))?;
            let own = RawBasis::from_table(table).map_err(at)?;
            let what = describe(table);
            let basis = own.resolve(step_basis.as_ref()).map_err(|e| at(format!("assertion `{what}`: {e}")))?;
            fact(format!("assert.{}", n + 1), what, basis);
        }
        for (name, c) in t.get("capture").and_then(toml::Value::as_table).into_iter().flatten() {
            let (what, own) = match c {
                toml::Value::String(p) => (format!("capture {name} from {p}"), RawBasis::default()),
                toml::Value::Table(x) => {
                    let from = ["path", "header", "regex"]
                        .iter()
                        .find_map(|k| x.get(*k).and_then(toml::Value::as_str).map(|v| format!("{k} {v}")))
                        .unwrap_or_default();
                    (
                        format!("capture {name} from {}", from.trim_start_matches("path ")),
                        RawBasis::from_table(x).map_err(at)?,
                    )
                }
                _ => return Err(at(format!("capture `{name}` is a JSONPath or a table"))),
            };
            let basis = own.resolve(step_basis.as_ref()).map_err(|e| at(format!("capture `{name}`: {e}")))?;
            fact(format!("capture.{name}"), what, basis);
        }
        if let Some(poll) = t.get("poll").and_then(toml::Value::as_table) {
            let poll_basis = RawBasis::from_table(poll)
                .and_then(|b| b.resolve(step_basis.as_ref()))
                .map_err(|e| at(format!("poll: {e}")))?;
            for list in ["until", "fail_if"] {
                for (n, a) in poll.get(list).and_then(toml::Value::as_array).into_iter().flatten().enumerate() {
                    let table = a.as_table().ok_or_else(|| at(format!("poll.{list} {} is not a table", n + 1)))?;
                    let what = format!("poll {list} {}", describe(table));
                    let basis = RawBasis::from_table(table)
                        .and_then(|b| b.resolve(poll_basis.as_ref()))
                        .map_err(|e| at(format!("{what}: {e}")))?;
                    fact(format!("poll.{list}.{}", n + 1), what, basis);
                }
            }
        }
    }
    Ok(out)
}

/// The fact of a `webhook` probe's signature encoding, when the scheme it
/// names (one of the pack's `schemes`, or a preset) infers it
/// (`inferred_encoding`): fact `1.encoding`, as the probe marks its check.
pub fn of_webhook(probe: &str, params: &toml::Table, schemes: &[(String, super::scheme::Scheme)]) -> Option<PackFact> {
    let scheme = super::scheme::from_toml_with(params.get("scheme")?, schemes).ok()?;
    let inferred = scheme.encoding_inferred?;
    let others: Vec<&str> = inferred.alternatives.iter().map(|e| e.name()).collect();
    Some(PackFact {
        probe: probe.to_string(),
        step: 1,
        step_name: "signed event".into(),
        id: fact_id(1, "encoding"),
        what: format!("signature encoding {} (alternatives: {})", scheme.encoding.name(), others.join(", ")),
        basis: Some(FactBasis { basis: Basis::Inferred, source: None, why: Some(inferred.why) }),
    })
}

/// `inferred_status = { code = 201, why = "..." }`: the code and the reason.
pub fn inferred_status(value: &toml::Value) -> Result<(u16, String), String> {
    let shape = "write it as { code = 201, why = \"from what golive infers it\" }";
    let t = value.as_table().ok_or_else(|| shape.to_string())?;
    if let Some(k) = t.keys().find(|k| !["code", "why"].contains(&k.as_str())) {
        return Err(format!("unknown key `{k}` ({shape}; the fact is always inferred)"));
    }
    let code = match t.get("code").and_then(toml::Value::as_integer) {
        Some(c) if (100..600).contains(&c) => c as u16,
        _ => return Err(format!("`code` must be a status code ({shape})")),
    };
    match t.get("why").and_then(toml::Value::as_str) {
        Some(why) if !why.trim().is_empty() => Ok((code, why.to_string())),
        _ => Err(format!("`why` is missing ({shape})")),
    }
}

/// An assertion table in a few words: `$.id type integer`, `header x equals "y"`.
pub fn describe(t: &toml::Table) -> String {
    let target = t
        .get("path")
        .and_then(toml::Value::as_str)
        .map(str::to_string)
        .or_else(|| t.get("header").and_then(toml::Value::as_str).map(|h| format!("header {h}")))
        .unwrap_or_else(|| "body".into());
    let expect = ["equals", "exists", "type", "matches", "length", "one_of"]
        .iter()
        .find_map(|k| t.get(*k).map(|v| format!("{} {v}", k.replace('_', " "))))
        .unwrap_or_default();
    format!("{target} {expect}").trim().to_string()
}

/// Checks the facts of one probe at load: malformed bases are errors in any
/// pack; a fact with none is an error when the pack requires bases.
pub fn check(
    file: &SourceFile,
    probe: &str,
    kind: ProbeKind,
    params: &toml::Table,
    span: Range<usize>,
    required: bool,
) -> Result<(), ConfigError> {
    let facts = of_probe(probe, kind, params)
        .map_err(|e| ConfigError::at(file, span.clone(), format!("probe `{probe}`, {e}")))?;
    if !required {
        return Ok(());
    }
    if let Some(f) = facts.iter().find(|f| f.basis.is_none()) {
        return Err(ConfigError::at(
            file,
            span,
            format!("probe `{probe}`, step {} ({}): `{}` has no basis", f.step, f.step_name, f.what),
        )
        .help("every partner fact of this pack says how golive knows it: add `source = \"https://...\"` (the page that documents it) or `basis = \"inferred\"` with `why = \"...\"`, on the step or on the fact"));
    }
    Ok(())
}
