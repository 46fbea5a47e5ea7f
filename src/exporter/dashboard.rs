//! `golive dashboard`: a Grafana dashboard (classic JSON model, schema
//! version [`SCHEMA_VERSION`]) for the metrics of `golive serve`: what fails
//! now, each probe's status over time, its duration, the certificates' days
//! left, each egress's verdicts, the partner's HTTP statuses, FCrDNS per
//! calling IP, and the exporter itself.
//!
//! The dashboard knows no environment: its variables (`env`, `egress`,
//! `probe`) are read from the series, and its data source is a variable too,
//! so one import serves every exporter. Every query is written so that it
//! returns series whenever the exporter is scraped (a count of failures is 0,
//! not empty): the test runs each one in a real Prometheus.

use serde_json::{Value, json};

/// Grafana's current dashboard schema version (Grafana's
/// `apps/dashboard/pkg/migration/schemaversion/migrations.go`, `LATEST_VERSION`).
pub const SCHEMA_VERSION: u32 = 42;

/// The selector every probe query shares: the dashboard's variables.
const SEL: &str = r#"env=~"$env", egress=~"$egress", probe=~"$probe""#;

/// A panel's place on the 24-column grid.
struct Grid {
    x: u32,
    y: u32,
    w: u32,
    h: u32,
}

fn grid(x: u32, y: u32, w: u32, h: u32) -> Grid {
    Grid { x, y, w, h }
}

/// A query of a panel: PromQL, legend, instant or range.
struct Query {
    expr: String,
    legend: &'static str,
    instant: bool,
}

fn range(expr: String, legend: &'static str) -> Query {
    Query { expr, legend, instant: false }
}

fn instant(expr: String, legend: &'static str) -> Query {
    Query { expr, legend, instant: true }
}

fn panel(id: u32, kind: &str, title: &str, description: &str, at: Grid, queries: Vec<Query>, extra: Value) -> Value {
    let targets: Vec<Value> = queries
        .iter()
        .enumerate()
        .map(|(i, q)| {
            json!({
                "datasource": { "type": "prometheus", "uid": "${datasource}" },
                "refId": char::from(b'A' + i as u8).to_string(),
                "expr": q.expr,
                "legendFormat": q.legend,
                "instant": q.instant,
                "range": !q.instant,
                "format": if kind == "table" { "table" } else { "time_series" },
            })
        })
        .collect();
    let mut p = json!({
        "id": id,
        "type": kind,
        "title": title,
        "description": description,
        "datasource": { "type": "prometheus", "uid": "${datasource}" },
        "gridPos": { "x": at.x, "y": at.y, "w": at.w, "h": at.h },
        "targets": targets,
    });
    if let (Value::Object(p), Value::Object(extra)) = (&mut p, extra) {
        p.extend(extra);
    }
    p
}

/// Threshold steps from the lowest: `(colour, from)`, the first from -∞.
fn steps(list: &[(&str, f64)]) -> Value {
    let steps: Vec<Value> = list
        .iter()
        .enumerate()
        .map(|(i, (colour, from))| json!({ "color": colour, "value": if i == 0 { Value::Null } else { json!(from) } }))
        .collect();
    json!({ "mode": "absolute", "steps": steps })
}

/// Red below 7 days, orange below 30, green above.
fn days() -> Value {
    steps(&[("red", 0.0), ("orange", 7.0), ("green", 30.0)])
}

/// Red for 0, green from 1: a success series, a count that should not be 0.
fn red_green() -> Value {
    steps(&[("red", 0.0), ("green", 1.0)])
}

/// A stat panel of one instant query, coloured by `thresholds`.
fn stat(id: u32, title: &str, description: &str, at: Grid, query: Query, thresholds: Value, unit: &str) -> Value {
    panel(
        id,
        "stat",
        title,
        description,
        at,
        vec![query],
        json!({ "fieldConfig": { "defaults": { "thresholds": thresholds, "unit": unit, "decimals": 0 }, "overrides": [] },
                "options": { "colorMode": "background", "reduceOptions": { "calcs": ["lastNotNull"] } } }),
    )
}

