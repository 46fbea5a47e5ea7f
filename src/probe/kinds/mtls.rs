//! Probe kind `mtls`: the handshake with the client identity through
//! tokio-rustls directly, then one HTTP/1.1 request over that connection.
//!
//! Every rejection is classified (certificate required, unknown CA, bad or
//! expired certificate, a TLS 1.3 alert on the first read, an nginx-style
//! HTTP 400 about the certificate), the CA names the server accepts are
//! compared with the client certificate's issuer, a server that never asks
//! for a certificate is flagged as "mTLS not enforced", and each phase is timed.
//! A key that does not belong to the certificate fails here, before any handshake.

use std::sync::{Arc, Mutex};
use std::time::Instant;

use async_trait::async_trait;
use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper_util::rt::TokioIo;
use serde::Deserialize;

use crate::net::handshake::{self, Failure, Observed, Rejection, Timings};
use crate::net::{self, tls};
use crate::probe::masking::mask_outcome;
use crate::probe::request::{Exchange, Judged, RequestSpec, api_key_header, judge, no_vars, trace_exchange};
use crate::probe::{BuildContext, Probe, ProbeContext};
use crate::report::{Check, Outcome, Phase, Status};
use crate::spec::{Diagnosis, ErrorClass};

/// What a server that never asks for a client certificate gets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "lowercase")]
pub(crate) enum NotEnforced {
    Warn,
    Fail,
}

/// A built `mtls` probe.
struct MtlsProbe {
    request: RequestSpec,
    not_enforced: Status,
}

/// Builds an `mtls` probe: the request parameters of `http`, plus
/// `not_enforced = "warn" | "fail"`.
pub fn build(mut params: toml::Table, cx: &BuildContext<'_>) -> Result<Arc<dyn Probe>, String> {
    let not_enforced = match params.remove("not_enforced") {
        None => NotEnforced::Warn,
        Some(v) => v.try_into().map_err(|e: toml::de::Error| format!("not_enforced: {}", e.message()))?,
    };
    let request = RequestSpec::parse(params, cx)?;
    if request.url.scheme() != "https" {
        return Err(format!("mtls needs an https URL, got `{}`", request.url));
    }
    let not_enforced = match not_enforced {
        NotEnforced::Warn => Status::Warn,
        NotEnforced::Fail => Status::Fail,
    };
    Ok(Arc::new(MtlsProbe { request, not_enforced }))
}

fn phase(out: &mut Outcome, name: &str, d: std::time::Duration) {
    out.phases.push(Phase { name: name.to_string(), duration_ms: d.as_millis() as u64 });
}

/// The client identity and server verifier a handshake needs.
type Identity =
    (Arc<dyn rustls::client::danger::ServerCertVerifier>, Option<Arc<rustls::sign::CertifiedKey>>, Option<String>);

#[async_trait]
impl Probe for MtlsProbe {
    async fn run(&self, cx: &ProbeContext) -> Outcome {
        let mut out = Outcome::default();
        let url = &self.request.url;
        let target = format!("{} {url}", self.request.method);
        out.fact("request", target.clone());
        let Some((verifier, identity, issuer)) = load_identity(cx, &mut out).await else { return out };
        let host = url.host_str().unwrap_or_default().trim_start_matches('[').trim_end_matches(']').to_string();
        let port = url.port_or_known_default().unwrap_or(443);
        let Some(stream) = self.handshake(cx, &mut out, (&host, port), (verifier, identity), issuer.as_deref()).await
        else {
            return out;
        };
        let started = Instant::now();
        let answer = tokio::time::timeout(cx.remaining(), self.send(stream, &host, cx)).await;
        phase(&mut out, "request", started.elapsed());
        self.judge_answer(cx, &mut out, &target, started, answer);
        out
    }
}

