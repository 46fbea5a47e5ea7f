//! Issue 15, "fail closed": a gate that cannot pass (or be retried) by mistake.
//!
//! - Item 2: a probe whose inputs the environment does not set is a
//!   configuration error (exit 2) before anything runs, naming the probe, the
//!   key, the `[env.NAME]` table and the fix (scenarios.rs has the demo's
//!   `no-client-cert`).
//! - Item 4: SIGTERM and SIGHUP clean up like SIGINT: no `golive-fakes-*`
//!   folder (the demo's keys and secrets) is left behind.
//! - Item 5: a mutating probe a watch never runs is reported as not run.
//! - Item 8: a secret is never sent over plain http:// to another machine.
//!
//! Nothing here connects anywhere but loopback: 192.0.2.1 (TEST-NET-1) is
//! only ever refused before any connection.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use golive::config::{Environment, Secret, SecretRef};
use golive::plan::{Plan, Selection};
use secrecy::SecretString;

use crate::support::{Watchdog, env_at, golive_in, pack_from, stderr, stdout};

const HEAD: &str = "[pack]\nname = \"test\"\ntitle = \"Test\"\nrunbook = \"test-runbook\"\n";
const AUTH: &str = "[auth]\nheader = \"X-API-Key\"\n";

fn probe(id: &str, kind: &str, params: &str) -> String {
    format!("\n[[probe]]\nid = \"{id}\"\nkind = \"{kind}\"\ntitle = \"{id}\"\n[probe.params]\n{params}\n")
}

fn secret(value: &str) -> Secret {
    Secret { value: SecretString::from(value.to_string()), source: SecretRef::Env("TEST_SECRET".into()) }
}

/// The keys the plan's preflight says are missing, in its one message.
fn preflight(env: Environment, pack_text: &str) -> Result<(), String> {
    let plan = Plan::build("test", vec![(env, pack_from(pack_text))], &Selection::default())
        .unwrap_or_else(|e| panic!("plan builds:\n{e}"));
    plan.preflight(true).map_err(|e| e.render(false))
}

// ---- item 2: missing inputs --------------------------------------------

#[test]
fn a_pack_without_auth_needs_no_api_key_and_one_with_auth_does() {
    let url = "url = \"${base_url}/ok\"";
    let without = format!("{HEAD}{}", probe("plain", "http", url));
    assert_eq!(preflight(env_at("http://127.0.0.1:9"), &without), Ok(()));
    let with = format!("{HEAD}{AUTH}{}", probe("keyed", "http", url));
    let err = preflight(env_at("http://127.0.0.1:9"), &with).expect_err("the key is missing");
    assert!(err.contains("probe `keyed` needs `api_key`"), "{err}");
    assert!(err.contains("[env.test] of golive.toml") && err.contains("--skip keyed"), "{err}");
    // A request that opts out of the pack's auth needs no key.
    let opted_out = format!("{HEAD}{AUTH}{}", probe("public", "http", &format!("{url}\nauth = false")));
    assert_eq!(preflight(env_at("http://127.0.0.1:9"), &opted_out), Ok(()));
    let steps = "steps = [{ url = \"${base_url}/a\", auth = false }, { url = \"${base_url}/b\" }]";
    let err = preflight(env_at("http://127.0.0.1:9"), &format!("{HEAD}{AUTH}{}", probe("flow", "http", steps)))
        .expect_err("one step carries the key");
    assert!(err.contains("probe `flow` needs `api_key`"), "{err}");
}

#[test]
fn fcrdns_params_may_give_the_calling_ips_and_names_themselves() {
    let pack = format!("{HEAD}{}", probe("dns", "fcrdns", ""));
    let err = preflight(env_at("http://127.0.0.1:9"), &pack).expect_err("nothing to check");
    assert!(err.contains("probe `dns` needs `calling_ips`") && err.contains("also needs `client_cert`"), "{err}");
    let given = probe("dns", "fcrdns", "calling_ips = [\"203.0.113.10\"]\nnames = [\"api.example.test\"]");
    assert_eq!(preflight(env_at("http://127.0.0.1:9"), &format!("{HEAD}{given}")), Ok(()));
}

#[test]
fn mtls_and_cert_need_the_client_certificate_and_key() {
    // The mtls kind has no parameter for a handshake without a client
    // certificate (`not_enforced` judges a server that never asks for one).
    let pack = format!(
        "{HEAD}{}{}",
        probe("cert", "cert", ""),
        probe("hand", "mtls", "url = \"https://127.0.0.1:9/\"\nnot_enforced = \"warn\"")
    );
    let err = preflight(env_at("https://127.0.0.1:9"), &pack).expect_err("no client identity");
    for phrase in [
        "probe `cert` needs `client_cert`",
        "probe `cert` also needs `client_key`",
        "probe `hand` also needs `client_cert`",
        "probe `hand` also needs `client_key`",
        "--skip cert --skip hand",
    ] {
        assert!(err.contains(phrase), "`{phrase}` in {err}");
    }
}

