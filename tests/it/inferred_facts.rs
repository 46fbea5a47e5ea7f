//! The step engine weighs each fact by its basis, against a real HTTP server:
//! an inferred fact that does not hold warns and the flow goes on where it
//! can (a capture at the pack's alternative is used; a refused request stops
//! the flow with a warning; a failed state golive only infers is polled
//! through), a documented one fails, an answer about access fails whatever
//! golive inferred, and `strict_contract` makes inferred facts hard checks.

use golive::config::Environment;
use golive::report::{Check, ProbeReport, Status};
use golive::spec::Basis;
use serde_json::json;
use wiremock::matchers::{method, path};
use wiremock::{Mock, ResponseTemplate};

use crate::support::env_at;

use crate::support::run_probe as run;

fn check<'a>(r: &'a ProbeReport, name_part: &str) -> &'a Check {
    r.checks.iter().find(|c| c.name.contains(name_part)).unwrap_or_else(|| panic!("no check {name_part}: {r:#?}"))
}

fn json(status: u16, body: serde_json::Value) -> ResponseTemplate {
    ResponseTemplate::new(status).set_body_json(body)
}

/// A create whose code golive infers, a refused step, a read, and a cleanup.
const FLOW: &str = r#"
[[probe]]
id = "flow"
kind = "http"
title = "Flow"
tags = ["mutating"]
[probe.params]
leaves = ["the test thing ${thingId}"]
[[probe.params.steps]]
name = "create"
method = "POST"
url = "${base_url}/things"
mutating = true
source = "https://docs.example.test/things"
inferred_status = { code = 200, why = "the page shows the body, not the code" }
capture = { thingId = { path = "$.id", alternatives = ["$.data.id"], basis = "inferred", why = "the page shows no answer" } }
[[probe.params.steps]]
name = "approve"
method = "POST"
url = "${base_url}/things/${thingId}/approve"
mutating = true
source = "https://docs.example.test/approve"
expect_status = { is = "2xx", basis = "inferred", why = "the pages disagree whether a new thing can be approved" }
[[probe.params.steps]]
name = "read"
url = "${base_url}/things/${thingId}"
source = "https://docs.example.test/things"
assert = [{ path = "$.state", equals = "approved" }]
[[probe.params.cleanup]]
name = "archive"
method = "POST"
url = "${base_url}/things/${thingId}/archive"
mutating = true
source = "https://docs.example.test/archive"
"#;

async fn flow_server(created: ResponseTemplate, approve: ResponseTemplate) -> golive_fakes::Wiremock {
    flow_server_archiving(created, approve, 1).await
}

/// As [`flow_server`], the cleanup expected `archived` times.
async fn flow_server_archiving(
    created: ResponseTemplate,
    approve: ResponseTemplate,
    archived: u64,
) -> golive_fakes::Wiremock {
    let server = golive_fakes::Wiremock::start().await;
    Mock::given(method("POST")).and(path("/things")).respond_with(created).mount(&server).await;
    Mock::given(path("/things/7/approve")).respond_with(approve).mount(&server).await;
    Mock::given(path("/things/7")).respond_with(json(200, json!({"state": "approved"}))).mount(&server).await;
    Mock::given(path("/things/7/archive"))
        .respond_with(ResponseTemplate::new(204))
        .expect(archived)
        .mount(&server)
        .await;
    server
}

#[tokio::test]
async fn the_answers_golive_inferred_pass_and_say_so() {
    let server = flow_server(json(200, json!({"id": 7})), ResponseTemplate::new(204)).await;
    let r = run(env_at(&server.uri()), FLOW).await;
    assert_eq!(r.status, Status::Pass, "{r:#?}");
    let code = check(&r, "create (mutating) › inferred status");
    let mark = code.fact.as_ref().expect("marked");
    assert_eq!((mark.fact.as_str(), mark.basis, mark.held), ("1.inferred_status", Basis::Inferred, Some(true)));
    let status = check(&r, "read › status").fact.as_ref().expect("marked");
    assert_eq!((status.basis, status.source.as_deref()), (Basis::Documented, Some("https://docs.example.test/things")));
    // A 204 is a success: the default expectation is any 2xx, not 200.
    assert_eq!(check(&r, "archive (mutating) › status").status, Status::Pass);
    let left = check(&r, "left behind");
    assert!(left.message.contains("the test thing 7"), "{left:?}");
}

