//! Prometheus text exposition (format 0.0.4) of probe reports, and golive's
//! own process metrics, both built with the `prometheus-client` crate.
//!
//! blackbox_exporter's `probe_success` and `probe_duration_seconds` are
//! written beside golive's own names, with the same labels, so dashboards and
//! alerts made for blackbox_exporter read golive too.
//!
//! Every probe metric carries the labels `env`, `pack`, `probe`, `kind` and
//! `egress` (empty when `--egress` is not given). The values come from the
//! report model only: statuses, durations, and typed facts the probe kinds
//! already record (`status` of an HTTP answer, `not_after` of a certificate,
//! the `ip …` checks of an FCrDNS probe).

use std::collections::HashMap;
use std::sync::atomic::AtomicU64;

use prometheus_client::encoding::prometheus_text;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::registry::Registry;

use crate::report::{ProbeReport, Status};

/// The `Content-Type` of every answer: Prometheus text format 0.0.4.
pub const CONTENT_TYPE: &str = prometheus_text::CONTENT_TYPE;

type Labels = Vec<(String, String)>;
type FloatGauge = Gauge<f64, AtomicU64>;

/// One probe's latest result as the exposition shows it.
pub struct Sample<'a> {
    /// The report.
    pub report: &'a ProbeReport,
    /// When it was measured, seconds since the Unix epoch.
    pub at_unix: f64,
}

/// The labels every probe metric shares.
pub struct Context<'a> {
    /// The environment.
    pub env: &'a str,
    /// `--egress`, or empty.
    pub egress: &'a str,
    /// Per pack, the partner API's base URL (an HTTP answer counts as the
    /// partner's when its request went under it).
    pub base_urls: &'a HashMap<String, String>,
}

struct ProbeFamilies {
    success: Family<Labels, Gauge>,
    blackbox_success: Family<Labels, Gauge>,
    blackbox_duration: Family<Labels, FloatGauge>,
    status: Family<Labels, Gauge>,
    duration: Family<Labels, FloatGauge>,
    measured: Family<Labels, FloatGauge>,
    http_code: Family<Labels, Gauge>,
    http_class: Family<Labels, Gauge>,
    cert_not_after: Family<Labels, FloatGauge>,
    fcrdns: Family<Labels, Gauge>,
    error_class: Family<Labels, Gauge>,
}

