//! Helpers shared by the integration tests: running the binary, building plans.

#![allow(dead_code)]

use std::io::Read;
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use golive::config::{Environment, Pack, pack};
use golive::plan::{Plan, Selection};
use golive::report::RunSummary;
use golive::runner::{self, RunOptions};

/// Runs the golive binary with arguments, in `dir` (the crate root by default),
/// without colour and without CI noise; stdin is closed.
pub fn golive(args: &[&str]) -> Output {
    golive_in(Path::new(env!("CARGO_MANIFEST_DIR")), args, &[])
}

/// How long one golive run may take in a test before it is killed and the
/// test fails: far above any run's deadlines, far below CI's limit.
pub const RUN_LIMIT: Duration = Duration::from_secs(180);

/// Runs the golive binary in a folder with extra environment variables.
/// A run that outlives [`RUN_LIMIT`] is killed and fails the test with what
/// it printed, so a hang shows up as a failure naming the command.
pub fn golive_in(dir: &Path, args: &[&str], envs: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_golive"));
    cmd.args(args).current_dir(dir).env("NO_COLOR", "1");
    // The evidence signing key of the test run, never one in the home folder.
    cmd.env(golive::evidence::sign::KEY_ENV, evidence_key());
    for (k, v) in envs {
        cmd.env(k, v);
    }
    output_within_limit(&mut cmd)
}

/// The evidence signing key every golive run of the tests uses (made by the
/// first run that writes evidence), under the target folder.
pub fn evidence_key() -> std::path::PathBuf {
    Path::new(env!("CARGO_TARGET_TMPDIR")).join("golive-tests-evidence-ed25519.pem")
}

/// Runs a command with stdin closed and its output captured, killing it and
/// failing the test after [`RUN_LIMIT`].
pub fn output_within_limit(cmd: &mut Command) -> Output {
    cmd.stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::piped());
    let shown = format!("{cmd:?}");
    let mut child = cmd.spawn().expect("the golive binary runs");
    let drain = |mut pipe: Box<dyn Read + Send>| {
        std::thread::spawn(move || {
            let mut bytes = Vec::new();
            let _ = pipe.read_to_end(&mut bytes);
            bytes
        })
    };
    let stdout = drain(Box::new(child.stdout.take().expect("piped stdout")));
    let stderr = drain(Box::new(child.stderr.take().expect("piped stderr")));
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().expect("waiting for golive") {
            break status;
        }
        if started.elapsed() > RUN_LIMIT {
            let _ = child.kill();
            let _ = child.wait();
            let err = String::from_utf8_lossy(&stderr.join().unwrap_or_default()).into_owned();
            let tail: String = err.chars().rev().take(4000).collect::<Vec<_>>().into_iter().rev().collect();
            panic!("{shown} still ran after {RUN_LIMIT:?} and was killed; its stderr ended with:\n{tail}");
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    Output { status, stdout: stdout.join().unwrap_or_default(), stderr: stderr.join().unwrap_or_default() }
}

/// stdout as text.
pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// stderr as text.
pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// The fakes' configuration with the key lines of `lines` (`key = value`,
/// one a line) set in `[env.fake-paymentsai]`: each replaces the line the
/// fakes wrote for that key, so no key is written twice.
pub fn replace_paymentsai_keys(config: &str, lines: &str) -> String {
    let (head, pai) = config.split_once("[env.fake-paymentsai]\n").expect("a fake-paymentsai environment");
    let keys: Vec<&str> = lines.lines().filter_map(|l| l.split_once(" = ").map(|(k, _)| k)).collect();
    let kept: Vec<&str> = pai.lines().filter(|l| !keys.iter().any(|k| l.starts_with(&format!("{k} = ")))).collect();
    format!("{head}[env.fake-paymentsai]\n{lines}{}\n", kept.join("\n"))
}

/// Writes `nimbus.toml` into `dir`: a third partner's pack of its own, this
/// `[pack]` table followed by `rest` (its inputs, schemes and probes).
pub fn write_nimbus_pack(dir: &Path, rest: &str) {
    let text = format!("[pack]\nname = \"nimbus\"\ntitle = \"Nimbus launch\"\nrunbook = \"Nimbus go-live\"\n\n{rest}");
    std::fs::write(dir.join("nimbus.toml"), text).expect("write nimbus.toml");
}

/// Parses a pack from text (named `test.toml` in errors).
pub fn pack_from(text: &str) -> Pack {
    pack::parse(golive::config::SourceFile { path: "test.toml".into(), text: text.into() })
        .unwrap_or_else(|e| panic!("test pack is valid:\n{e}"))
}

