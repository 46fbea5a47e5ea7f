//! Ordered request steps for the `http` kind: each step a request with its
//! assertions, captures into variables that later steps use (`${cardholderId}`),
//! optional polling until a condition holds, state tracking for the evidence,
//! and cleanup steps that always run, even after a failure.
//!
//! Fields the pack declares sensitive (`[masking] fields`) are masked in every
//! message and trace; the whole answer is judged on the real values.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::time::{Duration, Instant};

use reqwest::header::{HeaderName, HeaderValue};
use serde::Deserialize;
use serde_json::Value;
use serde_json_path::JsonPath;

use super::ProbeContext;
use super::assert::{Assertion, RawAssertion};
use super::masking::mask_outcome;
use super::request::{Exchange, Judged, api_key_header, judge, trace_exchange, transport_diagnosis};
use super::resume::ResumeFile;
use crate::config::ApiKeyAuth;
use crate::config::interpolate::{interpolate_str, interpolate_value, substitute_typed};
use crate::net;
use crate::report::{Check, Outcome, Phase, Status};

/// A step as a pack writes it.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawStep {
    name: Option<String>,
    #[serde(default = "get")]
    method: String,
    url: String,
    #[serde(default)]
    headers: BTreeMap<String, String>,
    json: Option<toml::Value>,
    body: Option<String>,
    #[serde(default = "ok")]
    expect_status: u16,
    #[serde(default = "yes")]
    auth: bool,
    #[serde(default)]
    assert: Vec<RawAssertion>,
    #[serde(default)]
    capture: BTreeMap<String, RawCapture>,
    poll: Option<RawPoll>,
    track: Option<RawTrack>,
    /// The step creates or changes data; its name says so in every report, and
    /// the pack refuses it in a probe not tagged `mutating`.
    #[serde(default)]
    mutating: bool,
    /// The documented example of this step's answer,
    /// `fixtures/partners/<pack>/<contract>.json`: the contract tests check the
    /// step's assertions and captures against it. Nothing at run time.
    #[allow(dead_code)]
    contract: Option<String>,
    /// `"skip"`: not sent when the probe resumes with values remembered from
    /// an earlier run (`resume = [...]`), e.g. creating what already exists.
    on_resume: Option<OnResume>,
    /// For a cleanup step: what is left behind when it fails, e.g. "the test
    /// card ${cardId} is left active". A failed cleanup fails the probe.
    on_failure: Option<String>,
}

/// What a step does when its probe resumes from remembered values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
enum OnResume {
    /// The step is not sent.
    Skip,
}

fn get() -> String {
    "GET".into()
}
fn ok() -> u16 {
    200
}
fn yes() -> bool {
    true
}

/// Where a captured value comes from: a JSONPath, a header, or a regex group on the body.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
enum RawCapture {
    Path(String),
    From(CaptureFrom),
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct CaptureFrom {
    header: Option<String>,
    regex: Option<String>,
    /// The site path of the first link whose text matches (`crate::probe::links`).
    link: Option<String>,
}

/// Repeat the step until `until` holds, at most `attempts` times.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPoll {
    #[serde(default = "every")]
    every: String,
    attempts: u32,
    until: Vec<RawAssertion>,
    /// Stop at once, failing, when any of these holds (e.g. a declined status).
    #[serde(default)]
    fail_if: Vec<RawAssertion>,
    /// The condition may take longer than a run (a person reviews a document):
    /// running out of attempts is "pending" (a warning) with this explanation,
    /// not a failure, and the probe's `resume` values are kept.
    pending: Option<String>,
}

/// A compiled poll.
#[derive(Debug, Clone)]
struct Poll {
    every: Duration,
    attempts: u32,
    until: Vec<Assertion>,
    fail_if: Vec<Assertion>,
    pending: Option<String>,
}

fn every() -> String {
    "500ms".into()
}

/// Record the value at `path` as the state of `entity` (for the evidence).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTrack {
    entity: String,
    path: String,
}

#[derive(Debug, Clone)]
enum Capture {
    Path(JsonPath),
    Header(String),
    Regex(regex::Regex),
    Link(regex::Regex),
}