#[tokio::test]
async fn a_201_where_golive_inferred_200_warns_and_fails_with_strict_contract() {
    let server = flow_server(json(201, json!({"id": 7})), ResponseTemplate::new(204)).await;
    let r = run(env_at(&server.uri()), FLOW).await;
    assert_eq!(r.status, Status::Warn, "{r:#?}");
    let code = check(&r, "create (mutating) › inferred status");
    assert_eq!(code.status, Status::Warn);
    assert!(
        code.message.contains("differs from what golive inferred (the page shows the body, not the code)")
            && code.message.contains("answered 201 where golive inferred 200"),
        "names the fact, why golive inferred it and what the partner answered: {}",
        code.message
    );
    assert_eq!(check(&r, "read › $.state").status, Status::Pass, "the flow went on");

    let strict = Environment { strict_contract: true, ..env_at(&server.uri()) };
    let r = run(strict, FLOW).await;
    assert_eq!(r.status, Status::Fail, "{r:#?}");
    assert_eq!(check(&r, "create (mutating) › inferred status").status, Status::Fail);
    assert!(check(&r, "read › not run").message.contains("failed"), "{r:#?}");
}

#[tokio::test]
async fn a_capture_found_only_at_the_alternative_is_a_note_refuting_the_path_and_the_flow_uses_it() {
    let server = flow_server(json(200, json!({"data": {"id": 7}})), ResponseTemplate::new(204)).await;
    let r = run(env_at(&server.uri()), FLOW).await;
    // The pack declared the other place: the integration is not at fault, the
    // pack's maintainer learns it from the contract report.
    assert_eq!(r.status, Status::Pass, "{r:#?}");
    let c = check(&r, "capture thingId");
    assert!(c.note && c.status == Status::Pass, "{c:?}");
    assert_eq!(c.fact.as_ref().and_then(|f| f.held), Some(false), "the path is refuted: {c:?}");
    assert!(c.message.contains("found at the pack's alternative `$.data.id`, not at `$.id`"), "{c:?}");
    let again = flow_server(json(200, json!({"data": {"id": 7}})), ResponseTemplate::new(204)).await;
    let strict = Environment { strict_contract: true, ..env_at(&again.uri()) };
    assert_eq!(run(strict, FLOW).await.status, Status::Fail, "--strict-contract holds the path");
    assert_eq!(check(&r, "read › $.state").status, Status::Pass, "the captured id was used");
}

#[tokio::test]
async fn a_capture_found_nowhere_warns_and_skips_only_what_needs_it() {
    // Without the id, the cleanup cannot archive anything.
    let server = flow_server_archiving(json(200, json!({"other": 1})), ResponseTemplate::new(204), 0).await;
    let r = run(env_at(&server.uri()), FLOW).await;
    assert_eq!(r.status, Status::Warn, "{r:#?}");
    assert!(check(&r, "capture thingId").message.contains("nothing to capture as `thingId` at `$.id` or `$.data.id`"));
    let skipped = check(&r, "approve (mutating) › not run");
    assert!(skipped.message.contains("did not carry where golive inferred it"), "{skipped:?}");
    assert!(check(&r, "archive (mutating) › not run").message.contains("thingId"));
}

#[tokio::test]
async fn a_refused_request_golive_inferred_would_succeed_warns_and_stops_the_flow() {
    let refused = json(409, json!({"status": "error", "message": "cannot approve a new thing"}));
    let server = flow_server(json(200, json!({"id": 7})), refused).await;
    let r = run(env_at(&server.uri()), FLOW).await;
    assert_eq!(r.status, Status::Warn, "{r:#?}");
    let c = check(&r, "approve (mutating) › status");
    assert!(c.message.contains("differs from what golive inferred") && c.message.contains("answered 409"), "{c:?}");
    assert!(check(&r, "read › not run").message.contains("differs from what golive inferred"), "{r:#?}");
    assert_eq!(check(&r, "archive (mutating) › status").status, Status::Pass, "the cleanup still ran");
}

#[tokio::test]
async fn an_answer_about_access_fails_whatever_golive_inferred() {
    let server = flow_server(json(200, json!({"id": 7})), json(401, json!({"status": "error"}))).await;
    let r = run(env_at(&server.uri()), FLOW).await;
    assert_eq!(r.status, Status::Fail, "{r:#?}");
    let c = check(&r, "approve (mutating) › status");
    assert_eq!((c.status, c.fact.as_ref().and_then(|m| m.held)), (Status::Fail, None), "{c:?}");
}

const POLL: &str = r#"
[[probe]]
id = "poll"
kind = "http"
title = "Poll"
[[probe.params.steps]]
name = "wait"
url = "${base_url}/holder"
source = "https://docs.example.test/statuses"
poll = { every = "10ms", attempts = 4, until = [{ path = "$.status", equals = 1 }], fail_if = [{ path = "$.status", equals = 2 }, { path = "$.status", equals = 5, basis = "inferred", why = "the pages disagree: 5 is Deleted or Pending" }] }
"#;

