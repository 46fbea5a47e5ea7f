//! The runner: concurrency, deadlines, dependency skips and selection, with
//! real HTTP probes against wiremock.

use std::time::{Duration, Instant};

use golive::plan::Selection;
use golive::report::Status;
use golive::runner::RunOptions;
use wiremock::matchers::path;
use wiremock::{Mock, ResponseTemplate};

use crate::support::{env_at, pack_from, run_pack};

const HEAD: &str = "[pack]\nname = \"test\"\ntitle = \"Test\"\nrunbook = \"test-runbook\"\n";

fn probe(id: &str, url_path: &str, extra: &str) -> String {
    format!(
        "\n[[probe]]\nid = \"{id}\"\nkind = \"http\"\ntitle = \"{id}\"\n{extra}\n[probe.params]\nurl = \"${{base_url}}{url_path}\"\n"
    )
}

async fn server_with(delay: Duration) -> golive::fake::Wiremock {
    let server = golive::fake::Wiremock::start().await;
    Mock::given(path("/ok")).respond_with(ResponseTemplate::new(200).set_delay(delay)).mount(&server).await;
    Mock::given(path("/broken")).respond_with(ResponseTemplate::new(500)).mount(&server).await;
    Mock::given(path("/hang"))
        .respond_with(ResponseTemplate::new(200).set_delay(Duration::from_secs(60)))
        .mount(&server)
        .await;
    server
}

#[tokio::test]
async fn twenty_slow_probes_run_concurrently() {
    let server = server_with(Duration::from_millis(200)).await;
    let mut text = HEAD.to_string();
    for i in 0..20 {
        text.push_str(&probe(&format!("p{i}"), "/ok", ""));
    }
    let started = Instant::now();
    let summary =
        run_pack(env_at(&server.uri()), pack_from(&text), &Selection::default(), &RunOptions::default()).await;
    let elapsed = started.elapsed();
    assert_eq!(summary.summary.pass, 20, "{summary:#?}");
    // Sequentially this is 20 × 200 ms = 4 s; concurrently it is a few hundred ms.
    assert!(elapsed < Duration::from_millis(2000), "20 probes took {elapsed:?}");
}

#[tokio::test]
async fn jobs_bound_limits_concurrency() {
    let server = server_with(Duration::from_millis(200)).await;
    let mut text = HEAD.to_string();
    for i in 0..4 {
        text.push_str(&probe(&format!("p{i}"), "/ok", ""));
    }
    let opts = RunOptions { jobs: 1, ..RunOptions::default() };
    let started = Instant::now();
    let summary = run_pack(env_at(&server.uri()), pack_from(&text), &Selection::default(), &opts).await;
    assert_eq!(summary.summary.pass, 4);
    // With one job at a time the four delays add up.
    assert!(started.elapsed() >= Duration::from_millis(800), "took {:?}", started.elapsed());
}

#[tokio::test]
async fn a_hanging_probe_errors_at_its_deadline_and_the_others_complete() {
    let server = server_with(Duration::ZERO).await;
    let text = format!("{HEAD}{}{}", probe("hangs", "/hang", "timeout = \"300ms\""), probe("fine", "/ok", ""));
    let started = Instant::now();
    let summary =
        run_pack(env_at(&server.uri()), pack_from(&text), &Selection::default(), &RunOptions::default()).await;
    assert!(started.elapsed() < Duration::from_secs(5), "the run waited for the hanging probe");
    let hangs = &summary.probes[0];
    assert_eq!(hangs.status, Status::Error, "{hangs:#?}");
    assert!(hangs.checks.iter().any(|c| c.message.contains("no answer before the deadline")), "{hangs:#?}");
    assert!(hangs.duration_ms < 2000, "{hangs:#?}");
    assert_eq!(summary.probes[1].status, Status::Pass);
}

#[tokio::test]
async fn a_failed_dependency_skips_its_dependents_by_name() {
    let server = server_with(Duration::ZERO).await;
    let text = format!(
        "{HEAD}{}{}{}",
        probe("base", "/broken", ""),
        probe("child", "/ok", "depends_on = [\"base\"]"),
        probe("grandchild", "/ok", "depends_on = [\"child\"]"),
    );
    let summary =
        run_pack(env_at(&server.uri()), pack_from(&text), &Selection::default(), &RunOptions::default()).await;
    let statuses: Vec<Status> = summary.probes.iter().map(|p| p.status).collect();
    assert_eq!(statuses, [Status::Fail, Status::Skip, Status::Skip]);
    assert_eq!(summary.probes[1].reason.as_deref(), Some("needs `base`, which failed"));
    assert_eq!(summary.probes[2].reason.as_deref(), Some("needs `child`, which was skipped"));
}

#[tokio::test]
async fn a_passed_dependency_lets_dependents_run() {
    let server = server_with(Duration::ZERO).await;
    let text = format!("{HEAD}{}{}", probe("base", "/ok", ""), probe("child", "/ok", "depends_on = [\"base\"]"));
    let summary =
        run_pack(env_at(&server.uri()), pack_from(&text), &Selection::default(), &RunOptions::default()).await;
    assert_eq!(summary.summary.pass, 2);
}

fn selection_pack() -> String {
    format!(
        "{HEAD}{}{}{}{}",
        probe("a", "/ok", "tags = [\"staging\"]"),
        probe("b", "/ok", "tags = [\"production\"]\ndepends_on = [\"a\"]"),
        probe("c", "/ok", "tags = [\"production\", \"launch-day\"]"),
        probe("d", "/ok", "tags = [\"mutating\"]"),
    )
}

