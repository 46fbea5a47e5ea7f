//! `golive fake serve`: the embedded fakes in the foreground until Ctrl-C,
//! SIGTERM or SIGHUP, which stop them and remove their secrets folder.

use std::io::Write as _;

use clap::Args;

use crate::config::ConfigError;
use crate::exit;
use crate::fake::{Fakes, Scenario, Variant};
use crate::signals::Stopper;

/// `golive fake serve` options.
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// The behaviour the fakes play (`golive fake scenarios` lists them).
    #[arg(long, value_enum, default_value = "healthy", value_name = "NAME", hide_possible_values = true)]
    scenario: Scenario,
    /// The partner fakes' answers where the pages are silent (`golive fake variants` lists them).
    #[arg(long, value_enum, default_value = "default", value_name = "NAME", hide_possible_values = true)]
    variant: Variant,
}

/// Runs `golive fake serve`.
pub async fn run(args: ServeArgs) -> Result<u8, ConfigError> {
    // Listening before the fakes start, so their folder never outlives a stop.
    let mut stopper = Stopper::new();
    let fakes = tokio::select! {
        fakes = Fakes::start_with(args.scenario, args.variant) => {
            fakes.map_err(|e| ConfigError::usage(format!("cannot start the fakes: {e}")))?
        }
        signal = stopper.stopped() => return Ok(signal.exit_code()),
    };
    let listing = |out: &mut dyn std::io::Write| -> std::io::Result<()> {
        writeln!(out, "golive fakes running (scenario {}, variant {}):", args.scenario.name(), args.variant.as_str())?;
        for (label, address) in fakes.partner_listing() {
            writeln!(out, "  {label} {address}")?;
        }
        writeln!(out, "  webhook receiver     {}{}", fakes.webhook.uri(), crate::fake::webhook::PATH)?;
        writeln!(out, "  DNS (UDP and TCP)    {}", fakes.dns.addr())?;
        if let Some(fault) = &fakes.fault {
            writeln!(out, "  fault server         {} (the config below points at it)", fault.addr)?;
        }
        writeln!(out, "  secrets folder       {}\n", fakes.dir().display())?;
        writeln!(out, "{}", fakes.config_toml())?;
        writeln!(
            out,
            "Save the lines above as golive.toml and run `golive verify --env {}`. Ctrl-C (or SIGTERM, SIGHUP) stops the fakes and removes the secrets folder.",
            Fakes::SUGGESTED_ENV
        )
    };
    // Nobody can read the configuration of fakes whose stdout was closed: they stop, quietly.
    match super::stdout::write(listing) {
        super::stdout::Written::Done => {}
        super::stdout::Written::Closed => return Ok(exit::OK),
        super::stdout::Written::Failed(e) => {
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