fn holder(status: u64) -> ResponseTemplate {
    json(200, json!({"status": status}))
}

#[tokio::test]
async fn a_state_golive_only_infers_is_failed_is_polled_through_and_refuted_when_it_passes() {
    let server = golive_fakes::Wiremock::start().await;
    Mock::given(path("/holder")).respond_with(holder(5)).up_to_n_times(2).mount(&server).await;
    Mock::given(path("/holder")).respond_with(holder(1)).mount(&server).await;
    let r = run(env_at(&server.uri()), POLL).await;
    assert_eq!(r.status, Status::Warn, "{r:#?}");
    let c = check(&r, "poll");
    assert!(c.message.contains("then the condition held: not a failed state"), "{c:?}");
    let mark = c.fact.as_ref().expect("marked");
    assert_eq!((mark.fact.as_str(), mark.held), ("1.poll.fail_if.2", Some(false)));
}

#[tokio::test]
async fn a_poll_that_stays_in_a_state_golive_infers_is_failed_warns_and_a_documented_one_fails() {
    let server = golive_fakes::Wiremock::start().await;
    Mock::given(path("/holder")).respond_with(holder(5)).mount(&server).await;
    let r = run(env_at(&server.uri()), POLL).await;
    assert_eq!(r.status, Status::Warn, "{r:#?}");
    assert!(check(&r, "poll").message.contains("a state golive infers is failed"), "{r:#?}");

    let server = golive_fakes::Wiremock::start().await;
    Mock::given(path("/holder")).respond_with(holder(2)).expect(1).mount(&server).await;
    let r = run(env_at(&server.uri()), POLL).await;
    assert_eq!(r.status, Status::Fail, "{r:#?}");
    assert!(check(&r, "poll").message.contains("a state the pack names as failed"), "{r:#?}");
}

#[tokio::test]
async fn a_documented_fact_held_only_at_an_alternative_still_fails() {
    let text = r#"
[[probe]]
id = "read"
kind = "http"
title = "Read"
[probe.params]
url = "${base_url}/holder"
source = "https://docs.example.test/holder"
assert = [{ path = "$.status", equals = 1, alternatives = ["$.*.status"] }]
"#;
    let server = golive_fakes::Wiremock::start().await;
    Mock::given(path("/holder")).respond_with(json(200, json!({"data": {"status": 1}}))).mount(&server).await;
    let r = run(env_at(&server.uri()), text).await;
    assert_eq!(r.status, Status::Fail, "{r:#?}");
    assert!(check(&r, "$.status").message.contains("at the pack's alternative `$.*.status`"), "{r:#?}");
}

/// Where a value sits is golive's inference; the value itself is the page's.
const PLACE: &str = r#"
[[probe]]
id = "read"
kind = "http"
title = "Read"
[probe.params]
url = "${base_url}/card"
source = "https://docs.example.test/cards"
assert = [{ path = "$.cardStatus", equals = 2, alternatives = ["$.*.cardStatus"], basis = "inferred", why = "no page shows the read" }]
"#;

#[tokio::test]
async fn a_wrong_value_where_golive_inferred_it_sits_fails_and_a_missing_place_warns() {
    for (body, expected) in [
        (json!({"cardStatus": 1}), Status::Fail),
        (json!({"data": {"cardStatus": 1}}), Status::Fail),
        (json!({"cardStatus": "success", "data": {"other": 1}}), Status::Warn),
        (json!({"state": 2}), Status::Warn),
        (json!({"data": {"cardStatus": 2}}), Status::Pass),
        (json!({"cardStatus": 2}), Status::Pass),
    ] {
        let server = golive_fakes::Wiremock::start().await;
        Mock::given(path("/card")).respond_with(json(200, body.clone())).mount(&server).await;
        let r = run(env_at(&server.uri()), PLACE).await;
        assert_eq!(r.status, expected, "{body}: {r:#?}");
    }
    // A poll whose state is read where golive inferred it, but never reached: a failure.
    let server = golive_fakes::Wiremock::start().await;
    Mock::given(path("/holder")).respond_with(holder(0)).mount(&server).await;
    let inferred = POLL.replace(
        "until = [{ path = \"$.status\", equals = 1 }]",
        "until = [{ path = \"$.status\", equals = 1, basis = \"inferred\", why = \"no page shows the read\" }]",
    );
    assert_ne!(inferred, POLL);
    let r = run(env_at(&server.uri()), &inferred).await;
    assert_eq!(r.status, Status::Fail, "{r:#?}");
    assert!(check(&r, "poll").message.contains("the condition never held"), "{r:#?}");
}
