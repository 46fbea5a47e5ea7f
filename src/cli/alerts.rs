//! `golive alerts`: Prometheus alerting rules for `golive serve`'s metrics,
//! from the environment's probes and its packs' `[[watch]]` tables.

use std::time::Duration;

use clap::Args;

use super::EnvArgs;
use super::targets::resolve_planned;
use crate::config::{ConfigError, env::parse_duration};
use crate::exporter::alerts::{self, AlertOptions};
use crate::plan::{Plan, Selection};

/// `golive alerts` options.
#[derive(Debug, Args)]
#[command(
    after_help = "Examples:\n  golive alerts --env production > golive-rules.yml\n  promtool check rules golive-rules.yml"
)]
pub struct AlertsArgs {
    #[command(flatten)]
    target: EnvArgs,
    /// How long a condition holds before its alert fires, e.g. 5m.
    #[arg(long = "for", value_name = "DUR", default_value = "5m", value_parser = parse_duration)]
    for_: Duration,
    /// The runbook_url of every rule (your team's page), instead of each pack's published runbook.
    #[arg(long, value_name = "URL", value_parser = parse_url)]
    runbook_url: Option<String>,
}

/// An http(s) URL for `--runbook-url`.
fn parse_url(text: &str) -> Result<String, String> {
    match reqwest::Url::parse(text) {
        Ok(u) if matches!(u.scheme(), "http" | "https") => Ok(text.to_string()),
        _ => Err(format!("`{text}` is not an http(s) URL, e.g. https://wiki.example.com/golive")),
    }
}

/// Runs `golive alerts`: sends nothing, needs no secret values.
pub async fn run(args: AlertsArgs) -> Result<u8, ConfigError> {
    let resolved = resolve_planned(&args.target).await?;
    let plan = Plan::build(&args.target.name(), resolved.targets, &Selection::default())?;
    let text = alerts::rules(&plan, &AlertOptions { for_: args.for_, runbook_url: args.runbook_url });
    Ok(super::stdout::document("the rules", |out| out.write_all(text.as_bytes())))
}
