//! The Axys pack's flows against the Axys fake written from the published
//! documentation (crates/golive-fakes/src/axys): the staging flow and the decline path pass
//! with --allow-mutations and leave no test card active; a broken answer fails
//! the step it concerns and the cleanup still puts the card On Hold; a cleanup
//! that fails is a failure naming the card; the production flow waits for no
//! approval inside one run and resumes; the production base-URL check tells
//! staging from production; the optional probes pass when their feature is on.

use std::time::Duration;

use golive::config::pack::BUILT_IN;
use golive::config::{Environment, Input, Secret, SecretRef, Stage};
use golive::plan::Selection;
use golive::report::{Check, ProbeReport, Status};
use golive::runner::RunOptions;
use golive_fakes::axys::{AxysHandle, Mode};
use secrecy::SecretString;
use serde_json::json;
use wiremock::matchers::{method, path_regex};
use wiremock::{Mock, ResponseTemplate};

use crate::support::{env_at, pack_from, run_pack};

const KEY: &str = "test-axys-key-0123";

/// The Axys pack without its dependency on the mTLS auth probe (plain HTTP here).
fn axys_pack() -> golive::config::Pack {
    let text = BUILT_IN.iter().find(|(n, _)| *n == "axys").map(|(_, t)| *t).expect("axys pack");
    // Polls read every few seconds against the real partner; the fake answers at once.
    let text = text.replace("every = \"10s\"", "every = \"10ms\"").replace("every = \"2s\"", "every = \"10ms\"");
    // Their own deadlines (minutes, for real staging) give way to --timeout here.
    let text = text.lines().filter(|l| !l.starts_with("timeout = ")).collect::<Vec<_>>().join("\n");
    pack_from(&text.replace("depends_on = [\"axys-auth\"]\n", ""))
}

fn env(server: &golive_fakes::Wiremock, stage: Stage, state: &std::path::Path) -> Environment {
    // The production check onboards the person this file names (the pack's
    // `production_cardholder` input), fields as the quickstart's example.
    let identity = state.join("cardholder.json");
    let person = json!({"firstName": "Jordan", "lastName": "Reyes", "emailAdr": "jordan.reyes@example.com", "gender": 0, "nationality": "American", "placeOfBirth": "USA", "dob": "1990-05-14", "adrLine1": "123 Market Street", "city": "San Francisco", "state": "CA", "country": "US", "zipCode": "94105", "callingCode": "001", "cellNum": "4155551234"});
    std::fs::write(&identity, person.to_string()).expect("identity file");
    Environment {
        api_key: Some(Secret { value: SecretString::from(KEY), source: SecretRef::Env("AXYS_KEY".into()) }),
        stage: Some(stage),
        state_file: Some(state.join("state.json")),
        features: ["physical-card", "bank-deposit", "wallets", "3ds"].map(String::from).to_vec(),
        inputs: vec![("production_cardholder".into(), Input::Path(identity))],
        ..env_at(&format!("{}/v2", server.uri()))
    }
}

struct Fake {
    server: golive_fakes::Wiremock,
    handle: AxysHandle,
    dir: tempfile::TempDir,
}

async fn fake(mode: Mode) -> Fake {
    let server = golive_fakes::Wiremock::start().await;
    let handle = golive_fakes::axys::mount_with(&server, KEY, mode).await;
    Fake { server, handle, dir: tempfile::tempdir().expect("tempdir") }
}

async fn run(f: &Fake, stage: Stage, ids: &[&str], timeout: Option<Duration>) -> Vec<ProbeReport> {
    let sel = Selection { only: ids.iter().map(|s| s.to_string()).collect(), ..Selection::default() };
    let opts = RunOptions { allow_mutations: true, timeout, ..RunOptions::default() };
    run_pack(env(&f.server, stage, f.dir.path()), axys_pack(), &sel, &opts).await.probes
}

async fn one(f: &Fake, stage: Stage, id: &str) -> ProbeReport {
    run(f, stage, &[id], None).await.into_iter().find(|p| p.id == id).expect("ran")
}

/// The check `name` of the step whose name contains `step`.
fn check<'a>(p: &'a ProbeReport, step: &str, name: &str) -> &'a Check {
    p.checks
        .iter()
        .find(|c| {
            c.name.split(" › ").next().is_some_and(|s| s.contains(step)) && c.name.ends_with(&format!("› {name}"))
        })
        .unwrap_or_else(|| panic!("no check {step} › {name}: {:#?}", p.checks))
}

