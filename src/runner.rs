//! The runner: concurrent execution with a bound, per-probe deadlines and
//! dependency skips. It never prints; it emits [`RunEvent`]s and returns the
//! [`RunSummary`].
//!
//! A probe that panics or overruns its deadline becomes `error` and never takes
//! the run down; a probe whose dependency did not pass (or warn) is `skip`,
//! naming that dependency.

use std::collections::HashMap;
use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures::FutureExt;
use tokio::task::JoinSet;

use crate::plan::Plan;
use crate::probe::ProbeContext;
use crate::redact::Redactor;
use crate::report::events::OnEvent;
use crate::report::trace::Trace;
use crate::report::{Check, Counts, Outcome, ProbeReport, RunEvent, RunSummary, SCHEMA_VERSION, Status};
use crate::spec::ErrorClass;

/// The deadline of a probe when neither the pack, `--timeout` nor the environment sets one.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);
/// How many probes run at once by default.
pub const DEFAULT_JOBS: usize = 16;

/// How to run a plan.
#[derive(Debug, Clone)]
pub struct RunOptions {
    /// At most this many probes at once.
    pub jobs: usize,
    /// `--timeout`: overrides the environment's default, not a probe's own.
    pub timeout: Option<Duration>,
    /// Whether mutating probes may run.
    pub allow_mutations: bool,
    /// Why mutating probes are skipped, when not for lack of `--allow-mutations`.
    pub mutations_skipped_because: Option<String>,
    /// Whether probes keep a trace ([`ProbeReport::trace`]): the evidence and
    /// `serve`'s debug log read it; a run that writes neither turns it off.
    pub trace: bool,
}

impl Default for RunOptions {
    fn default() -> Self {
        RunOptions {
            jobs: DEFAULT_JOBS,
            timeout: None,
            allow_mutations: false,
            mutations_skipped_because: None,
            trace: true,
        }
    }
}

struct Finished {
    index: usize,
    outcome: Result<Outcome, Aborted>,
    elapsed: Duration,
    trace: Vec<serde_json::Value>,
}

/// Why a probe's task gave no outcome: told apart by type, never by its text.
#[derive(Debug, thiserror::Error)]
enum Aborted {
    /// `tokio::time::timeout` elapsed: the runner stopped the probe.
    #[error("did not finish within its deadline of {}", humantime::format_duration(*.0))]
    Deadline(Duration),
    /// The probe panicked (caught by `catch_unwind`).
    #[error("the probe crashed: {0}")]
    Panicked(String),
    /// The task was cancelled or its panic escaped (a `JoinError`).
    #[error("the probe's task ended abnormally: {0}")]
    Joined(tokio::task::JoinError),
}

impl Aborted {
    /// The error class the probe's report carries.
    fn class(&self) -> ErrorClass {
        match self {
            Aborted::Deadline(_) => ErrorClass::Timeout,
            Aborted::Panicked(_) | Aborted::Joined(_) => ErrorClass::Panic,
        }
    }
}

