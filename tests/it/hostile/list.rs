//! `golive list` shows the plan even when a probe's `${name}` is not set yet;
//! only `verify` refuses to run such a probe.

use crate::support::{golive_in, stderr, stdout};

const CONFIG: &str = r#"[env.staging]
pack = "paymentsai"
base_url = "https://api.example.test"
website_url = "https://shop.example.test"
api_key = { env = "GOLIVE_TEST_UNSET_KEY" }
account_id = "acc1"
organization_id = "org1"
"#;

/// `golive list` refused to list with "pai-webhook-destination uses
/// ${webhook_url}"; it now lists every probe and marks the one lacking it.
#[test]
fn list_shows_a_probe_whose_value_is_missing_instead_of_refusing_to_list() {
    let dir = tempfile::tempdir().expect("dir");
    std::fs::write(dir.path().join("golive.toml"), CONFIG).expect("config");
    let out = golive_in(dir.path(), &["list", "--env", "staging"], &[]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let text = stdout(&out);
    let row = text.lines().find(|l| l.starts_with("pai-webhook-destination")).expect("listed");
    assert!(row.contains("(needs a value)"), "{row}");
    assert!(text.contains("Needs a value before verify can run it:"), "{text}");
    assert!(
        text.contains("pai-webhook-destination: uses `${webhook_url}`") && text.contains("webhook = { url"),
        "{text}"
    );
    assert!(text.lines().any(|l| l.starts_with("pai-website-terms ")), "the other probes are listed as usual: {text}");

    let json = golive_in(dir.path(), &["list", "--env", "staging", "--format", "json"], &[]);
    let doc: serde_json::Value = serde_json::from_slice(&json.stdout).expect("JSON");
    let probe = doc["probes"].as_array().expect("probes").iter().find(|p| p["id"] == "pai-webhook-destination");
    assert!(probe.expect("listed")["needs"].as_str().is_some_and(|n| n.contains("webhook_url")), "{doc:#}");

    // verify refuses it, before anything is sent.
    let run = golive_in(dir.path(), &["verify", "--env", "staging"], &[("GOLIVE_TEST_UNSET_KEY", "k")]);
    assert_eq!(run.status.code(), Some(2), "{}", stderr(&run));
    assert!(stderr(&run).contains("${webhook_url}"), "{}", stderr(&run));
}
