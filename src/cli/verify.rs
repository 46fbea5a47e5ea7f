//! `golive verify`: run the plan, render stdout and `--report` files, exit.

use std::path::PathBuf;
use std::time::Duration;

use clap::Args;

use super::EnvArgs;
use super::targets::resolve;
use crate::config::{ConfigError, env::parse_duration};
use crate::evidence;
use crate::exit;
use crate::plan::{Plan, Selection};
use crate::report::reporter::Reporter;
use crate::report::{Format, ReportTarget, RunSummary};
use crate::runner::{self, RunOptions};
use crate::signals::{Stop, Stopper};
use crate::watch::WatchOptions;

/// What makes `verify` exit 1 besides failures.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum FailOn {
    /// Warnings count as failures (exit 1).
    Warn,
}

/// `golive verify` options.
#[derive(Debug, Args)]
#[command(
    after_help = "Examples:\n  golive verify --env demo\n  golive verify --env staging --report junit=golive.xml --report markdown=$GITHUB_STEP_SUMMARY\n  golive verify --env production --tag launch-day\n  golive verify --env staging --evidence evidence/2025-06-01\n  golive verify --env production --tag launch-day --watch 60s --for 1h"
)]
pub struct VerifyArgs {
    #[command(flatten)]
    target: EnvArgs,
    /// Run only this probe (and what it depends on); repeatable.
    #[arg(long, value_name = "ID")]
    only: Vec<String>,
    /// Never run this probe; probes that need it are skipped; repeatable.
    #[arg(long, value_name = "ID")]
    skip: Vec<String>,
    /// Run only probes with this tag; repeatable (any tag matches).
    #[arg(long, value_name = "TAG")]
    tag: Vec<String>,
    /// How many probes run at once.
    #[arg(long, value_name = "N", default_value_t = runner::DEFAULT_JOBS, value_parser = parse_jobs)]
    jobs: usize,
    /// Deadline of each probe that sets none itself, e.g. 10s or 500ms [default: 10s].
    #[arg(long, value_name = "DUR", value_parser = parse_duration)]
    timeout: Option<Duration>,
    /// Also exit 1 when a probe warns.
    #[arg(long, value_enum, value_name = "LEVEL")]
    fail_on: Option<FailOn>,
    /// The format written to stdout.
    #[arg(long, value_enum, default_value = "human")]
    format: Format,
    /// Also write FORMAT to PATH, e.g. junit=golive.xml; repeatable.
    #[arg(long, value_name = "FORMAT=PATH")]
    report: Vec<ReportTarget>,
    /// Run probes that change data on the partner's side (tagged `mutating`).
    #[arg(long)]
    allow_mutations: bool,
    /// Hold the partner facts the packs infer (no published page shows them) as hard
    /// checks, like documented ones: a miss fails instead of warning. Same as
    /// `strict_contract = true` in the environment; see `golive contract report`.
    #[arg(long)]
    strict_contract: bool,
    /// No live progress line on stderr.
    #[arg(long)]
    no_progress: bool,
    /// Write the auditor's evidence of this run into DIR (created; must be new or empty):
    /// report, request/handshake trace, state transitions, environment, SHA-256 manifest.
    #[arg(long, value_name = "DIR", conflicts_with = "watch")]
    evidence: Option<PathBuf>,
    /// The Ed25519 key (PKCS#8 PEM) that signs the evidence manifest; made on first use
    /// [default: $GOLIVE_EVIDENCE_KEY, else evidence-ed25519.pem beside the state file].
    #[arg(long, value_name = "PATH", requires = "evidence")]
    evidence_key: Option<PathBuf>,
    /// Repeat the probes every DUR (e.g. 60s) and end with a summary of the whole watch:
    /// pass rates, first failures, flaps, 403/4xx/5xx spikes. Ctrl-C ends it.
    #[arg(long, value_name = "DUR", value_parser = parse_duration)]
    watch: Option<Duration>,
    /// Label the report with the network its requests leave from (NAT gateway, region), for `golive report merge`.
    #[arg(long, value_name = "NAME", value_parser = crate::exporter::parse_egress, conflicts_with = "watch")]
    egress: Option<String>,
    /// With --watch: stop after DUR, e.g. 1h [default: until Ctrl-C].
    #[arg(long = "for", value_name = "DUR", value_parser = parse_duration, requires = "watch")]
    watch_for: Option<Duration>,
}

fn parse_jobs(text: &str) -> Result<usize, String> {
    match text.parse::<usize>() {
        Ok(n) if (1..=1024).contains(&n) => Ok(n),
        _ => Err(format!("`{text}` is not a number of jobs from 1 to 1024")),
    }
}

