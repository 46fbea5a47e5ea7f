//! `golive checklist`: the runbook of each pack as a Markdown checklist, ready
//! to paste into a go-live ticket. Automated items are ticked or crossed from a
//! run (a JSON report given with `--from`, or a fresh run); manual items stay
//! unticked with their owner. With `--from` nothing is sent anywhere.
//!
//! A probe's detail (its first finding or cause) may quote a server, and a
//! report given with `--from` may hold anything: it is written as code through
//! [`text::markdown`]; the pack's words through [`text::markdown_prose`].

use std::collections::HashMap;
use std::path::PathBuf;

use clap::Args;
use serde_json::Value;

use super::EnvArgs;
use super::targets::resolve;
use crate::config::{self, ConfigError, Coverage, Pack};
use crate::plan::{Plan, Selection};
use crate::report::text::{self, Md};
use crate::runner::{self, RunOptions};
use crate::signals::Stopper;

/// `golive checklist` options.
#[derive(Debug, Args)]
#[command(
    after_help = "Examples:\n  golive checklist --env demo\n  golive verify --env staging --format json > run.json && golive checklist --env staging --from run.json"
)]
pub struct ChecklistArgs {
    #[command(flatten)]
    target: EnvArgs,
    /// Tick automated items from this JSON report (`--format json`, schema 1) instead of running the probes.
    #[arg(long, value_name = "REPORT.json")]
    from: Option<PathBuf>,
    /// Also tick the items a `golive observe` run proves, from its JSON report (or evidence folder).
    #[arg(long, value_name = "REPORT.json")]
    observed: Option<PathBuf>,
}

/// What the run said about one probe.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProbeResult {
    /// `pass`, `warn`, `fail`, `error` or `skip`.
    pub status: String,
    /// Why, for anything but a pass: the skip reason, the first finding or the diagnosis.
    pub detail: Option<String>,
}

/// Runs `golive checklist`.
pub async fn run(args: ChecklistArgs) -> Result<u8, ConfigError> {
    let (packs, report) = match &args.from {
        Some(path) => {
            let report = read_report(path, &args.target.name())?;
            (packs_for_report(&args.target, &report)?, report)
        }
        None => {
            // Like verify: SIGINT, SIGTERM and SIGHUP stop the run and drop the
            // demo's fakes, which removes their private folder.
            let mut stopper = Stopper::new();
            let demo = args.target.is_demo();
            let resolved = tokio::select! {
                resolved = resolve(&args.target) => resolved?,
                signal = stopper.stopped() => return Ok(super::verify::stopped(signal, "before anything ran", demo)),
            };
            let demo = resolved.fakes.is_some();
            let packs: Vec<Pack> = resolved.targets.iter().map(|(_, p)| p.clone()).collect();
            let plan = Plan::build(&args.target.name(), resolved.targets, &Selection::default())?;
            // Like verify: mutating probes run only against the demo's fakes.
            let opts = RunOptions { allow_mutations: demo, trace: false, ..RunOptions::default() };
            // A probe without its inputs is an unticked item; a secret in clear text is refused.
            plan.insecure_secrets(&plan.may_run(opts.allow_mutations))?;
            let mut quiet = |_: crate::report::RunEvent<'_>| {};
            let summary = tokio::select! {
                summary = runner::run(&plan, &opts, &mut quiet) => summary,
                signal = stopper.stopped() => {
                    drop(resolved.fakes);
                    return Ok(super::verify::stopped(signal, "during the run; no checklist was written", demo));
                }
            };
            drop(resolved.fakes);
            let report = serde_json::to_value(&summary)
                .map_err(|e| ConfigError::usage(format!("cannot serialize the run: {e}")))?;
            (packs, report)
        }
    };
    let mut found = results(&report);
    let packs = match &args.observed {
        Some(path) => {
            let observed = read_report(&super::observe::observed_report(path), &args.target.name())?;
            super::observe::tick_observed(packs, &mut found, &observed)
        }
        None => packs,
    };
    let text = render(&packs, &found, &args.target.name(), &report);
    Ok(super::stdout::document("the checklist", |out| out.write_all(text.as_bytes())))
}

/// Reads a JSON report of schema 1 for environment `env`.
fn read_report(path: &std::path::Path, env: &str) -> Result<Value, ConfigError> {
    let text = crate::files::read_regular_text(path, crate::files::MAX_REPORT_BYTES).map_err(|e| {
        ConfigError::usage(format!("cannot read the report {}: {e}", path.display()))
            .help("write one with `golive verify --env ENV --report json=PATH`")
    })?;
    let report: Value = serde_json::from_str(&text).map_err(|e| {
        ConfigError::usage(format!("{} is not a JSON report: {e}", path.display()))
            .help("write one with `golive verify --env ENV --report json=PATH`")
    })?;
    if report["schema"] != 1 {
        return Err(ConfigError::usage(format!(
            "{}: report schema {} is not supported (this golive reads schema 1)",
            path.display(),
            report["schema"]
        )));
    }
    if report["env"] != env {
        return Err(ConfigError::usage(format!(
            "{} is a report of environment {}, not `{env}`",
            path.display(),
            report["env"]
        ))
        .help("pass the --env the report was made with"));
    }
    Ok(report)
}

