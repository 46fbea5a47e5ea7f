//! The demo's broken scenarios end to end (`golive verify --env demo --scenario
//! NAME --format json`): each exits with its code and shows, on the probe it
//! concerns, the diagnosis it exists to demonstrate.

use std::collections::BTreeMap;

use golive_fakes::Scenario;
use serde_json::Value;

use crate::support::{golive, stderr, stdout};

/// (scenario, exit code, probe, its status, a phrase of its diagnosis' cause).
const TABLE: &[(&str, i32, &str, &str, &str)] = &[
    ("wrong-key", 1, "axys-cert", "fail", "Wrong cert/key pair"),
    ("cert-expired", 1, "axys-cert", "fail", "The program certificate has expired"),
    ("cert-expiring-soon", 0, "axys-cert", "warn", "The program certificate expires soon"),
    ("untrusted-ca", 1, "axys-cert", "fail", "does not lead to a trusted root"),
    ("mtls-not-enforced", 0, "axys-auth", "warn", "does not require a client certificate"),
    ("api-key-rejected", 1, "axys-auth", "fail", "Axys rejected the API key (401)"),
    ("api-key-rejected", 1, "pai-api-key", "fail", "PaymentsAI could not authenticate the key (401"),
    (
        "ip-not-allowlisted",
        1,
        "axys-auth",
        "fail",
        "\"No Authorised IPs configured\": the calling IP is not allowlisted for this Tenant/Program",
    ),
    ("ptr-missing", 1, "axys-fcrdns", "fail", "no PTR for 203.0.113.10"),
    ("ptr-missing", 1, "axys-auth", "fail", "No Authorised IPs configured"),
    ("ptr-not-in-cert", 1, "axys-fcrdns", "fail", "which is not a name in the certificate"),
    ("a-points-elsewhere", 1, "axys-fcrdns", "fail", "forward and reverse DNS disagree"),
    ("partner-down", 1, "axys-auth", "fail", "Axys answered a server error (5xx)"),
    ("partner-down", 1, "pai-api-key", "fail", "PaymentsAI answered a server error (5xx)"),
    ("webhook-accepts-anything", 1, "pai-webhook-signature", "fail", "does not verify webhook signatures"),
    ("website-missing-refund-policy", 1, "pai-website-refund", "fail", "does not show a Refund Policy"),
    ("starts-403-halfway", 1, "axys-staging-flow", "fail", "No Authorised IPs configured"),
];

/// Broken scenarios tested elsewhere: `partner-hangs` waits for deadlines
/// (cli.rs, `errors_without_failures_exit_3`); the `fault-*` catalogue is faults.rs;
/// `no-client-cert` is a configuration error before anything runs (below).
fn tested_elsewhere(name: &str) -> bool {
    name == "healthy" || name == "partner-hangs" || name == "no-client-cert" || name.starts_with("fault-")
}

/// What a probe says is wrong: its diagnosis' cause, else its non-passing checks.
fn what_it_says(p: &Value) -> String {
    if let Some(cause) = p["diagnosis"]["cause"].as_str() {
        return cause.to_string();
    }
    let checks = p["checks"].as_array().map(Vec::as_slice).unwrap_or_default();
    checks
        .iter()
        .filter(|c| c["status"] != "pass")
        .map(|c| format!("{}: {}", c["name"].as_str().unwrap_or_default(), c["message"].as_str().unwrap_or_default()))
        .collect::<Vec<_>>()
        .join("; ")
}

fn run(scenario: &str) -> (Option<i32>, Value) {
    let out = golive(&["verify", "--env", "demo", "--scenario", scenario, "--format", "json", "--no-progress"]);
    let doc = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{scenario}: stdout is JSON ({e}):\n{}\n{}", stdout(&out), stderr(&out)));
    (out.status.code(), doc)
}

fn probe<'a>(doc: &'a Value, id: &str) -> &'a Value {
    let probes = doc["probes"].as_array().expect("probes");
    probes.iter().find(|p| p["id"] == id).unwrap_or_else(|| panic!("{id} in {doc:#}"))
}