/// Runs `golive verify`.
pub async fn run(args: VerifyArgs) -> Result<u8, ConfigError> {
    // Listening before the demo's fakes start: SIGINT, SIGTERM and SIGHUP
    // stop the run and drop the fakes, which removes their private folder.
    let mut stopper = Stopper::new();
    let mut resolved = tokio::select! {
        resolved = resolve(&args.target) => resolved?,
        signal = stopper.stopped() => return Ok(stopped(signal, "before anything ran", args.target.is_demo())),
    };
    let demo = resolved.fakes.is_some();
    if args.strict_contract {
        resolved.targets.iter_mut().for_each(|(env, _)| env.strict_contract = true);
    }
    let selection = Selection { only: args.only, skip: args.skip, tags: args.tag };
    let plan = Plan::build(&args.target.name(), resolved.targets, &selection)?;
    let watching = args.watch.is_some();
    let opts = RunOptions {
        jobs: args.jobs,
        timeout: args.timeout,
        // The demo's fakes exist to be changed: its mutating probes always run,
        // once. A watch repeats its probes, so it never runs a mutating one.
        allow_mutations: (args.allow_mutations || demo) && !watching,
        mutations_skipped_because: watching
            .then(|| "changes data on the partner's side; --watch never repeats a mutation".to_string()),
        // Only the evidence reads the probes' traces.
        trace: args.evidence.is_some(),
    };
    // Missing inputs and secrets in clear text are found before anything is sent.
    plan.preflight(opts.allow_mutations)?;
    let fail_on_warn = args.fail_on == Some(FailOn::Warn);
    if let Some(interval) = args.watch {
        let watch = WatchOptions { interval, duration: args.watch_for };
        let reporter = Reporter::watch(args.format, &args.report, super::stdout_colour(), args.no_progress);
        // A signal ends the watch like Ctrl-C: its summary, then the fakes stop.
        let stop = async move {
            stopper.stopped().await;
        };
        return super::watch::run(&plan, &opts, watch, reporter, stop, fail_on_warn).await;
    }
    let signer = match &args.evidence {
        Some(dir) => {
            let key = args.evidence_key.clone().unwrap_or_else(evidence::sign::default_key_path);
            let signer = evidence::prepare(dir, &key).map_err(super::evidence::usage)?;
            super::evidence::announce_new_key(&signer);
            Some(signer)
        }
        None => None,
    };
    let reporter = Reporter::run(args.format, &args.report, super::stdout_colour(), args.no_progress);
    let mut on_event = |event: crate::report::RunEvent<'_>| reporter.on_event(event);
    let mut summary = tokio::select! {
        summary = runner::run(&plan, &opts, &mut on_event) => summary,
        signal = stopper.stopped() => {
            reporter.clear();
            // A key exchange in flight saves its answer first; the fakes go after.
            let notes = super::key::hold_exchanges(signal, &mut stopper).await;
            drop(resolved.fakes);
            let code = stopped(signal, "during the run; no report was written", demo);
            for note in notes {
                eprintln!("golive: {note}");
            }
            return Ok(code);
        }
    };
    drop(resolved.fakes);
    summary.egress = args.egress;
    let evidence = args.evidence.as_deref().zip(signer.as_ref()).map(|(dir, signer)| (dir, &plan, signer));
    let code = deliver(reporter, &summary, evidence, fail_on_warn);
    // The process ends here: freeing the plan and the reports piece by piece
    // (a hundred probes are tens of thousands of allocations) only delays the
    // exit code. The outputs are written and flushed; the fakes are gone.
    std::mem::forget(plan);
    std::mem::forget(summary);
    Ok(code)
}

/// Writes a finished run's outputs through its reporter (`--report` files,
/// the evidence, stdout) and returns its exit code. The run happened: an
/// output that cannot be written is named, and the verdict stays in the exit
/// code (exit::OUTPUT only when all passed).
pub(super) fn deliver(
    reporter: Reporter<'_>,
    summary: &RunSummary,
    evidence: Option<(&std::path::Path, &Plan, &evidence::sign::Signer)>,
    fail_on_warn: bool,
) -> u8 {
    let evidence = evidence.map(|(dir, plan, signer)| super::evidence::output(dir, plan, signer));
    let lost = reporter.finish(summary, evidence);
    exit::with_lost_outputs(exit::for_summary(summary, fail_on_warn), &lost)
}

/// The exit code of a run stopped by a signal (128 + its number), said on stderr.
pub(super) fn stopped(signal: Stop, when: &str, demo: bool) -> u8 {
    let fakes = if demo { "; the demo's fakes were stopped and their folder removed" } else { "" };
    eprintln!("golive: stopped by {signal} {when}{fakes}");
    signal.exit_code()
}
