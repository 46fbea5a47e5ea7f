//! The built-in packs: coverage tables that name real probes, the Axys flow
//! against broken fake answers (the right step fails, cleanup still runs),
//! the environment kind, the checklist command and the card-data canary.

use golive::config::pack::{self, BUILT_IN};
use golive::config::{Coverage, Environment, Secret, SecretRef, SourceFile};
use golive::plan::Selection;
use golive::report::{ProbeReport, Status};
use golive::runner::RunOptions;
use secrecy::SecretString;
use serde_json::json;
use wiremock::matchers::path_regex;
use wiremock::{Mock, ResponseTemplate};

use crate::support::{env_at, golive, golive_in, pack_from, run_pack, stderr, stdout};

const KEY: &str = "test-axys-key-0123";

#[test]
fn every_automated_coverage_item_names_a_probe_of_its_pack() {
    for (name, text) in BUILT_IN {
        let pack = pack::parse(SourceFile { path: format!("probes/{name}.toml").into(), text: (*text).into() })
            .unwrap_or_else(|e| panic!("{name} loads:\n{e}"));
        let ids: Vec<&str> = pack.probes.iter().map(|p| p.id.as_str()).collect();
        let mut automated = 0;
        for item in &pack.coverage {
            if let Coverage::Automated(by) = &item.by {
                for id in by {
                    assert!(ids.contains(&id.as_str()), "{name}: \"{}\" names unknown probe {id}", item.item);
                }
                automated += 1;
            }
        }
        assert!(automated > 0 && automated < pack.coverage.len(), "{name}: both automated and manual items");
        for p in &pack.probes {
            assert!(!p.runbook.is_empty(), "{name}: {} has a runbook reference", p.id);
        }
    }
}

/// Every file in probes/ is a built-in pack (so the test above covers it)
/// and loads from its own path.
#[test]
fn every_pack_file_in_probes_is_built_in_and_loads() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("probes");
    let mut files = 0;
    for entry in std::fs::read_dir(&dir).expect("probes/").flatten() {
        let path = entry.path();
        if path.extension().is_none_or(|e| e != "toml") {
            continue;
        }
        files += 1;
        let stem = path.file_stem().and_then(|s| s.to_str()).unwrap_or_default().to_string();
        assert!(BUILT_IN.iter().any(|(n, _)| *n == stem), "{} is not in BUILT_IN", path.display());
        let text = std::fs::read_to_string(&path).expect("readable");
        pack::parse(SourceFile { path: path.clone(), text: text.into() })
            .unwrap_or_else(|e| panic!("{} loads:\n{e}", path.display()));
    }
    assert_eq!(files, BUILT_IN.len(), "every built-in pack has its file in probes/");
}

const HEAD: &str = "[pack]\nname = \"t\"\ntitle = \"T\"\nrunbook = \"t\"\n\
    [[probe]]\nid = \"p\"\nkind = \"http\"\ntitle = \"P\"\n";

fn load_error(text: &str) -> String {
    match pack::parse(SourceFile { path: "test.toml".into(), text: text.into() }) {
        Ok(_) => panic!("expected a load error"),
        Err(e) => e.to_string(),
    }
}

#[test]
fn a_coverage_item_naming_an_unknown_probe_is_a_load_error() {
    let text = format!(
        "{HEAD}[probe.params]\nurl = \"https://x.test/\"\n[[coverage]]\nsection = \"S\"\nitems = [{{ item = \"I\", probe = \"q\" }}]\n"
    );
    let err = load_error(&text);
    assert!(err.contains("coverage item \"I\" names unknown probe `q`"), "{err}");
    let both = format!(
        "{HEAD}[probe.params]\nurl = \"https://x.test/\"\n[[coverage]]\nsection = \"S\"\nitems = [{{ item = \"I\" }}]\n"
    );
    assert!(load_error(&both).contains("needs exactly one of `probe` or `owner`"));
}

