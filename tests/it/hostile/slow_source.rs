//! One slow source must not hide what the others found: a page that never
//! answers in time is an `error` check of its own, and the leaks found in a
//! bundle and a log keep the probe `fail`.

use std::time::Duration;

use golive::config::Exposure;
use golive::config::pack::BUILT_IN;
use golive::plan::Selection;
use golive::report::Status;
use golive::runner::RunOptions;
use wiremock::matchers::method;
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::exposure::{KEY, env, shown};
use crate::support::{pack_from, run_pack};

/// The exposure probe found the API key in a bundle and a card number in a
/// log, then one slow page hit the probe's deadline and the whole probe became
/// `error` (exit 3) with the findings dropped.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slow_page_no_longer_hides_the_leaks_found_in_bundles_and_logs() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(
            ResponseTemplate::new(200).set_body_string("<html>slow</html>").set_delay(Duration::from_secs(600)),
        )
        .mount(&server)
        .await;
    let dir = tempfile::tempdir().expect("dir");
    std::fs::create_dir(dir.path().join("dist")).expect("mkdir");
    std::fs::write(dir.path().join("dist/app.js"), format!("const k = \"{KEY}\";\n")).expect("bundle");
    std::fs::write(dir.path().join("app.log"), "card=4111111111111111 ok\n").expect("log");
    let exposure = Exposure {
        bundles: vec![dir.path().join("dist")],
        pages: vec![reqwest::Url::parse(&format!("{}/", server.uri())).expect("url")],
        logs: vec![dir.path().join("*.log").display().to_string()],
        ..Exposure::default()
    };
    let text = BUILT_IN.iter().find(|(n, _)| *n == "paymentsai").map(|(_, t)| *t).expect("pack");
    let sel = Selection { only: vec!["pai-exposure".into()], ..Selection::default() };
    let opts = RunOptions { timeout: Some(Duration::from_secs(2)), ..RunOptions::default() };
    let r = run_pack(env(exposure), pack_from(text), &sel, &opts).await.probes.remove(0);
    let said = shown(&r);
    assert_eq!(r.status, Status::Fail, "the leaks keep the probe failing: {said}");
    let status_of = |needle: &str| r.checks.iter().find(|c| c.message.contains(needle)).map(|c| c.status);
    assert_eq!(status_of("dist/app.js"), Some(Status::Fail), "{said}");
    assert_eq!(status_of("unmasked card number"), Some(Status::Fail), "{said}");
    assert_eq!(status_of("no complete answer before the probe's deadline"), Some(Status::Error), "{said}");
    assert!(!r.checks.iter().any(|c| c.name == "deadline"), "the runner did not have to stop it: {said}");
}
