//! The fault catalogue: every fault of `golive_fakes::faults`, played by the
//! demo's fakes, against every probe kind it reaches (tls, mtls, http, apikey,
//! apikey-exchange, webhook, fcrdns). Each reached probe ends `error` or `fail`
//! with a cause (the runner's deadline ends what a fault holds; a watchdog ends
//! a hang; no assertion reads the clock); the probes it does not reach still
//! pass; the key exchange sends at most one PATCH whatever happens.

use std::time::{Duration, Instant};

use golive::apikey::{ExchangeInput, exchange};
use golive::config::{Environment, pack};
use golive::plan::{Plan, Selection};
use golive::report::{ProbeReport, RunSummary, Status};
use golive::runner::{self, RunOptions};
use golive_fakes::exchange::{self as counting, ExchangeMode};
use golive_fakes::faults::{Fault, Layer};
use golive_fakes::{Fakes, Scenario};
use secrecy::SecretString;

use crate::support::{demo_targets, pack_from};

/// The deadline every probe gets here.
pub const DEADLINE: Duration = Duration::from_secs(2);

/// An `http` probe as packs write them: a read with JSON assertions.
const HTTP_PACK: &str = r#"
[pack]
name = "faults-http"
title = "HTTP probe under faults"
runbook = "faults"
[auth]
header = "Authorization"
prefix = "ApiKey "
[[probe]]
id = "http-read"
kind = "http"
title = "Subscriptions read"
[probe.params]
url = "${base_url}/v1/public-api/organizations/${organization_id}/subscriptions"
assert = [{ path = "$.data", type = "array" }]
"#;

/// The scenario of a fault.
pub fn scenario_of(fault: Fault) -> Scenario {
    Scenario::Fault(fault)
}

/// Whether a fault at `layer` reaches a probe of `kind` in the demo.
pub fn reaches(layer: Layer, kind: &str) -> bool {
    match layer {
        Layer::Transport => matches!(kind, "tls" | "mtls" | "http" | "apikey" | "apikey-exchange" | "webhook"),
        Layer::Http => matches!(kind, "mtls" | "http" | "apikey" | "apikey-exchange" | "webhook"),
        Layer::Dns => kind == "fcrdns",
        Layer::Webhook => kind == "webhook",
    }
}

/// Runs the demo's packs, plus an `http` probe, against the fakes of `scenario`.
pub async fn run_demo(scenario: Scenario) -> (RunSummary, Duration) {
    let fakes = Fakes::start(scenario).await.expect("fakes start");
    let mut targets = demo_targets(&fakes);
    let pai = targets.iter().find(|(e, _)| e.pack == "paymentsai").map(|(e, _)| e.clone()).expect("pai env");
    targets.push((pai, pack_from(HTTP_PACK)));
    let plan = Plan::build("demo", targets, &Selection::default()).expect("plan");
    let opts = RunOptions { timeout: Some(DEADLINE), allow_mutations: true, ..RunOptions::default() };
    let started = Instant::now();
    let summary = runner::run(&plan, &opts, &mut |_| {}).await;
    (summary, started.elapsed())
}

/// What a probe says is wrong: its diagnosis, or else its non-passing checks.
pub fn cause(p: &ProbeReport) -> String {
    match &p.diagnosis {
        Some(d) => d.cause.clone(),
        None => p
            .checks
            .iter()
            .filter(|c| c.status != Status::Pass)
            .map(|c| c.message.clone())
            .collect::<Vec<_>>()
            .join("; "),
    }
}