/// Phase 1: the client identity (a key that does not match its certificate
/// fails here) and the server verifier; `None` when the outcome is decided.
async fn load_identity(cx: &ProbeContext, out: &mut Outcome) -> Option<Identity> {
    let env = cx.env.clone();
    let loaded = tokio::task::spawn_blocking(move || -> Result<_, String> {
        let identity = tls::client_identity(&env)?;
        if let Some(mismatch) = identity.as_ref().and_then(|id| key_mismatch(id, &env)) {
            return Ok(Err(mismatch));
        }
        let issuer = identity.as_ref().and_then(|id| id.cert.first()).map(|leaf| issuer_of(leaf));
        Ok(Ok((tls::server_verifier(&env)?, identity, issuer)))
    })
    .await
    .map_err(|e| e.to_string())
    .and_then(|r| r);
    let (verifier, identity, issuer) = match loaded {
        Ok(Ok(v)) => v,
        Ok(Err(mismatch)) => {
            out.check(Check::new("client identity", Status::Fail, mismatch));
            out.signals.error_class = Some(ErrorClass::KeyMismatch);
            out.diagnosis = Some(Diagnosis {
                cause: "the private key does not belong to the client certificate (wrong cert/key pair)".into(),
                fix: "point client_key at the key the certificate was issued for; `openssl x509 -noout -pubkey -in CERT` and `openssl pkey -pubout -in KEY` print the same key for a pair".into(),
            });
            return None;
        }
        Err(e) => {
            out.check(Check::new("client identity", Status::Error, e));
            out.signals.error_class = Some(ErrorClass::ClientSetup);
            return None;
        }
    };
    if identity.is_none() {
        out.check(Check::new(
            "client certificate",
            Status::Warn,
            "no client_cert/client_key configured: the handshake is made without a client certificate",
        ));
    }
    if let Some(issuer) = &issuer {
        out.fact("client_cert_issuer", issuer.clone());
    }
    Some((verifier, identity, issuer))
}

impl MtlsProbe {
    /// Phase 2: the TLS handshake, timed and traced, with every rejection
    /// classified; `None` when it failed.
    async fn handshake(
        &self,
        cx: &ProbeContext,
        out: &mut Outcome,
        (host, port): (&str, u16),
        (verifier, identity): (
            Arc<dyn rustls::client::danger::ServerCertVerifier>,
            Option<Arc<rustls::sign::CertifiedKey>>,
        ),
        issuer: Option<&str>,
    ) -> Option<tokio_rustls::client::TlsStream<tokio::net::TcpStream>> {
        let observed = Arc::new(Mutex::new(Observed::default()));
        let mut timings = Timings::default();
        let connect = handshake::connect(host, port, verifier, identity, observed.clone(), &mut timings);
        let connected = tokio::time::timeout(cx.remaining(), connect).await;
        phase(out, "dns", timings.dns);
        phase(out, "connect", timings.connect);
        let stream = match connected {
            Ok(Ok(stream)) => stream,
            Ok(Err(failure)) => {
                record_observed(out, &observed, issuer, self.not_enforced, false);
                trace_tls(cx, out, host, port, Some(&failure));
                reject(out, failure, "handshake");
                return None;
            }
            Err(_) => {
                record_observed(out, &observed, issuer, self.not_enforced, false);
                let message = format!("no TLS handshake with {host}:{port} before the deadline (does it speak TLS?)");
                let failure = Failure { rejection: Rejection::Timeout, message };
                trace_tls(cx, out, host, port, Some(&failure));
                reject(out, failure, "handshake");
                return None;
            }
        };
        phase(out, "tls", timings.tls);
        let (_, conn) = stream.get_ref();
        out.fact("tls_version", conn.protocol_version().map_or_else(String::new, |v| format!("{v:?}")));
        out.fact(
            "cipher_suite",
            conn.negotiated_cipher_suite().map_or_else(String::new, |c| format!("{:?}", c.suite())),
        );
        out.check(Check::new("handshake", Status::Pass, format!("TLS handshake with {host}:{port} completed")));
        record_observed(out, &observed, issuer, self.not_enforced, true);
        trace_tls(cx, out, host, port, None);
        Some(stream)
    }

