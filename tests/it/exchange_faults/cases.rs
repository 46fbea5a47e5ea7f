//! Each fault as one run of `golive key exchange` (or `verify`) against the
//! TLS partner: the tests assert what each must say, and the reliability table
//! runs them all and counts the keys kept.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use super::partner::{
    Answer, Behaviour, Partner, Running, SECRET, Setup, TEMPORAL, assert_kept_or_not_sent, key_json, until,
};

/// One run under a fault, and what is left of it.
pub struct Ran {
    /// The exit code (128 + n when a signal ended it).
    pub code: i32,
    /// stdout and stderr.
    pub said: String,
    /// Exchanges the partner received.
    pub patches: usize,
    /// The run's folder.
    pub setup: Setup,
    /// Where golive wrote → where that is now (a tmpfs copied out).
    pub moved: Option<(PathBuf, PathBuf)>,
}

impl Ran {
    async fn of(run: Running, partner: &Partner, setup: Setup) -> Ran {
        let (code, said) = run.wait().await;
        partner.release();
        Ran { code, said, patches: partner.patches(), setup, moved: None }
    }

    /// A file of the run's folder.
    pub fn file(&self, rel: &str) -> PathBuf {
        self.setup.path().join(rel)
    }

    /// The suite's invariant (see [`assert_kept_or_not_sent`]).
    pub fn assert_kept_or_not_sent(&self, case: &str) {
        let moved: Vec<(&Path, &Path)> = self.moved.iter().map(|(a, b)| (a.as_path(), b.as_path())).collect();
        assert_kept_or_not_sent(case, self.patches, &self.said, self.setup.path(), &moved);
    }

    /// Whether the invariant holds and the key went out at most once.
    pub fn kept_or_not_sent(&self) -> bool {
        std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| self.assert_kept_or_not_sent(""))).is_ok()
    }
}

/// Runs the exchange against `answer` and waits for it.
pub async fn answered(answer: Answer) -> Ran {
    let partner = Partner::start(answer, Behaviour::default()).await;
    let setup = Setup::new(&partner);
    let run = Running::spawn(setup.command(&[], "out/cli.key"));
    Ran::of(run, &partner, setup).await
}

/// `golive -vv key exchange … ` with stdout and stderr into pipes nobody
/// reads (`2>&1 | head -1` at its harshest).
pub async fn closed_outputs() -> Ran {
    let partner = Partner::start(Answer::Body(key_json()), Behaviour::default()).await;
    let setup = Setup::new(&partner);
    let closed = || {
        let (reader, writer) = std::io::pipe().expect("pipe");
        drop(reader);
        Stdio::from(writer)
    };
    let mut cmd = setup.command(&["-vv"], "out/cli.key");
    let status = tokio::task::spawn_blocking(move || cmd.stdout(closed()).stderr(closed()).status())
        .await
        .expect("joined")
        .expect("golive runs");
    use std::os::unix::process::ExitStatusExt;
    let code = status.code().or(status.signal().map(|s| 128 + s)).unwrap_or(-1);
    // Nothing was said where anyone could read it: the run names its files by configuration.
    let said = "out/cli.key out/cli.key.answer".to_string();
    Ran { code, said, patches: partner.patches(), setup, moved: None }
}

/// The answer's body split: the key whole in the first part, the last byte after.
pub fn key_then_end() -> (Vec<u8>, Vec<u8>) {
    let body = key_json();
    (body[..body.len() - 1].to_vec(), body[body.len() - 1..].to_vec())
}

/// `signal` once the first part of a stalled answer is on disk, `again` times.
pub async fn signalled_while_streaming(signal: &str, times: usize) -> Ran {
    let (first, rest) = key_then_end();
    let partner = Partner::start(Answer::Stall { first: first.clone(), rest }, Behaviour::default()).await;
    let setup = Setup::new(&partner);
    let run = Running::spawn(setup.command(&[], "out/cli.key"));
    let answer = setup.path().join("out/cli.key.answer");
    // Written as it arrives: the first part is on disk while the partner waits.
    until("the first part on disk", || std::fs::read(&answer).is_ok_and(|b| b.ends_with(&first))).await;
    run.signal(signal);
    run.until("the signal is held", |s| s.contains("is in flight")).await;
    if times > 1 {
        run.signal(signal);
    } else {
        partner.release();
    }
    Ran::of(run, &partner, setup).await
}

