//! TLS handshakes that explain themselves: what the server sent (its chain,
//! the client-CA names it accepts, whether it asked for a certificate at all),
//! each phase timed, and every rejection classified — whether it arrives as a
//! TLS 1.2 alert during the handshake or a TLS 1.3 alert on the first read.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use rustls::client::ResolvesClientCert;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::sign::CertifiedKey;
use rustls::{AlertDescription, CertificateError, DigitallySignedStruct, SignatureScheme};
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;
use tokio_rustls::client::TlsStream;

use crate::spec::ErrorClass;

/// What the server revealed during the handshake.
#[derive(Debug, Default)]
pub struct Observed {
    /// Whether the server asked for a client certificate.
    pub cert_requested: bool,
    /// The distinguished names of the CAs it accepts for client certificates.
    pub acceptable_cas: Vec<String>,
    /// The server's certificate chain, leaf first.
    pub server_chain: Vec<CertificateDer<'static>>,
}

/// A stable class of TLS or connection failure.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rejection {
    /// The server requires a client certificate and got none.
    CertificateRequired,
    /// The server does not trust the client certificate's issuer.
    UnknownCa,
    /// The server rejected the client certificate (bad signature, wrong key, wrong usage).
    BadCertificate,
    /// The server says the client certificate has expired.
    CertificateExpired,
    /// The server aborted the handshake without a more precise reason.
    HandshakeFailure,
    /// The server closed or reset the connection during the handshake without
    /// a TLS alert: a firewall or allowlist in front of it, or a server that
    /// drops what it rejects. Not the same as an alert, so not named like one.
    ConnectionClosed,
    /// Our side does not trust the server's certificate.
    ServerUntrusted,
    /// The server's certificate is not valid for the host name.
    HostnameMismatch,
    /// The server's certificate has expired (or is not yet valid).
    ServerCertExpired,
    /// Whatever answered does not speak TLS.
    NotTls,
    /// Nothing accepted the TCP connection.
    ConnectionRefused,
    /// The TCP connection failed otherwise.
    Connect,
    /// The host name did not resolve.
    Dns,
    /// No answer before the deadline.
    Timeout,
    /// Anything else.
    Other,
}

impl Rejection {
    /// The class name used in reports and pack diagnoses.
    pub fn class(self) -> ErrorClass {
        match self {
            Rejection::CertificateRequired => ErrorClass::CertificateRequired,
            Rejection::UnknownCa => ErrorClass::UnknownCa,
            Rejection::BadCertificate => ErrorClass::BadCertificate,
            Rejection::CertificateExpired => ErrorClass::CertExpired,
            Rejection::HandshakeFailure => ErrorClass::HandshakeFailure,
            Rejection::ConnectionClosed => ErrorClass::ConnectionClosed,
            Rejection::ServerUntrusted => ErrorClass::ServerUntrusted,
            Rejection::HostnameMismatch => ErrorClass::HostnameMismatch,
            Rejection::ServerCertExpired => ErrorClass::ServerCertExpired,
            Rejection::NotTls => ErrorClass::NotTls,
            Rejection::ConnectionRefused => ErrorClass::ConnectionRefused,
            Rejection::Connect => ErrorClass::Connect,
            Rejection::Dns => ErrorClass::Dns,
            Rejection::Timeout => ErrorClass::Timeout,
            Rejection::Other => ErrorClass::Tls,
        }
    }

    /// Whether this proves something wrong (fail) rather than leaving no verdict (error).
    pub fn is_verdict(self) -> bool {
        !matches!(
            self,
            Rejection::ConnectionRefused | Rejection::Connect | Rejection::Dns | Rejection::Timeout | Rejection::Other
        )
    }

