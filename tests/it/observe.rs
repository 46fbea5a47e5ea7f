//! `golive observe`: the merchant's own client, run as a real process
//! (`fixtures/observe/client.py`, `retry_after.sh`), behind the real TLS front,
//! which forwards with mTLS to the demo's fake Axys. Each rule is shown to
//! fail on a client that misbehaves and to pass on one that does right; the
//! alerts rule asks a real Prometheus; no secret reaches the recording, the
//! report or the evidence; a full observed run ticks the checklist's items.
//!
//! The Retry-After client waits the real two seconds: the verdict depends on
//! what the client did, and nothing here asserts a duration.

use std::path::{Path, PathBuf};
use std::process::Output;
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::exporter::{have, start_prometheus};
use crate::support::StopOnDrop;
use crate::support::{Watchdog, golive, golive_in, stderr, stdout};

fn fixture(name: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/observe").join(name).display().to_string()
}

/// `golive observe ARGS --format json -- COMMAND...` against the demo; the report and the run.
fn observe(args: &[&str], command: &[&str]) -> (Value, Output) {
    let mut all: Vec<&str> = vec!["observe", "--env", "demo", "--format", "json"];
    all.extend_from_slice(args);
    all.push("--");
    all.extend_from_slice(command);
    let out = golive(&all);
    let report = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("observe prints a JSON report ({e}):\n{}\n{}", stdout(&out), stderr(&out)));
    (report, out)
}

fn client(mode: &str) -> Vec<String> {
    vec!["python3".into(), fixture("client.py"), mode.into()]
}

fn probe<'a>(report: &'a Value, id: &str) -> &'a Value {
    report["probes"]
        .as_array()
        .and_then(|ps| ps.iter().find(|p| p["id"] == id))
        .unwrap_or_else(|| panic!("no {id} in the report: {report:#}"))
}

fn messages(p: &Value) -> String {
    p["checks"].as_array().into_iter().flatten().filter_map(|c| c["message"].as_str()).collect::<Vec<_>>().join("\n")
}

fn run_client(args: &[&str], mode: &str) -> (Value, Output) {
    let command = client(mode);
    let command: Vec<&str> = command.iter().map(String::as_str).collect();
    observe(args, &command)
}

#[test]
fn a_blind_resend_of_a_transfer_after_an_injected_502_fails_naming_the_rule_the_route_and_both_requests() {
    let _watchdog = Watchdog::new("observe blind retry", Duration::from_secs(200));
    let (report, out) = run_client(&["--faults", "transfers"], "blind-retry");
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let rule = probe(&report, "axys-transfer-no-blind-retry");
    assert_eq!(rule["status"], "fail", "{rule:#}");
    let said = messages(rule);
    assert!(said.contains("POST /wallets/transfer was sent again as request #"), "{said}");
    assert!(said.contains("got 502, injected by axys-transfer-502"), "{said}");
    let requests = said.matches("request #").count();
    assert!(requests >= 2, "both requests are named: {said}");
    assert_eq!(rule["kind"], "no-blind-retry");
    assert_eq!(
        rule["runbook"][0]["item"],
        "Transfer idempotency guard implemented — no blind retries on POST /wallets/transfer"
    );
    // The human report names the rule too.
    let human = golive(&[
        "observe",
        "--env",
        "demo",
        "--faults",
        "transfers",
        "--",
        "python3",
        &fixture("client.py"),
        "blind-retry",
    ]);
    let text = stdout(&human);
    assert!(text.contains("FAIL  axys-transfer-no-blind-retry"), "{text}");
}

#[test]
fn a_client_that_reads_the_transfer_back_before_resending_passes() {
    let _watchdog = Watchdog::new("observe read back", Duration::from_secs(200));
    let (report, out) = run_client(&["--faults", "transfers"], "read-back");
    let rule = probe(&report, "axys-transfer-no-blind-retry");
    assert_eq!(rule["status"], "pass", "{rule:#}\n{}", stderr(&out));
    assert!(messages(rule).contains("after each of the 2 failed POST /wallets/transfer"), "{rule:#}");
    assert_eq!(probe(&report, "observe-command")["facts"]["faults_fired"]["axys-transfer-dropped"], 1);
    assert_eq!(out.status.code(), Some(0), "{report:#}");
}