/// Builds a plan of one environment and pack and runs it.
pub async fn run_pack(env: Environment, pack: Pack, sel: &Selection, opts: &RunOptions) -> RunSummary {
    let plan = Plan::build("test", vec![(env, pack)], sel).unwrap_or_else(|e| panic!("plan builds:\n{e}"));
    runner::run(&plan, opts, &mut |_| {}).await
}

/// Runs the one probe of `probes` (its `[[probe]]` tables, under a test
/// `[pack]` header) with mutations allowed, and returns its report.
pub async fn run_probe(env: Environment, probes: &str) -> golive::report::ProbeReport {
    let text = format!("[pack]\nname = \"t\"\ntitle = \"T\"\nrunbook = \"t\"\n\n{probes}");
    let opts = RunOptions { allow_mutations: true, ..RunOptions::default() };
    let summary = run_pack(env, pack_from(&text), &Selection::default(), &opts).await;
    summary.probes.into_iter().next().expect("one probe")
}

/// An environment pointing at a base URL.
pub fn env_at(base_url: &str) -> Environment {
    Environment {
        name: "test".into(),
        pack: "test".into(),
        base_url: Some(reqwest::Url::parse(base_url).expect("valid url")),
        ..Environment::default()
    }
}

/// Ends the whole test run if the test holding it outlives `limit`: a hang
/// inside the test process (not only in a golive run) fails fast and says
/// which test, instead of running into CI's time limit without a word.
pub struct Watchdog {
    _stop: std::sync::mpsc::Sender<()>,
}

impl Watchdog {
    /// Starts watching; dropping the watchdog (the test ended) stops it.
    pub fn new(test: &'static str, limit: Duration) -> Watchdog {
        let (stop, stopped) = std::sync::mpsc::channel::<()>();
        std::thread::spawn(move || {
            if let Err(std::sync::mpsc::RecvTimeoutError::Timeout) = stopped.recv_timeout(limit) {
                use std::io::Write;
                // Written to stderr directly: the test harness captures `eprintln!`.
                let _ =
                    writeln!(std::io::stderr(), "\nwatchdog: test `{test}` still ran after {limit:?}; ending the run");
                std::process::exit(101);
            }
        });
        Watchdog { _stop: stop }
    }
}

/// The demo's environments of these fakes, each bound to its built-in pack:
/// their golive.toml, loaded as `--env demo` loads it.
pub fn demo_targets(fakes: &golive_fakes::Fakes) -> Vec<(Environment, Pack)> {
    golive::demo::targets(fakes).unwrap_or_else(|e| panic!("the fakes' golive.toml loads: {}", e.render(false)))
}

/// A merchant's receiver checking deliveries with golive's own verifier for
/// `scheme` (the tests of the `webhook` probe's diagnoses against every scheme).
struct GoliveVerifier {
    scheme: golive::config::scheme::Scheme,
    key: golive::webhook::Key,
}

impl golive_fakes::webhook::Verify for GoliveVerifier {
    fn verify(&self, headers: &http::HeaderMap, body: &[u8], check_timestamp: bool) -> Result<(), String> {
        let scheme = if check_timestamp { self.scheme.clone() } else { self.scheme.without_timestamp_check() };
        let now = golive::webhook::sign::now();
        golive::webhook::verify::verify(&scheme, &self.key, headers, body, now).map(|_| ()).map_err(|e| e.to_string())
    }

    fn ok_status(&self) -> u16 {
        self.scheme.expect_status.unwrap_or(200)
    }
}

/// Starts a fake receiver that verifies `scheme` with golive's verifier.
pub async fn receiver(
    scheme: &golive::config::scheme::Scheme,
    secret: &secrecy::SecretString,
    behaviour: golive_fakes::webhook::Behaviour,
) -> golive_fakes::Wiremock {
    let key = golive::webhook::Key::from_secret(scheme, secret).expect("the secret fits the scheme");
    golive_fakes::webhook::start(GoliveVerifier { scheme: scheme.clone(), key }, behaviour).await
}

/// A golive child stopped when the test ends, however it ends: SIGTERM first,
/// so it removes its fakes' private folder as a user's Ctrl-C would, then
/// SIGKILL if it is still running 10 s later.
pub struct StopOnDrop(pub Child);

impl Drop for StopOnDrop {
    fn drop(&mut self) {
        if !matches!(self.0.try_wait(), Ok(None)) {
            return;
        }
        let _ = Command::new("kill").args(["-TERM", &self.0.id().to_string()]).status();
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if !matches!(self.0.try_wait(), Ok(None)) {
                return;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}
