//! The product without its `demo` feature (`cargo install --no-default-features`)
//! has no mock server inside: the fakes' crate and what only they use (wiremock,
//! hickory-server) are not among its normal dependencies, while the default
//! build has them (so the check can see them). `cargo tree` reads Cargo.lock
//! only (`--offline --locked`): it builds nothing and takes well under a second.
//! With the feature, the demo is the fakes' golive.toml, loaded by golive's
//! configuration loader for every scenario.

use std::process::Command;

/// The names of golive's normal dependency tree, with or without default features.
fn normal_dependencies(default_features: bool) -> String {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_string());
    let mut cmd = Command::new(cargo);
    cmd.current_dir(env!("CARGO_MANIFEST_DIR")).args([
        "tree",
        "-e",
        "normal",
        "-p",
        "golive",
        "--locked",
        "--offline",
        "--prefix",
        "none",
        "--format",
        "{p}",
    ]);
    if !default_features {
        cmd.arg("--no-default-features");
    }
    let out = cmd.output().expect("cargo runs");
    assert!(out.status.success(), "cargo tree failed: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).expect("utf-8")
}

fn has(tree: &str, package: &str) -> bool {
    tree.lines().any(|l| l.split_whitespace().next() == Some(package))
}

#[test]
fn the_build_without_the_demo_feature_has_no_fakes_wiremock_or_dns_server_inside() {
    let product = normal_dependencies(false);
    for package in ["golive-fakes", "wiremock", "hickory-server"] {
        assert!(!has(&product, package), "--no-default-features still depends on {package}:\n{product}");
    }
    // The product's own certificate tooling (`golive observe`'s CA) keeps rcgen.
    assert!(has(&product, "rcgen"), "{product}");
    let demo = normal_dependencies(true);
    for package in ["golive-fakes", "wiremock", "hickory-server"] {
        assert!(has(&demo, package), "the default build (demo) lacks {package}:\n{demo}");
    }
}

#[test]
fn every_scenario_plans_a_demo_golive_toml_that_the_config_loader_accepts() {
    use golive_fakes::{Scenario, Variant};
    for &scenario in Scenario::all() {
        let targets = golive::demo::planned(scenario, Variant::Default)
            .unwrap_or_else(|e| panic!("{}: {}", scenario.as_str(), e.render(false)));
        let packs: Vec<&str> = targets.iter().map(|(env, _)| env.pack.as_str()).collect();
        assert_eq!(packs, ["axys", "paymentsai"], "{}", scenario.as_str());
        assert!(targets.iter().all(|(env, _)| env.name == golive::config::DEMO_ENV), "{}", scenario.as_str());
        let axys = &targets[0].0;
        assert_eq!(axys.client_cert.is_none(), scenario == Scenario::NoClientCert, "{}", scenario.as_str());
        assert!(targets[1].0.webhook.is_some() && targets[1].0.input_text("account_id").is_some());
    }
}