/// A mutating probe that the run will skip anyway needs nothing: after the
/// one-time exchange, an environment without its temporal key still verifies.
#[test]
fn a_mutating_probe_the_run_skips_needs_no_inputs() {
    let pack = format!(
        "{HEAD}{AUTH}\n[[probe]]\nid = \"change\"\nkind = \"http\"\ntitle = \"c\"\ntags = [\"mutating\"]\n[probe.params]\nurl = \"${{base_url}}/x\"\n"
    );
    let plan = Plan::build("test", vec![(env_at("http://127.0.0.1:9"), pack_from(&pack))], &Selection::default())
        .expect("plan");
    assert!(plan.preflight(false).is_ok(), "skipped without --allow-mutations");
    let err = plan.preflight(true).expect_err("runs with --allow-mutations").render(false);
    assert!(err.contains("probe `change` needs `api_key`"), "{err}");
}

// ---- item 8: no secret in clear text to another machine -----------------

#[test]
fn an_api_key_for_a_plain_http_url_elsewhere_is_refused_unless_allowed() {
    let pack = format!("{HEAD}{AUTH}{}", probe("keyed", "http", "url = \"${base_url}/ok\""));
    let mut env = env_at("http://192.0.2.1/");
    env.api_key = Some(secret("canary-key-for-plain-http"));
    let err = preflight(env.clone(), &pack).expect_err("refused");
    assert!(err.contains("probe `keyed` would send `api_key` over plain http:// to http://192.0.2.1"), "{err}");
    assert!(err.contains("allow_insecure_http = true") && err.contains("nothing was sent"), "{err}");
    assert!(!err.contains("canary-key-for-plain-http"), "{err}");
    env.allow_insecure_http = true;
    assert_eq!(preflight(env.clone(), &pack), Ok(()));
    // Loopback and https are fine; so is a request that carries no key.
    for base in ["http://127.0.0.1:9/", "http://localhost:9/", "http://[::1]:9/", "https://192.0.2.1/"] {
        let mut env = env_at(base);
        env.api_key = Some(secret("k"));
        assert_eq!(preflight(env, &pack), Ok(()), "{base}");
    }
    let public = format!("{HEAD}{AUTH}{}", probe("public", "http", "url = \"${base_url}/ok\"\nauth = false"));
    let mut env = env_at("http://192.0.2.1/");
    env.api_key = Some(secret("k"));
    assert_eq!(preflight(env, &public), Ok(()));
}

const PLAIN_HTTP_CONFIG: &str = r#"
[env.staging]
pack = "paymentsai"
base_url = "http://192.0.2.1"
api_key = { env = "FC_PAI_KEY" }
account_id = "acc_1"
organization_id = "3f9a2c4e-8b1d-4e6f-a2c7-5d9e0b1f4a68"
temporal_api_key = { env = "FC_PAI_TEMPORAL" }
account_secret = { env = "FC_PAI_SECRET" }
"#;

const PLAIN_HTTP_ENVS: [(&str, &str); 3] =
    [("FC_PAI_KEY", "fc-key-value-1234"), ("FC_PAI_TEMPORAL", "fc-temporal-5678"), ("FC_PAI_SECRET", "Fc-Secret-90ab")];

/// The acceptance test: an API key aimed at a non-loopback http:// URL is a
/// configuration error before any connection: exit 2 at once, no report, no
/// evidence folder, the secret in no output.
#[test]
fn verify_refuses_an_api_key_aimed_at_plain_http_before_any_connection() {
    let dir = tempfile::tempdir().expect("dir");
    std::fs::write(dir.path().join("golive.toml"), PLAIN_HTTP_CONFIG).expect("config");
    let out = golive_in(
        dir.path(),
        &["verify", "--env", "staging", "--only", "pai-api-key", "--evidence", "ev", "--report", "json=r.json"],
        &PLAIN_HTTP_ENVS,
    );
    let err = stderr(&out);
    // Exit 2 is decided while planning, before the runner starts: no probe ran,
    // so nothing connected (no report, no evidence, nothing on stdout below).
    assert_eq!(out.status.code(), Some(2), "{err}{}", stdout(&out));
    assert!(err.contains("probe `pai-api-key` would send `api_key` over plain http:// to http://192.0.2.1"), "{err}");
    assert!(err.contains("[env.staging]") && err.contains("allow_insecure_http = true"), "{err}");
    assert!(stdout(&out).is_empty(), "nothing ran: {}", stdout(&out));
    assert!(!dir.path().join("ev").exists() && !dir.path().join("r.json").exists(), "nothing was written");
    for (_, value) in PLAIN_HTTP_ENVS {
        assert!(!err.contains(value), "{err}");
    }
}

