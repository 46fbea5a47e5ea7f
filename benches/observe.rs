//! Benchmark of `golive observe`'s front (not a timed test): what the front
//! adds to a request, and whether its memory stays flat over 100,000 proxied
//! requests (the recording is streamed to disk).
//!
//! An upstream (hyper, plain HTTP, in this process) answers the Axys auth
//! test's empty list. The golive binary runs `observe --listen` (no command,
//! no faults) in front of it, once with TLS towards the client and once with
//! `--plain-http`. One client, one kept-alive connection at a time:
//!
//! 1. Latency of 2,000 sequential GETs straight to the upstream, through the
//!    plain front and through the TLS front: median and p99; the front's cost
//!    is the difference of medians (goal: < 1 ms).
//! 2. Resident memory (VmRSS of the golive process) after 2,200 (the latency
//!    run), 10,000, 25,000, 50,000, 75,000 and 100,000 requests through the
//!    TLS front from 8 concurrent clients (goal: flat).
//! 3. The judging of those 100,000 recorded exchanges after SIGTERM: wall time.
//!
//! Run with `cargo bench --bench observe`.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::Full;
use hyper_util::rt::TokioIo;

const LIST: &str = r#"{"status":"success","items":[],"total":0,"limit":50,"offset":0}"#;
const SAMPLES: usize = 2000;
const TOTAL: usize = 100_000;

fn main() {
    let runtime = match tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("observe bench: no runtime: {e}");
            std::process::exit(1);
        }
    };
    if let Err(e) = runtime.block_on(bench()) {
        eprintln!("observe bench: {e}");
        std::process::exit(1);
    }
}

/// The upstream: every request answers the empty list.
async fn upstream() -> Result<std::net::SocketAddr, String> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.map_err(|e| e.to_string())?;
    let addr = listener.local_addr().map_err(|e| e.to_string())?;
    tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            let _ = tcp.set_nodelay(true);
            tokio::spawn(async move {
                let service = hyper::service::service_fn(|_req| async {
                    let mut r = hyper::Response::new(Full::new(Bytes::from_static(LIST.as_bytes())));
                    r.headers_mut().insert("content-type", hyper::header::HeaderValue::from_static("application/json"));
                    Ok::<_, std::convert::Infallible>(r)
                });
                let _ = hyper::server::conn::http1::Builder::new().serve_connection(TokioIo::new(tcp), service).await;
            });
        }
    });
    Ok(addr)
}

/// A running `golive observe --listen`: the process, its URL and CA file.
struct Front {
    child: Child,
    url: String,
    ca: Option<String>,
}

impl Drop for Front {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start_front(dir: &std::path::Path, plain: bool) -> Result<Front, String> {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_golive"));
    cmd.current_dir(dir)
        .args(["observe", "--env", "bench", "--faults", "none", "--listen", "127.0.0.1:0", "--format", "json"])
        .env("BENCH_AXYS_API_KEY", "bench-key-not-secret")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    if plain {
        cmd.arg("--plain-http");
    }
    let mut child = cmd.spawn().map_err(|e| format!("cannot start golive: {e}"))?;
    let mut lines = BufReader::new(child.stderr.take().ok_or("no stderr")?).lines();
    let (mut url, mut ca) = (None, None);
    for line in lines.by_ref() {
        let line = line.map_err(|e| e.to_string())?;
        if let Some(rest) = line.strip_prefix("golive observe: axys through ") {
            url = Some(rest.to_string());
        }
        if let Some(rest) = line.strip_prefix("golive observe: the front's CA certificate is ") {
            ca = rest.split(' ').next().map(str::to_string);
        }
        if line.contains("serving until") {
            break;
        }
        if line.starts_with("error") || line.contains("error:") {
            return Err(line);
        }
    }
    std::thread::spawn(move || lines.for_each(drop));
    let mut out = child.stdout.take().ok_or("no stdout")?;
    std::thread::spawn(move || std::io::copy(&mut out, &mut std::io::sink()));
    Ok(Front { child, url: url.ok_or("golive named no front")?, ca })
}

fn client(ca: Option<&str>) -> Result<reqwest::Client, String> {
    let mut b = reqwest::Client::builder().no_proxy().pool_max_idle_per_host(16);
    if let Some(path) = ca {
        let pem = std::fs::read(path).map_err(|e| e.to_string())?;
        b = b.add_root_certificate(reqwest::Certificate::from_pem(&pem).map_err(|e| e.to_string())?);
    }
    b.build().map_err(|e| e.to_string())
}

async fn get(client: &reqwest::Client, url: &str) -> Result<(), String> {
    let r = client.get(url).send().await.map_err(|e| e.to_string())?;
    if r.status() != 200 {
        return Err(format!("{url} answered {}", r.status()));
    }
    r.bytes().await.map(|_| ()).map_err(|e| e.to_string())
}

/// Median and p99 of `SAMPLES` sequential GETs, in ms, after a warm-up.
async fn latency(client: &reqwest::Client, url: &str) -> Result<(f64, f64), String> {
    for _ in 0..200 {
        get(client, url).await?;
    }
    let mut ms = Vec::with_capacity(SAMPLES);
    for _ in 0..SAMPLES {
        let t = Instant::now();
        get(client, url).await?;
        ms.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    ms.sort_by(f64::total_cmp);
    Ok((ms[SAMPLES / 2], ms[SAMPLES * 99 / 100]))
}

fn rss_kb(pid: u32, field: &str) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix(field).and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok()))
        .unwrap_or(0)
}

