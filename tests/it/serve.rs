//! `golive fake serve`: prints its addresses and a golive.toml that works,
//! keeps serving until Ctrl-C, then stops cleanly.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::Duration;

use crate::support::{StopOnDrop, golive_in, stderr, stdout};

#[test]
fn fake_serve_prints_a_working_config_and_stops_on_ctrl_c() {
    // Reading its stdout or waiting for it would block forever if it hung.
    let _watchdog = crate::support::Watchdog::new("serve", Duration::from_secs(300));
    let (mut child, printed) = serve_until(&["--variant", "default"], "Save the lines above");
    let mut lines = printed.lines();
    assert_eq!(lines.next(), Some("golive fakes running (scenario healthy, variant default):"));
    let config: String = lines
        .skip_while(|l| !l.starts_with("# golive.toml"))
        .take_while(|l| !l.starts_with("Save the lines above"))
        .map(|l| format!("{l}\n"))
        .collect();
    assert!(config.contains("[env.fake-axys]") && config.contains("[env.fake-paymentsai]"), "{config}");
    assert!(config.starts_with("# golive.toml for the running fakes (scenario healthy, variant default)"), "{config}");
    let dir = tempfile::tempdir().expect("dir");
    std::fs::write(dir.path().join("golive.toml"), &config).expect("write config");
    for env in ["fake-axys", "fake-paymentsai"] {
        let out = golive_in(dir.path(), &["verify", "--env", env], &[]);
        assert_eq!(out.status.code(), Some(0), "{env}:\n{}{}\n{config}", stdout(&out), stderr(&out));
    }
    let killed = Command::new("kill").args(["-INT", &child.0.id().to_string()]).status().expect("kill runs");
    assert!(killed.success());
    let status = child.0.wait().expect("golive ends");
    assert_eq!(status.code(), Some(130), "Ctrl-C stops the fakes cleanly: 128 + SIGINT, as the exit codes say");
}

/// Starts `golive fake serve ARGS` and reads its stdout up to the line that
/// says where the configuration went; returns the child and what it printed.
fn serve_until(args: &[&str], until: &str) -> (StopOnDrop, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_golive"))
        .args(["fake", "serve"])
        .args(args)
        .env("NO_COLOR", "1")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map(StopOnDrop)
        .expect("golive starts");
    let mut reader = BufReader::new(child.0.stdout.take().expect("stdout"));
    let mut seen = String::new();
    let mut line = String::new();
    while reader.read_line(&mut line).expect("stdout line") > 0 {
        seen.push_str(&line);
        if line.contains(until) {
            break;
        }
        line.clear();
    }
    std::thread::spawn(move || std::io::copy(&mut reader, &mut std::io::sink()));
    (child, seen)
}

#[test]
fn fake_serve_writes_a_config_that_runs_with_allow_mutations_and_the_key_exchange_has_its_stage() {
    let _watchdog = crate::support::Watchdog::new("serve --write-config", Duration::from_secs(300));
    let dir = tempfile::tempdir().expect("dir");
    let path = dir.path().join("fakes.toml");
    let (_child, printed) = serve_until(&["--write-config", path.to_str().expect("utf-8")], "written to");
    assert!(printed.contains(&format!("written to {}", path.display())), "{printed}");
    assert!(!printed.contains("[env."), "stdout carries the status lines only: {printed}");
    let config = std::fs::read_to_string(&path).expect("the config was written");
    for key in ["temporal_api_key = { file = ", "account_secret = { file = ", "permanent_key_file = ", "state_file = "]
    {
        assert!(config.contains(key), "the fakes' {key} is in the config: {config}");
    }
    // Both environments in one run, mutations allowed: the key exchange runs
    // with the fakes' temporal key (the PaymentsAI fake also plays production).
    let args =
        ["verify", "--config", "fakes.toml", "--env", "fake-axys", "--env", "fake-paymentsai", "--allow-mutations"];
    let out = golive_in(dir.path(), &[&args[..], &["--format", "json"]].concat(), &[]);
    assert_eq!(out.status.code(), Some(0), "{}{}", stdout(&out), stderr(&out));
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    let exchange = doc["probes"].as_array().expect("probes").iter().find(|p| p["id"] == "pai-key-exchange");
    assert_eq!(exchange.map(|p| p["status"].clone()), Some(serde_json::json!("pass")), "{doc:#}");
    // A staging environment (no extra stage) leaves the Stage 5 exchange out, saying why: no --skip needed.
    std::fs::write(dir.path().join("staging.toml"), config.replace("extra_stages = [\"production\"]\n", ""))
        .expect("write");
    let list = golive_in(dir.path(), &["list", "--config", "staging.toml", "--env", "fake-paymentsai"], &[]);
    let text = stdout(&list);
    let off = text.split("Off in this environment").nth(1).unwrap_or_else(|| panic!("an off list: {text}"));
    assert!(off.contains("pai-key-exchange: runs only against a production environment"), "{off}");
}

#[test]
fn fake_serve_never_replaces_a_config_it_did_not_write() {
    let dir = tempfile::tempdir().expect("dir");
    let mine = dir.path().join("golive.toml");
    std::fs::write(&mine, "[env.staging]\npack = \"axys\"\n").expect("write");
    let out = golive_in(dir.path(), &["fake", "serve", "--write-config", "golive.toml"], &[]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("was not written by `golive fake serve`"), "{}", stderr(&out));
    assert_eq!(std::fs::read_to_string(&mine).expect("read"), "[env.staging]\npack = \"axys\"\n");
}

