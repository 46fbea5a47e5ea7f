//! Probe kind `http`: one request, or ordered steps with captures, polling and
//! cleanup (see [`super::steps`]), sent with the environment's client
//! certificate and API key when set. Also the request helpers other kinds share.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use async_trait::async_trait;
use reqwest::header::{HeaderName, HeaderValue};
use secrecy::ExposeSecret;
use serde::Deserialize;

use super::assert::{Answer, Assertion, RawAssertion, untyped};
use super::masking::{mask_body, mask_outcome};
use super::resume::ResumeFile;
use super::steps::{RawStep, Run, Step, StepEnd};
use super::{BuildContext, Probe, ProbeContext};
use crate::config::ApiKeyAuth;
use crate::net;
use crate::report::{Check, Diagnosis, ErrorClass, Outcome, Phase, Status};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Params {
    #[serde(default = "default_method")]
    method: String,
    url: String,
    #[serde(default)]
    headers: BTreeMap<String, String>,
    json: Option<toml::Value>,
    body: Option<String>,
    #[serde(default = "default_status")]
    expect_status: u16,
    #[serde(default = "default_true")]
    auth: bool,
    #[serde(default)]
    assert: Vec<RawAssertion>,
    /// The documented example of the answer (`fixtures/partners/<pack>/<contract>.json`),
    /// read by the contract tests; nothing at run time.
    #[allow(dead_code)]
    contract: Option<String>,
}

fn default_method() -> String {
    "GET".to_string()
}
fn default_status() -> u16 {
    200
}
fn default_true() -> bool {
    true
}

