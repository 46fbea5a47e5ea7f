//! The front: a loopback HTTP(S) server (tokio-rustls, hyper) between the
//! observed command and one partner. Each request is matched to the pack's
//! most specific route, given the fault the plan sets for its turn on that
//! route (an answer in the partner's place, a connection dropped after
//! forwarding, a rewritten answer, a delay) or forwarded as it is to the
//! partner's base URL with the environment's client certificate, and
//! recorded ([`super::record`]).
//!
//! A request that carries no API key gets the environment's, as the pack's
//! `[auth]` sends it, so a smoke script needs no secret; one that carries its
//! own is forwarded as sent. Credentials are never recorded.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use hyper::header::{HeaderMap, HeaderName, HeaderValue};
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use serde_json::Value;
use sha2::{Digest, Sha256};
use tokio::net::TcpListener;
use tokio::sync::mpsc;
use tokio::task::{JoinHandle, JoinSet};
use tokio_rustls::TlsAcceptor;

use super::logs::LogMeter;
use super::record::{Ending, Exchange, Side};
use crate::config::observe::{FaultAction, FaultSpec, Route};
use crate::redact::Redactor;

/// Request bodies above this are refused (413) rather than buffered.
const MAX_REQUEST: usize = 8 * 1024 * 1024;
/// Answers above this are cut off with a 502: no partner answer is that big.
const MAX_ANSWER: usize = 16 * 1024 * 1024;
/// How long the partner may take to answer one request.
const UPSTREAM_DEADLINE: Duration = Duration::from_secs(120);

/// Headers that describe one connection, not the message: never forwarded.
/// `accept-encoding` is dropped too, so answers come back readable for the recording.
const HOP_BY_HOP: [&str; 10] = [
    "connection",
    "keep-alive",
    "proxy-connection",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
    "host",
    "content-length",
    "accept-encoding",
];

/// What one front needs to know.
pub struct FrontConfig {
    /// The pack it fronts.
    pub pack: String,
    /// The partner's base URL.
    pub upstream: reqwest::Url,
    /// The client to the partner: the environment's roots and client certificate.
    pub client: reqwest::Client,
    /// The API key header added to a request that carries none.
    pub auth: Option<(HeaderName, HeaderValue)>,
    /// The routes the pack's faults and rules name.
    pub routes: Vec<Route>,
    /// The faults of this run's plan.
    pub faults: Vec<FaultSpec>,
    /// Headers recorded, lower-case.
    pub record_headers: Vec<String>,
    /// JSON fields recorded.
    pub record_fields: Vec<String>,
    /// JSON fields masked wherever recorded (the pack's `[masking]`).
    pub masking: Vec<String>,
    /// The environment's secrets, scrubbed from everything recorded.
    pub redactor: Redactor,
    /// TLS towards the command; `None` serves plain HTTP.
    pub tls: Option<Arc<rustls::ServerConfig>>,
}

/// What the fronts of one run share: the clock, the numbering, the log, the recording.
pub struct Shared {
    /// When the run's fronts started.
    pub start: Instant,
    /// The last exchange number given.
    pub seq: AtomicU64,
    /// The salt of body digests, random per run.
    pub salt: [u8; 16],
    /// The command's log, measured on every exchange.
    pub log: Option<LogMeter>,
    /// Where exchanges go.
    pub recorder: mpsc::Sender<Exchange>,
}

impl Shared {
    fn ms(&self) -> f64 {
        (self.start.elapsed().as_secs_f64() * 1_000_000.0).round() / 1000.0
    }
}

struct State {
    cfg: FrontConfig,
    shared: Arc<Shared>,
    /// Requests seen per route of `cfg.routes`.
    turns: Vec<AtomicU64>,
    /// Times each fault of `cfg.faults` fired.
    fired: Arc<Vec<AtomicU64>>,
    base_path: String,
}

/// A running front.
pub struct Front {
    /// Where it listens.
    pub addr: SocketAddr,
    /// The URL the command uses: scheme, address and the base URL's path.
    pub url: String,
    /// The pack it fronts.
    pub pack: String,
    fired: Arc<Vec<AtomicU64>>,
    fault_ids: Vec<String>,
    task: JoinHandle<()>,
}

impl Front {
    /// Stops accepting and closes every connection; returns how often each fault fired.
    pub async fn stop(self) -> Vec<(String, u64)> {
        self.task.abort();
        // Aborting drops the accept loop's connection set, which aborts every
        // connection task: no exchange is recorded after this returns.
        let _ = self.task.await;
        self.fault_ids.into_iter().zip(self.fired.iter().map(|n| n.load(Ordering::Relaxed))).collect()
    }
}