/// A route of the fake answers `answer` instead (a higher priority mock).
async fn break_route(f: &Fake, route: &str, answer: ResponseTemplate) {
    Mock::given(path_regex(route)).respond_with(answer).with_priority(1).mount(&f.server).await;
}

#[tokio::test]
async fn the_staging_flow_passes_and_leaves_no_test_card_active() {
    let f = fake(Mode::Staging).await;
    let p = one(&f, Stage::Staging, "axys-staging-flow").await;
    assert_eq!(p.status, Status::Pass, "{p:#?}");
    assert!(f.handle.active_cards().is_empty(), "cards left active: {:?}", f.handle.active_cards());
    assert_eq!(check(&p, "card details", "$.cardNumber").actual.as_deref(), Some("***"), "{p:#?}");
    let text = format!("{p:?}");
    assert!(!text.contains(golive_fakes::axys::TEST_PAN), "the card number is masked everywhere");
}

#[tokio::test]
async fn the_decline_path_passes_through_a_decline_a_refresh_and_an_approval() {
    let f = fake(Mode::Staging).await;
    let p = one(&f, Stage::Staging, "axys-staging-decline").await;
    assert_eq!(p.status, Status::Pass, "{p:#?}");
    let states: Vec<String> = p.trace.iter().filter(|t| t["type"] == "state").map(|t| t["to"].to_string()).collect();
    assert!(states.windows(3).any(|w| w == ["2", "3", "1"]), "declined, back under review, approved: {states:?}");
}

#[tokio::test]
async fn a_missing_documented_field_fails_its_step_and_the_card_still_ends_on_hold() {
    let f = fake(Mode::Staging).await;
    // The list envelope is documented (pagination-filtering-and-rate-limits).
    let no_items =
        ResponseTemplate::new(200).set_body_json(json!({"status": "success", "total": 0, "limit": 200, "offset": 0}));
    break_route(&f, r"^/v2/cards/transactions$", no_items).await;
    let p = one(&f, Stage::Staging, "axys-staging-flow").await;
    assert_eq!(p.status, Status::Fail, "{p:#?}");
    let items = check(&p, "transactions of the new card", "$.items");
    assert_eq!((items.status, items.actual.as_deref()), (Status::Fail, Some("(absent)")));
    assert!(p.checks.iter().any(|c| c.name.contains("fees") && c.status == Status::Skip), "later steps skipped");
    assert!(f.handle.active_cards().is_empty(), "the cleanup put the card On Hold");
}

#[tokio::test]
async fn a_missing_inferred_field_warns_naming_step_fact_and_answer_and_the_flow_goes_on() {
    let f = fake(Mode::Staging).await;
    // No page shows the details answer: its field names are golive's inference.
    break_route(
        &f,
        r"^/v2/cards/[0-9]+/details$",
        ResponseTemplate::new(200).set_body_json(json!({"cardNumber": 4111111111111111u64})),
    )
    .await;
    let p = one(&f, Stage::Staging, "axys-staging-flow").await;
    assert_eq!(p.status, Status::Warn, "{p:#?}");
    let cvv = check(&p, "card details", "$.cvv");
    assert_eq!((cvv.status, cvv.actual.as_deref()), (Status::Warn, Some("(absent)")));
    assert!(
        cvv.message.contains("differs from what golive inferred") && cvv.message.contains("expected present"),
        "{}",
        cvv.message
    );
    let mark = cvv.fact.as_ref().expect("the check names its fact");
    assert_eq!((mark.basis, mark.held), (golive::spec::Basis::Inferred, Some(false)));
    assert_eq!(check(&p, "balance", "$.ledgerBalance").status, Status::Pass, "later steps ran: {p:#?}");
    assert!(f.handle.active_cards().is_empty(), "the cleanup put the card On Hold");
}

