//! Ordered request steps for the `http` kind: each step a request with its
//! assertions, captures into variables that later steps use (`${cardholderId}`),
//! optional polling until a condition holds, state tracking for the evidence,
//! and cleanup steps that always run, even after a failure. Running them is
//! [`run`]. A step as the pack writes it is the request shape every kind
//! shares, [`crate::probe::request::raw::RawRequest`]; this module compiles it.
//!
//! Every fact a step relies on — its expected status, each assertion, each
//! capture path, each poll condition — has a basis ([`crate::spec::basis`]):
//! `source = "https://..."` on the step makes its facts documented,
//! `basis = "inferred"` with `why = "..."` makes them golive's inference, and
//! each fact may say its own. A documented fact that does not hold fails; an
//! inferred one warns and the flow goes on where it can. What a step changed
//! decides what follows it: a step or cleanup `after` another runs only when
//! that one was sent and not refused (`http` also ends a flow at a mutating
//! step it could not send).
//!
//! What the pack masks (`[masking]`, and a step's own `mask` paths) is masked
//! in every message and trace; the whole answer is judged on the real values.

pub mod resume;
mod run;

use std::collections::BTreeSet;
use std::time::Duration;

use reqwest::header::HeaderName;
use serde_json_path::JsonPath;

pub use run::{Run, Sent, StepEnd};

use crate::config::interpolate::interpolate_str;
use crate::config::positions::ProbeLines;
use crate::probe::assert::Assertion;
use crate::probe::masking::Mask;
use crate::probe::request::facts::{Bases, Fact};
use crate::probe::request::raw::{CaptureAs, OnResume, RawCapture, RawPoll, RawRequest};
use crate::probe::request::{StatusFacts, assertions_with_facts};
use crate::spec::{FactBasis, RawBasis, SourceAt};

/// A compiled poll.
#[derive(Debug, Clone)]
struct Poll {
    every: Duration,
    attempts: u32,
    until: Vec<Assertion>,
    fail_if: Vec<Assertion>,
    pending: Option<String>,
}

#[derive(Debug, Clone)]
enum Capture {
    /// The path and its alternatives, in order.
    Path(Vec<(String, JsonPath)>),
    Header(String),
    Regex(regex::Regex),
    /// The site path of the first link whose text matches (`crate::probe::links`).
    Link(regex::Regex),
}

/// A compiled capture: the name, where from, what it is kept as, and its fact.
#[derive(Debug, Clone)]
struct CaptureSpec {
    name: String,
    how: Capture,
    as_integer: bool,
    fact: Fact,
}

/// What every step of a probe shares when it is compiled.
pub struct StepContext<'a> {
    /// Facts with no basis are held as documented by this (the pack file).
    pub pack_file: &'a str,
    /// What the pack masks in every answer.
    pub mask: &'a Mask,
    /// Where the pack declares the probe's requests and their facts.
    pub lines: &'a ProbeLines,
}

/// A compiled step.
#[derive(Debug, Clone)]
pub struct Step {
    number: usize,
    /// Where the pack declares the step: its checks without a line of their own carry it.
    at: Option<SourceAt>,
    /// The name as the pack writes it (or `METHOD /path`), without number.
    title: String,
    name: String,
    method: reqwest::Method,
    url: String,
    headers: Vec<(String, String)>,
    json: Option<toml::Value>,
    body: Option<String>,
    json_input: Option<String>,
    status: StatusFacts,
    auth: bool,
    assertions: Vec<Assertion>,
    captures: Vec<CaptureSpec>,
    poll: Option<Poll>,
    track: Option<(String, String, JsonPath)>,
    needs: BTreeSet<String>,
    skip_on_resume: bool,
    on_failure: Option<String>,
    mutating: bool,
    after: Option<String>,
    mask: Mask,
}

/// Every `${name}` a text uses.
fn names_in(text: &str, out: &mut BTreeSet<String>) {
    let mut rest = text;
    while let Some(pos) = rest.find("${") {
        let tail = &rest[pos + 2..];
        let Some(end) = tail.find('}') else { break };
        out.insert(tail[..end].trim().to_string());
        rest = &tail[end + 1..];
    }
}

