//! `golive serve`: a real Prometheus scrapes it; `promtool` checks its
//! exposition; mutating probes never run through it; a canary secret never
//! reaches its answers; a storm of scrapes makes one run.
//!
//! Prometheus and promtool come from Debian's `prometheus` package (`.ci/run`
//! installs it). Without them a test says so and passes, unless `CI` is set:
//! in CI a missing binary fails the test.

use std::collections::BTreeSet;
use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use golive::exporter::{Exporter, ExporterOptions};
use golive_fakes::axys::partner::{AxysRunning, AxysScenario};
use golive_fakes::paymentsai::partner::PaymentsAiRunning;
use golive_fakes::{Fakes, Scenario};

use crate::support::{StopOnDrop, Watchdog, demo_targets};

/// Whether a tool of Debian's `prometheus` package is here; `false` (said on
/// stderr) when it is not and this is no CI run; a failure in CI.
pub fn have(tool: &str) -> bool {
    have_from(tool, "prometheus")
}

/// Whether `tool` of the Debian package `package` is here; `false` (said on
/// stderr) when it is not and this is no CI run; a failure in CI.
pub fn have_from(tool: &str, package: &str) -> bool {
    let found = Command::new(tool).arg("--version").stdout(Stdio::null()).stderr(Stdio::null()).status().is_ok();
    if !found {
        let ci = std::env::var("CI").is_ok_and(|v| !v.is_empty() && v != "false");
        assert!(!ci, "`{tool}` is not installed and CI is set: .ci/run installs Debian's `{package}` package");
        eprintln!("SKIPPED: `{tool}` is not installed (apt-get install {package}); this test checks nothing here");
    }
    found
}

/// Starts `golive serve ARGS --listen 127.0.0.1:0` and returns it with its address.
pub fn start_serve(args: &[&str]) -> (StopOnDrop, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_golive"))
        .arg("serve")
        .args(args)
        .args(["--listen", "127.0.0.1:0"])
        .env("NO_COLOR", "1")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .map(StopOnDrop)
        .expect("golive serve starts");
    let mut first = String::new();
    let mut reader = BufReader::new(child.0.stdout.take().expect("stdout"));
    reader.read_line(&mut first).expect("golive serve says where it listens");
    // Keep draining stdout so the child never blocks on a full pipe.
    std::thread::spawn(move || std::io::copy(&mut reader, &mut std::io::sink()));
    let addr = first
        .split("http://")
        .nth(1)
        .and_then(|rest| rest.split_whitespace().next())
        .unwrap_or_else(|| panic!("no address in `{first}`"))
        .to_string();
    (child, addr)
}

/// GET over plain HTTP/1.1 (the exporter's own protocol), body as text.
pub fn get(addr: &str, path: &str) -> (u16, String) {
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
    runtime.block_on(async {
        let r = reqwest::get(format!("http://{addr}{path}")).await.expect("GET answered");
        (r.status().as_u16(), r.text().await.expect("body"))
    })
}

/// Starts Prometheus with `config` as its prometheus.yml in `dir` (which
/// also holds its data) on a free loopback port; returns it and the port.
pub fn start_prometheus(dir: &Path, config: &str) -> (StopOnDrop, u16) {
    std::fs::write(dir.join("prometheus.yml"), config).expect("config");
    let port = free_port();
    let child = Command::new("prometheus")
        .arg(format!("--config.file={}", dir.join("prometheus.yml").display()))
        .arg(format!("--storage.tsdb.path={}", dir.join("data").display()))
        .arg(format!("--web.listen-address=127.0.0.1:{port}"))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .map(StopOnDrop)
        .expect("prometheus starts");
    (child, port)
}

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).map(|a| a.port()).expect("a free port")
}

/// The demo's read-only probes, as `golive serve --env demo` lists them.
pub const DEMO_READ_ONLY: [&str; 15] = [
    "axys-cert",
    "axys-exposure",
    "pai-exposure",
    "axys-tls",
    "axys-auth",
    "axys-fcrdns",
    "pai-api-key",
    "pai-webhook-signature",
    "pai-webhook-destination",
    "pai-environment",
    "pai-website-terms",
    "pai-website-privacy",
    "pai-website-refund",
    "pai-website-contact",
    "pai-website-currency",
];

/// The `probe` label of every series a Prometheus instant query returns.
pub fn probes_in(answer: &serde_json::Value) -> BTreeSet<String> {
    answer["data"]["result"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|s| s["metric"]["probe"].as_str().map(str::to_string))
        .collect()
}

/// A real Prometheus on 127.0.0.1 with the given configuration (and rule
/// files beside it), killed when dropped.
pub struct Prometheus {
    port: u16,
    _child: StopOnDrop,
    _dir: tempfile::TempDir,
    runtime: tokio::runtime::Runtime,
}

