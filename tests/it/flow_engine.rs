//! The step engine's flow features against a real HTTP server: typed captures
//! (an integer id stays an integer in a JSON body and in `equals`), polls that
//! stop on a failed state or end pending, flows resumed from the state folder,
//! cleanups whose failure fails the probe, and probes of optional features.

use golive::config::Environment;
use golive::plan::Selection;
use golive::report::{ProbeReport, Status};
use golive::runner::RunOptions;
use serde_json::json;
use wiremock::matchers::{body_json, method, path};
use wiremock::{Mock, ResponseTemplate};

use crate::support::{env_at, pack_from, run_pack};

fn pack(probe: &str) -> String {
    format!("[pack]\nname = \"t\"\ntitle = \"T\"\nrunbook = \"t\"\n\n{probe}")
}

use crate::support::run_probe as run;

fn check<'a>(r: &'a ProbeReport, name_part: &str) -> &'a golive::report::Check {
    r.checks.iter().find(|c| c.name.contains(name_part)).unwrap_or_else(|| panic!("no check {name_part}: {r:#?}"))
}

const TYPED: &str = r#"
[[probe]]
id = "flow"
kind = "http"
title = "Flow"
tags = ["mutating"]
[[probe.params.steps]]
name = "create"
method = "POST"
url = "${base_url}/things"
mutating = true
capture = { thingId = "$.thingId" }
[[probe.params.steps]]
name = "use the id in a body"
method = "POST"
url = "${base_url}/things/${thingId}/use"
mutating = true
json = { thingId = "${thingId}", label = "thing ${thingId}" }
assert = [{ path = "$.thingId", equals = "${thingId}" }]
"#;

#[tokio::test]
async fn a_captured_integer_stays_an_integer_in_bodies_and_equals() {
    let server = golive_fakes::Wiremock::start().await;
    Mock::given(method("POST"))
        .and(path("/things"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"thingId": 10532})))
        .mount(&server)
        .await;
    // Only an integer id in the body gets the answer the step expects.
    Mock::given(path("/things/10532/use"))
        .and(body_json(json!({"thingId": 10532, "label": "thing 10532"})))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"thingId": 10532})))
        .mount(&server)
        .await;
    let r = run(env_at(&server.uri()), TYPED).await;
    assert_eq!(r.status, Status::Pass, "{r:#?}");
}

#[tokio::test]
async fn equals_a_captured_integer_fails_on_the_same_digits_as_a_string() {
    let server = golive_fakes::Wiremock::start().await;
    Mock::given(path("/things"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"thingId": 10532})))
        .mount(&server)
        .await;
    Mock::given(path("/things/10532/use"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"thingId": "10532"})))
        .mount(&server)
        .await;
    let r = run(env_at(&server.uri()), TYPED).await;
    assert_eq!(r.status, Status::Fail, "{r:#?}");
    assert_eq!(check(&r, "$.thingId").actual.as_deref(), Some("\"10532\""));
}

const POLL: &str = r#"
[[probe]]
id = "flow"
kind = "http"
title = "Flow"
tags = ["mutating"]
[probe.params]
resume = ["holderId"]
[[probe.params.steps]]
name = "create"
method = "POST"
url = "${base_url}/holders"
mutating = true
on_resume = "skip"
capture = { holderId = "$.holderId" }
[[probe.params.steps]]
name = "wait for approval"
url = "${base_url}/holders/${holderId}"
poll = { every = "10ms", attempts = 3, until = [{ path = "$.status", equals = 1 }], fail_if = [{ path = "$.status", one_of = [2, 7] }], pending = "a person reviews the document" }
assert = [{ path = "$.status", equals = 1 }]
[[probe.params.steps]]
name = "after approval"
url = "${base_url}/holders/${holderId}/next"
"#;

fn holder(status: u64) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(json!({"holderId": 77, "status": status}))
}

#[tokio::test]
async fn a_poll_stops_at_once_on_a_state_the_pack_names_as_failed() {
    let server = golive_fakes::Wiremock::start().await;
    let dir = tempfile::tempdir().unwrap();
    Mock::given(path("/holders")).respond_with(holder(4)).mount(&server).await;
    Mock::given(path("/holders/77")).respond_with(holder(2)).expect(1).mount(&server).await;
    let env = Environment { state_file: Some(dir.path().join("state.json")), ..env_at(&server.uri()) };
    let r = run(env, POLL).await;
    assert_eq!(r.status, Status::Fail, "{r:#?}");
    assert!(check(&r, "poll").message.contains("stopped polling after 1 reads"), "{r:#?}");
    // A declined holder cannot be resumed: the next run starts afresh.
    let remembered = std::fs::read_to_string(dir.path().join("resume.json")).unwrap_or_default();
    assert!(!remembered.contains("holderId"), "{remembered}");
}