/// Names captured by any step of these parameters (so interpolation at load
/// time leaves them for run time).
pub fn capture_names(params: &toml::Table) -> BTreeSet<String> {
    let mut names = BTreeSet::new();
    let steps = params.get("steps").and_then(|s| s.as_array()).cloned().unwrap_or_default();
    for step in steps.iter().chain(std::iter::once(&toml::Value::Table(params.clone()))) {
        if let Some(capture) = step.get("capture").and_then(|c| c.as_table()) {
            names.extend(capture.keys().cloned());
        }
    }
    names
}

/// The JSON input files the requests of these parameters send (`json_input`).
pub fn json_inputs(params: &toml::Table) -> Vec<String> {
    crate::config::facts::requests(params)
        .into_iter()
        .filter_map(|t| t.get("json_input").and_then(toml::Value::as_str).map(str::to_string))
        .collect()
}

impl Step {
    /// Compiles a step; `index` numbers it in messages and fact ids.
    pub fn compile(raw: RawRequest, index: usize, cx: &StepContext<'_>) -> Result<Step, String> {
        let title =
            raw.name.clone().unwrap_or_else(|| format!("{} {}", raw.method.to_uppercase(), short_path(&raw.url)));
        let name = if raw.mutating { format!("{index}. {title} (mutating)") } else { format!("{index}. {title}") };
        // A load error names the step's own line: the pack's error points at
        // the probe's `params`, which may hold many steps.
        let at = cx.lines.step(index).map(|l| format!(" (at {})", l.at)).unwrap_or_default();
        let err = |e: String| format!("step {name}{at}: {e}");
        let method = reqwest::Method::from_bytes(raw.method.to_uppercase().as_bytes())
            .map_err(|_| err(format!("`{}` is not an HTTP method", raw.method)))?;
        if [raw.json.is_some(), raw.body.is_some(), raw.json_input.is_some()].iter().filter(|b| **b).count() > 1 {
            return Err(err("give one of `json`, `body` or `json_input`".into()));
        }
        let mut needs = BTreeSet::new();
        names_in(&raw.url, &mut needs);
        let probe_url = interpolate_str(&raw.url, &|_| Some("x".into())).map_err(err)?;
        reqwest::Url::parse(&probe_url).map_err(|e| err(format!("invalid url `{}`: {e}", raw.url)))?;
        for (k, v) in &raw.headers {
            HeaderName::from_bytes(k.as_bytes()).map_err(|_| err(format!("`{k}` is not a header name")))?;
            names_in(v, &mut needs);
        }
        if let Some(j) = &raw.json {
            names_in(&j.to_string(), &mut needs);
        }
        if let Some(b) = &raw.body {
            names_in(b, &mut needs);
        }
        for a in &raw.assert {
            if let Ok(v) = toml::Value::try_from(a) {
                names_in(&v.to_string(), &mut needs);
            }
        }
        let lines = cx.lines.step(index);
        let raw_basis = RawBasis { source: raw.source, basis: raw.basis, why: raw.why };
        let bases = Bases::new(index, &raw_basis, cx.pack_file, lines).map_err(err)?;
        let status =
            StatusFacts::parse(raw.expect_status.as_ref(), raw.inferred_status.as_ref(), &bases).map_err(err)?;
        let assertions = assertions_with_facts(raw.assert, "assert", &bases, None).map_err(err)?;
        let captures = raw
            .capture
            .into_iter()
            .map(|(k, c)| capture(k, c, &bases).map_err(err))
            .collect::<Result<Vec<_>, String>>()?;
        let poll = raw.poll.map(|p| poll(p, &bases).map_err(err)).transpose()?;
        let track = raw
            .track
            .map(|t| {
                crate::probe::jsonpath::parse(&t.path)
                    .map(|p| (t.entity, t.path.clone(), p))
                    .map_err(|e| err(format!("track: {e}")))
            })
            .transpose()?;
        let mask = cx.mask.clone().with_paths(&raw.mask).map_err(err)?;
        Ok(Step {
            number: index,
            at: lines.map(|l| l.at.clone()),
            title,
            name,
            method,
            url: raw.url,
            headers: raw.headers.into_iter().collect(),
            json: raw.json,
            body: raw.body,
            json_input: raw.json_input,
            status,
            auth: raw.auth,
            assertions,
            captures,
            poll,
            track,
            needs,
            skip_on_resume: raw.on_resume == Some(OnResume::Skip),
            on_failure: raw.on_failure,
            mutating: raw.mutating,
            after: raw.after,
            mask,
        })
    }

