//! Resolving `--env` into environments bound to packs: the demo's fakes, or
//! `golive.toml` and its pack.

use crate::config::{self, ConfigError, Environment, Pack};

use super::EnvArgs;

/// The demo's running fakes, kept alive for a run.
#[cfg(feature = "demo")]
pub type Fakes = golive_fakes::Fakes;
/// The demo's running fakes: none in a golive built without the `demo` feature.
#[cfg(not(feature = "demo"))]
pub enum Fakes {}

/// Dropping the fakes stops them; the commands drop them the same way with or
/// without the feature.
#[cfg(not(feature = "demo"))]
impl Drop for Fakes {
    fn drop(&mut self) {
        match *self {}
    }
}

/// The environments and packs of a run, and the fakes behind the demo.
pub struct Resolved {
    /// Environment and pack pairs.
    pub targets: Vec<(Environment, Pack)>,
    /// Running fakes, kept alive for the run (demo only).
    pub fakes: Option<Fakes>,
}

/// Loads the targets for `--env`, starting the demo's fakes when it is the demo.
pub async fn resolve(args: &EnvArgs) -> Result<Resolved, ConfigError> {
    resolve_with(args, true).await
}

/// Loads the targets for `--env` for a command that sends nothing (`list`):
/// the demo's environments are planned, its fakes not started.
pub async fn resolve_planned(args: &EnvArgs) -> Result<Resolved, ConfigError> {
    resolve_with(args, false).await
}

async fn resolve_with(args: &EnvArgs, start_fakes: bool) -> Result<Resolved, ConfigError> {
    if args.is_demo() && args.envs.len() > 1 {
        return Err(ConfigError::usage("`demo` runs alone: its fakes play every environment of the demo")
            .help("run --env demo by itself, or name only environments of your golive.toml"));
    }
    if args.is_demo() {
        return demo(args, start_fakes).await;
    }
    #[cfg(feature = "demo")]
    if args.scenario.is_some() {
        return Err(super::needs_demo("--scenario"));
    }
    #[cfg(feature = "demo")]
    if args.variant.is_some() {
        return Err(super::needs_demo("--variant"));
    }
    // A command that sends nothing needs no secret values (`golive list` in CI
    // before the secrets are there).
    let load = if start_fakes { config::env::load } else { config::env::load_unresolved };
    // Each environment (a group stands for its members) loads on its own; every
    // one's errors are reported before anything runs.
    let mut targets = Vec::new();
    let mut errors = Vec::new();
    for name in config::env::expand(&args.config, &args.envs)? {
        match load(&args.config, &name) {
            Ok(target) => targets.push(target),
            Err(e) => errors.push(e),
        }
    }
    match ConfigError::all(errors) {
        Some(e) => Err(e),
        None => Ok(Resolved { targets, fakes: None }),
    }
}

/// The demo: its fakes started and their golive.toml loaded, or (`start_fakes`
/// false) planned.
#[cfg(feature = "demo")]
async fn demo(args: &EnvArgs, start_fakes: bool) -> Result<Resolved, ConfigError> {
    let scenario = args.scenario.unwrap_or(golive_fakes::Scenario::Healthy);
    let variant = args.variant.unwrap_or_default();
    if !start_fakes {
        return Ok(Resolved { targets: crate::demo::planned(scenario, variant)?, fakes: None });
    }
    let (fakes, targets) = crate::demo::start(scenario, variant).await?;
    Ok(Resolved { targets, fakes: Some(fakes) })
}

/// The demo of a golive built without it.
#[cfg(not(feature = "demo"))]
async fn demo(_: &EnvArgs, _: bool) -> Result<Resolved, ConfigError> {
    Err(ConfigError::usage("this golive was built without the demo (its `demo` feature is off)")
        .help("name an environment of your golive.toml, or install golive with its default features for `--env demo`"))
}
