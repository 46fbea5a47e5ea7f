//! The fault plan of a run, from `--faults`: `all` (every fault of each pack,
//! the default), `none`, a comma-separated list of fault ids and set names,
//! or the path of a plan file (`[[fault]]` tables, applied to every pack of
//! the environment in place of its own).

use std::path::Path;

use crate::config::observe::{FaultSpec, plan_file};
use crate::config::{ConfigError, Pack};

/// Each pack's faults for this run, in pack order.
pub fn select(packs: &[&Pack], choice: &str) -> Result<Vec<Vec<FaultSpec>>, ConfigError> {
    let choice = choice.trim();
    if choice == "all" {
        return Ok(packs.iter().map(|p| p.observe.faults.clone()).collect());
    }
    if choice == "none" {
        return Ok(packs.iter().map(|_| Vec::new()).collect());
    }
    if choice.ends_with(".toml") || choice.contains('/') {
        let faults = plan_file(Path::new(choice))?;
        return Ok(packs.iter().map(|_| faults.clone()).collect());
    }
    let names: Vec<&str> = choice.split(',').map(str::trim).filter(|n| !n.is_empty()).collect();
    let known =
        |n: &str| packs.iter().any(|p| p.observe.faults.iter().any(|f| f.id == n || f.sets.iter().any(|s| s == n)));
    if let Some(unknown) = names.iter().find(|n| !known(n)) {
        let mut all: Vec<&str> = vec!["all", "none"];
        for p in packs {
            for f in &p.observe.faults {
                all.push(&f.id);
                all.extend(f.sets.iter().map(String::as_str));
            }
        }
        all.sort_unstable();
        all.dedup();
        return Err(ConfigError::usage(format!("--faults: no fault or set `{unknown}` in this environment's packs"))
            .suggest(unknown, all.iter().copied())
            .help(format!("known: {}; or the path of a plan file ending in .toml", all.join(", "))));
    }
    // A pack's faults never overlap (checked when it loads), so neither do any of them.
    Ok(packs
        .iter()
        .map(|p| {
            p.observe
                .faults
                .iter()
                .filter(|f| names.iter().any(|n| *n == f.id || f.sets.iter().any(|s| s == n)))
                .cloned()
                .collect()
        })
        .collect())
}
