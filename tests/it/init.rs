//! `golive init` from an empty folder: the written golive.toml passes
//! `golive list` once the suggested variables are set, carries the `#:schema`
//! line, and a second `init` refuses to overwrite it (exit 2). Also `golive man`.

use crate::support::{golive_in, stderr, stdout};

/// The `{ env = "..." }` variable names a golive.toml references.
fn env_vars(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    for line in text.lines().filter(|l| !l.starts_with('#')) {
        for piece in line.split("{ env = \"").skip(1) {
            if let Some(name) = piece.split('"').next() {
                out.push(name.to_string());
            }
        }
    }
    out
}

fn init_then_list(pack: &str, env: &str, expected_vars: &[&str]) {
    let dir = tempfile::tempdir().expect("temp dir");
    let out = golive_in(dir.path(), &["init", "--pack", pack, "--env", env], &[]);
    assert_eq!(out.status.code(), Some(0), "{}{}", stdout(&out), stderr(&out));
    let text = std::fs::read_to_string(dir.path().join("golive.toml")).expect("golive.toml written");
    assert!(text.starts_with("#:schema ./golive.schema.json\n"), "{text}");
    let schema = std::fs::read_to_string(dir.path().join("golive.schema.json")).expect("schema written");
    assert_eq!(schema, golive::config::schema::to_pretty(&golive::config::schema::config()));
    let vars = env_vars(&text);
    for want in expected_vars {
        assert!(vars.iter().any(|v| v == want), "{want} suggested in:\n{text}");
        assert!(stdout(&out).contains(want), "the next steps name {want}: {}", stdout(&out));
    }
    assert!(!text.contains("= \"sk_") && !text.contains("password ="), "no literal secret: {text}");

    // With the suggested variables set, the plan loads and binds every probe.
    let set: Vec<(&str, &str)> = vars.iter().map(|v| (v.as_str(), "not-a-real-secret")).collect();
    let list = golive_in(dir.path(), &["list", "--env", env], &set);
    assert_eq!(list.status.code(), Some(0), "golive list on the written file:\n{text}\n{}", stderr(&list));
    let listed = stdout(&list);
    let pack_probe = if pack == "axys" { "axys-tls" } else { "pai-api-key" };
    assert!(listed.contains(pack_probe), "{listed}");

    // Never overwritten: the same environment again is refused.
    let again = golive_in(dir.path(), &["init", "--pack", pack, "--env", env], &[]);
    assert_eq!(again.status.code(), Some(2), "{}", stderr(&again));
    assert!(stderr(&again).contains(&format!("environment or group `{env}` already")), "{}", stderr(&again));
    assert_eq!(std::fs::read_to_string(dir.path().join("golive.toml")).expect("still there"), text, "unchanged");
}

#[test]
fn axys_staging_from_an_empty_folder_passes_list_and_is_not_overwritten() {
    init_then_list("axys", "staging", &["AXYS_API_KEY"]);
}

#[test]
fn paymentsai_staging_names_every_secret_it_needs() {
    // The key exchange is a production step (Stage 5): staging needs none of its keys.
    init_then_list("paymentsai", "staging", &["PAYMENTSAI_API_KEY", "PAYMENTSAI_WEBHOOK_SECRET"]);
    init_then_list(
        "paymentsai",
        "production",
        &[
            "PAYMENTSAI_API_KEY",
            "PAYMENTSAI_WEBHOOK_SECRET",
            "PAYMENTSAI_TEMPORAL_API_KEY",
            "PAYMENTSAI_ACCOUNT_SECRET",
        ],
    );
}

