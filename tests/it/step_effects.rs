//! What a step changed decides what follows it, against a real HTTP server: a
//! mutating step not sent (its input was not where golive inferred it) ends
//! the flow, since the steps after it may check or rely on its effect, while a
//! read not sent does not; a step or cleanup `after` another runs only when
//! that one was sent and not refused (a card never activated is not put On
//! Hold); a capture `as = "integer"` sends the number a string of digits
//! spells, and a value that is no number is a miss that never shows the value.

use golive::plan::{Plan, Selection};
use golive::report::{Check, ProbeReport, Status};
use serde_json::json;
use wiremock::matchers::{body_json, method, path};
use wiremock::{Mock, ResponseTemplate};

use crate::support::{env_at, pack_from, run_probe as run};

fn check<'a>(r: &'a ProbeReport, name_part: &str) -> &'a Check {
    r.checks.iter().find(|c| c.name.contains(name_part)).unwrap_or_else(|| panic!("no check {name_part}: {r:#?}"))
}

fn json(status: u16, body: serde_json::Value) -> ResponseTemplate {
    ResponseTemplate::new(status).set_body_json(body)
}

/// Mounts `answer` for `verb path`, expected `times` times.
async fn route(server: &golive_fakes::Wiremock, verb: &str, at: &str, answer: ResponseTemplate, times: u64) {
    Mock::given(method(verb)).and(path(at)).respond_with(answer).expect(times).mount(server).await;
}

/// Create a thing (its activation code golive infers at `$.code`), read it by
/// code, activate it with the code, check it is active; cleanup: deactivate
/// (`after` the activation), archive.
const FLOW: &str = r#"
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
source = "https://docs.example.test/things"
capture = { thingId = "$.id", code = { path = "$.code", basis = "inferred", why = "the page shows no answer" } }
[[probe.params.steps]]
name = "look the code up"
url = "${base_url}/codes/${code}"
source = "https://docs.example.test/codes"
[[probe.params.steps]]
name = "activate"
method = "POST"
url = "${base_url}/things/${thingId}/activate"
mutating = true
expect_status = { is = "2xx", basis = "inferred", why = "the pages disagree whether a new thing can be activated" }
json = { code = "${code}" }
[[probe.params.steps]]
name = "the thing is active"
url = "${base_url}/things/${thingId}"
source = "https://docs.example.test/things"
assert = [{ path = "$.state", equals = "active" }]
[[probe.params.cleanup]]
name = "deactivate"
method = "POST"
url = "${base_url}/things/${thingId}/deactivate"
mutating = true
source = "https://docs.example.test/deactivate"
after = "activate"
[[probe.params.cleanup]]
name = "archive"
method = "POST"
url = "${base_url}/things/${thingId}/archive"
mutating = true
source = "https://docs.example.test/archive"
"#;

/// A server for [`FLOW`]: the create's answer, the activation's, and how many
/// times the activation, the read after it and the deactivation are expected.
async fn things(
    created: serde_json::Value,
    activate: (ResponseTemplate, u64),
    reads: u64,
    deactivations: u64,
) -> golive_fakes::Wiremock {
    let server = golive_fakes::Wiremock::start().await;
    route(&server, "POST", "/things", json(200, created), 1).await;
    Mock::given(path("/codes/c-1")).respond_with(json(200, json!({}))).mount(&server).await;
    route(&server, "POST", "/things/7/activate", activate.0, activate.1).await;
    route(&server, "GET", "/things/7", json(200, json!({"state": "active"})), reads).await;
    route(&server, "POST", "/things/7/deactivate", ResponseTemplate::new(204), deactivations).await;
    route(&server, "POST", "/things/7/archive", ResponseTemplate::new(204), 1).await;
    server
}

#[tokio::test]
async fn a_mutating_step_not_sent_ends_the_flow_and_what_follows_it_is_not_undone() {
    // No `code` where golive inferred it: the lookup (a read) and the activation are not sent.
    let server = things(json!({"id": 7}), (ResponseTemplate::new(204), 0), 0, 0).await;
    let r = run(env_at(&server.uri()), FLOW).await;
    assert_eq!(r.status, Status::Warn, "an inferred miss never fails: {r:#?}");
    assert!(check(&r, "capture code").message.contains("nothing to capture as `code`"), "{r:#?}");
    assert!(check(&r, "look the code up › not run").message.contains("${code}"));
    // The read not sent changed nothing; the activation not sent ends the flow.
    let after = check(&r, "the thing is active › not run");
    assert_eq!(after.status, Status::Skip);
    assert!(after.message.contains("3. activate (mutating) was not sent"), "names the step: {after:?}");
    let undo = check(&r, "deactivate (mutating) › not run");
    assert!(undo.message.contains("it follows 3. activate (mutating), which was not sent"), "{undo:?}");
    assert_eq!(check(&r, "archive (mutating) › status").status, Status::Pass, "a cleanup without `after` runs");
    server.verify().await;
}

