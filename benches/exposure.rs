//! Benchmark of the `exposure` scans (issue 18), not a timed test: MB/s over
//! the blobs of a generated repository (>= 20,000 commits, >= 1 GB of blobs,
//! made by `scripts/exposure-bench-repo.sh`) and over 1 GB of generated logs,
//! and the peak resident set of this process (VmHWM from /proc/self/status).
//! Goals: >= 200 MB/s over git objects, >= 300 MB/s over logs, < 100 MB.
//!
//! The git scan's MB/s counts the blob bytes `git cat-file --batch` hands
//! over (uncompressed); git's own inflation runs in its process, in parallel.
//! Each scan runs in a fresh child process of this binary, so its VmHWM is its own.
//!
//!   cargo bench --bench exposure                        # makes the repo in target/, removes it after
//!   EXPOSURE_BENCH_REPO=/path cargo bench --bench exposure   # scans an existing repository, kept

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;
use std::time::Instant;

use golive::probe::kinds::exposure::{Matcher, PartnerKey, scan_logs, scan_repo};

const CHILD: &str = "GOLIVE_BENCH_EXPOSURE";
/// Bytes of log the log scan reads.
const LOG_BYTES: u64 = 1 << 30;

/// The secrets of a realistic environment (values never in the generated data).
fn matcher() -> Matcher {
    let secrets: Vec<(String, Vec<u8>)> = [
        ("api_key", "acc_8f3a_kP9xQ2mZ7vL4wR1t_kid_5c2e"),
        ("temporal_api_key", "tmp_Q7w8E9r0T1y2U3i4O5p6"),
        ("account_secret", "Golive-Bench-Secret-42"),
        ("webhook.secret", "whsec_bench_b1c2d3e4f5a6b7c8d9e0"),
        ("client_key", "MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7bench0123456789abcdef"),
    ]
    .iter()
    .map(|(n, v)| (n.to_string(), v.as_bytes().to_vec()))
    .collect();
    let partner = vec![PartnerKey {
        name: "a PaymentsAI API key".into(),
        prefix: "acc_8f3a_".into(),
        rest: regex::bytes::Regex::new("^[A-Za-z0-9-]+_[A-Za-z0-9_-]{4,}").expect("regex"),
    }];
    Matcher::new(&secrets, partner)
}

fn vm_hwm_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .unwrap_or_default()
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

fn child(what: &str, path: &Path) -> Result<(), String> {
    let m = matcher();
    let cancel = AtomicBool::new(false);
    let started = Instant::now();
    let (bytes, items, found) = match what {
        "git" => {
            let s = scan_repo(path, &m, &cancel).map_err(|e| format!("{e:?}"))?;
            (s.blob_bytes, s.blobs, s.findings.len() + s.more)
        }
        _ => {
            let s = scan_logs(&[path.display().to_string()], &m, &cancel);
            (s.bytes, s.files, s.findings.len() + s.more)
        }
    };
    let secs = started.elapsed().as_secs_f64();
    println!(
        "{what:>4}  {:>8.1} MB  {items:>7} {}  {secs:>7.2} s  {:>8.1} MB/s  peak RSS {:>6.1} MB  findings {found}",
        bytes as f64 / 1e6,
        if what == "git" { "blobs" } else { "files" },
        bytes as f64 / 1e6 / secs,
        vm_hwm_kib() as f64 / 1024.0,
    );
    Ok(())
}

/// Writes `LOG_BYTES` of log lines full of digits (timestamps, ids, amounts,
/// masked card numbers): the card scan's worst case short of real card numbers.
fn write_log(path: &Path) -> std::io::Result<()> {
    let mut w = std::io::BufWriter::with_capacity(1 << 20, std::fs::File::create(path)?);
    let mut written = 0u64;
    let mut i = 0u64;
    while written < LOG_BYTES {
        let line = format!(
            "2026-11-27T10:{:02}:{:02}.{:03}Z INFO req={:016x} status=200 amount={} currency=USD card=411111******{:04} \
ts={} user=u{} path=/v1/orders/{}/capture took={}ms\n",
            (i / 60) % 60,
            i % 60,
            i % 1000,
            i.wrapping_mul(0x9E37_79B9_7F4A_7C15),
            (i * 37) % 100_000,
            i % 10_000,
            1_732_712_345_678 + i,
            i % 5000,
            i,
            i % 900
        );
        w.write_all(line.as_bytes())?;
        written += line.len() as u64;
        i += 1;
    }
    w.flush()
}

fn run_child(what: &str, path: &Path) -> bool {
    let exe = std::env::current_exe().expect("own path");
    let status = std::process::Command::new(exe).env(CHILD, format!("{what}:{}", path.display())).status();
    status.is_ok_and(|s| s.success())
}

fn main() {
    if let Ok(arg) = std::env::var(CHILD) {
        let (what, path) = arg.split_once(':').unwrap_or(("git", "."));
        if let Err(e) = child(what, Path::new(path)) {
            eprintln!("exposure bench ({what}): {e}");
            std::process::exit(1);
        }
        return;
    }
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let work = root.join("target").join("exposure-bench");
    let (repo, made) = match std::env::var("EXPOSURE_BENCH_REPO") {
        Ok(p) => (PathBuf::from(p), false),
        Err(_) => {
            let _ = std::fs::remove_dir_all(&work);
            std::fs::create_dir_all(&work).expect("work folder");
            let repo = work.join("repo");
            let started = Instant::now();
            let ok = std::process::Command::new(root.join("scripts/exposure-bench-repo.sh"))
                .arg(&repo)
                .status()
                .is_ok_and(|s| s.success());
            assert!(ok, "scripts/exposure-bench-repo.sh made the repository");
            println!("repository made in {:.1} s", started.elapsed().as_secs_f64());
            (repo, true)
        }
    };
    println!(
        "exposure: git objects of {} and {} MB of logs, each scan in a fresh process",
        repo.display(),
        LOG_BYTES / 1_000_000
    );
    let git_ok = run_child("git", &repo);
    std::fs::create_dir_all(&work).expect("work folder");
    let log = work.join("bench.log");
    let started = Instant::now();
    write_log(&log).expect("log written");
    println!("log written in {:.1} s", started.elapsed().as_secs_f64());
    let logs_ok = run_child("logs", &log);
    let _ = std::fs::remove_file(&log);
    if made {
        let _ = std::fs::remove_dir_all(&work);
    }
    assert!(git_ok && logs_ok, "both scans ran");
}