impl Prometheus {
    /// Starts Prometheus with `config` as prometheus.yml and `files` beside it.
    pub fn start(config: &str, files: &[(&str, &str)]) -> Prometheus {
        let dir = tempfile::tempdir().expect("dir");
        for (name, text) in files {
            std::fs::write(dir.path().join(name), text).expect("file");
        }
        let (child, port) = start_prometheus(dir.path(), config);
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
        Prometheus { port, _child: child, _dir: dir, runtime }
    }

    /// GET of an API path with query parameters, as JSON (null while Prometheus starts).
    pub fn api(&self, path: &str, params: &[(&str, &str)]) -> serde_json::Value {
        self.runtime.block_on(async {
            let mut url = reqwest::Url::parse(&format!("http://127.0.0.1:{}{path}", self.port)).expect("url");
            for (k, v) in params {
                url.query_pairs_mut().append_pair(k, v);
            }
            match reqwest::get(url).await {
                Ok(r) => r.json::<serde_json::Value>().await.unwrap_or_default(),
                Err(_) => serde_json::Value::Null,
            }
        })
    }

    /// An instant query.
    pub fn query(&self, q: &str) -> serde_json::Value {
        self.api("/api/v1/query", &[("query", q)])
    }
}

/// The README's scrape configuration (blackbox_exporter's style: the targets
/// are modules, relabelled to `/probe?module=...&target=ENV` on the exporter),
/// scraping every second, plus the exporter's own `/metrics`.
pub fn scrape_config(addr: &str, modules: &[&str], rule_files: &[&str]) -> String {
    format!(
        "global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\n\
         rule_files: [{}]\n\
         scrape_configs:\n  - job_name: golive\n    metrics_path: /probe\n    scrape_timeout: 1s\n\
         \x20   params:\n      target: [demo]\n\
         \x20   static_configs:\n      - targets: [{}]\n\
         \x20   relabel_configs:\n\
         \x20     - source_labels: [__address__]\n        target_label: __param_module\n\
         \x20     - source_labels: [__param_module]\n        target_label: module\n\
         \x20     - target_label: __address__\n        replacement: {addr}\n\
         \x20 - job_name: golive-exporter\n    static_configs:\n      - targets: [{addr}]\n",
        rule_files.join(", "),
        modules.join(", ")
    )
}

#[test]
fn a_real_prometheus_scrapes_every_demo_probe_and_the_certificate_expiry() {
    let _watchdog = Watchdog::new("exporter prometheus", Duration::from_secs(240));
    if !have("prometheus") {
        return;
    }
    let (_serve, addr) = start_serve(&["--env", "demo", "--min-interval", "1s"]);
    let prometheus = Prometheus::start(&scrape_config(&addr, &["launch-day", "staging"], &[]), &[]);
    let want: BTreeSet<String> = DEMO_READ_ONLY.iter().map(|s| s.to_string()).collect();
    // Bounded: Prometheus starts, scrapes every second; a minute is far more than it needs.
    let give_up = Instant::now() + Duration::from_secs(120);
    let (mut success, mut expiry, mut blackbox) = (BTreeSet::new(), BTreeSet::new(), BTreeSet::new());
    while Instant::now() < give_up {
        success = probes_in(&prometheus.query("golive_probe_success == 1"));
        blackbox = probes_in(&prometheus.query("probe_success == 1 and probe_duration_seconds >= 0"));
        expiry = probes_in(&prometheus.query("golive_cert_not_after_timestamp_seconds"));
        if success == want && blackbox == want && expiry.contains("axys-cert") && expiry.contains("axys-tls") {
            break;
        }
        std::thread::sleep(Duration::from_millis(250));
    }
    assert_eq!(success, want, "Prometheus has golive_probe_success == 1 for every read-only demo probe");
    assert_eq!(blackbox, want, "and blackbox_exporter's probe_success and probe_duration_seconds");
    assert!(
        expiry.contains("axys-cert") && expiry.contains("axys-tls"),
        "Prometheus has the client and server certificate expiry: {expiry:?}"
    );
    let up = prometheus.query("up{job=\"golive\"} == 1");
    assert_eq!(up["data"]["result"].as_array().map_or(0, Vec::len), 2, "both scrape targets are up: {up}");
}