#[test]
fn a_client_ignoring_retry_after_fails_and_one_that_waits_passes() {
    let _watchdog = Watchdog::new("observe retry-after", Duration::from_secs(200));
    let script = fixture("retry_after.sh");
    let (ignoring, out) = observe(&["--faults", "axys-cardholders-429"], &["sh", &script, "ignore"]);
    let rule = probe(&ignoring, "axys-retry-after");
    assert_eq!(rule["status"], "fail", "{rule:#}\n{}", stderr(&out));
    assert!(messages(rule).contains("said Retry-After: 2"), "{rule:#}");
    assert_eq!(out.status.code(), Some(1));
    let (waiting, out) = observe(&["--faults", "axys-cardholders-429"], &["sh", &script, "wait"]);
    assert_eq!(probe(&waiting, "axys-retry-after")["status"], "pass", "{waiting:#}\n{}", stderr(&out));
    assert_eq!(out.status.code(), Some(0));
}

#[test]
fn a_client_logging_every_error_alike_fails_the_two_cause_403_rule() {
    let _watchdog = Watchdog::new("observe same logs", Duration::from_secs(200));
    let (report, _) = run_client(&["--faults", "auth"], "same-logs");
    let rule = probe(&report, "axys-403-distinct-in-logs");
    assert_eq!(rule["status"], "fail", "{rule:#}");
    let said = messages(rule);
    assert!(said.contains("led to the same lines in the command's output: `API error`"), "{said}");
    assert!(said.contains("name none of: No Authorised IPs configured"), "{said}");
}

#[test]
fn a_client_asking_again_and_again_after_a_403_fails_the_bounded_retries_rule() {
    let _watchdog = Watchdog::new("observe auth storm", Duration::from_secs(200));
    let (report, _) = run_client(&["--faults", "auth"], "auth-storm");
    let rule = probe(&report, "axys-auth-retries");
    assert_eq!(rule["status"], "fail", "{rule:#}");
    assert!(messages(rule).contains("GET /cardholders got 4 answers of 401/403 in a row, more than 3"), "{rule:#}");
}

#[test]
fn a_transaction_resent_with_a_new_idempotency_key_fails() {
    let _watchdog = Watchdog::new("observe new key", Duration::from_secs(200));
    let (report, _) = run_client(&["--faults", "transactions"], "new-key");
    let rule = probe(&report, "pai-transaction-idempotency-key");
    assert_eq!(rule["status"], "fail", "{rule:#}");
    let said = messages(rule);
    assert!(said.contains("with idempotencyKey `observe-1` after request #"), "{said}");
    assert!(said.contains("with `observe-0`"), "{said}");
}

#[test]
fn observe_runs_against_the_demo_with_no_setup() {
    let _watchdog = Watchdog::new("observe demo", Duration::from_secs(200));
    let dir = tempfile::tempdir().expect("dir");
    let script = "curl -sS --fail-with-body --cacert \"$GOLIVE_PROXY_CA\" \"$AXYS_BASE_URL/cards/transactions\" && \
        curl -sS --fail-with-body --cacert \"$GOLIVE_PROXY_CA\" \"$API_URL/v1/public-api/organizations/$ORGANIZATION_ID/subscriptions?x=1\" >/dev/null; \
        test -n \"$GOLIVE_PROXY_URL\"";
    let out = golive_in(dir.path(), &["observe", "--env", "demo", "--faults", "none", "--", "sh", "-c", script], &[]);
    assert_eq!(out.status.code(), Some(0), "{}\n{}", stdout(&out), stderr(&out));
    let text = stdout(&out);
    assert!(text.contains("PASS  observe-command"), "{text}");
    assert!(stderr(&out).contains("golive observe: axys through https://127.0.0.1:"), "{}", stderr(&out));
    assert!(std::fs::read_dir(dir.path()).expect("dir").next().is_none(), "observe leaves nothing behind unasked");
}

