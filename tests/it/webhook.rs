//! Webhooks: published signature vectors, and the `webhook` probe driven over
//! real HTTP against the fake merchant receivers, one behaviour per test.

use std::io::Write;
use std::process::{Command, Output, Stdio};
use std::time::Duration;

use golive::config::scheme::{self, Scheme, SchemeDef};
use golive::config::{Environment, Secret, SecretRef, Webhook};
use golive::plan::Selection;
use golive::report::{Format, ProbeReport, RunSummary, Status};
use golive::runner::RunOptions;
use golive::webhook::sign::{self, Key, Stamp};
use golive::webhook::{Rejection, verify};
use golive_fakes::webhook::{self as receiver, Behaviour};
use secrecy::SecretString;

use crate::support::{pack_from, run_pack};

const PACK_HEAD: &str = "[pack]\nname = \"test\"\ntitle = \"Test\"\nrunbook = \"test-runbook\"\n";

fn pack_text(extra: &str) -> String {
    format!(
        "{PACK_HEAD}\n[[probe]]\nid = \"hook\"\nkind = \"webhook\"\ntitle = \"Webhook\"\n{extra}\n[probe.params]\nid_field = \"deduplicationId\"\n[probe.params.event]\ndeduplicationId = \"x\"\ntype = \"transaction-processed\"\norganizationId = \"org_test\"\nmetadata = {{ source = \"test\" }}\n"
    )
}

/// A secret the scheme accepts; `whsec_` schemes get base64 after the prefix.
fn secret_for(scheme: &Scheme, text: &str) -> SecretString {
    use base64::Engine;
    match scheme.secret_format {
        scheme::SecretFormat::Whsec => {
            SecretString::from(format!("whsec_{}", base64::engine::general_purpose::STANDARD.encode(text)))
        }
        _ => SecretString::from(text.to_string()),
    }
}

/// Starts a receiver and runs the probe against it, with the scheme set in the environment.
async fn probe_against(scheme: &Scheme, secret: &SecretString, behaviour: Behaviour, extra: &str) -> RunSummary {
    let server = crate::support::receiver(scheme, secret, behaviour).await;
    let env = Environment {
        name: "test".into(),
        pack: "test".into(),
        webhook: Some(Webhook {
            url: receiver::url(&server).expect("url"),
            scheme: Some(scheme.clone()),
            secret: Secret { value: secret.clone(), source: SecretRef::Env("TEST_WEBHOOK_SECRET".into()) },
        }),
        ..Environment::default()
    };
    run_pack(env, pack_from(&pack_text(extra)), &Selection::default(), &RunOptions::default()).await
}

async fn probe_preset(name: &str, behaviour: Behaviour) -> ProbeReport {
    let scheme = Scheme::preset(name).expect("preset");
    let secret = secret_for(&scheme, "a-test-secret-for-the-receiver");
    probe_against(&scheme, &secret, behaviour, "").await.probes.remove(0)
}

fn failing(report: &ProbeReport) -> Vec<&str> {
    report.checks.iter().filter(|c| c.status != Status::Pass).map(|c| c.name.as_str()).collect()
}

fn custom_sha512() -> Scheme {
    let v: toml::Value = toml::from_str(
        "header = \"X-Sig\"\nalgorithm = \"sha512\"\nencoding = \"base64\"\nprefix = \"s=\"\nsigned_content = \"{id}:{timestamp}:{body}\"\nid_header = \"X-Id\"\ntimestamp_header = \"X-Ts\"\ntolerance = \"2m\"",
    )
    .unwrap();
    scheme::from_toml(&v).unwrap()
}

