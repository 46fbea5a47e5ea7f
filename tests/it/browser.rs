//! The HTML report in a real browser: Debian's `chromium`, headless, opens
//! the demo's report and a failing scenario's from a file:// URL.
//!
//! - The DOM it builds has the run's counts, every probe, and every probe
//!   that failed in the "needs attention" list and open in its stage.
//! - Every failed probe is visible: the same page with a probe script added
//!   (and its Content-Security-Policy removed, for that copy only) reports
//!   what the browser laid out (`checkVisibility`, `innerText`).
//! - Opening the page makes no request: chromium's network log holds no
//!   request the page started (a control page with an image and a style
//!   sheet on other hosts shows that the log would hold them).
//! - A screenshot of each is kept under `target/tmp/report-screenshots/` (CI
//!   uploads it as an artifact).
//!
//! Chromium never reaches the network here: every host resolves to nothing
//! and every request goes to a proxy on 127.0.0.1 where nothing listens.
//! Without chromium a test says so and passes, unless `CI` is set.
//! `GOLIVE_CHROMIUM` names another Chromium-based browser (e.g. google-chrome).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::Duration;

use scraper::{Html, Selector};

use crate::exporter::have_from;
use crate::support::{Watchdog, golive_in, output_within_limit, stderr, stdout};

/// A headless chromium with a profile of its own and no way out.
struct Chromium {
    profile: tempfile::TempDir,
}

/// The browser: Debian's `chromium`, or what `GOLIVE_CHROMIUM` names.
fn browser() -> String {
    std::env::var("GOLIVE_CHROMIUM").ok().filter(|b| !b.is_empty()).unwrap_or_else(|| "chromium".to_string())
}

impl Chromium {
    fn new() -> Option<Chromium> {
        have_from(&browser(), "chromium").then(|| Chromium { profile: tempfile::tempdir().expect("profile") })
    }

    /// Runs chromium on `page` with `extra` arguments; returns its output.
    fn run(&self, page: &Path, extra: &[String]) -> Output {
        let url = format!("file://{}", page.display());
        let mut cmd = Command::new(browser());
        cmd.args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            "--hide-scrollbars",
            // Nothing leaves the machine: no name resolves, and every request
            // (the browser's own included) goes to a port where nothing listens.
            "--host-resolver-rules=MAP * ~NOTFOUND",
            "--proxy-server=127.0.0.1:9",
        ])
        .arg(format!("--user-data-dir={}", self.profile.path().display()))
        .args(extra)
        .arg(url);
        let out = output_within_limit(&mut cmd);
        assert!(out.status.success(), "chromium on {}: {}", page.display(), stderr(&out));
        out
    }

    /// The DOM chromium built from `page`, and the URLs of the requests the
    /// page started (from chromium's network log).
    fn open(&self, page: &Path) -> (String, Vec<String>) {
        let log = self
            .profile
            .path()
            .join(format!("net-{}.json", page.file_name().and_then(|n| n.to_str()).unwrap_or("page")));
        let out = self.run(page, &[format!("--log-net-log={}", log.display()), "--dump-dom".into()]);
        (stdout(&out), page_requests(&log))
    }
}

/// Requests a page started, from a chromium network log: the
/// `URL_REQUEST_START_JOB` events whose initiator is an origin (the
/// browser's own requests say "not an origin").
fn page_requests(log: &Path) -> Vec<String> {
    let text = std::fs::read_to_string(log).unwrap_or_else(|e| panic!("chromium's network log {}: {e}", log.display()));
    // Chromium may end the log without closing its array when it exits.
    let doc: serde_json::Value = serde_json::from_str(&text)
        .or_else(|_| serde_json::from_str(&format!("{}]}}", text.trim_end().trim_end_matches(','))))
        .expect("chromium's network log is JSON");
    let start = doc["constants"]["logEventTypes"]["URL_REQUEST_START_JOB"].as_u64().expect("event type");
    doc["events"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|e| e["type"].as_u64() == Some(start))
        .filter(|e| e["params"]["initiator"].as_str() != Some("not an origin"))
        .filter_map(|e| e["params"]["url"].as_str().map(str::to_string))
        .collect()
}