/// Starts Prometheus with these rule files (name and YAML) and waits until it lists them.
fn prometheus(rules: &[(&str, String)]) -> (StopOnDrop, String, tempfile::TempDir) {
    let dir = tempfile::tempdir().expect("dir");
    let mut config = String::from("global:\n  evaluation_interval: 1s\n");
    if !rules.is_empty() {
        config.push_str("rule_files:\n");
    }
    for (name, yaml) in rules {
        std::fs::write(dir.path().join(name), yaml).expect("rules");
        config.push_str(&format!("  - {name}\n"));
    }
    let (child, port) = start_prometheus(dir.path(), &config);
    let url = format!("http://127.0.0.1:{port}");
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
    // Bounded: Prometheus loads its rules within seconds.
    let give_up = Instant::now() + Duration::from_secs(120);
    loop {
        let groups = runtime.block_on(async {
            let r = reqwest::get(format!("{url}/api/v1/rules")).await.ok()?;
            let v: Value = r.json().await.ok()?;
            v["data"]["groups"].as_array().map(Vec::len)
        });
        if groups == Some(rules.len()) || Instant::now() > give_up {
            break;
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    (child, url, dir)
}

/// A merchant's own alert on its PaymentsAI transaction failures.
const MERCHANT_RULES: &str = "groups:\n  - name: merchant-paymentsai\n    rules:\n      - alert: PaymentsAITransactionFailures\n        \
expr: sum(rate(merchant_paymentsai_transactions_total{result!=\"approved\"}[5m])) > 0.1\n        for: 10m\n        \
labels:\n          severity: critical\n        annotations:\n          summary: PaymentsAI transactions failing\n";

#[test]
fn the_alerts_rule_passes_against_a_prometheus_loaded_with_golive_alerts_and_fails_without_and_a_full_run_ticks_57_items()
 {
    let _watchdog = Watchdog::new("observe alerts and checklist", Duration::from_secs(300));
    if !have("prometheus") {
        return;
    }
    let alerts = golive(&["alerts", "--env", "demo"]);
    assert_eq!(alerts.status.code(), Some(0), "{}", stderr(&alerts));
    let (_loaded, loaded_url, _d1) =
        prometheus(&[("golive-alerts.yml", stdout(&alerts)), ("merchant.yml", MERCHANT_RULES.to_string())]);
    let (_empty, empty_url, _d2) = prometheus(&[]);

    let (without, _) = observe(&["--faults", "none", "--prometheus", &empty_url], &["true"]);
    let rule = probe(&without, "axys-alerting");
    assert_eq!(rule["status"], "fail", "{rule:#}");
    assert!(messages(rule).contains("none of the 0 alerting rules loaded in"), "{rule:#}");

    let dir = tempfile::tempdir().expect("dir");
    let observed = dir.path().join("observed.json");
    let report_arg = format!("json={}", observed.display());
    let command = client("full");
    let mut args: Vec<&str> =
        vec!["observe", "--env", "demo", "--prometheus", &loaded_url, "--report", &report_arg, "--"];
    args.extend(command.iter().map(String::as_str));
    let out = golive(&args);
    let report: Value = serde_json::from_slice(&std::fs::read(&observed).expect("report written")).expect("json");
    for p in report["probes"].as_array().expect("probes") {
        assert_eq!(p["status"], "pass", "every rule passes on the good client: {p:#}\n{}", stderr(&out));
    }
    assert!(messages(probe(&report, "axys-alerting")).contains("GoliveHttpSpike"), "{report:#}");
    assert_eq!(out.status.code(), Some(0));

    let plain = golive(&["checklist", "--env", "demo"]);
    let with = golive(&["checklist", "--env", "demo", "--observed", observed.to_str().expect("utf-8")]);
    let ticked = |o: &Output| stdout(o).lines().filter(|l| l.starts_with("- [x]")).count();
    assert!(ticked(&with) >= 57, "{} items ticked:\n{}", ticked(&with), stdout(&with));
    assert!(ticked(&with) > ticked(&plain), "the observed run adds items");
    let text = stdout(&with);
    assert!(text.contains("- [x] Transfer idempotency guard implemented — no blind retries on POST /wallets/transfer — `axys-transfer-no-blind-retry` (pass)"), "{text}");
    assert!(
        text.contains("- [x] Monitoring / alerting active for 403 and 5xx rates — `axys-alerting` (pass)"),
        "{text}"
    );
}

fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).expect("dir").flatten() {
        let path = entry.path();
        if path.is_dir() { out.extend(files_under(&path)) } else { out.push(path) }
    }
    out
}

