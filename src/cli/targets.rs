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

/// Loads the targets for `--env`.
pub async fn resolve(args: &EnvArgs) -> Result<Resolved, ConfigError> {
    if args.env == config::DEMO_ENV {
        let fakes = Fakes::start(args.scenario.unwrap_or(Scenario::Healthy))
            .await
            .map_err(|e| ConfigError::usage(format!("cannot start the demo fakes: {e}")))?;
        let targets = fakes
            .environments()
            .into_iter()
            .map(|env| config::pack::load(&env.pack, None).map(|pack| (env, pack)))
            .collect::<Result<Vec<_>, _>>()?;
        return Ok(Resolved { targets, fakes: Some(fakes) });
    }
    if args.scenario.is_some() {
        return Err(super::scenario_needs_demo());
    }
    let (env, pack) = config::env::load(&args.config, &args.env)?;
    Ok(Resolved { targets: vec![(env, pack)], fakes: None })
}