/// Runs a plan to completion.
pub async fn run(plan: &Plan, opts: &RunOptions, on_event: &mut OnEvent<'_>) -> RunSummary {
    let started_at = time::OffsetDateTime::now_utc();
    let clock = Instant::now();
    let redactor = plan.redactor();
    let n = plan.probes.len();
    on_event(RunEvent::RunStarted { env: &plan.env_name, total: n });
    tracing::debug!(env = %plan.env_name, probes = n, jobs = opts.jobs, "run started");

    let mut dependents: Vec<Vec<usize>> = vec![Vec::new(); n];
    let mut waiting_on: Vec<usize> = vec![0; n];
    for (i, p) in plan.probes.iter().enumerate() {
        waiting_on[i] = p.deps.len();
        for &d in &p.deps {
            dependents[d].push(i);
        }
    }
    let mut reports: Vec<Option<ProbeReport>> = vec![None; n];
    let mut ready: Vec<usize> = Vec::new();
    for (i, p) in plan.probes.iter().enumerate() {
        if let Some(dep) = p.excluded_deps.first() {
            let reason = format!("needs `{dep}`, which was excluded by --skip");
            finish(&redactor, &mut reports, on_event, i, skip(plan, i, reason));
        } else if p.spec.mutating() && !opts.allow_mutations {
            let reason = opts
                .mutations_skipped_because
                .clone()
                .unwrap_or_else(|| "changes data on the partner's side; pass --allow-mutations to run it".to_string());
            finish(&redactor, &mut reports, on_event, i, skip(plan, i, reason));
        } else if waiting_on[i] == 0 {
            ready.push(i);
        }
    }
    // Probes already decided (skipped) release or skip their dependents too.
    let decided: Vec<usize> = (0..n).filter(|&i| reports[i].is_some()).collect();
    for i in decided {
        release(plan, &redactor, &mut reports, on_event, &dependents, &mut waiting_on, &mut ready, i);
    }
    ready.reverse();

    let mut running: JoinSet<Finished> = JoinSet::new();
    let mut tasks: HashMap<tokio::task::Id, usize> = HashMap::new();
    // When each probe started, from the run's start: the report's timeline.
    let mut starts: Vec<Duration> = vec![Duration::ZERO; n];
    loop {
        while running.len() < opts.jobs.max(1) {
            let Some(i) = ready.pop() else { break };
            if reports[i].is_some() {
                continue;
            }
            on_event(RunEvent::ProbeStarted { id: &plan.probes[i].spec.id });
            starts[i] = clock.elapsed();
            tasks.insert(spawn(plan, opts, i, &mut running), i);
        }
        let Some(joined) = running.join_next_with_id().await else { break };
        let (i, outcome, elapsed, trace) = match joined {
            Ok((_, done)) => (done.index, done.outcome, done.elapsed, done.trace),
            // Tasks catch their own panics; a join error means the task was
            // cancelled (the runtime is shutting down): still a verdict, never a loss.
            Err(e) => {
                match tasks.get(&e.id()).inspect(|_| tracing::error!(error = %e, "a probe task ended abnormally")) {
                    Some(&i) => (i, Err(Aborted::Joined(e)), Duration::ZERO, Vec::new()),
                    None => continue,
                }
            }
        };
        let mut report = probe_report(plan, i, outcome, elapsed);
        report.trace = trace;
        report.started_ms = starts[i].as_millis() as u64;
        finish(&redactor, &mut reports, on_event, i, report);
        release(plan, &redactor, &mut reports, on_event, &dependents, &mut waiting_on, &mut ready, i);
        ready.sort_unstable_by(|a, b| b.cmp(a));
    }
    let probes: Vec<ProbeReport> = reports
        .into_iter()
        .enumerate()
        .map(|(i, r)| r.unwrap_or_else(|| skip(plan, i, "the run ended before this probe could start".into())))
        .collect();
    let summary = RunSummary {
        schema: SCHEMA_VERSION,
        golive_version: env!("CARGO_PKG_VERSION").to_string(),
        env: plan.env_name.clone(),
        egress: None,
        packs: plan.pack_names(),
        started_at: started_at.format(&time::format_description::well_known::Rfc3339).unwrap_or_default(),
        duration_ms: clock.elapsed().as_millis() as u64,
        summary: Counts::of(&probes),
        probes,
        off: plan.off.clone(),
    };
    on_event(RunEvent::RunFinished { summary: &summary });
    summary
}

fn spawn(plan: &Plan, opts: &RunOptions, i: usize, running: &mut JoinSet<Finished>) -> tokio::task::Id {
    let planned = &plan.probes[i];
    let target = &plan.targets[planned.target];
    let timeout = planned.spec.timeout.or(opts.timeout).or(target.env.timeout).unwrap_or(DEFAULT_TIMEOUT);
    let probe = planned.probe.clone();
    let cx = ProbeContext {
        env: target.env.clone(),
        clients: Arc::clone(&target.clients),
        deadline: Instant::now() + timeout,
        trace: if opts.trace { Trace::default() } else { Trace::off() },
    };
    let trace = cx.trace.clone();
    let id = planned.spec.id.clone();
    tracing::debug!(probe = %id, kind = planned.spec.kind.name(), timeout_ms = timeout.as_millis() as u64, "probe started");
    running
        .spawn(async move {
            let started = Instant::now();
            let work = AssertUnwindSafe(async { tokio::time::timeout(timeout, probe.run(&cx)).await }).catch_unwind();
            let outcome = match work.await {
                Ok(Ok(outcome)) => Ok(outcome),
                Ok(Err(_)) => {
                    tracing::warn!(probe = %id, "probe overran its deadline; the runner stopped it");
                    Err(Aborted::Deadline(timeout))
                }
                Err(panic) => {
                    tracing::error!(probe = %id, "probe panicked: {}", panic_message(&panic));
                    Err(Aborted::Panicked(panic_message(&panic)))
                }
            };
            Finished { index: i, outcome, elapsed: started.elapsed(), trace: trace.take() }
        })
        .id()
}

fn panic_message(panic: &Box<dyn std::any::Any + Send>) -> String {
    panic
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "unknown panic".to_string())
}

