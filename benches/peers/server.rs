//! The peer bench's server: tokio-rustls on 127.0.0.1 that requires a client
//! certificate from the bench CA (rcgen: RSA-2048 client key as Axys issues,
//! ECDSA P-256 server key, HTTP/1.1) and answers `GET /v2/cardholders` with
//! the body the Axys runbook expects, given the right `X-API-Key`.

use std::path::Path;
use std::sync::Arc;

use bytes::Bytes;
use golive_fakes::certs::{Authority, LeafSpec};
use http_body_util::Full;
use hyper_util::rt::TokioIo;
use tokio_rustls::TlsAcceptor;

use super::{API_KEY, Result};

#[path = "../shared/mtls.rs"]
mod mtls;
use mtls::server_config;

/// The answer of the Axys runbook's auth test: an empty cardholder list.
pub const BODY: &str = r#"{"status":"success","items":[],"total":0,"limit":50,"offset":0}"#;

/// Writes `ca.pem`, `client.crt` and `client.key` into `dir`, starts the
/// server on `rt` and returns its port.
pub fn start(rt: &tokio::runtime::Runtime, dir: &Path) -> Result<u16> {
    let ca = Authority::new("bench CA")?;
    let server = ca.leaf(&LeafSpec::server(&["localhost", "127.0.0.1"]))?;
    let client = ca.leaf(&LeafSpec::client("bench-client", &["bench.example"]))?;
    for (name, text) in [("ca.pem", &ca.cert_pem()), ("client.crt", &client.cert_pem), ("client.key", &client.key_pem)]
    {
        std::fs::write(dir.join(name), text).map_err(|e| format!("{name}: {e}"))?;
    }
    let mut config = server_config(&server, &ca.cert_pem())?;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    let acceptor = TlsAcceptor::from(Arc::new(config));
    let listener = rt.block_on(tokio::net::TcpListener::bind("127.0.0.1:0")).map_err(|e| e.to_string())?;
    let port = listener.local_addr().map_err(|e| e.to_string())?.port();
    rt.spawn(serve(listener, acceptor));
    Ok(port)
}

async fn serve(listener: tokio::net::TcpListener, acceptor: TlsAcceptor) {
    loop {
        let Ok((tcp, _)) = listener.accept().await else { continue };
        let _ = tcp.set_nodelay(true);
        let acceptor = acceptor.clone();
        tokio::spawn(async move {
            let Ok(tls) = acceptor.accept(tcp).await else { return };
            let service = hyper::service::service_fn(|req: hyper::Request<hyper::body::Incoming>| async move {
                let (status, body) = if req.uri().path() == "/v2/cardholders"
                    && req.headers().get("x-api-key").is_some_and(|v| v == API_KEY)
                {
                    (200, BODY)
                } else {
                    (401, r#"{"status":"error"}"#)
                };
                let mut response = hyper::Response::new(Full::new(Bytes::from_static(body.as_bytes())));
                *response.status_mut() = hyper::StatusCode::from_u16(status).unwrap_or(hyper::StatusCode::OK);
                response
                    .headers_mut()
                    .insert(hyper::header::CONTENT_TYPE, hyper::header::HeaderValue::from_static("application/json"));
                Ok::<_, std::convert::Infallible>(response)
            });
            let _ = hyper::server::conn::http1::Builder::new().serve_connection(TokioIo::new(tls), service).await;
        });
    }
}