async fn bench() -> Result<(), String> {
    let up = upstream().await?;
    let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
    let config = format!(
        "[env.bench]\npack = \"axys\"\nbase_url = \"http://{up}/v2\"\napi_key = {{ env = \"BENCH_AXYS_API_KEY\" }}\n"
    );
    std::fs::write(dir.path().join("golive.toml"), config).map_err(|e| e.to_string())?;
    let tls = start_front(dir.path(), false)?;
    let plain = start_front(dir.path(), true)?;

    let direct = client(None)?;
    let (d50, d99) = latency(&direct, &format!("http://{up}/v2/cardholders")).await?;
    let (p50, p99) = latency(&client(None)?, &format!("{}/cardholders", plain.url)).await?;
    let through = client(tls.ca.as_deref())?;
    let (t50, t99) = latency(&through, &format!("{}/cardholders", tls.url)).await?;
    println!("latency, {SAMPLES} sequential GETs over one kept-alive connection:");
    println!("  direct to the upstream     median {d50:.3} ms, p99 {d99:.3} ms");
    println!("  through the plain front    median {p50:.3} ms, p99 {p99:.3} ms  (+{:.3} ms median)", p50 - d50);
    println!("  through the TLS front      median {t50:.3} ms, p99 {t99:.3} ms  (+{:.3} ms median)", t50 - d50);
    drop(plain);

    let pid = tls.child.id();
    let url = format!("{}/cardholders", tls.url);
    let mut sent = 200 + SAMPLES; // the latency run's requests through this front
    let clock = Instant::now();
    println!("memory of the golive process (VmRSS) while proxying, 8 concurrent clients:");
    println!("  after {:>7} requests: {} kB", sent, rss_kb(pid, "VmRSS:"));
    for mark in [10_000, 25_000, 50_000, 75_000, TOTAL] {
        let batch = mark.saturating_sub(sent);
        let per = batch / 8;
        let tasks: Vec<_> = (0..8)
            .map(|_| {
                let (c, u) = (through.clone(), url.clone());
                tokio::spawn(async move {
                    for _ in 0..per {
                        get(&c, &u).await?;
                    }
                    Ok::<(), String>(())
                })
            })
            .collect();
        for t in tasks {
            t.await.map_err(|e| e.to_string())??;
        }
        sent += per * 8;
        println!("  after {:>7} requests: {} kB", sent, rss_kb(pid, "VmRSS:"));
    }
    let rate = (sent as f64) / clock.elapsed().as_secs_f64();
    println!("  {rate:.0} requests/s through the front; peak (VmHWM) {} kB", rss_kb(pid, "VmHWM:"));

    let mut tls = tls;
    let judged = Instant::now();
    Command::new("kill").args(["-TERM", &pid.to_string()]).status().map_err(|e| e.to_string())?;
    let status = tls.child.wait().map_err(|e| e.to_string())?;
    println!(
        "judging the recording of {sent} exchanges after SIGTERM: {:.2} s (golive {status})",
        judged.elapsed().as_secs_f64()
    );
    tokio::time::sleep(Duration::from_millis(10)).await;
    Ok(())
}
