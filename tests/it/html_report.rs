//! The HTML report's content, read back from the page (html5ever through
//! scraper) against the JSON report of the same run: the timeline places
//! every probe and step, certificates show their days left against the
//! pack's thresholds, a watch shows each probe's rounds and latency, and
//! `report merge` and stdout write it too. (The browser's view of the page is
//! `browser.rs`; hostile text in it is `hostile_text.rs`.)

use std::path::Path;

use scraper::{ElementRef, Html, Selector};

use crate::support::{golive_in, stderr, stdout};

fn select<'a>(html: &'a Html, css: &str) -> Vec<ElementRef<'a>> {
    html.select(&Selector::parse(css).expect("selector")).collect()
}

fn within<'a>(el: ElementRef<'a>, css: &str) -> Vec<ElementRef<'a>> {
    el.select(&Selector::parse(css).expect("selector")).collect()
}

fn text(el: ElementRef<'_>) -> String {
    el.text().collect()
}

/// Runs golive in `dir` with an HTML and a JSON report; returns both.
fn reports(dir: &Path, args: &[&str]) -> (Html, serde_json::Value) {
    let mut all: Vec<&str> = args.to_vec();
    all.extend(["--no-progress", "--report", "html=r.html", "--report", "json=r.json"]);
    let out = golive_in(dir, &all, &[]);
    assert!(matches!(out.status.code(), Some(0 | 1)), "{}{}", stdout(&out), stderr(&out));
    let page = std::fs::read_to_string(dir.join("r.html")).expect("html report");
    let json = std::fs::read_to_string(dir.join("r.json")).expect("json report");
    (Html::parse_document(&page), serde_json::from_str(&json).expect("json"))
}

#[test]
fn the_timeline_places_every_probe_at_its_start_and_every_step_under_it() {
    let dir = tempfile::tempdir().expect("dir");
    let (html, report) = reports(dir.path(), &["verify", "--env", "demo", "--scenario", "cert-expiring-soon"]);
    let rows = select(&html, "#timeline tbody tr");
    let total = report["probes"].as_array().expect("probes").len();
    let probe_rows: Vec<ElementRef<'_>> = rows.iter().copied().filter(|r| !within(*r, "th a").is_empty()).collect();
    assert_eq!(probe_rows.len(), total, "one row per probe");
    for p in report["probes"].as_array().expect("probes") {
        let id = p["id"].as_str().expect("id");
        let row = probe_rows.iter().find(|r| within(**r, "th a").iter().any(|a| text(*a) == id)).expect("row");
        let cells: Vec<String> = within(*row, "td").into_iter().map(text).collect();
        if p["status"] == "skip" {
            assert_eq!(cells[0], "skipped", "{id}");
            continue;
        }
        let started = p["started_ms"].as_u64().expect("started_ms");
        let shown = if started < 1000 { format!("{started} ms") } else { format!("{:.1} s", started as f64 / 1000.0) };
        assert_eq!(cells[0], shown, "{id} starts when the JSON says");
        let bar = within(*row, ".bar").into_iter().next().unwrap_or_else(|| panic!("{id} has a bar"));
        assert!(bar.value().attr("style").is_some_and(|s| s.starts_with("left:") && s.contains(";width:")), "{id}");
        let phases = p["phases"].as_array().map_or(0, Vec::len);
        assert_eq!(within(bar, ".seg").len(), phases, "{id}: one segment per phase");
    }
    // A flow's steps each get a row under their probe.
    let steps = rows.iter().filter(|r| r.value().attr("class").is_some_and(|c| c.contains("step"))).count();
    assert!(steps >= 4, "the website flows' steps have rows: {steps}");

    // The certificate expiring in 10 days: a warning bar against 30 and 5 days.
    let cert = select(&html, r#"article[data-probe="axys-cert"] figure.cert"#);
    let figure = cert.first().expect("axys-cert has a days-left bar");
    assert!(figure.value().attr("class").is_some_and(|c| c.contains("warn")), "{}", figure.html());
    let caption = text(within(*figure, "figcaption")[0]);
    let days = report["probes"].as_array().expect("probes").iter().find(|p| p["id"] == "axys-cert").expect("axys-cert")
        ["facts"]["days_left"]
        .as_i64()
        .expect("days_left");
    assert!(caption.contains(&format!("{days} days left")), "{caption}");
    assert!(caption.contains("warns at 30 days") && caption.contains("fails at 5 days"), "{caption}");
    let zone = within(*figure, ".zone.fail")[0].value().attr("style").unwrap_or("");
    assert_eq!(zone, "width:5.56%", "5 of 90 days");
}

#[test]
fn a_watch_report_shows_each_probes_rounds_as_a_strip_and_its_latency() {
    let dir = tempfile::tempdir().expect("dir");
    let args = ["verify", "--env", "demo", "--scenario", "starts-403-halfway", "--watch", "100ms", "--for", "1s"];
    let (html, watch) = reports(dir.path(), &args);
    assert_eq!(watch["mode"], "watch");
    let rounds = watch["rounds"].as_array().expect("rounds");
    assert!(rounds.len() >= 2, "{watch:#}");
    for p in watch["probes"].as_array().expect("probes") {
        let id = p["id"].as_str().expect("id");
        let row = select(&html, &format!(r#"#history tr[data-probe="{id}"]"#));
        let row = row.first().unwrap_or_else(|| panic!("{id} has a history row"));
        let cells: Vec<String> = within(*row, ".cell")
            .iter()
            .map(|c| c.value().attr("class").unwrap_or("").trim_start_matches("cell ").to_string())
            .collect();
        let expected: Vec<String> = rounds
            .iter()
            .filter_map(|r| r["probes"].as_array()?.iter().find(|rp| rp["id"] == id))
            .map(|rp| rp["status"].as_str().unwrap_or("").to_string())
            .collect();
        assert_eq!(cells, expected, "{id}: one cell per round, coloured by its status");
        let ran = expected.iter().filter(|s| *s != "skip").count();
        let points = within(*row, "polyline")
            .first()
            .and_then(|l| l.value().attr("points"))
            .map_or(0, |pts| pts.split(' ').count());
        assert_eq!(points, ran, "{id}: a latency point per round it ran");
        let worst = within(*row, ".badge").first().map(|b| text(*b)).unwrap_or_default();
        assert_eq!(worst, p["worst"].as_str().unwrap_or(""), "{id}");
    }
}

#[test]
fn report_merge_and_stdout_write_html_too() {
    let dir = tempfile::tempdir().expect("dir");
    for egress in ["nat-a", "nat-b"] {
        let args = ["verify", "--env", "demo", "--egress", egress, "--format", "json", "--no-progress"];
        let out = golive_in(dir.path(), &args, &[]);
        std::fs::write(dir.path().join(format!("{egress}.json")), &out.stdout).expect("report");
    }
    let out = golive_in(dir.path(), &["report", "merge", "nat-a.json", "nat-b.json", "--format", "html"], &[]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let html = Html::parse_document(&stdout(&out));
    let facts: Vec<String> = select(&html, "dl.facts dd").into_iter().map(text).collect();
    assert!(facts.contains(&"nat-a, nat-b".to_string()), "the header names both egresses: {facts:?}");
    assert!(!select(&html, "#timeline").is_empty() && !select(&html, "article.probe").is_empty());
}
