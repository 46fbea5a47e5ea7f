//! The reliability table of the README, measured, not typed: the fault
//! catalogue against every probe kind, the key exchange under every fault, a
//! bad-input corpus (fixtures and their mutants) through every loader and
//! parser, and the canary search. Prints Markdown and fails on any panic,
//! hang, leak or repeated mutation. Ignored by default (about a minute):
//!
//! `scripts/reliability.sh` (or `cargo test --test it reliability_table -- --ignored --nocapture`)

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use futures::FutureExt;
use golive::report::Status;
use golive_fakes::faults::{Fault, Layer};

use crate::faults::{DEADLINE, cause, judge, reaches, run_demo, scenario_of};

/// An input taking longer than this to be rejected counts as a hang.
const INPUT_HANG: Duration = Duration::from_secs(2);

#[derive(Default)]
struct Tally {
    tried: usize,
    panics: usize,
    hangs: usize,
    other: usize,
}

fn files(dir: &str) -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join(dir);
    let mut out: Vec<PathBuf> = std::fs::read_dir(root)
        .map(|d| d.flatten().map(|e| e.path()).filter(|p| p.is_file()).collect())
        .unwrap_or_default();
    out.sort();
    out
}

/// The input, every 1/16th truncation of it, and 32 deterministic byte flips.
fn mutants(bytes: &[u8]) -> Vec<Vec<u8>> {
    let mut out = vec![bytes.to_vec()];
    if bytes.is_empty() {
        return out;
    }
    for i in 1..16 {
        out.push(bytes[..bytes.len() * i / 16].to_vec());
    }
    let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
    for _ in 0..32 {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        let mut m = bytes.to_vec();
        let at = (seed as usize) % m.len();
        m[at] = (seed >> 32) as u8;
        out.push(m);
    }
    out
}

/// Runs `check` on one input: counts a panic or a hang.
fn feed(tally: &mut Tally, input: &[u8], check: &dyn Fn(&[u8])) {
    tally.tried += 1;
    let started = Instant::now();
    if std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| check(input))).is_err() {
        tally.panics += 1;
    }
    if started.elapsed() > INPUT_HANG {
        tally.hangs += 1;
    }
}

fn bad_inputs() -> Vec<(&'static str, Tally)> {
    let dir = tempfile::tempdir().expect("dir");
    let config_path = dir.path().join("golive.toml");
    let pem_path = dir.path().join("input.pem");
    let mut rows = Vec::new();

    let mut t = Tally::default();
    for f in files("fixtures/config") {
        for m in mutants(&std::fs::read(&f).unwrap_or_default()) {
            feed(&mut t, &m, &|b| {
                let _ = std::fs::write(&config_path, b);
                for env in ["staging", "production"] {
                    if let Err(e) = golive::config::env::load(&config_path, env) {
                        let _ = e.render(false);
                    }
                }
            });
        }
    }
    rows.push(("configuration files (fixtures/config and mutants)", t));

    let mut t = Tally::default();
    for f in files("fixtures/config/packs").into_iter().chain(files("probes")) {
        for m in mutants(&std::fs::read(&f).unwrap_or_default()) {
            feed(&mut t, &m, &|b| {
                let text = String::from_utf8_lossy(b);
                let file = golive::config::SourceFile { path: "pack.toml".into(), text: text.as_ref().into() };
                if let Err(e) = golive::config::pack::parse(file) {
                    let _ = e.render(false);
                }
            });
        }
    }
    rows.push(("packs (probes/, fixtures/config/packs and mutants)", t));

    let mut t = Tally::default();
    for f in files("fixtures/pem") {
        for m in mutants(&std::fs::read(&f).unwrap_or_default()) {
            feed(&mut t, &m, &|b| {
                let _ = golive::net::tls::parse_pem(b);
                let _ = std::fs::write(&pem_path, b);
                let _ = golive::net::tls::parse_certs(&pem_path);
                let _ = golive::net::tls::parse_key(&pem_path);
                let inputs =
                    golive::certs::Inputs { cert: pem_path.clone(), key: Some(pem_path.clone()), ca_bundle: None };
                let _ =
                    golive::certs::inspect(&inputs, &golive::certs::Policy::default(), time::OffsetDateTime::now_utc());
            });
        }
    }
    rows.push(("PEM certificates and keys (fixtures/pem and mutants)", t));

    let mut t = Tally::default();
    let headers = [
        "",
        " ",
        "v1",
        "v1,",
        "v1,!!!",
        "t=",
        "t=abc,v1=00",
        "t=99999999999999999999,v1=00",
        "t=-9223372036854775808,v1=zz",
        "sha256=",
        "sha256=zz",
        "v1,dGVzdA== v1,",
        ",,,,",
        "t=1,t=2,v1=00,v1=",
        "=",
        "a=b=c",
        "\u{7f}",
    ];
    for value in headers {
        for m in mutants(value.as_bytes()) {
            feed(&mut t, &m, &|b| {
                let key = golive::webhook::Key::from_bytes(b"reliability-key");
                for name in golive::config::scheme::PRESETS {
                    let Some(scheme) = golive::config::scheme::Scheme::preset(name) else { continue };
                    let mut map = http::HeaderMap::new();
                    for h in [Some(&scheme.header), scheme.id_header.as_ref(), scheme.timestamp_header.as_ref()]
                        .into_iter()
                        .flatten()
                    {
                        if let (Ok(n), Ok(v)) =
                            (http::HeaderName::from_bytes(h.as_bytes()), http::HeaderValue::from_bytes(b))
                        {
                            map.insert(n, v);
                        }
                    }
                    let verdict = golive::webhook::verify::verify(&scheme, &key, &map, b"{}", 1_750_000_000);
                    assert!(verdict.is_err(), "{name} accepted {b:?}");
                }
            });
        }
    }
    rows.push(("webhook signature headers (4 schemes, malformed values and mutants)", t));
    rows
}

