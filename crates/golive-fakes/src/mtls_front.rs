//! An mTLS front for a partner API: tokio-rustls with a client-certificate
//! verifier against a program CA and an IP allowlist that answers 403
//! `No Authorised IPs configured`, forwarding everything else to an upstream
//! (the wiremock partner API).

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::server::WebPkiClientVerifier;
use rustls::{ServerConfig, SupportedProtocolVersion};
use tokio::net::TcpListener;
use tokio::task::JoinHandle;
use tokio_rustls::TlsAcceptor;

use super::certs::Identity;

/// How the front treats client certificates.
#[derive(Debug, Clone)]
pub enum ClientAuth {
    /// A certificate signed by this CA (PEM) is required.
    Required(String),
    /// A certificate is asked for but optional; without one the front answers
    /// HTTP 400 "No required SSL certificate was sent", as nginx does.
    OptionalThen400(String),
    /// No certificate is asked for: mTLS is not enforced.
    NotRequested,
}

/// How to run a front.
#[derive(Debug, Clone)]
pub struct FrontConfig {
    /// The server's certificate and key.
    pub server: Identity,
    /// Client certificate policy.
    pub client_auth: ClientAuth,
    /// Peers allowed through; others get 403 `No Authorised IPs configured`.
    pub allowlist: Vec<IpAddr>,
    /// Where allowed requests go (plain HTTP), e.g. the wiremock server's URI.
    pub upstream: String,
    /// TLS versions offered (TLS 1.2 and 1.3 by default).
    pub versions: &'static [&'static SupportedProtocolVersion],
}

/// A running front; dropping it stops it.
pub struct Front {
    /// The address it listens on.
    pub addr: SocketAddr,
    task: JoinHandle<()>,
}

impl Drop for Front {
    fn drop(&mut self) {
        self.task.abort();
    }
}

fn server_config(cfg: &FrontConfig) -> Result<ServerConfig, String> {
    let certs = CertificateDer::pem_slice_iter(cfg.server.cert_pem.as_bytes())
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| format!("front certificate: {e}"))?;
    let key = PrivateKeyDer::from_pem_slice(cfg.server.key_pem.as_bytes()).map_err(|e| format!("front key: {e}"))?;
    let builder = ServerConfig::builder_with_provider(provider())
        .with_protocol_versions(cfg.versions)
        .map_err(|e| format!("front TLS versions: {e}"))?;
    let roots = |pem: &str| -> Result<Arc<rustls::RootCertStore>, String> {
        let mut roots = rustls::RootCertStore::empty();
        for cert in CertificateDer::pem_slice_iter(pem.as_bytes()) {
            roots
                .add(cert.map_err(|e| format!("front client CA: {e}"))?)
                .map_err(|e| format!("front client CA: {e}"))?;
        }
        Ok(Arc::new(roots))
    };
    let builder = match &cfg.client_auth {
        ClientAuth::NotRequested => builder.with_no_client_auth(),
        ClientAuth::Required(ca) => builder.with_client_cert_verifier(
            WebPkiClientVerifier::builder_with_provider(roots(ca)?, provider())
                .build()
                .map_err(|e| format!("front client verifier: {e}"))?,
        ),
        ClientAuth::OptionalThen400(ca) => builder.with_client_cert_verifier(
            WebPkiClientVerifier::builder_with_provider(roots(ca)?, provider())
                .allow_unauthenticated()
                .build()
                .map_err(|e| format!("front client verifier: {e}"))?,
        ),
    };
    let mut config = builder.with_single_cert(certs, key).map_err(|e| format!("front certificate and key: {e}"))?;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(config)
}

/// Starts a front on 127.0.0.1 with a random port.
pub async fn start(cfg: FrontConfig) -> Result<Front, String> {
    let acceptor = TlsAcceptor::from(Arc::new(server_config(&cfg)?));
    let listener = TcpListener::bind("127.0.0.1:0").await.map_err(|e| format!("front bind: {e}"))?;
    let addr = listener.local_addr().map_err(|e| format!("front address: {e}"))?;
    let upstream = reqwest::Client::builder().no_proxy().build().map_err(|e| format!("front upstream client: {e}"))?;
    let cfg = Arc::new(cfg);
    let task = tokio::spawn(async move {
        loop {
            let Ok((tcp, peer)) = listener.accept().await else { continue };
            let _ = tcp.set_nodelay(true);
            let (acceptor, cfg, upstream) = (acceptor.clone(), cfg.clone(), upstream.clone());
            tokio::spawn(async move {
                // A failed handshake is the client's problem: rustls has sent the alert.
                let Ok(tls) = acceptor.accept(tcp).await else { return };
                let has_cert = tls.get_ref().1.peer_certificates().is_some_and(|c| !c.is_empty());
                let service = hyper::service::service_fn(move |req| {
                    handle(req, peer.ip(), has_cert, cfg.clone(), upstream.clone())
                });
                let _ = hyper::server::conn::http1::Builder::new().serve_connection(TokioIo::new(tls), service).await;
            });
        }
    });
    Ok(Front { addr, task })
}