    /// Classifies a rustls error.
    pub fn of_rustls(e: &rustls::Error) -> Rejection {
        use rustls::Error as E;
        match e {
            E::AlertReceived(AlertDescription::CertificateRequired) => Rejection::CertificateRequired,
            E::AlertReceived(AlertDescription::UnknownCA) => Rejection::UnknownCa,
            E::AlertReceived(AlertDescription::CertificateExpired) => Rejection::CertificateExpired,
            E::AlertReceived(
                AlertDescription::BadCertificate
                | AlertDescription::UnsupportedCertificate
                | AlertDescription::CertificateUnknown
                | AlertDescription::DecryptError,
            ) => Rejection::BadCertificate,
            E::AlertReceived(AlertDescription::HandshakeFailure) => Rejection::HandshakeFailure,
            E::InvalidCertificate(
                CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. },
            ) => Rejection::HostnameMismatch,
            E::InvalidCertificate(
                CertificateError::Expired
                | CertificateError::ExpiredContext { .. }
                | CertificateError::NotValidYet
                | CertificateError::NotValidYetContext { .. },
            ) => Rejection::ServerCertExpired,
            E::InvalidCertificate(_) => Rejection::ServerUntrusted,
            E::InvalidMessage(_) => Rejection::NotTls,
            _ => Rejection::Other,
        }
    }

    /// Classifies any error by the first rustls or I/O error among its causes.
    pub fn of_error(e: &(dyn std::error::Error + 'static)) -> Rejection {
        if let Some(tls) = find_rustls(e) {
            return Rejection::of_rustls(tls);
        }
        let mut next = Some(e);
        while let Some(err) = next {
            if let Some(io) = err.downcast_ref::<std::io::Error>() {
                return match io.kind() {
                    std::io::ErrorKind::ConnectionRefused => Rejection::ConnectionRefused,
                    std::io::ErrorKind::TimedOut => Rejection::Timeout,
                    std::io::ErrorKind::InvalidData => Rejection::NotTls,
                    std::io::ErrorKind::UnexpectedEof
                    | std::io::ErrorKind::ConnectionReset
                    | std::io::ErrorKind::ConnectionAborted
                    | std::io::ErrorKind::BrokenPipe => Rejection::ConnectionClosed,
                    _ => Rejection::Connect,
                };
            }
            next = err.source();
        }
        Rejection::Other
    }
}

/// The first rustls error among an error's causes, looking inside I/O errors
/// (whose `source()` skips the error they wrap).
pub fn find_rustls<'a>(e: &'a (dyn std::error::Error + 'static)) -> Option<&'a rustls::Error> {
    let mut next = Some(e);
    while let Some(err) = next {
        if let Some(tls) = err.downcast_ref::<rustls::Error>() {
            return Some(tls);
        }
        if let Some(inner) = err.downcast_ref::<std::io::Error>().and_then(|io| io.get_ref()) {
            if let Some(tls) = inner.downcast_ref::<rustls::Error>() {
                return Some(tls);
            }
            if let Some(found) = find_rustls(inner) {
                return Some(found);
            }
        }
        next = err.source();
    }
    None
}

/// Records whether and how the server asked for a client certificate, then
/// answers with the configured identity (or none).
#[derive(Debug)]
struct RecordingResolver {
    identity: Option<Arc<CertifiedKey>>,
    observed: Arc<Mutex<Observed>>,
}

impl ResolvesClientCert for RecordingResolver {
    fn resolve(&self, root_hint_subjects: &[&[u8]], _schemes: &[SignatureScheme]) -> Option<Arc<CertifiedKey>> {
        if let Ok(mut o) = self.observed.lock() {
            o.cert_requested = true;
            o.acceptable_cas = root_hint_subjects.iter().map(|dn| distinguished_name(dn)).collect();
        }
        self.identity.clone()
    }

    fn has_certs(&self) -> bool {
        // Always true, so rustls tells us when the server asks even if we have nothing to send.
        true
    }
}

/// Records the server's chain, then verifies it with the real verifier.
#[derive(Debug)]
struct RecordingVerifier {
    inner: Arc<dyn ServerCertVerifier>,
    observed: Arc<Mutex<Observed>>,
}

impl ServerCertVerifier for RecordingVerifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        if let Ok(mut o) = self.observed.lock() {
            o.server_chain = std::iter::once(end_entity).chain(intermediates).map(|c| c.clone().into_owned()).collect();
        }
        self.inner.verify_server_cert(end_entity, intermediates, server_name, ocsp, now)
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.inner.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.inner.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.inner.supported_verify_schemes()
    }
}

