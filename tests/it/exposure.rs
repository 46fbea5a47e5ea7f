//! The `exposure` kind against real git repositories made here with the git
//! CLI, bundles on disk, a page and its script served on 127.0.0.1, and logs:
//! each leak fails with where it is, and no secret or card number appears in
//! any output.

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use golive::config::pack::BUILT_IN;
use golive::config::{Environment, Exposure, Secret, SecretRef};
use golive::plan::Selection;
use golive::report::{ProbeReport, Status};
use golive::runner::RunOptions;
use secrecy::SecretString;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::support::{Watchdog, env_at, golive_in, pack_from, run_pack};

/// The PaymentsAI-shaped API key of these tests (`<accountId>_<apiKey>_<apiKeyId>`).
pub const KEY: &str = "acc_77_sk/Live+Key=Exposure_kid9";
const ACCOUNT: &str = "acc_77";
/// A Luhn-valid test card number.
const PAN: &str = "4111111111111111";

pub fn git(dir: &Path, args: &[&str]) -> String {
    let out = Command::new("git")
        .args(["-c", "user.name=golive test", "-c", "user.email=test@golive.test", "-c", "commit.gpgsign=false"])
        .args(["-c", "init.defaultBranch=main"])
        .args(args)
        .current_dir(dir)
        .env_remove("GIT_DIR")
        .env_remove("GIT_WORK_TREE")
        .output()
        .expect("git runs");
    assert!(out.status.success(), "git {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

/// A repository with one clean commit on `main`.
pub fn repo() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("dir");
    git(dir.path(), &["init", "-q"]);
    write(dir.path(), "README.md", "# shop\nThe API key comes from the API_KEY environment variable.\n");
    commit(dir.path(), "start");
    dir
}

pub fn write(dir: &Path, rel: &str, text: &str) {
    let path = dir.join(rel);
    std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
    std::fs::write(path, text).expect("write");
}

pub fn commit(dir: &Path, message: &str) -> String {
    git(dir, &["add", "-A"]);
    git(dir, &["commit", "-q", "-m", message]);
    git(dir, &["rev-parse", "HEAD"])
}

pub fn env(exposure: Exposure) -> Environment {
    Environment {
        api_key: Some(Secret { value: SecretString::from(KEY), source: SecretRef::Env("PAI_API_KEY".into()) }),
        inputs: vec![("account_id".into(), golive::config::Input::Text(ACCOUNT.into()))],
        exposure: Some(exposure),
        ..env_at("http://127.0.0.1:9")
    }
}

pub async fn probe(env: Environment) -> ProbeReport {
    let text = BUILT_IN.iter().find(|(n, _)| *n == "paymentsai").map(|(_, t)| *t).expect("pack");
    let sel = Selection { only: vec!["pai-exposure".into()], ..Selection::default() };
    let opts = RunOptions { timeout: Some(Duration::from_secs(60)), ..RunOptions::default() };
    run_pack(env, pack_from(text), &sel, &opts).await.probes.remove(0)
}

/// Everything a report says, as one text (what a renderer could show).
pub fn shown(r: &ProbeReport) -> String {
    serde_json::to_string(r).expect("json")
}

fn assert_no_secret(text: &str) {
    for leaked in [KEY, PAN, "4111 1111 1111 1111"] {
        assert!(!text.contains(leaked), "`{leaked}` shown:\n{text}");
    }
}

#[tokio::test]
async fn a_key_committed_then_deleted_fails_naming_the_commit() {
    let _w = Watchdog::new("exposure deleted key", Duration::from_secs(60));
    let dir = repo();
    write(dir.path(), "src/config.js", &format!("// settings\nexport const apiKey = \"{KEY}\";\n"));
    let added = commit(dir.path(), "add config");
    std::fs::remove_file(dir.path().join("src/config.js")).expect("rm");
    commit(dir.path(), "remove the key");
    let r = probe(env(Exposure { repo: Some(dir.path().to_path_buf()), ..Exposure::default() })).await;
    assert_eq!(r.status, Status::Fail, "{r:#?}");
    let text = shown(&r);
    assert!(text.contains(&added[..12]), "names the commit {added}: {text}");
    assert!(text.contains("src/config.js:2"), "{text}");
    assert!(text.contains("no longer in HEAD, still in history"), "{text}");
    assert!(text.contains("secret-in-source-control") || text.contains("git filter-repo"), "{text}");
    let d = r.diagnosis.as_ref().expect("diagnosis");
    assert!(d.fix.contains("rotate") && d.fix.contains("git filter-repo"), "{d:?}");
    assert!(text.contains("[api_key]"), "the excerpt names the secret: {text}");
    assert_no_secret(&text);
}

#[tokio::test]
async fn a_key_only_in_a_branch_fails() {
    let _w = Watchdog::new("exposure branch", Duration::from_secs(60));
    let dir = repo();
    git(dir.path(), &["checkout", "-q", "-b", "feature/pay"]);
    write(dir.path(), "pay.py", &format!("KEY = '{KEY}'\n"));
    let c = commit(dir.path(), "wip");
    git(dir.path(), &["checkout", "-q", "main"]);
    let r = probe(env(Exposure { repo: Some(dir.path().to_path_buf()), ..Exposure::default() })).await;
    assert_eq!(r.status, Status::Fail, "{r:#?}");
    let text = shown(&r);
    assert!(text.contains(&c[..12]) && text.contains("pay.py:1"), "{text}");
    assert_no_secret(&text);
}

#[tokio::test]
async fn a_private_key_file_committed_fails_and_the_configured_key_is_recognised() {
    let _w = Watchdog::new("exposure private key", Duration::from_secs(60));
    let dir = repo();
    let mine = rcgen::KeyPair::generate().expect("key").serialize_pem();
    let other = rcgen::KeyPair::generate().expect("key").serialize_pem();
    let keys = tempfile::tempdir().expect("dir");
    std::fs::write(keys.path().join("program.key"), &mine).expect("key file");
    write(dir.path(), "deploy/program.key", &mine);
    write(dir.path(), "test/fixture.pem", &other);
    commit(dir.path(), "keys");
    let mut e = env(Exposure { repo: Some(dir.path().to_path_buf()), ..Exposure::default() });
    e.client_key = Some(keys.path().join("program.key"));
    let r = probe(e).await;
    assert_eq!(r.status, Status::Fail, "{r:#?}");
    let fails: Vec<&str> = r.checks.iter().filter(|c| c.status == Status::Fail).map(|c| c.message.as_str()).collect();
    assert!(
        fails.iter().any(|m| m.contains("deploy/program.key:1") && m.contains("the configured client_key")),
        "{fails:#?}"
    );
    assert!(
        fails.iter().any(|m| m.contains("test/fixture.pem:1") && !m.contains("configured client_key")),
        "{fails:#?}"
    );
    let text = shown(&r);
    assert!(text.contains("private-key-in-source-control") || r.diagnosis.is_some(), "{text}");
    let body_line = mine.lines().nth(1).expect("a body line");
    assert!(!text.contains(body_line), "no key material shown: {text}");
}

#[tokio::test]
async fn base64_and_url_encoded_forms_are_found() {
    use base64::Engine;
    let _w = Watchdog::new("exposure encodings", Duration::from_secs(60));
    let dir = repo();
    let basic = base64::engine::general_purpose::STANDARD.encode(format!("shop:{KEY}"));
    let url: String = KEY.replace('/', "%2F").replace('+', "%2B").replace('=', "%3D");
    write(dir.path(), "ops/curl.sh", &format!("curl -H 'Authorization: Basic {basic}' https://x.test/\n"));
    write(dir.path(), "ops/hook.txt", &format!("https://x.test/cb?key={url}&a=1\n"));
    commit(dir.path(), "ops");
    let r = probe(env(Exposure { repo: Some(dir.path().to_path_buf()), ..Exposure::default() })).await;
    assert_eq!(r.status, Status::Fail, "{r:#?}");
    let text = shown(&r);
    assert!(text.contains("(base64)") && text.contains("ops/curl.sh:1"), "{text}");
    assert!(text.contains("(url-encoded)") && text.contains("ops/hook.txt:1"), "{text}");
    assert!(!text.contains(&basic) && !text.contains(&url), "{text}");
    assert_no_secret(&text);
}

#[tokio::test]
async fn an_uncommitted_file_and_another_key_of_the_account_are_found_an_ignored_env_file_is_not() {
    let _w = Watchdog::new("exposure worktree", Duration::from_secs(60));
    let dir = repo();
    write(dir.path(), ".gitignore", ".env\n");
    commit(dir.path(), "ignore .env");
    // The backend's .env is where the key belongs: ignored, not scanned.
    write(dir.path(), ".env", &format!("API_KEY={KEY}\n"));
    write(dir.path(), "notes.txt", &format!("old key: {ACCOUNT}_oldKey123_kid7\n"));
    let r = probe(env(Exposure { repo: Some(dir.path().to_path_buf()), ..Exposure::default() })).await;
    assert_eq!(r.status, Status::Fail, "{r:#?}");
    let text = shown(&r);
    assert!(text.contains("not committed yet") && text.contains("notes.txt:1"), "{text}");
    assert!(text.contains("a PaymentsAI API key of this account"), "{text}");
    assert!(!text.contains(".env"), "{text}");
    assert!(!text.contains("oldKey123"), "{text}");
}

#[tokio::test]
async fn a_clean_repository_passes() {
    let _w = Watchdog::new("exposure clean", Duration::from_secs(60));
    let dir = repo();
    write(
        dir.path(),
        "src/pay.js",
        "const key = process.env.API_KEY;\nfetch(url, { headers: { 'X-API-Key': key } });\n",
    );
    commit(dir.path(), "pay");
    let r = probe(env(Exposure { repo: Some(dir.path().to_path_buf()), ..Exposure::default() })).await;
    assert_eq!(r.status, Status::Pass, "{r:#?}");
    assert_eq!(r.facts["repo_blobs"], 2, "{r:#?}");
}

#[tokio::test]
async fn a_folder_that_is_not_a_repository_is_an_error_not_a_pass() {
    let _w = Watchdog::new("exposure not a repo", Duration::from_secs(60));
    let dir = tempfile::tempdir().expect("dir");
    let r = probe(env(Exposure { repo: Some(dir.path().to_path_buf()), ..Exposure::default() })).await;
    assert_eq!(r.status, Status::Error, "{r:#?}");
}

#[tokio::test]
async fn a_bundle_and_a_page_with_its_script_that_embed_the_api_key_fail() {
    let _w = Watchdog::new("exposure front end", Duration::from_secs(60));
    let dist = tempfile::tempdir().expect("dir");
    write(dist.path(), "assets/main.3f9a.js", &format!("var a=1;const k=\"{KEY}\";fetch(u)\n"));
    write(dist.path(), "index.html", "<html><script src=/assets/main.3f9a.js></script></html>\n");
    let site = MockServer::start().await;
    let page = "<html><head><script src=\"/static/app.js\"></script>\
<script src=\"https://cdn.example.net/x.js\"></script></head><body>shop</body></html>";
    Mock::given(method("GET"))
        .and(path("/"))
        .respond_with(ResponseTemplate::new(200).set_body_string(page))
        .mount(&site)
        .await;
    Mock::given(method("GET"))
        .and(path("/static/app.js"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_string("fetch('/v1/x',{headers:{\"X-API-Key\":\"live_9f8e7d6c5b4a\"}})\n"),
        )
        .expect(1)
        .mount(&site)
        .await;
    let url = reqwest::Url::parse(&format!("{}/", site.uri())).expect("url");
    let bundles = Exposure { bundles: vec![dist.path().to_path_buf()], ..Exposure::default() };
    let r = probe(env(bundles)).await;
    assert_eq!(r.status, Status::Fail, "{r:#?}");
    let text = shown(&r);
    assert!(text.contains("main.3f9a.js:1") && text.contains("secret-in-front-end") || r.diagnosis.is_some(), "{text}");
    assert_no_secret(&text);
    let r = probe(env(Exposure { pages: vec![url], ..Exposure::default() })).await;
    assert_eq!(r.status, Status::Fail, "{r:#?}");
    let text = shown(&r);
    assert!(text.contains("/static/app.js line 1") && text.contains("API key header"), "{text}");
    assert!(!text.contains("live_9f8e7d6c5b4a"), "{text}");
    assert_eq!(r.facts["scripts"], 1, "the other origin's script is not read: {text}");
}

fn log_config(dir: &Path, log: &str) -> String {
    write(dir, "logs/app.log", log);
    format!(
        "[env.scan]\npack = \"paymentsai\"\nbase_url = \"http://127.0.0.1:9\"\napi_key = {{ env = \"PAI_API_KEY\" }}\n\
account_id = \"{ACCOUNT}\"\nexposure = {{ logs = [\"logs/*.log\"] }}\n"
    )
}

/// Runs `pai-exposure` of environment `scan` in `dir` with every format on
/// stdout and as reports, and evidence; returns the exit code and all text.
fn run_all_outputs(dir: &Path) -> (Option<i32>, String) {
    let mut all = String::new();
    let mut code = None;
    for format in ["human", "json", "junit", "markdown"] {
        let evidence = format!("evidence-{format}");
        let report = format!("{format}=report.{format}");
        let args = [
            "-vv",
            "verify",
            "--env",
            "scan",
            "--only",
            "pai-exposure",
            "--no-progress",
            "--format",
            format,
            "--report",
            &report,
            "--evidence",
            &evidence,
        ];
        let out = golive_in(dir, &args, &[("PAI_API_KEY", KEY)]);
        code = out.status.code();
        all.push_str(&String::from_utf8_lossy(&out.stdout));
        all.push_str(&String::from_utf8_lossy(&out.stderr));
        all.push_str(&std::fs::read_to_string(dir.join(format!("report.{format}"))).expect("report written"));
        for entry in std::fs::read_dir(dir.join(&evidence)).expect("evidence written").flatten() {
            all.push_str(&std::fs::read_to_string(entry.path()).unwrap_or_default());
        }
    }
    (code, all)
}

#[test]
fn a_log_with_an_unmasked_card_number_fails_and_the_number_appears_in_no_output() {
    let _w = Watchdog::new("exposure log card", Duration::from_secs(120));
    let dir = tempfile::tempdir().expect("dir");
    let log = format!(
        "2026-11-27T10:00:00Z INFO start\n2026-11-27T10:00:01Z DEBUG card details {{\"pan\":\"{PAN}\",\"cvv\":\"737\"}}\n"
    );
    std::fs::write(dir.path().join("golive.toml"), log_config(dir.path(), &log)).expect("config");
    let (code, all) = run_all_outputs(dir.path());
    assert_eq!(code, Some(1), "{all}");
    assert!(all.contains("app.log:2"), "file:line shown: {all}");
    assert!(all.contains("***1111"), "the number masked to its last four: {all}");
    assert!(all.contains("card-data-in-logs") || all.contains("PCI DSS"), "{all}");
    assert!(all.contains("DEBUG") || all.contains("TRACE"), "logs at -vv on");
    assert!(!all.contains(PAN), "the full number appears nowhere");
    assert!(!all.contains(KEY), "the key appears nowhere");
    assert!(!all.contains("737\""), "the CVV appears nowhere");
}

#[test]
fn a_masked_log_passes() {
    let _w = Watchdog::new("exposure masked log", Duration::from_secs(60));
    let dir = tempfile::tempdir().expect("dir");
    let log = "2026-11-27T10:00:01Z INFO card 411111******1111 cvv=*** ts=1732712345678 amount=4900\n";
    std::fs::write(dir.path().join("golive.toml"), log_config(dir.path(), log)).expect("config");
    let out = golive_in(
        dir.path(),
        &["verify", "--env", "scan", "--only", "pai-exposure", "--no-progress", "--format", "json"],
        &[("PAI_API_KEY", KEY)],
    );
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(doc["probes"][0]["status"], "pass", "{doc:#}");
    assert_eq!(out.status.code(), Some(0));
}

#[tokio::test]
async fn without_exposure_sources_the_probe_is_skipped_and_says_what_to_add() {
    let mut e = env(Exposure::default());
    e.exposure = None;
    let r = probe(e).await;
    assert_eq!(r.status, Status::Skip, "{r:#?}");
    assert!(shown(&r).contains("exposure = {"), "{r:#?}");
}

#[test]
fn exposure_sources_are_checked_when_the_configuration_loads() {
    let dir = tempfile::tempdir().expect("dir");
    let pack = "[pack]\nname = \"t\"\ntitle = \"T\"\nrunbook = \"t\"\n[[probe]]\nid = \"scan\"\nkind = \"exposure\"\ntitle = \"S\"\n";
    std::fs::write(dir.path().join("pack.toml"), pack).expect("pack");
    let head = "[env.scan]\npack = \"pack.toml\"\n";
    let cases = [
        ("exposure = { repo = \"no-such-folder\" }\n", "`exposure.repo` is not a folder"),
        ("exposure = { pages = [\"${website_url}/\"] }\n", "`exposure.pages`"),
        ("exposure = { logz = [\"x\"] }\n", "unknown"),
    ];
    for (line, want) in cases {
        std::fs::write(dir.path().join("golive.toml"), format!("{head}{line}")).expect("config");
        let out = golive_in(dir.path(), &["list", "--env", "scan"], &[]);
        let err = String::from_utf8_lossy(&out.stderr).into_owned();
        assert_eq!(out.status.code(), Some(2), "{line}: {err}");
        assert!(err.contains(want), "{line}: {err}");
    }
    let ok = format!(
        "{head}website_url = \"https://shop.example.test\"\nexposure = {{ pages = [\"${{website_url}}/checkout\"] }}\n"
    );
    std::fs::write(dir.path().join("golive.toml"), ok).expect("config");
    let out = golive_in(dir.path(), &["list", "--env", "scan"], &[]);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
}

/// The git processes of a scan cut off by the probe's deadline are gone soon
/// after: the probe is an `error` (timeout), not a pass, and leaves nothing running.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_scan_cut_off_by_its_deadline_errors_and_leaves_no_git_process() {
    let _w = Watchdog::new("exposure deadline", Duration::from_secs(120));
    let dir = repo();
    let mut block = vec![0u8; 3 << 20];
    for i in 0..12 {
        getrandom::fill(&mut block).expect("random");
        write(dir.path(), &format!("data/{i}.txt"), &hex::encode(&block));
    }
    commit(dir.path(), "data");
    let text = BUILT_IN.iter().find(|(n, _)| *n == "paymentsai").map(|(_, t)| *t).expect("pack");
    let sel = Selection { only: vec!["pai-exposure".into()], ..Selection::default() };
    let opts = RunOptions { timeout: Some(Duration::from_millis(150)), ..RunOptions::default() };
    let e = env(Exposure { repo: Some(dir.path().to_path_buf()), ..Exposure::default() });
    let r = run_pack(e, pack_from(text), &sel, &opts).await.probes.remove(0);
    assert_eq!(r.status, Status::Error, "{r:#?}");
    let repo_path = dir.path().display().to_string();
    let running = || {
        std::fs::read_dir("/proc")
            .into_iter()
            .flatten()
            .flatten()
            .filter_map(|p| std::fs::read(p.path().join("cmdline")).ok())
            .map(|c| String::from_utf8_lossy(&c).replace('\0', " "))
            .filter(|c| c.starts_with("git") && c.contains(&repo_path))
            .collect::<Vec<_>>()
    };
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while !running().is_empty() && std::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(running().is_empty(), "git still running: {:?}", running());
}