#[test]
fn keys_are_derived_from_the_pack_and_commented() {
    let dir = tempfile::tempdir().expect("temp dir");
    let out = golive_in(dir.path(), &["init", "--pack", "axys", "--env", "production", "--output", "prod.toml"], &[]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let text = std::fs::read_to_string(dir.path().join("prod.toml")).expect("prod.toml");
    // Every active key has a comment line above it saying what needs it.
    let lines: Vec<&str> = text.lines().collect();
    for (i, line) in lines.iter().enumerate() {
        let key = line.split(" = ").next().unwrap_or_default();
        if !line.starts_with('#') && line.contains(" = ") && key != "pack" {
            assert!(lines[i - 1].starts_with("# ") && lines[i - 1].contains("needed by"), "{line} explained:\n{text}");
        }
    }
    // The Axys pack has no webhook or key exchange: none of their keys.
    for absent in ["webhook", "temporal_api_key", "account_secret", "website_url"] {
        assert!(!text.contains(&format!("{absent} =")), "{absent} not needed by axys:\n{text}");
    }
    assert!(text.contains("calling_ips"), "the fcrdns probe needs calling IPs:\n{text}");
    assert!(text.contains("client_cert") && text.contains("client_key"), "{text}");
    let list = golive_in(dir.path(), &["list", "--env", "production", "--config", "prod.toml"], &[]);
    assert_eq!(list.status.code(), Some(0), "{}", stderr(&list));
}

/// A webhook probe that names no scheme needs `webhook.scheme`, a key only
/// a set `webhook` makes missing: init asks the kind what it reads instead
/// of filling gaps until nothing more is missing, and still writes it.
#[test]
fn a_webhook_probe_without_a_scheme_gets_its_scheme_key_from_init() {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::write(
        dir.path().join("hooks.toml"),
        "[pack]\nname = \"hooks\"\ntitle = \"Hooks\"\nrunbook = \"hooks\"\n\
         [[probe]]\nid = \"hooks-webhook\"\nkind = \"webhook\"\ntitle = \"Signed deliveries\"\n\
         [probe.params.event]\ntype = \"payment.done\"\n",
    )
    .expect("write pack");
    let out = golive_in(dir.path(), &["init", "--pack", "hooks.toml", "--env", "staging"], &[]);
    assert_eq!(out.status.code(), Some(0), "{}{}", stdout(&out), stderr(&out));
    let text = std::fs::read_to_string(dir.path().join("golive.toml")).expect("golive.toml written");
    let webhook = text.split("[env.staging.webhook]\n").nth(1).unwrap_or_else(|| panic!("a webhook table:\n{text}"));
    assert!(webhook.contains("\nscheme = \"standard-webhooks\"\n"), "the scheme it needs:\n{text}");
    let set: Vec<(String, &str)> = env_vars(&text).into_iter().map(|v| (v, "not-a-real-secret")).collect();
    let set: Vec<(&str, &str)> = set.iter().map(|(k, v)| (k.as_str(), *v)).collect();
    let list = golive_in(dir.path(), &["list", "--env", "staging"], &set);
    assert_eq!(list.status.code(), Some(0), "golive list on the written file:\n{text}\n{}", stderr(&list));
}

#[test]
fn init_without_a_pack_says_which_packs_there_are() {
    let dir = tempfile::tempdir().expect("temp dir");
    let out = golive_in(dir.path(), &["init"], &[]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("--pack axys"), "{}", stderr(&out));
    assert!(!dir.path().join("golive.toml").exists());
}

#[test]
fn the_man_page_is_one_page_with_every_command() {
    let out = crate::support::golive(&["man"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let page = stdout(&out);
    assert!(page.contains(".TH golive 1"), "{page}");
    for command in ["golive verify", "golive list", "golive init", "golive schema", "golive key exchange"] {
        assert!(page.contains(&format!(".SS \"{command}\"")), "{command} has its section");
    }
    assert!(!page.contains("golive\\-verify(1)"), "no pointer to pages that are not installed");
}

/// The production check onboards a real person: `init` names the file their
/// identity goes in, and says so (a fictional identity is declined).
#[test]
fn axys_production_asks_for_the_real_identity_the_production_check_onboards() {
    let dir = tempfile::tempdir().expect("temp dir");
    let out = golive_in(dir.path(), &["init", "--pack", "axys", "--env", "production"], &[]);
    assert_eq!(out.status.code(), Some(0), "{}{}", stdout(&out), stderr(&out));
    let text = std::fs::read_to_string(dir.path().join("golive.toml")).expect("golive.toml written");
    let line = text.lines().position(|l| l.starts_with("production_cardholder = ")).expect("the input is written");
    let comment = text.lines().nth(line - 1).unwrap_or_default();
    assert!(comment.contains("identity of the real person") && comment.contains("firstName"), "{comment}");
    assert!(
        stdout(&out).contains("write the JSON file secrets/axys-production_cardholder (`production_cardholder`)"),
        "{}",
        stdout(&out)
    );
    // Without the file, the production flow cannot run: a missing input,
    // found before anything is sent (`Plan::preflight`).
    let pack = golive::config::pack::load("axys", None).expect("pack");
    let flow = pack.probes.iter().find(|p| p.id == "axys-production-flow").expect("probe");
    let missing = golive::probe::inputs::missing(flow.kind, &flow.params, &Default::default(), &pack);
    assert!(missing.iter().any(|m| m.key == "production_cardholder"), "{missing:?}");
}
