//! `golive list`: the plan without running it.

use std::io::Write;

use clap::Args;

use super::EnvArgs;
use super::targets::resolve_planned;
use crate::config::ConfigError;
use crate::exit;
use crate::plan::{Plan, Selection};

/// `golive list` options.
#[derive(Debug, Args)]
pub struct ListArgs {
    #[command(flatten)]
    target: EnvArgs,
}

/// Runs `golive list`.
pub async fn run(args: ListArgs) -> Result<u8, ConfigError> {
    let resolved = resolve_planned(&args.target).await?;
    let plan = Plan::build(&args.target.env, resolved.targets, &Selection::default())?;
    let rows: Vec<[String; 6]> = plan
        .probes
        .iter()
        .map(|p| {
            let dash = |v: &[String]| if v.is_empty() { "-".to_string() } else { v.join(",") };
            let runbook = p
                .spec
                .runbook
                .iter()
                .map(|r| format!("{} › {} › {}", r.runbook, r.section, r.item))
                .collect::<Vec<_>>()
                .join("; ");
            [
                p.spec.id.clone(),
                p.spec.kind.name().to_string(),
                dash(&p.spec.depends_on),
                dash(&p.spec.tags),
                if p.spec.mutating() { "yes" } else { "no" }.to_string(),
                if runbook.is_empty() { "-".to_string() } else { runbook },
            ]
        })
        .collect();
    let header = ["ID", "KIND", "DEPENDS ON", "TAGS", "MUTATING", "RUNBOOK"].map(String::from);
    let mut widths = [0usize; 6];
    for row in std::iter::once(&header).chain(&rows) {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let mut out = std::io::stdout().lock();
    for row in std::iter::once(&header).chain(&rows) {
        let mut line = String::new();
        for (i, cell) in row.iter().enumerate() {
            if i + 1 == row.len() {
                line.push_str(cell);
            } else {
                line.push_str(&format!("{cell:<w$}  ", w = widths[i]));
            }
        }
        if writeln!(out, "{}", line.trim_end()).is_err() {
            break;
        }
    }
    // Probes this environment leaves out: an optional feature it lacks, another stage.
    let off: Vec<String> = plan
        .targets
        .iter()
        .flat_map(|t| t.pack.probes.iter().filter_map(|s| crate::plan::off(&t.env, s).map(|o| (s, o))))
        .map(|(s, o)| format!("  {}: {} ({})", s.id, o.why, o.fix))
        .collect();
    if !off.is_empty() {
        let _ = writeln!(out, "\nOff in this environment:\n{}", off.join("\n"));
    }
    Ok(exit::OK)
}
