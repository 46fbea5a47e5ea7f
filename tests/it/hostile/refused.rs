//! A refused connection's fix names the key the URL came from.

use crate::support::{golive_in, stderr, stdout};

/// When website_url refused connections, the fix said "check base_url".
#[test]
fn a_refused_website_url_is_fixed_in_website_url_not_base_url() {
    let port = std::net::TcpListener::bind("127.0.0.1:0").expect("a free port").local_addr().expect("addr").port();
    let config = format!(
        "[env.staging]\npack = \"paymentsai\"\nbase_url = \"https://api.example.test\"\nwebsite_url = \"http://127.0.0.1:{port}\"\n"
    );
    let dir = tempfile::tempdir().expect("dir");
    std::fs::write(dir.path().join("golive.toml"), config).expect("config");
    for probe in ["pai-website-contact", "pai-website-privacy"] {
        let out = golive_in(dir.path(), &["verify", "--env", "staging", "--only", probe, "--format", "json"], &[]);
        assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
        let doc: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
        let fix = doc["probes"][0]["diagnosis"]["fix"].as_str().unwrap_or_default().to_string();
        assert!(fix.contains("check website_url"), "{probe}: {fix}\n{}", stdout(&out));
        assert!(!fix.contains("base_url"), "{probe}: {fix}");
    }
}
