//! Running compiled steps: sending a step's request (polling when it says
//! so), judging the answer by the basis of each fact, capturing values for
//! later steps, tracking states, and remembering what a resumed flow needs.

use std::collections::{BTreeMap, HashMap};
use std::time::{Duration, Instant};

use reqwest::header::{HeaderName, HeaderValue};
use serde_json::Value;

use super::{Capture, Step};
use crate::config::ApiKeyAuth;
use crate::config::interpolate::{interpolate_str, interpolate_value, substitute_typed};
use crate::net;
use crate::probe::ProbeContext;
use crate::probe::assert::{Answer, Assertion};
use crate::probe::flow::resume::ResumeFile;
use crate::probe::masking::mask_outcome;
use crate::probe::request::{
    Exchange, Expect, Judged, Verdict, api_key_header, judge, trace_exchange, transport_diagnosis,
};
use crate::report::{Check, Outcome, Phase, Status};
use crate::spec::{Basis, ErrorClass};

/// How a step ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StepEnd {
    /// It passed (or only warned); the flow goes on.
    Passed,
    /// It failed or got no answer.
    Failed,
    /// Its poll ran out while the partner still works on it (`poll.pending`).
    Pending,
    /// The partner's answer differs from what golive inferred in a way the
    /// flow cannot go past (a refused request, a state never reached): a
    /// warning, and the later steps are not run.
    Differs,
}

/// What became of a step's request, for the steps that follow it (`after`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sent {
    /// The partner answered with a status the step expects: its effect is there.
    Accepted,
    /// The partner answered with another status: nothing changed.
    Refused(u16),
    /// No answer came (a timeout, a network error): it may have changed something.
    NoAnswer,
}

/// What a run of steps shares: captured values, last states, masking.
pub struct Run<'a> {
    /// The probe context.
    pub cx: &'a ProbeContext,
    /// The pack's API key scheme.
    pub auth: Option<&'a ApiKeyAuth>,
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
    /// What became of each step that was sent, by number.
    pub sent: BTreeMap<usize, Sent>,
}

/// A step's request body: what is sent, what the trace records of it (a
/// file of a real identity is not recorded), and whether it is JSON.
struct Body {
    sent: Vec<u8>,
    recorded: Vec<u8>,
    json: bool,
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
    /// `--strict-contract`: inferred facts are hard checks.
    fn strict(&self) -> bool {
        self.cx.env.strict_contract
    }

