//! The exporter's HTTP/1.1 server (hyper): `/probe`, `/metrics`, and a short
//! index at `/`. It stops accepting when `stop` resolves, lets the answers in
//! progress finish (bounded), and returns.

use std::convert::Infallible;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http::{Method, Request, Response, StatusCode, header};
use http_body_util::Full;
use hyper::body::Incoming;
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;
use tokio::task::JoinSet;

use super::{Exporter, metrics};

/// How long answers in progress may take to finish once a stop is asked.
pub const DRAIN: Duration = Duration::from_secs(5);

/// Serves `exporter` on `listener` until `stop` resolves.
pub async fn serve(listener: TcpListener, exporter: Arc<Exporter>, stop: impl Future<Output = ()>) {
    let (shutdown, shutting_down) = tokio::sync::watch::channel(false);
    let mut connections: JoinSet<()> = JoinSet::new();
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
                let _ = stream.set_nodelay(true);
                let exporter = Arc::clone(&exporter);
                let mut stopping = shutting_down.clone();
                connections.spawn(async move {
                    let service = hyper::service::service_fn(move |req| {
                        let exporter = Arc::clone(&exporter);
                        async move { Ok::<_, Infallible>(answer(&exporter, req).await) }
                    });
                    let conn = hyper::server::conn::http1::Builder::new().serve_connection(TokioIo::new(stream), service);
                    tokio::pin!(conn);
                    tokio::select! {
                        _ = conn.as_mut() => {}
                        () = async { let _ = stopping.wait_for(|s| *s).await; } => {
                            conn.as_mut().graceful_shutdown();
                            let _ = conn.await;
                        }
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

/// Answers one request.
pub async fn answer(exporter: &Arc<Exporter>, req: Request<Incoming>) -> Response<Full<Bytes>> {
    if req.method() != Method::GET && req.method() != Method::HEAD {
        let mut r = text(StatusCode::METHOD_NOT_ALLOWED, PLAIN, "golive serve answers GET only\n".into());
        r.headers_mut().insert(header::ALLOW, header::HeaderValue::from_static("GET, HEAD"));
        return r;
    }
    let query = req.uri().query().unwrap_or("").to_string();
    match req.uri().path() {
        "/probe" => match exporter.probe(&query).await {
            Ok(body) => {
                exporter.metrics.scraped("probe", 200);
                text(StatusCode::OK, metrics::CONTENT_TYPE, body)
            }
            Err(bad) => {
                exporter.metrics.scraped("probe", 400);
                text(StatusCode::BAD_REQUEST, PLAIN, exporter.redact(&format!("golive serve: {bad}\n")))
            }
        },
        "/metrics" => {
            exporter.metrics.scraped("metrics", 200);
            text(StatusCode::OK, metrics::CONTENT_TYPE, exporter.process_metrics())
        }
        "/" => text(StatusCode::OK, PLAIN, index(exporter)),
        _ => text(StatusCode::NOT_FOUND, PLAIN, "not found: golive serve answers /probe and /metrics\n".into()),
    }
}

fn index(exporter: &Exporter) -> String {
    format!(
        "golive serve: Prometheus exporter of environment `{}`\n\n\
         GET /probe?tag=TAG    read-only probes with the tag (repeatable)\n\
         GET /probe?only=ID    one probe (repeatable)\n\
         GET /probe            every read-only probe: {}\n\
         GET /metrics          golive's own process metrics\n",
        exporter.env_name(),
        exporter.read_only_probes().join(", ")
    )
}
