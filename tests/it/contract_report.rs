//! Facts with their basis, end to end through the binary: two partners
//! behind real TLS fronts (wiremock behind tokio-rustls) answer a pack's
//! create with 200 and with 201, and its read bare and in an envelope. The
//! JSON report's checks carry `basis` and `source`, the answers' shapes and
//! no values; the inferred facts warn (fail with `--strict-contract`); and
//! `golive contract report` over the two evidence folders marks them
//! confirmed in one and refuted in the other.

use std::path::Path;

use golive_fakes::certs::{Authority, LeafSpec};
use golive_fakes::mtls_front::{self, ClientAuth, Front, FrontConfig};
use serde_json::{Value, json};
use wiremock::matchers::{method, path};
use wiremock::{Mock, ResponseTemplate};

use crate::support::{golive_in, stderr, stdout};

const PACK: &str = r#"
[pack]
name = "shop"
title = "Shop go-live"
runbook = "shop"
require_basis = true

[[probe]]
id = "create-thing"
kind = "http"
title = "Create a thing and read it"
tags = ["mutating"]
[[probe.params.steps]]
name = "create a thing"
method = "POST"
url = "${base_url}/things"
mutating = true
source = "https://docs.example.test/things"
inferred_status = { code = 200, why = "the page shows the answer's body, not its code" }
json = { name = "golive" }
assert = [{ path = "$.id", type = "integer" }]
capture = { thingId = "$.id" }
[[probe.params.steps]]
name = "read it back"
url = "${base_url}/things/${thingId}"
source = "https://docs.example.test/things"
assert = [{ path = "$.state", equals = "ready", alternatives = ["$.data.state"], basis = "inferred", why = "no page shows the read's answer" }]
"#;

/// A partner answering the create with `created` and the read bare or in an envelope.
async fn partner(ca: &Authority, created: u16, enveloped: bool) -> (golive_fakes::Wiremock, Front) {
    let api = golive_fakes::Wiremock::start().await;
    Mock::given(method("POST"))
        .and(path("/things"))
        .respond_with(ResponseTemplate::new(created).set_body_json(json!({"id": 7, "secretName": "VALUE-CANARY"})))
        .mount(&api)
        .await;
    let read = if enveloped { json!({"data": {"state": "ready"}}) } else { json!({"state": "ready"}) };
    Mock::given(path("/things/7")).respond_with(ResponseTemplate::new(200).set_body_json(read)).mount(&api).await;
    let server = ca.leaf(&LeafSpec::server(&["127.0.0.1"])).expect("server leaf");
    let front = mtls_front::start(FrontConfig {
        server,
        client_auth: ClientAuth::NotRequested,
        allowlist: vec![std::net::IpAddr::from([127, 0, 0, 1])],
        upstream: api.uri(),
        versions: rustls::DEFAULT_VERSIONS,
    })
    .await
    .expect("front starts");
    (api, front)
}

/// Runs the binary in `dir` off the runtime that serves the fronts.
async fn golive(dir: &Path, args: &[&str]) -> std::process::Output {
    let (dir, args): (std::path::PathBuf, Vec<String>) =
        (dir.to_path_buf(), args.iter().map(|a| a.to_string()).collect());
    tokio::task::spawn_blocking(move || {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        golive_in(&dir, &args, &[])
    })
    .await
    .expect("the run ends")
}

fn json_file(path: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(path).expect("file written")).expect("JSON")
}

