//! `golive webhook send` against a receiver built on the official Standard
//! Webhooks library (PyPI `standardwebhooks`, `tests/it/standard_webhooks_receiver.py`):
//! a custom pack's scheme (`[schemes.nimbus]`, from the preset) signs the
//! pack's sample event, the library accepts it, and with a wrong secret the
//! library refuses it and golive exits 1. `webhook sign|verify` take the same
//! pack scheme by name (`--pack`) or by the pack's file.
//!
//! The library comes from the venv `.ci/run` makes (`GOLIVE_PYTHON`); without
//! it these tests say so and pass, except with `CI=true`.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use crate::support::{golive_in, stderr, stdout};

/// A Python that imports `standardwebhooks`, or `None` (with a note) where it may be missing.
fn python() -> Option<PathBuf> {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("target"));
    let candidates: Vec<PathBuf> = std::env::var_os("GOLIVE_PYTHON")
        .map(PathBuf::from)
        .into_iter()
        .chain([target.join("pyvenv/bin/python"), PathBuf::from("python3")])
        .collect();
    for exe in candidates {
        let imports = Command::new(&exe)
            .args(["-c", "import standardwebhooks"])
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        if imports {
            return Some(exe);
        }
    }
    let ci = std::env::var("CI").is_ok_and(|v| v == "true" || v == "1");
    assert!(!ci, "CI=true but no Python imports standardwebhooks: .ci/run installs it and sets GOLIVE_PYTHON");
    eprintln!("no Python with standardwebhooks (set GOLIVE_PYTHON): the Standard Webhooks receiver test did not run");
    None
}

/// The receiver process, killed when dropped.
struct Receiver {
    child: Child,
    port: u16,
}

impl Receiver {
    fn start(python: &Path, secret: &str) -> Receiver {
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/it/standard_webhooks_receiver.py");
        let mut child = Command::new(python)
            .arg(script)
            .env("RECEIVER_SECRET", secret)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("the receiver starts");
        let mut line = String::new();
        BufReader::new(child.stdout.take().expect("piped stdout")).read_line(&mut line).expect("the receiver's port");
        let port = line.trim().parse().unwrap_or_else(|_| panic!("the receiver printed its port, not {line:?}"));
        Receiver { child, port }
    }
}

impl Drop for Receiver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The secrets of the test: Standard Webhooks' `whsec_` + base64.
const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
const WRONG: &str = "whsec_c2VjcmV0LW9mLWFub3RoZXItZW5kcG9pbnQ=";

/// A folder with a custom pack (its own scheme from the Standard Webhooks
/// preset, a webhook probe with a sample event) and a golive.toml pointing
/// its webhook at `port`.
fn nimbus(port: u16) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    crate::support::write_nimbus_pack(
        dir.path(),
        r#"[schemes.nimbus]
preset = "standard-webhooks"

[[probe]]
id = "nimbus-webhook"
kind = "webhook"
title = "The webhook endpoint verifies Nimbus signatures"
[probe.params]
scheme = "nimbus"
id_field = "id"
[probe.params.event]
id = "set-per-delivery"
type = "invoice.paid"
data = { invoice = "${invoice_id}", amount = 1200 }
"#,
    );
    std::fs::write(
        dir.path().join("golive.toml"),
        format!(
            r#"[env.staging]
pack = "nimbus.toml"
vars = {{ invoice_id = "inv_42" }}
webhook = {{ url = "http://127.0.0.1:{port}/hooks", secret = {{ env = "NIMBUS_WEBHOOK_SECRET" }} }}
"#
        ),
    )
    .expect("write golive.toml");
    dir
}