    /// Runs one step into `out`; says how it ended. `deadline` bounds it.
    pub async fn step(&mut self, step: &Step, out: &mut Outcome, deadline: Instant) -> StepEnd {
        let vars = self.vars.clone();
        let lookup = move |n: &str| vars.get(n).cloned();
        let typed_vars = self.typed.clone();
        let typed = move |n: &str| typed_vars.get(n).cloned();
        let strict = self.strict();
        let mut local = Outcome::default();
        let attempts = step.poll.as_ref().map_or(1, |p| p.attempts);
        let mut answer = None;
        // Set when the poll ended the step: its own assertions are not judged then.
        let mut poll_end = None;
        // Inferred failed states (`fail_if`) seen while polling: which, and as what.
        let mut seen_failed: Vec<(usize, String)> = Vec::new();
        for attempt in 1..=attempts {
            answer = self.send(step, &lookup, &mut local, deadline).await;
            let Some(got) = &answer else { break };
            let Some(poll) = &step.poll else { break };
            if !step.status.expect.matches(got.status) {
                // A wrong status is judged after the last read; reads may recover.
                if attempt == attempts || Instant::now() + poll.every >= deadline {
                    break;
                }
                tokio::time::sleep(poll.every).await;
                continue;
            }
            let doc = serde_json::from_slice::<Value>(&got.body).ok();
            let a = Answer { headers: &got.headers, body: &got.body, json: doc.as_ref() };
            let holds = |x: &Assertion| x.check_typed(&a, &lookup, &typed).status == Status::Pass;
            let inferred = |x: &Assertion| x.fact.as_ref().is_some_and(|f| f.inferred());
            if let Some(stop) = poll.fail_if.iter().find(|x| holds(x) && (strict || !inferred(x))) {
                let seen = stop.check_typed(&a, &lookup, &typed).message;
                let why = format!("stopped polling after {attempt} reads: {seen}, a state the pack names as failed");
                local.check(missed(why, stop, None, strict));
                poll_end = Some(StepEnd::Failed);
                self.reached_failed_state = true;
                break;
            }
            for (i, x) in poll.fail_if.iter().enumerate().filter(|(_, x)| inferred(x) && holds(x)) {
                if !seen_failed.iter().any(|(j, _)| *j == i) {
                    seen_failed.push((i, x.check_typed(&a, &lookup, &typed).message));
                }
            }
            if poll.until.iter().all(holds) {
                // A state golive took for failed was only passing through: say so.
                for (i, seen) in &seen_failed {
                    let why = format!("a read showed {seen}; then the condition held: not a failed state");
                    local.check(missed(why, &poll.fail_if[*i], Some(false), strict));
                }
                break;
            }
            if attempt == attempts || Instant::now() + poll.every >= deadline {
                let failing: Vec<&Assertion> = poll.until.iter().filter(|u| !holds(u)).collect();
                let last: Vec<String> = failing.iter().map(|u| u.check_typed(&a, &lookup, &typed).message).collect();
                let stuck = poll.fail_if.iter().find(|x| inferred(x) && holds(x));
                let (check, end) = match (stuck, &poll.pending) {
                    (Some(x), _) => {
                        let seen = x.check_typed(&a, &lookup, &typed).message;
                        let why = format!("read {attempt} times; it stayed at {seen}, a state golive infers is failed");
                        (missed(why, x, None, strict), StepEnd::Differs)
                    }
                    (None, Some(why)) => (
                        Check::new(
                            "poll",
                            Status::Warn,
                            format!("read {attempt} times; pending: {why}: {}", last.join("; ")),
                        ),
                        StepEnd::Pending,
                    ),
                    (None, None) => {
                        let mut check = Check::new(
                            "poll",
                            Status::Fail,
                            format!("read {attempt} times; the condition never held: {}", last.join("; ")),
                        );
                        // Weighed as the firmest condition that did not hold; a
                        // value read where golive inferred it, but never the one
                        // awaited, is a state never reached: a failure.
                        let reached = |u: &&&Assertion| u.evaluate_typed(&a, &lookup, &typed).wrong_value;
                        let facts = failing.iter().filter_map(|u| u.fact.as_ref());
                        let firm = facts.clone().find(|f| !f.inferred()).or_else(|| facts.clone().next());
                        match (failing.iter().find(reached).and_then(|u| u.fact.as_ref()), firm) {
                            (Some(f), _) => f.attach(&mut check, None),
                            (None, Some(f)) => f.mark(&mut check, Some(false), strict),
                            (None, None) => {}
                        }
                        let end = if check.status == Status::Fail { StepEnd::Failed } else { StepEnd::Differs };
                        (check, end)
                    }
                };
                let end = if check.status == Status::Fail { StepEnd::Failed } else { end };
                local.check(check);
                poll_end = Some(end);
                break;
            }
            tokio::time::sleep(poll.every).await;
        }
        let end = match answer {
            Some(Got { url, status, headers, body, cut }) => {
                let target = format!("{} {url}", step.method);
                let j = Judged { url: &url, status, headers: &headers, body: &body, cut, vars: &lookup, typed: &typed };
                let expect = Expect {
                    step: step.number,
                    request: format!("{} {}", step.method, step.url),
                    status: step.status.expect,
                    status_fact: &step.status.fact,
                    inferred_status: step.status.inferred.as_ref(),
                    assertions: if poll_end.is_some() { &[] } else { &step.assertions },
                    mask: &step.mask,
                    strict,
                };
                let verdict = judge(&mut local, &target, &j, &expect);
                let sent = if verdict == Verdict::Usable { Sent::Accepted } else { Sent::Refused(status) };
                self.sent.insert(step.number, sent);
                let doc = serde_json::from_slice::<Value>(&body).ok();
                if verdict == Verdict::Usable {
                    self.capture(step, &url, &headers, &body, doc.as_ref(), &mut local);
                }
                if let Some(doc) = &doc {
                    self.track(step, doc);
                }
                let failed = matches!(local.status(), Status::Fail | Status::Error);
                match (failed, verdict, poll_end) {
                    (true, _, _) | (_, _, Some(StepEnd::Failed)) => StepEnd::Failed,
                    (false, Verdict::Differs, _) | (false, _, Some(StepEnd::Differs)) => StepEnd::Differs,
                    (false, _, Some(StepEnd::Pending)) => StepEnd::Pending,
                    _ => StepEnd::Passed,
                }
            }
            None => {
                self.sent.insert(step.number, Sent::NoAnswer);
                StepEnd::Failed
            }
        };
        mask_outcome(&mut local, &step.mask);
        for mut check in std::mem::take(&mut local.checks) {
            // A check without a line of its own (the request, the body) is the step's.
            if check.at.is_none() {
                check.at = step.at.clone().map(Box::new);
            }
            if self.prefix {
                check.name = format!("{} › {}", step.name, check.name);
            }
            // A refuted inference is read on its own (a terminal line, the
            // contract report): its message names the step too.
            if check.fact.as_ref().is_some_and(|f| f.basis == Basis::Inferred && f.held == Some(false)) {
                check.message = match check.message.strip_prefix("note: ") {
                    Some(rest) => format!("note: {}: {rest}", step.name),
                    None => format!("{}: {}", step.name, check.message),
                };
            }
            out.check(check);
        }
        let prefix = if self.prefix { format!("{} ", step.name) } else { String::new() };
        let phases = std::mem::take(&mut local.phases);
        out.phases.extend(phases.into_iter().map(|p| Phase { name: format!("{prefix}{}", p.name), ..p }));
        out.take_answer(local);
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

    /// The request body of a step, and what the trace records of it.
    fn body(&self, step: &Step, vars: &(dyn Fn(&str) -> Option<String> + Sync)) -> Result<Option<Body>, String> {
        if let Some(input) = &step.json_input {
            let env = &self.cx.env;
            let path = env.input_path(input).ok_or_else(|| {
                format!(
                    "the request body is the JSON file named by `{input}`, which environment `{}` does not set",
                    env.name
                )
            })?;
            let text = std::fs::read_to_string(path).map_err(|e| {
                format!("cannot read {} (`{input}`): {}", path.display(), crate::config::error::io_reason(&e))
            })?;
            let doc: Value =
                serde_json::from_str(&text).map_err(|e| format!("{} (`{input}`) is not JSON: {e}", path.display()))?;
            if !doc.is_object() {
                return Err(format!("{} (`{input}`) must hold a JSON object: the request body", path.display()));
            }
            let bytes = serde_json::to_vec(&doc).map_err(|e| e.to_string())?;
            // The file holds a real person's identity: the trace says it was sent, not what it holds.
            let keys: Vec<&str> = doc.as_object().into_iter().flat_map(|o| o.keys().map(String::as_str)).collect();
            let recorded = format!("(the JSON of `{input}`, not recorded: fields {})", keys.join(", ")).into_bytes();
            return Ok(Some(Body { sent: bytes, recorded, json: true }));
        }
        match (&step.json, &step.body) {
            (Some(j), _) => {
                let mut j = j.clone();
                substitute_typed(&mut j, &|n: &str| self.typed.get(n).cloned());
                interpolate_value(&mut j, vars).map_err(|n| format!("`${{{n}}}` has no value"))?;
                let bytes = serde_json::to_vec(&j).map_err(|e| e.to_string())?;
                Ok(Some(Body { sent: bytes.clone(), recorded: bytes, json: true }))
            }
            (None, Some(b)) => {
                let bytes = interpolate_str(b, vars).unwrap_or_default().into_bytes();
                Ok(Some(Body { sent: bytes.clone(), recorded: bytes, json: false }))
            }
            (None, None) => Ok(None),
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
        let (body, recorded) = match self.body(step, vars) {
            Ok(Some(b)) => {
                if b.json {
                    sent.push((reqwest::header::CONTENT_TYPE, HeaderValue::from_static("application/json")));
                }
                (Some(b.sent), Some(b.recorded))
            }
            Ok(None) => (None, None),
            Err(why) => return fail(out, why),
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
                    request_body: recorded.as_deref(),
                    status,
                    response_headers,
                    response_body: response_body.as_deref(),
                    error,
                    mask: &step.mask,
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

    /// Captures the step's values. A value found only at one of the pack's
    /// alternative paths is kept (the flow goes on) and the fact at its path
    /// is refuted; a value found nowhere fails a documented capture and warns
    /// for an inferred one, whose later users are then not run.
    fn capture(
        &mut self,
        step: &Step,
        url: &str,
        headers: &[(String, String)],
        body: &[u8],
        doc: Option<&Value>,
        out: &mut Outcome,
    ) {
        let strict = self.strict();
        for c in &step.captures {
            let name = &c.name;
            let (value, looked): (Option<(Value, usize)>, Vec<&str>) = match &c.how {
                Capture::Path(paths) => (
                    paths
                        .iter()
                        .enumerate()
                        .find_map(|(i, (_, p))| doc.and_then(|d| p.query(d).first().cloned()).map(|v| (v, i))),
                    paths.iter().map(|(t, _)| t.as_str()).collect(),
                ),
                Capture::Header(h) => {
                    (headers.iter().find(|(n, _)| n == h).map(|(_, v)| (Value::String(v.clone()), 0)), Vec::new())
                }
                Capture::Regex(re) => (
                    re.captures(&String::from_utf8_lossy(body))
                        .and_then(|c| c.get(1).or_else(|| c.get(0)))
                        .map(|m| (Value::String(m.as_str().to_string()), 0)),
                    Vec::new(),
                ),
                Capture::Link(re) => {
                    let html = String::from_utf8_lossy(body);
                    let page = reqwest::Url::parse(url).ok();
                    let path = crate::probe::links::find(&html, re)
                        .ok()
                        .and_then(|l| crate::probe::links::site_path(&html, page.as_ref()?, &l.href));
                    (path.map(|p| (Value::String(p), 0)), Vec::new())
                }
            };
            let check_name = format!("capture {name}");
            // `as = "integer"`: a string of digits is kept as the number it spells.
            let (value, not_integer) = match value {
                Some((v, at)) if c.as_integer => match as_integer(&v) {
                    Some(n) => (Some((n, at)), None),
                    None => (None, Some(at)),
                },
                other => (other, None),
            };
            if let Some(at) = not_integer {
                // The value itself is not shown: it may be card data.
                let mut check = Check::new(
                    check_name,
                    Status::Fail,
                    format!(
                        "`{name}` at `{}` is not a whole number, and the pack takes it as an integer",
                        looked.get(at).copied().unwrap_or("the answer")
                    ),
                );
                c.fact.mark(&mut check, Some(false), strict);
                out.check(check);
                continue;
            }
            match value {
                Some((v, at)) => {
                    if at > 0 {
                        let mut check = Check::new(
                            check_name,
                            Status::Fail,
                            format!(
                                "`{name}` was found at the pack's alternative `{}`, not at `{}`",
                                looked[at], looked[0]
                            ),
                        )
                        .classed(ErrorClass::Assertion);
                        c.fact.found_elsewhere(&mut check, strict);
                        out.check(check);
                    } else if c.fact.inferred() {
                        // Shown, so the contract report can count the inference as confirmed.
                        let mut check = Check::new(check_name, Status::Pass, format!("`{name}` captured"));
                        c.fact.mark(&mut check, Some(true), strict);
                        out.check(check);
                    }
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
                    let where_ = if looked.is_empty() {
                        String::new()
                    } else {
                        format!(" at {}", looked.iter().map(|p| format!("`{p}`")).collect::<Vec<_>>().join(" or "))
                    };
                    let mut check =
                        Check::new(check_name, Status::Fail, format!("nothing to capture as `{name}`{where_}"))
                            .classed(ErrorClass::Assertion);
                    c.fact.mark(&mut check, Some(false), strict);
                    out.check(check);
                }
            }
        }
    }

    /// Records the state the step tracks, read where the step's assertion on
    /// the same path reads it (at an alternative, when the answer has the
    /// value there), else at the path.
    fn track(&mut self, step: &Step, doc: &Value) {
        let Some((entity, field, path)) = &step.track else { return };
        let until = step.poll.iter().flat_map(|p| &p.until);
        let located =
            step.assertions.iter().chain(until).find(|a| a.path() == Some(field.as_str())).and_then(|a| a.locate(doc));
        let Some(now) = located.or_else(|| path.query(doc).first().cloned()) else { return };
        let before = self.states.insert(entity.clone(), now.clone());
        if before.as_ref() != Some(&now) {
            self.cx
                .trace
                .record("state", serde_json::json!({ "entity": entity, "field": field, "from": before, "to": now }));
        }
    }
}

/// A failed `poll` check about condition `x`, weighed by its fact.
fn missed(message: String, x: &Assertion, held: Option<bool>, strict: bool) -> Check {
    let mut check = Check::new("poll", Status::Fail, message).classed(ErrorClass::Assertion);
    if let Some(f) = &x.fact {
        f.mark(&mut check, held, strict);
    }
    check
}

/// An integer as it is, or a string of 1 to 19 digits as the number it spells.
fn as_integer(v: &Value) -> Option<Value> {
    match v {
        Value::Number(n) if n.is_u64() || n.is_i64() => Some(v.clone()),
        Value::String(s) if (1..=19).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_digit()) => {
            s.parse::<u64>().ok().map(Value::from)
        }
        _ => None,
    }
}

/// A captured value as text: a string as it is, anything else as JSON.
fn text_of(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}