async fn ids(sel: Selection, opts: RunOptions) -> Vec<(String, Status)> {
    let server = server_with(Duration::ZERO).await;
    let summary = run_pack(env_at(&server.uri()), pack_from(&selection_pack()), &sel, &opts).await;
    summary.probes.into_iter().map(|p| (p.id, p.status)).collect()
}

fn owned(list: &[(&str, Status)]) -> Vec<(String, Status)> {
    list.iter().map(|(id, s)| (id.to_string(), *s)).collect()
}

#[tokio::test]
async fn only_runs_the_probe_and_what_it_depends_on() {
    let sel = Selection { only: vec!["b".into()], ..Selection::default() };
    assert_eq!(ids(sel, RunOptions::default()).await, owned(&[("a", Status::Pass), ("b", Status::Pass)]));
}

#[tokio::test]
async fn skip_excludes_a_probe_and_skips_its_dependents_naming_it() {
    let sel = Selection { skip: vec!["a".into(), "d".into()], ..Selection::default() };
    let got = ids(sel, RunOptions::default()).await;
    assert_eq!(got, owned(&[("b", Status::Skip), ("c", Status::Pass)]));
}

#[tokio::test]
async fn tag_selects_probes_with_any_of_the_tags() {
    let sel = Selection { tags: vec!["launch-day".into()], ..Selection::default() };
    assert_eq!(ids(sel, RunOptions::default()).await, owned(&[("c", Status::Pass)]));
}

#[tokio::test]
async fn mutating_probes_are_skipped_unless_allowed() {
    let sel = Selection { only: vec!["d".into()], ..Selection::default() };
    assert_eq!(ids(sel.clone(), RunOptions::default()).await, owned(&[("d", Status::Skip)]));
    let allowed = RunOptions { allow_mutations: true, ..RunOptions::default() };
    assert_eq!(ids(sel, allowed).await, owned(&[("d", Status::Pass)]));
}

#[tokio::test]
async fn unknown_selection_id_is_a_usage_error_with_a_suggestion() {
    let server = server_with(Duration::ZERO).await;
    let sel = Selection { only: vec!["bb".into()], ..Selection::default() };
    let err = golive::plan::Plan::build("test", vec![(env_at(&server.uri()), pack_from(&selection_pack()))], &sel)
        .err()
        .expect("unknown id is refused");
    let text = err.render(false);
    assert!(text.contains("no probe has the id `bb`"), "{text}");
}

/// A probe that ignores its deadline or crashes: the runner must contain both.
struct Misbehaving {
    panics: bool,
}

#[async_trait::async_trait]
impl golive::probe::Probe for Misbehaving {
    async fn run(&self, _cx: &golive::probe::ProbeContext) -> golive::report::Outcome {
        if self.panics {
            panic!("boom");
        }
        tokio::time::sleep(Duration::from_secs(3600)).await;
        golive::report::Outcome::default()
    }
}

#[tokio::test]
async fn the_runner_cuts_off_a_probe_that_ignores_its_deadline_and_contains_a_panic() {
    let server = server_with(Duration::ZERO).await;
    let text = format!(
        "{HEAD}{}{}{}",
        probe("sleeper", "/ok", "timeout = \"200ms\""),
        probe("crasher", "/ok", ""),
        probe("fine", "/ok", "")
    );
    let mut plan =
        golive::plan::Plan::build("test", vec![(env_at(&server.uri()), pack_from(&text))], &Selection::default())
            .expect("plan");
    plan.probes[0].probe = std::sync::Arc::new(Misbehaving { panics: false });
    plan.probes[1].probe = std::sync::Arc::new(Misbehaving { panics: true });
    let started = Instant::now();
    let summary = golive::runner::run(&plan, &RunOptions::default(), &mut |_| {}).await;
    assert!(started.elapsed() < Duration::from_secs(5));
    let statuses: Vec<Status> = summary.probes.iter().map(|p| p.status).collect();
    assert_eq!(statuses, [Status::Error, Status::Error, Status::Pass]);
    assert!(summary.probes[0].checks[0].message.contains("deadline of 200ms"), "{:#?}", summary.probes[0]);
    assert!(summary.probes[1].checks[0].message.contains("crashed: boom"), "{:#?}", summary.probes[1]);
}

/// A probe without assertions cannot judge an answer's content: a login or
/// proxy page with status 200 warns instead of passing silently.
#[tokio::test]
async fn an_html_page_answering_a_probe_without_assertions_warns() {
    let server = golive::fake::Wiremock::start().await;
    let page =
        ResponseTemplate::new(200).set_body_raw("<!doctype html><title>Sign in</title>", "text/html; charset=utf-8");
    Mock::given(path("/login-page")).respond_with(page).mount(&server).await;
    Mock::given(path("/api"))
        .respond_with(ResponseTemplate::new(200).set_body_json(serde_json::json!({"ok": true})))
        .mount(&server)
        .await;
    let text = format!("{HEAD}{}{}", probe("html", "/login-page", ""), probe("json", "/api", ""));
    let summary =
        run_pack(env_at(&server.uri()), pack_from(&text), &Selection::default(), &RunOptions::default()).await;
    let by_id = |id: &str| summary.probes.iter().find(|p| p.id == id).expect("probe ran");
    let html = by_id("html");
    assert_eq!(html.status, Status::Warn, "{html:#?}");
    let check = html.checks.iter().find(|c| c.name == "content").expect("a content check");
    assert!(check.message.contains("HTML page") && check.message.contains("add an `assert`"), "{}", check.message);
    assert_eq!(by_id("json").status, Status::Pass);
}
