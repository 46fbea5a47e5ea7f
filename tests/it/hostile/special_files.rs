//! Special files where golive expects a regular one: a FIFO (named pipe) with
//! no writer, `/dev/zero`, a file past its bound. Each is refused at once with
//! exit 2 naming what it is, never read without end, never waited on; a
//! report aimed at a FIFO nobody reads is a lost output, not a hang.

use std::path::Path;
use std::process::Stdio;
use std::time::Duration;

use super::{Tally, golive, wait_within};

/// A set-up in a fresh folder and what golive must give.
pub struct Case {
    /// What is special.
    pub name: &'static str,
    /// golive's arguments (run in the folder).
    args: &'static [&'static str],
    /// Writes the folder's files.
    make: fn(&Path),
    /// The exit code expected.
    code: i32,
    /// What stdout or stderr must say.
    says: &'static str,
}

fn fifo(path: &Path) {
    let ok = std::process::Command::new("mkfifo").arg(path).status().expect("mkfifo runs").success();
    assert!(ok, "mkfifo {}", path.display());
}

fn config(dir: &Path, body: &str) {
    std::fs::write(
        dir.join("golive.toml"),
        format!("[env.staging]\npack = \"axys\"\nbase_url = \"https://api.example.test\"\n{body}"),
    )
    .expect("config");
}

/// Every special file tried.
pub fn cases() -> Vec<Case> {
    vec![
        Case {
            name: "--config is a FIFO",
            args: &["verify", "--env", "staging", "--config", "fifo.toml"],
            make: |d| fifo(&d.join("fifo.toml")),
            code: 2,
            says: "FIFO",
        },
        Case {
            name: "the pack is a FIFO",
            args: &["verify", "--env", "staging"],
            make: |d| {
                fifo(&d.join("pack.toml"));
                std::fs::write(d.join("golive.toml"), "[env.staging]\npack = \"pack.toml\"\n").expect("config");
            },
            code: 2,
            says: "FIFO",
        },
        Case {
            name: "a secret file is a FIFO",
            args: &["verify", "--env", "staging"],
            make: |d| {
                fifo(&d.join("key"));
                config(d, "api_key = { file = \"key\" }\n");
            },
            code: 2,
            says: "FIFO",
        },
        Case {
            name: "--config is /dev/zero",
            args: &["verify", "--env", "staging", "--config", "/dev/zero"],
            make: |_| {},
            code: 2,
            says: "character device",
        },
        Case {
            name: "the pack is /dev/zero",
            args: &["verify", "--env", "staging"],
            make: |d| std::fs::write(d.join("golive.toml"), "[env.staging]\npack = \"/dev/zero\"\n").expect("config"),
            code: 2,
            says: "character device",
        },
        Case {
            name: "a secret file is /dev/zero",
            args: &["verify", "--env", "staging"],
            make: |d| config(d, "api_key = { file = \"/dev/zero\" }\n"),
            code: 2,
            says: "character device",
        },
        Case {
            name: "a configuration file past its bound (a 5 GiB sparse file)",
            args: &["verify", "--env", "staging", "--config", "big.toml"],
            make: |d| std::fs::File::create(d.join("big.toml")).and_then(|f| f.set_len(5 << 30)).expect("sparse file"),
            code: 2,
            says: "larger than",
        },
        Case {
            name: "report merge of /dev/zero",
            args: &["report", "merge", "/dev/zero"],
            make: |_| {},
            code: 2,
            says: "character device",
        },
        Case {
            name: "checklist --from a FIFO",
            args: &["checklist", "--env", "staging", "--from", "run.json"],
            make: |d| {
                fifo(&d.join("run.json"));
                config(d, "");
            },
            code: 2,
            says: "FIFO",
        },
        Case {
            name: "a client certificate that is /dev/zero",
            args: &["cert", "inspect", "/dev/zero"],
            make: |_| {},
            code: 3,
            says: "character device",
        },
        Case {
            name: "evidence verify of a folder whose signature is /dev/zero",
            args: &["evidence", "verify", "."],
            make: |d| {
                std::fs::write(d.join("MANIFEST.sha256"), "x\n").expect("manifest");
                std::os::unix::fs::symlink("/dev/zero", d.join("MANIFEST.sig")).expect("symlink");
            },
            code: 1,
            says: "MANIFEST.sig: cannot be read: it is a character device",
        },
        Case {
            name: "evidence verify of a folder whose manifest is a FIFO",
            args: &["evidence", "verify", "."],
            make: |d| fifo(&d.join("MANIFEST.sha256")),
            code: 2,
            says: "FIFO",
        },
        Case {
            name: "--report to a FIFO nobody reads",
            args: &["verify", "--env", "demo", "--only", "axys-tls", "--no-progress", "--report", "json=out.json"],
            make: |d| fifo(&d.join("out.json")),
            code: 4,
            says: "nothing reads from this pipe",
        },
    ]
}

/// Runs one case in a fresh folder, killing it if it hangs.
pub fn check(case: &Case) -> Result<(), String> {
    let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
    (case.make)(dir.path());
    let stdout = tempfile::tempfile().map_err(|e| e.to_string())?;
    let child = golive(case.args)
        .current_dir(dir.path())
        .stdout(Stdio::from(stdout.try_clone().map_err(|e| e.to_string())?))
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| e.to_string())?;
    let ended = wait_within(child, Duration::from_secs(60))?;
    let mut said = String::new();
    std::io::Seek::rewind(&mut &stdout).map_err(|e| e.to_string())?;
    std::io::Read::read_to_string(&mut &stdout, &mut said).map_err(|e| e.to_string())?;
    said.push_str(&ended.stderr);
    if ended.code != Some(case.code) {
        return Err(format!("exit {:?}, expected {}: {said}", ended.code, case.code));
    }
    if !said.contains(case.says) {
        return Err(format!("does not say `{}`: {said}", case.says));
    }
    Ok(())
}

/// Every case tried.
pub fn tally() -> Tally {
    Tally::of(&cases(), |c| c.name.to_string(), check)
}

/// A FIFO as secret file, pack or --config hung forever (SIGTERM ignored);
/// /dev/zero as config, pack or secret was read until the OOM killer came.
#[cfg(unix)]
#[test]
fn fifos_and_dev_zero_are_refused_at_once_never_waited_on_or_read_without_end() {
    tally().assert_held();
}
