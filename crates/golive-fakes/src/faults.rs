//! The fault catalogue: servers that misbehave in one named way each, so that
//! golive's answer to every fault (a verdict and a cause, inside the deadline,
//! never a panic, a hang or a retried mutation) can be shown and tested.
//!
//! Transport faults (refused, reset during the TLS handshake, garbage, silence,
//! slowloris) and HTTP faults (429 with Retry-After, 500/502/503, a 50 MB body,
//! invalid JSON, the wrong content type, a webhook endpoint that closes the
//! connection) are raw TCP servers on 127.0.0.1 that count what they accept;
//! DNS faults (SERVFAIL, REFUSED, truncation, silence) are [`FakeDnsBuilder`]
//! settings. The demo plays each as a `fault-…` [`super::Scenario`].

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::{JoinHandle, JoinSet};

use super::FakeDnsBuilder;

/// Declares [`Fault`] from one table, the catalogue: each fault's name (its
/// demo scenario is `fault-<name>`), where it lives, what it does, and what
/// its scenario breaks as `golive fake scenarios` says it.
macro_rules! catalogue {
    ($($variant:ident = $name:literal, $layer:ident, $doc:literal, scenario: $help:literal;)*) => {
        /// One way the other side can go wrong.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum Fault {
            $(#[doc = $doc] $variant,)*
        }

        impl Fault {
            /// Every fault, in catalogue order.
            pub const ALL: &'static [Fault] = &[$(Fault::$variant),*];

            /// The fault's name; its demo scenario is `fault-<name>`.
            pub fn name(self) -> &'static str {
                match self {
                    $(Fault::$variant => $name,)*
                }
            }

            /// The name of the demo scenario that plays it: `fault-<name>`.
            pub fn scenario_name(self) -> &'static str {
                match self {
                    $(Fault::$variant => concat!("fault-", $name),)*
                }
            }

            /// What the demo scenario that plays it breaks, one line.
            pub fn scenario_help(self) -> &'static str {
                match self {
                    $(Fault::$variant => $help,)*
                }
            }

            /// Where the fault lives.
            pub fn layer(self) -> Layer {
                match self {
                    $(Fault::$variant => Layer::$layer,)*
                }
            }
        }
    };
}

catalogue! {
    ConnectionRefused = "connection-refused", Transport, "Nothing listens: the connection is refused.",
        scenario: "Nothing listens where the partner APIs and the webhook endpoint should be";
    ResetDuringHandshake = "reset-during-handshake", Transport,
        "The server reads the ClientHello (or request), then resets the connection.",
        scenario: "The partner and webhook servers reset the connection during the TLS handshake";
    Garbage = "garbage", Transport, "The server answers with bytes that are neither TLS nor HTTP.",
        scenario: "The partner and webhook servers answer bytes that are neither TLS nor HTTP";
    Silent = "silent", Transport, "The server accepts the connection and never answers.",
        scenario: "The partner and webhook servers accept connections and never answer";
    Slowloris = "slowloris", Transport, "The server answers one byte per second.",
        scenario: "The partner and webhook servers answer one byte per second";
    RateLimited = "http-429", Http, "HTTP 429 with `Retry-After: 3600`.",
        scenario: "The partner APIs and the webhook endpoint answer 429 with `Retry-After: 3600`";
    Status500 = "http-500", Http, "HTTP 500.",
        scenario: "The partner APIs and the webhook endpoint answer 500";
    Status502 = "http-502", Http, "HTTP 502.",
        scenario: "The partner APIs and the webhook endpoint answer 502";
    Status503 = "http-503", Http, "HTTP 503 with `Retry-After: 120`.",
        scenario: "The partner APIs and the webhook endpoint answer 503 with `Retry-After`";
    HugeBody = "huge-body", Http, "HTTP 200 with a 50 MB JSON body.",
        scenario: "The partner APIs and the webhook endpoint answer a 50 MB body";
    InvalidJson = "invalid-json", Http, "HTTP 200 `application/json` whose body is cut mid-document.",
        scenario: "The partner APIs and the webhook endpoint answer JSON cut in the middle";
    WrongContentType = "wrong-content-type", Http, "HTTP 200 with an HTML login page instead of JSON.",
        scenario: "The partner APIs and the webhook endpoint answer an HTML login page";
    DnsServfail = "dns-servfail", Dns, "The nameserver answers SERVFAIL.",
        scenario: "The nameserver answers SERVFAIL for the demo's names";
    DnsRefused = "dns-refused", Dns, "The nameserver answers REFUSED.",
        scenario: "The nameserver answers REFUSED for the demo's names";
    DnsTruncated = "dns-truncated", Dns, "The answer does not fit UDP and the nameserver has no TCP.",
        scenario: "The demo domain's answer does not fit UDP and the nameserver has no TCP";
    DnsSilent = "dns-silent", Dns, "The nameserver never answers.",
        scenario: "The nameserver never answers for the demo's names";
    WebhookCloses = "webhook-closes", Webhook, "The webhook endpoint reads the delivery and closes without answering.",
        scenario: "The merchant's webhook endpoint reads each delivery and closes the connection";
}

