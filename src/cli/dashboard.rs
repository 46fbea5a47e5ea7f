//! `golive dashboard`: prints a Grafana dashboard for `golive serve`'s
//! metrics (see [`crate::exporter::dashboard`]); import it in Grafana
//! (Dashboards › New › Import) and pick the Prometheus that scrapes golive.

use std::io::Write as _;

use clap::Args;

use crate::config::ConfigError;
use crate::exit;
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
    let mut stdout = std::io::stdout().lock();
    match writeln!(stdout, "{text}") {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => {
            eprintln!("golive: cannot write the dashboard to stdout: {e}");
            Ok(exit::OUTPUT)
        }
        _ => Ok(exit::OK),
    }
}