#[test]
fn published_and_recorded_vectors_sign_and_verify() {
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/webhook/vectors.toml")).unwrap();
    let doc: toml::Table = toml::from_str(&text).unwrap();
    let hmac = doc["hmac"].as_array().unwrap();
    assert!(hmac.len() >= 4);
    for v in hmac {
        let key = Key::from_bytes(&hex::decode(v["key_hex"].as_str().unwrap()).unwrap());
        let data = hex::decode(v["data_hex"].as_str().unwrap()).unwrap();
        for (alg, name) in [(scheme::Algorithm::Sha256, "sha256"), (scheme::Algorithm::Sha512, "sha512")] {
            let want = hex::decode(v[name].as_str().unwrap()).unwrap();
            assert_eq!(sign::mac(alg, &key, &data), want, "{} {name}", v["source"]);
            assert!(sign::mac_matches(alg, &key, &data, &want));
            assert!(!sign::mac_matches(alg, &key, &data, &want[..want.len() - 1]));
        }
    }
    for v in doc["scheme"].as_array().unwrap() {
        let def = SchemeDef {
            preset: Some(v["scheme"].as_str().unwrap().to_string()),
            encoding: v.get("encoding").map(|e| e.clone().try_into().unwrap()),
            ..SchemeDef::default()
        };
        let scheme = def.resolve().unwrap();
        let key = Key::from_secret(&scheme, &SecretString::from(v["secret"].as_str().unwrap().to_string())).unwrap();
        let timestamp = v.get("timestamp").and_then(|t| t.as_integer()).unwrap_or(0);
        let stamp = Stamp { id: v.get("id").and_then(|i| i.as_str()).unwrap_or("").to_string(), timestamp };
        let body = v["body"].as_str().unwrap().as_bytes();
        let value = v["value"].as_str().unwrap();
        assert_eq!(sign::signature_value(&scheme, &key, &stamp, body), value, "{}", v["source"]);
        let mut headers = http::HeaderMap::new();
        for (name, value) in sign::headers(&scheme, &key, &stamp, body) {
            headers.insert(http::HeaderName::from_bytes(name.as_bytes()).unwrap(), value.parse().unwrap());
        }
        assert!(verify::verify(&scheme, &key, &headers, body, timestamp + 1).is_ok(), "{}", v["source"]);
        let other = [body, b" "].concat();
        assert_eq!(verify::verify(&scheme, &key, &headers, &other, timestamp), Err(Rejection::Mismatch));
    }
}

#[tokio::test]
async fn a_correct_receiver_passes_for_every_scheme() {
    let mut schemes: Vec<Scheme> = scheme::PRESETS.iter().map(|n| Scheme::preset(n).unwrap()).collect();
    schemes.push(custom_sha512());
    for scheme in &schemes {
        let secret = secret_for(scheme, "correct-receiver-secret");
        let report = probe_against(scheme, &secret, Behaviour::Verifying, "").await.probes.remove(0);
        assert_eq!(report.status, Status::Pass, "{}: {report:#?}", scheme.name);
        let forgeries = report.checks.iter().filter(|c| c.name.starts_with("forgery:")).count();
        assert_eq!(forgeries, if scheme.has_timestamp() { 6 } else { 4 }, "{}", scheme.name);
        assert!(report.checks.iter().any(|c| c.name == "replay" && c.message.starts_with("note:")));
        assert!(report.phases.iter().any(|p| p.name == "signed"), "latency is recorded: {report:#?}");
    }
}

#[tokio::test]
async fn a_naive_receiver_fails_with_every_accepted_forgery_listed() {
    let all = [
        "wrong secret",
        "tampered body",
        "missing signature header",
        "malformed signature header",
        "stale timestamp",
        "future timestamp",
    ];
    for (name, expected) in [("paymentsai", &all[..4]), ("github", &all[..4]), ("standard-webhooks", &all[..])] {
        let report = probe_preset(name, Behaviour::Naive).await;
        assert_eq!(report.status, Status::Fail, "{name}");
        let listed: Vec<String> = serde_json::from_value(report.facts["accepted_forgeries"].clone()).unwrap();
        assert_eq!(listed, expected, "{name}");
        let cause = &report.diagnosis.as_ref().expect("a diagnosis").cause;
        assert!(cause.contains(&format!("accepted {} forgeries: {}", expected.len(), expected.join(", "))), "{cause}");
        assert!(report.checks.iter().find(|c| c.name == "signed event").is_some_and(|c| c.status == Status::Pass));
    }
}

