//! Canary secrets across everything: every probe kind, every scenario of the
//! fakes (the fault catalogue included), every renderer on stdout and as a
//! `--report` file, and logs at the most verbose level (`-vv`). Every secret
//! the configuration allows holds a known value; none may appear anywhere.
//!
//! Every run also writes an evidence folder (`--evidence`), whose files are
//! searched like the reports. A short `--watch` of two scenarios adds the
//! per-round lines and the watch summary in every format.

use std::path::Path;
use std::process::Output;

use golive_fakes::axys::partner::AxysScenario;
use golive_fakes::{Fakes, Scenario};

use crate::support::golive_in;

/// The formats of stdout and of `--report`.
const FORMATS: &[&str] = &["human", "json", "junit", "markdown", "html"];

/// The value of every secret in one scenario's run, and where they came from.
pub struct Canaries {
    /// (what, value) for every secret.
    pub values: Vec<(&'static str, String)>,
}

impl Canaries {
    /// How many times any secret occurs in `text`, and which.
    pub fn leaks(&self, text: &str) -> Vec<(&'static str, usize)> {
        self.values.iter().map(|(what, v)| (*what, text.matches(v.as_str()).count())).filter(|(_, n)| *n > 0).collect()
    }
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_default().trim().to_string()
}

/// Writes a golive.toml for the running fakes with canaries for the secrets
/// the fakes do not hold (temporal key, account secret), and collects them all.
pub fn configure(fakes: &Fakes, dir: &Path) -> Canaries {
    let mut suffix = [0u8; 6];
    getrandom::fill(&mut suffix).expect("random");
    let tag = hex::encode(suffix);
    let temporal = format!("tmp_CANARY_temporal_{tag}");
    let account = format!("Canary-Secret-{tag}");
    let mut text = fakes.config_toml();
    // The PaymentsAI environment also gets the exchange's secrets and files.
    let extra = format!(
        "temporal_api_key = {{ env = \"CANARY_TEMPORAL\" }}\naccount_secret = {{ env = \"CANARY_ACCOUNT\" }}\n\
         permanent_key_file = \"{0}/permanent.key\"\nstate_file = \"{0}/state.json\"\n",
        dir.display()
    );
    text = crate::support::replace_paymentsai_keys(&text, &extra);
    std::fs::write(dir.join("golive.toml"), text).expect("config");
    std::fs::write(dir.join("env"), format!("{temporal}\n{account}\n")).expect("canaries");
    let key_pem = read(&fakes.dir().join("axys-program.key"));
    // Every full base64 line of the private key: a line is enough to leak it.
    let key_line = key_pem.lines().find(|l| l.len() >= 64).unwrap_or_default().to_string();
    let mut values = vec![
        ("axys api_key", read(&fakes.dir().join("axys_api_key"))),
        ("paymentsai api_key", read(&fakes.dir().join("pai_api_key"))),
        ("webhook.secret", read(&fakes.dir().join("webhook_secret"))),
        ("temporal_api_key", temporal),
        ("account_secret", account),
        ("client_key contents", key_line),
    ];
    values.retain(|(_, v)| v.len() >= 12);
    Canaries { values }
}

/// The arguments of one verify run: stdout in `format`, every other format as a file.
pub fn golive_args(env: &str, format: &'static str) -> Vec<String> {
    let mut args: Vec<String> =
        ["-vv", "verify", "--env", env, "--allow-mutations", "--timeout", "2s", "--no-progress", "--format", format]
            .iter()
            .map(|s| s.to_string())
            .collect();
    for f in FORMATS {
        args.extend(["--report".to_string(), format!("{f}=report-{env}.{f}")]);
    }
    args.extend(["--evidence".to_string(), format!("evidence-{env}")]);
    args
}

/// Runs golive in `dir` off the runtime, with the canary secrets the
/// configuration reads from `CANARY_TEMPORAL` and `CANARY_ACCOUNT`.
async fn run(dir: &Path, args: Vec<String>, secrets: &[String]) -> Output {
    let path = dir.to_path_buf();
    let envs = [("CANARY_TEMPORAL", secrets[0].clone()), ("CANARY_ACCOUNT", secrets[1].clone())];
    tokio::task::spawn_blocking(move || {
        let envs: Vec<(&str, &str)> = envs.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        golive_in(&path, &args, &envs)
    })
    .await
    .expect("golive ran")
}

/// Everything one run showed: stdout, stderr (logs included) and its report files.
pub fn outputs(out: &Output, dir: &Path, env: &str) -> String {
    let mut all = String::from_utf8_lossy(&out.stdout).into_owned();
    all.push_str(&String::from_utf8_lossy(&out.stderr));
    for f in FORMATS {
        all.push_str(&std::fs::read_to_string(dir.join(format!("report-{env}.{f}"))).unwrap_or_default());
    }
    let evidence = dir.join(format!("evidence-{env}"));
    assert!(evidence.join("MANIFEST.sha256").is_file(), "the evidence folder was written: {}", evidence.display());
    for entry in std::fs::read_dir(&evidence).into_iter().flatten().flatten() {
        all.push_str(&std::fs::read_to_string(entry.path()).unwrap_or_default());
    }
    all
}

/// Runs both environments of `scenario` with stdout in `format`; returns the
/// leaks found (what, count, where) and the bytes searched.
pub async fn scenario_leaks(scenario: Scenario, format: &'static str) -> (Vec<String>, usize) {
    let fakes = Fakes::start(scenario).await.expect("fakes start");
    let dir = tempfile::tempdir().expect("dir");
    let canaries = configure(&fakes, dir.path());
    let secrets: Vec<String> = read(&dir.path().join("env")).lines().map(str::to_string).collect();
    let mut leaks = Vec::new();
    let mut searched = 0;
    for env in ["fake-axys", "fake-paymentsai"] {
        let args = golive_args(env, format);
        let out = run(dir.path(), args, &secrets).await;
        if scenario == Scenario::NoClientCert && env == "fake-axys" {
            // A configuration error found before anything runs (issue 15): its
            // message is searched, there is no report or evidence.
            let all = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
            assert_eq!(out.status.code(), Some(2), "{env} under {}: {all}", scenario.name());
            searched += all.len();
            for (what, n) in canaries.leaks(&all) {
                leaks.push(format!("{what} ×{n} in {env} under {} ({format})", scenario.name()));
            }
            continue;
        }
        let all = outputs(&out, dir.path(), env);
        // A configuration error would make the search trivially empty.
        assert_ne!(out.status.code(), Some(2), "{env} under {}: {all}", scenario.name());
        if scenario == Scenario::Healthy {
            // Everything runs through (passes, or warns where the fake answers
            // otherwise than a pack inferred) but the exchange, whose temporal
            // key is a canary the fake refuses: the search covers every step.
            let json = std::fs::read_to_string(dir.path().join(format!("report-{env}.json"))).expect("json report");
            let doc: serde_json::Value = serde_json::from_str(&json).expect("json");
            for p in doc["probes"].as_array().expect("probes") {
                let expected: &[&str] = if p["kind"] == "apikey-exchange" { &["fail"] } else { &["pass", "warn"] };
                assert!(expected.iter().any(|e| p["status"] == *e), "{env} healthy: {p:#}");
            }
        }
        assert!(all.contains("DEBUG") || all.contains("TRACE"), "logs at -vv are on:\n{all}");
        searched += all.len();
        for (what, n) in canaries.leaks(&all) {
            leaks.push(format!("{what} ×{n} in {env} under {} ({format})", scenario.name()));
        }
    }
    (leaks, searched)
}

/// A short `--watch` of both environments of `scenario` with stdout in
/// `format` (every format also as a file): its per-round lines and the watch
/// summary must hold no secret either.
pub async fn watch_leaks(scenario: Scenario, format: &'static str) -> (Vec<String>, usize) {
    let fakes = Fakes::start(scenario).await.expect("fakes start");
    let dir = tempfile::tempdir().expect("dir");
    let canaries = configure(&fakes, dir.path());
    let secrets: Vec<String> = read(&dir.path().join("env")).lines().map(str::to_string).collect();
    let (mut leaks, mut searched) = (Vec::new(), 0);
    for env in ["fake-axys", "fake-paymentsai"] {
        let mut args: Vec<String> = ["-vv", "verify", "--env", env, "--watch", "100ms", "--for", "600ms"]
            .iter()
            .chain(&["--timeout", "2s", "--no-progress", "--format", format])
            .map(|s| s.to_string())
            .collect();
        for f in FORMATS {
            args.extend(["--report".to_string(), format!("{f}=watch-{env}.{f}")]);
        }
        let out = run(dir.path(), args, &secrets).await;
        let mut all = String::from_utf8_lossy(&out.stdout).into_owned();
        all.push_str(&String::from_utf8_lossy(&out.stderr));
        assert_ne!(out.status.code(), Some(2), "{env} watch under {}: {all}", scenario.name());
        assert!(all.contains("DEBUG") || all.contains("TRACE"), "logs at -vv are on:\n{all}");
        for f in FORMATS {
            let report = std::fs::read_to_string(dir.path().join(format!("watch-{env}.{f}")));
            all.push_str(&report.unwrap_or_else(|e| panic!("{env} watch wrote its {f} report: {e}")));
        }
        searched += all.len();
        for (what, n) in canaries.leaks(&all) {
            leaks.push(format!("{what} ×{n} in the {env} watch under {} ({format})", scenario.name()));
        }
    }
    (leaks, searched)
}

/// Every scenario, each with one of the formats on stdout (all five as files).
pub async fn all_leaks() -> (Vec<String>, usize, usize) {
    use futures::StreamExt;
    let scenarios = <Scenario as clap::ValueEnum>::value_variants();
    let runs = futures::stream::iter(
        scenarios.iter().enumerate().map(|(i, &s)| scenario_leaks(s, FORMATS[i % FORMATS.len()])),
    );
    let done: Vec<(Vec<String>, usize)> = runs.buffer_unordered(4).collect().await;
    let bytes = done.iter().map(|(_, b)| b).sum();
    (done.into_iter().flat_map(|(l, _)| l).collect(), scenarios.len() * 2, bytes)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn canary_secrets_appear_nowhere_in_any_scenario_format_report_or_log() {
    let _watchdog = crate::support::Watchdog::new("canary", std::time::Duration::from_secs(600));
    let (mut leaks, runs, bytes) = all_leaks().await;
    assert!(runs >= 60, "every scenario ran: {runs}");
    assert!(bytes > 0);
    for (scenario, format) in [(Scenario::Healthy, "human"), (Scenario::from(AxysScenario::Starts403Halfway), "json")] {
        let (watch, searched) = watch_leaks(scenario, format).await;
        assert!(searched > 0);
        leaks.extend(watch);
    }
    assert!(leaks.is_empty(), "{leaks:#?}");
}

/// `-v` shows each request golive makes (method, URL, status, time), and never
/// a secret: the API key header, the temporal key and the account secret are
/// canaries here, searched for in stderr.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dash_v_shows_every_request_and_no_secret() {
    let fakes = Fakes::start(Scenario::Healthy).await.expect("fakes start");
    let dir = tempfile::tempdir().expect("dir");
    let canaries = configure(&fakes, dir.path());
    let secrets: Vec<String> = read(&dir.path().join("env")).lines().map(str::to_string).collect();
    for env in ["fake-axys", "fake-paymentsai"] {
        let args: Vec<String> =
            ["-v", "verify", "--env", env, "--allow-mutations", "--no-progress", "--format", "json"]
                .iter()
                .map(|s| s.to_string())
                .collect();
        let out = run(dir.path(), args, &secrets).await;
        let log = String::from_utf8_lossy(&out.stderr).into_owned();
        let doc: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json report");
        // One log line per request each probe reports, with its status and time.
        let requests: Vec<&str> =
            doc["probes"].as_array().expect("probes").iter().filter_map(|p| p["facts"]["request"].as_str()).collect();
        assert!(!requests.is_empty(), "{env}: some probe makes a request: {doc:#}");
        let lines: Vec<&str> = log.lines().filter(|l| l.contains("golive::request")).collect();
        for request in requests {
            let (method, url) = request.split_once(' ').expect("METHOD URL");
            let path = url.split('?').next().unwrap_or(url);
            assert!(
                lines.iter().any(|l| l.contains(&format!("{method} {path} → ")) && l.contains(" ms")),
                "{env}: `{method} {path} → STATUS in N ms` in the -v log:\n{log}"
            );
        }
        let leaks = canaries.leaks(&log);
        assert!(leaks.is_empty(), "{env}: secrets in the -v log: {leaks:?}\n{log}");
    }
}

/// Writes sources that leak every canary (a git repository whose history
/// holds them raw and base64, the client key committed, a bundle, a log with a
/// card number) and points each environment's `exposure` at them.
fn leaky_sources(fakes: &Fakes, dir: &Path, canaries: &Canaries) -> String {
    use base64::Engine;
    let src = dir.join("leaky");
    let mut text = String::from("// settings\n");
    for (what, value) in &canaries.values {
        let b64 = base64::engine::general_purpose::STANDARD.encode(format!("user:{value}"));
        text.push_str(&format!("// {what}\nconst a = \"{value}\";\nconst b = \"{b64}\";\n"));
    }
    let key_pem = std::fs::read_to_string(fakes.dir().join("axys-program.key")).expect("key");
    for sub in ["repo", "dist", "logs"] {
        std::fs::create_dir_all(src.join(sub)).expect("mkdir");
    }
    std::fs::write(src.join("dist/app.js"), &text).expect("bundle");
    std::fs::write(src.join("logs/app.log"), format!("{text}card {{\"pan\":\"4111111111111111\",\"cvv\":\"737\"}}\n"))
        .expect("log");
    let repo = src.join("repo");
    let git = |args: &[&str]| {
        let ok = std::process::Command::new("git")
            .args(["-c", "user.name=t", "-c", "user.email=t@t.test", "-c", "commit.gpgsign=false"])
            .args(args)
            .current_dir(&repo)
            .output()
            .is_ok_and(|o| o.status.success());
        assert!(ok, "git {args:?}");
    };
    git(&["init", "-q"]);
    std::fs::write(repo.join("config.js"), &text).expect("file");
    std::fs::write(repo.join("program.key"), &key_pem).expect("key");
    git(&["add", "-A"]);
    git(&["commit", "-q", "-m", "leak"]);
    git(&["rm", "-q", "config.js"]);
    git(&["commit", "-q", "-m", "remove"]);
    format!(
        "exposure = {{ repo = \"{}\", bundles = [\"{}\"], logs = [\"{}\"] }}\n",
        repo.display(),
        src.join("dist").display(),
        src.join("logs/*.log").display()
    )
}

/// The exposure probe finds every canary (raw, base64, the committed client
/// key, a card number in a log) and shows none of them in any format, report,
/// evidence file or `-vv` log.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_exposure_scan_finds_every_canary_and_shows_none() {
    let _watchdog = crate::support::Watchdog::new("canary exposure", std::time::Duration::from_secs(300));
    let fakes = Fakes::start(Scenario::Healthy).await.expect("fakes start");
    let dir = tempfile::tempdir().expect("dir");
    let mut canaries = configure(&fakes, dir.path());
    let secrets: Vec<String> = read(&dir.path().join("env")).lines().map(str::to_string).collect();
    let leaky = leaky_sources(&fakes, dir.path(), &canaries);
    // Every exposure line of the configuration now points at the leaks.
    let config = std::fs::read_to_string(dir.path().join("golive.toml")).expect("config");
    let config: String =
        config.lines().map(|l| if l.starts_with("exposure = ") { leaky.clone() } else { format!("{l}\n") }).collect();
    std::fs::write(dir.path().join("golive.toml"), config).expect("config");
    canaries.values.push(("card number", "4111111111111111".to_string()));
    let mut leaks = Vec::new();
    for (env, id) in [("fake-axys", "axys-exposure"), ("fake-paymentsai", "pai-exposure")] {
        for format in FORMATS {
            let mut args: Vec<String> =
                ["-vv", "verify", "--env", env, "--only", id, "--no-progress", "--format", format]
                    .iter()
                    .map(|s| s.to_string())
                    .collect();
            for f in FORMATS {
                args.extend(["--report".to_string(), format!("{f}=report-{env}.{f}")]);
            }
            args.extend(["--evidence".to_string(), format!("evidence-{env}")]);
            let _ = std::fs::remove_dir_all(dir.path().join(format!("evidence-{env}")));
            let out = run(dir.path(), args, &secrets).await;
            let all = outputs(&out, dir.path(), env);
            assert_eq!(out.status.code(), Some(1), "{env} ({format}) fails on the leaks:\n{all}");
            for needle in ["no longer in HEAD", "a PEM private key block", "***1111", "(base64)"] {
                assert!(all.contains(needle), "{env} ({format}) shows `{needle}`:\n{all}");
            }
            // Only the Axys environment has a client key to recognise.
            let mine = all.contains("the configured client_key");
            assert_eq!(mine, env == "fake-axys", "{env} ({format}):\n{all}");
            for (what, n) in canaries.leaks(&all) {
                leaks.push(format!("{what} ×{n} in {env} exposure ({format})"));
            }
        }
    }
    assert!(leaks.is_empty(), "{leaks:#?}");
}

