//! Benchmark of the `fcrdns` probe (not a timed test): resolves 1, 10, 100 and
//! 1,000 calling IPs against the in-process DNS server and prints wall time
//! and peak memory for each. Target: 1,000 IPs in under 2 s and 60 MB on a
//! 2-core machine.
//!
//! Each size runs in a fresh child process of this binary, so the peak
//! resident set (VmHWM from /proc/self/status) belongs to that size alone. It
//! includes the fake DNS server, which runs in the same process. Each size is
//! run 5 times, each with a new plan and so a new resolver, as a real run would;
//! the table shows the median wall time with min and max.
//!
//! Run with `cargo bench --bench fcrdns`.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::process::Command;
use std::time::{Duration, Instant};

use golive::config::{Environment, SourceFile, pack};
use golive::plan::{Plan, Selection};
use golive::report::Status;
use golive::runner::{self, RunOptions};
use golive_fakes::FakeDns;

const CHILD: &str = "GOLIVE_BENCH_FCRDNS_IPS";
const SIZES: [usize; 4] = [1, 10, 100, 1000];
const RUNS: usize = 5;

fn main() {
    if let Ok(n) = std::env::var(CHILD) {
        let n: usize = n.parse().unwrap_or(1);
        if let Err(e) = child(n) {
            eprintln!("fcrdns bench ({n} IPs): {e}");
            std::process::exit(1);
        }
        return;
    }
    println!("fcrdns: {RUNS} runs per size, each size in a fresh process (peak RSS includes the fake DNS server)");
    println!(
        "{:>6}  {:>10}  {:>10}  {:>10}  {:>13}  {:>10}  linear?",
        "IPs", "median", "min", "max", "peak RSS", "per IP"
    );
    let exe = match std::env::current_exe() {
        Ok(exe) => exe,
        Err(e) => {
            eprintln!("cannot find the bench binary to re-run it: {e}");
            std::process::exit(1);
        }
    };
    let mut per_ip_before: Option<f64> = None;
    for n in SIZES {
        let out = Command::new(&exe).env(CHILD, n.to_string()).output();
        match out {
            Ok(o) if o.status.success() => {
                let line = String::from_utf8_lossy(&o.stdout).trim_end().to_string();
                // The child prints the median in ms second: the cost per IP
                // may grow by at most half from the size ten times smaller.
                let median: f64 = line.split_whitespace().nth(1).and_then(|t| t.parse().ok()).unwrap_or(f64::NAN);
                let per_ip = median / n as f64;
                let linear = per_ip_before.is_none_or(|before| per_ip <= before * 1.5);
                per_ip_before = Some(per_ip);
                println!("{line}  {:>7.3} ms  {}", per_ip, if linear { "yes" } else { "NO" });
            }
            Ok(o) => {
                eprintln!(
                    "{n} IPs failed:\n{}{}",
                    String::from_utf8_lossy(&o.stdout),
                    String::from_utf8_lossy(&o.stderr)
                );
                std::process::exit(1);
            }
            Err(e) => {
                eprintln!("cannot run the {n}-IP child: {e}");
                std::process::exit(1);
            }
        }
    }
}

/// The i-th calling IP: TEST-NET-1/2/3 IPv4 first (762 of them), then 2001:db8::/32.
fn address(i: usize) -> IpAddr {
    let nets = [[192, 0, 2], [198, 51, 100], [203, 0, 113]];
    match nets.get(i / 254) {
        Some(net) => IpAddr::V4(Ipv4Addr::new(net[0], net[1], net[2], (i % 254 + 1) as u8)),
        None => IpAddr::V6(Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, i as u16)),
    }
}

fn child(n: usize) -> Result<(), String> {
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build().map_err(|e| e.to_string())?;
    rt.block_on(async {
        let mut builder = FakeDns::builder();
        let mut names = Vec::with_capacity(n);
        let ips: Vec<IpAddr> = (0..n).map(address).collect();
        for (i, ip) in ips.iter().enumerate() {
            let name = format!("host{i}.bench.test");
            builder = builder.a(&name, *ip).ptr(*ip, &name);
            names.push(format!("\"{name}\""));
        }
        let dns = builder.start().await?;
        let text = format!(
            "[pack]\nname = \"bench\"\ntitle = \"Bench\"\nrunbook = \"bench\"\n\n[[probe]]\nid = \"fcrdns\"\nkind = \"fcrdns\"\ntitle = \"FCrDNS\"\ntimeout = \"30s\"\n[probe.params]\nnames = [{}]\n",
            names.join(", ")
        );
        let mut times = Vec::with_capacity(RUNS);
        for _ in 0..RUNS {
            let pack = pack::parse(SourceFile { path: "bench.toml".into(), text: text.clone().into() })
                .map_err(|e| e.render(false))?;
            let env = Environment {
                name: "bench".into(),
                pack: "bench".into(),
                calling_ips: ips.clone(),
                nameservers: vec![dns.addr()],
                ..Environment::default()
            };
            let started = Instant::now();
            let plan = Plan::build("bench", vec![(env, pack)], &Selection::default()).map_err(|e| e.render(false))?;
            let summary = runner::run(&plan, &RunOptions::default(), &mut |_| {}).await;
            times.push(started.elapsed());
            let probe = &summary.probes[0];
            let checks = probe.checks.len();
            if probe.status != Status::Pass || checks != 2 * n {
                return Err(format!("expected pass with {} checks, got {} with {checks}: {:?}", 2 * n, probe.status, probe.diagnosis));
            }
        }
        times.sort();
        let ms = |d: Duration| format!("{:.1} ms", d.as_secs_f64() * 1000.0);
        let hwm = peak_rss_kb().map_or_else(|| "n/a".to_string(), |kb| format!("{:.1} MB", kb as f64 / 1024.0));
        println!("{n:>6}  {:>10}  {:>10}  {:>10}  {hwm:>13}", ms(times[RUNS / 2]), ms(times[0]), ms(times[RUNS - 1]));
        Ok(())
    })
}

/// VmHWM (peak resident set) of this process in kB, on Linux.
fn peak_rss_kb() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}
