//! `GET /report`: the HTML report (see [`crate::report::html`]) of what the
//! exporter's scrapes produced: every read-only probe's latest result by
//! runbook stage, and its last runs as a strip with its latency over time.
//! Nothing runs for this page; a probe no scrape asked for yet is named as such.

use super::Exporter;
use super::cache::HISTORY;
use crate::report::html::{self, History, Series};
use crate::report::{Counts, RunSummary, SCHEMA_VERSION};

/// The page of `exporter`'s latest results and history.
pub fn render(exporter: &Exporter) -> String {
    let read_only: Vec<_> = exporter.probes.iter().filter(|p| !p.mutating).collect();
    let latest: Vec<_> = read_only.iter().filter_map(|p| exporter.cache.latest(&p.id)).collect();
    let probes: Vec<_> = latest.iter().map(|c| (*c.report).clone()).collect();
    let never: Vec<&str> =
        read_only.iter().filter(|p| !probes.iter().any(|r| r.id == p.id)).map(|p| p.id.as_str()).collect();
    let series = probes
        .iter()
        .map(|r| Series { id: r.id.clone(), title: r.title.clone(), points: exporter.cache.history(&r.id) })
        .collect();
    let mut heading = format!("the last {HISTORY} runs of each probe at most, as Prometheus's scrapes asked for them");
    if !never.is_empty() {
        heading.push_str(&format!("; not scraped yet: {}", never.join(", ")));
    }
    let started = exporter.metrics.start_time.get();
    let summary = RunSummary {
        schema: SCHEMA_VERSION,
        golive_version: env!("CARGO_PKG_VERSION").to_string(),
        env: exporter.env_name.clone(),
        egress: exporter.opts.egress.clone(),
        packs: exporter.targets.iter().map(|(_, pack)| pack.name.clone()).collect(),
        started_at: super::metrics::rfc3339(started),
        duration_ms: ((super::metrics::now_unix() - started).max(0.0) * 1000.0) as u64,
        summary: Counts::of(&probes),
        probes,
        off: Vec::new(),
    };
    let mut out = Vec::new();
    // Writing into a Vec cannot fail.
    let _ = html::render_history(&summary, &History { heading, series }, "golive serve", &mut out);
    String::from_utf8_lossy(&out).into_owned()
}