/// The canaries of the echo test: the PaymentsAI credential (its apiKey part
/// holds `"`, `\`, `+` and `%`), the webhook's Basic password and its signing
/// secret. Each holds an alphanumeric fragment that survives every escaping
/// (JSON, XML, HTML, Markdown, URL): searching for it finds any leak but base64.
const ECHO_ACCOUNT: &str = "acc_echo_1";
const ECHO_API_KEY_PART: &str = "k\"e\\y+%CANARYpart42x";
const ECHO_PASSWORD: &str = "Pw\"\\+%CANARYpass77";
const ECHO_WEBHOOK_SECRET: &str = "whsec_CANARYhook55aa";
const ECHO_USER: &str = "hooks";

fn echo_api_key() -> String {
    format!("{ECHO_ACCOUNT}_{ECHO_API_KEY_PART}_kid_77")
}

/// A partner API and a merchant webhook endpoint that echo what they were
/// sent in their 401 page, as framework debug pages do: the Authorization
/// header verbatim (`Basic <base64 of user:password>`, `ApiKey <credential>`),
/// the credential JSON-escaped and URL-encoded, and its apiKey part alone.
struct Echo;

impl wiremock::Respond for Echo {
    fn respond(&self, request: &wiremock::Request) -> wiremock::ResponseTemplate {
        let auth = request.headers.get("authorization").and_then(|v| v.to_str().ok()).unwrap_or("none");
        let key = echo_api_key();
        let json = serde_json::to_string(&key).expect("json");
        let url: String = key
            .bytes()
            .map(|b| {
                if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                    (b as char).to_string()
                } else {
                    format!("%{b:02X}")
                }
            })
            .collect();
        let body = format!(
            "ECHO-MARKER Authorization: {auth}\nrequest {{\"apiKey\": {json}}}\nGET /debug?key={url}\nkey {ECHO_API_KEY_PART} is unknown\n"
        );
        wiremock::ResponseTemplate::new(401).set_body_raw(body, "text/plain")
    }
}

