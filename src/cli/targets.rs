//! Resolving `--env` into environments bound to packs: the demo's fakes, or
//! `golive.toml` and its pack.

use crate::config::{self, ConfigError, Environment, Pack};
use crate::fake::{Fakes, Scenario};

use super::EnvArgs;

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
    if args.is_demo() && !start_fakes {
        let scenario = args.scenario.unwrap_or(Scenario::Healthy);
        return Ok(Resolved { targets: with_packs(crate::fake::planned_environments(scenario))?, fakes: None });
    }
    if args.is_demo() {
        let fakes = Fakes::start_with(args.scenario.unwrap_or(Scenario::Healthy), args.variant.unwrap_or_default())
            .await
            .map_err(|e| ConfigError::usage(format!("cannot start the demo fakes: {e}")))?;
        let targets = with_packs(fakes.environments())?;
        return Ok(Resolved { targets, fakes: Some(fakes) });
    }
    if args.scenario.is_some() {
        return Err(super::needs_demo("--scenario"));
    }
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

/// Binds each demo environment to its built-in pack.
fn with_packs(envs: Vec<Environment>) -> Result<Vec<(Environment, Pack)>, ConfigError> {
    envs.into_iter().map(|env| config::pack::load(&env.pack, None).map(|pack| (env, pack))).collect()
}