/// Where a fault lives, which decides the probe kinds it applies to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Layer {
    /// TCP or TLS: every kind that connects (tls, mtls, http, apikey, webhook, exchange).
    Transport,
    /// An HTTP answer: every kind that sends HTTP requests.
    Http,
    /// The nameserver: fcrdns.
    Dns,
    /// The merchant's webhook endpoint only.
    Webhook,
}

impl Fault {
    /// Starts the fault's server on 127.0.0.1. A refused connection (and a DNS
    /// fault, which lives in the nameserver: see [`Fault::dns`]) gets a closed port.
    pub async fn start(self) -> Result<FaultServer, String> {
        let listener = TcpListener::bind("127.0.0.1:0").await.map_err(|e| format!("fault server bind: {e}"))?;
        let addr = listener.local_addr().map_err(|e| format!("fault server address: {e}"))?;
        let counts = Counts::default();
        if matches!(self, Fault::ConnectionRefused) || self.layer() == Layer::Dns {
            // A port that was just ours and is closed now: connections are refused.
            drop(listener);
            return Ok(FaultServer { addr, counts, task: None });
        }
        let task = tokio::spawn(serve(self, listener, counts.clone()));
        Ok(FaultServer { addr, counts, task: Some(task) })
    }

    /// Applies a DNS fault to forward `names` and the reverse names of `ips`
    /// in a fake DNS server's zone data; other faults leave it unchanged.
    pub fn dns(self, builder: FakeDnsBuilder, names: &[&str], ips: &[std::net::IpAddr]) -> FakeDnsBuilder {
        let reverse: Vec<String> = ips.iter().map(|ip| hickory_server::proto::rr::Name::from(*ip).to_ascii()).collect();
        let mut all: Vec<&str> = names.to_vec();
        if self != Fault::DnsTruncated {
            all.extend(reverse.iter().map(String::as_str));
        }
        let names = all.as_slice();
        match self {
            Fault::DnsServfail => names.iter().fold(builder, |b, n| b.servfail(n)),
            Fault::DnsRefused => names.iter().fold(builder, |b, n| b.refused(n)),
            Fault::DnsSilent => names.iter().fold(builder, |b, n| b.silent(n)),
            // 150 A records (about 2.4 kB) do not fit a 1232-byte UDP answer.
            Fault::DnsTruncated => names
                .iter()
                .fold(builder, |b, n| (1..=150u8).fold(b, |b, i| b.a(n, std::net::IpAddr::from([198, 51, 100, i]))))
                .without_tcp(),
            _ => builder,
        }
    }
}

/// What a fault server saw, shared with its connection tasks.
#[derive(Debug, Clone, Default)]
pub struct Counts {
    accepted: Arc<AtomicUsize>,
    patches: Arc<AtomicUsize>,
}

/// A running fault server; dropping it stops it and every connection it holds.
pub struct FaultServer {
    /// Where it listens (or listened, for a refused connection).
    pub addr: SocketAddr,
    counts: Counts,
    task: Option<JoinHandle<()>>,
}

impl FaultServer {
    /// TCP connections accepted so far.
    pub fn accepted(&self) -> usize {
        self.counts.accepted.load(Ordering::SeqCst)
    }

    /// HTTP `PATCH` requests received so far (the key exchange's method).
    pub fn patches(&self) -> usize {
        self.counts.patches.load(Ordering::SeqCst)
    }

    /// The server's address as a base URL with `scheme` (`http` or `https`).
    pub fn url(&self, scheme: &str) -> String {
        format!("{scheme}://{}", self.addr)
    }
}

impl Drop for FaultServer {
    fn drop(&mut self) {
        if let Some(task) = &self.task {
            task.abort();
        }
    }
}

async fn serve(fault: Fault, listener: TcpListener, counts: Counts) {
    // The connections live in this set: aborting the accept task drops them all.
    let mut connections = JoinSet::new();
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                let Ok((stream, _)) = accepted else { continue };
                counts.accepted.fetch_add(1, Ordering::SeqCst);
                connections.spawn(connection(fault, stream, counts.clone()));
            }
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
        }
    }
}

/// How long a fault server holds a connection at most (the tests' deadlines are far shorter).
const HOLD: Duration = Duration::from_secs(120);