#[tokio::test]
async fn a_receiver_that_skips_the_timestamp_check_fails_only_the_timestamp_cases() {
    let report = probe_preset("standard-webhooks", Behaviour::NoTimestampCheck).await;
    assert_eq!(failing(&report), ["forgery: stale timestamp", "forgery: future timestamp"]);
    let d = report.diagnosis.unwrap();
    assert!(d.cause.contains("verifies signatures but not the timestamp"), "{d:?}");
    assert!(d.fix.contains("5m"), "{d:?}");

    let custom = custom_sha512();
    let secret = secret_for(&custom, "custom-secret");
    let report = probe_against(&custom, &secret, Behaviour::NoTimestampCheck, "").await.probes.remove(0);
    assert_eq!(failing(&report), ["forgery: stale timestamp", "forgery: future timestamp"]);
}

#[tokio::test]
async fn stripe_future_timestamps_are_a_note_and_stale_ones_a_failure() {
    // Stripe's own library accepts future-dated deliveries (DESIGN.md, settled details).
    let report = probe_preset("stripe", Behaviour::Verifying).await;
    assert_eq!(report.status, Status::Pass);
    let future = report.checks.iter().find(|c| c.name == "forgery: future timestamp").unwrap();
    assert!(future.message.starts_with("note:"), "{future:?}");

    let report = probe_preset("stripe", Behaviour::NoTimestampCheck).await;
    assert_eq!(failing(&report), ["forgery: stale timestamp"]);
}

#[tokio::test]
async fn a_receiver_answering_204_fails_the_paymentsai_exactly_200_rule() {
    let report = probe_preset("paymentsai", Behaviour::Answers204).await;
    assert_eq!(failing(&report), ["signed event"]);
    let signed = &report.checks[0];
    assert_eq!((signed.expected.as_deref(), signed.actual.as_deref()), (Some("200"), Some("204")));
    assert!(signed.message.contains("expected exactly 200"), "{signed:?}");
    assert!(report.diagnosis.unwrap().cause.contains("204"));
    // GitHub takes any 2xx: the same receiver passes.
    assert_eq!(probe_preset("github", Behaviour::Answers204).await.status, Status::Pass);
}

#[tokio::test]
async fn a_receiver_that_never_answers_is_an_error_at_the_deadline() {
    let scheme = Scheme::preset("paymentsai").unwrap();
    let secret = SecretString::from("hanging-receiver-secret".to_string());
    // The receiver never answers: only the probe's deadline ends the wait.
    let _watchdog = crate::support::Watchdog::new("webhook::never_answers", Duration::from_secs(60));
    let summary = probe_against(&scheme, &secret, Behaviour::NeverAnswers, "timeout = \"700ms\"").await;
    let report = &summary.probes[0];
    assert_eq!(report.status, Status::Error, "{report:#?}");
    assert!(
        report.checks[0].name == "signed event" && report.checks[0].message.contains("before the deadline"),
        "{report:#?}"
    );
    assert!(report.diagnosis.as_ref().unwrap().cause.contains("did not answer before the deadline"));
}

#[tokio::test]
async fn a_redirecting_receiver_fails() {
    let report = probe_preset("paymentsai", Behaviour::Redirects).await;
    assert_eq!(report.status, Status::Fail);
    let signed = &report.checks[0];
    assert!(signed.message.contains("302") && signed.message.contains("redirect"), "{signed:?}");
    let d = report.diagnosis.unwrap();
    assert!(d.cause.contains("redirects") && d.cause.contains("/webhooks/golive/"), "{d:?}");
    // Forgeries answered with a redirect are not rejections either.
    assert!(report.checks.iter().filter(|c| c.name.starts_with("forgery:")).all(|c| c.status == Status::Fail));
}

#[tokio::test]
async fn an_environment_without_a_webhook_says_what_to_add() {
    let env = Environment { name: "staging".into(), pack: "test".into(), ..Environment::default() };
    let summary = run_pack(env, pack_from(&pack_text("")), &Selection::default(), &RunOptions::default()).await;
    let report = &summary.probes[0];
    assert_eq!(report.status, Status::Error);
    assert!(report.checks[0].message.contains("no webhook endpoint is configured"));
    assert!(report.diagnosis.as_ref().unwrap().fix.contains("webhook = { url ="), "{report:#?}");
}

const CANARY: &str = "canary-WEBHOOK-s3cr3t-7731";

