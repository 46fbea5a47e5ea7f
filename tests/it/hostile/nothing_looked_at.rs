//! No check ends `pass` without having looked at something: every probe of
//! every kind in the built-in packs runs alone (its dependencies cut) against
//! an environment whose sources are empty or missing: the partner and the
//! website answer an empty 200 to everything, no certificate, key, webhook,
//! calling IP or exposure source is set. None of them may pass.

use std::collections::BTreeSet;
use std::time::Duration;

use golive::config::pack::BUILT_IN;
use golive::config::{Environment, Stage};
use golive::plan::{Plan, Selection};
use golive::report::Status;
use golive::runner::{self, RunOptions};
use golive::spec::ProbeKind;
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::support::{env_at, pack_from};

/// The pack's text with every `depends_on` cut, so each probe runs by itself.
fn alone(text: &str) -> String {
    text.lines().filter(|l| !l.trim_start().starts_with("depends_on")).collect::<Vec<_>>().join("\n")
}

/// Every `${name}` of the pack, set to a placeholder so each probe binds.
fn placeholders(text: &str) -> Vec<String> {
    let re = regex::Regex::new(r"\$\{([A-Za-z0-9_]+)\}").expect("regex");
    re.captures_iter(text).map(|c| c[1].to_string()).collect::<BTreeSet<_>>().into_iter().collect()
}

/// The empty environment of one stage: every feature on, nothing else set.
fn empty_env(uri: &str, stage: Stage, text: &str) -> Environment {
    let mut env = Environment {
        website_url: Some(reqwest::Url::parse(uri).expect("url")),
        stage: Some(stage),
        features: ["physical-card", "bank-deposit", "wallets", "3ds"].map(String::from).to_vec(),
        allow_insecure_http: true,
        ..env_at(uri)
    };
    for name in placeholders(text) {
        if env.var(&name).is_none() {
            env.vars.insert(name, "placeholder".into());
        }
    }
    env
}

/// The acceptance test: every probe of every kind, with nothing to look at.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_probe_of_any_kind_passes_with_an_empty_or_missing_source() {
    let server = MockServer::start().await;
    Mock::given(wiremock::matchers::any()).respond_with(ResponseTemplate::new(200)).mount(&server).await;
    // Plain HTTP answers an empty 200; the same port as https:// answers no TLS at all.
    let plain = server.uri();
    let tls = plain.replace("http://", "https://");
    let mut kinds: BTreeSet<&str> = BTreeSet::new();
    let (mut passed, mut runs) = (Vec::new(), 0);
    for (name, text) in BUILT_IN {
        let text = alone(text);
        let ids: Vec<String> = pack_from(&text).probes.iter().map(|p| p.id.clone()).collect();
        for (stage, base) in [Stage::Staging, Stage::Production].into_iter().flat_map(|s| [(s, &plain), (s, &tls)]) {
            for id in &ids {
                let env = empty_env(base, stage, &text);
                let sel = Selection { only: vec![id.clone()], ..Selection::default() };
                // Off in this stage, a value only `webhook` gives, or a kind that
                // refuses the scheme (tls wants https): verify would not run it either.
                let Ok(plan) = Plan::build("empty", vec![(env, pack_from(&text))], &sel) else { continue };
                let opts = RunOptions {
                    allow_mutations: true,
                    timeout: Some(Duration::from_secs(5)),
                    ..RunOptions::default()
                };
                let summary = runner::run(&plan, &opts, &mut |_| {}).await;
                runs += summary.probes.len();
                for p in &summary.probes {
                    kinds.insert(ProbeKind::from_name(&p.kind).map_or("?", ProbeKind::name));
                    if p.status == Status::Pass {
                        let checks = serde_json::to_string(&p.checks).unwrap_or_default();
                        passed.push(format!("{name} {stage:?} {base}: {} ({}): {checks}", p.id, p.kind));
                    }
                }
            }
        }
    }
    let all: BTreeSet<&str> = ProbeKind::names().into_iter().collect();
    assert_eq!(kinds, all, "every kind was run");
    eprintln!("{runs} probe runs, none passed");
    assert!(runs > 60, "each probe of both packs ran in both stages: {runs} runs");
    assert!(passed.is_empty(), "passed with nothing to look at:\n{}", passed.join("\n"));
}