/// Marks the dependents of a finished probe: runnable when it passed or warned,
/// skipped (naming it) otherwise; skips cascade.
#[allow(clippy::too_many_arguments)]
fn release(
    plan: &Plan,
    redactor: &Redactor,
    reports: &mut [Option<ProbeReport>],
    on_event: &mut OnEvent<'_>,
    dependents: &[Vec<usize>],
    waiting_on: &mut [usize],
    ready: &mut Vec<usize>,
    done: usize,
) {
    let mut stack = vec![done];
    while let Some(d) = stack.pop() {
        let status = reports[d].as_ref().map_or(Status::Skip, |r| r.status);
        for &j in &dependents[d] {
            if reports[j].is_some() {
                continue;
            }
            if status.satisfies_dependency() {
                waiting_on[j] -= 1;
                if waiting_on[j] == 0 {
                    ready.push(j);
                }
            } else {
                let verb = match status {
                    Status::Fail => "failed",
                    Status::Error => "reached no verdict",
                    Status::Skip => "was skipped",
                    Status::Pass | Status::Warn => "passed",
                };
                let reason = format!("needs `{}`, which {verb}", plan.probes[d].spec.id);
                finish(redactor, reports, on_event, j, skip(plan, j, reason));
                stack.push(j);
            }
        }
    }
}

/// Records the report of probe `i`, redacted, and tells the listener.
fn finish(
    redactor: &Redactor,
    reports: &mut [Option<ProbeReport>],
    on_event: &mut OnEvent<'_>,
    i: usize,
    mut report: ProbeReport,
) {
    redactor.redact_report(&mut report);
    tracing::debug!(
        probe = %report.id,
        status = ?report.status,
        duration_ms = report.duration_ms,
        reason = report.reason.as_deref().unwrap_or(""),
        "probe finished"
    );
    on_event(RunEvent::ProbeFinished { report: &report });
    reports[i] = Some(report);
}

fn base_report(plan: &Plan, i: usize) -> ProbeReport {
    let p = &plan.probes[i];
    ProbeReport {
        id: p.spec.id.clone(),
        kind: p.spec.kind.name().to_string(),
        pack: plan.targets[p.target].pack.name.clone(),
        env: plan.targets[p.target].env.name.clone(),
        title: p.spec.title.clone(),
        status: Status::Skip,
        started_ms: 0,
        duration_ms: 0,
        reason: None,
        checks: Vec::new(),
        phases: Vec::new(),
        facts: Default::default(),
        http_status: None,
        error_class: None,
        diagnosis: None,
        runbook: p.spec.runbook.clone(),
        tags: p.spec.tags.clone(),
        shapes: Vec::new(),
        trace: Vec::new(),
    }
}

fn skip(plan: &Plan, i: usize, reason: String) -> ProbeReport {
    ProbeReport { reason: Some(reason), ..base_report(plan, i) }
}

fn probe_report(plan: &Plan, i: usize, outcome: Result<Outcome, Aborted>, elapsed: Duration) -> ProbeReport {
    let outcome = outcome.unwrap_or_else(|why| {
        let mut o = Outcome::default();
        o.signals.error_class = Some(why.class());
        o.check(Check::new("deadline", Status::Error, why.to_string()));
        o
    });
    let mut outcome = outcome;
    let status = outcome.status();
    let error_class = classify(&mut outcome);
    locate(&mut outcome, plan.probes[i].spec.lines.probe.as_ref());
    let diagnosis = match status {
        Status::Pass | Status::Skip => None,
        Status::Warn | Status::Fail | Status::Error => {
            let base_url = plan.targets[plan.probes[i].target].env.base_url.as_ref();
            // `${header.NAME}` in a diagnosis shows that header of the answer (e.g. Retry-After).
            plan.probes[i]
                .diagnose(&outcome.signals, base_url)
                .or(outcome.diagnosis)
                .map(|d| d.with_headers(&outcome.signals.headers))
        }
    };
    ProbeReport {
        status,
        duration_ms: elapsed.as_millis() as u64,
        checks: outcome.checks,
        phases: outcome.phases,
        facts: outcome.facts,
        http_status: outcome.http_status,
        error_class: error_class.filter(|_| matches!(status, Status::Fail | Status::Error)),
        diagnosis,
        shapes: outcome.shapes,
        ..base_report(plan, i)
    }
}

/// Gives every check that failed or reached no verdict an error class (its
/// own, else the probe's) and takes it off every other check; the probe's
/// class is what its kind said, else that of its first such check, and pack
/// diagnoses match it (`when = { error_class = "http-status" }`).
fn classify(outcome: &mut Outcome) -> Option<ErrorClass> {
    let probe = outcome.signals.error_class;
    for check in &mut outcome.checks {
        check.error_class = match check.status {
            Status::Fail | Status::Error => check.error_class.or(probe),
            Status::Pass | Status::Warn | Status::Skip => None,
        };
    }
    let class = probe.or_else(|| outcome.checks.iter().find_map(|c| c.error_class));
    outcome.signals.error_class = class;
    class
}

/// Gives every check that no step or fact placed the line of its probe's
/// `[[probe]]` table, so a failed check of any kind points into the pack.
fn locate(outcome: &mut Outcome, probe: Option<&crate::spec::SourceAt>) {
    let Some(probe) = probe else { return };
    for check in outcome.checks.iter_mut().filter(|c| c.at.is_none()) {
        check.at = Some(Box::new(probe.clone()));
    }
}