#[tokio::test]
async fn a_wrong_status_or_type_fails_its_step_with_expected_and_actual() {
    let f = fake(Mode::Staging).await;
    break_route(&f, r"^/v2/cards/[0-9]+/balance$", ResponseTemplate::new(500)).await;
    let p = one(&f, Stage::Staging, "axys-staging-flow").await;
    let status = check(&p, "balance", "status");
    assert_eq!((status.expected.as_deref(), status.actual.as_deref()), (Some("2xx"), Some("500")));
    assert_eq!(status.status, Status::Fail);
    assert!(f.handle.active_cards().is_empty());

    let f = fake(Mode::Staging).await;
    let text = ResponseTemplate::new(200)
        .set_body_json(json!({"status": "success", "items": [], "total": "0", "limit": 200, "offset": 0}));
    break_route(&f, r"^/v2/cards/transactions$", text).await;
    let p = one(&f, Stage::Staging, "axys-staging-flow").await;
    let c = check(&p, "transactions of the new card", "$.total");
    assert_eq!((c.status, c.expected.as_deref(), c.actual.as_deref()), (Status::Fail, Some("integer"), Some("string")));
}

/// The issue's first case: a partner answering a successful POST /cardholders
/// with 201 Created failed the staging flow at step 1. No page pins the code:
/// the step expects any 2xx and infers 200, so a 201 warns, naming the step,
/// the fact and the answer; `--strict-contract` makes it a failure again.
#[tokio::test]
async fn a_201_to_the_cardholder_create_warns_and_fails_only_with_strict_contract() {
    for strict in [false, true] {
        let f = fake(Mode::Staging).await;
        let created = ResponseTemplate::new(201).set_body_json(json!({"status": "success", "cardholderId": 10532}));
        Mock::given(method("POST"))
            .and(path_regex(r"^/v2/cardholders$"))
            .respond_with(created)
            .with_priority(1)
            .mount(&f.server)
            .await;
        let env = Environment { strict_contract: strict, ..env(&f.server, Stage::Staging, f.dir.path()) };
        let sel = Selection { only: vec!["axys-staging-flow".into()], ..Selection::default() };
        let opts = RunOptions { allow_mutations: true, ..RunOptions::default() };
        let p = run_pack(env, axys_pack(), &sel, &opts).await.probes.remove(0);
        assert_eq!(check(&p, "create a test cardholder", "status").status, Status::Pass, "2xx: {p:#?}");
        let code = check(&p, "create a test cardholder", "inferred status");
        let message = &code.message;
        if strict {
            assert_eq!(code.status, Status::Fail, "{p:#?}");
            assert!(
                p.checks.iter().any(|c| c.name.contains("the new cardholder is a Draft") && c.status == Status::Skip)
            );
        } else {
            assert_eq!(code.status, Status::Warn, "{p:#?}");
            assert!(
                message.contains("differs from what golive inferred")
                    && message.contains("answered 201 where golive inferred 200"),
                "{message}"
            );
            // The flow went on: the next step used the captured id.
            assert!(
                p.checks.iter().any(|c| c.name.contains("the new cardholder is a Draft") && c.status != Status::Skip)
            );
        }
    }
}