#[test]
fn key_exchange_refuses_plain_http_before_sending_the_one_time_key() {
    let dir = tempfile::tempdir().expect("dir");
    std::fs::write(dir.path().join("golive.toml"), PLAIN_HTTP_CONFIG).expect("config");
    let out = golive_in(dir.path(), &["key", "exchange", "--env", "staging", "--yes"], &PLAIN_HTTP_ENVS);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{err}{}", stdout(&out));
    assert!(err.contains("the key exchange would send `temporal_api_key` over plain http://"), "{err}");
    assert!(err.contains("also send `account_secret`"), "{err}");
    assert!(std::fs::read_dir(dir.path()).expect("dir").count() == 1, "no key or answer file was made");
}

// ---- item 4: signals clean up -------------------------------------------

/// A golive child with its own TMPDIR, killed if the test ends early.
struct Golive {
    child: Child,
}

impl Golive {
    fn spawn(tmp: &Path, args: &[&str]) -> Golive {
        let child = Command::new(env!("CARGO_BIN_EXE_golive"))
            .args(args)
            .env("NO_COLOR", "1")
            .env("TMPDIR", tmp)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("golive starts");
        Golive { child }
    }

    fn signal(&self, name: &str) {
        let sent = Command::new("kill").args([&format!("-{name}"), &self.child.id().to_string()]).status();
        assert!(sent.expect("kill runs").success(), "kill -{name}");
    }

    /// Reads stdout up to a line containing `marker`; returns what was read.
    fn read_until(&mut self, marker: &str) -> (BufReader<std::process::ChildStdout>, String) {
        let mut reader = BufReader::new(self.child.stdout.take().expect("stdout"));
        let mut seen = String::new();
        let mut line = String::new();
        while reader.read_line(&mut line).expect("stdout") > 0 {
            seen.push_str(&line);
            if line.contains(marker) {
                return (reader, seen);
            }
            line.clear();
        }
        panic!("no `{marker}` in stdout:\n{seen}");
    }

    fn wait(mut self) -> (Option<i32>, String) {
        let status = self.child.wait().expect("golive ends");
        let mut err = String::new();
        if let Some(mut e) = self.child.stderr.take() {
            let _ = std::io::Read::read_to_string(&mut e, &mut err);
        }
        (status.code(), err)
    }
}

impl Drop for Golive {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// The fakes' private folders in `tmp`.
pub(crate) fn fakes_folders(tmp: &Path) -> Vec<String> {
    std::fs::read_dir(tmp)
        .expect("tmp")
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with("golive-fakes-"))
        .collect()
}