/// The problems of one fault's run: empty when golive answered it well.
///
/// No clock is read: the runner's deadline (`tokio::time::timeout`) is what
/// ends a probe the fault holds, a probe it cut off says so in a check, and a
/// run that hangs anyway is ended by the test's watchdog. How long each fault
/// takes is measured by `reliability_table` (scripts/reliability.sh).
pub fn judge(fault: Fault, summary: &RunSummary) -> Vec<String> {
    let mut problems = Vec::new();
    let mut passed = 0;
    for p in &summary.probes {
        // The merchant's website is not one of the servers a fault replaces.
        // pai-api-key judges only the status of its documented read (no page
        // shows that answer's body): a 200 with a broken body still proves the key.
        let body_fault = matches!(fault, Fault::HugeBody | Fault::InvalidJson | Fault::WrongContentType);
        let status_only = body_fault && p.id == "pai-api-key";
        let reached = reaches(fault.layer(), &p.kind) && !p.id.starts_with("pai-website") && !status_only;
        match p.status {
            Status::Pass | Status::Warn if reached => problems.push(format!("{} ({}) passed: {p:#?}", p.id, p.kind)),
            Status::Pass | Status::Warn => passed += 1,
            Status::Fail | Status::Error if !reached => {
                problems.push(format!("{} ({}) was affected: {}", p.id, p.kind, cause(p)))
            }
            Status::Fail | Status::Error => {
                if cause(p).trim().is_empty() {
                    problems.push(format!("{} ({}) has no cause: {p:#?}", p.id, p.kind));
                }
                if p.checks.iter().any(|c| c.message.contains("crashed")) {
                    problems.push(format!("{} panicked: {}", p.id, cause(p)));
                }
            }
            Status::Skip if p.reason.is_none() => problems.push(format!("{} skipped without a reason", p.id)),
            Status::Skip => {}
        }
    }
    if passed == 0 {
        problems.push("no probe outside the fault passed".to_string());
    }
    problems
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn every_fault_gets_a_verdict_and_a_cause_inside_the_deadline_and_spares_the_other_probes() {
    let _watchdog = crate::support::Watchdog::new("faults::every_fault", std::time::Duration::from_secs(600));
    use futures::StreamExt;
    let runs = futures::stream::iter(Fault::ALL.iter().map(|&f| async move {
        let (summary, _) = run_demo(scenario_of(f)).await;
        (f, judge(f, &summary), summary)
    }));
    // A few at a time: each run starts a whole set of fakes on this runtime.
    let done: Vec<_> = runs.buffer_unordered(4).collect().await;
    let mut report = String::new();
    for (fault, problems, summary) in done {
        for problem in problems {
            report.push_str(&format!("{}: {problem}\n", fault.name()));
        }
        let kinds: Vec<&str> = summary.probes.iter().map(|p| p.kind.as_str()).collect();
        for kind in ["tls", "mtls", "http", "apikey", "apikey-exchange", "webhook", "fcrdns"] {
            assert!(kinds.contains(&kind), "{kind} did not run under {}", fault.name());
        }
    }
    assert!(report.is_empty(), "{report}");
}

#[tokio::test]
async fn the_healthy_demo_with_the_http_probe_passes_so_the_faults_are_what_fails() {
    let (summary, _) = run_demo(Scenario::Healthy).await;
    let bad: Vec<String> = summary
        .probes
        .iter()
        .filter(|p| !matches!(p.status, Status::Pass | Status::Warn))
        .map(|p| format!("{}: {:?} {}", p.id, p.status, cause(p)))
        .collect();
    assert!(bad.is_empty(), "{bad:#?}");
}

#[tokio::test]
async fn a_50_mb_body_is_read_only_up_to_the_bound() {
    let (summary, _) = run_demo(Scenario::Fault(Fault::HugeBody)).await;
    let http = summary.probes.iter().find(|p| p.id == "http-read").expect("http probe");
    assert_eq!(http.status, Status::Fail, "{http:#?}");
    assert!(cause(http).contains("cut at"), "{}", cause(http));
    let read = http.facts.get("body_bytes").and_then(|v| v.as_u64()).expect("body_bytes");
    assert!(read <= golive::net::MAX_BODY_BYTES as u64, "read {read} bytes");
}

const ACCOUNT: &str = "acc_fault_1";
const TEMPORAL: &str = "tmp_fault_temporal_key";

/// Runs the key exchange against `base_url` with the deadline; no key may be written.
pub async fn exchange_against(base_url: &str, dir: &std::path::Path) -> Result<(), String> {
    let pack = pack::load("paymentsai", None).expect("built-in pack");
    let env = Environment {
        name: "production".into(),
        pack: "paymentsai".into(),
        base_url: Some(reqwest::Url::parse(base_url).expect("url")),
        inputs: vec![
            ("account_id".into(), golive::config::Input::Text(ACCOUNT.into())),
            (
                "temporal_api_key".into(),
                golive::config::Input::Secret(golive::config::Secret {
                    value: SecretString::from(TEMPORAL.to_string()),
                    source: golive::config::SecretRef::Env("T".into()),
                }),
            ),
        ],
        ..Environment::default()
    };
    let client = reqwest::Client::builder().no_proxy().build().expect("client");
    let result = exchange(ExchangeInput {
        env: &env,
        spec: pack.key_exchange.as_ref().expect("exchange spec"),
        policy: pack.secret_policy.as_ref(),
        pack: &pack.name,
        secret: &SecretString::from("Fault-Secret-42".to_string()),
        out: &dir.join("permanent.key"),
        state_path: &dir.join("state.json"),
        client: &client,
        timeout: DEADLINE,
        record: &|_| {},
    })
    .await;
    assert!(!dir.join("permanent.key").exists(), "no key may be written after a fault");
    result.map(|_| ()).map_err(|e| e.to_string())
}

#[tokio::test]
async fn the_key_exchange_sends_at_most_one_patch_whatever_the_fault() {
    for &fault in Fault::ALL.iter().filter(|f| f.layer() != Layer::Dns) {
        let server = fault.start().await.expect("fault server");
        let dir = tempfile::tempdir().expect("dir");
        let result = exchange_against(&server.url("http"), dir.path()).await;
        // Let a retry, if there were one, arrive before counting.
        tokio::time::sleep(Duration::from_millis(100)).await;
        let Err(why) = result else { panic!("{}: the exchange succeeded", fault.name()) };
        assert!(server.patches() <= 1, "{}: {} PATCH requests", fault.name(), server.patches());
        if server.patches() == 1 {
            // The request arrived: whatever failed after it, the state is unknown.
            assert!(!why.contains("nothing was sent") && !why.contains("before any answer"), "{}: {why}", fault.name());
        }
        assert!(server.accepted() <= 1, "{}: {} connections", fault.name(), server.accepted());
    }
    // The counting fake of the partner, for the statuses it can play.
    for status in [429, 500, 502, 503] {
        let server = golive_fakes::Wiremock::start().await;
        let fake = counting::mount(&server, ACCOUNT, TEMPORAL, ExchangeMode::Fails(status)).await;
        let dir = tempfile::tempdir().expect("dir");
        let result = exchange_against(&server.uri(), dir.path()).await;
        assert!(result.is_err(), "{status}: the exchange succeeded");
        assert_eq!(fake.count(), 1, "{status}: the fake counted {} PATCH requests", fake.count());
    }
}

/// A reset during the handshake is no TLS alert: it gets its own class and
/// a cause naming the firewall or allowlist, not the runbook's "wrong cert/key pair".
#[tokio::test]
async fn a_reset_during_the_handshake_is_connection_closed_not_a_wrong_key_pair() {
    let (summary, _) = run_demo(scenario_of(Fault::ResetDuringHandshake)).await;
    let mtls: Vec<&ProbeReport> = summary.probes.iter().filter(|p| p.kind == "mtls").collect();
    assert!(!mtls.is_empty());
    for p in mtls {
        assert_eq!(p.status, Status::Fail, "{p:#?}");
        let cause = cause(p);
        assert!(cause.contains("without a TLS alert") && cause.contains("allowlist"), "{cause}");
        assert!(!cause.contains("wrong cert/key pair"), "{cause}");
    }
}

/// A rate limit or a server error at the webhook endpoint is named as such,
/// not blamed on the signature setup.
#[tokio::test]
async fn webhook_429_and_5xx_are_named_not_blamed_on_the_signature() {
    for (fault, words) in
        [(Fault::RateLimited, "rate-limited"), (Fault::Status500, "server error"), (Fault::Status503, "server error")]
    {
        let (summary, _) = run_demo(scenario_of(fault)).await;
        let hook = summary.probes.iter().find(|p| p.kind == "webhook").expect("a webhook probe");
        assert_eq!(hook.status, Status::Fail, "{hook:#?}");
        let cause = cause(hook);
        assert!(cause.contains(words) && !cause.contains("another secret"), "{}: {cause}", fault.name());
    }
}