#[test]
fn a_mutating_step_in_a_probe_not_tagged_mutating_is_a_load_error() {
    let text = format!(
        "{HEAD}[[probe.params.steps]]\nname = \"create\"\nmethod = \"POST\"\nurl = \"https://x.test/\"\nmutating = true\n"
    );
    assert!(load_error(&text).contains("probe `p` has a mutating step (create) but no `mutating` tag"));
}

fn pai_env(org: &str, with_key: bool) -> Environment {
    Environment {
        api_key: with_key
            .then(|| Secret { value: SecretString::from("acc_1_sekrit-value_k1"), source: SecretRef::Env("K".into()) }),
        inputs: vec![
            ("organization_id".into(), golive::config::Input::Text(org.into())),
            ("account_id".into(), golive::config::Input::Text("acc_1".into())),
        ],
        ..env_at("https://api.example.test")
    }
}

async fn environment_probe(env: Environment) -> ProbeReport {
    let text = BUILT_IN.iter().find(|(n, _)| *n == "paymentsai").map(|(_, t)| *t).expect("pack");
    let sel = Selection { only: vec!["pai-environment".into()], ..Selection::default() };
    let mut env = env;
    env.website_url = Some(reqwest::Url::parse("https://shop.example.test").expect("url"));
    run_pack(env, pack_from(text), &sel, &RunOptions::default()).await.probes.remove(0)
}

#[tokio::test]
async fn the_organization_id_may_be_org_or_a_uuid_and_values_are_never_shown() {
    assert_eq!(environment_probe(pai_env("org_abc123", true)).await.status, Status::Pass);
    assert_eq!(environment_probe(pai_env("0b6f1c52-7d0e-4a53-9c1e-2f7d8a3b4c5d", true)).await.status, Status::Pass);
    let bad = environment_probe(pai_env("acme-org", false)).await;
    assert_eq!(bad.status, Status::Fail);
    let text = format!("{bad:?}");
    assert!(text.contains("api_key is not set") && text.contains("org_… or a UUID"), "{text}");
    assert!(!text.contains("acme-org"), "{text}");
    let with_key = environment_probe(pai_env("acme-org", true)).await;
    assert!(!format!("{with_key:?}").contains("sekrit"));
}