#[tokio::test]
async fn a_pending_approval_warns_and_the_next_run_resumes_without_creating_again() {
    let server = golive_fakes::Wiremock::start().await;
    let dir = tempfile::tempdir().unwrap();
    Mock::given(path("/holders")).respond_with(holder(4)).expect(1).mount(&server).await;
    Mock::given(path("/holders/77")).respond_with(holder(3)).up_to_n_times(3).with_priority(1).mount(&server).await;
    Mock::given(path("/holders/77")).respond_with(holder(1)).with_priority(2).mount(&server).await;
    Mock::given(path("/holders/77/next")).respond_with(ResponseTemplate::new(200)).mount(&server).await;
    let env = Environment { state_file: Some(dir.path().join("state.json")), ..env_at(&server.uri()) };

    let first = run(env.clone(), POLL).await;
    assert_eq!(first.status, Status::Warn, "pending is not a failure: {first:#?}");
    let poll = check(&first, "poll");
    assert_eq!(poll.status, Status::Warn);
    assert!(poll.message.contains("pending: a person reviews the document"), "{poll:?}");
    assert_eq!(check(&first, "after approval").status, Status::Skip);
    let remembered = std::fs::read_to_string(dir.path().join("resume.json")).unwrap();
    assert!(remembered.contains("\"holderId\": 77"), "{remembered}");

    let second = run(env, POLL).await;
    assert_eq!(second.status, Status::Pass, "{second:#?}");
    assert!(check(&second, "resume").message.contains("holderId = 77"), "{second:#?}");
    assert_eq!(check(&second, "create").status, Status::Skip, "not created again");
    let after = std::fs::read_to_string(dir.path().join("resume.json")).unwrap();
    assert!(!after.contains("holderId"), "forgotten once the flow completed: {after}");
    // `.expect(1)` on POST /holders: the second run created nothing.
}

const CLEANUP: &str = r#"
[[probe]]
id = "flow"
kind = "http"
title = "Flow"
tags = ["mutating"]
[[probe.params.steps]]
name = "issue"
method = "POST"
url = "${base_url}/cards"
mutating = true
capture = { cardId = "$.cardId" }
[[probe.params.cleanup]]
name = "put the card on hold"
method = "PUT"
url = "${base_url}/cards/${cardId}/status"
mutating = true
json = { newStatus = 2 }
on_failure = "the test card ${cardId} is left active: put it on hold by hand"
"#;

#[tokio::test]
async fn a_failed_cleanup_fails_the_probe_naming_what_is_left() {
    let server = golive_fakes::Wiremock::start().await;
    Mock::given(path("/cards")).respond_with(holder(0).set_body_json(json!({"cardId": 8821}))).mount(&server).await;
    Mock::given(path("/cards/8821/status")).respond_with(ResponseTemplate::new(500)).mount(&server).await;
    let r = run(env_at(&server.uri()), CLEANUP).await;
    assert_eq!(r.status, Status::Fail, "{r:#?}");
    let c = check(&r, "put the card on hold (mutating) › status");
    assert!(c.message.contains("the test card 8821 is left active"), "{c:?}");
}

#[tokio::test]
async fn a_cleanup_that_works_leaves_the_probe_passing() {
    let server = golive_fakes::Wiremock::start().await;
    Mock::given(path("/cards")).respond_with(holder(0).set_body_json(json!({"cardId": 8821}))).mount(&server).await;
    Mock::given(path("/cards/8821/status"))
        .and(body_json(json!({"newStatus": 2})))
        .respond_with(ResponseTemplate::new(200))
        .expect(1)
        .mount(&server)
        .await;
    let r = run(env_at(&server.uri()), CLEANUP).await;
    assert_eq!(r.status, Status::Pass, "{r:#?}");
}

const OPTIONAL: &str = r#"
[[probe]]
id = "base"
kind = "http"
title = "Base"
[probe.params]
url = "${base_url}/a"

[[probe]]
id = "wallets"
kind = "http"
title = "Wallets"
feature = "wallets"
tags = ["optional", "wallets"]
[probe.params]
url = "${base_url}/wallets"
"#;