/// Waits until the fakes' folder exists (they have started).
fn wait_for_fakes(tmp: &Path) {
    let started = Instant::now();
    while fakes_folders(tmp).is_empty() {
        assert!(started.elapsed() < Duration::from_secs(120), "the fakes never started");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// The acceptance test: SIGTERM during `verify --env demo` (probes waiting on
/// a hanging partner) stops it and removes the fakes' folder with the demo's
/// keys and secrets.
#[cfg(unix)]
#[test]
fn sigterm_during_the_demo_leaves_no_fakes_folder() {
    let _watchdog = Watchdog::new("sigterm demo", Duration::from_secs(300));
    let tmp = tempfile::tempdir().expect("tmp");
    let golive =
        Golive::spawn(tmp.path(), &["verify", "--env", "demo", "--scenario", "partner-hangs", "--no-progress"]);
    wait_for_fakes(tmp.path());
    std::thread::sleep(Duration::from_millis(500));
    golive.signal("TERM");
    let (code, err) = golive.wait();
    assert_eq!(code, Some(143), "128 + SIGTERM: {err}");
    assert!(err.contains("stopped by SIGTERM"), "{err}");
    assert_eq!(fakes_folders(tmp.path()), Vec::<String>::new(), "the demo's folder is removed");
}

#[cfg(unix)]
#[test]
fn fake_serve_stopped_by_a_signal_exits_128_plus_its_number_not_0_and_removes_its_folder() {
    let _watchdog = Watchdog::new("signal serve", Duration::from_secs(300));
    for signal in ["HUP", "TERM"] {
        let tmp = tempfile::tempdir().expect("tmp");
        let mut golive = Golive::spawn(tmp.path(), &["fake", "serve"]);
        let (_, seen) = golive.read_until("Save the lines above");
        assert_eq!(fakes_folders(tmp.path()).len(), 1, "{seen}");
        golive.signal(signal);
        let (code, err) = golive.wait();
        let expected = if signal == "HUP" { 129 } else { 143 };
        assert_eq!(code, Some(expected), "SIG{signal} stops the fakes cleanly, 128 + its number: {err}");
        assert_eq!(fakes_folders(tmp.path()), Vec::<String>::new(), "SIG{signal}: {err}");
    }
}

/// A watch ended by SIGTERM ends like Ctrl-C: its summary, its verdict, and
/// no fakes' folder left; its mutating probes are listed as not run (item 5).
#[cfg(unix)]
#[test]
fn sigterm_ends_a_watch_with_its_summary_and_no_fakes_folder() {
    let _watchdog = Watchdog::new("sigterm watch", Duration::from_secs(300));
    let tmp = tempfile::tempdir().expect("tmp");
    let mut golive = Golive::spawn(tmp.path(), &["verify", "--env", "demo", "--watch", "100ms"]);
    let (mut reader, first) = golive.read_until("round 1");
    golive.signal("TERM");
    let mut rest = String::new();
    std::io::Read::read_to_string(&mut reader, &mut rest).expect("the rest of stdout");
    let (code, err) = golive.wait();
    assert_eq!(code, Some(0), "{first}{rest}{err}");
    assert!(rest.contains("stopped by Ctrl-C or a signal") && rest.contains("0 fail, 0 error"), "{rest}");
    assert_eq!(fakes_folders(tmp.path()), Vec::<String>::new());
}

/// `key exchange --env demo` names no file of the fakes' folder, which is
/// removed when it exits; it says the demo's key is temporary.
#[test]
fn the_demo_key_exchange_names_no_file_that_is_deleted_at_exit() {
    let tmp = tempfile::tempdir().expect("tmp");
    let tmp_text = tmp.path().to_string_lossy().into_owned();
    let out = golive_in(tmp.path(), &["key", "exchange", "--env", "demo", "--yes"], &[("TMPDIR", &tmp_text)]);
    let (text, err) = (stdout(&out), stderr(&out));
    assert_eq!(out.status.code(), Some(0), "{text}{err}");
    assert!(text.contains("temporary folder, which is removed when golive exits"), "{text}");
    assert!(!text.contains("golive-fakes-") && !err.contains("golive-fakes-"), "{text}{err}");
    assert!(text.contains("Verified: an authenticated read with the new key answered 200."), "{text}");
    assert_eq!(fakes_folders(tmp.path()), Vec::<String>::new());
}

// ---- item 5: a watch's mutating probes are not run, not 0 % -------------

#[test]
fn a_mutating_probe_a_watch_never_runs_is_reported_as_not_run() {
    let dir = tempfile::tempdir().expect("dir");
    let out = golive_in(
        dir.path(),
        &[
            "verify",
            "--env",
            "demo",
            "--watch",
            "100ms",
            "--for",
            "300ms",
            "--report",
            "markdown=w.md",
            "--report",
            "json=w.json",
        ],
        &[],
    );
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(0), "{text}{}", stderr(&out));
    let line = text.lines().find(|l| l.contains("pai-key-exchange") && !l.contains("UTC  round")).expect("listed");
    assert!(line.trim_start().starts_with("SKIP") && line.contains("not run in any of the"), "{line}");
    assert!(line.contains("--watch never repeats a mutation") && !line.contains('%'), "{line}");
    let doc: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("w.json")).expect("json")).expect("JSON");
    let p = doc["probes"].as_array().expect("probes").iter().find(|p| p["id"] == "pai-key-exchange").expect("probe");
    assert!(p["pass_rate"].is_null(), "{p:#}");
    assert!(p["not_run"].as_str().is_some_and(|w| w.contains("never repeats a mutation")), "{p:#}");
    let api = doc["probes"].as_array().expect("probes").iter().find(|p| p["id"] == "pai-api-key").expect("probe");
    assert_eq!(api["pass_rate"], 1.0, "{api:#}");
    let md = std::fs::read_to_string(dir.path().join("w.md")).expect("markdown");
    let row = md.lines().find(|l| l.contains("`pai-key-exchange`")).expect("row");
    assert!(row.contains("| not run |") && !row.contains('%'), "{row}");
}