    /// Phase 3: the answer judged (status, assertions, an nginx-style 400
    /// about the certificate) or the failure after the handshake classified,
    /// and the exchange traced.
    fn judge_answer(
        &self,
        cx: &ProbeContext,
        out: &mut Outcome,
        target: &str,
        started: Instant,
        answer: Result<Result<Answer, SendError>, tokio::time::error::Elapsed>,
    ) {
        let url = &self.request.url;
        let failed = match &answer {
            Ok(Ok(_)) => String::new(),
            Ok(Err(e)) => net::causes(&**e).join(": "),
            Err(_) => "no answer before the deadline".to_string(),
        };
        let logged = match &answer {
            Ok(Ok(a)) => Ok(a.status),
            _ => Err(failed.as_str()),
        };
        net::log_request(self.request.method.as_str(), url.as_str(), logged, started.elapsed());
        // The record carries the connection's phases too: it was made for this one request.
        let exchange = |status, request_headers, response_headers, body, error, phases| Exchange {
            method: self.request.method.as_str(),
            url: url.as_str(),
            request_headers,
            request_body: self.request.body.as_ref().map(|(b, _)| b.as_slice()),
            status,
            response_headers,
            response_body: body,
            error,
            duration_ms: started.elapsed().as_millis() as u64,
            phases,
            mask: &self.request.mask,
        };
        match answer {
            Ok(Ok(Answer { status, request_headers, response_headers, body, cut })) => {
                let answer = Judged {
                    url: url.as_str(),
                    status,
                    headers: &response_headers,
                    body: &body,
                    cut,
                    vars: &no_vars,
                    typed: &crate::probe::assert::untyped,
                };
                let mut judged = Outcome::default();
                judge(&mut judged, target, &answer, &self.request.expect(cx.env.strict_contract));
                mask_outcome(&mut judged, &self.request.mask);
                out.checks.extend(judged.checks);
                out.facts.extend(judged.facts);
                out.shapes.extend(judged.shapes);
                out.http_status = judged.http_status.or(out.http_status);
                out.signals = judged.signals;
                trace_exchange(
                    cx,
                    exchange(
                        Some(status),
                        request_headers,
                        response_headers.clone(),
                        Some(&body),
                        None,
                        out.phases.clone(),
                    ),
                );
                if status == 400 && String::from_utf8_lossy(&body).to_lowercase().contains("certificate") {
                    out.signals.error_class = Some(ErrorClass::ClientCertHttp400);
                    out.diagnosis = Some(Diagnosis {
                        cause: "the server finished the handshake but answered HTTP 400 about the client certificate (nginx does this when none, or an unverified one, was sent)".into(),
                        fix: "check that client_cert and client_key are set and that the certificate is issued by a CA the server accepts".into(),
                    });
                }
            }
            Ok(Err(e)) => {
                let why = net::causes(&*e).join(": ");
                trace_exchange(cx, exchange(None, Vec::new(), Vec::new(), None, Some(why), out.phases.clone()));
                reject(out, after_handshake(&*e, target), "request");
            }
            Err(_) => {
                let why = "no answer before the deadline".to_string();
                trace_exchange(cx, exchange(None, Vec::new(), Vec::new(), None, Some(why.clone()), out.phases.clone()));
                let message = format!("{target}: {why}");
                reject(out, Failure { rejection: Rejection::Timeout, message }, "request");
            }
        }
    }
}

