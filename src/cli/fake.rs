//! `golive fake …` (only with the `demo` feature): serve the fakes of the
//! `golive-fakes` crate, list their scenarios and variants.

mod serve;

use clap::Subcommand;
use golive_fakes::{Scenario, Variant};

use crate::config::ConfigError;

/// `golive fake` subcommands.
#[derive(Debug, Subcommand)]
pub enum FakeCommand {
    /// Serve the fakes in the foreground and print a golive.toml for them; Ctrl-C stops.
    Serve(serve::ServeArgs),
    /// List the scenarios the fakes can play (`--scenario NAME`), each with what it breaks.
    Scenarios,
    /// List the variants of the partner fakes (`--variant NAME`): the answers they give where the partners' pages are silent.
    Variants,
}

/// Runs a `golive fake` subcommand.
pub async fn run(command: FakeCommand) -> Result<u8, ConfigError> {
    match command {
        FakeCommand::Serve(args) => serve::run(args).await,
        FakeCommand::Scenarios => Ok(print_values::<Scenario>()),
        FakeCommand::Variants => Ok(print_values::<Variant>()),
    }
}

/// Prints every value of a `--scenario` or `--variant` with its description, one per line.
fn print_values<T: clap::ValueEnum>() -> u8 {
    let values: Vec<clap::builder::PossibleValue> =
        T::value_variants().iter().filter_map(clap::ValueEnum::to_possible_value).collect();
    let width = values.iter().map(|v| v.get_name().len()).max().unwrap_or(0);
    super::stdout::document("the values", |out| {
        for v in &values {
            let help = v.get_help().map(ToString::to_string).unwrap_or_default();
            writeln!(out, "{:<width$}  {help}", v.get_name())?;
        }
        Ok(())
    })
}