#[test]
fn the_checklist_ticks_automated_items_and_lists_manual_owners() {
    let out = golive(&["checklist", "--env", "demo"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(text.contains("# Go-live checklist: Axys program launch (`demo`)"), "{text}");
    assert!(
        text.contains(
            "- [x] POST /cardholders — cardholder creation tested with all required fields — `axys-staging-flow` (pass)"
        ),
        "{text}"
    );
    assert!(text.contains("- [ ] KYC approved — manual, owner: PAI Compliance"), "{text}");
    assert!(text.contains("- [x] Refund Policy visible — `pai-website-refund` (pass)"), "{text}");
}

#[test]
fn the_checklist_from_a_report_crosses_failures_without_running_anything() {
    let dir = tempfile::tempdir().expect("tempdir");
    let run = golive_in(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")),
        &[
            "verify",
            "--env",
            "demo",
            "--scenario",
            "website-missing-refund-policy",
            "--report",
            &format!("json={}/r.json", dir.path().display()),
        ],
        &[],
    );
    assert_eq!(run.status.code(), Some(1), "{}", stdout(&run));
    let report = format!("{}/r.json", dir.path().display());
    let out = golive(&["checklist", "--env", "demo", "--from", &report]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(text.contains("- [ ] ~~Refund Policy visible~~ — `pai-website-refund` (fail: "), "{text}");
    assert!(text.contains("- [x] Privacy Policy visible — `pai-website-privacy` (pass)"), "{text}");
    // An item several probes prove together is ticked only when all passed:
    // here the terms fail and the refund policy passes.
    let mut doc: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&report).expect("report")).unwrap();
    for p in doc["probes"].as_array_mut().expect("probes") {
        match p["id"].as_str() {
            Some("pai-website-terms") => p["status"] = json!("fail"),
            Some("pai-website-refund") => p["status"] = json!("pass"),
            _ => {}
        }
    }
    let edited = format!("{}/edited.json", dir.path().display());
    std::fs::write(&edited, doc.to_string()).expect("write");
    let text = stdout(&golive(&["checklist", "--env", "demo", "--from", &edited]));
    let line = text.lines().find(|l| l.contains("Terms and Conditions, Privacy Policy, and Refund")).expect("the item");
    assert!(line.starts_with("- [ ] ~~") && line.contains("`pai-website-terms` (fail"), "{line}");
    assert!(line.contains("`pai-website-refund` (pass)") && line.contains("`pai-website-privacy` (pass)"), "{line}");
    let wrong = golive(&["checklist", "--env", "staging", "--from", &report]);
    assert_eq!(wrong.status.code(), Some(2));
    assert!(stderr(&wrong).contains("is a report of environment \"demo\", not `staging`"), "{}", stderr(&wrong));
}

/// Card data the partner returns must appear in no output, whatever the format.
#[tokio::test]
async fn canary_card_numbers_and_cvv_appear_in_no_output() {
    const PAN: &str = "4000056655665556";
    const ECHOED: &str = "5555 5555 5555 4444";
    const CVV: &str = "CANARY-CVV-X";
    let server = golive_fakes::Wiremock::start().await;
    let dir = tempfile::tempdir().expect("tempdir");
    let text = BUILT_IN.iter().find(|(n, _)| *n == "axys").map(|(_, t)| *t).expect("pack");
    std::fs::write(dir.path().join("axys.toml"), text.replace("depends_on = [\"axys-auth\"]\n", "")).expect("pack");
    std::fs::write(
        dir.path().join("golive.toml"),
        format!(
            "[env.staging]\npack = \"axys.toml\"\nbase_url = \"{}/v2\"\napi_key = {{ env = \"AXYS_KEY\" }}\n",
            server.uri()
        ),
    )
    .expect("config");
    // Round 0: details with the canaries in their fields; round 1: details
    // failing with an error that echoes card numbers in free text.
    for round in 0..2 {
        server.reset().await;
        golive_fakes::axys::mount(&server, KEY).await;
        let details = if round == 0 {
            ResponseTemplate::new(200).set_body_json(json!({"pan": PAN, "cvv": CVV}))
        } else {
            ResponseTemplate::new(502).set_body_string(format!("upstream failed for card {ECHOED} ({PAN})"))
        };
        Mock::given(path_regex(r"^/v2/cards/[^/]+/details$"))
            .respond_with(details)
            .with_priority(1)
            .mount(&server)
            .await;
        // Round 0 warns (the details' field names are inferred, and these are
        // others); round 1 fails (the documented success of the read).
        let code = if round == 0 { 0 } else { 1 };
        for format in ["human", "json", "junit", "markdown"] {
            let all = run_canary(dir.path(), format, code);
            if round == 1 {
                assert!(
                    all.contains("***4444") && all.contains("***5556"),
                    "echoed numbers masked, not dropped:\n{all}"
                );
            }
            for canary in [PAN, ECHOED, "5555555555554444", CVV, KEY] {
                assert!(!all.contains(canary), "{canary} leaked in {format}:\n{all}");
            }
        }
    }
    let demo = golive(&["verify", "--env", "demo", "--format", "json"]);
    assert!(!stdout(&demo).contains(golive_fakes::axys::TEST_PAN));
}

/// Runs the staging flow through the binary, logging at `-vv` and writing
/// evidence; every output, log, report and evidence file, concatenated.
fn run_canary(dir: &std::path::Path, format: &str, code: i32) -> String {
    let evidence = dir.join("evidence");
    let _ = std::fs::remove_dir_all(&evidence);
    let out = golive_in(
        dir,
        &[
            "-vv",
            "verify",
            "--env",
            "staging",
            "--only",
            "axys-staging-flow",
            "--allow-mutations",
            "--format",
            format,
            "--report",
            "json=r.json",
            "--report",
            "markdown=r.md",
            "--report",
            "junit=r.xml",
            "--evidence",
            "evidence",
        ],
        &[("AXYS_KEY", KEY)],
    );
    assert_eq!(out.status.code(), Some(code), "{}", stdout(&out));
    let mut all = stdout(&out) + &stderr(&out);
    assert!(all.contains("TRACE"), "logs at -vv are on:\n{all}");
    for f in ["r.json", "r.md", "r.xml"] {
        all.push_str(&std::fs::read_to_string(dir.join(f)).expect("report"));
    }
    let mut files = 0;
    for entry in std::fs::read_dir(&evidence).expect("evidence written").flatten() {
        all.push_str(&std::fs::read_to_string(entry.path()).expect("evidence file"));
        files += 1;
    }
    assert!(files > 1 && all.contains("/details"), "the evidence traces the details step:\n{all}");
    all
}

/// The table of `spec::secret_policy`'s unit tests runs against this policy:
/// it must be the one the built-in pack declares, or the table proves nothing.
#[test]
fn the_secret_policy_table_is_the_built_in_policy() {
    let pack = pack::load("paymentsai", None).expect("the built-in pack loads");
    let table = golive::spec::SecretPolicy {
        min_length: 12,
        max_length: Some(30),
        min_uppercase: 1,
        min_lowercase: 0,
        min_digits: 0,
        min_alphanumeric: 1,
        rotate_days: Some(90),
        history: 4,
    };
    assert_eq!(
        pack.secret_policy,
        Some(table),
        "probes/paymentsai.toml [secret_policy] changed: update the table in src/spec/secret_policy.rs"
    );
}

/// A third partner needs no Rust: a pack file declares the values it needs
/// (`[inputs]`) and its webhook scheme (`[schemes]`), and an environment of
/// that pack sets them under the same names.
#[test]
fn a_pack_file_declares_its_inputs_and_its_webhook_scheme() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(
        dir.path().join("acme.toml"),
        r#"[pack]
name = "acme"
title = "Acme"
runbook = "acme"

[inputs.merchant_ref]
about = "the merchant reference Acme assigns"
env = "ACME_MERCHANT_REF"

[inputs.partner_token]
about = "a token Acme issues"
secret = true

[inputs.report_file]
about = "where a report goes"
format = "path"

[schemes.acme]
header = "X-Acme-Signature"
encoding = "base64"
"#,
    )
    .expect("write pack");
    std::fs::write(dir.path().join("token"), "acme-token-CANARY-0042\n").expect("write token");
    std::fs::write(
        dir.path().join("golive.toml"),
        r#"[env.staging]
pack = "acme.toml"
base_url = "https://api.acme.example"
merchant_ref = "M-1"
partner_token = { file = "token" }
report_file = "out/report.txt"
webhook = { url = "https://merchant.example/hooks", scheme = "acme", secret = { file = "token" } }
"#,
    )
    .expect("write config");
    let (env, pack) = golive::config::env::load(&dir.path().join("golive.toml"), "staging").expect("loads");
    assert_eq!(
        pack.inputs.iter().map(|(n, _)| n.as_str()).collect::<Vec<_>>(),
        ["merchant_ref", "partner_token", "report_file"]
    );
    assert_eq!(env.input_text("merchant_ref"), Some("M-1"));
    assert_eq!(env.var("merchant_ref").as_deref(), Some("M-1"), "a text input is a `${{name}}` value");
    assert_eq!(env.var("partner_token"), None, "a secret is no `${{name}}` value");
    assert_eq!(env.input_path("report_file"), Some(dir.path().join("out/report.txt").as_path()));
    let scheme = env.webhook.as_ref().and_then(|w| w.scheme.as_ref()).expect("scheme");
    assert_eq!((scheme.name.as_str(), scheme.header.as_str()), ("acme", "X-Acme-Signature"));
    assert_eq!(env.redactor().redact("token acme-token-CANARY-0042 echoed"), "token *** echoed");
    // The same key in an environment of a pack that does not declare it is unknown.
    std::fs::write(dir.path().join("other.toml"), "[env.staging]\npack = \"paymentsai\"\nmerchant_ref = \"M-1\"\n")
        .expect("write config");
    let err = golive::config::env::load(&dir.path().join("other.toml"), "staging").expect_err("unknown key");
    assert_eq!(err.message, "unknown key `merchant_ref`");
}

