//! The exporter's HTTP/1.1 server (hyper): `/probe`, `/metrics`, `/report`
//! and a short index at `/`. It stops accepting when `stop` resolves, lets
//! the answers in progress finish (bounded), and returns.
//!
//! A client holds nothing for long: one that has not sent a request's
//! headers within `--header-timeout` is disconnected (hyper's header read
//! timeout), and a connection beyond `--max-connections` is closed as soon as
//! it is accepted, so neither half-sent requests nor a flood of idle
//! connections can starve Prometheus (the guards of blackbox_exporter's Go
//! server: `ReadHeaderTimeout` and a connection limit).

use std::convert::Infallible;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http::{Method, Request, Response, StatusCode, header};
use http_body_util::Full;
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::TcpListener;
use tokio::task::JoinSet;

use super::{Exporter, TIMEOUT_OFFSET, metrics};

/// How long answers in progress may take to finish once a stop is asked.
pub const DRAIN: Duration = Duration::from_secs(5);

/// Serves `exporter` on `listener` until `stop` resolves.
pub async fn serve(listener: TcpListener, exporter: Arc<Exporter>, stop: impl Future<Output = ()>) {
    let (shutdown, shutting_down) = tokio::sync::watch::channel(false);
    let mut connections: JoinSet<()> = JoinSet::new();
    let slots = Arc::new(tokio::sync::Semaphore::new(exporter.options().max_connections.max(1)));
    let mut builder = hyper::server::conn::http1::Builder::new();
    builder.timer(TokioTimer::new()).header_read_timeout(exporter.options().header_timeout);
    tokio::pin!(stop);
    loop {
        tokio::select! {
            () = &mut stop => break,
            accepted = listener.accept() => {
                let stream = match accepted {
                    Ok((stream, _)) => stream,
                    Err(e) => {
                        // Out of file descriptors, mostly: wait a little rather than spin.
                        tracing::warn!(error = %e, "the exporter could not accept a connection");
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        continue;
                    }
                };
                // Over the limit: closed at once, never queued.
                let Ok(slot) = Arc::clone(&slots).try_acquire_owned() else {
                    exporter.metrics.closed("limit");
                    drop(stream);
                    continue;
                };
                let _ = stream.set_nodelay(true);
                let exporter = Arc::clone(&exporter);
                let builder = builder.clone();
                let mut stopping = shutting_down.clone();
                connections.spawn(async move {
                    let _slot = slot;
                    let metrics = Arc::clone(&exporter);
                    let service = hyper::service::service_fn(move |req| {
                        let exporter = Arc::clone(&exporter);
                        async move { Ok::<_, Infallible>(answer(&exporter, req).await) }
                    });
                    let conn = builder.serve_connection(TokioIo::new(stream), service);
                    tokio::pin!(conn);
                    let ended = tokio::select! {
                        ended = conn.as_mut() => ended,
                        () = async { let _ = stopping.wait_for(|s| *s).await; } => {
                            conn.as_mut().graceful_shutdown();
                            conn.await
                        }
                    };
                    if ended.is_err_and(|e| e.is_timeout()) {
                        metrics.metrics.closed("header-timeout");
                    }
                });
            }
            // Finished connections are reaped as they end: nothing is kept per scrape.
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
        }
    }
    let _ = shutdown.send(true);
    let drained = tokio::time::timeout(DRAIN, async { while connections.join_next().await.is_some() {} }).await;
    if drained.is_err() {
        tracing::warn!("answers still in progress after {DRAIN:?} were cut at the stop");
        connections.abort_all();
    }
}

fn text(status: StatusCode, content_type: &str, body: String) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::from(body)));
    *response.status_mut() = status;
    if let Ok(value) = header::HeaderValue::from_str(content_type) {
        response.headers_mut().insert(header::CONTENT_TYPE, value);
    }
    response
}

const PLAIN: &str = "text/plain; charset=utf-8";
const HTML: &str = "text/html; charset=utf-8";