/// A state timeline of 0/1 series shown as fail/pass.
fn pass_fail_timeline(id: u32, title: &str, description: &str, at: Grid, query: Query) -> Value {
    panel(
        id,
        "state-timeline",
        title,
        description,
        at,
        vec![query],
        json!({ "fieldConfig": { "defaults": { "mappings": pass_fail(), "color": { "mode": "thresholds" },
                    "thresholds": red_green() }, "overrides": [] },
                "options": { "showValue": "never", "mergeValues": true, "rowHeight": 0.8 } }),
    )
}

/// Value mappings of a 0/1 success series: 1 pass, 0 fail.
fn pass_fail() -> Value {
    json!([{
        "type": "value",
        "options": {
            "0": { "text": "fail", "color": "red", "index": 0 },
            "1": { "text": "pass", "color": "green", "index": 1 }
        }
    }])
}

fn variable(name: &str, label: &str, query: &str, all: bool) -> Value {
    json!({
        "name": name,
        "label": label,
        "type": "query",
        "datasource": { "type": "prometheus", "uid": "${datasource}" },
        "query": { "query": query, "refId": "PrometheusVariableQueryEditor-VariableQuery", "qryType": 1 },
        "definition": query,
        "refresh": 2,
        "sort": 1,
        "multi": all,
        "includeAll": all,
        "allValue": if all { json!(".*") } else { Value::Null },
        "current": if all { json!({ "text": "All", "value": "$__all" }) } else { json!({}) },
    })
}

/// Every panel of the dashboard, in order.
pub fn panels() -> Vec<Value> {
    let success = format!("golive_probe_success{{{SEL}}}");
    let expiry = format!("(golive_cert_not_after_timestamp_seconds{{{SEL}}} - time()) / 86400");
    vec![
        stat(
            1,
            "Probes failing",
            "Probes whose last run failed or reached no verdict (golive_probe_success == 0).",
            grid(0, 0, 6, 4),
            instant(format!("count({success} == 0) or vector(0)"), "failing"),
            steps(&[("green", 0.0), ("red", 1.0)]),
            "none",
        ),
        stat(
            2,
            "Probes passing",
            "Probes whose last run passed or warned.",
            grid(6, 0, 6, 4),
            instant(format!("count({success} == 1) or vector(0)"), "passing"),
            steps(&[("blue", 0.0)]),
            "none",
        ),
        stat(
            3,
            "Probes reporting",
            "Probes with a result at the last scrape; 0 means the exporter is down or not scraped (the GoliveExporterDown alert).",
            grid(12, 0, 6, 4),
            instant(
                r#"count(count by (probe) (golive_probe_status{env=~"$env", egress=~"$egress"})) or vector(0)"#.into(),
                "probes",
            ),
            red_green(),
            "none",
        ),
        stat(
            4,
            "Soonest certificate expiry",
            "Days until the first of the watched certificates expires (program certificate and partner's leaf).",
            grid(18, 0, 6, 4),
            instant(format!("min({expiry})"), "days"),
            days(),
            "d",
        ),
        pass_fail_timeline(
            5,
            "Status by probe",
            "Each probe's verdict over time: pass (pass or warn) or fail (fail or error). Gaps: skipped or not scraped.",
            grid(0, 4, 24, 9),
            range(format!("max by (probe, egress) ({success})"), "{{probe}} {{egress}}"),
        ),
        panel(
            6,
            "table",
            "Latest verdict",
            "The status label of each probe's last run (pass, warn, fail, error, skip).",
            grid(0, 13, 12, 9),
            vec![instant(format!("golive_probe_status{{{SEL}}} == 1"), "")],
            json!({ "transformations": [{ "id": "organize", "options": {
                        "excludeByName": { "Time": true, "Value": true, "__name__": true, "instance": true, "job": true } } }] }),
        ),
        panel(
            7,
            "timeseries",
            "Probe duration",
            "Wall time of each probe's last run (golive_probe_duration_seconds).",
            grid(12, 13, 12, 9),
            vec![range(format!("golive_probe_duration_seconds{{{SEL}}}"), "{{probe}} {{egress}}")],
            json!({ "fieldConfig": { "defaults": { "unit": "s" }, "overrides": [] } }),
        ),
        panel(
            8,
            "bargauge",
            "Certificate days left",
            "Days left of the program certificate (cert=client) and the partner's leaf (cert=server).",
            grid(0, 22, 12, 8),
            vec![instant(expiry, "{{probe}} {{cert}} {{egress}}")],
            json!({ "fieldConfig": { "defaults": { "unit": "d", "decimals": 0, "min": 0, "thresholds": days() }, "overrides": [] },
                    "options": { "orientation": "horizontal", "displayMode": "gradient", "reduceOptions": { "calcs": ["lastNotNull"] } } }),
        ),
        panel(
            9,
            "timeseries",
            "Failing probes by egress",
            "How many probes fail from each network the exporters run in (--egress): an allowlist or FCrDNS problem shows in one egress only.",
            grid(12, 22, 12, 8),
            vec![range(format!("sum by (egress) (1 - {success})"), "{{egress}}")],
            json!({ "fieldConfig": { "defaults": { "min": 0, "decimals": 0 }, "overrides": [] } }),
        ),
        panel(
            10,
            "timeseries",
            "Partner HTTP status",
            "The HTTP status of the last partner answer each probe judged (403: allowlist or certificate; 5xx: the partner).",
            grid(0, 30, 12, 8),
            vec![range(format!("golive_probe_http_status_code{{{SEL}}}"), "{{probe}} {{egress}}")],
            json!({ "fieldConfig": { "defaults": { "decimals": 0 }, "overrides": [] } }),
        ),
        pass_fail_timeline(
            11,
            "FCrDNS by calling IP",
            "Forward-confirmed reverse DNS of each calling IP.",
            grid(12, 30, 12, 8),
            range(format!("golive_fcrdns_success{{{SEL}}}"), "{{ip}} {{egress}}"),
        ),
        panel(
            12,
            "timeseries",
            "Exporter: runs and cache",
            "Runs against the partners, and probe results served from the cache (/metrics of golive serve).",
            grid(0, 38, 24, 8),
            vec![
                range("sum(rate(golive_exporter_runs_total[$__rate_interval]))".into(), "runs/s"),
                range("sum(rate(golive_exporter_cache_hits_total[$__rate_interval]))".into(), "cache hits/s"),
            ],
            json!({ "fieldConfig": { "defaults": { "unit": "ops" }, "overrides": [] } }),
        ),
    ]
}

