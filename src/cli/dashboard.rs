//! `golive dashboard`: prints a Grafana dashboard for `golive serve`'s
//! metrics (see [`crate::exporter::dashboard`]); import it in Grafana
//! (Dashboards › New › Import) and pick the Prometheus that scrapes golive.

use clap::Args;

use crate::config::ConfigError;
use crate::exporter::dashboard;

/// `golive dashboard` options.
#[derive(Debug, Args)]
#[command(
    after_help = "Examples:\n  golive dashboard > golive-dashboard.json\n  golive dashboard --title 'Launch day' > launch.json"
)]
pub struct DashboardArgs {
    /// The dashboard's title.
    #[arg(long, value_name = "TEXT", default_value = "golive")]
    title: String,
}

/// Runs `golive dashboard`: needs no configuration, sends nothing.
pub fn run(args: DashboardArgs) -> Result<u8, ConfigError> {
    let board = dashboard::dashboard(&args.title);
    let text = serde_json::to_string_pretty(&board).unwrap_or_default();
    Ok(super::stdout::document("the dashboard", |out| writeln!(out, "{text}")))
}
