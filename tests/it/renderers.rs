//! Every renderer on one real run (pass, fail with a pack diagnosis, error,
//! skip), snapshotted with durations, ports and times redacted.

use golive::plan::Selection;
use golive::report::{Format, RunSummary, Status};
use golive::runner::RunOptions;
use wiremock::matchers::path;
use wiremock::{Mock, ResponseTemplate};

use crate::support::{env_at, pack_from, run_pack};

const PACK: &str = r#"
[pack]
name = "shop"
title = "Shop go-live"
runbook = "shop-runbook"

[auth]
header = "X-API-Key"

[[diagnosis]]
when = { status = 403, body_contains = "No Authorised IPs configured" }
cause = "The calling IP is not allowlisted"
fix = "Allowlist the calling IP"

[[probe]]
id = "auth"
kind = "http"
title = "Auth test | returns 200"
runbook = [{ section = "Phase 3", item = "Auth test" }]
[probe.params]
url = "${base_url}/ok"
assert = [{ path = "$.status", equals = "success" }]

[[probe]]
id = "create"
kind = "http"
title = "Create a cardholder"
runbook = [{ section = "Phase 3", item = "Cardholder creation" }]
[probe.params]
method = "POST"
url = "${base_url}/forbidden"
json = { name = "Test" }

[[probe]]
id = "details"
kind = "http"
title = "Card details"
depends_on = ["create"]
runbook = [{ section = "Phase 3", item = "Sensitive details" }]
[probe.params]
url = "${base_url}/ok"

[[probe]]
id = "other-host"
kind = "http"
title = "A host that refuses connections"
timeout = "2s"
[probe.params]
url = "http://127.0.0.1:9/nothing-listens"
"#;

async fn summary() -> RunSummary {
    let server = golive_fakes::Wiremock::start().await;
    Mock::given(path("/ok"))
        .respond_with(ResponseTemplate::new(200).set_body_json(serde_json::json!({"status": "success"})))
        .mount(&server)
        .await;
    Mock::given(path("/forbidden"))
        .respond_with(ResponseTemplate::new(403).set_body_json(
            serde_json::json!({"status": "error", "code": 403, "message": "No Authorised IPs configured"}),
        ))
        .mount(&server)
        .await;
    let summary = run_pack(env_at(&server.uri()), pack_from(PACK), &Selection::default(), &RunOptions::default()).await;
    let statuses: Vec<Status> = summary.probes.iter().map(|p| p.status).collect();
    assert_eq!(statuses, [Status::Pass, Status::Fail, Status::Skip, Status::Error]);
    summary
}

fn render(summary: &RunSummary, format: Format, colour: bool) -> String {
    let mut out = Vec::new();
    format.render(summary, &mut out, colour).expect("render");
    String::from_utf8(out).expect("utf-8")
}

macro_rules! redacted {
    ($body:block) => {
        insta::with_settings!({filters => vec![
            (r"127\.0\.0\.1:\d+", "127.0.0.1:[port]"),
            (r"\d+ ms", "[ms] ms"),
            (r#""duration_ms": \d+"#, r#""duration_ms": "[ms]""#),
            (r#""started_ms": \d+"#, r#""started_ms": "[ms]""#),
            (r#"time="[0-9.]+""#, r#"time="[t]""#),
            (r#"timestamp="[^"]+""#, r#"timestamp="[ts]""#),
            (r#""started_at": "[^"]+""#, r#""started_at": "[time]""#),
            (r#""golive_version": "[^"]+""#, r#""golive_version": "[version]""#),
            (r"golive \d+\.\d+\.\d+", "golive [version]"),
        ]}, $body)
    };
}

#[tokio::test]
async fn human_report() {
    let s = summary().await;
    redacted!({ insta::assert_snapshot!(render(&s, Format::Human, false)) });
}

#[tokio::test]
async fn human_report_has_colour_only_when_asked() {
    let s = summary().await;
    assert!(!render(&s, Format::Human, false).contains('\u{1b}'));
    assert!(render(&s, Format::Human, true).contains('\u{1b}'));
}

#[tokio::test]
async fn json_report() {
    let s = summary().await;
    let text = render(&s, Format::Json, false);
    let doc: serde_json::Value = serde_json::from_str(&text).expect("valid JSON");
    assert_eq!(doc["schema"], 1);
    assert_eq!(doc["summary"]["fail"], 1);
    assert_eq!(doc["probes"][1]["diagnosis"]["cause"], "The calling IP is not allowlisted");
    redacted!({ insta::assert_snapshot!(text) });
}

#[tokio::test]
async fn markdown_report() {
    let s = summary().await;
    let text = render(&s, Format::Markdown, false);
    assert!(text.contains(r"Auth test \| returns 200"), "pipes in cells are escaped");
    redacted!({ insta::assert_snapshot!(text) });
}

#[tokio::test]
async fn junit_report_is_well_formed_and_maps_statuses() {
    let s = summary().await;
    let text = render(&s, Format::Junit, false);
    let mut reader = quick_xml::Reader::from_str(&text);
    let mut counts = std::collections::BTreeMap::<String, usize>::new();
    loop {
        match reader.read_event() {
            Ok(quick_xml::events::Event::Eof) => break,
            Ok(quick_xml::events::Event::Start(e) | quick_xml::events::Event::Empty(e)) => {
                *counts.entry(String::from_utf8_lossy(e.name().as_ref()).into_owned()).or_default() += 1;
            }
            Ok(_) => {}
            Err(e) => panic!("JUnit is not well-formed XML: {e}\n{text}"),
        }
    }
    assert_eq!(counts.get("testcase"), Some(&4), "{text}");
    assert_eq!(counts.get("failure"), Some(&1), "{text}");
    assert_eq!(counts.get("error"), Some(&1), "{text}");
    assert_eq!(counts.get("skipped"), Some(&1), "{text}");
    redacted!({ insta::assert_snapshot!(text) });
}

/// One probe is "1 probe", in the human and the Markdown summary.
#[tokio::test]
async fn a_run_of_one_probe_says_1_probe() {
    let mut s = summary().await;
    s.probes.truncate(1);
    s.summary = golive::report::Counts { pass: 1, ..Default::default() };
    for format in [Format::Human, Format::Markdown] {
        let text = render(&s, format, false);
        assert!(text.contains("1 probe:") && !text.contains("1 probes"), "{format:?}: {text}");
    }
}