/// The values of `[env.FROM]` of a fakes' configuration, set in `[env.TO]`
/// of a golive.toml (what a user fills in after `golive init`), through
/// toml_edit so init's comments stay.
fn fill_from(config: &mut toml_edit::DocumentMut, fakes: &toml_edit::DocumentMut, from: &str, to: &str) {
    let source = fakes["env"][from].as_table().unwrap_or_else(|| panic!("[env.{from}]")).clone();
    let target = config["env"][to].as_table_mut().unwrap_or_else(|| panic!("[env.{to}]"));
    for (key, value) in source.iter().filter(|(k, _)| *k != "pack") {
        target.insert(key, value.clone());
    }
}

/// Acceptance (issue 27, item 1): one golive.toml made by two `golive init`
/// calls (axys, paymentsai), its values those of `golive fake serve`'s fakes,
/// runs both environments with one `verify`: one report, each probe under its
/// environment, exit 0; a `[group.NAME]` runs the same.
#[test]
fn two_inits_make_one_config_whose_environments_run_in_one_verify_against_fake_serve() {
    let _watchdog = crate::support::Watchdog::new("two inits, one verify", Duration::from_secs(300));
    let dir = tempfile::tempdir().expect("dir");
    let fakes_path = dir.path().join("fakes.toml");
    let (_child, _) = serve_until(&["--write-config", fakes_path.to_str().expect("utf-8")], "written to");
    for (pack, env) in [("axys", "axys"), ("paymentsai", "paymentsai")] {
        let out = golive_in(dir.path(), &["init", "--pack", pack, "--env", env], &[]);
        assert_eq!(out.status.code(), Some(0), "init {pack}: {}", stderr(&out));
    }
    let written = std::fs::read_to_string(dir.path().join("golive.toml")).expect("golive.toml");
    assert!(written.contains("[env.axys]") && written.contains("[env.paymentsai]"), "{written}");
    let mut config: toml_edit::DocumentMut = written.parse().expect("golive.toml parses");
    let fakes: toml_edit::DocumentMut =
        std::fs::read_to_string(&fakes_path).expect("fakes.toml").parse().expect("TOML");
    fill_from(&mut config, &fakes, "fake-axys", "axys");
    fill_from(&mut config, &fakes, "fake-paymentsai", "paymentsai");
    let filled = config.to_string();
    assert!(filled.contains("# Added by `golive init`: pack `paymentsai`"), "init's comments stay: {filled}");
    std::fs::write(
        dir.path().join("golive.toml"),
        format!("{filled}\n[group.launch]\nenvs = [\"axys\", \"paymentsai\"]\n"),
    )
    .expect("write golive.toml");

    for envs in [&["--env", "axys", "--env", "paymentsai"][..], &["--env", "launch"]] {
        let mut args = vec!["verify", "--format", "json", "--no-progress"];
        args.extend_from_slice(envs);
        let out = golive_in(dir.path(), &args, &[]);
        assert_eq!(out.status.code(), Some(0), "{envs:?}:\n{}{}", stdout(&out), stderr(&out));
        let doc: serde_json::Value = serde_json::from_slice(&out.stdout).expect("one JSON report");
        let probes = doc["probes"].as_array().expect("probes");
        let env_of = |id: &str| probes.iter().find(|p| p["id"] == id).map(|p| p["env"].clone());
        assert_eq!(env_of("axys-auth"), Some(serde_json::json!("axys")), "{doc:#}");
        assert_eq!(env_of("pai-api-key"), Some(serde_json::json!("paymentsai")), "{doc:#}");
        assert_eq!(doc["packs"], serde_json::json!(["axys", "paymentsai"]));
    }
    // The readable report puts each probe under its environment.
    let out = golive_in(dir.path(), &["verify", "--env", "launch", "--no-progress"], &[]);
    let text = stdout(&out);
    assert!(text.contains("env axys › ") && text.contains("env paymentsai › "), "{text}");

    // One pack in two environments: its probe ids are qualified by environment,
    // and a bare id selects the probe in both.
    let mut twice = fakes.clone();
    let copy = twice["env"]["fake-axys"].clone();
    twice["env"]["axys-b"] = copy;
    std::fs::write(dir.path().join("twice.toml"), twice.to_string()).expect("write");
    let args = ["verify", "--config", "twice.toml", "--env", "fake-axys", "--env", "axys-b", "--only", "axys-auth"];
    let out = golive_in(dir.path(), &[&args[..], &["--format", "json"]].concat(), &[]);
    assert_eq!(out.status.code(), Some(0), "{}{}", stdout(&out), stderr(&out));
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    let ids: Vec<&str> = doc["probes"].as_array().expect("probes").iter().filter_map(|p| p["id"].as_str()).collect();
    for id in ["fake-axys/axys-auth", "axys-b/axys-auth", "fake-axys/axys-cert", "axys-b/axys-cert"] {
        assert!(ids.contains(&id), "{id} in {ids:?}");
    }
}
