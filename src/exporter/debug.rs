//! `/probe?...&debug=true`: what blackbox_exporter's debug page shows, for
//! golive's probes: each probe's log (the requests, DNS answers and TLS
//! handshakes its last run made, from its redacted trace), its result (status,
//! phases, checks, facts, cause and fix), then the metrics a scrape would get.
//!
//! Plain text for a person with curl: every string passes
//! [`crate::report::text::terminal`], and card numbers are masked as in the
//! evidence folder.

use std::fmt::Write as _;

use serde_json::Value;

use super::cache::Cached;
use crate::redact::mask_card_numbers;
use crate::report::text::terminal;

/// At most this many log lines are kept per probe (a flow's requests, a
/// scan's pages); the rest is counted.
pub const MAX_LOG_LINES: usize = 200;

/// The log of a probe's run, one line per trace record.
pub fn log_lines(trace: &[Value]) -> Vec<String> {
    let mut lines: Vec<String> = trace.iter().take(MAX_LOG_LINES).map(line).collect();
    if trace.len() > MAX_LOG_LINES {
        lines.push(format!("… and {} more records", trace.len() - MAX_LOG_LINES));
    }
    lines
}

fn field<'a>(record: &'a Value, key: &str) -> &'a str {
    record.get(key).and_then(Value::as_str).unwrap_or("")
}

/// One trace record as a log line: `14:02:11.123 http GET URL → 200 in 12 ms`.
fn line(record: &Value) -> String {
    let at = field(record, "at").get(11..23).unwrap_or("");
    let kind = field(record, "type");
    let what = match kind {
        "http" => {
            let outcome = match (record.pointer("/response/status").and_then(Value::as_u64), field(record, "error")) {
                (Some(status), _) => status.to_string(),
                (None, "") => "no answer".to_string(),
                (None, error) => format!("error: {error}"),
            };
            let ms = record.get("duration_ms").and_then(Value::as_u64).unwrap_or(0);
            format!("{} {} → {outcome} in {ms} ms", field(record, "method"), field(record, "url"))
        }
        "tls" => {
            let failure = record.pointer("/failure/message").and_then(Value::as_str);
            let port = record.get("port").and_then(Value::as_u64).unwrap_or(0);
            match failure {
                Some(why) => format!("{}:{port} handshake failed: {why}", field(record, "host")),
                None => format!(
                    "{}:{port} {} {}",
                    field(record, "host"),
                    field(record, "version"),
                    field(record, "cipher_suite")
                ),
            }
        }
        _ => {
            let mut rest = record.clone();
            if let Value::Object(map) = &mut rest {
                map.remove("at");
                map.remove("type");
            }
            rest.to_string()
        }
    };
    mask_card_numbers(&terminal(&format!("{at} {kind} {what}")))
}

/// The debug page of the given results and the exposition they give.
pub fn render(env: &str, results: &[Cached], exposition: &str) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "golive serve debug: environment {}", terminal(env));
    for c in results {
        let r = &c.report;
        let _ = writeln!(out, "\nProbe {} ({}, pack {})", terminal(&r.id), terminal(&r.kind), terminal(&r.pack));
        let _ = writeln!(out, "Logs for the probe ({} records):", c.log.len());
        for l in c.log.iter() {
            let _ = writeln!(out, "  {l}");
        }
        let _ = writeln!(out, "Result: {} in {} ms", r.status, r.duration_ms);
        if let Some(reason) = &r.reason {
            let _ = writeln!(out, "  skipped: {}", terminal(reason));
        }
        for p in &r.phases {
            let _ = writeln!(out, "  phase {}: {} ms", terminal(&p.name), p.duration_ms);
        }
        for check in &r.checks {
            let _ = writeln!(out, "  {} {}: {}", check.status, terminal(&check.name), terminal(&check.message));
        }
        for (k, v) in &r.facts {
            let _ = writeln!(out, "  fact {}: {}", terminal(k), terminal(&v.to_string()));
        }
        if let Some(d) = &r.diagnosis {
            let _ = writeln!(out, "  cause: {}\n  fix: {}", terminal(&d.cause), terminal(&d.fix));
        }
    }
    let _ = writeln!(out, "\nMetrics that would have been returned:\n{exposition}");
    mask_card_numbers(&out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_read_as_one_line_each() {
        let http = serde_json::json!({
            "type": "http", "at": "2026-01-01T10:00:00.123456Z", "method": "GET",
            "url": "https://e/v2/x\u{1b}[2J", "response": {"status": 403}, "duration_ms": 12
        });
        assert_eq!(line(&http), "10:00:00.123 http GET https://e/v2/x\\x1b[2J → 403 in 12 ms");
        let tls = serde_json::json!({"type": "tls", "host": "h", "port": 443, "failure": {"message": "unknown CA"}});
        assert_eq!(line(&tls), " tls h:443 handshake failed: unknown CA");
        let lines = log_lines(&vec![http; MAX_LOG_LINES + 3]);
        assert_eq!(lines.last().map(String::as_str), Some("… and 3 more records"));
    }
}