/// A compiled step.
#[derive(Debug, Clone)]
pub struct Step {
    name: String,
    method: reqwest::Method,
    url: String,
    headers: Vec<(String, String)>,
    json: Option<toml::Value>,
    body: Option<String>,
    expect_status: u16,
    auth: bool,
    assertions: Vec<Assertion>,
    captures: Vec<(String, Capture)>,
    poll: Option<Poll>,
    track: Option<(String, String, JsonPath)>,
    needs: BTreeSet<String>,
    skip_on_resume: bool,
    on_failure: Option<String>,
}

/// How a step ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StepEnd {
    /// It passed (or only warned).
    Passed,
    /// It failed or got no answer.
    Failed,
    /// Its poll ran out while the partner still works on it (`poll.pending`).
    Pending,
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

impl Step {
    /// Compiles a step; `index` numbers it in messages.
    pub fn compile(raw: RawStep, index: usize) -> Result<Step, String> {
        let name =
            raw.name.clone().unwrap_or_else(|| format!("{} {}", raw.method.to_uppercase(), short_path(&raw.url)));
        let name = if raw.mutating { format!("{index}. {name} (mutating)") } else { format!("{index}. {name}") };
        let err = |e: String| format!("step {name}: {e}");
        let method = reqwest::Method::from_bytes(raw.method.to_uppercase().as_bytes())
            .map_err(|_| err(format!("`{}` is not an HTTP method", raw.method)))?;
        if raw.json.is_some() && raw.body.is_some() {
            return Err(err("give either `json` or `body`, not both".into()));
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
        let assertions = raw.assert.into_iter().map(Assertion::compile).collect::<Result<Vec<_>, _>>().map_err(err)?;
        let captures = raw
            .capture
            .into_iter()
            .map(|(k, c)| {
                let c = match c {
                    RawCapture::Path(p) => {
                        Capture::Path(super::jsonpath::parse(&p).map_err(|e| err(format!("capture `{k}`: {e}")))?)
                    }
                    RawCapture::From(CaptureFrom { header: Some(h), regex: None, link: None }) => {
                        Capture::Header(h.to_lowercase())
                    }
                    RawCapture::From(CaptureFrom { header: None, regex: Some(r), link: None }) => {
                        Capture::Regex(regex::Regex::new(&r).map_err(|e| err(format!("capture `{k}`: {e}")))?)
                    }
                    RawCapture::From(CaptureFrom { header: None, regex: None, link: Some(r) }) => {
                        Capture::Link(regex::Regex::new(&r).map_err(|e| err(format!("capture `{k}`: {e}")))?)
                    }
                    RawCapture::From(_) => {
                        return Err(err(format!(
                            "capture `{k}` needs a JSONPath, or exactly one of `header`, `regex`, `link`"
                        )));
                    }
                };
                Ok((k, c))
            })
            .collect::<Result<Vec<_>, String>>()?;
        let poll = raw
            .poll
            .map(|p| -> Result<_, String> {
                let every = crate::config::env::parse_duration(&p.every).map_err(err)?;
                if p.attempts == 0 {
                    return Err(err("poll.attempts must be at least 1".into()));
                }
                let compile_all = |list: Vec<RawAssertion>| {
                    list.into_iter().map(Assertion::compile).collect::<Result<Vec<_>, _>>().map_err(err)
                };
                let until = compile_all(p.until)?;
                let fail_if = compile_all(p.fail_if)?;
                Ok(Poll { every, attempts: p.attempts, until, fail_if, pending: p.pending })
            })
            .transpose()?;
        let track = raw
            .track
            .map(|t| {
                super::jsonpath::parse(&t.path)
                    .map(|p| (t.entity, t.path.clone(), p))
                    .map_err(|e| err(format!("track: {e}")))
            })
            .transpose()?;
        Ok(Step {
            name,
            method,
            url: raw.url,
            headers: raw.headers.into_iter().collect(),
            json: raw.json,
            body: raw.body,
            expect_status: raw.expect_status,
            auth: raw.auth,
            assertions,
            captures,
            poll,
            track,
            needs,
            skip_on_resume: raw.on_resume == Some(OnResume::Skip),
            on_failure: raw.on_failure,
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
        self.captures.iter().map(|(k, _)| k.as_str())
    }

    /// The step's name, numbered.
    pub fn name(&self) -> &str {
        &self.name
    }
}

fn short_path(url: &str) -> String {
    url.split("://").nth(1).and_then(|r| r.find('/').map(|i| r[i..].to_string())).unwrap_or_else(|| url.to_string())
}

/// What a run of steps shares: captured values, last states, masking.
pub struct Run<'a> {
    /// The probe context.
    pub cx: &'a ProbeContext,
    /// The pack's API key scheme.
    pub auth: Option<&'a ApiKeyAuth>,
    /// Sensitive field names to mask.
    pub sensitive: &'a [String],
    /// Values captured so far, as text (for URLs and messages).
    pub vars: BTreeMap<String, String>,
    /// Values captured so far with their JSON types (for JSON bodies and `equals`).
    pub typed: BTreeMap<String, Value>,
    /// Where captured values named in `resume` are remembered for the next run.
    pub resume: Option<(ResumeFile, Vec<String>)>,
    /// Set when a poll stopped on a state the pack names as failed (`fail_if`):
    /// what was remembered cannot be resumed.
    pub reached_failed_state: bool,
    /// Last seen state per entity.
    pub states: HashMap<String, Value>,
    /// Whether check names carry the step's name (more than one step).
    pub prefix: bool,
}

/// An answer to a step's request.
struct Got {
    url: String,
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
    cut: bool,
}

impl Run<'_> {
    /// Runs one step into `out`; says how it ended. `deadline` bounds it.
    pub async fn step(&mut self, step: &Step, out: &mut Outcome, deadline: Instant) -> StepEnd {
        let vars = self.vars.clone();
        let lookup = move |n: &str| vars.get(n).cloned();
        let typed_vars = self.typed.clone();
        let typed = move |n: &str| typed_vars.get(n).cloned();
        let mut local = Outcome::default();
        let attempts = step.poll.as_ref().map_or(1, |p| p.attempts);
        let mut answer = None;
        // Set when the poll ended the step: its own assertions are not judged then.
        let mut poll_end = None;
        for attempt in 1..=attempts {
            answer = self.send(step, &lookup, &mut local, deadline).await;
            let Some(got) = &answer else { break };
            let Some(poll) = &step.poll else { break };
            if got.status != step.expect_status {
                // A wrong status is judged after the last read; reads may recover.
                if attempt == attempts || Instant::now() + poll.every >= deadline {
                    break;
                }
                tokio::time::sleep(poll.every).await;
                continue;
            }
            let doc = serde_json::from_slice::<Value>(&got.body).ok();
            let a = super::assert::Answer { headers: &got.headers, body: &got.body, json: doc.as_ref() };
            let holds = |x: &Assertion| x.check_typed(&a, &lookup, &typed).status == Status::Pass;
            if let Some(stop) = poll.fail_if.iter().find(|x| holds(x)) {
                let seen = stop.check_typed(&a, &lookup, &typed).message;
                local.check(Check::new(
                    "poll",
                    Status::Fail,
                    format!("stopped polling after {attempt} reads: {seen}, a state the pack names as failed"),
                ));
                poll_end = Some(StepEnd::Failed);
                self.reached_failed_state = true;
                break;
            }
            let held = poll.until.iter().all(holds);
            if held {
                break;
            }
            if attempt == attempts || Instant::now() + poll.every >= deadline {
                let last: Vec<String> = poll.until.iter().map(|u| u.check_typed(&a, &lookup, &typed).message).collect();
                let (status, end, why) = match &poll.pending {
                    Some(why) => (Status::Warn, StepEnd::Pending, format!("pending: {why}")),
                    None => (Status::Fail, StepEnd::Failed, "the condition never held".to_string()),
                };
                local.check(Check::new("poll", status, format!("read {attempt} times; {why}: {}", last.join("; "))));
                poll_end = Some(end);
                break;
            }
            tokio::time::sleep(poll.every).await;
        }
        let end = match answer {
            Some(Got { url, status, headers, body, cut }) => {
                let target = format!("{} {url}", step.method);
                let j = Judged { url: &url, status, headers: &headers, body: &body, cut, vars: &lookup, typed: &typed };
                let assertions: &[Assertion] = if poll_end.is_some() { &[] } else { &step.assertions };
                judge(&mut local, &target, &j, step.expect_status, assertions);
                let doc = serde_json::from_slice::<Value>(&body).ok();
                self.capture(step, &url, &headers, &body, doc.as_ref(), &mut local);
                if let (Some(doc), Some((entity, field, path))) = (&doc, &step.track) {
                    self.track(entity, field, path, doc);
                }
                let fine = local.status() == Status::Pass || local.status() == Status::Warn;
                match poll_end {
                    Some(StepEnd::Pending) if fine => StepEnd::Pending,
                    _ if fine => StepEnd::Passed,
                    _ => StepEnd::Failed,
                }
            }
            None => StepEnd::Failed,
        };
        mask_outcome(&mut local, self.sensitive);
        for mut check in local.checks {
            if self.prefix {
                check.name = format!("{} › {}", step.name, check.name);
            }
            out.check(check);
        }
        let prefix = if self.prefix { format!("{} ", step.name) } else { String::new() };
        out.phases.extend(local.phases.into_iter().map(|p| Phase { name: format!("{prefix}{}", p.name), ..p }));
        out.facts.extend(local.facts);
        out.http_status = local.http_status.or(out.http_status);
        out.signals = local.signals;
        if local.diagnosis.is_some() {
            out.diagnosis = local.diagnosis;
        }
        end
    }

    /// Restores the values remembered by an earlier run; true when every
    /// `resume` name has one (the probe then resumes).
    pub fn restore(&mut self, out: &mut Outcome) -> bool {
        let Some((file, names)) = &self.resume else { return false };
        let remembered = match file.load() {
            Ok(r) => r,
            Err(why) => {
                out.check(Check::new("resume", Status::Warn, format!("starting afresh: {why}")));
                return false;
            }
        };
        if names.is_empty() || !names.iter().all(|n| remembered.contains_key(n)) {
            return false;
        }
        let mut shown = Vec::new();
        for name in names {
            let value = remembered[name].clone();
            shown.push(format!("{name} = {value}"));
            self.vars.insert(name.clone(), text_of(&value));
            self.typed.insert(name.clone(), value);
        }
        out.check(Check::new(
            "resume",
            Status::Pass,
            format!("resuming the flow of an earlier run with {} (from {})", shown.join(", "), file.path().display()),
        ));
        true
    }

    /// Forgets the remembered values (the flow completed).
    pub fn forget(&self, out: &mut Outcome) {
        if let Some((file, _)) = &self.resume
            && let Err(why) = file.clear()
        {
            out.check(Check::new("resume", Status::Warn, format!("could not forget the finished flow: {why}")));
        }
    }

    /// Sends a step's request once; `None` when no answer came (the check is recorded).
    async fn send(
        &self,
        step: &Step,
        vars: &(dyn Fn(&str) -> Option<String> + Sync),
        out: &mut Outcome,
        deadline: Instant,
    ) -> Option<Got> {
        let fail = |out: &mut Outcome, why: String| {
            out.check(Check::new("request", Status::Fail, why));
            None
        };
        let url = match interpolate_str(&step.url, vars) {
            Ok(u) => u,
            Err(n) => return fail(out, format!("`${{{n}}}` has no value")),
        };
        out.fact("request", format!("{} {url}", step.method));
        let client = match self.cx.clients.http().await {
            Ok(c) => c,
            Err(e) => return fail(out, e),
        };
        let remaining = deadline.saturating_duration_since(Instant::now()).max(Duration::from_millis(1));
        let mut request = client.request(step.method.clone(), &url).timeout(remaining);
        let mut sent: Vec<(HeaderName, HeaderValue)> = Vec::new();
        for (k, v) in &step.headers {
            let value = interpolate_str(v, vars).unwrap_or_default();
            if let (Ok(n), Ok(v)) = (HeaderName::from_bytes(k.as_bytes()), HeaderValue::from_str(&value)) {
                sent.push((n, v));
            }
        }
        let body: Option<Vec<u8>> = match (&step.json, &step.body) {
            (Some(j), _) => {
                let mut j = j.clone();
                substitute_typed(&mut j, &|n: &str| self.typed.get(n).cloned());
                if let Err(n) = interpolate_value(&mut j, vars) {
                    return fail(out, format!("`${{{n}}}` has no value"));
                }
                sent.push((reqwest::header::CONTENT_TYPE, HeaderValue::from_static("application/json")));
                serde_json::to_vec(&j).ok()
            }
            (None, Some(b)) => Some(interpolate_str(b, vars).unwrap_or_default().into_bytes()),
            (None, None) => None,
        };
        if step.auth {
            sent.extend(api_key_header(self.auth, &self.cx.env));
        }
        for (n, v) in &sent {
            request = request.header(n, v);
        }
        if let Some(b) = &body {
            request = request.body(b.clone());
        }
        let started = Instant::now();
        let request_headers = net::masked_headers(sent.iter().map(|(n, v)| (n, v)));
        let exchange = |status, response_headers, response_body: Option<Vec<u8>>, error, phases| {
            trace_exchange(
                self.cx,
                Exchange {
                    method: step.method.as_str(),
                    url: &url,
                    request_headers: request_headers.clone(),
                    request_body: body.as_deref(),
                    status,
                    response_headers,
                    response_body: response_body.as_deref(),
                    error,
                    mask: self.sensitive,
                    duration_ms: started.elapsed().as_millis() as u64,
                    phases,
                },
            )
        };
        let response = match request.send().await {
            Ok(r) => r,
            Err(e) => {
                let why = net::describe(&e);
                net::log_request(step.method.as_str(), &url, Err(&why), started.elapsed());
                exchange(None, Vec::new(), None, Some(why.clone()), Vec::new());
                out.check(Check::new("request", Status::Error, format!("{} {url}: {why}", step.method)));
                let class = net::error_class(&e);
                out.signals.error_class = Some(class);
                if let Ok(u) = reqwest::Url::parse(&url) {
                    out.diagnosis = Some(transport_diagnosis(class, &u, &self.cx.env));
                }
                return None;
            }
        };
        let status = response.status().as_u16();
        net::log_request(step.method.as_str(), &url, Ok(status), started.elapsed());
        let headers = net::masked_headers(response.headers());
        let (bytes, cut) = match net::read_body(response).await {
            Ok(b) => b,
            Err(e) => {
                let why = format!("reading the body failed: {}", net::describe(&e));
                exchange(Some(status), headers, None, Some(why.clone()), Vec::new());
                out.check(Check::new("body", Status::Error, why));
                return None;
            }
        };
        let phase = Phase { name: "request".into(), duration_ms: started.elapsed().as_millis() as u64 };
        out.phases.push(phase.clone());
        exchange(Some(status), headers.clone(), Some(bytes.clone()), None, vec![phase]);
        Some(Got { url, status, headers, body: bytes, cut })
    }

    fn capture(
        &mut self,
        step: &Step,
        url: &str,
        headers: &[(String, String)],
        body: &[u8],
        doc: Option<&Value>,
        out: &mut Outcome,
    ) {
        for (name, how) in &step.captures {
            let value = match how {
                Capture::Path(p) => doc.and_then(|d| p.query(d).first().cloned()),
                Capture::Header(h) => headers.iter().find(|(n, _)| n == h).map(|(_, v)| Value::String(v.clone())),
                Capture::Regex(re) => re
                    .captures(&String::from_utf8_lossy(body))
                    .and_then(|c| c.get(1).or_else(|| c.get(0)))
                    .map(|m| Value::String(m.as_str().to_string())),
                Capture::Link(re) => {
                    let html = String::from_utf8_lossy(body);
                    let page = reqwest::Url::parse(url).ok();
                    super::links::find(&html, re)
                        .ok()
                        .and_then(|l| super::links::site_path(&html, page.as_ref()?, &l.href))
                        .map(Value::String)
                }
            };
            match value {
                Some(v) => {
                    if let Some((file, names)) = &self.resume
                        && names.contains(name)
                        && let Err(why) = file.remember(name, &v)
                    {
                        out.check(Check::new(
                            format!("remember {name}"),
                            Status::Warn,
                            format!("`{name}` could not be remembered for the next run: {why}"),
                        ));
                    }
                    self.vars.insert(name.clone(), text_of(&v));
                    self.typed.insert(name.clone(), v);
                }
                None => {
                    out.check(Check::new(
                        format!("capture {name}"),
                        Status::Fail,
                        format!("nothing to capture as `{name}`"),
                    ));
                }
            }
        }
    }

    fn track(&mut self, entity: &str, field: &str, path: &JsonPath, doc: &Value) {
        let Some(now) = path.query(doc).first().cloned() else { return };
        let before = self.states.insert(entity.to_string(), now.clone());
        if before.as_ref() != Some(&now) {
            self.cx
                .trace
                .record("state", serde_json::json!({ "entity": entity, "field": field, "from": before, "to": now }));
        }
    }
}

/// A captured value as text: a string as it is, anything else as JSON.
fn text_of(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}