#[test]
fn no_secret_or_card_number_reaches_the_recording_the_report_or_the_evidence() {
    let _watchdog = Watchdog::new("observe canary", Duration::from_secs(200));
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("runtime");
    let fakes = runtime.block_on(golive_fakes::Fakes::start(golive_fakes::Scenario::Healthy)).expect("fakes");
    let dir = tempfile::tempdir().expect("dir");
    std::fs::write(dir.path().join("golive.toml"), fakes.config_toml()).expect("config");
    let key = std::fs::read_to_string(fakes.dir().join("axys_api_key")).expect("the fake's key");
    let pan = "4111111111111111";
    let recording = dir.path().join("recording.jsonl");
    let report = dir.path().join("report.json");
    let evidence = dir.path().join("evidence");
    let (rec, rep, ev) =
        (recording.display().to_string(), format!("json={}", report.display()), evidence.display().to_string());
    let script = fixture("client.py");
    let out = golive_in(
        dir.path(),
        &[
            "observe",
            "--env",
            "fake-axys",
            "--faults",
            "auth",
            "--record",
            &rec,
            "--report",
            &rep,
            "--evidence",
            &ev,
            "--",
            "python3",
            &script,
            "canary",
        ],
        &[("CANARY_KEY", key.trim()), ("CANARY_PAN", pan)],
    );
    drop(fakes);
    let json: Value = serde_json::from_slice(&std::fs::read(&report).expect("report")).expect("json");
    let quoted = messages(probe(&json, "axys-403-distinct-in-logs"));
    assert!(quoted.contains("***"), "the rule quotes the log line, masked: {quoted}\n{}", stderr(&out));
    let recorded = std::fs::read_to_string(&recording).expect("recording kept");
    assert!(recorded.contains("\"path\":\"/v2/cardholders?token=***\""), "{recorded}");
    let verify = golive(&["evidence", "verify", &ev]);
    assert_eq!(verify.status.code(), Some(0), "{}", stdout(&verify));
    let mut searched = vec![("stdout".to_string(), out.stdout.clone())];
    for file in [recording, report].into_iter().chain(files_under(&evidence)) {
        searched.push((file.display().to_string(), std::fs::read(&file).expect("file")));
    }
    for (name, bytes) in &searched {
        let text = String::from_utf8_lossy(bytes);
        assert!(!text.contains(key.trim()), "the API key is in {name}");
        assert!(!text.contains(pan), "the card number is in {name}");
    }
    // golive's own lines on stderr (the command's output passes through there too, as it wrote it).
    for line in stderr(&out).lines().filter(|l| l.starts_with("golive")) {
        assert!(!line.contains(key.trim()), "the API key is in golive's stderr: {line}");
    }
}

#[test]
fn a_bad_fault_plan_a_missing_command_or_a_public_listen_address_is_a_usage_error() {
    let _watchdog = Watchdog::new("observe usage", Duration::from_secs(200));
    let out = golive(&["observe", "--env", "demo", "--faults", "transfer", "--", "true"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("--faults: no fault or set `transfer`")
            && stderr(&out).contains("did you mean `transfers`?"),
        "{}",
        stderr(&out)
    );
    let out = golive(&["observe", "--env", "demo"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("needs a command after `--`, or --listen ADDR"), "{}", stderr(&out));
    let out = golive(&["observe", "--env", "demo", "--listen", "0.0.0.0:8443"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("--listen 0.0.0.0:8443: the front serves this machine only"), "{}", stderr(&out));
    let out = golive(&["observe", "--env", "demo", "--faults", "none", "--", "/nonexistent/golive-observe-client"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("cannot run `/nonexistent/golive-observe-client`"), "{}", stderr(&out));
}

#[test]
fn listening_without_a_command_serves_until_sigterm_then_judges_what_came_through() {
    use std::io::{BufRead, BufReader};
    let _watchdog = Watchdog::new("observe listen", Duration::from_secs(200));
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_golive"))
        .args(["observe", "--env", "demo", "--faults", "transfers", "--listen", "127.0.0.1:0", "--format", "json"])
        .env("NO_COLOR", "1")
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("golive observe starts");
    let mut lines = BufReader::new(child.stderr.take().expect("stderr")).lines();
    let (mut url, mut ca) = (String::new(), String::new());
    for line in lines.by_ref() {
        let line = line.expect("a line");
        if let Some(rest) = line.strip_prefix("golive observe: axys through ") {
            url = rest.to_string();
        }
        if let Some(rest) = line.strip_prefix("golive observe: the front's CA certificate is ") {
            ca = rest.split(' ').next().unwrap_or_default().to_string();
        }
        if line.contains("serving until Ctrl-C") {
            break;
        }
    }
    std::thread::spawn(move || lines.for_each(drop));
    for _ in 0..2 {
        let out = std::process::Command::new("curl")
            .args(["-sS", "-o", "/dev/null", "-w", "%{http_code}", "--cacert", &ca, "-X", "POST"])
            .args([
                "-H",
                "Content-Type: application/json",
                "-d",
                "{\"sourceWalletId\":1,\"destinationType\":0,\"destinationId\":2,\"amount\":1}",
            ])
            .arg(format!("{url}/wallets/transfer"))
            .output()
            .expect("curl runs");
        assert!(!out.stdout.is_empty(), "curl reached the front: {}", String::from_utf8_lossy(&out.stderr));
    }
    let killed = std::process::Command::new("kill").args(["-TERM", &child.id().to_string()]).status().expect("kill");
    assert!(killed.success());
    let out = child.wait_with_output().expect("golive observe ends");
    let report: Value = serde_json::from_slice(&out.stdout).expect("a JSON report after SIGTERM");
    assert!(
        messages(probe(&report, "observe-command")).contains("served without a command until SIGTERM"),
        "{report:#}"
    );
    assert_eq!(probe(&report, "axys-transfer-no-blind-retry")["status"], "fail", "{report:#}");
    assert_eq!(out.status.code(), Some(1));
}