async fn connection(fault: Fault, mut stream: TcpStream, counts: Counts) {
    let _ = stream.set_nodelay(true);
    if fault == Fault::Silent {
        tokio::time::sleep(HOLD).await;
        return;
    }
    let head = read_request(&mut stream).await;
    if head.starts_with(b"PATCH ") {
        counts.patches.fetch_add(1, Ordering::SeqCst);
    }
    let tls = head.first() == Some(&0x16);
    let _ = match fault {
        Fault::ResetDuringHandshake => {
            // SO_LINGER 0: closing sends RST instead of FIN.
            let _ = socket2::SockRef::from(&stream).set_linger(Some(Duration::ZERO));
            return;
        }
        Fault::Garbage => {
            let mut noise = b"\x00\x00\x00\x07not tls, not http\r\n\x00".to_vec();
            let mut random = [0u8; 200];
            let _ = getrandom::fill(&mut random);
            noise.extend(random.iter().map(|b| b | 0x80));
            stream.write_all(&noise).await
        }
        Fault::Slowloris => {
            let text: &[u8] = if tls {
                // A TLS handshake record header announcing 16 KiB, then zeros.
                b"\x16\x03\x03\x40\x00\x02\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00"
            } else {
                b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 64\r\n\r\n{\"status\":\"success\"}"
            };
            for byte in text {
                if stream.write_all(&[*byte]).await.is_err() {
                    return;
                }
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
            Ok(())
        }
        Fault::HugeBody => huge_body(&mut stream).await,
        Fault::WebhookCloses => stream.shutdown().await,
        Fault::RateLimited => {
            respond(&mut stream, 429, "Retry-After: 3600\r\n", JSON, br#"{"message":"Too Many Requests"}"#).await
        }
        Fault::Status500 => respond(&mut stream, 500, "", JSON, br#"{"message":"Internal Server Error"}"#).await,
        Fault::Status502 => {
            respond(&mut stream, 502, "", "text/html", b"<html><body>502 Bad Gateway</body></html>").await
        }
        Fault::Status503 => {
            respond(&mut stream, 503, "Retry-After: 120\r\n", JSON, br#"{"message":"Service Unavailable"}"#).await
        }
        Fault::InvalidJson => {
            respond(&mut stream, 200, "", JSON, br#"{"status": "success", "items": [{"id": "ch_1", "na"#).await
        }
        Fault::WrongContentType => {
            let page = b"<!DOCTYPE html><html><head><title>Sign in</title></head><body>Please sign in</body></html>";
            respond(&mut stream, 200, "", "text/html; charset=utf-8", page).await
        }
        Fault::ConnectionRefused
        | Fault::Silent
        | Fault::DnsServfail
        | Fault::DnsRefused
        | Fault::DnsTruncated
        | Fault::DnsSilent => Ok(()),
    };
    // Let the client read what was sent before the socket closes.
    let _ = stream.shutdown().await;
    let mut sink = [0u8; 1024];
    let _ = tokio::time::timeout(Duration::from_secs(5), stream.read(&mut sink)).await;
}

const JSON: &str = "application/json";

/// Reads a TLS ClientHello (one read) or an HTTP request: its head, then as
/// much body as `Content-Length` says, bounded, so closing sends no RST.
async fn read_request(stream: &mut TcpStream) -> Vec<u8> {
    const LIMIT: usize = 1024 * 1024;
    let mut data = Vec::new();
    let mut buf = [0u8; 8192];
    let read = async {
        loop {
            let n = stream.read(&mut buf).await.unwrap_or(0);
            if n == 0 {
                return;
            }
            data.extend_from_slice(&buf[..n]);
            if data.first() == Some(&0x16) || data.len() > LIMIT {
                return;
            }
            if let Some(end) = find(&data, b"\r\n\r\n") {
                let length = content_length(&data[..end]).min(LIMIT);
                if data.len() >= end + 4 + length {
                    return;
                }
            }
        }
    };
    let _ = tokio::time::timeout(Duration::from_secs(5), read).await;
    data
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

fn content_length(head: &[u8]) -> usize {
    String::from_utf8_lossy(head)
        .lines()
        .filter_map(|l| l.split_once(':'))
        .find(|(k, _)| k.trim().eq_ignore_ascii_case("content-length"))
        .and_then(|(_, v)| v.trim().parse().ok())
        .unwrap_or(0)
}

async fn respond(
    stream: &mut TcpStream,
    status: u16,
    extra: &str,
    content_type: &str,
    body: &[u8],
) -> std::io::Result<()> {
    let head = format!(
        "HTTP/1.1 {status} {}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\n{extra}Connection: close\r\n\r\n",
        reason(status),
        body.len()
    );
    stream.write_all(head.as_bytes()).await?;
    stream.write_all(body).await
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        _ => "Unknown",
    }
}

/// The size of [`Fault::HugeBody`]'s answer.
pub const HUGE_BODY_BYTES: usize = 50 * 1024 * 1024;

async fn huge_body(stream: &mut TcpStream) -> std::io::Result<()> {
    let head = format!(
        "HTTP/1.1 200 OK\r\nContent-Type: {JSON}\r\nContent-Length: {HUGE_BODY_BYTES}\r\nConnection: close\r\n\r\n"
    );
    stream.write_all(head.as_bytes()).await?;
    stream.write_all(b"[").await?;
    let chunk = b"0,".repeat(32 * 1024);
    let mut sent = 1;
    // The client stops reading at its bound and closes: the write fails and we stop.
    while sent + chunk.len() < HUGE_BODY_BYTES {
        stream.write_all(&chunk).await?;
        sent += chunk.len();
    }
    let mut tail = vec![b' '; HUGE_BODY_BYTES - sent];
    tail[0] = b'0';
    if let Some(last) = tail.last_mut() {
        *last = b']';
    }
    stream.write_all(&tail).await
}
