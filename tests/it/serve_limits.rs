//! `golive serve` holds nothing for a client that does not finish its
//! request (issue 29, item 10): a half-sent request is disconnected after
//! `--header-timeout`, and connections beyond `--max-connections` are closed
//! as soon as they are accepted; Prometheus is answered afterwards.
//!
//! Real sockets against a real `golive serve`; no timing is asserted, only
//! that each connection ends closed (each read has a deadline far above the
//! timeouts, and missing it fails the test as "still open").

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use crate::exporter::{get, start_serve};
use crate::support::Watchdog;

/// Far above `--header-timeout 1s`: a connection still open after it is held.
const GENEROUS: Duration = Duration::from_secs(60);

/// A connection that sent a request line and one header, never the blank line.
fn half_sent(addr: &str) -> TcpStream {
    let mut s = TcpStream::connect(addr).expect("connect");
    s.write_all(b"GET /probe?module=axys-cert HTTP/1.1\r\nHost: golive\r\n").expect("half a request");
    s
}

/// Reads until the server closes the connection; what it sent meanwhile.
/// Panics if the connection is still open after [`GENEROUS`].
fn until_closed(mut s: TcpStream, what: &str) -> String {
    s.set_read_timeout(Some(GENEROUS)).expect("read timeout");
    let mut got = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        match s.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => got.extend_from_slice(&buf[..n]),
            // Reset by the peer: closed too.
            Err(e) if matches!(e.kind(), std::io::ErrorKind::ConnectionReset | std::io::ErrorKind::BrokenPipe) => break,
            Err(e) => panic!("{what}: still open after {GENEROUS:?} ({e}): the server holds it"),
        }
    }
    String::from_utf8_lossy(&got).into_owned()
}

/// The value of a counter sample line of `/metrics`.
fn counter(metrics: &str, line_start: &str) -> u64 {
    metrics.lines().find(|l| l.starts_with(line_start)).and_then(|l| l.rsplit(' ').next()?.parse().ok()).unwrap_or(0)
}

#[test]
fn half_sent_requests_are_disconnected_and_connections_over_the_cap_closed() {
    let _watchdog = Watchdog::new("serve limits", Duration::from_secs(300));
    let (_serve, addr) = start_serve(&["--env", "demo", "--header-timeout", "1s", "--max-connections", "8"]);
    // Many slowloris connections at once: 8 are held until their header
    // timeout, the others are closed at once; none is ever answered.
    let held: Vec<TcpStream> = (0..200).map(|_| half_sent(&addr)).collect();
    let mut answered = Vec::new();
    for (i, s) in held.into_iter().enumerate() {
        let got = until_closed(s, &format!("half-sent connection {i}"));
        if got.starts_with("HTTP/1.1 200") {
            answered.push(i);
        }
    }
    assert!(answered.is_empty(), "half-sent requests were answered: {answered:?}");
    // Afterwards Prometheus is served as before, and the exporter says why it closed what it closed.
    let (code, body) = get(&addr, "/probe?module=axys-cert");
    assert_eq!(code, 200, "{body}");
    let (_, metrics) = get(&addr, "/metrics");
    let limit = counter(&metrics, "golive_exporter_connections_closed_total{reason=\"limit\"}");
    let timeout = counter(&metrics, "golive_exporter_connections_closed_total{reason=\"header-timeout\"}");
    assert_eq!(limit + timeout, 200, "every half-sent connection was closed by the exporter:\n{metrics}");
    assert!(timeout >= 8 && limit > 0, "8 held to their timeout, the others closed at the cap:\n{metrics}");
}

#[test]
fn a_half_sent_request_is_disconnected_not_answered_later() {
    let _watchdog = Watchdog::new("serve header timeout", Duration::from_secs(180));
    let (_serve, addr) = start_serve(&["--env", "demo", "--header-timeout", "1s"]);
    let s = half_sent(&addr);
    // Finishing the request after the timeout gets no answer: the connection is gone.
    let got = until_closed(s.try_clone().expect("clone"), "the half-sent connection");
    assert!(!got.starts_with("HTTP/1.1 200"), "answered: {got}");
    let mut late = s;
    let _ = late.write_all(b"\r\n");
    let rest = until_closed(late, "the connection after the late blank line");
    assert!(!rest.contains("200 OK"), "a request finished after the header timeout was answered: {rest}");
    let (code, _) = get(&addr, "/metrics");
    assert_eq!(code, 200);
}