#[tokio::test]
async fn a_cleanup_after_a_refused_step_is_not_run_and_after_an_accepted_one_is() {
    let refused = json(409, json!({"error": "a new thing cannot be activated"}));
    let server = things(json!({"id": 7, "code": "c-1"}), (refused, 1), 0, 0).await;
    let r = run(env_at(&server.uri()), FLOW).await;
    assert_eq!(r.status, Status::Warn, "{r:#?}");
    let undo = check(&r, "deactivate (mutating) › not run");
    assert!(undo.message.contains("which the partner refused (409): that changed nothing"), "{undo:?}");
    server.verify().await;

    let server = things(json!({"id": 7, "code": "c-1"}), (ResponseTemplate::new(204), 1), 1, 1).await;
    let r = run(env_at(&server.uri()), FLOW).await;
    assert_eq!(r.status, Status::Pass, "{r:#?}");
    assert_eq!(check(&r, "deactivate (mutating) › status").status, Status::Pass);
    server.verify().await;
}

#[test]
fn after_naming_no_earlier_step_is_a_load_error_listing_the_steps() {
    let text = format!(
        "[pack]\nname = \"t\"\ntitle = \"T\"\nrunbook = \"t\"\n{}",
        FLOW.replace("after = \"activate\"", "after = \"activat\"")
    );
    let Err(err) =
        Plan::build("test", vec![(env_at("https://partner.example"), pack_from(&text))], &Selection::default())
    else {
        panic!("a step `after` an unknown step must not build");
    };
    let err = err.to_string();
    assert!(err.contains("`after` names `activat`, which is no earlier step of this flow"), "{err}");
    assert!(err.contains("`create`, `look the code up`, `activate`, `the thing is active`"), "lists the steps: {err}");
}

/// Reads a card's details and activates it with them, as integers.
const ACTIVATE: &str = r#"
[[probe]]
id = "card"
kind = "http"
title = "Card"
tags = ["mutating"]
[[probe.params.steps]]
name = "details"
url = "${base_url}/cards/1/details"
basis = "inferred"
why = "no page shows the details' answer"
capture = { pan = { path = "$.pan", as = "integer" }, cvv = { path = "$.cvv", as = "integer" } }
[[probe.params.steps]]
name = "activate"
method = "PUT"
url = "${base_url}/cards/1/activate"
mutating = true
source = "https://docs.example.test/activate"
json = { cardNumber = "${pan}", cvv = "${cvv}" }
"#;

#[tokio::test]
async fn a_capture_as_integer_sends_the_number_a_string_of_digits_spells() {
    let server = golive_fakes::Wiremock::start().await;
    let details = json(200, json!({"pan": "4111111111111111", "cvv": "737"}));
    route(&server, "GET", "/cards/1/details", details, 1).await;
    // Only the integers the reference types are accepted.
    Mock::given(method("PUT"))
        .and(path("/cards/1/activate"))
        .and(body_json(json!({"cardNumber": 4111111111111111u64, "cvv": 737})))
        .respond_with(ResponseTemplate::new(200))
        .expect(1)
        .mount(&server)
        .await;
    let r = run(env_at(&server.uri()), ACTIVATE).await;
    assert_eq!(r.status, Status::Pass, "{r:#?}");
    server.verify().await;
}

#[tokio::test]
async fn a_capture_as_integer_of_no_number_is_a_miss_that_does_not_show_the_value() {
    let server = golive_fakes::Wiremock::start().await;
    route(&server, "GET", "/cards/1/details", json(200, json!({"pan": "4111 1111 1111 1111", "cvv": 737})), 1).await;
    route(&server, "PUT", "/cards/1/activate", ResponseTemplate::new(200), 0).await;
    let r = run(env_at(&server.uri()), ACTIVATE).await;
    assert_eq!(r.status, Status::Warn, "an inferred capture that misses warns: {r:#?}");
    let miss = check(&r, "capture pan");
    assert!(miss.message.contains("`pan` at `$.pan` is not a whole number"), "{miss:?}");
    assert!(!miss.message.contains("4111"), "the value is not shown: {miss:?}");
    assert_eq!(miss.fact.as_ref().and_then(|f| f.held), Some(false), "{miss:?}");
    server.verify().await;
}