/// The hostile-input classes of `tests/it/hostile/`, each with its cases tried.
fn hostile_classes() -> Vec<(&'static str, crate::hostile::Tally)> {
    use crate::hostile::*;
    vec![
        ("closed pipe (every stdout command, reader gone at once or after 10 bytes)", closed_pipe::tally()),
        (
            "shallow history and empty sources (clones of every depth, empty repository, folders, globs)",
            shallow::tally(),
        ),
        ("misspelt names (features, stage, keys, environment, --skip/--only ids, tags)", misspelt::tally()),
        ("markup variants (website links: nesting, quotes, entities, alt text, base href)", markup::tally()),
        (
            "special files (FIFOs, /dev/zero, files past their bound, a report FIFO nobody reads)",
            special_files::tally(),
        ),
        ("durations past the clock's range (every flag and key, too long and too short)", durations::tally()),
    ]
}

fn short(text: &str, n: usize) -> String {
    let one_line = text.replace(['\n', '|'], " ");
    if one_line.chars().count() <= n {
        one_line
    } else {
        format!("{}…", one_line.chars().take(n).collect::<String>())
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
#[ignore = "about a minute: run by scripts/reliability.sh for the README's table"]
async fn reliability_table() {
    let mut out = String::new();
    // 1. Faults against every probe kind, one demo run per fault.
    out.push_str("| fault | probe kinds reached | their verdicts | slowest probe | cause given (first reached probe) |\n|---|---|---|---|---|\n");
    let (mut fault_tally, mut verdicts) = (Tally::default(), 0);
    for &fault in Fault::ALL {
        fault_tally.tried += 1;
        let joined = std::panic::AssertUnwindSafe(run_demo(scenario_of(fault))).catch_unwind().await;
        let Ok((summary, elapsed)) = joined else {
            fault_tally.panics += 1;
            continue;
        };
        let problems = judge(fault, &summary);
        fault_tally.panics += problems.iter().filter(|p| p.contains("panicked")).count();
        // Measured here, not asserted by the tests: dependencies run one after
        // another, so at most three deadlines in a row, and no probe past its own.
        let margin = Duration::from_secs(1);
        let overran = summary.probes.iter().filter(|p| p.duration_ms > (DEADLINE + margin).as_millis() as u64);
        fault_tally.hangs += usize::from(elapsed > DEADLINE * 3 + margin) + overran.count();
        fault_tally.other += problems.len();
        let reached: Vec<_> = summary
            .probes
            .iter()
            .filter(|p| reaches(fault.layer(), &p.kind) && !p.id.starts_with("pai-website"))
            .collect();
        verdicts += reached.len();
        let mut kinds: Vec<&str> = Vec::new();
        for p in &reached {
            if !kinds.contains(&p.kind.as_str()) {
                kinds.push(p.kind.as_str());
            }
        }
        let count = |s: Status| reached.iter().filter(|p| p.status == s).count();
        let slowest = summary.probes.iter().map(|p| p.duration_ms).max().unwrap_or(0);
        let first = reached.iter().find(|p| matches!(p.status, Status::Fail | Status::Error));
        out.push_str(&format!(
            "| `fault-{}` | {} | {} fail, {} error, {} skip | {slowest} ms | {} |\n",
            fault.name(),
            kinds.join(", "),
            count(Status::Fail),
            count(Status::Error),
            count(Status::Skip),
            first.map(|p| short(&cause(p), 90)).unwrap_or_default(),
        ));
    }
    // 2. The key exchange under every fault that can reach it.
    let mut exchange_tally = Tally::default();
    for &fault in Fault::ALL.iter().filter(|f| f.layer() != Layer::Dns) {
        exchange_tally.tried += 1;
        let joined = std::panic::AssertUnwindSafe(async move {
            let server = fault.start().await.expect("fault server");
            let dir = tempfile::tempdir().expect("dir");
            let started = Instant::now();
            let result = crate::faults::exchange_against(&server.url("http"), dir.path()).await;
            tokio::time::sleep(Duration::from_millis(100)).await;
            (result.is_err(), server.patches(), started.elapsed())
        })
        .catch_unwind()
        .await;
        match joined {
            Ok((refused, patches, took)) => {
                exchange_tally.other += usize::from(!refused || patches > 1);
                exchange_tally.hangs += usize::from(took > DEADLINE * 2 + Duration::from_secs(1));
            }
            Err(_) => exchange_tally.panics += 1,
        }
    }
    // 3. Bad inputs; 4. canaries; 5. echoed credentials in every encoding; 6. hostile input by class.
    let inputs = tokio::task::spawn_blocking(bad_inputs).await.expect("bad inputs ran");
    let hostile = tokio::task::spawn_blocking(hostile_classes).await.expect("hostile classes ran");
    let (mut leaks, runs, bytes) = crate::canary::all_leaks().await;
    let (echo_leaks, echo_runs, forms) = crate::canary::echo_leaks().await;
    leaks.extend(echo_leaks.iter().cloned());
    // 7. The one-time key under its own fault suite, with real processes.
    #[cfg(unix)]
    let one_time = crate::exchange_faults::cases::catalogue().await;

    let mut summary = String::from(
        "| what was tried | tried | panics | hangs | leaks | other problems |\n|---|---:|---:|---:|---:|---:|\n",
    );
    summary.push_str(&format!(
        "| faults × probe kinds (tls, mtls, http, apikey, apikey-exchange, webhook, fcrdns), deadline {} s | {} faults, {verdicts} verdicts | {} | {} | – | {} |\n",
        DEADLINE.as_secs(),
        fault_tally.tried,
        fault_tally.panics,
        fault_tally.hangs,
        fault_tally.other
    ));
    summary.push_str(&format!(
        "| key exchange under every non-DNS fault (≤ 1 PATCH each) | {} faults | {} | {} | – | {} |\n",
        exchange_tally.tried, exchange_tally.panics, exchange_tally.hangs, exchange_tally.other
    ));
    let (mut panics, mut hangs) =
        (fault_tally.panics + exchange_tally.panics, fault_tally.hangs + exchange_tally.hangs);
    for (what, t) in &inputs {
        summary.push_str(&format!("| bad inputs: {what} | {} | {} | {} | – | – |\n", t.tried, t.panics, t.hangs));
        panics += t.panics;
        hangs += t.hangs;
    }
    let mut other_hostile = 0;
    for (what, t) in &hostile {
        let (p, h, o) = t.split();
        summary.push_str(&format!(
            "| hostile input: {what} | {} ({} held) | {p} | {h} | – | {o} |\n",
            t.tried,
            t.tried - t.broken.len()
        ));
        panics += p;
        hangs += h;
        other_hostile += o;
    }
    summary.push_str(&format!(
        "| canary secrets: every scenario × both demo packs, 5 formats on stdout and as reports, `-vv` logs | {runs} runs, {} KiB searched | – | – | {} | – |\n",
        bytes / 1024,
        leaks.len()
    ));
    summary.push_str(&format!(
        "| redaction encodings: a partner and a webhook endpoint echo the credentials raw, as `Basic` base64, JSON-escaped, URL-encoded and the apiKey part alone; 5 formats on stdout and as reports, and the evidence | {echo_runs} runs, {forms} forms searched | – | – | {} | – |\n",
        echo_leaks.len()
    ));
    let mut other = fault_tally.other + exchange_tally.other + other_hostile;
    #[cfg(unix)]
    {
        // Nothing sent, or the key in a 0600 file golive names; never two PATCHes.
        let lost: Vec<&str> = one_time.iter().filter(|(_, r)| !r.kept_or_not_sent()).map(|(n, _)| n.as_str()).collect();
        let sent = one_time.iter().filter(|(_, r)| r.patches > 0).count();
        summary.push_str(&format!(
            "| one-time key: closed stdout and stderr, SIGINT/SIGTERM/SIGHUP before sending, in the TLS handshake and while the answer streams in, a full disk (tmpfs), concurrent runs, huge and hostile answers | {} faults, {sent} keys sent, {} kept | – | – | – | {} |\n",
            one_time.len(),
            sent - lost.len().min(sent),
            lost.len()
        ));
        other += lost.len();
        assert!(lost.is_empty(), "keys lost under: {lost:?}");
    }
    summary.push_str(&format!("| **total** | | **{panics}** | **{hangs}** | **{}** | **{other}** |\n", leaks.len()));
    println!("<!-- reliability:begin -->\n{summary}\n{out}<!-- reliability:end -->");
    assert_eq!((panics, hangs, leaks.len(), other), (0, 0, 0, 0), "{leaks:#?}");
}
