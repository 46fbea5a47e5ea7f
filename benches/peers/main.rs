//! Peer benchmark (issues 19 and 30): golive against Hurl 8.0.1, the
//! runbook's shell command (curl piped to jq) and a single curl, on N = 1, 20
//! and 100 identical mTLS GETs, each with four JSON assertions.
//!
//! Run: `cargo bench --bench peers` (also part of `cargo bench`). Not a test:
//! it prints the figures and the goals of issue 30 (golive ≤ 0.5× Hurl's wall
//! time at N = 1, ≤ 0.3× at 20, ≤ 0.1× at 100; one probe ≤ 0.7× of a single
//! curl), and exits 1 when a tool fails its checks or a goal is missed.
//!
//! The server (`server.rs`) is in this process: tokio-rustls on 127.0.0.1
//! that requires a client certificate from the bench CA and answers `GET
//! /v2/cardholders` with the body the Axys runbook expects,
//! `{"status":"success","items":[],"total":0,"limit":50,"offset":0}`. The four
//! assertions: status is "success", total is 0, limit is 50, offset is 0.
//!
//! - golive: one pack of N `http` probes, `golive verify --jobs 16`.
//! - Hurl: N files of one request each, `hurl --test --jobs 16`; skipped, with
//!   the way to install it, when `hurl` is not on PATH.
//! - shell: the runbook's `curl --cert --key -H X-API-Key` piped to `jq -e`,
//!   N of them, 16 at a time (`xargs -P 16`); skipped when curl or jq is missing.
//! - curl (N = 1 only): one plain `curl --cert --key -H X-API-Key -o /dev/null`.
//!
//! Every cell is the wall time of whole processes, RUNS runs of each tool
//! taking turns (golive, Hurl, shell, curl, golive, ...), as median (min–max);
//! a ratio is the median of the ratios of the runs of one turn, so a drift in
//! the machine's speed moves both sides of it. `GOLIVE_PEERS_RUNS` changes
//! RUNS; `GOLIVE_PEERS_SIZES=1,100` measures only those N (a goal is judged
//! only for a size it is set for); `GOLIVE_PEERS_HOLD=1` sets everything up,
//! prints the commands and serves until stdin closes, for a profiler or an
//! outside timer.

mod server;
mod tools;

use std::io::Read;
use std::process::{Command, Stdio};
use std::time::Instant;

use tools::{Case, HURL_VERSION};

const RUNS: usize = 15;
const SIZES: [usize; 3] = [1, 20, 100];
const JOBS: usize = 16;
const API_KEY: &str = "bench-not-a-secret";
/// The most golive's wall time may be, as a share of Hurl's, per N (issue 30).
const HURL_GOALS: [(usize, f64); 3] = [(1, 0.5), (20, 0.3), (100, 0.1)];
/// The most one golive probe may take, as a share of a single curl.
const CURL_GOAL: f64 = 0.7;

type Result<T> = std::result::Result<T, String>;

fn main() {
    match run() {
        Ok(true) => {}
        Ok(false) => std::process::exit(1),
        Err(e) => {
            eprintln!("peers: {e}");
            std::process::exit(1);
        }
    }
}

/// Measures every size; whether every goal that could be judged was met.
fn run() -> Result<bool> {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
    let port = server::start(&rt, dir.path())?;
    let cases = sizes()?.into_iter().map(|n| Case::new(dir.path(), port, n)).collect::<Result<Vec<_>>>()?;
    let golive = std::path::Path::new(env!("CARGO_BIN_EXE_golive"));
    let hurl = tools::version("hurl");
    let (curl, jq) = (tools::version("curl"), tools::version("jq"));
    if std::env::var_os("GOLIVE_PEERS_HOLD").is_some() {
        return hold(&cases, golive);
    }
    let runs = std::env::var("GOLIVE_PEERS_RUNS").ok().and_then(|r| r.parse().ok()).filter(|&r| r > 0).unwrap_or(RUNS);
    let load_before = load_average();
    println!("{}", machine());
    println!(
        "{} · {} · {} · {}",
        tools::version(&golive.to_string_lossy()).unwrap_or_default(),
        hurl.as_deref().unwrap_or("hurl: not installed"),
        curl.as_deref().unwrap_or("curl: not installed"),
        jq.as_deref().unwrap_or("jq: not installed"),
    );
    println!("{runs} runs of each, tools in turn; wall ms of the whole process, median (min–max)\n");
    println!("| N | golive | Hurl | golive / Hurl | goal | | curl + jq | golive / curl + jq |");
    println!("|---|---|---|---|---|---|---|---|");
    let mut all_met = true;
    let mut single = None;
    for case in &cases {
        let mut g = Vec::new();
        let mut h = Vec::new();
        let mut s = Vec::new();
        let mut c = Vec::new();
        for _ in 0..runs {
            g.push(timed(&mut case.golive(golive), "golive")?);
            if hurl.is_some() {
                h.push(timed(&mut case.hurl(), "hurl")?);
            }
            if curl.is_some() && jq.is_some() {
                s.push(timed(&mut case.shell(), "shell")?);
            }
            if curl.is_some() && case.n == 1 {
                c.push(timed(&mut case.curl(), "curl")?);
            }
        }
        let goal = HURL_GOALS.iter().find(|(n, _)| *n == case.n).map(|(_, g)| *g);
        let (verdict, met) = match (goal, h.is_empty()) {
            (Some(goal), false) => judge(ratio(&g, &h), goal),
            (Some(goal), true) => (format!("≤ {goal}×"), "not judged".to_string()),
            (None, _) => (String::new(), String::new()),
        };
        all_met &= met != "MISSED";
        println!(
            "| {} | {} | {} | {} | {verdict} | {met} | {} | {} |",
            case.n,
            cell(&g),
            if h.is_empty() { "not installed".to_string() } else { cell(&h) },
            shown_ratio(&g, &h),
            if s.is_empty() { "curl or jq missing".to_string() } else { cell(&s) },
            shown_ratio(&g, &s),
        );
        if case.n == 1 && !c.is_empty() {
            single = Some((g, c));
        }
    }
    if let Some((g, c)) = single {
        let (verdict, met) = judge(ratio(&g, &c), CURL_GOAL);
        all_met &= met != "MISSED";
        println!("\n| one probe | golive | single curl | golive / curl | goal | |");
        println!("|---|---|---|---|---|---|");
        println!("| N = 1 | {} | {} | {} | {verdict} | {met} |", cell(&g), cell(&c), shown_ratio(&g, &c));
    }
    println!("\nload average (1 min) {load_before} before, {} after", load_average());
    match &hurl {
        None => println!(
            "\nHurl is not installed: its column is skipped. The goals are set against Hurl {HURL_VERSION}: \
             `cargo install hurl@{HURL_VERSION} --locked` (needs libcurl, libxml2 and libclang headers; on \
             Debian `apt-get install libcurl4-openssl-dev libxml2-dev libclang-dev pkg-config`), or a \
             package or binary of that release from https://hurl.dev; then rerun."
        ),
        Some(v) if !v.ends_with(&format!(" {HURL_VERSION}")) => println!(
            "\nThe goals are set against Hurl {HURL_VERSION}; this is `{v}`: \
             `cargo install hurl@{HURL_VERSION} --locked` installs that release."
        ),
        Some(_) => {}
    }
    Ok(all_met)
}

