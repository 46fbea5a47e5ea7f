//! `golive contract report`: every partner fact the packs infer (no published
//! page shows it), each with what the given runs saw of it — `confirmed`
//! (the answer bore it out), `refuted` (the partner answered otherwise, and
//! what it answered) or `not seen` — read from evidence folders written by
//! `golive verify --evidence DIR`. The first real staging run tells the pack's
//! maintainer exactly which lines to change.

use std::path::{Path, PathBuf};

use clap::{Args, Subcommand};
use serde_json::json;

use crate::config::facts::{PackFact, of_probe, of_webhook};
use crate::config::{ConfigError, Pack, pack};
use crate::probe::request::facts::what_was_answered;
use crate::report::RunSummary;

/// `golive contract` commands.
#[derive(Debug, Subcommand)]
pub enum ContractCommand {
    /// List every fact the packs infer, with confirmed / refuted / not seen across evidence folders.
    Report(ReportArgs),
}

/// `golive contract report` options.
#[derive(Debug, Args)]
#[command(
    after_help = "Examples:\n  golive contract report\n  golive contract report --evidence evidence/staging-1 --evidence evidence/staging-2\n  golive contract report --pack my-pack.toml --evidence evidence/run --format json > contract.json\n\nA refuted fact: the partner answered otherwise than golive inferred. Send the JSON report to the pack's maintainer (it holds statuses and the checks' messages, masked as in the evidence), or, for your own copy of the pack, change the fact and give it the `source` page."
)]
pub struct ReportArgs {
    /// An evidence folder written by `golive verify --evidence DIR`; repeatable.
    #[arg(long, value_name = "DIR")]
    evidence: Vec<PathBuf>,
    /// A pack, built-in name or path of a pack file; repeatable [default: every built-in pack].
    #[arg(long, value_name = "PACK")]
    pack: Vec<String>,
    /// How to print the report.
    #[arg(long, value_enum, default_value = "human")]
    format: Output,
}

/// The report's format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Output {
    /// Readable text, one fact after the other.
    Human,
    /// One JSON document.
    Json,
}

/// What one run saw of one fact.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Seen {
    /// Every answer bore it out.
    Confirmed,
    /// An answer did not; what the check said of it.
    Refuted(String),
    /// No answer judged it (not run, skipped, or nothing to check).
    Unseen,
}

impl Seen {
    fn name(&self) -> &'static str {
        match self {
            Seen::Confirmed => "confirmed",
            Seen::Refuted(_) => "refuted",
            Seen::Unseen => "not seen",
        }
    }
}

/// One inferred fact and what each run saw of it.
struct Row<'a> {
    pack: &'a Pack,
    fact: PackFact,
    runs: Vec<Seen>,
}

/// Runs a `golive contract` command.
pub fn run(command: ContractCommand) -> Result<u8, ConfigError> {
    match command {
        ContractCommand::Report(args) => report(args),
    }
}

fn report(args: ReportArgs) -> Result<u8, ConfigError> {
    let names: Vec<String> = if args.pack.is_empty() {
        pack::BUILT_IN.iter().map(|(n, _)| n.to_string()).collect()
    } else {
        args.pack.clone()
    };
    let packs = names.iter().map(|n| pack::load(n, None)).collect::<Result<Vec<_>, _>>()?;
    let runs = args.evidence.iter().map(|dir| read_run(dir.as_path())).collect::<Result<Vec<_>, _>>()?;
    let mut rows = Vec::new();
    for pack in &packs {
        for spec in &pack.probes {
            let mut facts = of_probe(&spec.id, spec.kind, &spec.params).map_err(ConfigError::usage)?;
            if crate::probe::kinds::is::<crate::probe::kinds::webhook::Webhook>(spec.kind) {
                facts.extend(of_webhook(&spec.id, &spec.params, &pack.schemes));
            }
            for fact in facts.into_iter().filter(|f| f.basis.as_ref().is_some_and(|b| b.inferred())) {
                let seen = runs.iter().map(|run| seen(run, &pack.name, &fact)).collect();
                rows.push(Row { pack, fact, runs: seen });
            }
        }
    }
    let shown: Vec<String> = args.evidence.iter().map(|d| d.display().to_string()).collect();
    let text = match args.format {
        Output::Human => human(&rows, &shown),
        Output::Json => json(&rows, &shown),
    };
    Ok(super::stdout::document("the contract report", |out| out.write_all(text.as_bytes())))
}

/// The report of one evidence folder (its `run.json`).
fn read_run(dir: &Path) -> Result<RunSummary, ConfigError> {
    let shown = dir.display();
    let path = dir.join(crate::evidence::RUN);
    let help = "pass a folder written by `golive verify --evidence DIR`";
    let text = std::fs::read_to_string(&path).map_err(|e| {
        ConfigError::usage(format!(
            "{shown} is not an evidence folder: cannot read {}: {}",
            path.display(),
            crate::config::error::io_reason(&e)
        ))
        .help(help)
    })?;
    serde_json::from_str(&text)
        .map_err(|e| ConfigError::usage(format!("{} is not a golive report: {e}", path.display())).help(help))
}