/// The key exchange reads inputs by name: each must be declared, in the form it reads.
#[test]
fn a_key_exchange_names_declared_inputs() {
    let text = BUILT_IN.iter().find(|(n, _)| *n == "paymentsai").map(|(_, t)| *t).expect("pack");
    let broken = text.replace("[inputs.account_secret]\n", "[inputs.account_secrets]\n");
    let err = pack::parse(SourceFile::embedded("probes/paymentsai.toml", Box::leak(broken.into_boxed_str())))
        .expect_err("an undeclared input");
    assert!(err.message.contains("inputs.secret names `account_secret`"), "{}", err.message);
}

/// Every partner fact of a built-in pack says how golive knows it: a new
/// guess without a basis cannot slip in. Your own pack loads without (its
/// facts are held as documented by the pack file), unless it asks for bases.
#[test]
fn a_built_in_pack_fact_without_a_basis_is_a_load_error() {
    let text = BUILT_IN.iter().find(|(n, _)| *n == "axys").map(|(_, t)| *t).expect("pack");
    for (name, text) in BUILT_IN {
        pack::parse_built_in(SourceFile::embedded(&format!("probes/{name}.toml"), text))
            .unwrap_or_else(|e| panic!("{name} says the basis of every fact:\n{e}"));
    }
    // The production base-URL check loses the page its 404 comes from.
    let page = "source = \"https://docs.api.axyscards.com/docs/simulation-endpoints\"\njson = {}\nexpect_status = 404";
    assert_eq!(text.matches(page).count(), 1);
    let unmarked = text.replace(page, "json = {}\nexpect_status = 404");
    let leaked = Box::leak(unmarked.clone().into_boxed_str());
    let err =
        pack::parse_built_in(SourceFile::embedded("probes/axys.toml", leaked)).expect_err("a fact without a basis");
    assert!(
        err.message.contains("probe `axys-production-base-url`, step 1 (POST /staging/kyc/validate answers 404 on production): `status 404` has no basis"),
        "{}",
        err.message
    );
    let help = err.render(false);
    assert!(help.contains("`source = \"https://...\"`") && help.contains("`basis = \"inferred\"`"), "{help}");
    // The same text as your own pack loads; with `require_basis = true` it does not.
    assert!(pack::parse(SourceFile { path: "mine.toml".into(), text: unmarked.clone().into() }).is_ok());
    let strict = unmarked
        .replace("runbook = \"axys-program-launch\"\n", "runbook = \"axys-program-launch\"\nrequire_basis = true\n");
    let err = pack::parse(SourceFile { path: "mine.toml".into(), text: strict.into() }).expect_err("require_basis");
    assert!(err.message.contains("has no basis"), "{}", err.message);
}