/// Regression: the pack masked every field named `code` (meant for the 3-DS
/// OTP), so an error answer read `"code":"***"`. The OTP is masked by path on
/// the step that reads it; an error's code stays readable.
#[tokio::test]
async fn an_error_code_in_an_axys_answer_is_not_masked() {
    let f = fake(Mode::Staging).await;
    let refused = ResponseTemplate::new(403).set_body_json(json!({"status": "error", "code": "KYC_LOCKED"}));
    break_route(&f, r"^/v2/cardholders/[0-9]+/kyc-submit$", refused).await;
    let p = one(&f, Stage::Staging, "axys-staging-flow").await;
    let status = check(&p, "submit to compliance", "status");
    assert!(status.message.contains(r#""code":"KYC_LOCKED""#), "{}", status.message);
    let traced = p
        .trace
        .iter()
        .filter(|t| t["type"] == "http")
        .any(|t| t["response"]["body"].as_str().is_some_and(|b| b.contains(r#""code":"KYC_LOCKED""#)));
    assert!(traced, "the trace shows the error's code: {:#?}", p.trace);
}

#[tokio::test]
async fn a_slow_answer_errors_its_step_and_the_cleanup_still_runs() {
    let f = fake(Mode::Staging).await;
    let slow = ResponseTemplate::new(200).set_delay(Duration::from_secs(30));
    break_route(&f, r"^/v2/cards/fees$", slow).await;
    let p = run(&f, Stage::Staging, &["axys-staging-flow"], Some(Duration::from_secs(4))).await.remove(0);
    assert_eq!(p.status, Status::Error, "{p:#?}");
    assert!(f.handle.active_cards().is_empty(), "cleanup ran in the time kept for it: {p:#?}");
}

#[tokio::test]
async fn a_cleanup_that_fails_is_a_failure_naming_the_card_left_active() {
    let f = fake(Mode::Staging).await;
    // Every status change after the card is issued fails: the card stays Active.
    Mock::given(method("PUT"))
        .and(path_regex(r"^/v2/cards/[0-9]+/status$"))
        .respond_with(ResponseTemplate::new(503))
        .with_priority(1)
        .mount(&f.server)
        .await;
    let p = one(&f, Stage::Staging, "axys-staging-flow").await;
    assert_eq!(p.status, Status::Fail);
    let left = f.handle.active_cards();
    assert_eq!(left.len(), 1, "{left:?}");
    let named = p.checks.iter().any(|c| {
        c.status == Status::Fail && c.message.contains("cleanup failed") && c.message.contains(&left[0].to_string())
    });
    assert!(named, "the failure names card {}: {p:#?}", left[0]);
}

#[tokio::test]
async fn the_production_flow_reports_a_pending_approval_and_the_next_run_resumes_it() {
    let f = fake(Mode::Production).await;
    let opts_timeout = Some(Duration::from_secs(120));
    let first = run(&f, Stage::Production, &["axys-production-flow"], opts_timeout).await.remove(0);
    assert_eq!(first.status, Status::Warn, "pending, not failed: {first:#?}");
    assert!(first.checks.iter().any(|c| c.message.contains("pending")), "{first:#?}");
    let posts = |reqs: &[wiremock::Request]| {
        reqs.iter().filter(|r| r.method.as_str() == "POST" && r.url.path() == "/v2/cardholders").count()
    };
    let requests = f.server.received_requests().await.expect("recording");
    assert_eq!(posts(&requests), 1);
    // A person completes the identity check: the cardholder is approved.
    let id = 10532;
    assert_eq!(f.handle.cardholder_status(id), Some(3), "under review");
    f.handle.complete_review(id, true);
    let second = run(&f, Stage::Production, &["axys-production-flow"], opts_timeout).await.remove(0);
    assert!(matches!(second.status, Status::Pass | Status::Warn), "{second:#?}");
    assert!(second.checks.iter().any(|c| c.name.contains("resume") && c.message.contains("cardholderId = 10532")));
    let requests = f.server.received_requests().await.expect("recording");
    assert_eq!(posts(&requests), 1, "the second run created no second cardholder");
    assert!(f.handle.active_cards().is_empty(), "the production test card ends On Hold");
}

#[tokio::test]
async fn the_production_base_url_check_tells_production_from_staging() {
    let prod = fake(Mode::Production).await;
    let p = one(&prod, Stage::Production, "axys-production-base-url").await;
    assert_eq!(p.status, Status::Pass, "{p:#?}");
    let staging = fake(Mode::Staging).await;
    let p = one(&staging, Stage::Production, "axys-production-base-url").await;
    assert_eq!(p.status, Status::Fail, "{p:#?}");
    let cause = p.diagnosis.as_ref().map(|d| d.cause.clone()).unwrap_or_default();
    assert!(cause.contains("not production"), "{cause}");
    assert!(staging.handle.active_cards().is_empty());
}

#[tokio::test]
async fn the_optional_probes_pass_when_their_features_are_enabled() {
    let f = fake(Mode::Staging).await;
    let ids = ["axys-physical-card", "axys-bank-deposit", "axys-wallets", "axys-3ds-otp"];
    let reports = run(&f, Stage::Staging, &ids, None).await;
    for id in ids {
        let p = reports.iter().find(|p| p.id == id).unwrap_or_else(|| panic!("{id} ran"));
        assert!(matches!(p.status, Status::Pass | Status::Warn), "{id}: {p:#?}");
    }
    assert!(f.handle.active_cards().is_empty(), "{:?}", f.handle.active_cards());
}

#[test]
fn launch_day_never_selects_a_mutating_probe() {
    for (name, text) in BUILT_IN {
        let pack = pack_from(text);
        for p in pack.probes.iter().filter(|p| p.tags.iter().any(|t| t == "launch-day")) {
            assert!(!p.mutating(), "{name}: {} is tagged launch-day and mutating", p.id);
        }
    }
}
