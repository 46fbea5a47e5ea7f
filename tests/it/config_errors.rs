//! Configuration errors: every fixture in fixtures/config/ gives its exact
//! message (file, line, column, caret, suggestion) and exit code 2.
//!
//! `GOLIVE_BLESS=1 cargo test config_errors` rewrites the `.expected` files;
//! review the diff before committing.

use std::path::Path;

use crate::support::{golive, stderr, stdout};

/// (fixture, environment, why it must fail)
const TABLE: &[(&str, &str, &str)] = &[
    ("invalid-unknown-key", "staging", "unknown key, with a suggestion"),
    ("invalid-literal-secret", "staging", "literal secret, value hidden"),
    ("invalid-secret-env-unset", "staging", "secret env var unset"),
    ("invalid-missing-cert", "staging", "missing cert file"),
    ("invalid-bad-url", "staging", "bad URL"),
    ("invalid-bad-duration", "staging", "bad duration"),
    ("invalid-duration-overflow", "staging", "a duration past the clock's range, with the allowed range"),
    ("invalid-unknown-feature", "staging", "a misspelt optional feature, with a suggestion and the pack's features"),
    ("invalid-temporal-key-issued-at", "production", "a temporal key issue time without a time zone"),
    ("invalid-unknown-pack", "staging", "unknown pack"),
    ("invalid-missing-pack-file", "staging", "pack file that does not exist, at the line naming it"),
    ("invalid-unknown-probe-kind", "staging", "unknown probe kind"),
    ("invalid-dependency-cycle", "staging", "dependency cycle"),
    ("invalid-duplicate-probe-id", "staging", "duplicate probe id"),
    ("invalid-diagnosis-status", "staging", "a diagnosis status that is neither a status nor a class"),
    ("invalid-unknown-input", "production", "unknown key, listing the inputs the pack declares"),
    ("invalid-literal-input-secret", "production", "a secret input written as a literal, value hidden"),
    ("invalid-diagnosis-error-class", "staging", "an error class with a typo, with a suggestion"),
    ("valid-two-envs", "prod", "unknown environment, listing the known ones"),
    ("invalid-key-types", "staging", "a value of the wrong type, at its key with an example, each one at once"),
    ("invalid-many-errors", "staging", "every error of the file at once, in file order"),
    ("invalid-too-many-errors", "staging", "the first ten errors, the rest counted"),
    ("invalid-pack-errors", "staging", "every probe's error of a pack at once"),
    (
        "invalid-single-request-step-key",
        "staging",
        "a step key (`capture`) in the one request of an mtls probe, saying it belongs to http steps",
    ),
];

#[test]
fn every_invalid_config_gives_its_exact_message_and_exit_2() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let bless = std::env::var_os("GOLIVE_BLESS").is_some();
    let mut failures = Vec::new();
    for (name, env, why) in TABLE {
        let config = format!("fixtures/config/{name}.toml");
        // `verify` reads the secrets (`list` needs none of their values).
        let out = golive(&["verify", "--env", env, "--config", &config]);
        let expected_path = root.join(format!("fixtures/config/{name}.expected"));
        let got = stderr(&out);
        if bless {
            std::fs::write(&expected_path, &got).expect("write expected");
        }
        let expected = std::fs::read_to_string(&expected_path).unwrap_or_default();
        if out.status.code() != Some(2) || got != expected || !stdout(&out).is_empty() {
            failures
                .push(format!("{name} ({why}): exit {:?}\n--- expected\n{expected}--- got\n{got}", out.status.code()));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn every_invalid_fixture_is_in_the_table() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/config");
    for entry in std::fs::read_dir(dir).expect("fixtures/config exists") {
        let name = entry.expect("entry").file_name().to_string_lossy().into_owned();
        if let Some(stem) = name.strip_suffix(".toml") {
            assert!(TABLE.iter().any(|(n, _, _)| *n == stem), "{name} has no row in the table");
        }
    }
}

#[test]
fn a_literal_secret_never_reaches_the_terminal() {
    let out = golive(&["list", "--env", "staging", "--config", "fixtures/config/invalid-literal-secret.toml"]);
    let all = format!("{}{}", stdout(&out), stderr(&out));
    assert!(!all.contains("CANARY"), "{all}");
}

#[test]
fn a_missing_config_file_says_how_to_start() {
    let out = golive(&["verify", "--env", "staging", "--config", "fixtures/config/does-not-exist.toml"]);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(err.contains("no configuration file at fixtures/config/does-not-exist.toml"), "{err}");
    assert!(
        err.contains("golive init --pack axys --env staging --output fixtures/config/does-not-exist.toml"),
        "it points at golive init, for this environment and file: {err}"
    );
    assert!(err.contains("--env demo"), "{err}");
    // The default file: the command needs no --output.
    let dir = tempfile::tempdir().expect("tempdir");
    let out = crate::support::golive_in(dir.path(), &["list", "--env", "production"], &[]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("`golive init --pack axys --env production`"), "{}", stderr(&out));
}

#[test]
fn relative_paths_resolve_against_the_config_folder_and_secrets_from_files() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::create_dir(dir.path().join("secrets")).expect("mkdir");
    std::fs::write(dir.path().join("secrets/api_key"), "key-from-file\n").expect("write");
    let config = dir.path().join("golive.toml");
    std::fs::write(
        &config,
        "[env.staging]\npack = \"axys\"\nbase_url = \"https://staging.api.axyscards.com/v2\"\napi_key = { file = \"secrets/api_key\" }\n",
    )
    .expect("write config");
    let (env, pack) = golive::config::env::load(&config, "staging").expect("valid config");
    assert_eq!(pack.name, "axys");
    let key = env.api_key.expect("api key");
    assert_eq!(secrecy::ExposeSecret::expose_secret(&key.value), "key-from-file");
}
