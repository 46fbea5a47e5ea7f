//! `golive report merge`: JSON reports of one environment from several egress
//! networks, merged into one report and one exit code.

use std::path::PathBuf;

use clap::{Args, Subcommand};

use crate::config::ConfigError;
use crate::exit;
use crate::report::merge::{self, Input};
use crate::report::reporter::{Remote, Reporter};
use crate::report::{Format, ReportTarget, RunSummary};

/// `golive report` commands.
#[derive(Debug, Subcommand)]
pub enum ReportCommand {
    /// Merge JSON reports (`verify --format json --egress NAME`) of one environment run from several networks.
    Merge(MergeArgs),
}

/// `golive report merge` options.
#[derive(Debug, Args)]
#[command(
    after_help = "Examples:\n  golive report merge nat-a.json nat-b.json\n  golive report merge reports/*.json --format markdown --output summary.md --report junit=golive.xml\n\nExit codes as verify: 1 when any egress failed a probe; 2 when the reports cannot be merged (another environment, the same egress twice, not a JSON report)."
)]
pub struct MergeArgs {
    /// The JSON reports (`golive verify --format json --egress NAME > NAME.json`).
    #[arg(required = true, value_name = "REPORT.json")]
    reports: Vec<PathBuf>,
    /// The format of the merged report.
    #[arg(long, value_enum, default_value = "human")]
    format: Format,
    /// Write the merged report (in --format) to PATH instead of stdout.
    #[arg(long, short = 'o', value_name = "PATH")]
    output: Option<PathBuf>,
    /// Also write FORMAT to PATH, e.g. junit=golive.xml; repeatable.
    #[arg(long, value_name = "FORMAT=PATH")]
    report: Vec<ReportTarget>,
}

/// Runs a `golive report` command.
pub fn run(command: ReportCommand) -> Result<u8, ConfigError> {
    match command {
        ReportCommand::Merge(args) => run_merge(args),
    }
}

fn read(path: &std::path::Path) -> Result<Input, ConfigError> {
    let shown = path.display().to_string();
    let text = crate::files::read_regular_text(path, crate::files::MAX_REPORT_BYTES)
        .map_err(|e| ConfigError::usage(format!("cannot read the report {shown}: {e}")))?;
    let value: serde_json::Value = serde_json::from_str(&text)
        .map_err(|e| ConfigError::usage(format!("{shown} is not a JSON report: {e}")).help(HELP))?;
    if value.get("mode").and_then(|m| m.as_str()) == Some("watch") {
        return Err(
            ConfigError::usage(format!("{shown} is the summary of a --watch, not the report of one run")).help(HELP)
        );
    }
    let summary: RunSummary = serde_json::from_value(value)
        .map_err(|e| ConfigError::usage(format!("{shown} is not a golive JSON report: {e}")).help(HELP))?;
    Ok(Input { path: shown, summary })
}

const HELP: &str = "write each report with `golive verify --env ENV --egress NAME --format json > NAME.json`";

fn run_merge(args: MergeArgs) -> Result<u8, ConfigError> {
    let inputs = args.reports.iter().map(|p| read(p)).collect::<Result<Vec<_>, _>>()?;
    let merged = merge::merge(&inputs).map_err(|e| ConfigError::usage(e.0))?;
    let reporter = Reporter::run(args.format, &args.report, super::stdout_colour(), true);
    let lost = match &args.output {
        Some(path) => reporter.finish_to_file(&Remote(&merged), path),
        None => reporter.finish(&Remote(&merged), None),
    };
    Ok(exit::with_lost_outputs(exit::for_summary(&merged, false), &lost))
}