/// The packs to print for a report: the demo's built-in packs, or the configured environment's.
fn packs_for_report(target: &EnvArgs, report: &Value) -> Result<Vec<Pack>, ConfigError> {
    if target.is_demo() {
        let names: Vec<&str> = report["packs"].as_array().into_iter().flatten().filter_map(Value::as_str).collect();
        return names.into_iter().map(|n| config::pack::load(n, None)).collect();
    }
    let (_, pack) = config::env::load(&target.config, target.one()?)?;
    Ok(vec![pack])
}

/// Every probe's result in a JSON report.
pub fn results(report: &Value) -> HashMap<String, ProbeResult> {
    let mut out = HashMap::new();
    for p in report["probes"].as_array().into_iter().flatten() {
        let (Some(id), Some(status)) = (p["id"].as_str(), p["status"].as_str()) else { continue };
        let finding = p["checks"]
            .as_array()
            .into_iter()
            .flatten()
            .find(|c| c["status"] != "pass" && c["status"] != "skip")
            .and_then(|c| c["message"].as_str());
        let detail = match status {
            "pass" => None,
            "skip" => p["reason"].as_str(),
            _ => finding.or_else(|| p["diagnosis"]["cause"].as_str()),
        };
        out.insert(id.to_string(), ProbeResult { status: status.to_string(), detail: detail.map(one_line) });
    }
    out
}

fn one_line(text: &str) -> String {
    let flat = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if flat.chars().count() > 200 { format!("{}…", flat.chars().take(200).collect::<String>()) } else { flat }
}

/// An automated item: ticked when every probe proving it passed or warned,
/// crossed out when one failed or errored, open otherwise (skipped, not run).
fn automated_line(item: &str, note: &str, ids: &[String], results: &HashMap<String, ProbeResult>) -> String {
    let detail = |r: &ProbeResult, default: &str| match &r.detail {
        Some(d) => text::markdown(d, Md::Inline),
        None => default.to_string(),
    };
    let parts: Vec<String> = ids
        .iter()
        .map(|id| {
            let code = text::markdown(id, Md::Inline);
            match results.get(id) {
                Some(r) if r.status == "pass" => format!("{code} (pass)"),
                Some(r) if r.status == "skip" => format!("{code} (skip: {})", detail(r, "not run")),
                Some(r) => format!("{code} ({}: {})", text::markdown_prose(&r.status), detail(r, "see the report")),
                None => format!("{code} (not run)"),
            }
        })
        .collect();
    let status = |id: &String| results.get(id).map_or("not run", |r| r.status.as_str());
    let by = parts.join(", ");
    if ids.iter().any(|id| matches!(status(id), "fail" | "error")) {
        format!("- [ ] ~~{item}~~{note} — {by}")
    } else if ids.iter().all(|id| matches!(status(id), "pass" | "warn")) {
        format!("- [x] {item}{note} — {by}")
    } else {
        format!("- [ ] {item}{note} — {by}")
    }
}

/// The checklist of `packs` as Markdown.
pub fn render(packs: &[Pack], results: &HashMap<String, ProbeResult>, env: &str, report: &Value) -> String {
    let mut out = String::new();
    for pack in packs {
        let automated = pack.coverage.iter().filter(|c| matches!(c.by, Coverage::Automated(_))).count();
        out.push_str(&format!(
            "# Go-live checklist: {} ({})\n\n",
            text::markdown_prose(&pack.title),
            text::markdown(env, Md::Inline)
        ));
        out.push_str(&format!(
            "Runbook {}: {} items, {automated} checked by golive (run of {}), {} manual.\n",
            text::markdown(&pack.runbook, Md::Inline),
            pack.coverage.len(),
            text::markdown(report["started_at"].as_str().unwrap_or("unknown time"), Md::Inline),
            pack.coverage.len() - automated
        ));
        let mut section = "";
        for c in &pack.coverage {
            if c.section != section {
                section = &c.section;
                out.push_str(&format!("\n## {}\n\n", text::markdown_prose(section)));
            }
            let note = c.note.as_ref().map(|n| format!(" ({})", text::markdown_prose(n))).unwrap_or_default();
            let item = text::markdown_prose(&c.item);
            let line = match &c.by {
                Coverage::Manual(owner) => {
                    format!("- [ ] {item}{note} — manual, owner: {}", text::markdown_prose(owner))
                }
                Coverage::Automated(ids) => automated_line(&item, &note, ids, results),
            };
            out.push_str(&line);
            out.push('\n');
        }
        out.push('\n');
    }
    out
}