/// The exposition of the given probe results.
pub fn encode_probes(samples: &[Sample<'_>], cx: &Context<'_>) -> String {
    let f = ProbeFamilies {
        success: Family::default(),
        blackbox_success: Family::default(),
        blackbox_duration: Family::default(),
        status: Family::default(),
        duration: Family::default(),
        measured: Family::default(),
        http_code: Family::default(),
        http_class: Family::default(),
        cert_not_after: Family::default(),
        fcrdns: Family::default(),
        error_class: Family::default(),
    };
    for s in samples {
        add_probe(&f, s, cx);
    }
    let mut registry = Registry::default();
    registry.register(
        "golive_probe_success",
        "Whether the probe passed (1: pass or warn, 0: fail or error); absent for a skipped probe",
        f.success,
    );
    registry.register(
        "golive_probe_status",
        "The probe's verdict: 1 for its status (pass, warn, fail, error, skip), 0 for the others",
        f.status,
    );
    registry.register("golive_probe_duration_seconds", "Wall time of the probe's last run", f.duration);
    registry.register(
        "probe_success",
        "blackbox_exporter's name for golive_probe_success: 1 pass or warn, 0 fail or error",
        f.blackbox_success,
    );
    registry.register(
        "probe_duration_seconds",
        "blackbox_exporter's name for golive_probe_duration_seconds",
        f.blackbox_duration,
    );
    registry.register(
        "golive_probe_measured_timestamp_seconds",
        "When the probe's last run ended (results are cached for --min-interval)",
        f.measured,
    );
    registry.register(
        "golive_probe_http_status_code",
        "The HTTP status of the last partner answer the probe judged",
        f.http_code,
    );
    registry.register(
        "golive_probe_http_status_class",
        "The class of the last partner answer: 1 for its class (1xx to 5xx), 0 for the others",
        f.http_class,
    );
    registry.register(
        "golive_cert_not_after_timestamp_seconds",
        "When a certificate expires (cert=client: the program certificate; cert=server: the partner's leaf)",
        f.cert_not_after,
    );
    registry.register(
        "golive_fcrdns_success",
        "Forward-confirmed reverse DNS of one calling IP (1: PTR and forward records agree with the certificate)",
        f.fcrdns,
    );
    registry.register(
        "golive_probe_error_class",
        "Why the probe failed or reached no verdict: 1 with its stable error class (class=unknown-ca, http-status, ...); absent when it passed",
        f.error_class,
    );
    let mut out = String::with_capacity(512 + samples.len() * 1024);
    // Writing into a String cannot fail.
    let _ = prometheus_text::encode(&mut out, &registry);
    out
}

fn base_labels(r: &ProbeReport, cx: &Context<'_>) -> Labels {
    vec![
        ("env".into(), cx.env.to_string()),
        ("pack".into(), r.pack.clone()),
        ("probe".into(), r.id.clone()),
        ("kind".into(), r.kind.clone()),
        ("egress".into(), cx.egress.to_string()),
    ]
}

fn with(base: &Labels, key: &str, value: impl Into<String>) -> Labels {
    let mut l = base.clone();
    l.push((key.to_string(), value.into()));
    l
}

/// The statuses in the order `golive_probe_status` lists them.
pub const STATUSES: [Status; 5] = [Status::Pass, Status::Warn, Status::Fail, Status::Error, Status::Skip];

/// 1 for a probe that passed or warned, 0 for one that failed or reached no
/// verdict, `None` for a skipped one.
pub fn success(status: Status) -> Option<i64> {
    match status {
        Status::Pass | Status::Warn => Some(1),
        Status::Fail | Status::Error => Some(0),
        Status::Skip => None,
    }
}

fn add_probe(f: &ProbeFamilies, s: &Sample<'_>, cx: &Context<'_>) {
    let r = s.report;
    let base = base_labels(r, cx);
    if let Some(v) = success(r.status) {
        f.success.get_or_create(&base).set(v);
        f.blackbox_success.get_or_create(&base).set(v);
    }
    for status in STATUSES {
        f.status.get_or_create(&with(&base, "status", status.as_str())).set(i64::from(status == r.status));
    }
    f.duration.get_or_create(&base).set(r.duration_ms as f64 / 1000.0);
    f.blackbox_duration.get_or_create(&base).set(r.duration_ms as f64 / 1000.0);
    f.measured.get_or_create(&base).set(s.at_unix);
    if let Some(code) = partner_status(r, cx) {
        f.http_code.get_or_create(&base).set(i64::from(code));
        for class in 1..=5u16 {
            f.http_class.get_or_create(&with(&base, "class", format!("{class}xx"))).set(i64::from(code / 100 == class));
        }
    }
    for (which, at) in cert_expiries(r) {
        f.cert_not_after.get_or_create(&with(&base, "cert", which)).set(at);
    }
    if let Some(class) = r.error_class {
        f.error_class.get_or_create(&with(&base, "class", class.as_str())).set(1);
    }
    for (ip, ok) in fcrdns_verdicts(r) {
        f.fcrdns.get_or_create(&with(&base, "ip", ip)).set(i64::from(ok));
    }
}

/// The HTTP status of the answer that decided the probe, when it came from
/// the partner's API: the `status` fact, with a `request` fact under the
/// pack's base URL (a merchant's webhook endpoint or website is not the
/// partner). A probe without a `request` fact (e.g. `apikey`) talks to the
/// partner only.
pub fn partner_status(r: &ProbeReport, cx: &Context<'_>) -> Option<u16> {
    let status = r.facts.get("status")?.as_u64().and_then(|s| u16::try_from(s).ok())?;
    if r.kind == "webhook" {
        return None;
    }
    let base = cx.base_urls.get(&r.pack)?;
    match r.facts.get("request").and_then(|v| v.as_str()) {
        // `METHOD URL`.
        Some(request) => {
            let url = request.split_once(' ').map_or(request, |(_, u)| u);
            url.starts_with(base.trim_end_matches('/')).then_some(status)
        }
        None => Some(status),
    }
}

/// The `not_after` of the certificates a probe inspected, as Unix times:
/// the client (program) certificate of a `cert` probe, the partner's leaf of
/// a `tls` or `mtls` probe.
pub fn cert_expiries(r: &ProbeReport) -> Vec<(&'static str, f64)> {
    let parse = |v: Option<&serde_json::Value>| {
        let text = v?.as_str()?;
        let t = time::OffsetDateTime::parse(text, &time::format_description::well_known::Rfc3339).ok()?;
        Some(t.unix_timestamp() as f64)
    };
    let mut out = Vec::new();
    match r.kind.as_str() {
        "cert" => out.extend(parse(r.facts.get("not_after")).map(|t| ("client", t))),
        "tls" | "mtls" => {
            let leaf = r.facts.get("server_chain").and_then(|c| c.as_array()).and_then(|c| c.first());
            out.extend(parse(leaf.and_then(|l| l.get("not_after"))).map(|t| ("server", t)));
        }
        _ => {}
    }
    out
}

/// The verdict for each calling IP of an `fcrdns` probe, from its `ip ADDR`
/// checks: true when it passed or warned.
pub fn fcrdns_verdicts(r: &ProbeReport) -> Vec<(String, bool)> {
    if r.kind != "fcrdns" {
        return Vec::new();
    }
    r.checks
        .iter()
        .filter_map(|c| {
            let ip: std::net::IpAddr = c.name.strip_prefix("ip ")?.parse().ok()?;
            Some((ip.to_string(), matches!(c.status, Status::Pass | Status::Warn)))
        })
        .collect()
}

/// golive's own counters, shown at `/metrics`.
pub struct ProcessMetrics {
    registry: Registry,
    /// Scrapes by endpoint (`probe`, `metrics`) and answer code.
    pub scrapes: Family<Vec<(String, String)>, Counter>,
    /// Probe results served from the cache.
    pub cache_hits: Counter,
    /// Probe results that waited for another scrape's run.
    pub shared_runs: Counter,
    /// Runs of the runner (each runs one or more probes).
    pub runs: Counter,
    /// Probes run, by probe id.
    pub probe_runs: Family<Vec<(String, String)>, Counter>,
    /// Probes in the cache.
    pub cached: Gauge,
    /// Connections the exporter closed, by reason (`limit`, `header-timeout`).
    pub connections_closed: Family<Vec<(String, String)>, Counter>,
    /// Resident memory, read at each `/metrics` scrape.
    pub resident_memory: Gauge,
    /// When the exporter started.
    pub start_time: FloatGauge,
}

impl Default for ProcessMetrics {
    fn default() -> Self {
        ProcessMetrics::new()
    }
}

impl ProcessMetrics {
    /// Registers every process metric.
    pub fn new() -> ProcessMetrics {
        let mut registry = Registry::default();
        let scrapes = Family::default();
        let cache_hits = Counter::default();
        let shared_runs = Counter::default();
        let runs = Counter::default();
        let probe_runs = Family::default();
        let cached = Gauge::default();
        let connections_closed = Family::default();
        let resident_memory = Gauge::default();
        let start_time = FloatGauge::default();
        registry.register("golive_exporter_scrapes", "Scrapes answered, by endpoint and HTTP code", scrapes.clone());
        registry.register(
            "golive_exporter_cache_hits",
            "Probe results served from the cache (younger than --min-interval)",
            cache_hits.clone(),
        );
        registry.register(
            "golive_exporter_shared_runs",
            "Probe results that waited for a run another scrape had started (single flight)",
            shared_runs.clone(),
        );
        registry.register("golive_exporter_runs", "Runs started against the partners", runs.clone());
        registry.register("golive_exporter_probe_runs", "Probe runs, by probe", probe_runs.clone());
        registry.register("golive_exporter_cached_probes", "Probes with a cached result", cached.clone());
        registry.register(
            "golive_exporter_connections_closed",
            "Connections closed by the exporter: `limit` (more than --max-connections), `header-timeout` (no full request headers within --header-timeout)",
            connections_closed.clone(),
        );
        registry.register("process_resident_memory_bytes", "Resident memory size in bytes", resident_memory.clone());
        registry.register(
            "process_start_time_seconds",
            "Start time of the process since the Unix epoch",
            start_time.clone(),
        );
        start_time.set(now_unix());
        ProcessMetrics {
            registry,
            scrapes,
            cache_hits,
            shared_runs,
            runs,
            probe_runs,
            cached,
            connections_closed,
            resident_memory,
            start_time,
        }
    }

    /// Counts one scrape of `endpoint` answered with `code`.
    pub fn scraped(&self, endpoint: &str, code: u16) {
        self.scrapes
            .get_or_create(&vec![("endpoint".into(), endpoint.into()), ("code".into(), code.to_string())])
            .inc();
    }

    /// Counts a connection the exporter closed, and why.
    pub fn closed(&self, reason: &str) {
        self.connections_closed.get_or_create(&vec![("reason".into(), reason.into())]).inc();
    }

    /// The exposition of the process metrics.
    pub fn encode(&self) -> String {
        if let Some(rss) = resident_memory_bytes() {
            self.resident_memory.set(rss as i64);
        }
        let mut out = String::new();
        let _ = prometheus_text::encode(&mut out, &self.registry);
        out
    }
}

/// Seconds since the Unix epoch.
pub fn now_unix() -> f64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0.0, |d| d.as_secs_f64())
}

