//! golive's performance harness (not timed tests): prints the figures of
//! BENCHMARKS.md. Run with `cargo bench` (this suite and the fcrdns bench).
//!
//! - P1 concurrency: the demo suite with 100 ms added to every round trip
//!   (a latency proxy before every fake), against its critical path: the
//!   longest dependency chain of the probes' own durations, each measured
//!   alone under the same latency.
//! - P2 scale: 1, 10 and 100 `http` probes, wall time and peak RSS, each size
//!   in a fresh process (fcrdns scale is `benches/fcrdns.rs`).
//! - P3 start-up: `golive --version` and `golive list --env demo`.
//! - P4 the whole `golive verify --env demo`, fakes included.
//!
//! Every figure is the median of RUNS runs with min and max.

mod proxy;

use std::collections::HashMap;
use std::process::Command;
use std::time::{Duration, Instant};

use golive::config::{Environment, Pack, pack};
use golive::plan::{Plan, Selection};
use golive::report::{RunSummary, Status};
use golive::runner::{self, RunOptions};
use golive_fakes::Fakes;

const RUNS: usize = 5;
const LATENCY: Duration = Duration::from_millis(100);
/// How much the cost per unit may grow from one size to the next (ten times
/// larger) and still count as linear growth.
const LINEAR_SLACK: f64 = 1.5;
const CHILD: &str = "GOLIVE_BENCH_CHILD";

type Result<T> = std::result::Result<T, String>;

fn main() {
    if let Ok(spec) = std::env::var(CHILD) {
        if let Err(e) = child(&spec) {
            eprintln!("bench child {spec}: {e}");
            std::process::exit(1);
        }
        return;
    }
    if let Err(e) = parent() {
        eprintln!("bench: {e}");
        std::process::exit(1);
    }
}

/// Median, min and max of durations, in ms.
fn stats(mut v: Vec<f64>) -> (f64, f64, f64) {
    v.sort_by(f64::total_cmp);
    (v[v.len() / 2], v[0], v[v.len() - 1])
}

fn row(name: &str, v: Vec<f64>, target: &str, met: bool, extra: &str) {
    let (med, min, max) = stats(v);
    let verdict = if met { "met" } else { "MISSED" };
    println!("| {name} | {med:.1} | {min:.1} | {max:.1} | {extra} | {target} | {verdict} |");
}

fn parent() -> Result<()> {
    let rt = tokio::runtime::Runtime::new().map_err(|e| e.to_string())?;
    println!("| figure | median ms | min ms | max ms | detail | target | |");
    println!("|---|---|---|---|---|---|---|");
    // P1
    let mut ratios = Vec::new();
    let mut walls = Vec::new();
    let mut critical = 0.0;
    for _ in 0..RUNS {
        let (wall, path) = rt.block_on(p1_once())?;
        ratios.push(wall / path);
        walls.push(wall);
        critical = path;
    }
    let (med_ratio, _, max_ratio) = stats(ratios.clone());
    row(
        "P1 demo suite, +100 ms per round trip",
        walls,
        "≤ 1.2 × critical path",
        med_ratio <= 1.2,
        &format!("critical path {critical:.0} ms; ratio median {med_ratio:.2}, max {max_ratio:.2}"),
    );
    // P2
    let exe = std::env::current_exe().map_err(|e| e.to_string())?;
    let mut per_probe = Vec::new();
    for n in [1usize, 10, 100] {
        let mut times = Vec::new();
        let mut rss = 0u64;
        for _ in 0..RUNS {
            let out = Command::new(&exe).env(CHILD, format!("http:{n}")).output().map_err(|e| e.to_string())?;
            if !out.status.success() {
                return Err(String::from_utf8_lossy(&out.stderr).into_owned());
            }
            let text = String::from_utf8_lossy(&out.stdout);
            let mut parts = text.split_whitespace();
            times.push(parts.next().and_then(|t| t.parse().ok()).unwrap_or(f64::NAN));
            rss = rss.max(parts.next().and_then(|t| t.parse().ok()).unwrap_or(0));
        }
        let (med, _, _) = stats(times.clone());
        let per = med / n as f64;
        // Linear (or better): the cost per probe does not grow by more than
        // half from the size ten times smaller (fixed costs make it shrink).
        let linear = per_probe.last().is_none_or(|&before: &f64| per <= before * LINEAR_SLACK);
        per_probe.push(per);
        row(
            &format!("P2 {n} http probes"),
            times,
            "linear growth",
            linear,
            &format!("{per:.2} ms per probe; peak RSS {:.1} MB", rss as f64 / 1e6),
        );
    }
    // P3 and P4: the real binary.
    let bin = env!("CARGO_BIN_EXE_golive");
    for (name, args, target_ms) in [
        ("P3 golive --version", &["--version"][..], 10.0),
        ("P3 golive list --env demo", &["list", "--env", "demo"][..], 20.0),
        ("P4 golive verify --env demo", &["verify", "--env", "demo", "--no-progress"][..], 1000.0),
    ] {
        let mut times = Vec::new();
        for _ in 0..RUNS.max(10) {
            let started = Instant::now();
            let out = Command::new(bin).args(args).env("NO_COLOR", "1").output().map_err(|e| e.to_string())?;
            times.push(started.elapsed().as_secs_f64() * 1e3);
            if !out.status.success() {
                return Err(format!("{name} exited {:?}: {}", out.status.code(), String::from_utf8_lossy(&out.stderr)));
            }
        }
        let (med, _, _) = stats(times.clone());
        row(name, times, &format!("< {target_ms:.0} ms"), med < target_ms, "process wall time");
    }
    Ok(())
}