/// Every form in which the echo test's canaries must appear nowhere.
fn echo_canaries() -> Vec<(String, String)> {
    use base64::Engine;
    let b64 = base64::engine::general_purpose::STANDARD;
    let mut out = vec![
        ("apiKey part".to_string(), "CANARYpart42".to_string()),
        ("Basic password".to_string(), "CANARYpass77".to_string()),
        ("webhook secret".to_string(), "CANARYhook55".to_string()),
        ("Basic value".to_string(), b64.encode(format!("{ECHO_USER}:{ECHO_PASSWORD}"))),
    ];
    for (what, value) in [("password", ECHO_PASSWORD), ("apiKey part", ECHO_API_KEY_PART)] {
        for stretch in golive::redact::forms::forms(value.as_bytes()).into_iter().filter(|(f, _)| *f == "base64") {
            out.push((format!("{what} (base64)"), String::from_utf8(stretch.1).expect("ascii")));
        }
    }
    out
}

/// Runs the echo partner with stdout in every format (every format as a
/// report, evidence too); returns the leaks (what, count, format), the runs
/// and the number of forms searched for.
pub async fn echo_leaks() -> (Vec<String>, usize, usize) {
    let echo = golive_fakes::Wiremock::start().await;
    wiremock::Mock::given(wiremock::matchers::any()).respond_with(Echo).mount(&echo).await;
    let dir = tempfile::tempdir().expect("dir");
    let config = format!(
        "[env.echo]\npack = \"paymentsai\"\nbase_url = \"{uri}\"\napi_key = {{ env = \"ECHO_KEY\" }}\n\
         account_id = \"{ECHO_ACCOUNT}\"\norganization_id = \"3f9a2c4e-8b1d-4e6f-a2c7-5d9e0b1f4a68\"\n\
         webhook = {{ url = \"{uri}/webhooks\", scheme = \"paymentsai\", secret = {{ env = \"ECHO_HOOK\" }},\n\
         auth = {{ basic = {{ user = \"{ECHO_USER}\", password = {{ env = \"ECHO_PASSWORD\" }} }} }} }}\n",
        uri = echo.uri()
    );
    std::fs::write(dir.path().join("golive.toml"), config).expect("config");
    let canaries = echo_canaries();
    let mut leaks = Vec::new();
    for format in FORMATS {
        let mut args: Vec<String> = ["verify", "--env", "echo", "--only", "pai-api-key", "--only"]
            .iter()
            .chain(&["pai-webhook-signature", "--no-progress", "--format", format])
            .map(|s| s.to_string())
            .collect();
        for f in FORMATS {
            args.extend(["--report".to_string(), format!("{f}=report-echo.{f}")]);
        }
        let _ = std::fs::remove_dir_all(dir.path().join("evidence-echo"));
        args.extend(["--evidence".to_string(), "evidence-echo".to_string()]);
        let path = dir.path().to_path_buf();
        let out = tokio::task::spawn_blocking(move || {
            let args: Vec<&str> = args.iter().map(String::as_str).collect();
            let key = echo_api_key();
            let envs =
                [("ECHO_KEY", key.as_str()), ("ECHO_HOOK", ECHO_WEBHOOK_SECRET), ("ECHO_PASSWORD", ECHO_PASSWORD)];
            golive_in(&path, &args, &envs)
        })
        .await
        .expect("golive ran");
        let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
        assert_eq!(out.status.code(), Some(1), "{format}: {stdout}{}", String::from_utf8_lossy(&out.stderr));
        // The echo reached the output: the search below can fail.
        assert!(stdout.contains("ECHO-MARKER"), "{format}: {stdout}");
        let all = outputs(&out, dir.path(), "echo");
        let trace = std::fs::read_to_string(dir.path().join("evidence-echo/trace.jsonl")).expect("trace");
        assert!(trace.contains("ECHO-MARKER"), "the trace holds the echoed pages: {trace}");
        for (what, value) in &canaries {
            let n = all.matches(value.as_str()).count();
            if n > 0 {
                leaks.push(format!("{what} ×{n} ({format})"));
            }
        }
    }
    (leaks, FORMATS.len(), canaries.len())
}