/// A Unix time as RFC 3339, UTC, to the second.
pub fn rfc3339(unix: f64) -> String {
    time::OffsetDateTime::from_unix_timestamp(unix as i64)
        .ok()
        .and_then(|t| t.format(&time::format_description::well_known::Rfc3339).ok())
        .unwrap_or_default()
}

/// Resident memory of this process (Linux: `/proc/self/statm`, in pages of
/// the system's page size: 4 KiB on x86_64, 16 or 64 KiB on some arm64 kernels).
pub fn resident_memory_bytes() -> Option<u64> {
    let statm = std::fs::read_to_string("/proc/self/statm").ok()?;
    let pages: u64 = statm.split_whitespace().nth(1)?.parse().ok()?;
    Some(pages * rustix::param::page_size() as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The kernel's own figure in bytes (`VmRSS`, always in kB), against the
    /// pages of statm times the page size: a page size assumed wrong is off
    /// by a factor of 4 or 16.
    #[test]
    fn resident_memory_reads_pages_of_the_real_size() {
        let Ok(status) = std::fs::read_to_string("/proc/self/status") else { return };
        let kb: u64 = status
            .lines()
            .find_map(|l| l.strip_prefix("VmRSS:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
            .expect("VmRSS in /proc/self/status");
        let bytes = resident_memory_bytes().expect("statm");
        let kernel = kb * 1024;
        assert!(bytes > kernel / 2 && bytes < kernel * 2, "statm gives {bytes} bytes, VmRSS {kernel}");
    }
}