/// Where the screenshots are kept for CI's artifact.
fn screenshot_dir() -> PathBuf {
    Path::new(env!("CARGO_TARGET_TMPDIR")).join("report-screenshots")
}

fn select<'a>(html: &'a Html, css: &str) -> Vec<scraper::ElementRef<'a>> {
    html.select(&Selector::parse(css).expect("selector")).collect()
}

/// The script added to the visibility copy: what the browser laid out of
/// every probe that did not pass and of the counts, as JSON in `#visibility`.
const PROBE_SCRIPT: &str = r#"<script>
const seen = [];
for (const el of document.querySelectorAll('article.probe, #attention li, #counts')) {
  const r = el.getBoundingClientRect();
  seen.push({ what: el.tagName + '.' + (el.dataset.status || el.id || ''), probe: el.dataset.probe || '',
    visible: el.checkVisibility({ checkOpacity: true, checkVisibilityCSS: true }) && r.width > 0 && r.height > 0,
    text: el.innerText });
}
const out = document.createElement('pre');
out.id = 'visibility';
out.textContent = JSON.stringify(seen);
document.body.appendChild(out);
</script>"#;

/// Runs `verify --env demo [--scenario]` with an HTML and a JSON report in `dir`.
fn demo_report(dir: &Path, scenario: Option<&str>) -> (PathBuf, serde_json::Value) {
    let name = scenario.unwrap_or("demo");
    let (html, json) = (dir.join(format!("{name}.html")), dir.join(format!("{name}.json")));
    let mut args = vec!["verify", "--env", "demo", "--no-progress", "--format", "json"];
    if let Some(s) = scenario {
        args.extend(["--scenario", s]);
    }
    let reports = [format!("html={}", html.display()), format!("json={}", json.display())];
    for r in &reports {
        args.extend(["--report", r.as_str()]);
    }
    let out = golive_in(dir, &args, &[]);
    assert!(matches!(out.status.code(), Some(0 | 1)), "{name}: {}", stderr(&out));
    let doc = serde_json::from_str(&std::fs::read_to_string(&json).expect("json report")).expect("json");
    (html, doc)
}