/// The dropped connection: the service's error, on which hyper closes the
/// connection without writing an answer.
#[derive(Debug)]
struct Dropped;

impl std::fmt::Display for Dropped {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("connection dropped by a golive observe fault")
    }
}

impl std::error::Error for Dropped {}

/// Starts a front on `listen`.
pub async fn start(listen: SocketAddr, cfg: FrontConfig, shared: Arc<Shared>) -> Result<Front, String> {
    let listener = TcpListener::bind(listen).await.map_err(|e| format!("cannot listen on {listen}: {e}"))?;
    let addr = listener.local_addr().map_err(|e| format!("cannot read the front's address: {e}"))?;
    let base_path = cfg.upstream.path().trim_end_matches('/').to_string();
    let scheme = if cfg.tls.is_some() { "https" } else { "http" };
    let url = format!("{scheme}://{addr}{base_path}");
    let fired: Arc<Vec<AtomicU64>> = Arc::new(cfg.faults.iter().map(|_| AtomicU64::new(0)).collect());
    let fault_ids = cfg.faults.iter().map(|f| f.id.clone()).collect();
    let pack = cfg.pack.clone();
    let acceptor = cfg.tls.clone().map(TlsAcceptor::from);
    let state = Arc::new(State {
        turns: cfg.routes.iter().map(|_| AtomicU64::new(0)).collect(),
        cfg,
        shared,
        fired: fired.clone(),
        base_path,
    });
    let task = tokio::spawn(async move {
        let mut connections = JoinSet::new();
        loop {
            tokio::select! {
                accepted = listener.accept() => {
                    let Ok((tcp, _)) = accepted else { continue };
                    let _ = tcp.set_nodelay(true);
                    let (acceptor, state) = (acceptor.clone(), state.clone());
                    connections.spawn(async move {
                        let service = hyper::service::service_fn(move |req| handle(req, state.clone()));
                        let http = hyper::server::conn::http1::Builder::new();
                        match acceptor {
                            // A failed handshake is the client's business: rustls sent the alert.
                            Some(acceptor) => {
                                if let Ok(tls) = acceptor.accept(tcp).await {
                                    let _ = http.serve_connection(TokioIo::new(tls), service).await;
                                }
                            }
                            None => {
                                let _ = http.serve_connection(TokioIo::new(tcp), service).await;
                            }
                        }
                    });
                }
                // Reap finished connections, so the set stays as small as the open ones.
                Some(_) = connections.join_next(), if !connections.is_empty() => {}
            }
        }
    });
    Ok(Front { addr, url, pack, fired, fault_ids, task })
}

