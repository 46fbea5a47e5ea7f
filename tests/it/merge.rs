//! `golive report merge`: reports of one environment from several egress
//! networks make one report and one exit code; every renderer reads it.

use std::time::Duration;

use crate::support::{Watchdog, golive_in, stderr, stdout};

#[test]
fn one_egress_failing_fcrdns_fails_the_merged_report() {
    let _watchdog = Watchdog::new("merge fcrdns", Duration::from_secs(240));
    let dir = tempfile::tempdir().expect("dir");
    let at = dir.path();
    // The same probes from two networks: nat-b's calling IP has no PTR record.
    for (egress, scenario) in [("nat-a", "healthy"), ("nat-b", "ptr-missing")] {
        let out = golive_in(
            at,
            &[
                "verify",
                "--env",
                "demo",
                "--scenario",
                scenario,
                "--only",
                "axys-fcrdns",
                "--egress",
                egress,
                "--no-progress",
                "--format",
                "json",
            ],
            &[],
        );
        let json = stdout(&out);
        assert!(json.contains(&format!("\"egress\": \"{egress}\"")), "{json}{}", stderr(&out));
        std::fs::write(at.join(format!("{egress}.json")), json).expect("report written");
    }
    let healthy = golive_in(at, &["report", "merge", "nat-a.json"], &[]);
    assert_eq!(healthy.status.code(), Some(0), "one healthy egress alone passes: {}", stdout(&healthy));

    let merged = golive_in(
        at,
        &[
            "report",
            "merge",
            "nat-a.json",
            "nat-b.json",
            "--format",
            "json",
            "--report",
            "junit=merged.xml",
            "--report",
            "markdown=merged.md",
            "--report",
            "human=merged.txt",
        ],
        &[],
    );
    assert_eq!(merged.status.code(), Some(1), "{}{}", stdout(&merged), stderr(&merged));
    let doc: serde_json::Value = serde_json::from_str(&stdout(&merged)).expect("merged JSON");
    assert_eq!(doc["egress"], "nat-a, nat-b");
    let fcrdns = doc["probes"].as_array().and_then(|p| p.iter().find(|p| p["id"] == "axys-fcrdns")).expect("probe");
    assert_eq!(fcrdns["status"], "fail");
    assert_eq!(fcrdns["facts"]["egresses"], serde_json::json!({ "nat-a": "pass", "nat-b": "fail" }));
    let checks: Vec<(&str, &str)> = fcrdns["checks"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|c| Some((c["name"].as_str()?, c["status"].as_str()?)))
        .filter(|(n, _)| n.starts_with("egress "))
        .collect();
    assert_eq!(checks, [("egress nat-a", "pass"), ("egress nat-b", "fail")]);
    assert!(fcrdns["diagnosis"]["cause"].as_str().is_some_and(|c| c.starts_with("from egress nat-b: ")), "{fcrdns}");

    // Every renderer works on the merged report and names the failing egress.
    for file in ["merged.xml", "merged.md", "merged.txt"] {
        let text = std::fs::read_to_string(at.join(file)).expect("report file");
        assert!(text.contains("nat-b"), "{file}:\n{text}");
    }
    let xml = std::fs::read_to_string(at.join("merged.xml")).expect("junit");
    assert!(xml.contains("<failure"), "{xml}");

    // The merged JSON merges again (it is a report like any other).
    let again =
        golive_in(at, &["report", "merge", "nat-a.json", "nat-b.json", "--format", "json", "--output", "m.json"], &[]);
    assert_eq!(again.status.code(), Some(1));
    assert!(std::fs::read_to_string(at.join("m.json")).expect("output").contains("\"schema\": 1"));
}

#[test]
fn reports_of_different_environments_do_not_merge() {
    let _watchdog = Watchdog::new("merge envs", Duration::from_secs(180));
    let dir = tempfile::tempdir().expect("dir");
    let at = dir.path();
    let out = golive_in(
        at,
        &[
            "verify",
            "--env",
            "demo",
            "--only",
            "pai-environment",
            "--egress",
            "nat-a",
            "--no-progress",
            "--format",
            "json",
        ],
        &[],
    );
    let json = stdout(&out);
    std::fs::write(at.join("a.json"), &json).expect("a");
    std::fs::write(
        at.join("b.json"),
        json.replace("\"env\": \"demo\"", "\"env\": \"production\"").replace("nat-a", "nat-b"),
    )
    .expect("b");
    let merged = golive_in(at, &["report", "merge", "a.json", "b.json"], &[]);
    assert_eq!(merged.status.code(), Some(2), "{}", stderr(&merged));
    assert!(stderr(&merged).contains("only reports of one environment merge"), "{}", stderr(&merged));
    let same = golive_in(at, &["report", "merge", "a.json", "a.json"], &[]);
    assert_eq!(same.status.code(), Some(2), "the same egress twice: {}", stderr(&same));
    std::fs::write(at.join("junk.json"), "{\"schema\": 1}").expect("junk");
    let junk = golive_in(at, &["report", "merge", "a.json", "junk.json"], &[]);
    assert_eq!(junk.status.code(), Some(2));
    assert!(stderr(&junk).contains("junk.json is not a golive JSON report"), "{}", stderr(&junk));
}