/// The sizes to measure: `GOLIVE_PEERS_SIZES` (comma-separated N), else [`SIZES`].
fn sizes() -> Result<Vec<usize>> {
    let Ok(text) = std::env::var("GOLIVE_PEERS_SIZES") else { return Ok(SIZES.to_vec()) };
    text.split(',')
        .map(|n| n.trim().parse().ok().filter(|&n: &usize| n > 0))
        .collect::<Option<Vec<_>>>()
        .filter(|v| !v.is_empty())
        .ok_or_else(|| format!("GOLIVE_PEERS_SIZES={text}: expected positive numbers separated by commas, e.g. 1,100"))
}

/// `GOLIVE_PEERS_HOLD`: prints each size's commands and serves until stdin closes.
fn hold(cases: &[Case], golive: &std::path::Path) -> Result<bool> {
    for case in cases {
        println!("N = {}:\n  {:?}\n  {:?}", case.n, case.golive(golive), case.hurl());
    }
    println!("N = 1 curl:\n  {:?}\nserving until stdin closes", cases[0].curl());
    let _ = std::io::stdin().read_to_end(&mut Vec::new());
    Ok(true)
}

/// Runs a command to completion; its wall time in ms. A failure is an error:
/// every tool must pass every check for its time to count.
fn timed(cmd: &mut Command, what: &str) -> Result<f64> {
    let started = Instant::now();
    let out = cmd.stdin(Stdio::null()).output().map_err(|e| format!("{what}: {e}"))?;
    let ms = started.elapsed().as_secs_f64() * 1e3;
    if !out.status.success() {
        return Err(format!(
            "{what} failed ({:?}):\n{}\n{}",
            out.status.code(),
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    Ok(ms)
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

/// "median (min–max)" of wall times in ms.
fn cell(v: &[f64]) -> String {
    let min = v.iter().copied().fold(f64::INFINITY, f64::min);
    let max = v.iter().copied().fold(0.0, f64::max);
    format!("{:.1} ({min:.1}–{max:.1})", median(v.to_vec()))
}

/// The median of the ratios of the runs of one turn.
fn ratio(a: &[f64], b: &[f64]) -> f64 {
    median(a.iter().zip(b).map(|(a, b)| a / b).collect())
}

fn shown_ratio(a: &[f64], b: &[f64]) -> String {
    if b.is_empty() { "-".to_string() } else { format!("{:.2}×", ratio(a, b)) }
}

/// The goal and whether the ratio meets it.
fn judge(ratio: f64, goal: f64) -> (String, String) {
    (format!("≤ {goal}×"), if ratio <= goal { "met" } else { "MISSED" }.to_string())
}

/// Date, processors and kernel of the run.
fn machine() -> String {
    let cpus = std::thread::available_parallelism().map_or(0, |n| n.get());
    let model = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|t| {
            t.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split(':').nth(1))
                .map(str::trim)
                .map(String::from)
        })
        .unwrap_or_else(|| "unknown processor".to_string());
    let kernel = std::fs::read_to_string("/proc/sys/kernel/osrelease").unwrap_or_default();
    let now = time::OffsetDateTime::now_utc();
    let date = now.format(&time::format_description::well_known::Rfc3339).unwrap_or_default();
    format!("{date} · {cpus} × {model} · Linux {} · release profile", kernel.trim())
}

/// The 1-minute load average, or "?" off Linux.
fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|t| t.split_whitespace().next().map(String::from))
        .unwrap_or_else(|| "?".to_string())
}