    /// Whether the step is not sent when its probe resumes.
    pub fn skip_on_resume(&self) -> bool {
        self.skip_on_resume
    }

    /// What a failed cleanup step leaves behind, as the pack says it.
    pub fn on_failure(&self) -> Option<&str> {
        self.on_failure.as_deref()
    }

    /// The names this step uses that the environment did not fill in.
    pub fn needs(&self) -> &BTreeSet<String> {
        &self.needs
    }

    /// The names this step captures.
    pub fn captures(&self) -> impl Iterator<Item = &str> {
        self.captures.iter().map(|c| c.name.as_str())
    }

    /// The step's name, numbered.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The step's name as the pack writes it, without its number.
    pub fn title(&self) -> &str {
        &self.title
    }

    /// The step's number in its probe.
    pub fn number(&self) -> usize {
        self.number
    }

    /// Whether the step creates or changes data.
    pub fn mutating(&self) -> bool {
        self.mutating
    }

    /// The name of the earlier step whose effect this one checks or undoes (`after`).
    pub fn after(&self) -> Option<&str> {
        self.after.as_deref()
    }
}

/// A capture with its fact (`capture.NAME`).
fn capture(name: String, raw: RawCapture, bases: &Bases) -> Result<CaptureSpec, String> {
    let parse = |p: &str| crate::probe::jsonpath::parse(p).map_err(|e| format!("capture `{name}`: {e}"));
    let (how, own, as_integer) = match raw {
        RawCapture::Path(p) => (Capture::Path(vec![(p.clone(), parse(&p)?)]), RawBasis::default(), false),
        RawCapture::From(f) => {
            let own = RawBasis { source: f.source, basis: f.basis, why: f.why };
            let as_integer = f.as_type == Some(CaptureAs::Integer);
            let regex = |r: &str| regex::Regex::new(r).map_err(|e| format!("capture `{name}`: {e}"));
            let how = match (f.path, f.header, f.regex, f.link) {
                (Some(p), None, None, None) => {
                    let mut paths = vec![(p.clone(), parse(&p)?)];
                    for a in f.alternatives {
                        paths.push((a.clone(), parse(&a)?));
                    }
                    Capture::Path(paths)
                }
                (None, Some(h), None, None) if f.alternatives.is_empty() => Capture::Header(h.to_lowercase()),
                (None, None, Some(r), None) if f.alternatives.is_empty() => Capture::Regex(regex(&r)?),
                (None, None, None, Some(r)) if f.alternatives.is_empty() => Capture::Link(regex(&r)?),
                _ => {
                    return Err(format!(
                        "capture `{name}` needs a JSONPath, or exactly one of `path` (with optional `alternatives`), `header`, `regex`, `link`"
                    ));
                }
            };
            (how, own, as_integer)
        }
    };
    let fact = bases.fact(&format!("capture.{name}"), &own, None).map_err(|e| format!("capture `{name}`: {e}"))?;
    Ok(CaptureSpec { name, how, as_integer, fact })
}

/// A poll with the facts of its conditions (`poll.until.N`, `poll.fail_if.N`).
fn poll(p: RawPoll, bases: &Bases) -> Result<Poll, String> {
    let every = crate::config::env::parse_duration(&p.every)?;
    if p.attempts == 0 {
        return Err("poll.attempts must be at least 1".into());
    }
    let own: Option<FactBasis> =
        bases.poll(&RawBasis { source: p.source, basis: p.basis, why: p.why }).map_err(|e| format!("poll: {e}"))?;
    let until = assertions_with_facts(p.until, "poll.until", bases, own.as_ref())?;
    let fail_if = assertions_with_facts(p.fail_if, "poll.fail_if", bases, own.as_ref())?;
    Ok(Poll { every, attempts: p.attempts, until, fail_if, pending: p.pending })
}

fn short_path(url: &str) -> String {
    url.split("://").nth(1).and_then(|r| r.find('/').map(|i| r[i..].to_string())).unwrap_or_else(|| url.to_string())
}
