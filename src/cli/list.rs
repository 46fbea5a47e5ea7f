//! `golive list`: the plan without running it — each probe with the URL it
//! will call — as a table that fits the terminal (`--wide`: every character)
//! or as JSON (`--format json`), then the probes the environment leaves out
//! and what any placeholder URL stands for.

use clap::Args;

use super::EnvArgs;
use super::table::{Column, wrap};
use super::targets::resolve_planned;
use crate::config::ConfigError;
use crate::plan::{Plan, PlannedProbe, Selection};
use crate::report::text::terminal;

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
    /// Every character of every column, however wide the terminal (a pipe always gets them).
    #[arg(long)]
    wide: bool,
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
    let plan = Plan::for_listing(&args.target.name(), resolved.targets, &Selection::default())?;
    let needs: Vec<(&str, &str)> =
        plan.probes.iter().filter_map(|p| p.needs.as_deref().map(|n| (p.spec.id.as_str(), n))).collect();
    let runbook = |p: &PlannedProbe| -> Vec<String> {
        p.spec.runbook.iter().map(|r| format!("{} › {} › {}", r.runbook, r.section, r.item)).collect()
    };
    // Probes this environment leaves out: an optional feature it lacks, another stage.
    let off = &plan.off;
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
            off.iter().map(|o| serde_json::json!({ "id": o.id, "why": o.why, "fix": o.fix })).collect();
        let doc = serde_json::json!({ "env": plan.env_name, "probes": probes, "off": off });
        let text = serde_json::to_string_pretty(&doc).unwrap_or_default();
        return Ok(super::stdout::document("the plan", |out| writeln!(out, "{text}")));
    }
    let rows: Vec<Vec<String>> = plan
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
            .iter()
            .map(|c| crate::report::text::terminal(c).into_owned())
            .collect()
        })
        .collect();
    let limit = if args.wide { None } else { super::table::width() };
    let columns = [
        Column { name: "ID", min: None },
        Column { name: "KIND", min: None },
        Column { name: "URL", min: Some(20) },
        Column { name: "DEPENDS ON", min: Some(8) },
        Column { name: "TAGS", min: Some(10) },
        Column { name: "MUTATING", min: None },
        Column { name: "RUNBOOK", min: Some(10) },
    ];
    // The runbook item gives way first, then the URL, the tags, the dependencies;
    // a terminal too narrow even then gets one wrapped block per probe.
    let mut lines =
        super::table::render(&columns, &rows, limit, &[6, 2, 4, 3]).unwrap_or_else(|| stacked(&rows, limit));
    if !off.is_empty() {
        lines.push(String::new());
        lines.push(format!("Off in this environment ({}):", off.len()));
        for o in off {
            lines.extend(wrap(&terminal(&format!("{}: {}", o.id, o.why)), 2, limit));
            lines.extend(wrap(&terminal(&o.fix), 4, limit));
        }
    }
    if !needs.is_empty() {
        lines.push(String::new());
        lines.push("Needs a value before verify can run it:".to_string());
        for (id, why) in &needs {
            lines.extend(wrap(&terminal(&format!("{id}: {why}")), 2, limit));
        }
    }
    let placeholders = placeholder_notes(&args.target.name(), &rows);
    if !placeholders.is_empty() {
        lines.push(String::new());
        for note in placeholders {
            lines.extend(wrap(&note, 0, limit));
        }
    }
    if limit.is_some() && lines.iter().any(|l| l.contains('…')) {
        lines.push(String::new());
        lines.extend(wrap("Cut to the terminal's width (…): `golive list --wide` shows every character.", 0, limit));
    }
    Ok(super::stdout::document("the plan", |out| {
        for line in lines {
            writeln!(out, "{line}")?;
        }
        Ok(())
    }))
}

/// One block per probe, wrapped to `limit`: the id, kind and URL, then its
/// dependencies, tags and whether it mutates, then its runbook items.
fn stacked(rows: &[Vec<String>], limit: Option<usize>) -> Vec<String> {
    let mut lines = Vec::new();
    for r in rows {
        let [id, kind, url, deps, tags, mutating, runbook] = r.as_slice() else { continue };
        let url = if url == "-" { String::new() } else { format!(" {url}") };
        lines.extend(wrap(&format!("{id} ({kind}){url}"), 0, limit));
        let mutates = if mutating == "yes" { "mutating" } else { "read-only" };
        lines.extend(wrap(&format!("depends on {deps}; tags {tags}; {mutates}"), 4, limit));
        lines.extend(wrap(&format!("runbook: {runbook}"), 4, limit));
    }
    lines
}

/// What the placeholder URLs of the table stand for: the demo's fakes, which
/// `list` does not start, and the values `golive init` could not know.
fn placeholder_notes(env: &str, rows: &[Vec<String>]) -> Vec<String> {
    let mut notes = Vec::new();
    #[cfg(feature = "demo")]
    if env == crate::config::DEMO_ENV {
        notes.push(format!(
            "127.0.0.1:{} stands for the demo's fakes, which `golive list` does not start: `golive verify --env demo` starts them on free ports (`golive fake serve` shows which).",
            golive_fakes::PLANNED_PORT
        ));
    }
    if rows.iter().any(|r| r.iter().any(|c| c.contains(super::init::CHANGE_ME_URL))) {
        notes.push(format!(
            "{} is a placeholder `golive init` wrote (it never resolves): set the real URLs (base_url, website_url, webhook) in [env.{env}] of golive.toml.",
            super::init::CHANGE_ME_URL
        ));
    }
    notes
}