/// Issue 25, item 6: a partner and a webhook endpoint that echo the request's
/// credentials in their 401 pages (verbatim, base64 in `Basic`, JSON-escaped,
/// URL-encoded, the apiKey part alone) leave none of them in any format on
/// stdout, in any report file, or in the evidence (trace.jsonl included).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn echoed_credentials_in_every_encoding_appear_in_no_format_and_no_evidence() {
    let (leaks, runs, forms) = echo_leaks().await;
    assert!(runs >= 5 && forms >= 8, "{runs} runs (every format, html included), {forms} forms");
    assert!(leaks.is_empty(), "{leaks:#?}");
}

/// Issue 25, item 7: an exposure finding's excerpt masks every secret and
/// card number of its line before it is cut, so a line holding two secrets
/// shows no part of the second, and a card number at the excerpt's edge shows
/// no more than its last four digits.
#[test]
fn an_exposure_excerpt_shows_no_part_of_another_secret_nor_card_digits() {
    let dir = tempfile::tempdir().expect("dir");
    let (api_key, hook) = ("acc_x_FirstCanary0123_k1", "SecondCanary4567hook");
    // The second secret starts right after the first (within the excerpt's
    // context); the card's first digits fall in the context, its last ones not.
    let log = format!("2026-11-21 auth={api_key} hook={hook} x\ncard 4111111111111111 seen near token={hook}\n");
    std::fs::write(dir.path().join("app.log"), log).expect("log");
    let config = format!(
        "[env.leaky]\npack = \"paymentsai\"\napi_key = {{ env = \"LEAKY_KEY\" }}\n\
         webhook = {{ url = \"https://merchant.example/hooks\", scheme = \"paymentsai\", secret = {{ env = \"LEAKY_HOOK\" }} }}\n\
         exposure = {{ logs = [\"{}\"] }}\n",
        dir.path().join("app.log").display()
    );
    std::fs::write(dir.path().join("golive.toml"), config).expect("config");
    for format in FORMATS {
        let out = golive_in(
            dir.path(),
            &["verify", "--env", "leaky", "--only", "pai-exposure", "--no-progress", "--format", format],
            &[("LEAKY_KEY", api_key), ("LEAKY_HOOK", hook)],
        );
        let all = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
        assert_eq!(out.status.code(), Some(1), "{format}: {all}");
        assert!(all.contains("[webhook.secret]") && all.contains("[api_key]"), "{format}: both found: {all}");
        for secret in [api_key, hook] {
            // No 6-character piece of either secret.
            let pieces: Vec<&str> = (0..=secret.len() - 6).map(|i| &secret[i..i + 6]).collect();
            let shown: Vec<&&str> = pieces.iter().filter(|p| all.contains(**p)).collect();
            assert!(shown.is_empty(), "{format}: parts of a secret shown: {shown:?} in {all}");
        }
        for digits in ["41111", "4111 1", "11111"] {
            assert!(!all.contains(digits), "{format}: card digits `{digits}` shown: {all}");
        }
    }
}