fn json(status: StatusCode, body: serde_json::Value) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::from(body.to_string())));
    *response.status_mut() = status;
    response
        .headers_mut()
        .insert(hyper::header::CONTENT_TYPE, hyper::header::HeaderValue::from_static("application/json"));
    response
}

async fn handle(
    req: Request<Incoming>,
    peer: IpAddr,
    has_cert: bool,
    cfg: Arc<FrontConfig>,
    upstream: reqwest::Client,
) -> Result<Response<Full<Bytes>>, std::convert::Infallible> {
    if matches!(cfg.client_auth, ClientAuth::OptionalThen400(_)) && !has_cert {
        let mut r = Response::new(Full::new(Bytes::from_static(
            b"<html><head><title>400 No required SSL certificate was sent</title></head></html>",
        )));
        *r.status_mut() = StatusCode::BAD_REQUEST;
        return Ok(r);
    }
    if !cfg.allowlist.contains(&peer) {
        return Ok(json(
            StatusCode::FORBIDDEN,
            serde_json::json!({"status": "error", "code": 403, "message": "No Authorised IPs configured"}),
        ));
    }
    Ok(forward(req, &cfg.upstream, &upstream).await.unwrap_or_else(|why| {
        json(StatusCode::BAD_GATEWAY, serde_json::json!({"status": "error", "code": 502, "message": why}))
    }))
}

async fn forward(
    req: Request<Incoming>,
    base: &str,
    client: &reqwest::Client,
) -> Result<Response<Full<Bytes>>, String> {
    let (parts, body) = req.into_parts();
    let path = parts.uri.path_and_query().map_or("/", |p| p.as_str());
    let body = Limited::new(body, MAX_BODY_BYTES).collect().await.map_err(|e| e.to_string())?.to_bytes();
    let mut out = client.request(parts.method, format!("{base}{path}")).body(body);
    for (name, value) in parts.headers.iter().filter(|(n, _)| *n != hyper::header::HOST) {
        out = out.header(name, value);
    }
    let answer = out.send().await.map_err(|e| e.to_string())?;
    let status = answer.status();
    let headers = answer.headers().clone();
    // Bounded, as every read of golive's: a huge upstream answer is cut, not buffered whole.
    let bytes = Bytes::from(read_body(answer).await.map_err(|e| e.to_string())?);
    let mut response = Response::new(Full::new(bytes));
    *response.status_mut() = status;
    // What the partner's answer means travels through the front: its type and,
    // on a 429 or 503, when to come back.
    let passed = [hyper::header::CONTENT_TYPE, hyper::header::RETRY_AFTER];
    for (name, value) in headers.iter().filter(|(n, _)| passed.contains(n)) {
        response.headers_mut().insert(name, value.clone());
    }
    Ok(response)
}

/// The most the front forwards of a request or an answer body (1 MiB).
const MAX_BODY_BYTES: usize = 1024 * 1024;

/// Reads an upstream answer up to [`MAX_BODY_BYTES`]; the rest is cut.
async fn read_body(mut answer: reqwest::Response) -> Result<Vec<u8>, reqwest::Error> {
    let mut body = Vec::new();
    while let Some(chunk) = answer.chunk().await? {
        let room = MAX_BODY_BYTES - body.len();
        body.extend_from_slice(&chunk[..chunk.len().min(room)]);
        if chunk.len() >= room {
            break;
        }
    }
    Ok(body)
}

/// The crypto provider of the front: aws-lc-rs, as golive's.
fn provider() -> Arc<rustls::crypto::CryptoProvider> {
    Arc::new(rustls::crypto::aws_lc_rs::default_provider())
}