#[tokio::test]
async fn the_secret_appears_in_no_report_format() {
    let scheme = Scheme::preset("paymentsai").unwrap();
    let secret = SecretString::from(CANARY.to_string());
    for behaviour in [Behaviour::Naive, Behaviour::Verifying, Behaviour::Redirects] {
        let summary = probe_against(&scheme, &secret, behaviour, "").await;
        for format in [Format::Human, Format::Json, Format::Junit, Format::Markdown] {
            let mut out = Vec::new();
            format.render(&summary, &mut out, false).unwrap();
            let text = String::from_utf8(out).unwrap();
            assert_eq!(text.matches(CANARY).count(), 0, "{format:?} {behaviour:?}:\n{text}");
            assert_eq!(text.matches("***").count(), 0, "nothing needed redacting: the probe never wrote it");
        }
    }
}

/// Runs the binary with stdin bytes and extra environment variables.
fn golive_stdin(args: &[&str], stdin: &[u8], envs: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_golive"));
    cmd.args(args).env("NO_COLOR", "1").stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped());
    for (k, v) in envs {
        cmd.env(k, v);
    }
    let mut child = cmd.spawn().expect("golive runs");
    let mut pipe = child.stdin.take().expect("stdin");
    let bytes = stdin.to_vec();
    // golive may stop reading early (an oversized body): a broken pipe is its answer.
    let writer = std::thread::spawn(move || {
        let _ = pipe.write_all(&bytes);
    });
    let out = child.wait_with_output().expect("golive finishes");
    let _ = writer.join();
    out
}

#[test]
fn cli_refuses_a_body_over_16_mib_without_reading_it_all() {
    let env = [("HOOK_SECRET", CANARY)];
    let body = vec![b'x'; 17 * 1024 * 1024];
    for command in ["sign", "verify"] {
        let out = golive_stdin(&["webhook", command, "--scheme", "github", "--secret-env", "HOOK_SECRET"], &body, &env);
        assert_eq!(out.status.code(), Some(2), "{command}: {}", text(&out));
        assert!(text(&out).contains("larger than 16 MiB"), "{command}: {}", text(&out));
    }
}

fn text(o: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr))
}

#[test]
fn cli_sign_then_verify_round_trips_without_printing_the_secret() {
    let env = [("HOOK_SECRET", CANARY)];
    let body = b"{\"deduplicationId\":\"d-1\",\"type\":\"x\"}\n";
    for scheme in ["paymentsai", "stripe", "github"] {
        let signed = golive_stdin(&["webhook", "sign", "--scheme", scheme, "--secret-env", "HOOK_SECRET"], body, &env);
        assert_eq!(signed.status.code(), Some(0), "{}", text(&signed));
        let out = String::from_utf8(signed.stdout.clone()).unwrap();
        let mut args = vec!["webhook", "verify", "--scheme", scheme, "--secret-env", "HOOK_SECRET"];
        for line in out.lines() {
            args.extend(["--header", line]);
        }
        let ok = golive_stdin(&args, body, &env);
        assert_eq!(ok.status.code(), Some(0), "{scheme}: {}", text(&ok));
        let changed = golive_stdin(&args, b"{\"deduplicationId\":\"d-1\",\"type\":\"x\"}", &env);
        assert_eq!(changed.status.code(), Some(1), "the trailing newline is part of the body");
        assert!(text(&changed).contains("does not match the body"), "{}", text(&changed));
        for o in [&signed, &ok, &changed] {
            assert!(!text(o).contains(CANARY), "{}", text(o));
        }
    }
}

#[test]
fn cli_verify_checks_the_standard_webhooks_vector_and_its_timestamp() {
    let env = [("SW_SECRET", "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")];
    let args = |now: &'static str| {
        vec![
            "webhook",
            "verify",
            "--scheme",
            "standard-webhooks",
            "--secret-env",
            "SW_SECRET",
            "--header",
            "webhook-id: msg_p5jXN8AQM9LWM0D4loKWxJek",
            "--header",
            "webhook-timestamp: 1614265330",
            "--header",
            "webhook-signature: v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=",
            "--now",
            now,
        ]
    };
    let ok = golive_stdin(&args("1614265400"), b"{\"test\": 2432232314}", &env);
    assert_eq!(ok.status.code(), Some(0), "{}", text(&ok));
    let late = golive_stdin(&args("1614266000"), b"{\"test\": 2432232314}", &env);
    assert_eq!(late.status.code(), Some(1));
    assert!(text(&late).contains("670 s old, beyond the tolerance of 300 s"), "{}", text(&late));
}

