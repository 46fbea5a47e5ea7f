//! `golive fake serve`: the embedded fakes in the foreground until Ctrl-C,
//! SIGTERM or SIGHUP, which stop them and remove their secrets folder.
//!
//! It prints where each fake listens and a golive.toml for them; with
//! `--write-config PATH` the configuration goes to that file instead of
//! stdout, which then carries the status lines only.

use std::io::Write as _;
use std::path::{Path, PathBuf};

use clap::Args;

use crate::config::ConfigError;
use crate::exit;
use crate::signals::Stopper;
use golive_fakes::{CONFIG_HEADER, Fakes, Scenario, Variant};

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
        signal = stopper.stopped() => return Ok(signal.exit_code()),
    };
    if let Some(path) = &args.write_config
        && let Err(e) = std::fs::write(path, fakes.config_toml())
    {
        drop(fakes);
        return Err(ConfigError::in_file(path, format!("cannot write {}: {e}", path.display()))
            .help("check that its folder exists and is writable; the fakes were stopped"));
    }
    let envs: Vec<String> = golive_fakes::environments().into_iter().map(|e| format!("--env {e}")).collect();
    let envs = envs.join(" ");
    let listing = |out: &mut dyn std::io::Write| -> std::io::Result<()> {
        writeln!(out, "golive fakes running (scenario {}, variant {}):", args.scenario.name(), args.variant.as_str())?;
        for (label, address) in fakes.partner_listing() {
            writeln!(out, "  {label} {address}")?;
        }
        writeln!(out, "  webhook receiver     {}{}", fakes.webhook.uri(), golive_fakes::webhook::PATH)?;
        writeln!(out, "  DNS (UDP and TCP)    {}", fakes.dns.addr())?;
        if let Some(fault) = &fakes.fault {
            writeln!(out, "  fault server         {} (the config points at it)", fault.addr)?;
        }
        writeln!(out, "  secrets folder       {}\n", fakes.dir().display())?;
        match &args.write_config {
            Some(path) => {
                writeln!(out, "golive.toml for these fakes written to {}.", path.display())?;
                writeln!(
                    out,
                    "Run `golive verify --config {} {envs} --allow-mutations`. Ctrl-C (or SIGTERM, SIGHUP) stops the fakes and removes the secrets folder.",
                    path.display()
                )
            }
            None => {
                writeln!(out, "{}", fakes.config_toml())?;
                writeln!(
                    out,
                    "Save the lines above as golive.toml and run `golive verify --env {}` (or {envs} --allow-mutations for every partner), or let `--write-config PATH` write them. Ctrl-C (or SIGTERM, SIGHUP) stops the fakes and removes the secrets folder.",
                    Fakes::SUGGESTED_ENV
                )
            }
        }
    };
    // Nobody can read the configuration of fakes whose stdout was closed: they stop, quietly.
    match crate::report::stdout::write(listing) {
        crate::report::stdout::Written::Done => {}
        crate::report::stdout::Written::Closed => return Ok(exit::OK),
        crate::report::stdout::Written::Failed(e) => {
            let _ = writeln!(std::io::stderr(), "golive: cannot write the fakes' configuration to stdout: {e}");
            return Ok(exit::OUTPUT);
        }
    }
    // Stopped by a signal: 128 + its number, as the README's exit codes say.
    let signal = stopper.stopped().await;
    drop(fakes);
    eprintln!("golive: {signal}: fakes stopped, secrets folder removed");
    Ok(signal.exit_code())
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