fn plain(status: StatusCode, text: &str) -> Response<Full<Bytes>> {
    let mut r = Response::new(Full::new(Bytes::from(format!("{{\"golive_observe\":{}}}", Value::from(text)))));
    *r.status_mut() = status;
    r.headers_mut().insert(hyper::header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    r
}

/// The route a path falls under: the most specific match.
fn route_of(routes: &[Route], method: &str, path: &str) -> Option<(usize, Vec<(String, String)>)> {
    routes
        .iter()
        .enumerate()
        .filter_map(|(i, r)| r.matches(method, path).map(|p| (i, p)))
        .max_by_key(|(i, _)| (routes[*i].specificity(), std::cmp::Reverse(*i)))
}

async fn handle(req: Request<Incoming>, st: Arc<State>) -> Result<Response<Full<Bytes>>, Dropped> {
    let shared = &st.shared;
    let seq = shared.seq.fetch_add(1, Ordering::Relaxed) + 1;
    let at_ms = shared.ms();
    let log_at = shared.log.as_ref().map(LogMeter::offset);
    let (parts, body) = req.into_parts();
    let method = parts.method.as_str().to_string();
    let path_and_query = parts.uri.path_and_query().map_or("/", |p| p.as_str()).to_string();
    let path = parts.uri.path();
    let under_base = path.strip_prefix(st.base_path.as_str()).filter(|p| p.is_empty() || p.starts_with('/'));
    let matched = under_base.and_then(|p| route_of(&st.cfg.routes, &method, p));
    let (route, params) = match &matched {
        Some((i, params)) => (Some(*i), params.clone()),
        None => (None, Vec::new()),
    };
    let turn = route.map(|i| st.turns[i].fetch_add(1, Ordering::Relaxed) + 1);
    let fault = match (route, turn) {
        (Some(i), Some(n)) => st.cfg.faults.iter().position(|f| f.route == st.cfg.routes[i] && f.catches(n)),
        _ => None,
    };
    let mut x = Exchange {
        seq,
        pack: st.cfg.pack.clone(),
        at_ms,
        done_ms: at_ms,
        method: method.clone(),
        path: st.cfg.redactor.redact(&path_and_query),
        route: route.map(|i| st.cfg.routes[i].as_str().to_string()),
        params: params.iter().map(|(k, v)| (k.clone(), st.cfg.redactor.redact(v))).collect(),
        status: None,
        ending: Ending::Answered,
        fault: None,
        request: Side::default(),
        response: Side::default(),
        log: None,
        error: None,
    };
    let body = match Limited::new(body, MAX_REQUEST).collect().await {
        Ok(b) => b.to_bytes(),
        Err(_) => {
            let answer = plain(StatusCode::PAYLOAD_TOO_LARGE, "request body over 8 MiB, or cut off");
            return Ok(finish(&st, x, log_at, answer).await);
        }
    };
    x.request = side(&st, &parts.headers, &body, true);
    let spec = fault.map(|i| (i, &st.cfg.faults[i]));
    // An answer in the partner's place: the partner never sees the request.
    if let Some((i, f)) = spec
        && let FaultAction::Answer { status, headers, body: fault_body } = &f.action
    {
        if let Some(d) = f.delay {
            tokio::time::sleep(d).await;
        }
        st.fired[i].fetch_add(1, Ordering::Relaxed);
        x.fault = Some(f.id.clone());
        let mut answer =
            Response::new(Full::new(Bytes::from(fault_body.as_ref().map_or_else(Vec::new, |(b, _)| b.clone()))));
        *answer.status_mut() = StatusCode::from_u16(*status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        if let Some((_, content_type)) = fault_body {
            answer.headers_mut().insert(hyper::header::CONTENT_TYPE, HeaderValue::from_static(content_type));
        }
        for (k, v) in headers {
            if let (Ok(k), Ok(v)) = (HeaderName::from_bytes(k.as_bytes()), HeaderValue::from_str(v)) {
                answer.headers_mut().insert(k, v);
            }
        }
        return Ok(finish(&st, x, log_at, answer).await);
    }
    let mut answer = match forward(&st, &parts, &path_and_query, body).await {
        Ok(answer) => answer,
        Err((status, why)) => {
            x.ending = Ending::UpstreamError;
            x.error = Some(st.cfg.redactor.redact(&why));
            return Ok(finish(
                &st,
                x,
                log_at,
                plain(status, &format!("golive observe could not reach the partner: {why}")),
            )
            .await);
        }
    };
    if let Some((i, f)) = spec {
        if let Some(d) = f.delay {
            tokio::time::sleep(d).await;
        }
        match &f.action {
            FaultAction::Drop => {
                st.fired[i].fetch_add(1, Ordering::Relaxed);
                x.fault = Some(f.id.clone());
                x.ending = Ending::Dropped;
                x.response = side(&st, answer.headers(), answer.body_bytes(), false);
                x.status = None;
                record(&st, x, log_at).await;
                return Err(Dropped);
            }
            FaultAction::Rewrite(fields) => {
                // Only a JSON object answer can carry the documented state; anything else passes untouched.
                if let Ok(Value::Object(mut doc)) = serde_json::from_slice::<Value>(answer.body_bytes()) {
                    doc.extend(fields.iter().map(|(k, v)| (k.clone(), v.clone())));
                    answer = answer.with_body(serde_json::to_vec(&doc).unwrap_or_default());
                    st.fired[i].fetch_add(1, Ordering::Relaxed);
                    x.fault = Some(f.id.clone());
                }
            }
            FaultAction::Slow => {
                st.fired[i].fetch_add(1, Ordering::Relaxed);
                x.fault = Some(f.id.clone());
            }
            FaultAction::Answer { .. } => {}
        }
    }
    Ok(finish(&st, x, log_at, answer.into_response()).await)
}

/// The partner's answer, buffered.
struct Answer {
    status: StatusCode,
    headers: HeaderMap,
    body: Bytes,
}

impl Answer {
    fn headers(&self) -> &HeaderMap {
        &self.headers
    }

    fn body_bytes(&self) -> &[u8] {
        &self.body
    }

    fn with_body(mut self, body: Vec<u8>) -> Answer {
        self.body = Bytes::from(body);
        self
    }

    fn into_response(self) -> Response<Full<Bytes>> {
        let mut r = Response::new(Full::new(self.body));
        *r.status_mut() = self.status;
        *r.headers_mut() = self.headers;
        r
    }
}

/// Sends the request to the partner; the error is the status to answer and why.
async fn forward(
    st: &State,
    parts: &hyper::http::request::Parts,
    path_and_query: &str,
    body: Bytes,
) -> Result<Answer, (StatusCode, String)> {
    let mut url = st.cfg.upstream.clone();
    let (path, query) = path_and_query.split_once('?').map_or((path_and_query, None), |(p, q)| (p, Some(q)));
    url.set_path(path);
    url.set_query(query);
    let mut headers = reqwest::header::HeaderMap::new();
    for (name, value) in &parts.headers {
        if !HOP_BY_HOP.contains(&name.as_str()) {
            headers.append(name.clone(), value.clone());
        }
    }
    if let Some((name, value)) = &st.cfg.auth
        && !headers.contains_key(name)
    {
        headers.insert(name.clone(), value.clone());
    }
    let sent = st
        .cfg
        .client
        .request(parts.method.clone(), url)
        .headers(headers)
        .body(body)
        .timeout(UPSTREAM_DEADLINE)
        .send()
        .await;
    let mut response = sent.map_err(|e| {
        let status = if e.is_timeout() { StatusCode::GATEWAY_TIMEOUT } else { StatusCode::BAD_GATEWAY };
        (status, crate::net::describe(&e))
    })?;
    let status = response.status();
    let mut headers = HeaderMap::new();
    for (name, value) in response.headers() {
        if !HOP_BY_HOP.contains(&name.as_str()) {
            headers.append(name.clone(), value.clone());
        }
    }
    let mut body = Vec::new();
    loop {
        match response.chunk().await {
            Ok(Some(chunk)) if body.len() + chunk.len() <= MAX_ANSWER => body.extend_from_slice(&chunk),
            Ok(Some(_)) => return Err((StatusCode::BAD_GATEWAY, "the partner's answer is over 16 MiB".into())),
            Ok(None) => break,
            Err(e) => return Err((StatusCode::BAD_GATEWAY, crate::net::describe(&e))),
        }
    }
    Ok(Answer { status, headers, body: Bytes::from(body) })
}

/// Records the exchange with its answer, and hands the answer back.
async fn finish(
    st: &State,
    mut x: Exchange,
    log_at: Option<u64>,
    answer: Response<Full<Bytes>>,
) -> Response<Full<Bytes>> {
    x.status = Some(answer.status().as_u16());
    let body = answer.body().clone();
    let bytes = body.collect().await.map(|b| b.to_bytes()).unwrap_or_default();
    x.response = side(st, answer.headers(), &bytes, false);
    record(st, x, log_at).await;
    answer
}

async fn record(st: &State, mut x: Exchange, log_at: Option<u64>) {
    x.done_ms = st.shared.ms();
    x.log = log_at.zip(st.shared.log.as_ref().map(LogMeter::offset)).map(|(a, b)| [a, b]);
    // The recorder gone (the run ending) loses nothing the judge still reads.
    let _ = st.shared.recorder.send(x).await;
}

/// What is recorded of a request or an answer.
fn side(st: &State, headers: &HeaderMap, body: &[u8], digest: bool) -> Side {
    let mut out = Side { bytes: body.len(), ..Side::default() };
    for name in &st.cfg.record_headers {
        if let Some(v) = headers.get(name.as_str()) {
            out.headers.insert(name.clone(), st.cfg.redactor.redact(&String::from_utf8_lossy(v.as_bytes())));
        }
    }
    if !st.cfg.record_fields.is_empty()
        && let Ok(doc) = serde_json::from_slice::<Value>(body)
    {
        for name in &st.cfg.record_fields {
            if let Some(v) = find(&doc, name) {
                let masked = st.cfg.masking.iter().any(|m| m.eq_ignore_ascii_case(name));
                let v = match v {
                    _ if masked => Value::String(crate::redact::MASK.into()),
                    Value::String(s) => Value::String(st.cfg.redactor.redact(s)),
                    Value::Number(n) => match st.cfg.redactor.redact(&n.to_string()) {
                        same if same == n.to_string() => v.clone(),
                        // A number the redactor changed (a card number) is kept as the masked text.
                        masked => Value::String(masked),
                    },
                    other => other.clone(),
                };
                out.fields.insert(name.clone(), v);
            }
        }
    }
    if digest && !body.is_empty() {
        let mut h = Sha256::new();
        h.update(st.shared.salt);
        h.update(body);
        out.digest = Some(hex::encode(&h.finalize()[..8]));
    }
    out
}

/// The first scalar value of field `name` at any depth, breadth first.
fn find<'a>(doc: &'a Value, name: &str) -> Option<&'a Value> {
    let mut queue = std::collections::VecDeque::from([doc]);
    while let Some(v) = queue.pop_front() {
        match v {
            Value::Object(map) => {
                if let Some(found) = map.get(name).filter(|f| !f.is_object() && !f.is_array()) {
                    return Some(found);
                }
                queue.extend(map.values());
            }
            Value::Array(items) => queue.extend(items),
            _ => {}
        }
    }
    None
}