/// A basis that says too little or contradicts itself is refused in any pack.
#[test]
fn a_malformed_basis_is_a_load_error_in_any_pack() {
    let probe = |extra: &str| {
        format!(
            "[pack]\nname = \"t\"\ntitle = \"T\"\nrunbook = \"t\"\n[[probe]]\nid = \"p\"\nkind = \"http\"\ntitle = \"P\"\n[probe.params]\nurl = \"${{base_url}}/a\"\n{extra}\n"
        )
    };
    for (extra, says) in [
        ("basis = \"inferred\"", "needs `why`"),
        ("why = \"a guess\"", "add `basis = \"inferred\"`"),
        ("source = \"the docs\"", "https URL"),
        ("assert = [{ path = \"$.a\", exists = true, basis = \"documented\" }]", "needs `source`"),
        ("inferred_status = { code = 201 }", "`why` is missing"),
        ("expect_status = \"2xx\"\ninferred_status = { code = 404, why = \"x\" }", "is not a 2xx answer"),
        ("expect_status = \"7xx\"", "a class (\"2xx\")"),
    ] {
        let err = pack::parse(SourceFile { path: "t.toml".into(), text: probe(extra).into() }).expect_err(extra);
        assert!(err.message.contains("probe `p`, step 1") && err.message.contains(says), "{extra}: {}", err.message);
    }
}