/// What one run saw of `fact`: refuted when any check of it was, else
/// confirmed when any was, else not seen.
fn seen(run: &RunSummary, pack: &str, fact: &PackFact) -> Seen {
    let checks = run
        .probes
        .iter()
        .filter(|p| p.pack == pack && p.id == fact.probe)
        .flat_map(|p| &p.checks)
        .filter(|c| c.fact.as_ref().is_some_and(|m| m.fact == fact.id));
    let mut confirmed = false;
    for c in checks {
        match c.fact.as_ref().and_then(|m| m.held) {
            Some(false) => {
                let why = fact.basis.as_ref().and_then(|b| b.why.as_deref());
                return Seen::Refuted(what_was_answered(&c.message, why).to_string());
            }
            Some(true) => confirmed = true,
            None => {}
        }
    }
    if confirmed { Seen::Confirmed } else { Seen::Unseen }
}

/// Counts of facts: confirmed in every run that saw them, refuted in some, never seen.
fn counts(rows: &[Row<'_>]) -> (usize, usize, usize) {
    let refuted = rows.iter().filter(|r| r.runs.iter().any(|s| matches!(s, Seen::Refuted(_)))).count();
    let unseen = rows.iter().filter(|r| r.runs.iter().all(|s| *s == Seen::Unseen)).count();
    (rows.len() - refuted - unseen, refuted, unseen)
}

fn human(rows: &[Row<'_>], runs: &[String]) -> String {
    let clean = crate::report::text::terminal;
    let mut out = String::new();
    for (i, dir) in runs.iter().enumerate() {
        out.push_str(&format!("run {}: {}\n", i + 1, clean(dir)));
    }
    if runs.is_empty() {
        out.push_str("no evidence given (--evidence DIR): every fact is listed as not seen\n");
    }
    let mut last = None;
    for row in rows {
        let head = (row.pack.name.as_str(), row.fact.probe.as_str(), row.fact.step);
        if last != Some(head) {
            out.push_str(&format!(
                "\n{} › {}, step {} ({})\n",
                row.pack.name,
                row.fact.probe,
                row.fact.step,
                clean(&row.fact.step_name)
            ));
            last = Some(head);
        }
        let why = row.fact.basis.as_ref().and_then(|b| b.why.clone()).unwrap_or_default();
        out.push_str(&format!("  {}  {}\n      inferred: {}\n", row.fact.id, clean(&row.fact.what), clean(&why)));
        for (i, s) in row.runs.iter().enumerate() {
            match s {
                Seen::Refuted(said) => out.push_str(&format!("      run {}: REFUTED: {}\n", i + 1, clean(said))),
                other => out.push_str(&format!("      run {}: {}\n", i + 1, other.name())),
            }
        }
    }
    let (confirmed, refuted, unseen) = counts(rows);
    out.push_str(&format!(
        "\nSummary: {} inferred facts: {confirmed} confirmed, {refuted} refuted, {unseen} not seen\n",
        rows.len()
    ));
    if refuted > 0 {
        out.push_str("A refuted fact: the partner answers otherwise than golive inferred. Send `golive contract report --format json` to the pack's maintainer, or change your own copy of the pack.\n");
    }
    out
}

fn json(rows: &[Row<'_>], runs: &[String]) -> String {
    let facts: Vec<serde_json::Value> = rows
        .iter()
        .map(|r| {
            let seen: Vec<serde_json::Value> = r
                .runs
                .iter()
                .zip(runs)
                .map(|(s, dir)| match s {
                    Seen::Refuted(said) => json!({ "evidence": dir, "seen": s.name(), "answered": said }),
                    other => json!({ "evidence": dir, "seen": other.name() }),
                })
                .collect();
            json!({
                "pack": r.pack.name,
                "pack_file": r.pack.source.path.display().to_string(),
                "probe": r.fact.probe,
                "step": r.fact.step,
                "step_name": r.fact.step_name,
                "fact": r.fact.id,
                "what": r.fact.what,
                "why": r.fact.basis.as_ref().and_then(|b| b.why.clone()),
                "runs": seen,
            })
        })
        .collect();
    let (confirmed, refuted, unseen) = counts(rows);
    let doc = json!({
        "schema": 1,
        "evidence": runs,
        "facts": facts,
        "summary": { "inferred": rows.len(), "confirmed": confirmed, "refuted": refuted, "not_seen": unseen },
    });
    let mut text = serde_json::to_string_pretty(&doc).unwrap_or_default();
    text.push('\n');
    text
}