/// The demo's environments with every address behind a latency proxy.
async fn behind_latency(fakes: &Fakes, proxies: &mut Vec<proxy::Proxy>) -> Result<Vec<(Environment, Pack)>> {
    let mut out = Vec::new();
    for (mut env, pack) in golive::demo::targets(fakes).map_err(|e| e.render(false))? {
        if let Some(url) = env.base_url.as_mut() {
            reroute(url, proxies).await?;
        }
        if let Some(w) = env.webhook.as_mut() {
            reroute(&mut w.url, proxies).await?;
        }
        out.push((env, pack));
    }
    Ok(out)
}

async fn reroute(url: &mut reqwest::Url, proxies: &mut Vec<proxy::Proxy>) -> Result<()> {
    let addr = url.socket_addrs(|| None).map_err(|e| e.to_string())?.into_iter().next().ok_or("no address")?;
    let p = proxy::start(addr, LATENCY).await.map_err(|e| e.to_string())?;
    url.set_port(Some(p.addr.port())).map_err(|()| "cannot set port")?;
    proxies.push(p);
    Ok(())
}

async fn run(targets: Vec<(Environment, Pack)>, only: Vec<String>) -> Result<RunSummary> {
    let plan = Plan::build("demo", targets, &Selection { only, ..Selection::default() }).map_err(|e| e.to_string())?;
    let opts = RunOptions { allow_mutations: true, ..RunOptions::default() };
    Ok(runner::run(&plan, &opts, &mut |_| {}).await)
}

/// One P1 measurement: (suite wall ms, critical path ms).
async fn p1_once() -> Result<(f64, f64)> {
    let fakes = Fakes::start(golive_fakes::Scenario::Healthy).await?;
    let mut proxies = Vec::new();
    let targets = behind_latency(&fakes, &mut proxies).await?;
    let started = Instant::now();
    let suite = run(targets, Vec::new()).await?;
    let wall = started.elapsed().as_secs_f64() * 1e3;
    if let Some(p) = suite.probes.iter().find(|p| p.status != Status::Pass) {
        return Err(format!("probe {} did not pass under latency: {:?}", p.id, p.checks));
    }
    // Each probe alone (fresh fakes: the key exchange works once).
    let mut own: HashMap<String, f64> = HashMap::new();
    let mut deps: HashMap<String, Vec<String>> = HashMap::new();
    for p in &suite.probes {
        let fakes = Fakes::start(golive_fakes::Scenario::Healthy).await?;
        let mut proxies = Vec::new();
        let targets = behind_latency(&fakes, &mut proxies).await?;
        for (_, pack) in &targets {
            for spec in &pack.probes {
                deps.insert(spec.id.clone(), spec.depends_on.clone());
            }
        }
        let alone = run(targets, vec![p.id.clone()]).await?;
        let me = alone.probes.iter().find(|r| r.id == p.id).ok_or("probe missing")?;
        own.insert(p.id.clone(), me.duration_ms as f64);
    }
    fn chain(id: &str, own: &HashMap<String, f64>, deps: &HashMap<String, Vec<String>>) -> f64 {
        let before = deps.get(id).into_iter().flatten().map(|d| chain(d, own, deps)).fold(0.0, f64::max);
        before + own.get(id).copied().unwrap_or(0.0)
    }
    let critical = own.keys().map(|id| chain(id, &own, &deps)).fold(0.0, f64::max);
    Ok((wall, critical))
}

/// Child process: `http:N` runs N http probes against wiremock and prints
/// "wall_ms peak_rss_bytes".
fn child(spec: &str) -> Result<()> {
    let n: usize = spec.strip_prefix("http:").and_then(|n| n.parse().ok()).ok_or("bad child spec")?;
    let rt = tokio::runtime::Runtime::new().map_err(|e| e.to_string())?;
    let wall = rt.block_on(async {
        let server = golive_fakes::Wiremock::start().await;
        wiremock::Mock::given(wiremock::matchers::path("/ok"))
            .respond_with(wiremock::ResponseTemplate::new(200).set_body_json(serde_json::json!({"status": "success"})))
            .mount(&server)
            .await;
        let mut text = String::from("[pack]\nname = \"bench\"\ntitle = \"Bench\"\nrunbook = \"bench\"\n");
        for i in 0..n {
            text.push_str(&format!(
                "[[probe]]\nid = \"p{i}\"\nkind = \"http\"\ntitle = \"p{i}\"\n[probe.params]\nurl = \"${{base_url}}/ok\"\nassert = [{{ path = \"$.status\", equals = \"success\" }}]\n"
            ));
        }
        let pack = pack::parse(golive::config::SourceFile::embedded("bench.toml", Box::leak(text.into_boxed_str())))
            .map_err(|e| e.to_string())?;
        let env = Environment {
            name: "bench".into(),
            pack: "bench".into(),
            base_url: reqwest::Url::parse(&server.uri()).ok(),
            ..Environment::default()
        };
        let started = Instant::now();
        let summary = run(vec![(env, pack)], Vec::new()).await?;
        let wall = started.elapsed().as_secs_f64() * 1e3;
        if summary.summary.pass != n {
            return Err(format!("{} of {n} passed", summary.summary.pass));
        }
        Ok::<f64, String>(wall)
    })?;
    let rss = std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines().find(|l| l.starts_with("VmHWM:")).and_then(|l| l.split_whitespace().nth(1)?.parse::<u64>().ok())
        })
        .map_or(0, |kb| kb * 1024);
    println!("{wall} {rss}");
    Ok(())
}