/// SIGTERM while the TLS handshake is held, then again.
pub async fn stopped_in_the_handshake() -> Ran {
    let behaviour = Behaviour { gate_handshake: true, ..Behaviour::default() };
    let partner = Partner::start(Answer::Body(key_json()), behaviour).await;
    let setup = Setup::new(&partner);
    let run = Running::spawn(setup.command(&[], "out/cli.key"));
    until("golive connects", || partner.accepted() > 0).await;
    run.signal("TERM");
    run.until("the signal is held", |s| s.contains("is in flight")).await;
    run.signal("TERM");
    Ran::of(run, &partner, setup).await
}

/// SIGTERM `delay_ms` after the start, whatever phase that is.
pub async fn sigterm_after(delay_ms: u64) -> Ran {
    let partner = Partner::start(Answer::Body(key_json()), Behaviour::default()).await;
    let setup = Setup::new(&partner);
    let run = Running::spawn(setup.command(&[], "out/cli.key"));
    tokio::time::sleep(Duration::from_millis(delay_ms)).await;
    run.signal("TERM");
    Ran::of(run, &partner, setup).await
}

/// Two more exchanges while one is receiving its answer: one for the same key
/// file, one for another with the same state file. Returns the first run and
/// the two others' exit codes and output.
pub async fn concurrent() -> (Ran, (i32, String), (i32, String)) {
    let body = key_json();
    let (first, rest) = (body[..5].to_vec(), body[5..].to_vec());
    let partner = Partner::start(Answer::Stall { first, rest }, Behaviour::default()).await;
    let setup = Setup::new(&partner);
    let a = Running::spawn(setup.command(&[], "out/a.key"));
    until("the first exchange is sent", || partner.patches() == 1).await;
    let same = Running::spawn(setup.command(&[], "out/a.key")).wait().await;
    let other = Running::spawn(setup.command(&[], "out/b.key")).wait().await;
    partner.release();
    (Ran::of(a, &partner, setup).await, same, other)
}

/// `verify --allow-mutations` with the exchange probe, SIGTERM twice while
/// the answer streams in.
pub async fn verify_stopped_mid_answer() -> Ran {
    let (first, rest) = key_then_end();
    let partner = Partner::start(Answer::Stall { first: first.clone(), rest }, Behaviour::default()).await;
    let setup = Setup::new(&partner);
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_golive"));
    cmd.args(["verify", "--env", "production", "--only", "pai-key-exchange", "--allow-mutations", "--no-progress"])
        .args(["--timeout", "60s"])
        .current_dir(setup.path())
        .env("NO_COLOR", "1")
        .env("T_KEY", TEMPORAL)
        .env("T_SECRET", SECRET)
        .stdin(Stdio::null());
    let run = Running::spawn(cmd);
    let answer = setup.path().join("out/probe.key.answer");
    until("the first part on disk", || std::fs::read(&answer).is_ok_and(|b| b.ends_with(&first))).await;
    run.signal("TERM");
    run.until("the signal is held", |s| s.contains("is in flight")).await;
    run.signal("TERM");
    Ran::of(run, &partner, setup).await
}

/// Whether this machine lets an unprivileged user mount a tmpfs in a user
/// and mount namespace (`unshare --map-root-user --mount`); why not, if not.
pub fn namespaces() -> Result<(), String> {
    let out = Command::new("unshare")
        .args(["--map-root-user", "--mount", "sh", "-c", "mount -t tmpfs -o size=1m tmpfs /mnt"])
        .output()
        .map_err(|e| format!("unshare cannot run: {e}"))?;
    if out.status.success() { Ok(()) } else { Err(String::from_utf8_lossy(&out.stderr).trim().to_string()) }
}