/// The whole dashboard.
pub fn dashboard(title: &str) -> Value {
    json!({
        "__inputs": [],
        "uid": "golive",
        "title": title,
        "description": "golive serve: partner go-live probes (golive dashboard)",
        "tags": ["golive", "blackbox"],
        "editable": true,
        "graphTooltip": 1,
        "schemaVersion": SCHEMA_VERSION,
        "version": 1,
        "refresh": "1m",
        "time": { "from": "now-6h", "to": "now" },
        "timezone": "utc",
        "annotations": { "list": [] },
        "links": [],
        "templating": { "list": [
            {
                "name": "datasource",
                "label": "Prometheus",
                "type": "datasource",
                "query": "prometheus",
                "current": {},
                "refresh": 1,
            },
            variable("env", "Environment", "label_values(golive_probe_status, env)", false),
            variable("egress", "Egress", r#"label_values(golive_probe_status{env=~"$env"}, egress)"#, true),
            variable("probe", "Probe", r#"label_values(golive_probe_status{env=~"$env"}, probe)"#, true),
        ] },
        "panels": panels(),
    })
}

/// Every PromQL query of the dashboard, in panel order: what the test runs.
pub fn queries(dashboard: &Value) -> Vec<String> {
    dashboard["panels"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|p| p["targets"].as_array().into_iter().flatten())
        .filter_map(|t| t["expr"].as_str().map(str::to_string))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_panel_has_a_unique_id_a_place_and_a_query() {
        let d = dashboard("golive");
        let panels = d["panels"].as_array().expect("panels");
        let mut ids: Vec<u64> = panels.iter().filter_map(|p| p["id"].as_u64()).collect();
        ids.dedup();
        assert_eq!(ids.len(), panels.len());
        assert!(panels.iter().all(|p| p["gridPos"]["w"].as_u64().is_some_and(|w| w <= 24)));
        assert_eq!(queries(&d).len(), 13);
        assert_eq!(d["schemaVersion"], 42);
    }
}
