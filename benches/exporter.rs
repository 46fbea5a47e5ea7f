//! Benchmark of `golive serve` (not a timed test): the exporter of the demo
//! environment, in this process, against the embedded fakes, on 127.0.0.1.
//!
//! 1. A storm of 100 concurrent scrapes of one probe never run before: how
//!    many runs and how many requests the fake website received (goal: one).
//! 2. Latency of a cached `/probe?tag=launch-day` (6 probes), one scrape at a
//!    time over a kept-alive connection: median, p99, max (goal: p99 < 5 ms).
//! 3. Throughput of cached scrapes from 8 concurrent clients (goal: 1,000/s on
//!    2 cores; the runtime has 2 worker threads).
//! 4. Resident memory of the process after 100 and after 10,000 scrapes (goal:
//!    within 10 %): the exporter keeps each probe's latest result only. The
//!    figure is the whole process's: exporter, fakes and load generator.
//!
//! Run with `cargo bench --bench exporter`.

use std::sync::Arc;
use std::time::{Duration, Instant};

use golive::exporter::{Exporter, ExporterOptions, http, metrics};
use golive_fakes::{Fakes, Scenario};

const QUERY: &str = "/probe?tag=launch-day";

fn main() {
    let runtime = match tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("exporter bench: no runtime: {e}");
            std::process::exit(1);
        }
    };
    if let Err(e) = runtime.block_on(bench()) {
        eprintln!("exporter bench: {e}");
        std::process::exit(1);
    }
}

async fn get(client: &reqwest::Client, url: &str) -> Result<usize, String> {
    let r = client.get(url).send().await.map_err(|e| e.to_string())?;
    if !r.status().is_success() {
        return Err(format!("{url} answered {}", r.status()));
    }
    r.bytes().await.map(|b| b.len()).map_err(|e| e.to_string())
}

fn counter(exposition: &str, name: &str) -> f64 {
    exposition.lines().find_map(|l| l.strip_prefix(name).and_then(|rest| rest.trim().parse().ok())).unwrap_or(f64::NAN)
}

async fn bench() -> Result<(), String> {
    let fakes = Fakes::start(Scenario::Healthy).await?;
    let targets = golive::demo::targets(&fakes).map_err(|e| e.render(false))?;
    // Results stay fresh for the whole bench: every scrape after the first is cached.
    let opts = ExporterOptions { min_interval: Duration::from_secs(3600), ..ExporterOptions::default() };
    let exporter = Arc::new(Exporter::new("demo", targets, opts).map_err(|e| e.render(false))?);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.map_err(|e| e.to_string())?;
    let addr = listener.local_addr().map_err(|e| e.to_string())?;
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(http::serve(listener, Arc::clone(&exporter), async {
        let _ = stopped.await;
    }));
    let base = format!("http://{addr}");
    let client = reqwest::Client::builder().build().map_err(|e| e.to_string())?;

    // 1. The storm.
    let website_before = fakes.website.received_requests().await.unwrap_or_default().len();
    let storm_url = format!("{base}/probe?only=pai-website-contact");
    let storm_clock = Instant::now();
    let storm: Vec<_> = (0..100)
        .map(|_| {
            let (client, url) = (reqwest::Client::new(), storm_url.clone());
            tokio::spawn(async move { get(&client, &url).await })
        })
        .collect();
    for s in storm {
        s.await.map_err(|e| e.to_string())??;
    }
    let storm_time = storm_clock.elapsed();
    let website_requests = fakes.website.received_requests().await.unwrap_or_default().len() - website_before;
    let own =
        reqwest::get(format!("{base}/metrics")).await.map_err(|e| e.to_string())?.text().await.unwrap_or_default();
    let runs = counter(&own, "golive_exporter_runs_total");
    println!(
        "storm: 100 concurrent scrapes of one probe: {runs} run(s), {website_requests} request(s) to the fake website, {:.1} ms in all (goal: 1 run)",
        storm_time.as_secs_f64() * 1000.0
    );

    // Warm the cache for the latency query (one run of 6 probes).
    get(&client, &format!("{base}{QUERY}")).await?;
    let url = format!("{base}{QUERY}");

    // 2. Latency, one scrape at a time.
    let mut times = Vec::with_capacity(2000);
    let mut bytes = 0;
    for _ in 0..2000 {
        let t = Instant::now();
        bytes = get(&client, &url).await?;
        times.push(t.elapsed());
    }
    times.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    println!(
        "latency: cached {QUERY} ({bytes} bytes), 2,000 sequential scrapes: median {:.3} ms, p99 {:.3} ms, max {:.3} ms (goal: p99 < 5 ms)",
        ms(times[times.len() / 2]),
        ms(times[times.len() * 99 / 100]),
        ms(times[times.len() - 1])
    );

    // 3 and 4. Throughput, and memory after 100 then 10,000 scrapes in all.
    let scrapes = |n: usize| {
        let (client, url) = (client.clone(), url.clone());
        async move {
            let per = n / 8;
            let workers: Vec<_> = (0..8)
                .map(|_| {
                    let (client, url) = (client.clone(), url.clone());
                    tokio::spawn(async move {
                        for _ in 0..per {
                            get(&client, &url).await?;
                        }
                        Ok::<(), String>(())
                    })
                })
                .collect();
            for w in workers {
                w.await.map_err(|e| e.to_string())??;
            }
            Ok::<(), String>(())
        }
    };
    scrapes(100).await?;
    let rss_100 = metrics::resident_memory_bytes().unwrap_or(0);
    let clock = Instant::now();
    scrapes(9_904).await?;
    let elapsed = clock.elapsed();
    let rss_10k = metrics::resident_memory_bytes().unwrap_or(0);
    println!(
        "throughput: 9,904 cached scrapes from 8 concurrent clients in {:.2} s: {:.0} scrapes/s (goal: 1,000/s on 2 cores)",
        elapsed.as_secs_f64(),
        9_904.0 / elapsed.as_secs_f64()
    );
    let mb = |b: u64| b as f64 / 1_048_576.0;
    println!(
        "memory: resident {:.1} MB after 100 scrapes, {:.1} MB after 10,000: {:+.1} % (goal: within 10 %)",
        mb(rss_100),
        mb(rss_10k),
        (rss_10k as f64 / rss_100.max(1) as f64 - 1.0) * 100.0
    );
    let own =
        reqwest::get(format!("{base}/metrics")).await.map_err(|e| e.to_string())?.text().await.unwrap_or_default();
    println!(
        "exporter: {} runs, {} cached probe results served, {} probes cached",
        counter(&own, "golive_exporter_runs_total"),
        counter(&own, "golive_exporter_cache_hits_total"),
        counter(&own, "golive_exporter_cached_probes")
    );
    let _ = stop.send(());
    let _ = server.await;
    drop(fakes);
    Ok(())
}
