//! The runner: concurrency, deadlines, dependency skips and selection, with
//! real HTTP probes against wiremock.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use golive::plan::Selection;
use golive::report::Status;
use golive::runner::RunOptions;
use wiremock::matchers::path;
use wiremock::{Mock, ResponseTemplate};

use crate::support::{Watchdog, env_at, pack_from, run_pack};

const HEAD: &str = "[pack]\nname = \"test\"\ntitle = \"Test\"\nrunbook = \"test-runbook\"\n";

fn probe(id: &str, url_path: &str, extra: &str) -> String {
    format!(
        "\n[[probe]]\nid = \"{id}\"\nkind = \"http\"\ntitle = \"{id}\"\n{extra}\n[probe.params]\nurl = \"${{base_url}}{url_path}\"\n"
    )
}

async fn server_with(delay: Duration) -> golive_fakes::Wiremock {
    let server = golive_fakes::Wiremock::start().await;
    Mock::given(path("/ok")).respond_with(ResponseTemplate::new(200).set_delay(delay)).mount(&server).await;
    Mock::given(path("/broken")).respond_with(ResponseTemplate::new(500)).mount(&server).await;
    Mock::given(path("/hang"))
        .respond_with(ResponseTemplate::new(200).set_delay(Duration::from_secs(60)))
        .mount(&server)
        .await;
    server
}

/// An HTTP server that counts the requests it holds at once. Each request
/// waits until `gate` requests are in flight together (from then on the gate
/// stays open), then waits `hold` and answers 200 `{}`. Reaching the gate
/// proves that many requests ran concurrently, whatever the machine's speed;
/// the most seen at once is [`Gate::most`].
struct Gate {
    uri: String,
    most: Arc<AtomicUsize>,
    _task: tokio::task::JoinHandle<()>,
}

impl Gate {
    async fn start(gate: usize, hold: Duration) -> Gate {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let uri = format!("http://{}", listener.local_addr().expect("addr"));
        let now = Arc::new(AtomicUsize::new(0));
        let most = Arc::new(AtomicUsize::new(0));
        let (open, opened) = tokio::sync::watch::channel(false);
        let open = Arc::new(open);
        let counts = (Arc::clone(&now), Arc::clone(&most));
        let task = tokio::spawn(async move {
            while let Ok((mut stream, _)) = listener.accept().await {
                let (now, most, open, mut opened) =
                    (Arc::clone(&counts.0), Arc::clone(&counts.1), Arc::clone(&open), opened.clone());
                tokio::spawn(async move {
                    let mut head = Vec::new();
                    let mut buf = [0u8; 1024];
                    while !head.windows(4).any(|w| w == b"\r\n\r\n") {
                        match stream.read(&mut buf).await {
                            Ok(0) | Err(_) => return,
                            Ok(n) => head.extend_from_slice(&buf[..n]),
                        }
                    }
                    let in_flight = now.fetch_add(1, Ordering::SeqCst) + 1;
                    most.fetch_max(in_flight, Ordering::SeqCst);
                    if in_flight >= gate {
                        open.send_replace(true);
                    }
                    let _ = opened.wait_for(|o| *o).await;
                    tokio::time::sleep(hold).await;
                    // Counted out before the answer leaves: the client cannot
                    // start its next request while this one still counts.
                    now.fetch_sub(1, Ordering::SeqCst);
                    let answer = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}";
                    let _ = stream.write_all(answer.as_bytes()).await;
                    let _ = stream.shutdown().await;
                });
            }
        });
        Gate { uri, most, _task: task }
    }

    fn most(&self) -> usize {
        self.most.load(Ordering::SeqCst)
    }
}

