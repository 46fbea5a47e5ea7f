//! The Axys auth test (runbook Phase 3): 200 with exactly the empty list on a
//! fresh program; a list with cardholders warns, a wrong page shape fails.

use golive::plan::{Plan, Selection};
use golive::report::{ProbeReport, Status};
use golive::runner::{self, RunOptions};
use golive_fakes::{Fakes, Scenario};
use serde_json::json;
use wiremock::matchers::{method, path};
use wiremock::{Mock, ResponseTemplate};

/// Runs `axys-auth` of the built-in pack with GET /cardholders answering `body`.
async fn auth_with(body: serde_json::Value) -> ProbeReport {
    let fakes = Fakes::start(Scenario::Healthy).await.expect("fakes start");
    Mock::given(method("GET"))
        .and(path("/v2/cardholders"))
        .respond_with(ResponseTemplate::new(200).set_body_json(body))
        .with_priority(1)
        .mount(fakes.api("axys").expect("the axys fake"))
        .await;
    let (env, pack) =
        crate::support::demo_targets(&fakes).into_iter().find(|(e, _)| e.pack == "axys").expect("axys env");
    let sel = Selection { only: vec!["axys-auth".into()], ..Selection::default() };
    let plan = Plan::build("test", vec![(env, pack)], &sel).expect("plan");
    let summary = runner::run(&plan, &RunOptions::default(), &mut |_| {}).await;
    summary.probes.into_iter().find(|p| p.id == "axys-auth").expect("axys-auth ran")
}

#[tokio::test]
async fn the_exact_empty_list_passes() {
    let p = auth_with(json!({"status": "success", "items": [], "total": 0, "limit": 50, "offset": 0})).await;
    assert_eq!(p.status, Status::Pass, "{p:#?}");
}

#[tokio::test]
async fn a_list_with_cardholders_warns_naming_what_differs() {
    let items = json!([{"cardholderId": "ch_1"}]);
    let p = auth_with(json!({"status": "success", "items": items, "total": 1, "limit": 50, "offset": 0})).await;
    assert_eq!(p.status, Status::Warn, "{p:#?}");
    let warned: Vec<_> = p.checks.iter().filter(|c| c.status == Status::Warn).collect();
    assert_eq!(warned.len(), 2, "items and total: {warned:#?}");
    assert!(warned.iter().all(|c| c.message.contains("a warning")), "{warned:#?}");
}

#[tokio::test]
async fn a_page_other_than_the_runbooks_fails_with_expected_and_actual() {
    let p = auth_with(json!({"status": "success", "items": [], "total": 0, "limit": 20, "offset": 0})).await;
    assert_eq!(p.status, Status::Fail, "{p:#?}");
    let limit = p.checks.iter().find(|c| c.status == Status::Fail).expect("a failed check");
    assert_eq!((limit.expected.as_deref(), limit.actual.as_deref()), (Some("50"), Some("20")), "{limit:#?}");
}