#[test]
fn webhook_send_is_verified_by_the_standard_webhooks_library_and_refused_with_a_wrong_secret() {
    let Some(python) = python() else { return };
    let receiver = Receiver::start(&python, SECRET);
    let dir = nimbus(receiver.port);

    let out = golive_in(dir.path(), &["webhook", "send", "--env", "staging"], &[("NIMBUS_WEBHOOK_SECRET", SECRET)]);
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(0), "{text}{}", stderr(&out));
    assert!(text.contains("(nimbus scheme,"), "the pack's own scheme signs: {text}");
    assert!(text.contains("webhook-signature: v1,"), "{text}");
    assert!(text.contains("answered 200") && text.contains("verified"), "{text}");
    assert!(!text.contains(SECRET) && !stderr(&out).contains(SECRET), "the secret is never printed");

    let out = golive_in(dir.path(), &["webhook", "send", "--env", "staging"], &[("NIMBUS_WEBHOOK_SECRET", WRONG)]);
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(1), "a refused event is exit 1: {text}{}", stderr(&out));
    assert!(text.contains("answered 400") && text.contains("refused: No matching signature found"), "{text}");

    // Your own event from a file, signed the same way.
    std::fs::write(dir.path().join("event.json"), r#"{"type":"invoice.voided"}"#).expect("write the event");
    let out = golive_in(
        dir.path(),
        &["webhook", "send", "--env", "staging", "--event", "event.json"],
        &[("NIMBUS_WEBHOOK_SECRET", SECRET)],
    );
    assert_eq!(out.status.code(), Some(0), "{}{}", stdout(&out), stderr(&out));
}

#[test]
fn webhook_send_with_no_answer_is_exit_3_and_without_a_webhook_says_what_to_add() {
    // A port nothing listens on: bound, then released.
    let port = std::net::TcpListener::bind("127.0.0.1:0").expect("bind").local_addr().expect("addr").port();
    let dir = nimbus(port);
    let out = golive_in(dir.path(), &["webhook", "send", "--env", "staging"], &[("NIMBUS_WEBHOOK_SECRET", SECRET)]);
    assert_eq!(out.status.code(), Some(3), "{}{}", stdout(&out), stderr(&out));
    assert!(stdout(&out).contains("no answer"), "{}", stdout(&out));

    std::fs::write(dir.path().join("golive.toml"), "[env.staging]\npack = \"nimbus.toml\"\n").expect("rewrite");
    let out = golive_in(dir.path(), &["webhook", "send", "--env", "staging"], &[]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("has no `webhook`") && stderr(&out).contains("[env.staging]"), "{}", stderr(&out));
}

#[test]
fn webhook_sign_takes_a_pack_scheme_by_name_or_by_the_pack_file() {
    let dir = nimbus(9);
    let env = [("NIMBUS_WEBHOOK_SECRET", SECRET)];
    let sign = |scheme_args: &[&str]| {
        let mut args = vec![
            "webhook",
            "sign",
            "--secret-env",
            "NIMBUS_WEBHOOK_SECRET",
            "--id",
            "msg_1",
            "--timestamp",
            "1700000000",
        ];
        args.extend_from_slice(scheme_args);
        let out = golive_in(dir.path(), &args, &env);
        assert_eq!(out.status.code(), Some(0), "{args:?}: {}", stderr(&out));
        stdout(&out)
    };
    let by_name = sign(&["--pack", "nimbus.toml", "--scheme", "nimbus"]);
    let by_file = sign(&["--scheme", "nimbus.toml"]);
    let preset = sign(&["--scheme", "standard-webhooks"]);
    assert!(by_name.contains("webhook-signature: v1,"), "{by_name}");
    assert_eq!(by_name, by_file, "the same scheme, named or by its pack file");
    assert_eq!(by_name, preset, "nimbus is the Standard Webhooks preset");

    let out = golive_in(
        dir.path(),
        &["webhook", "sign", "--secret-env", "NIMBUS_WEBHOOK_SECRET", "--scheme", "nimbus"],
        &env,
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("--pack PATH --scheme NAME"), "how to name a pack's scheme: {}", stderr(&out));
}