#[tokio::test]
async fn twenty_probes_run_concurrently_up_to_the_jobs_bound() {
    let _watchdog = Watchdog::new("runner::twenty_probes_run_concurrently", Duration::from_secs(60));
    let jobs = golive::runner::DEFAULT_JOBS;
    // Every request waits until `jobs` of them are in flight together: run one
    // at a time, the first would wait until its deadline and fail.
    let server = Gate::start(jobs.min(20), Duration::ZERO).await;
    let mut text = HEAD.to_string();
    for i in 0..20 {
        text.push_str(&probe(&format!("p{i}"), "/ok", "timeout = \"20s\""));
    }
    let summary = run_pack(env_at(&server.uri), pack_from(&text), &Selection::default(), &RunOptions::default()).await;
    assert_eq!(summary.summary.pass, 20, "{summary:#?}");
    assert_eq!(server.most(), jobs.min(20), "requests in flight at once");
}

#[tokio::test]
async fn jobs_bound_limits_concurrency() {
    let _watchdog = Watchdog::new("runner::jobs_bound_limits_concurrency", Duration::from_secs(60));
    // Each answer is held a little, so that a second request sent too early
    // would be counted in flight with it.
    let server = Gate::start(1, Duration::from_millis(100)).await;
    let mut text = HEAD.to_string();
    for i in 0..4 {
        text.push_str(&probe(&format!("p{i}"), "/ok", ""));
    }
    let opts = RunOptions { jobs: 1, ..RunOptions::default() };
    let summary = run_pack(env_at(&server.uri), pack_from(&text), &Selection::default(), &opts).await;
    assert_eq!(summary.summary.pass, 4, "{summary:#?}");
    assert_eq!(server.most(), 1, "one request at a time");
}

#[tokio::test]
async fn a_hanging_probe_errors_at_its_deadline_and_the_others_complete() {
    let server = server_with(Duration::ZERO).await;
    let text = format!("{HEAD}{}{}", probe("hangs", "/hang", "timeout = \"300ms\""), probe("fine", "/ok", ""));
    // The server holds /hang for 60 s: a run that waited for it ends here.
    let _watchdog = Watchdog::new("runner::a_hanging_probe_errors_at_its_deadline", Duration::from_secs(30));
    let summary =
        run_pack(env_at(&server.uri()), pack_from(&text), &Selection::default(), &RunOptions::default()).await;
    let hangs = &summary.probes[0];
    assert_eq!(hangs.status, Status::Error, "{hangs:#?}");
    assert!(hangs.checks.iter().any(|c| c.message.contains("no answer before the deadline")), "{hangs:#?}");
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
/// A probe kind that sleeps an hour, panics, or passes at once: no network.
enum Misbehaving {
    Sleeps,
    Panics,
    Passes,
}

#[async_trait::async_trait]
impl golive::probe::Probe for Misbehaving {
    async fn run(&self, _cx: &golive::probe::ProbeContext) -> golive::report::Outcome {
        let mut out = golive::report::Outcome::default();
        match self {
            Misbehaving::Sleeps => tokio::time::sleep(Duration::from_secs(3600)).await,
            Misbehaving::Panics => panic!("boom"),
            Misbehaving::Passes => {
                out.check(golive::report::Check::new("fine", Status::Pass, "passed"));
            }
        }
        out
    }
}

/// With the clock paused, an idle runtime jumps to its next timer: the
/// runner's 200 ms deadline fires long before the probe's hour, and no test
/// waits for either.
#[tokio::test(start_paused = true)]
async fn the_runner_cuts_off_a_probe_that_ignores_its_deadline_and_contains_a_panic() {
    // The probes are replaced below: nothing is sent to this address.
    let base = "http://127.0.0.1:9";
    let text = format!(
        "{HEAD}{}{}{}",
        probe("sleeper", "/ok", "timeout = \"200ms\""),
        probe("crasher", "/ok", ""),
        probe("fine", "/ok", "")
    );
    let mut plan =
        golive::plan::Plan::build("test", vec![(env_at(base), pack_from(&text))], &Selection::default()).expect("plan");
    plan.probes[0].probe = std::sync::Arc::new(Misbehaving::Sleeps);
    plan.probes[1].probe = std::sync::Arc::new(Misbehaving::Panics);
    plan.probes[2].probe = std::sync::Arc::new(Misbehaving::Passes);
    let summary = golive::runner::run(&plan, &RunOptions::default(), &mut |_| {}).await;
    let statuses: Vec<Status> = summary.probes.iter().map(|p| p.status).collect();
    assert_eq!(statuses, [Status::Error, Status::Error, Status::Pass]);
    assert!(summary.probes[0].checks[0].message.contains("deadline of 200ms"), "{:#?}", summary.probes[0]);
    assert!(summary.probes[1].checks[0].message.contains("crashed: boom"), "{:#?}", summary.probes[1]);
}

/// The exporter carried its own thread and LocalSet because a run was not a
/// `Send` future (its event listener was not `Send`): a run is now an ordinary
/// tokio task, and its listener sees every event from another thread.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_run_is_a_send_future_that_tokio_spawn_drives_with_its_listener() {
    let text = format!("{HEAD}{}{}", probe("one", "/ok", ""), probe("two", "/ok", ""));
    let mut plan = golive::plan::Plan::build(
        "test",
        vec![(env_at("http://127.0.0.1:9"), pack_from(&text))],
        &Selection::default(),
    )
    .expect("plan");
    plan.probes[0].probe = Arc::new(Misbehaving::Passes);
    plan.probes[1].probe = Arc::new(Misbehaving::Passes);
    let finished = Arc::new(AtomicUsize::new(0));
    let seen = Arc::clone(&finished);
    let summary = tokio::spawn(async move {
        let mut on_event = move |event: golive::report::RunEvent<'_>| {
            if let golive::report::RunEvent::ProbeFinished { .. } = event {
                seen.fetch_add(1, Ordering::SeqCst);
            }
        };
        golive::runner::run(&plan, &RunOptions::default(), &mut on_event).await
    })
    .await
    .expect("the run's task ends");
    assert_eq!(summary.summary.pass, 2, "{summary:#?}");
    assert_eq!(finished.load(Ordering::SeqCst), 2);
}

