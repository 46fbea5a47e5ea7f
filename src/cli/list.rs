//! `golive list`: the plan without running it — each probe with the URL it
//! will call — as a table or as JSON (`--format json`).

use clap::Args;

use super::EnvArgs;
use super::targets::resolve_planned;
use crate::config::ConfigError;
use crate::plan::{Plan, PlannedProbe, Selection};

/// The formats of `golive list`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ListFormat {
    /// A table.
    Human,
    /// One JSON document: `{ env, probes: [...], off: [...] }`.
    Json,
}

/// `golive list` options.
#[derive(Debug, Args)]
pub struct ListArgs {
    #[command(flatten)]
    target: EnvArgs,
    /// The format written to stdout.
    #[arg(long, value_enum, default_value = "human")]
    format: ListFormat,
}

/// The URLs a probe will call: every `url` (and `*_url`) of its parameters and
/// steps, interpolated with the environment's values; a value only a run
/// captures stays `${name}`. Empty for kinds that call no URL (cert, fcrdns).
pub fn urls(plan: &Plan, p: &PlannedProbe) -> Vec<String> {
    let env = &plan.targets[p.target].env;
    let lookup = |name: &str| env.var(name).or_else(|| Some(format!("${{{name}}}")));
    let mut raw: Vec<&str> = Vec::new();
    fn collect<'a>(table: &'a toml::Table, out: &mut Vec<&'a str>) {
        for (key, value) in table {
            if let toml::Value::String(s) = value
                && (key == "url" || key.ends_with("_url"))
            {
                out.push(s);
            }
        }
        // The steps in order, then the cleanup.
        for key in ["steps", "cleanup"] {
            for item in table.get(key).and_then(toml::Value::as_array).into_iter().flatten() {
                if let toml::Value::Table(t) = item {
                    collect(t, out);
                }
            }
        }
    }
    collect(&p.spec.params, &mut raw);
    let mut out: Vec<String> = Vec::new();
    for text in raw {
        let url = crate::config::interpolate::interpolate_str(text, &lookup).unwrap_or_else(|_| text.to_string());
        if !out.contains(&url) {
            out.push(url);
        }
    }
    out
}

/// Runs `golive list`.
pub async fn run(args: ListArgs) -> Result<u8, ConfigError> {
    let resolved = resolve_planned(&args.target).await?;
    // A probe lacking a `${name}` is shown with what it needs; only verify refuses it.
    let plan = Plan::for_listing(&args.target.env, resolved.targets, &Selection::default())?;
    let needs: Vec<(&str, &str)> =
        plan.probes.iter().filter_map(|p| p.needs.as_deref().map(|n| (p.spec.id.as_str(), n))).collect();
    let runbook = |p: &PlannedProbe| -> Vec<String> {
        p.spec.runbook.iter().map(|r| format!("{} › {} › {}", r.runbook, r.section, r.item)).collect()
    };
    // Probes this environment leaves out: an optional feature it lacks, another stage.
    let off: Vec<(String, String, String)> = plan
        .targets
        .iter()
        .flat_map(|t| t.pack.probes.iter().filter_map(|s| crate::plan::off(&t.env, s).map(|o| (s, o))))
        .map(|(s, o)| (s.id.clone(), o.why.to_string(), o.fix.to_string()))
        .collect();
    if args.format == ListFormat::Json {
        let probes: Vec<serde_json::Value> = plan
            .probes
            .iter()
            .map(|p| {
                serde_json::json!({
                    "id": p.spec.id,
                    "kind": p.spec.kind.name(),
                    "pack": plan.targets[p.target].pack.name,
                    "title": p.spec.title,
                    "urls": urls(&plan, p),
                    "depends_on": p.spec.depends_on,
                    "tags": p.spec.tags,
                    "mutating": p.spec.mutating(),
                    "runbook": runbook(p),
                    "needs": p.needs,
                })
            })
            .collect();
        let off: Vec<serde_json::Value> =
            off.iter().map(|(id, why, fix)| serde_json::json!({ "id": id, "why": why, "fix": fix })).collect();
        let doc = serde_json::json!({ "env": plan.env_name, "probes": probes, "off": off });
        let text = serde_json::to_string_pretty(&doc).unwrap_or_default();
        return Ok(super::stdout::document("the plan", |out| writeln!(out, "{text}")));
    }
    let rows: Vec<[String; 7]> = plan
        .probes
        .iter()
        .map(|p| {
            let dash = |v: &[String]| if v.is_empty() { "-".to_string() } else { v.join(",") };
            let runbook = runbook(p).join("; ");
            let urls = urls(&plan, p);
            let url = match urls.as_slice() {
                [] => "-".to_string(),
                [one] => one.clone(),
                [first, rest @ ..] => format!("{first} (+{} more)", rest.len()),
            };
            [
                if p.needs.is_some() { format!("{} (needs a value)", p.spec.id) } else { p.spec.id.clone() },
                p.spec.kind.name().to_string(),
                url,
                dash(&p.spec.depends_on),
                dash(&p.spec.tags),
                if p.spec.mutating() { "yes" } else { "no" }.to_string(),
                if runbook.is_empty() { "-".to_string() } else { runbook },
            ]
        })
        .collect();
    let header = ["ID", "KIND", "URL", "DEPENDS ON", "TAGS", "MUTATING", "RUNBOOK"].map(String::from);
    let mut widths = [0usize; 7];
    for row in std::iter::once(&header).chain(&rows) {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    Ok(super::stdout::document("the plan", |out| {
        for row in std::iter::once(&header).chain(&rows) {
            let mut line = String::new();
            for (i, cell) in row.iter().enumerate() {
                if i + 1 == row.len() {
                    line.push_str(cell);
                } else {
                    line.push_str(&format!("{cell:<w$}  ", w = widths[i]));
                }
            }
            writeln!(out, "{}", crate::report::text::terminal(line.trim_end()))?;
        }
        if !needs.is_empty() {
            let lines: Vec<String> = needs.iter().map(|(id, why)| format!("  {id}: {why}")).collect();
            writeln!(out, "\nNeeds a value before verify can run it:\n{}", lines.join("\n"))?;
        }
        if !off.is_empty() {
            let lines: Vec<String> = off.iter().map(|(id, why, fix)| format!("  {id}: {why} ({fix})")).collect();
            writeln!(out, "\nOff in this environment:\n{}", lines.join("\n"))?;
        }
        Ok(())
    }))
}