#[test]
fn cli_secret_errors_name_the_variable_never_the_value() {
    let unset =
        golive_stdin(&["webhook", "sign", "--scheme", "github", "--secret-env", "GOLIVE_NO_SUCH_VAR"], b"", &[]);
    assert_eq!(unset.status.code(), Some(2));
    assert!(text(&unset).contains("`GOLIVE_NO_SUCH_VAR` is not set"), "{}", text(&unset));
    let env = [("BAD_WHSEC", "whsec_%%canary-not-base64%%")];
    let bad =
        golive_stdin(&["webhook", "sign", "--scheme", "standard-webhooks", "--secret-env", "BAD_WHSEC"], b"", &env);
    assert_eq!(bad.status.code(), Some(2));
    assert!(!text(&bad).contains("canary-not-base64"), "{}", text(&bad));
    let literal = golive_stdin(&["webhook", "sign", "--scheme", "github", "--secret", CANARY], b"", &[]);
    assert_eq!(literal.status.code(), Some(2), "there is no --secret option");
}

#[test]
fn demo_webhook_is_green_and_the_naive_scenario_lists_the_forgeries() {
    let healthy = golive_stdin(&["verify", "--env", "demo", "--no-progress"], b"", &[]);
    assert_eq!(healthy.status.code(), Some(0), "{}", text(&healthy));
    assert!(text(&healthy).contains("PASS  pai-webhook-signature"), "{}", text(&healthy));
    let naive =
        golive_stdin(&["verify", "--env", "demo", "--scenario", "webhook-accepts-anything", "--no-progress"], b"", &[]);
    assert_eq!(naive.status.code(), Some(1), "{}", text(&naive));
    assert!(
        text(&naive).contains(
            "accepted 4 forgeries: wrong secret, tampered body, missing signature header, malformed signature header"
        ),
        "{}",
        text(&naive)
    );
}

#[test]
fn an_unknown_scheme_in_golive_toml_points_at_it() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("golive.toml"),
        "[env.staging]\npack = \"paymentsai\"\nwebhook = { url = \"https://m.example/hooks\", scheme = \"strpe\", secret = { env = \"S\" } }\n",
    )
    .unwrap();
    let out = crate::support::golive_in(dir.path(), &["verify", "--env", "staging"], &[("S", CANARY)]);
    assert_eq!(out.status.code(), Some(2));
    let err = crate::support::stderr(&out);
    assert!(err.contains("unknown webhook scheme `strpe` (did you mean `stripe`?)"), "{err}");
    assert!(err.contains("golive.toml:3:"), "{err}");
}

#[tokio::test]
async fn a_pack_can_define_the_scheme_and_the_expected_status() {
    // The environment names no scheme: the pack's custom definition applies.
    let pack_scheme =
        "scheme = { header = \"X-Shop-Sig\", algorithm = \"sha512\", prefix = \"v=\" }\nexpect_status = 204\n";
    let text = pack_text("").replace("id_field = ", &format!("{pack_scheme}id_field = "));
    let scheme =
        scheme::from_toml(&toml::from_str("header = \"X-Shop-Sig\"\nalgorithm = \"sha512\"\nprefix = \"v=\"").unwrap())
            .unwrap();
    let secret = SecretString::from("pack-defined-scheme-secret".to_string());
    let server = crate::support::receiver(&scheme, &secret, Behaviour::Answers204).await;
    let env = Environment {
        name: "test".into(),
        pack: "test".into(),
        webhook: Some(Webhook {
            url: receiver::url(&server).unwrap(),
            scheme: None,
            secret: Secret { value: secret, source: SecretRef::Env("S".into()) },
        }),
        ..Environment::default()
    };
    let summary = run_pack(env, pack_from(&text), &Selection::default(), &RunOptions::default()).await;
    let report = &summary.probes[0];
    assert_eq!(report.status, Status::Pass, "{report:#?}");
    assert_eq!(report.facts["scheme"], "custom");
}