#[test]
fn the_demo_and_a_failing_scenario_render_in_a_real_browser_without_a_request() {
    let _watchdog = Watchdog::new("browser report", Duration::from_secs(300));
    let Some(chromium) = Chromium::new() else { return };
    let dir = tempfile::tempdir().expect("dir");
    std::fs::create_dir_all(screenshot_dir()).expect("screenshot folder");
    for scenario in [None, Some("ip-not-allowlisted")] {
        let name = scenario.unwrap_or("demo");
        let (page, report) = demo_report(dir.path(), scenario);
        let (dom, requests) = chromium.open(&page);
        assert!(requests.is_empty(), "{name}: opening the report made requests: {requests:?}");
        let html = Html::parse_document(&dom);

        // The counts of the header are the run's.
        for status in ["pass", "warn", "fail", "error", "skip"] {
            let shown: Vec<_> = select(&html, &format!("#counts li[data-status={status}]"));
            assert_eq!(shown.len(), 1, "{name}: one {status} count");
            let n = shown[0].value().attr("data-count").and_then(|n| n.parse::<u64>().ok());
            assert_eq!(n, report["summary"][status].as_u64(), "{name}: the {status} count");
        }
        // Every probe has its article with its status; every one that did not
        // pass is in the attention list and open.
        let probes = report["probes"].as_array().expect("probes");
        let articles: BTreeMap<String, String> = select(&html, "article.probe")
            .iter()
            .filter_map(|a| {
                Some((a.value().attr("data-probe")?.to_string(), a.value().attr("data-status")?.to_string()))
            })
            .collect();
        assert_eq!(articles.len(), probes.len(), "{name}: one article per probe");
        let attention: Vec<&str> = probes
            .iter()
            .filter(|p| matches!(p["status"].as_str(), Some("fail" | "error" | "warn")))
            .filter_map(|p| p["id"].as_str())
            .collect();
        for p in probes {
            let id = p["id"].as_str().expect("id");
            assert_eq!(articles.get(id).map(String::as_str), p["status"].as_str(), "{name}: {id}");
        }
        let listed: Vec<&str> =
            select(&html, "#attention li").iter().filter_map(|li| li.value().attr("data-probe")).collect();
        assert_eq!(listed, attention, "{name}: the attention list");
        if scenario.is_some() {
            assert!(attention.contains(&"axys-auth"), "{name}: the scenario fails axys-auth: {attention:?}");
        }
        // Nothing points off the page; the policy forbids every fetch.
        for el in select(&html, "*") {
            for (attr, value) in el.value().attrs() {
                assert!(
                    !matches!(attr, "src" | "srcset" | "action" | "poster" | "data"),
                    "{name}: <{} {attr}>",
                    el.value().name()
                );
                assert!(attr != "href" || value.starts_with('#'), "{name}: a link off the page: {value}");
            }
        }
        let csp = select(&html, r#"meta[http-equiv="Content-Security-Policy"]"#);
        assert!(
            csp.first().and_then(|m| m.value().attr("content")).is_some_and(|c| c.starts_with("default-src 'none'")),
            "{name}: the page forbids every fetch"
        );

        // What the browser laid out: every probe that did not pass, its cause included.
        let source = std::fs::read_to_string(&page).expect("page");
        let csp_meta = source.lines().find(|l| l.contains("Content-Security-Policy")).expect("csp line");
        let probe_copy = dir.path().join(format!("{name}-visibility.html"));
        let copy = source.replacen(csp_meta, "", 1).replacen("</body>", &format!("{PROBE_SCRIPT}</body>"), 1);
        std::fs::write(&probe_copy, copy).expect("probe copy");
        let (dom, _) = chromium.open(&probe_copy);
        let laid_out = select(&Html::parse_document(&dom), "#visibility")
            .first()
            .map(|e| e.text().collect::<String>())
            .unwrap_or_else(|| panic!("{name}: the probe script ran:\n{dom}"));
        let seen: Vec<serde_json::Value> = serde_json::from_str(&laid_out).expect("visibility JSON");
        let counts = seen.iter().find(|s| s["what"] == "UL.counts").expect("counts seen");
        assert!(counts["visible"] == true, "{name}: the counts are shown: {counts}");
        for id in &attention {
            let probe = probes.iter().find(|p| p["id"] == *id).expect("probe");
            let shown: Vec<&serde_json::Value> = seen.iter().filter(|s| s["probe"] == *id).collect();
            assert_eq!(shown.len(), 2, "{name}: {id} has its article and its line in the attention list");
            for el in shown {
                assert!(el["visible"] == true, "{name}: {id} is not visible: {el}");
                let text = el["text"].as_str().unwrap_or("");
                if let Some(cause) = probe["diagnosis"]["cause"].as_str() {
                    let start: String = cause.chars().take(40).collect();
                    assert!(text.contains(&start), "{name}: {id} shows its cause `{start}`: {text}");
                }
            }
        }

        let shot = screenshot_dir().join(format!("{name}.png"));
        chromium.run(&page, &[format!("--screenshot={}", shot.display()), "--window-size=1280,1600".into()]);
        let png = std::fs::read(&shot).expect("screenshot");
        assert!(png.starts_with(b"\x89PNG\r\n\x1a\n") && png.len() > 10_000, "{name}: a screenshot was taken");
    }
}

/// The network check is not blind: a page that loads an image and a style
/// sheet from other hosts shows both in the log (and nothing leaves the
/// machine: the proxy on 127.0.0.1 refuses them).
#[test]
fn the_network_check_sees_a_page_that_fetches() {
    let _watchdog = Watchdog::new("browser control", Duration::from_secs(120));
    let Some(chromium) = Chromium::new() else { return };
    let dir = tempfile::tempdir().expect("dir");
    let page = dir.path().join("control.html");
    std::fs::write(
        &page,
        r#"<!DOCTYPE html><html><head><meta charset="utf-8"><title>control</title>
<link rel="stylesheet" href="http://golive-control.invalid/s.css"></head>
<body><img src="http://192.0.2.1/x.png" alt=""></body></html>"#,
    )
    .expect("control page");
    let (_, requests) = chromium.open(&page);
    assert!(requests.iter().any(|u| u == "http://192.0.2.1/x.png"), "{requests:?}");
    assert!(requests.iter().any(|u| u == "http://golive-control.invalid/s.css"), "{requests:?}");
}