#[test]
fn every_broken_scenario_exits_with_its_code_and_shows_its_diagnosis() {
    let mut runs: BTreeMap<&str, (Option<i32>, Value)> = BTreeMap::new();
    let mut problems = Vec::new();
    for &(scenario, code, id, status, phrase) in TABLE {
        let (got_code, doc) = runs.entry(scenario).or_insert_with(|| run(scenario));
        if *got_code != Some(code) {
            problems.push(format!("{scenario}: exit {got_code:?}, expected {code}"));
        }
        let p = probe(doc, id);
        let says = what_it_says(p);
        if p["status"] != status || !says.contains(phrase) {
            problems.push(format!(
                "{scenario}: {id} is {} saying `{says}`; expected {status} with `{phrase}`",
                p["status"]
            ));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn the_table_covers_every_broken_scenario() {
    for s in <Scenario as clap::ValueEnum>::value_variants() {
        let name = s.name();
        if !tested_elsewhere(&name) {
            assert!(TABLE.iter().any(|row| row.0 == name), "scenario {name} has no row in the table");
        }
    }
}

/// The mtls probe depends on the cert probe: a key that does not belong to the
/// certificate fails locally, and the handshake is skipped naming the cert probe.
#[test]
fn wrong_key_fails_the_cert_probe_and_skips_the_handshake_naming_it() {
    let (code, doc) = run("wrong-key");
    assert_eq!(code, Some(1), "{doc:#}");
    let cert = probe(&doc, "axys-cert");
    assert_eq!(cert["status"], "fail", "{cert:#}");
    let auth = probe(&doc, "axys-auth");
    assert_eq!((auth["kind"].as_str(), auth["status"].as_str()), (Some("mtls"), Some("skip")), "{auth:#}");
    let reason = auth["reason"].as_str().unwrap_or_default();
    assert!(reason.contains("`axys-cert`") && reason.contains("failed"), "{auth:#}");
    assert!(auth["checks"].as_array().is_none_or(Vec::is_empty), "no handshake was tried: {auth:#}");
}

/// Issue 15, item 2: an environment without the client certificate its
/// selected probes need is a configuration error before anything runs (exit
/// 2), not an `error` at run time (exit 3, which CI retries). The message
/// names each probe, the missing keys, the `[env.NAME]` table and both fixes.
#[test]
fn no_client_cert_is_a_configuration_error_naming_probes_keys_and_fixes() {
    let out = golive(&["verify", "--env", "demo", "--scenario", "no-client-cert", "--no-progress"]);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{err}\n{}", stdout(&out));
    assert!(stdout(&out).is_empty(), "nothing ran, nothing reported: {}", stdout(&out));
    for phrase in [
        "probe `axys-cert` needs `client_cert`",
        "which environment `demo` does not set",
        "probe `axys-cert` also needs `client_key`",
        "probe `axys-auth` also needs `client_cert`",
        "probe `axys-fcrdns` also needs `client_cert`",
        "[env.demo] of golive.toml",
        "--skip axys-auth --skip axys-cert --skip axys-fcrdns",
        "nothing was sent",
    ] {
        assert!(err.contains(phrase), "`{phrase}` in:\n{err}");
    }
    // The fix it names works: without those probes the rest runs and passes.
    let out = golive(&[
        "verify",
        "--env",
        "demo",
        "--scenario",
        "no-client-cert",
        "--no-progress",
        "--skip",
        "axys-cert",
        "--skip",
        "axys-auth",
        "--skip",
        "axys-fcrdns",
        "--format",
        "json",
    ]);
    assert_ne!(out.status.code(), Some(2), "{}", stderr(&out));
    let doc: Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(probe(&doc, "pai-api-key")["status"], "pass", "{doc:#}");
}

/// Every failure under a 429 has a cause and a fix, and the fix-or-cause shows
/// the Retry-After value the server sent (the fakes send `Retry-After: 3600`);
/// the one-time key exchange refused with 429 gets its own advice.
#[test]
fn a_429_shows_its_retry_after_and_the_refused_exchange_has_advice() {
    let (_, doc) = run("fault-http-429");
    for id in ["axys-auth", "pai-api-key", "pai-key-exchange"] {
        let p = probe(&doc, id);
        assert_eq!(p["status"], "fail", "{p:#}");
        let cause = p["diagnosis"]["cause"].as_str().unwrap_or_else(|| panic!("{id} has a cause: {p:#}"));
        let fix = p["diagnosis"]["fix"].as_str().unwrap_or_else(|| panic!("{id} has a fix: {p:#}"));
        assert!(format!("{cause} {fix}").contains("3600"), "{id} shows Retry-After: {p:#}");
        assert!(!format!("{cause} {fix}").contains("${header"), "{id}: interpolated: {p:#}");
    }
    let exchange = probe(&doc, "pai-key-exchange");
    assert!(exchange["diagnosis"]["cause"].as_str().is_some_and(|c| c.contains("rate-limited the key exchange")));
    assert!(exchange["diagnosis"]["fix"].as_str().is_some_and(|f| f.contains("never retries")));
}
