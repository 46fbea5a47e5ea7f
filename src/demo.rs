//! The built-in demo (`--env demo`, the default-on `demo` feature): starts the
//! fakes of the `golive-fakes` crate, has them write their golive.toml, and loads
//! it through the normal configuration loader, as a user's file would be.

use std::path::Path;

use golive_fakes::{Fakes, Planned, Scenario, Variant};

use crate::config::{self, ConfigError, DEMO_ENV, Environment, Pack};

/// Starts the fakes of `scenario` and `variant` and loads the demo's environments.
pub async fn start(scenario: Scenario, variant: Variant) -> Result<(Fakes, Vec<(Environment, Pack)>), ConfigError> {
    let fakes = Fakes::start_with(scenario, variant)
        .await
        .map_err(|e| ConfigError::usage(format!("cannot start the demo fakes: {e}")))?;
    let targets = targets(&fakes)?;
    Ok((fakes, targets))
}

/// The demo's environments of running fakes, each bound to its pack: their
/// golive.toml, written into their folder and loaded.
pub fn targets(fakes: &Fakes) -> Result<Vec<(Environment, Pack)>, ConfigError> {
    let path =
        fakes.write_config().map_err(|e| ConfigError::usage(format!("cannot write the demo's configuration: {e}")))?;
    load(&path, config::env::load)
}

/// The demo's environments as `golive list` needs them: nothing started, and
/// placeholder addresses and files that no request will ever use.
pub fn planned(scenario: Scenario, variant: Variant) -> Result<Vec<(Environment, Pack)>, ConfigError> {
    let planned = Planned::write(scenario, variant)
        .map_err(|e| ConfigError::usage(format!("cannot write the demo's planned configuration: {e}")))?;
    load(planned.config(), config::env::load_unresolved)
}

/// One environment of a configuration file, bound to its pack: `config::env::load`
/// or, for a command that sends nothing, `load_unresolved`.
type Loader = fn(&Path, &str) -> Result<(Environment, Pack), ConfigError>;

/// Loads the fakes' environments from `path`, one per partner fake; each is
/// called `demo`, the name the user gave, so the demo's own rules (no secret
/// state kept) apply.
fn load(path: &Path, load: Loader) -> Result<Vec<(Environment, Pack)>, ConfigError> {
    golive_fakes::environments()
        .into_iter()
        .map(|name| {
            let (mut env, pack) = load(path, name)?;
            env.name = DEMO_ENV.to_string();
            Ok((env, pack))
        })
        .collect()
}
