//! `golive fake serve`: the embedded fakes in the foreground until Ctrl-C,
//! SIGTERM or SIGHUP, which stop them and remove their secrets folder.
//!
//! It prints where each fake listens and a golive.toml for them; with
//! `--write-config PATH` the configuration goes to that file instead of
//! stdout, which then carries the status lines only.

use std::path::{Path, PathBuf};

use clap::Args;

use crate::config::ConfigError;
use crate::exit;
use crate::fake::{CONFIG_HEADER, Fakes, Scenario, Variant};
use crate::signals::Stopper;

/// `golive fake serve` options.
#[derive(Debug, Args)]
#[command(
    after_help = "Example:\n  golive fake serve --write-config fakes.toml &\n  golive verify --config fakes.toml --env fake-axys --env fake-paymentsai --allow-mutations"
)]
pub struct ServeArgs {
    /// The behaviour the fakes play (`golive fake scenarios` lists them).
    #[arg(long, value_enum, default_value = "healthy", value_name = "NAME", hide_possible_values = true)]
    scenario: Scenario,
    /// The partner fakes' answers where the pages are silent (`golive fake variants` lists them).
    #[arg(long, value_enum, default_value = "default", value_name = "NAME", hide_possible_values = true)]
    variant: Variant,
    /// Write the golive.toml for the fakes to PATH instead of printing it (a file this
    /// command wrote before is replaced; any other file is refused).
    #[arg(long, value_name = "PATH")]
    write_config: Option<PathBuf>,
}

/// Runs `golive fake serve`.
pub async fn run(args: ServeArgs) -> Result<u8, ConfigError> {
    if let Some(path) = &args.write_config {
        writable(path)?;
    }
    // Listening before the fakes start, so their folder never outlives a stop.
    let mut stopper = Stopper::new();
    let fakes = tokio::select! {
        fakes = Fakes::start_with(args.scenario, args.variant) => {
            fakes.map_err(|e| ConfigError::usage(format!("cannot start the fakes: {e}")))?
        }
        _ = stopper.stopped() => return Ok(exit::OK),
    };
    println!("golive fakes running (scenario {}, variant {}):", args.scenario.name(), args.variant.as_str());
    for (label, address) in fakes.partner_listing() {
        println!("  {label} {address}");
    }
    println!("  webhook receiver     {}{}", fakes.webhook.uri(), crate::fake::webhook::PATH);
    println!("  DNS (UDP and TCP)    {}", fakes.dns.addr());
    if let Some(fault) = &fakes.fault {
        println!("  fault server         {} (the config points at it)", fault.addr);
    }
    println!("  secrets folder       {}", fakes.dir().display());
    println!();
    let envs = "--env fake-axys --env fake-paymentsai";
    match &args.write_config {
        Some(path) => {
            if let Err(e) = std::fs::write(path, fakes.config_toml()) {
                drop(fakes);
                return Err(ConfigError::in_file(path, format!("cannot write {}: {e}", path.display()))
                    .help("check that its folder exists and is writable; the fakes were stopped"));
            }
            println!("golive.toml for these fakes written to {}.", path.display());
            println!(
                "Run `golive verify --config {} {envs} --allow-mutations`. Ctrl-C (or SIGTERM, SIGHUP) stops the fakes and removes the secrets folder.",
                path.display()
            );
        }
        None => {
            println!("{}", fakes.config_toml());
            println!(
                "Save the lines above as golive.toml and run `golive verify --env {}` (or {envs} --allow-mutations for both), or let `--write-config PATH` write them. Ctrl-C (or SIGTERM, SIGHUP) stops the fakes and removes the secrets folder.",
                Fakes::SUGGESTED_ENV
            );
        }
    }
    let signal = stopper.stopped().await;
    drop(fakes);
    eprintln!("golive: {signal}: fakes stopped, secrets folder removed");
    Ok(exit::OK)
}

/// Refuses to replace a file `fake serve` did not write (a real golive.toml).
fn writable(path: &Path) -> Result<(), ConfigError> {
    match std::fs::read_to_string(path) {
        Ok(text) if !text.starts_with(CONFIG_HEADER) => Err(ConfigError::in_file(
            path,
            format!("{} exists and was not written by `golive fake serve`; it is left as it is", path.display()),
        )
        .help("give --write-config a new path, e.g. fakes.toml")),
        Ok(_) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(ConfigError::in_file(path, format!("cannot read {}: {e}", path.display()))
            .help("give --write-config a path golive can write")),
    }
}