/// `golive key exchange` inside a user mount namespace with a tmpfs of `size`
/// on `mnt` (the key files go there); what the tmpfs holds at the end is
/// copied (modes kept) to `copy`.
fn on_tmpfs(setup: &Setup, size: &str, mnt: &Path, copy: &Path) -> Command {
    let script = format!(
        "mount -t tmpfs -o size={size} tmpfs \"$0\" || exit 97; \"$@\"; rc=$?; cp -a \"$0\"/. \"$COPY\"/; exit $rc"
    );
    let inner = setup.command(&[], &mnt.join("cli.key").to_string_lossy());
    let mut cmd = Command::new("unshare");
    cmd.args(["--map-root-user", "--mount", "sh", "-c", &script])
        .arg(mnt)
        .arg(inner.get_program())
        .args(inner.get_args())
        .current_dir(setup.path())
        .env("COPY", copy)
        .env("NO_COLOR", "1")
        .env("T_KEY", TEMPORAL)
        .env("T_SECRET", SECRET)
        .stdin(Stdio::null());
    cmd
}

/// The exchange with its key files on a tmpfs of `size`; with `fill`, the
/// partner fills that tmpfs up when the request arrives, before it answers.
pub async fn on_a_small_disk(size: &str, fill: bool) -> Ran {
    let target: Arc<Mutex<Option<PathBuf>>> = Arc::default();
    let filler = target.clone();
    let on_patch: Arc<dyn Fn() + Send + Sync> = Arc::new(move || {
        let Some(path) = filler.lock().expect("lock").clone() else { return };
        let mut file = std::fs::File::create(path).expect("the filler");
        let block = vec![0u8; 64 * 1024];
        while std::io::Write::write_all(&mut file, &block).is_ok() {}
    });
    let behaviour = Behaviour { on_patch: fill.then_some(on_patch), ..Behaviour::default() };
    let partner = Partner::start(Answer::Body(key_json()), behaviour).await;
    let setup = Setup::new(&partner);
    let (mnt, copy) = (setup.path().join("mnt"), setup.path().join("copy"));
    for d in [&mnt, &copy] {
        std::fs::create_dir_all(d).expect("dir");
    }
    let run = Running::spawn(on_tmpfs(&setup, size, &mnt, &copy));
    // The namespace's view of the tmpfs, through the shell that holds it.
    let root = PathBuf::from(format!("/proc/{}/root", run.child.id()));
    *target.lock().expect("lock") = Some(root.join(mnt.strip_prefix("/").expect("absolute")).join("filler"));
    let mut ran = Ran::of(run, &partner, setup).await;
    ran.moved = Some((mnt, copy));
    ran
}

/// Every fault once, named, for the reliability table (the tmpfs cases only
/// where namespaces work).
pub async fn catalogue() -> Vec<(String, Ran)> {
    let mut out = vec![("closed stdout and stderr".to_string(), closed_outputs().await)];
    for signal in ["INT", "TERM", "HUP"] {
        out.push((
            format!("SIG{signal} twice while the answer streams in"),
            signalled_while_streaming(signal, 2).await,
        ));
    }
    out.push(("SIGTERM held while the answer streams in".into(), signalled_while_streaming("TERM", 1).await));
    out.push(("SIGTERM twice during the TLS handshake".into(), stopped_in_the_handshake().await));
    for delay in [0, 20, 80] {
        out.push((format!("SIGTERM {delay} ms after the start"), sigterm_after(delay).await));
    }
    let (first, _, _) = concurrent().await;
    out.push(("two more exchanges during one".into(), first));
    out.push(("verify stopped while the answer streams in".into(), verify_stopped_mid_answer().await));
    let big = format!(r#"{{"padding":"{}","apiKey":"{}","apiKeyId":"k"}}"#, "x".repeat(2 << 20), super::partner::KEY);
    out.push(("a 2 MiB answer".into(), answered(Answer::Body(big.into_bytes())).await));
    out.push(("a 20 MiB answer".into(), answered(huge()).await));
    for (what, body, _) in super::hostile() {
        out.push((format!("a key with {what}"), answered(Answer::Body(body)).await));
    }
    if namespaces().is_ok() {
        out.push(("a disk too small for the answer".into(), on_a_small_disk("512k", false).await));
        out.push(("a disk that fills up during the request".into(), on_a_small_disk("4m", true).await));
    }
    out
}

/// A 200 of 20 MiB with the key at its start.
pub fn huge() -> Answer {
    let prefix = format!(r#"{{"apiKey":"{}","apiKeyId":"{}","padding":""#, super::partner::KEY, super::partner::KEY_ID)
        .into_bytes();
    Answer::Huge { prefix, len: 20 * 1024 * 1024 }
}