/// The runs of fact `id` in a contract report: each run's `seen`.
fn seen(report: &Value, id: &str) -> Vec<String> {
    let fact = report["facts"].as_array().expect("facts").iter().find(|f| f["fact"] == id).expect("the fact is listed");
    fact["runs"].as_array().expect("runs").iter().map(|r| r["seen"].as_str().unwrap_or_default().to_string()).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_contract_report_over_two_partners_marks_the_create_code_confirmed_in_one_and_refuted_in_the_other() {
    let ca = Authority::new("partner root").expect("ca");
    let (_a, front_200) = partner(&ca, 200, false).await;
    let (_b, front_201) = partner(&ca, 201, true).await;
    let dir = tempfile::tempdir().expect("dir");
    std::fs::write(dir.path().join("ca.pem"), ca.cert_pem()).expect("ca");
    std::fs::write(dir.path().join("pack.toml"), PACK).expect("pack");
    let env = |name: &str, front: &Front| {
        format!(
            "[env.{name}]\npack = \"pack.toml\"\nbase_url = \"https://127.0.0.1:{}\"\nca_bundle = \"ca.pem\"\n",
            front.addr.port()
        )
    };
    let strict = format!("{}strict_contract = true\n", env("strict", &front_201));
    let config = format!("{}\n{}\n{strict}", env("two-hundred", &front_200), env("two-oh-one", &front_201));
    std::fs::write(dir.path().join("golive.toml"), config).expect("config");
    let verify = ["verify", "--allow-mutations", "--no-progress", "--format", "json", "--env"];

    // The partner that answers as golive inferred: everything passes.
    let out = golive(dir.path(), &[&verify[..], &["two-hundred", "--evidence", "ev-200"]].concat()).await;
    assert_eq!(out.status.code(), Some(0), "{}{}", stdout(&out), stderr(&out));
    let run = json_file(&dir.path().join("ev-200/run.json"));
    let probe = &run["probes"][0];
    assert_eq!(probe["status"], "pass", "{probe:#}");
    // Every check of the http step carries its basis, and a documented one its page.
    for check in probe["checks"].as_array().expect("checks") {
        assert!(check["basis"] == "documented" || check["basis"] == "inferred", "{check:#}");
        if check["basis"] == "documented" {
            assert_eq!(check["source"], "https://docs.example.test/things", "{check:#}");
        } else {
            assert!(check["why"].is_string() && check["source"].is_null(), "{check:#}");
        }
    }
    // The shape of each answer: status, paths and types, never a value.
    let shapes = probe["shapes"].as_array().expect("shapes");
    assert_eq!((shapes[0]["status"].as_u64(), &shapes[0]["paths"]["$.id"]), (Some(200), &json!("integer")));
    assert_eq!(shapes[1]["paths"]["$.state"], "string");
    assert!(!shapes.iter().any(|s| s.to_string().contains("VALUE-CANARY") || s.to_string().contains("ready")));

    // The other partner answers 201 and wraps the read: warnings, not failures.
    let out = golive(dir.path(), &[&verify[..], &["two-oh-one", "--evidence", "ev-201"]].concat()).await;
    assert_eq!(out.status.code(), Some(0), "{}{}", stdout(&out), stderr(&out));
    let run = json_file(&dir.path().join("ev-201/run.json"));
    let probe = &run["probes"][0];
    assert_eq!(probe["status"], "warn", "{probe:#}");
    let inferred = probe["checks"].as_array().expect("checks").iter().find(|c| c["fact"] == "1.inferred_status");
    let inferred = inferred.expect("the inferred code is judged");
    assert_eq!((inferred["status"].as_str(), inferred["held"].as_bool()), (Some("warn"), Some(false)), "{inferred:#}");
    let message = inferred["message"].as_str().unwrap_or_default();
    assert!(
        message.contains("differs from what golive inferred")
            && message.contains("answered 201 where golive inferred 200"),
        "names the fact and what the partner answered: {message}"
    );

    // --strict-contract holds the inferred facts as hard checks: the 201 fails.
    let out = golive(dir.path(), &[&verify[..], &["two-oh-one", "--strict-contract"]].concat()).await;
    assert_eq!(out.status.code(), Some(1), "{}{}", stdout(&out), stderr(&out));
    let doc: Value = serde_json::from_slice(&out.stdout).expect("JSON report");
    let inferred =
        doc["probes"][0]["checks"].as_array().expect("checks").iter().find(|c| c["fact"] == "1.inferred_status");
    assert_eq!(inferred.expect("judged")["status"], "fail");
    // And so does `strict_contract = true` in the environment.
    let out = golive(dir.path(), &[&verify[..], &["strict"]].concat()).await;
    assert_eq!(out.status.code(), Some(1), "{}{}", stdout(&out), stderr(&out));

    // The contract report: confirmed by the first partner, refuted by the second.
    let report = [
        "contract",
        "report",
        "--pack",
        "pack.toml",
        "--evidence",
        "ev-200",
        "--evidence",
        "ev-201",
        "--format",
        "json",
    ];
    let out = golive(dir.path(), &report).await;
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let report: Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert_eq!(seen(&report, "1.inferred_status"), ["confirmed", "refuted"], "{report:#}");
    assert_eq!(seen(&report, "2.assert.1"), ["confirmed", "refuted"], "{report:#}");
    let refuted = report["facts"].as_array().expect("facts").iter().find(|f| f["fact"] == "1.inferred_status");
    let answered = refuted.expect("fact")["runs"][1]["answered"].as_str().unwrap_or_default();
    assert!(answered.contains("answered 201 where golive inferred 200"), "{answered}");
    // Documented facts are not listed: the report is about what golive inferred.
    assert!(report["facts"].as_array().expect("facts").iter().all(|f| f["fact"] != "1.status"));
    assert_eq!(report["summary"]["refuted"], 2);
    // The human form says the same.
    let out = golive(dir.path(), &report_human()).await;
    let text = stdout(&out);
    assert!(text.contains("run 2: REFUTED") && text.contains("Summary: 2 inferred facts"), "{text}");
}

fn report_human() -> [&'static str; 8] {
    ["contract", "report", "--pack", "pack.toml", "--evidence", "ev-200", "--evidence", "ev-201"]
}

#[test]
fn a_contract_report_of_a_folder_that_is_no_evidence_is_a_usage_error() {
    let dir = tempfile::tempdir().expect("dir");
    let out = crate::support::golive(&["contract", "report", "--evidence", dir.path().to_str().expect("utf-8")]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("is not an evidence folder"), "{}", stderr(&out));
}
