//! `golive serve` in blackbox_exporter's terms: `/probe?module=ID|TAG&target=ENV`,
//! `debug=true`, the scrape deadline Prometheus sends, unknown parameters
//! refused; `/report` with each probe's history; the Grafana dashboard of
//! `golive dashboard` and the rules of `golive alerts` in a real Prometheus
//! that scraped it.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::{Duration, Instant};

use golive::exporter::{Exporter, ExporterOptions};
use golive_fakes::{Fakes, Scenario};

use crate::exporter::{Prometheus, fetch, have, scrape_config, serve_in_process, start_serve};
use crate::support::demo_targets;
use crate::support::{Watchdog, golive, stderr, stdout};

/// The `probe` label of every sample line of an exposition.
fn probes_of(exposition: &str) -> BTreeSet<String> {
    exposition
        .lines()
        .filter(|l| !l.starts_with('#'))
        .filter_map(|l| l.split("probe=\"").nth(1)?.split('"').next().map(str::to_string))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_module_runs_one_probe_or_a_tag_and_every_other_query_is_a_400() {
    let _watchdog = Watchdog::new("blackbox module", Duration::from_secs(180));
    let fakes = Fakes::start(Scenario::Healthy).await.expect("fakes start");
    let opts = ExporterOptions { min_interval: Duration::from_secs(3600), ..ExporterOptions::default() };
    let exporter = Arc::new(Exporter::new("demo", demo_targets(&fakes), opts).expect("exporter"));
    let (addr, _stop) = serve_in_process(Arc::clone(&exporter)).await;
    let client = reqwest::Client::new();

    let (code, body) = fetch(&client, &addr, "/probe?module=axys-auth&target=demo").await;
    assert_eq!(code, 200, "{body}");
    assert_eq!(probes_of(&body), BTreeSet::from(["axys-auth".to_string()]), "one probe:\n{body}");
    for name in ["golive_probe_success{", "probe_success{", "golive_probe_duration_seconds{", "probe_duration_seconds{"]
    {
        assert!(body.lines().any(|l| l.starts_with(name)), "`{name}` beside golive's own names:\n{body}");
    }
    let (_, own) = fetch(&client, &addr, "/metrics").await;
    assert!(own.contains("golive_exporter_probe_runs_total{probe=\"axys-auth\"} 1\n"), "{own}");
    assert!(!own.contains("probe=\"pai-"), "no other partner's probe ran:\n{own}");

    // A tag as module: every read-only probe with it.
    let (code, body) = fetch(&client, &addr, "/probe?module=security").await;
    assert_eq!(code, 200, "{body}");
    assert_eq!(probes_of(&body), BTreeSet::from(["axys-exposure".into(), "pai-exposure".into()]), "{body}");

    // Refused with a 400 that says what is accepted.
    for (query, says) in [
        ("module=nope", &["no module `nope`", "axys-auth", "launch-day"][..]),
        // Issue 28: `?target=axys-auth` ran every probe.
        ("target=axys-auth", &["target `axys-auth` is not this exporter's environment `demo`", "module=ID|TAG"][..]),
        ("module=axys-auth&targt=demo", &["unknown parameter `targt`", "module=ID|TAG"][..]),
        ("module=axys-auth&debug=yes", &["debug=true or debug=false"][..]),
        ("module=pai-key-exchange", &["never runs a mutating probe"][..]),
    ] {
        let (code, body) = fetch(&client, &addr, &format!("/probe?{query}")).await;
        assert_eq!(code, 400, "{query}: {body}");
        for needle in says {
            assert!(body.contains(needle), "{query}: `{needle}` in {body}");
        }
    }

    // debug=true: the probe's log and result, then the metrics, as text.
    let r = client.get(format!("http://{addr}/probe?module=axys-auth&debug=true")).send().await.expect("debug");
    assert!(r.headers()["content-type"].to_str().is_ok_and(|c| c.starts_with("text/plain")));
    let body = r.text().await.expect("body");
    for needle in [
        "Logs for the probe",
        " tls 127.0.0.1:",
        " http GET https://127.0.0.1:",
        "/v2/cardholders → 200 in ",
        "Result: pass",
        "pass status: GET https://127.0.0.1:",
        "Metrics that would have been returned:",
        "golive_probe_success{",
    ] {
        assert!(body.contains(needle), "`{needle}` in the debug page:\n{body}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_scrape_answers_by_prometheus_deadline_even_when_the_partner_hangs() {
    let _watchdog = Watchdog::new("blackbox deadline", Duration::from_secs(180));
    let fakes = Fakes::start(Scenario::PartnerHangs).await.expect("fakes start");
    let exporter = Arc::new(Exporter::new("demo", demo_targets(&fakes), ExporterOptions::default()).expect("exporter"));
    let (addr, _stop) = serve_in_process(Arc::clone(&exporter)).await;
    let client = reqwest::Client::new();
    let scrape = |timeout: &'static str| {
        client
            .get(format!("http://{addr}/probe?module=axys-auth&debug=true"))
            .header("X-Prometheus-Scrape-Timeout-Seconds", timeout)
            .send()
    };
    // The partner answers after 30 s, the probe's deadline is 10 s: only the
    // scrape's deadline (1.5 s less half a second) can end this answer so.
    let body = scrape("1.5").await.expect("answered").text().await.expect("body");
    assert!(body.contains("did not finish within the scrape's deadline of 1s"), "{body}");
    assert!(body.contains("status=\"error\"} 1"), "{body}");
    assert!(body.contains("probe_success{") && body.contains("} 0\n"), "{body}");
    let r = scrape("soon").await.expect("answered");
    assert_eq!(r.status().as_u16(), 400);
    assert!(r.text().await.expect("body").contains("X-Prometheus-Scrape-Timeout-Seconds `soon`"));
}

/// `/report`: the HTML page of the latest results, each probe's runs as a strip.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_exporters_report_shows_each_probes_runs_as_a_strip() {
    let _watchdog = Watchdog::new("blackbox report", Duration::from_secs(180));
    let fakes = Fakes::start(Scenario::Healthy).await.expect("fakes start");
    let opts = ExporterOptions { min_interval: Duration::ZERO, ..ExporterOptions::default() };
    let exporter = Arc::new(Exporter::new("demo", demo_targets(&fakes), opts).expect("exporter"));
    let (addr, _stop) = serve_in_process(Arc::clone(&exporter)).await;
    let client = reqwest::Client::new();
    for _ in 0..3 {
        assert_eq!(fetch(&client, &addr, "/probe?module=axys-cert").await.0, 200);
    }
    let (code, page) = fetch(&client, &addr, "/report").await;
    assert_eq!(code, 200);
    let html = scraper::Html::parse_document(&page);
    let sel = |css: &str| scraper::Selector::parse(css).expect("selector");
    let row = html.select(&sel(r#"#history tr[data-probe="axys-cert"]"#)).next().expect("a history row");
    let cells: Vec<_> = row.select(&sel(".cell")).map(|c| c.value().attr("class").unwrap_or("").to_string()).collect();
    assert_eq!(cells, ["cell pass", "cell pass", "cell pass"], "three runs, each a cell");
    assert!(row.select(&sel("svg.spark polyline")).next().is_some(), "latency over time");
    assert!(html.select(&sel(r#"article[data-probe="axys-cert"]"#)).next().is_some(), "its latest report");
    assert!(page.contains("not scraped yet: axys-tls"), "probes never asked for are named");
}

#[test]
fn every_dashboard_query_and_alert_rule_works_in_a_prometheus_that_scraped_serve() {
    let _watchdog = Watchdog::new("blackbox dashboard", Duration::from_secs(300));
    let out = golive(&["dashboard"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let board: serde_json::Value = serde_json::from_str(&stdout(&out)).expect("the dashboard is JSON");
    assert_eq!(board["schemaVersion"], golive::exporter::dashboard::SCHEMA_VERSION);
    let queries = golive::exporter::dashboard::queries(&board);
    assert!(queries.len() >= 10, "{queries:?}");
    let alerts = golive(&["alerts", "--env", "demo", "--for", "10s"]);
    assert_eq!(alerts.status.code(), Some(0), "{}", stderr(&alerts));
    if !have("prometheus") {
        return;
    }
    let (_serve, addr) = start_serve(&["--env", "demo", "--min-interval", "1s", "--egress", "nat-a"]);
    let every: Vec<&str> = crate::exporter::DEMO_READ_ONLY.to_vec();
    let prometheus =
        Prometheus::start(&scrape_config(&addr, &every, &["rules.yml"]), &[("rules.yml", &stdout(&alerts))]);
    // The dashboard's variables as Grafana fills them: this environment, All.
    let fill = |q: &str| {
        q.replace("$env", "demo").replace("$egress", ".*").replace("$probe", ".*").replace("$__rate_interval", "1m")
    };
    // Bounded: a few scrapes (and two for a rate) are all it needs.
    let give_up = Instant::now() + Duration::from_secs(150);
    let mut empty: Vec<(String, serde_json::Value)> = Vec::new();
    while Instant::now() < give_up {
        empty = queries
            .iter()
            .map(|q| (q.clone(), prometheus.query(&fill(q))))
            .filter(|(_, a)| a["status"] != "success" || a["data"]["result"].as_array().is_none_or(Vec::is_empty))
            .collect();
        if empty.is_empty() {
            break;
        }
        std::thread::sleep(Duration::from_millis(500));
    }
    assert!(empty.is_empty(), "dashboard queries invalid or without series: {empty:#?}");
    // The rules loaded and evaluate; with the exporter up, it is not down.
    let rules = || -> Vec<serde_json::Value> {
        let answer = prometheus.api("/api/v1/rules", &[]);
        let groups = answer["data"]["groups"].as_array().cloned().unwrap_or_default();
        groups.iter().flat_map(|g| g["rules"].as_array().cloned().unwrap_or_default()).collect()
    };
    assert_eq!(rules().len(), stdout(&alerts).matches("- alert: ").count(), "every rule loaded");
    let give_up = Instant::now() + Duration::from_secs(60);
    let mut unhealthy = Vec::new();
    while Instant::now() < give_up {
        unhealthy = rules()
            .iter()
            .filter(|r| r["health"] != "ok")
            .map(|r| format!("{} {}: {}", r["name"], r["health"], r["lastError"]))
            .collect();
        if unhealthy.is_empty() {
            break;
        }
        std::thread::sleep(Duration::from_millis(500));
    }
    assert!(unhealthy.is_empty(), "rules that do not evaluate: {unhealthy:#?}");
    let firing = prometheus.api("/api/v1/alerts", &[]);
    assert!(!firing.to_string().contains("GoliveExporterDown"), "the exporter is up: {firing}");
}