/// A probe without assertions cannot judge an answer's content: a login or
/// proxy page with status 200 warns instead of passing silently.
#[tokio::test]
async fn an_html_page_answering_a_probe_without_assertions_warns() {
    let server = golive_fakes::Wiremock::start().await;
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

/// A plan of many probes is bound on several threads: its probes stay in
/// declaration order, and of two probes that cannot be built the error names
/// the one declared first, as a sequential binding would.
#[test]
fn a_large_plan_keeps_its_order_and_names_the_first_probe_that_cannot_be_built() {
    let probes = |bad: &[usize]| {
        (0..100)
            .map(|i| match bad.contains(&i) {
                true => probe(&format!("p{i}"), "/ok", "")
                    .replace("[probe.params]\n", "[probe.params]\nmethod = \"NOT A METHOD\"\n"),
                false => probe(&format!("p{i}"), "/ok", ""),
            })
            .collect::<String>()
    };
    let plan = |bad: &[usize]| {
        let text = format!("{HEAD}{}", probes(bad));
        golive::plan::Plan::build("test", vec![(env_at("http://127.0.0.1:9"), pack_from(&text))], &Selection::default())
    };
    let ids: Vec<String> = plan(&[]).expect("plan").probes.iter().map(|p| p.spec.id.clone()).collect();
    assert_eq!(ids, (0..100).map(|i| format!("p{i}")).collect::<Vec<_>>());
    for bad in [[40, 80], [80, 99], [3, 97]] {
        let text = plan(&bad).err().expect("a bad method is refused").render(false);
        assert!(text.contains(&format!("probe `p{}`", bad[0])), "{bad:?}: {text}");
        assert!(!text.contains(&format!("probe `p{}`", bad[1])), "{bad:?}: {text}");
    }
}