#[tokio::test]
async fn a_probe_of_an_optional_feature_runs_only_where_the_environment_enables_it() {
    let server = golive_fakes::Wiremock::start().await;
    Mock::given(path("/a")).respond_with(ResponseTemplate::new(200)).mount(&server).await;
    Mock::given(path("/wallets")).respond_with(ResponseTemplate::new(200)).mount(&server).await;
    let off =
        run_pack(env_at(&server.uri()), pack_from(&pack(OPTIONAL)), &Selection::default(), &Default::default()).await;
    assert_eq!(off.probes.iter().map(|p| p.id.as_str()).collect::<Vec<_>>(), ["base"]);
    let env = Environment { features: vec!["wallets".into()], ..env_at(&server.uri()) };
    let on = run_pack(env, pack_from(&pack(OPTIONAL)), &Selection::default(), &Default::default()).await;
    assert_eq!(on.probes.iter().map(|p| p.id.as_str()).collect::<Vec<_>>(), ["base", "wallets"]);
    assert!(on.probes.iter().all(|p| p.status == Status::Pass), "{on:#?}");
}

#[test]
fn asking_for_a_probe_of_a_feature_the_environment_lacks_is_a_usage_error() {
    let sel = Selection { only: vec!["wallets".into()], ..Selection::default() };
    let env = env_at("http://127.0.0.1:9");
    let Err(err) = golive::plan::Plan::build("e", vec![(env, pack_from(&pack(OPTIONAL)))], &sel) else {
        panic!("planned a probe of a disabled feature");
    };
    let text = err.to_string();
    assert!(text.contains("optional feature `wallets`") && text.contains("features"), "{text}");
}

const STAGED: &str = r#"
[[probe]]
id = "simulate"
kind = "http"
title = "Staging simulation"
stage = "staging"
[probe.params]
url = "${base_url}/staging/x"

[[probe]]
id = "is-production"
kind = "http"
title = "Production only"
stage = "production"
[probe.params]
url = "${base_url}/staging/x"
expect_status = 404
"#;

#[tokio::test]
async fn a_probe_bound_to_a_stage_runs_only_in_an_environment_of_that_stage() {
    let server = golive_fakes::Wiremock::start().await;
    let ids = |s: &golive::report::RunSummary| s.probes.iter().map(|p| p.id.clone()).collect::<Vec<_>>();
    let (sel, opts) = (Selection::default(), RunOptions::default());
    let run_in = |stage| {
        let env = Environment { stage, ..env_at(&server.uri()) };
        run_pack(env, pack_from(&pack(STAGED)), &sel, &opts)
    };
    assert_eq!(ids(&run_in(Some(golive::config::Stage::Staging)).await), ["simulate"]);
    assert_eq!(ids(&run_in(Some(golive::config::Stage::Production)).await), ["is-production"]);
    let env = Environment { stage: None, ..env_at(&server.uri()) };
    let Err(err) = golive::plan::Plan::build("sandbox", vec![(env, pack_from(&pack(STAGED)))], &sel) else {
        panic!("an environment of no stage runs no stage-bound probe, and nothing at all is a usage error");
    };
    assert!(err.to_string().contains("nothing to run"), "{err}");
    let sel = Selection { only: vec!["is-production".into()], ..Selection::default() };
    let env = Environment { stage: Some(golive::config::Stage::Staging), ..env_at("http://127.0.0.1:9") };
    let Err(err) = golive::plan::Plan::build("staging", vec![(env, pack_from(&pack(STAGED)))], &sel) else {
        panic!("planned a production-only probe in staging");
    };
    assert!(err.to_string().contains("runs only against a production environment"), "{err}");
}

const IF_PRESENT: &str = r#"
[[probe]]
id = "list"
kind = "http"
title = "List"
[probe.params]
url = "${base_url}/items"
assert = [{ path = "$.items[0].transId", type = "string", if_present = true }]
"#;

#[tokio::test]
async fn an_if_present_assertion_checks_what_there_is_and_passes_on_nothing() {
    let server = golive_fakes::Wiremock::start().await;
    let answer = |v| ResponseTemplate::new(200).set_body_json(v);
    Mock::given(path("/items")).respond_with(answer(json!({"items": []}))).up_to_n_times(1).mount(&server).await;
    let empty = run(env_at(&server.uri()), IF_PRESENT).await;
    assert_eq!(empty.status, Status::Pass, "{empty:#?}");
    assert!(check(&empty, "transId").message.contains("nothing to check"), "{empty:#?}");
    Mock::given(path("/items")).respond_with(answer(json!({"items": [{"transId": 7}]}))).mount(&server).await;
    let wrong = run(env_at(&server.uri()), IF_PRESENT).await;
    assert_eq!(wrong.status, Status::Fail, "a present value is checked: {wrong:#?}");
}