/// A failure of the request after a completed handshake, classified: a
/// TLS 1.3 server rejects the client certificate only on the first read.
fn after_handshake(e: &(dyn std::error::Error + Send + Sync + 'static), target: &str) -> Failure {
    let rejection = Rejection::of_error(e);
    let message = match rejection {
        Rejection::CertificateRequired
        | Rejection::UnknownCa
        | Rejection::BadCertificate
        | Rejection::CertificateExpired
        | Rejection::HandshakeFailure => format!(
            "the server rejected the client certificate right after the handshake (a TLS 1.3 alert on the first read): {}",
            handshake::describe_tls(e)
        ),
        Rejection::ConnectionClosed => format!(
            "the server closed the connection right after the handshake without a TLS alert (a TLS 1.3 server may do this when it rejects the client certificate): {}",
            net::causes(e).join(": ")
        ),
        _ => format!("{target}: {}", net::causes(e).join(": ")),
    };
    Failure { rejection, message }
}

type SendError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// An HTTP answer over the mTLS connection, with what the trace needs.
struct Answer {
    status: u16,
    request_headers: Vec<(String, String)>,
    response_headers: Vec<(String, String)>,
    body: Vec<u8>,
    cut: bool,
}

impl MtlsProbe {
    /// Sends the request over the established TLS connection (HTTP/1.1).
    async fn send(
        &self,
        stream: tokio_rustls::client::TlsStream<tokio::net::TcpStream>,
        host: &str,
        cx: &ProbeContext,
    ) -> Result<Answer, SendError> {
        let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream)).await?;
        let driver = tokio::spawn(conn);
        let url = &self.request.url;
        let path = match url.query() {
            Some(q) => format!("{}?{q}", url.path()),
            None => url.path().to_string(),
        };
        let authority = match url.port() {
            Some(p) => format!("{host}:{p}"),
            None => host.to_string(),
        };
        let mut builder = hyper::Request::builder()
            .method(self.request.method.as_str())
            .uri(path)
            .header(hyper::header::HOST, authority)
            .header(hyper::header::USER_AGENT, concat!("golive/", env!("CARGO_PKG_VERSION")));
        for (name, value) in &self.request.headers {
            builder = builder.header(name.as_str(), value.as_bytes());
        }
        if let Some((name, value)) = api_key_header(self.request.auth.as_ref(), &cx.env) {
            builder = builder.header(name.as_str(), value);
        }
        let body = match &self.request.body {
            Some((bytes, content_type)) => {
                builder = builder.header(hyper::header::CONTENT_TYPE, *content_type);
                Bytes::from(bytes.clone())
            }
            None => Bytes::new(),
        };
        let request = builder.body(Full::new(body))?;
        let request_headers = net::masked_headers(request.headers());
        let response = sender.send_request(request).await?;
        let status = response.status().as_u16();
        let response_headers = net::masked_headers(response.headers());
        let collected = Limited::new(response.into_body(), net::MAX_BODY_BYTES).collect().await;
        driver.abort();
        let (body, cut) = match collected {
            Ok(b) => (b.to_bytes().to_vec(), false),
            Err(e) if e.is::<http_body_util::LengthLimitError>() => (Vec::new(), true),
            Err(e) => return Err(e),
        };
        Ok(Answer { status, request_headers, response_headers, body, cut })
    }
}

/// Why the configured key cannot be used with the certificate, when rustls can
/// tell they are not a pair: no server would accept the handshake.
fn key_mismatch(id: &rustls::sign::CertifiedKey, env: &crate::config::Environment) -> Option<String> {
    let inconsistent = rustls::Error::InconsistentKeys(rustls::InconsistentKeys::KeyMismatch);
    let path = |p: &Option<std::path::PathBuf>| p.as_ref().map(|p| p.display().to_string()).unwrap_or_default();
    (id.keys_match().err()? == inconsistent).then(|| {
        format!(
            "client_key {} does not belong to client_cert {} (wrong cert/key pair): no handshake was tried with it",
            path(&env.client_key),
            path(&env.client_cert)
        )
    })
}

/// The issuer of a DER certificate as text, in the same form as the CA names
/// a server sends.
fn issuer_of(der: &[u8]) -> String {
    x509_parser::parse_x509_certificate(der).map_or_else(|_| String::new(), |(_, c)| c.issuer().to_string())
}

