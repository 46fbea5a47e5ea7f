//! `golive report merge` reads report files anyone could have written: their
//! titles, kinds, runbook items and skip reasons reach a job summary as code,
//! never as live Markdown.

use crate::hostile_text::outside_code_spans;
use crate::support::{golive, golive_in, stderr, stdout};

const EVIL: &str =
    "[click](https://evil.example/x) ![pixel](https://evil.example/p.png) <img src=x onerror=alert(1)> @team";

/// A crafted egress report put live links and images in the job summary: the
/// merge rendered its titles and skip reasons outside code spans.
#[test]
fn a_crafted_report_cannot_put_links_images_or_html_in_the_merged_markdown() {
    let out = golive(&["verify", "--env", "demo", "--only", "axys-tls", "--format", "json", "--egress", "nat-a"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let mut doc: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    for p in doc["probes"].as_array_mut().expect("probes") {
        p["title"] = EVIL.into();
        p["kind"] = EVIL.into();
        p["status"] = "skip".into();
        p["reason"] = EVIL.into();
        for r in p["runbook"].as_array_mut().expect("runbook") {
            r["section"] = EVIL.into();
            r["item"] = EVIL.into();
        }
    }
    let dir = tempfile::tempdir().expect("dir");
    std::fs::write(dir.path().join("a.json"), doc.to_string()).expect("a");
    doc["egress"] = "nat-b".into();
    std::fs::write(dir.path().join("b.json"), doc.to_string()).expect("b");
    let merged = golive_in(dir.path(), &["report", "merge", "a.json", "b.json", "--format", "markdown"], &[]);
    assert_eq!(merged.status.code(), Some(0), "{}", stderr(&merged));
    let text = stdout(&merged);
    assert!(text.contains("evil.example"), "the text is shown, as code: {text}");
    for line in text.lines() {
        let outside = outside_code_spans(line);
        for live in ["](", "![", "<img", "@team"] {
            assert!(!outside.contains(live), "`{live}` outside code: {line}\n{text}");
        }
    }
}