#[test]
fn promtool_accepts_the_exposition_of_probe_and_metrics() {
    let _watchdog = Watchdog::new("exporter promtool metrics", Duration::from_secs(180));
    if !have("promtool") {
        return;
    }
    let (_serve, addr) = start_serve(&["--env", "demo", "--egress", "nat-a"]);
    for path in ["/probe", "/probe?tag=launch-day", "/metrics"] {
        let (code, body) = get(&addr, path);
        assert_eq!(code, 200, "{path}: {body}");
        let mut check = Command::new("promtool")
            .args(["check", "metrics"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("promtool runs");
        check.stdin.take().expect("stdin").write_all(body.as_bytes()).expect("exposition written");
        let out = check.wait_with_output().expect("promtool ends");
        assert!(
            out.status.success(),
            "promtool check metrics {path}:\n{}{}\n{body}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let (_, body) = get(&addr, "/probe?only=axys-fcrdns");
    assert!(body.contains("egress=\"nat-a\""), "{body}");
    assert!(body.contains("golive_fcrdns_success{") && body.contains("ip=\"203.0.113.10\""), "{body}");
}

/// Serves an exporter on 127.0.0.1 in this runtime; returns its address.
pub async fn serve_in_process(exporter: Arc<Exporter>) -> (String, tokio::sync::oneshot::Sender<()>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr").to_string();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(golive::exporter::http::serve(listener, exporter, async {
        let _ = stopped.await;
    }));
    (addr, stop)
}

pub async fn fetch(client: &reqwest::Client, addr: &str, path: &str) -> (u16, String) {
    let r = client.get(format!("http://{addr}{path}")).send().await.expect("answered");
    (r.status().as_u16(), r.text().await.expect("body"))
}

/// Methods of the requests a fake received, from the `skip`-th on.
async fn methods(server: &wiremock::MockServer, skip: usize) -> Vec<String> {
    server.received_requests().await.unwrap_or_default().iter().skip(skip).map(|r| r.method.to_string()).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_storm_of_scrapes_makes_one_run_and_no_mutating_probe_ever_runs() {
    let _watchdog = Watchdog::new("exporter storm", Duration::from_secs(180));
    let fakes = Fakes::start(Scenario::Healthy).await.expect("fakes start");
    let opts = ExporterOptions { min_interval: Duration::from_secs(3600), ..ExporterOptions::default() };
    let exporter = Arc::new(Exporter::new("demo", demo_targets(&fakes), opts).expect("exporter"));
    let (addr, _stop) = serve_in_process(Arc::clone(&exporter)).await;
    let client = reqwest::Client::builder().pool_max_idle_per_host(0).build().expect("client");

    // 100 concurrent scrapes of one probe: one run, one request to the website.
    let before = fakes.website.received_requests().await.unwrap_or_default().len();
    let storm: Vec<_> = (0..100)
        .map(|_| {
            let (client, addr) = (client.clone(), addr.clone());
            tokio::spawn(async move { fetch(&client, &addr, "/probe?only=pai-website-contact").await })
        })
        .collect();
    for scrape in storm {
        let (code, body) = scrape.await.expect("scrape task");
        assert_eq!(code, 200, "{body}");
        assert!(body.contains("golive_probe_success{") && body.contains("probe=\"pai-website-contact\""), "{body}");
    }
    let after = fakes.website.received_requests().await.unwrap_or_default().len();
    assert_eq!(after - before, 1, "100 concurrent scrapes sent one request to the merchant's website");
    let (_, own) = fetch(&client, &addr, "/metrics").await;
    assert!(own.contains("golive_exporter_runs_total 1\n"), "{own}");
    assert!(own.contains("golive_exporter_probe_runs_total{probe=\"pai-website-contact\"} 1\n"), "{own}");

    // Asking for a mutating probe by id is refused, and says why.
    let (code, body) = fetch(&client, &addr, "/probe?only=axys-staging-flow").await;
    assert_eq!(code, 400, "{body}");
    assert!(body.contains("never runs a mutating probe"), "{body}");
    let (code, body) = fetch(&client, &addr, "/probe?tag=mutating").await;
    assert_eq!(code, 400, "a tag that selects only mutating probes selects nothing: {body}");

    // Every read-only probe: the partners see reads only, the key exchange never.
    let axys = fakes.partner::<AxysRunning>().expect("the Axys fake");
    let pai = fakes.partner::<PaymentsAiRunning>().expect("the PaymentsAI fake");
    let (axys_before, pai_before) = (
        axys.api.received_requests().await.unwrap_or_default().len(),
        pai.api.received_requests().await.unwrap_or_default().len(),
    );
    for query in ["", "?tag=staging", "?tag=production", "?tag=launch-day"] {
        let (code, body) = fetch(&client, &addr, &format!("/probe{query}")).await;
        assert_eq!(code, 200, "{query}: {body}");
        assert!(!body.contains("axys-staging-flow") && !body.contains("pai-key-exchange"), "{query}: {body}");
    }
    let exchanges = pai.exchange.calls.load(std::sync::atomic::Ordering::SeqCst);
    let axys = methods(&axys.api, axys_before).await;
    let pai = methods(&pai.api, pai_before).await;
    assert!(!axys.is_empty() && !pai.is_empty(), "the read-only probes reached both partners");
    assert!(axys.iter().chain(&pai).all(|m| m == "GET"), "only reads reached the partners: {axys:?} {pai:?}");
    assert_eq!(exchanges, 0, "the one-time key exchange never ran");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_secret_reaches_a_probe_answer_or_an_error() {
    let _watchdog = Watchdog::new("exporter canary", Duration::from_secs(180));
    // Every scenario whose answers carry the most text back: healthy, a 403
    // body from the partner, a webhook endpoint that accepts anything.
    for scenario in
        [Scenario::Healthy, Scenario::from(AxysScenario::IpNotAllowlisted), Scenario::WebhookAcceptsAnything]
    {
        let fakes = Fakes::start(scenario).await.expect("fakes start");
        let secrets: Vec<String> = ["axys_api_key", "pai_api_key", "webhook_secret"]
            .iter()
            .map(|f| std::fs::read_to_string(fakes.dir().join(f)).expect("secret file").trim().to_string())
            .collect();
        let exporter =
            Arc::new(Exporter::new("demo", demo_targets(&fakes), ExporterOptions::default()).expect("exporter"));
        let (addr, _stop) = serve_in_process(Arc::clone(&exporter)).await;
        let client = reqwest::Client::new();
        let mut answers = String::new();
        for path in ["/probe", "/metrics", "/"] {
            answers.push_str(&fetch(&client, &addr, path).await.1);
        }
        // A query that names a secret is refused without echoing it.
        for secret in &secrets {
            let (code, body) = fetch(&client, &addr, &format!("/probe?only={secret}")).await;
            assert_eq!(code, 400);
            answers.push_str(&body);
        }
        assert!(answers.contains("golive_probe_success"), "{answers}");
        for (i, secret) in secrets.iter().enumerate() {
            assert!(secret.len() >= 12, "secret {i} is a real value");
            assert!(!answers.contains(secret.as_str()), "secret {i} leaked under {}:\n{answers}", scenario.name());
        }
    }
}

/// `golive alerts` for the demo, checked by promtool.
#[test]
fn promtool_accepts_the_generated_alert_rules() {
    let _watchdog = Watchdog::new("exporter alerts", Duration::from_secs(120));
    let out = crate::support::golive(&["alerts", "--env", "demo", "--for", "2m"]);
    assert_eq!(out.status.code(), Some(0), "{}", crate::support::stderr(&out));
    let rules = crate::support::stdout(&out);
    for needle in [
        "alert: GoliveProbeFailing",
        "alert: GoliveHttpSpike",
        "alert: GoliveCertExpiring",
        "alert: GoliveCertExpiryCritical",
        // The [[watch]] meaning is the annotation.
        "403 spikes indicate IP/cert issues",
        "5xx spikes are on PaymentsAI's side",
        "for: 2m",
        // Every rule links the partner's published runbook; a silent exporter alerts.
        "runbook_url: \"https://docs.api.axyscards.com/docs/runbooks/axys-program-launch.txt\"",
        "runbook_url: \"https://api-docs.payments.ai/docs/get-started/go-live/integration-checklist\"",
        "alert: GoliveExporterDown",
        "alert: GoliveSeriesAbsent",
    ] {
        assert!(rules.contains(needle), "`{needle}` in:\n{rules}");
    }
    assert!(!rules.contains("axys-staging-flow"), "no rule for a probe serve never runs");
    let alerts = rules.matches("- alert: ").count();
    assert_eq!(rules.matches("runbook_url: ").count(), alerts, "every rule carries runbook_url:\n{rules}");
    if !have("promtool") {
        return;
    }
    let dir = tempfile::tempdir().expect("dir");
    let file = dir.path().join("rules.yml");
    std::fs::write(&file, &rules).expect("rules written");
    let check = promtool_check_rules(&file);
    assert!(check.0, "promtool check rules:\n{}\n{rules}", check.1);
}

pub fn promtool_check_rules(file: &Path) -> (bool, String) {
    let out = Command::new("promtool").args(["check", "rules"]).arg(file).output().expect("promtool runs");
    (out.status.success(), format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr)))
}

#[test]
fn serve_stops_cleanly_on_sigterm_and_ctrl_c() {
    let _watchdog = Watchdog::new("exporter stop", Duration::from_secs(120));
    for signal in ["-TERM", "-INT"] {
        let (mut serve, addr) = start_serve(&["--env", "demo"]);
        let (code, body) = get(&addr, "/probe?only=axys-cert");
        assert_eq!(code, 200, "{body}");
        let killed = Command::new("kill").args([signal, &serve.0.id().to_string()]).status().expect("kill runs");
        assert!(killed.success());
        let status = serve.0.wait().expect("golive serve ends");
        assert_eq!(status.code(), Some(0), "{signal} stops the exporter and the demo's fakes cleanly");
    }
}