/// Checks what the server revealed: whether it asked for a client
/// certificate, and whether our issuer is among the CA names it accepts.
fn record_observed(
    out: &mut Outcome,
    observed: &Mutex<Observed>,
    issuer: Option<&str>,
    not_enforced: Status,
    done: bool,
) {
    let Ok(o) = observed.lock() else { return };
    out.fact("client_cert_requested", o.cert_requested);
    out.fact("acceptable_client_cas", o.acceptable_cas.clone());
    if !o.server_chain.is_empty() {
        out.fact("server_chain", o.server_chain.iter().map(|c| chain_facts(c)).collect::<Vec<_>>());
    }
    if done && !o.cert_requested {
        out.check(Check::new(
            "mtls enforced",
            not_enforced,
            "mTLS not enforced: the server completed the handshake without asking for a client certificate",
        ));
        out.diagnosis.get_or_insert(Diagnosis {
            cause: "the endpoint does not require a client certificate, so anyone can reach it without the program certificate".into(),
            fix: "check that base_url points at the mTLS endpoint of the partner (not a public or test host)".into(),
        });
    }
    if let (true, Some(issuer)) = (o.cert_requested, issuer)
        && !o.acceptable_cas.is_empty()
        && !o.acceptable_cas.iter().any(|ca| ca == issuer)
    {
        out.check(
            Check::new(
                "client CA",
                Status::Fail,
                format!(
                    "the server accepts client certificates issued by {}; yours is issued by {issuer}",
                    o.acceptable_cas.join("; ")
                ),
            )
            .with_values(o.acceptable_cas.join("; "), issuer.to_string()),
        );
    }
}

/// What the evidence shows of one certificate of the server's chain: subject,
/// issuer, validity and SHA-256 fingerprint.
fn chain_facts(der: &[u8]) -> serde_json::Value {
    let fingerprint = hex::encode(<sha2::Sha256 as sha2::Digest>::digest(der));
    match x509_parser::parse_x509_certificate(der) {
        Ok((_, c)) => serde_json::json!({
            "subject": c.subject().to_string(),
            "issuer": c.issuer().to_string(),
            // RFC 3339, as every other time of the trace (not ASN.1's `Nov 26 17:22:03 2026 +00:00`).
            "not_before": crate::certs::facts::rfc3339(c.validity().not_before.to_datetime()),
            "not_after": crate::certs::facts::rfc3339(c.validity().not_after.to_datetime()),
            "sha256": fingerprint,
        }),
        Err(_) => serde_json::json!({ "sha256": fingerprint }),
    }
}

/// Records the handshake in the evidence trace, from the facts and phases gathered.
fn trace_tls(cx: &ProbeContext, out: &Outcome, host: &str, port: u16, failure: Option<&Failure>) {
    let fact = |k: &str| out.facts.get(k).cloned().unwrap_or(serde_json::Value::Null);
    cx.trace.record(
        "tls",
        serde_json::json!({
            "host": host,
            "port": port,
            "version": fact("tls_version"),
            "cipher_suite": fact("cipher_suite"),
            "server_chain": fact("server_chain"),
            "client_cert_requested": fact("client_cert_requested"),
            "acceptable_client_cas": fact("acceptable_client_cas"),
            "phases": out.phases,
            "failure": failure.map(handshake::Failure::to_json),
        }),
    );
}

/// Records a rejection as a check with its class and a partner-neutral diagnosis.
fn reject(out: &mut Outcome, failure: Failure, name: &str) {
    let status = if failure.rejection.is_verdict() { Status::Fail } else { Status::Error };
    out.check(Check::new(name, status, failure.message));
    out.signals.error_class = Some(failure.rejection.class());
    out.diagnosis = Some(diagnosis(failure.rejection));
}

