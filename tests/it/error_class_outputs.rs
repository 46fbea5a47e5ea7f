//! The stable error class reaches every machine output: each check of the
//! JSON report that failed or reached no verdict carries `error_class` (its
//! own, else its probe's) and so does the probe, passing checks carry none;
//! the JUnit `<failure>`/`<error>` has it as `type`; `golive serve` exposes
//! `golive_probe_error_class{class="..."}`.

use std::sync::Arc;
use std::time::Duration;

use golive::exporter::{Exporter, ExporterOptions};
use golive_fakes::axys::partner::AxysScenario;
use golive_fakes::{Fakes, Scenario};

use crate::exporter::{fetch, serve_in_process};
use crate::support::{Watchdog, demo_targets, golive, stderr, stdout};

fn json_run(scenario: &str) -> serde_json::Value {
    let out = golive(&["verify", "--env", "demo", "--scenario", scenario, "--format", "json", "--no-progress"]);
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("JSON ({e}): {}{}", stdout(&out), stderr(&out)))
}

fn probe<'a>(doc: &'a serde_json::Value, id: &str) -> &'a serde_json::Value {
    doc["probes"].as_array().expect("probes").iter().find(|p| p["id"] == id).unwrap_or_else(|| panic!("{id}"))
}

#[test]
fn every_failed_check_of_the_json_report_carries_its_error_class() {
    // A 403 from the partner: the status check's own class.
    let doc = json_run("ip-not-allowlisted");
    let auth = probe(&doc, "axys-auth");
    assert_eq!(auth["status"], "fail");
    assert_eq!(auth["error_class"], "http-status", "{auth:#}");
    let status = auth["checks"].as_array().expect("checks").iter().find(|c| c["name"] == "status").expect("status");
    assert_eq!(status["error_class"], "http-status", "{status:#}");

    // A certificate from a CA the bundle does not hold: the kind's class.
    let doc = json_run("untrusted-ca");
    let cert = probe(&doc, "axys-cert");
    assert_eq!(cert["error_class"], "unknown-issuer", "{cert:#}");
    for probe in doc["probes"].as_array().expect("probes") {
        for check in probe["checks"].as_array().expect("checks") {
            let failed = check["status"] == "fail" || check["status"] == "error";
            assert_eq!(
                check.get("error_class").is_some(),
                failed,
                "a class on exactly the failed checks: {} {check:#}",
                probe["id"]
            );
        }
    }

    // A webhook endpoint that accepts forgeries.
    let doc = json_run("webhook-accepts-anything");
    let hook = probe(&doc, "pai-webhook-signature");
    assert_eq!(hook["error_class"], "forgery-accepted", "{hook:#}");
}

#[test]
fn the_junit_type_of_a_failure_is_its_error_class() {
    let out = golive(&["verify", "--env", "demo", "--scenario", "untrusted-ca", "--format", "junit", "--no-progress"]);
    let xml = stdout(&out);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let mut reader = quick_xml::Reader::from_str(&xml);
    let mut types = Vec::new();
    loop {
        match reader.read_event().expect("well-formed XML") {
            quick_xml::events::Event::Eof => break,
            quick_xml::events::Event::Start(e) | quick_xml::events::Event::Empty(e)
                if matches!(e.name().as_ref(), b"failure" | b"error") =>
            {
                let ty = e
                    .attributes()
                    .flatten()
                    .find(|a| a.key.as_ref() == b"type")
                    .map(|a| String::from_utf8_lossy(&a.value).into_owned());
                types.push(ty);
            }
            _ => {}
        }
    }
    assert!(types.contains(&Some("unknown-issuer".to_string())), "{types:?}\n{xml}");
    for ty in &types {
        let ty = ty.as_deref().unwrap_or_default();
        assert!(ty.parse::<golive::spec::ErrorClass>().is_ok(), "`{ty}` is an error class, not a kind: {xml}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_labels_a_failing_probe_with_its_error_class() {
    let _watchdog = Watchdog::new("exporter error class", Duration::from_secs(120));
    let fakes = Fakes::start(Scenario::from(AxysScenario::IpNotAllowlisted)).await.expect("fakes start");
    let exporter = Arc::new(Exporter::new("demo", demo_targets(&fakes), ExporterOptions::default()).expect("exporter"));
    let (addr, _stop) = serve_in_process(Arc::clone(&exporter)).await;
    let (code, body) = fetch(&reqwest::Client::new(), &addr, "/probe?only=axys-auth").await;
    assert_eq!(code, 200, "{body}");
    let line = body
        .lines()
        .find(|l| l.starts_with("golive_probe_error_class{") && l.contains("probe=\"axys-auth\""))
        .unwrap_or_else(|| panic!("a golive_probe_error_class series for axys-auth:\n{body}"));
    assert!(line.contains("class=\"http-status\"") && line.ends_with(" 1"), "{line}");
    assert!(
        !body.lines().any(|l| l.starts_with("golive_probe_error_class{") && l.contains("probe=\"axys-tls\"")),
        "a passing probe has no class: {body}"
    );
}