/// One HTTP request and what its answer must be: shared by `http` and `mtls`.
pub(super) struct RequestSpec {
    pub(super) method: reqwest::Method,
    pub(super) url: reqwest::Url,
    pub(super) headers: Vec<(HeaderName, HeaderValue)>,
    pub(super) body: Option<(Vec<u8>, &'static str)>,
    pub(super) expect_status: u16,
    pub(super) auth: Option<ApiKeyAuth>,
    pub(super) assertions: Vec<Assertion>,
    /// The pack's sensitive field names (`[masking] fields`).
    pub(super) sensitive: Vec<String>,
}

/// A built `http` probe: ordered steps, then cleanup steps that always run.
struct HttpProbe {
    steps: Vec<Step>,
    cleanup: Vec<Step>,
    auth: Option<ApiKeyAuth>,
    sensitive: Vec<String>,
    /// Captured names remembered for the next run, and where.
    resume: Option<(ResumeFile, Vec<String>)>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Flow {
    steps: Vec<RawStep>,
    #[serde(default)]
    cleanup: Vec<RawStep>,
    /// Captured names kept in the state folder until the flow completes, so a
    /// run that ends pending is resumed by the next one.
    #[serde(default)]
    resume: Vec<String>,
}

/// Builds an `http` probe: either one request (method, url, ... at the top)
/// or `steps = [...]` with optional `cleanup = [...]`.
pub fn build(params: toml::Table, cx: &BuildContext<'_>) -> Result<Arc<dyn Probe>, String> {
    let message = |e: toml::de::Error| e.message().to_string();
    let flow: Flow = if params.contains_key("steps") {
        toml::Value::Table(params).try_into().map_err(message)?
    } else {
        Flow {
            steps: vec![toml::Value::Table(params).try_into().map_err(message)?],
            cleanup: Vec::new(),
            resume: Vec::new(),
        }
    };
    let steps =
        flow.steps.into_iter().enumerate().map(|(i, s)| Step::compile(s, i + 1)).collect::<Result<Vec<_>, _>>()?;
    let cleanup = flow
        .cleanup
        .into_iter()
        .enumerate()
        .map(|(i, s)| Step::compile(s, steps.len() + i + 1))
        .collect::<Result<Vec<_>, _>>()?;
    let mut known: std::collections::BTreeSet<String> = Default::default();
    for step in &steps {
        if let Some(missing) = step.needs().iter().find(|n| !known.contains(*n)) {
            return Err(format!("step {} uses `${{{missing}}}`, which no earlier step captures", step.name()));
        }
        known.extend(step.captures().map(str::to_string));
    }
    for step in &cleanup {
        if let Some(missing) = step.needs().iter().find(|n| !known.contains(*n)) {
            return Err(format!("cleanup step {} uses `${{{missing}}}`, which no step captures", step.name()));
        }
    }
    if let Some(name) = flow.resume.iter().find(|n| !known.contains(*n)) {
        return Err(format!("resume names `{name}`, which no step captures"));
    }
    let resume =
        (!flow.resume.is_empty()).then(|| (ResumeFile::new(&cx.env.state_path(), &cx.env.name, cx.id), flow.resume));
    Ok(Arc::new(HttpProbe { steps, cleanup, auth: cx.pack.auth.clone(), sensitive: sensitive_fields(cx), resume }))
}

/// The field names the pack declares sensitive (`[masking] fields`).
pub(super) fn sensitive_fields(cx: &BuildContext<'_>) -> Vec<String> {
    cx.pack.masking.as_ref().map(|m| m.fields.clone()).unwrap_or_default()
}

impl RequestSpec {
    /// Parses request parameters: method, url, headers, json or body,
    /// expect_status, auth, assert.
    pub(super) fn parse(params: toml::Table, cx: &BuildContext<'_>) -> Result<RequestSpec, String> {
        let p: Params = toml::Value::Table(params).try_into().map_err(|e: toml::de::Error| e.message().to_string())?;
        let method = reqwest::Method::from_bytes(p.method.to_uppercase().as_bytes())
            .map_err(|_| format!("`{}` is not an HTTP method", p.method))?;
        let url = reqwest::Url::parse(&p.url).map_err(|e| format!("invalid url `{}`: {e}", p.url))?;
        let headers = p
            .headers
            .iter()
            .map(|(k, v)| {
                let name = HeaderName::from_bytes(k.as_bytes()).map_err(|_| format!("`{k}` is not a header name"))?;
                let value = HeaderValue::from_str(v).map_err(|_| format!("header `{k}` has an invalid value"))?;
                Ok((name, value))
            })
            .collect::<Result<Vec<_>, String>>()?;
        let body = match (p.json, p.body) {
            (Some(_), Some(_)) => return Err("give either `json` or `body`, not both".to_string()),
            (Some(json), None) => Some((serde_json::to_vec(&json).map_err(|e| e.to_string())?, "application/json")),
            (None, Some(raw)) => Some((raw.into_bytes(), "text/plain")),
            (None, None) => None,
        };
        let assertions = p.assert.into_iter().map(Assertion::compile).collect::<Result<Vec<_>, _>>()?;
        Ok(RequestSpec {
            method,
            url,
            headers,
            body,
            expect_status: p.expect_status,
            auth: if p.auth { cx.pack.auth.clone() } else { None },
            assertions,
            sensitive: sensitive_fields(cx),
        })
    }
}

#[async_trait]
impl Probe for HttpProbe {
    async fn run(&self, cx: &ProbeContext) -> Outcome {
        let mut out = Outcome::default();
        let mut run = Run {
            cx,
            auth: self.auth.as_ref(),
            sensitive: &self.sensitive,
            vars: Default::default(),
            typed: Default::default(),
            resume: self.resume.clone(),
            reached_failed_state: false,
            states: Default::default(),
            prefix: self.steps.len() + self.cleanup.len() > 1,
        };
        let resuming = run.restore(&mut out);
        // Keep time for the cleanup: it must run even when a step hangs.
        let reserve =
            if self.cleanup.is_empty() { Duration::ZERO } else { (cx.remaining() / 4).min(Duration::from_secs(3)) };
        let main_deadline = cx.deadline - reserve;
        let mut stopped: Option<StepEnd> = None;
        for step in &self.steps {
            if resuming && step.skip_on_resume() {
                let why = "not sent: resuming with what an earlier run created";
                out.check(Check::new(format!("{} › resumed", step.name()), Status::Skip, why));
                continue;
            }
            if let Some(end) = stopped {
                let why = match end {
                    StepEnd::Pending => "not run: an earlier step is pending; the next run resumes here",
                    StepEnd::Passed | StepEnd::Failed => "not run: an earlier step failed",
                };
                out.check(Check::new(format!("{} › not run", step.name()), Status::Skip, why));
                continue;
            }
            match run.step(step, &mut out, main_deadline).await {
                StepEnd::Passed => {}
                end @ (StepEnd::Failed | StepEnd::Pending) => stopped = Some(end),
            }
        }
        // A completed flow, or one that reached a failed state (a declined
        // cardholder), starts afresh next time; a pending or broken one resumes.
        if stopped.is_none() || run.reached_failed_state {
            run.forget(&mut out);
        }
        let signals = out.signals.clone();
        let diagnosis = out.diagnosis.clone();
        for step in &self.cleanup {
            if let Some(missing) = step.needs().iter().find(|n| !run.vars.contains_key(*n)) {
                let why = format!("cleanup not run: needs `${{{missing}}}`, which no step captured");
                out.check(Check::new(format!("{} › not run", step.name()), Status::Skip, why));
                continue;
            }
            let mut cleanup = Outcome::default();
            run.step(step, &mut cleanup, cx.deadline).await;
            for mut check in cleanup.checks {
                if matches!(check.status, Status::Fail | Status::Error) {
                    // A failed cleanup leaves test data behind: its own failure, saying what is left.
                    let left = step.on_failure().map(|t| {
                        crate::config::interpolate::interpolate_str(t, &|n| run.vars.get(n).cloned())
                            .unwrap_or_else(|_| t.to_string())
                    });
                    check.status = Status::Fail;
                    check.message = match left {
                        Some(left) => format!("cleanup failed, {left}: {}", check.message),
                        None => format!("cleanup failed: {}", check.message),
                    };
                }
                out.check(check);
            }
            out.phases.extend(cleanup.phases);
        }
        // The verdict's signals and diagnosis come from the steps, not the cleanup.
        out.signals = signals;
        out.diagnosis = diagnosis;
        out
    }
}

/// Sends the request of `spec` with the environment's client and judges the
/// answer into `out` (checks, phases, facts, signals, trace), with the pack's
/// sensitive fields masked.
pub(super) async fn perform(spec: &RequestSpec, cx: &ProbeContext, out: &mut Outcome) {
    let mut local = Outcome::default();
    send_and_judge(spec, cx, &mut local).await;
    mask_outcome(&mut local, &spec.sensitive);
    out.checks.extend(local.checks);
    out.phases.extend(local.phases);
    out.facts.extend(local.facts);
    out.http_status = local.http_status.or(out.http_status);
    out.signals = local.signals;
    if local.diagnosis.is_some() {
        out.diagnosis = local.diagnosis;
    }
}

async fn send_and_judge(spec: &RequestSpec, cx: &ProbeContext, out: &mut Outcome) {
    let target = format!("{} {}", spec.method, spec.url);
    out.fact("request", target.clone());
    let client = match cx.clients.http().await {
        Ok(c) => c,
        Err(e) => {
            out.check(Check::new("client", Status::Error, e));
            out.signals.error_class = Some(ErrorClass::ClientSetup);
            return;
        }
    };
    let mut request = client.request(spec.method.clone(), spec.url.clone()).timeout(cx.remaining());
    let mut sent: Vec<(HeaderName, HeaderValue)> = spec.headers.clone();
    if let Some((bytes, content_type)) = &spec.body {
        sent.push((reqwest::header::CONTENT_TYPE, HeaderValue::from_static(content_type)));
        request = request.body(bytes.clone());
    }
    sent.extend(api_key_header(spec.auth.as_ref(), &cx.env));
    for (name, value) in &sent {
        request = request.header(name, value);
    }
    let exchange = |status, response_headers, response_body, error, started: Instant, phases| Exchange {
        method: spec.method.as_str(),
        url: spec.url.as_str(),
        request_headers: net::masked_headers(sent.iter().map(|(n, v)| (n, v))),
        request_body: spec.body.as_ref().map(|(b, _)| b.as_slice()),
        status,
        response_headers,
        response_body,
        error,
        duration_ms: started.elapsed().as_millis() as u64,
        phases,
        mask: &spec.sensitive,
    };
    let started = Instant::now();
    let response = match request.send().await {
        Ok(r) => r,
        Err(e) => {
            let class = net::error_class(&e);
            let why = net::describe(&e);
            net::log_request(spec.method.as_str(), spec.url.as_str(), Err(&why), started.elapsed());
            trace_exchange(cx, exchange(None, Vec::new(), None, Some(why.clone()), started, Vec::new()));
            out.check(Check::new("request", Status::Error, format!("{target}: {why}")));
            out.signals.error_class = Some(class);
            out.diagnosis = Some(transport_diagnosis(class, &spec.url));
            return;
        }
    };
    // The request's phases, for the report and for its trace record.
    let mut phases = vec![Phase { name: "request".into(), duration_ms: started.elapsed().as_millis() as u64 }];
    let status = response.status().as_u16();
    net::log_request(spec.method.as_str(), spec.url.as_str(), Ok(status), started.elapsed());
    let response_headers = net::masked_headers(response.headers());
    let body_started = Instant::now();
    let (body, cut) = match net::read_body(response).await {
        Ok(b) => b,
        Err(e) => {
            let why = format!("reading the body failed: {}", net::describe(&e));
            out.phases.extend(phases.iter().cloned());
            trace_exchange(cx, exchange(Some(status), response_headers, None, Some(why.clone()), started, phases));
            out.check(Check::new("body", Status::Error, format!("{target}: {why}")));
            out.signals.error_class = Some(net::error_class(&e));
            return;
        }
    };
    phases.push(Phase { name: "body".into(), duration_ms: body_started.elapsed().as_millis() as u64 });
    out.phases.extend(phases.iter().cloned());
    tracing::trace!(url = %net::loggable(&spec.url), status, bytes = body.len(), cut, "answer");
    let answer = Judged {
        url: spec.url.as_str(),
        status,
        headers: &response_headers,
        body: &body,
        cut,
        vars: &no_vars,
        typed: &untyped,
    };
    judge(out, &target, &answer, spec.expect_status, &spec.assertions);
    trace_exchange(cx, exchange(Some(status), response_headers.clone(), Some(&body), None, started, phases));
}

/// Judges an HTTP answer: the status check, then (when the status is right)
/// every JSON assertion. Records the body for pack diagnoses.
pub(super) fn judge(
    out: &mut Outcome,
    target: &str,
    answer: &Judged<'_>,
    expect_status: u16,
    assertions: &[Assertion],
) {
    let Judged { url, status, headers, body, cut, vars, typed } = *answer;
    out.signals.http_status = Some(status);
    out.signals.url = Some(url.to_string());
    out.signals.headers = headers.to_vec();
    out.answered(status);
    out.fact("body_bytes", body.len());
    let text = String::from_utf8_lossy(body).into_owned();
    out.signals.body = Some(text.chars().take(4096).collect());
    let excerpt: String = text.chars().take(200).collect();
    let status_ok = status == expect_status;
    let message = if status_ok {
        format!("{target} answered {status}")
    } else {
        format!("{target} answered {status}, expected {expect_status}: {excerpt}")
    };
    out.check(
        Check::new("status", if status_ok { Status::Pass } else { Status::Fail }, message)
            .with_values(expect_status.to_string(), status.to_string()),
    );
    let content_type =
        headers.iter().find(|(k, _)| k.eq_ignore_ascii_case("content-type")).map(|(_, v)| v.to_ascii_lowercase());
    if assertions.is_empty() && status_ok && content_type.as_deref().is_some_and(|t| t.starts_with("text/html")) {
        // Nothing asserted, and an HTML page answered: a proxy, login or error
        // page with the right status passes no check of an API answer.
        out.check(Check::new(
            "content",
            Status::Warn,
            format!(
                "{target} answered {status} with an HTML page, not an API answer (a proxy, login or error page?): {excerpt}; add an `assert` to the probe to judge the answer"
            ),
        ));
    }
    if assertions.is_empty() || !status_ok {
        // Assertions on an error body would only repeat the status finding.
        return;
    }
    let doc = serde_json::from_slice::<serde_json::Value>(body);
    if let (Err(e), true) = (&doc, assertions.iter().any(Assertion::needs_json)) {
        let why = if cut { format!("the body was cut at {} bytes", net::MAX_BODY_BYTES) } else { e.to_string() };
        // An HTML page where JSON was expected is a proxy, login or error page: say so.
        let content_type = content_type.map(|t| format!(", content type {t}")).unwrap_or_default();
        out.check(Check::new("json", Status::Fail, format!("the body is not JSON ({why}{content_type}): {excerpt}")));
        return;
    }
    let answer = Answer { headers, body, json: doc.as_ref().ok() };
    for a in assertions {
        out.check(a.check_typed(&answer, vars, typed));
    }
}

/// An HTTP answer to judge.
#[derive(Clone, Copy)]
pub(super) struct Judged<'a> {
    pub(super) url: &'a str,
    pub(super) status: u16,
    pub(super) headers: &'a [(String, String)],
    pub(super) body: &'a [u8],
    pub(super) cut: bool,
    pub(super) vars: &'a dyn Fn(&str) -> Option<String>,
    /// Captured values with their JSON types.
    pub(super) typed: super::assert::Typed<'a>,
}

/// No captured values: for single-request kinds.
pub(super) fn no_vars(_: &str) -> Option<String> {
    None
}

/// The API key header of a pack's auth scheme, marked sensitive so no debug
/// output shows it.
pub(super) fn api_key_header(
    auth: Option<&ApiKeyAuth>,
    env: &crate::config::Environment,
) -> Option<(HeaderName, HeaderValue)> {
    let (auth, key) = (auth?, env.api_key.as_ref()?);
    let name = HeaderName::from_bytes(auth.header.as_bytes()).ok()?;
    let mut value = HeaderValue::from_str(&format!("{}{}", auth.prefix, key.value.expose_secret())).ok()?;
    value.set_sensitive(true);
    Some((name, value))
}

/// What a transport failure most likely means, partner-neutral.
pub(super) fn transport_diagnosis(class: ErrorClass, url: &reqwest::Url) -> Diagnosis {
    let host = url.host_str().unwrap_or("?");
    let port = url.port_or_known_default().unwrap_or(0);
    match class {
        ErrorClass::Timeout => Diagnosis {
            cause: format!("{host}:{port} did not answer before the deadline"),
            fix: "check that the service is up and reachable from here (firewall, allowlist), or raise --timeout"
                .into(),
        },
        ErrorClass::ConnectionRefused => Diagnosis {
            cause: format!("nothing accepts connections at {host}:{port}"),
            fix: "check base_url (host and port) and that the service is running".into(),
        },
        _ => Diagnosis {
            cause: format!("the request to {host}:{port} failed before any HTTP answer"),
            fix: "check base_url, DNS, the network path and the TLS settings (ca_bundle, client_cert)".into(),
        },
    }
}

/// One HTTP exchange as the evidence trace records it.
pub(super) struct Exchange<'a> {
    pub(super) method: &'a str,
    pub(super) url: &'a str,
    pub(super) request_headers: Vec<(String, String)>,
    pub(super) request_body: Option<&'a [u8]>,
    pub(super) status: Option<u16>,
    pub(super) response_headers: Vec<(String, String)>,
    pub(super) response_body: Option<&'a [u8]>,
    pub(super) error: Option<String>,
    pub(super) duration_ms: u64,
    /// The phases the probe timed for this request (e.g. request, body).
    pub(super) phases: Vec<Phase>,
    /// The pack's sensitive field names, masked in both bodies.
    pub(super) mask: &'a [String],
}

/// Records an exchange in the probe's trace (bodies bounded to 64 KiB of text,
/// sensitive fields masked).
pub(super) fn trace_exchange(cx: &ProbeContext, x: Exchange<'_>) {
    const MAX: usize = 64 * 1024;
    let text =
        |b: Option<&[u8]>| b.map(|b| String::from_utf8_lossy(&mask_body(&b[..b.len().min(MAX)], x.mask)).into_owned());
    cx.trace.record(
        "http",
        serde_json::json!({
            "method": x.method,
            "url": x.url,
            "request": { "headers": x.request_headers, "body": text(x.request_body) },
            "response": x.status.map(|s| serde_json::json!({
                "status": s,
                "headers": x.response_headers,
                "body": text(x.response_body),
            })),
            "error": x.error,
            "duration_ms": x.duration_ms,
            "phases": x.phases,
        }),
    );
}
