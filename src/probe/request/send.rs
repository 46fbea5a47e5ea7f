//! Sending a request with the environment's client and key, and what a
//! transport failure means.

use std::time::Instant;

use reqwest::header::{HeaderName, HeaderValue};

use super::judge::{Judged, judge, no_vars};
use super::spec::{RequestSpec, api_key_header};
use super::trace::{Exchange, trace_exchange};
use crate::net;
use crate::probe::ProbeContext;
use crate::probe::assert::untyped;
use crate::probe::masking::mask_outcome;
use crate::report::{Check, Outcome, Phase, Status};
use crate::spec::{Diagnosis, ErrorClass};

/// Sends the request of `spec` with the environment's client and judges the
/// answer into `out` (checks, phases, facts, shapes, signals, trace), with
/// what the pack masks masked.
pub(crate) async fn perform(spec: &RequestSpec, cx: &ProbeContext, out: &mut Outcome) {
    let mut local = Outcome::default();
    send_and_judge(spec, cx, &mut local).await;
    mask_outcome(&mut local, &spec.mask);
    out.checks.append(&mut local.checks);
    out.phases.append(&mut local.phases);
    out.take_answer(local);
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
        mask: &spec.mask,
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
            out.diagnosis = Some(transport_diagnosis(class, &spec.url, &cx.env));
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
    judge(out, &target, &answer, &spec.expect(cx.env.strict_contract));
    trace_exchange(cx, exchange(Some(status), response_headers.clone(), Some(&body), None, started, phases));
}

/// What a transport failure most likely means, partner-neutral.
pub(crate) fn transport_diagnosis(
    class: ErrorClass,
    url: &reqwest::Url,
    env: &crate::config::Environment,
) -> Diagnosis {
    // The fix names the key the URL came from (website_url, base_url, ...).
    let key = net::config_key_of(env, url);
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
            fix: format!("check {key} (host and port) and that the service is running"),
        },
        _ => Diagnosis {
            cause: format!("the request to {host}:{port} failed before any HTTP answer"),
            fix: format!("check {key}, DNS, the network path and the TLS settings (server_ca, client_cert)"),
        },
    }
}