/// Answers one request.
pub async fn answer(exporter: &Arc<Exporter>, req: Request<Incoming>) -> Response<Full<Bytes>> {
    if req.method() != Method::GET && req.method() != Method::HEAD {
        let mut r = text(StatusCode::METHOD_NOT_ALLOWED, PLAIN, "golive serve answers GET only\n".into());
        r.headers_mut().insert(header::ALLOW, header::HeaderValue::from_static("GET, HEAD"));
        return r;
    }
    let query = req.uri().query().unwrap_or("").to_string();
    match req.uri().path() {
        "/probe" => match scrape_deadline(&req) {
            Err(bad) => {
                exporter.metrics.scraped("probe", 400);
                text(StatusCode::BAD_REQUEST, PLAIN, format!("golive serve: {bad}\n"))
            }
            Ok(deadline) => probe(exporter, &query, deadline).await,
        },
        "/report" => {
            exporter.metrics.scraped("report", 200);
            text(StatusCode::OK, HTML, exporter.report_page())
        }
        "/metrics" => {
            exporter.metrics.scraped("metrics", 200);
            text(StatusCode::OK, metrics::CONTENT_TYPE, exporter.process_metrics())
        }
        "/" => text(StatusCode::OK, PLAIN, index(exporter)),
        _ => {
            text(StatusCode::NOT_FOUND, PLAIN, "not found: golive serve answers /probe, /metrics and /report\n".into())
        }
    }
}

/// The deadline of a scrape: Prometheus's `X-Prometheus-Scrape-Timeout-Seconds`
/// less [`TIMEOUT_OFFSET`] (at least a tenth of a second); none without the header.
fn scrape_deadline(req: &Request<Incoming>) -> Result<Option<Duration>, String> {
    let Some(value) = req.headers().get("x-prometheus-scrape-timeout-seconds") else { return Ok(None) };
    let seconds = value
        .to_str()
        .ok()
        .and_then(|v| v.trim().parse::<f64>().ok())
        .filter(|s| s.is_finite() && *s > 0.0 && *s <= 86_400.0)
        .ok_or_else(|| {
            format!(
                "X-Prometheus-Scrape-Timeout-Seconds `{}` is not a number of seconds between 0 and 86400",
                String::from_utf8_lossy(value.as_bytes())
                    .chars()
                    .filter(|c| !c.is_control())
                    .take(40)
                    .collect::<String>()
            )
        })?;
    let deadline = Duration::from_secs_f64(seconds).saturating_sub(TIMEOUT_OFFSET);
    Ok(Some(deadline.max(Duration::from_millis(100))))
}

async fn probe(exporter: &Arc<Exporter>, query: &str, deadline: Option<Duration>) -> Response<Full<Bytes>> {
    match exporter.probe(query, deadline).await {
        Ok(probed) => {
            exporter.metrics.scraped("probe", 200);
            let content_type = if probed.debug { PLAIN } else { metrics::CONTENT_TYPE };
            text(StatusCode::OK, content_type, probed.body)
        }
        Err(bad) => {
            exporter.metrics.scraped("probe", 400);
            text(StatusCode::BAD_REQUEST, PLAIN, exporter.redact(&format!("golive serve: {bad}\n")))
        }
    }
}

fn index(exporter: &Exporter) -> String {
    format!(
        "golive serve: Prometheus exporter of environment `{env}`\n\n\
         GET /probe?module=ID|TAG   a probe, or the read-only probes with a tag (blackbox_exporter style)\n\
         GET /probe?module=ID|TAG&target={env}&debug=true   the probes' log and result as text\n\
         GET /probe?tag=TAG         read-only probes with the tag (repeatable)\n\
         GET /probe?only=ID         one probe (repeatable)\n\
         GET /probe                 every read-only probe: {}\n\
         GET /report                the HTML report of the latest results, with each probe's history\n\
         GET /metrics               golive's own process metrics\n\n\
         modules: {}\n",
        exporter.read_only_probes().join(", "),
        exporter.modules(),
        env = exporter.env_name(),
    )
}