fn diagnosis(r: Rejection) -> Diagnosis {
    let (cause, fix) = match r {
        Rejection::CertificateRequired => (
            "the server requires a client certificate and none was sent",
            "set client_cert and client_key to the program certificate and its key",
        ),
        Rejection::UnknownCa => (
            "the server does not trust the issuer of the client certificate (unknown CA)",
            "use the certificate the partner signed for this environment; staging and production CAs differ",
        ),
        Rejection::BadCertificate => (
            "the server rejected the client certificate (bad certificate: wrong key, usage or signature)",
            "check that client_key belongs to client_cert and that the certificate allows clientAuth",
        ),
        Rejection::CertificateExpired => (
            "the server says the client certificate has expired",
            "renew the program certificate and deploy the new one",
        ),
        Rejection::HandshakeFailure => (
            "the server aborted the TLS handshake",
            "check the client certificate and key pair, and that the production certificate is deployed",
        ),
        Rejection::ConnectionClosed => (
            "the server closed the connection during the TLS handshake without a TLS alert: a firewall or IP allowlist in front of it, or a server that drops rejected client certificates",
            "check that this machine's IP is allowlisted by the partner, that base_url's port is the partner's TLS port, and that client_cert and client_key are a pair",
        ),
        Rejection::ServerUntrusted => (
            "the server's certificate is not trusted by this machine",
            "set server_ca to the partner's CA, or check that base_url is the partner's host",
        ),
        Rejection::HostnameMismatch => (
            "the server's certificate is not valid for this host name",
            "check the host in base_url against the partner's documentation",
        ),
        Rejection::ServerCertExpired => {
            ("the server's certificate has expired or is not yet valid", "tell the partner, or check the clock here")
        }
        Rejection::NotTls => {
            ("whatever answered does not speak TLS", "check the port in base_url and that it is https")
        }
        Rejection::ConnectionRefused => {
            ("nothing accepts connections at that address", "check base_url (host and port) and that the service is up")
        }
        Rejection::Dns => ("the host name does not resolve", "check the host in base_url and the DNS of this machine"),
        Rejection::Timeout => (
            "no answer before the deadline",
            "check that the host is reachable from here (firewall, allowlist), or raise --timeout",
        ),
        Rejection::Connect | Rejection::Other => {
            ("the connection failed", "check base_url, the network path and the TLS settings")
        }
    };
    Diagnosis { cause: cause.into(), fix: fix.into() }
}

/// `params` of an `mtls` probe: what a server that never asks for a client
/// certificate gets, then one request.
#[derive(schemars::JsonSchema)]
#[schemars(rename = "MtlsParams", deny_unknown_fields)]
#[allow(dead_code)]
pub(crate) struct MtlsParams {
    /// "warn" (default) or "fail".
    not_enforced: Option<NotEnforced>,
    #[serde(flatten)]
    request: crate::probe::request::raw::RequestParams,
}

/// The `mtls` kind, as [`super::Kind`] (one line in its list).
pub(super) struct Mtls;

impl super::Kind for Mtls {
    type Params = super::Raw<MtlsParams>;
    const BUILD: super::Build<Self::Params> = |p, cx| build(p.0, cx);

    fn needs(&self, q: &super::Query<'_>) -> Vec<super::Need> {
        use super::Need;
        use crate::config::keys;
        let super::Query { params, env, pack } = *q;
        // The kind has no parameter for a handshake without a client
        // certificate (`not_enforced` only judges a server that never asks
        // for one): a missing identity is a configuration error.
        let mut out = vec![
            Need::new(keys::CLIENT_CERT.name, "the client certificate of the handshake", env.client_cert.is_some()),
            Need::new(keys::CLIENT_KEY.name, "the key of the client certificate", env.client_key.is_some()),
        ];
        if super::needs_api_key(params, pack) {
            out.push(Need::new(keys::API_KEY.name, "the API key its request carries", env.api_key.is_some()));
        }
        out
    }

    fn sends(&self, q: &super::Query<'_>) -> Vec<crate::probe::inputs::Sent> {
        let super::Query { params, env, pack } = *q;
        // The client key proves itself in the handshake and never leaves; the API key does.
        super::api_key_sends(params, env, pack)
    }
}
