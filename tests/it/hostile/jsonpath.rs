//! A JSONPath's work is bounded: a path that descends (`..`) more than twice
//! is refused when the pack loads, before any request.

use crate::support::{golive_in, stderr};

const PACK: &str = r#"[pack]
name = "shop"
title = "Shop"
runbook = "none"

[[probe]]
id = "greedy"
kind = "http"
title = "A path that visits every node of every node"
[probe.params]
url = "${base_url}/items"
auth = false
assert = [{ path = "$..*..*..*..*", exists = true }]
"#;

/// `$..*..*..*..*` over a 325 KB body took 627 MB: the path is now a
/// configuration error (exit 2) saying why and what to write instead.
#[test]
fn a_jsonpath_descending_four_times_is_refused_when_the_pack_loads() {
    let dir = tempfile::tempdir().expect("dir");
    std::fs::write(dir.path().join("shop.toml"), PACK).expect("pack");
    std::fs::write(
        dir.path().join("golive.toml"),
        "[env.staging]\npack = \"shop.toml\"\nbase_url = \"http://127.0.0.1:9\"\n",
    )
    .expect("config");
    let out = golive_in(dir.path(), &["verify", "--env", "staging"], &[]);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("descends (`..`) 4 times") && err.contains("at most 2"), "{err}");
}