/// A DER distinguished name (as sent in CertificateRequest) as text, in the
/// same form x509-parser gives a certificate's issuer.
pub fn distinguished_name(der: &[u8]) -> String {
    let parse = |bytes: &[u8]| {
        x509_parser::x509::X509Name::from_der(bytes)
            .ok()
            .filter(|(rest, name)| rest.is_empty() && name.iter_rdn().next().is_some())
            .map(|(_, name)| name.to_string())
    };
    // Some stacks send the Name with its outer SEQUENCE, some without it.
    let mut wrapped = vec![0x30];
    let len = der.len();
    if len < 0x80 {
        wrapped.push(len as u8);
    } else if len < 0x100 {
        wrapped.extend([0x81, len as u8]);
    } else {
        wrapped.extend([0x82, (len >> 8) as u8, len as u8]);
    }
    wrapped.extend_from_slice(der);
    parse(der).or_else(|| parse(&wrapped)).unwrap_or_else(|| hex::encode(der))
}

use x509_parser::prelude::FromDer;

/// Phase timings of a connection.
#[derive(Debug, Default, Clone, Copy)]
pub struct Timings {
    /// Name resolution.
    pub dns: Duration,
    /// TCP connect.
    pub connect: Duration,
    /// TLS handshake.
    pub tls: Duration,
}

/// A failed connection: the class, a sentence, what was observed and timings so far.
#[derive(Debug)]
pub struct Failure {
    /// The class.
    pub rejection: Rejection,
    /// What happened, in one line.
    pub message: String,
}

impl Failure {
    /// The failure as evidence records it: `{class, message}` (the message names
    /// the alert, when the server sent one).
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::json!({ "class": self.rejection.class(), "message": self.message })
    }
}

/// Connects to `host:port`, verifying the server with `verifier` and sending
/// `identity` when the server asks for a client certificate; records what the
/// server reveals in `observed` and the phase timings in `timings`.
pub async fn connect(
    host: &str,
    port: u16,
    verifier: Arc<dyn ServerCertVerifier>,
    identity: Option<Arc<CertifiedKey>>,
    observed: Arc<Mutex<Observed>>,
    timings: &mut Timings,
) -> Result<TlsStream<TcpStream>, Failure> {
    let recording = Arc::new(RecordingVerifier { inner: verifier, observed: observed.clone() });
    let mut config = super::tls::config_with(recording, None, &[b"http/1.1"])
        .map_err(|message| Failure { rejection: Rejection::Other, message })?;
    config.client_auth_cert_resolver = Arc::new(RecordingResolver { identity, observed });
    let started = Instant::now();
    let addrs: Vec<std::net::SocketAddr> = tokio::net::lookup_host((host, port))
        .await
        .map_err(|e| Failure { rejection: Rejection::Dns, message: format!("cannot resolve {host}: {e}") })?
        .collect();
    timings.dns = started.elapsed();
    tracing::trace!(host, port, addresses = addrs.len(), "resolved");
    let started = Instant::now();
    let mut last = None;
    let mut tcp = None;
    for addr in &addrs {
        match TcpStream::connect(addr).await {
            Ok(s) => {
                tcp = Some(s);
                break;
            }
            Err(e) => last = Some(e),
        }
    }
    let tcp = tcp.ok_or_else(|| {
        let e = last.unwrap_or_else(|| std::io::Error::other("no address"));
        let rejection = Rejection::of_error(&e);
        Failure { rejection, message: format!("cannot connect to {host}:{port}: {}", super::causes(&e).join(": ")) }
    })?;
    let _ = tcp.set_nodelay(true);
    timings.connect = started.elapsed();
    let started = Instant::now();
    let name = ServerName::try_from(host.to_string()).map_err(|_| Failure {
        rejection: Rejection::Other,
        message: format!("`{host}` is not a valid server name"),
    })?;
    let tls = TlsConnector::from(Arc::new(config)).connect(name, tcp).await.map_err(|e| {
        let rejection = Rejection::of_error(&e);
        tracing::debug!(host, port, class = rejection.class().as_str(), "TLS handshake failed");
        Failure { rejection, message: format!("TLS handshake with {host}:{port} failed: {}", describe_tls(&e)) }
    })?;
    timings.tls = started.elapsed();
    tracing::debug!(host, port, version = ?tls.get_ref().1.protocol_version(), "TLS handshake done");
    Ok(tls)
}

/// One line for a TLS-level error.
pub fn describe_tls(e: &(dyn std::error::Error + 'static)) -> String {
    match find_rustls(e) {
        Some(e) => super::verifier::rustls_error(e),
        None => super::causes(e).join(": "),
    }
}
