//! Watch mode (`golive verify --watch INTERVAL [--for DURATION]`): the same plan
//! run in rounds, for the first hour of a launch.
//!
//! [`watch`] runs rounds until the duration ends or `stop` resolves (Ctrl-C),
//! calls back after each round and returns a [`WatchSummary`]: per probe its
//! pass rate, first failure, flaps and worst status; and the spikes of HTTP
//! statuses (403, other 4xx, 5xx, and any exact status a pack names) with the
//! pack's `[[watch]]` meaning. Like the runner, it never prints; the renderers
//! are in [`render`].
//!
//! A spike counts the final answers of probes that did not pass (fail or
//! error): a probe that expects a 4xx and gets it is not a spike.

pub mod render;
mod stats;

use std::future::Future;
use std::time::{Duration, Instant};

use serde::Serialize;

use crate::plan::Plan;
use crate::report::{Check, Counts, ProbeReport, RunSummary, SCHEMA_VERSION, Status};
use crate::runner::{self, RunOptions};
use crate::spec::Diagnosis;

/// How long and how often to watch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WatchOptions {
    /// Time between the starts of two rounds; a round that takes longer is
    /// followed at once by the next.
    pub interval: Duration,
    /// How long to watch; `None` watches until `stop` (Ctrl-C). The last
    /// round that starts in time runs to its end.
    pub duration: Option<Duration>,
}

/// One probe in one round.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RoundProbe {
    /// The probe id.
    pub id: String,
    /// Its verdict in this round.
    pub status: Status,
    /// The HTTP status of its final answer, if it got one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub http_status: Option<u16>,
    /// Its wall time in this round: the latency the HTML report draws over time.
    pub duration_ms: u64,
}

/// One round of a watch.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Round {
    /// 1-based.
    pub round: usize,
    /// When it started, RFC 3339, UTC.
    pub started_at: String,
    /// Its wall time.
    pub duration_ms: u64,
    /// Counts by status.
    pub summary: Counts,
    /// Every probe, in plan order.
    pub probes: Vec<RoundProbe>,
}

/// One probe over the whole watch.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ProbeStats {
    /// The probe id.
    pub id: String,
    /// Its kind.
    pub kind: String,
    /// Its pack.
    pub pack: String,
    /// Its title.
    pub title: String,
    /// The worst status over every round (fail > error > warn > pass > skip).
    pub worst: Status,
    /// Rounds it took part in.
    pub rounds: usize,
    /// Rounds by status.
    pub counts: Counts,
    /// Share of the rounds that ran it (not skipped) that passed or warned,
    /// from 0 to 1; `null` when no round ran it (e.g. a mutating probe, which
    /// a watch never runs): such a probe is reported as not run, not as 0 %.
    pub pass_rate: Option<f64>,
    /// Why it was not run, when no round ran it (its first skip reason).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub not_run: Option<String>,
    /// When it first failed or errored, RFC 3339, UTC.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub first_failure_at: Option<String>,
    /// The round of the first failure.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub first_failure_round: Option<usize>,
    /// How often it went from passing to failing or back (skips ignored).
    pub flaps: usize,
    /// The diagnosis of its first failure.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub diagnosis: Option<Diagnosis>,
    /// The report of its worst round (the first such round), for JUnit.
    #[serde(skip)]
    pub worst_report: Option<ProbeReport>,
}

/// What a pack says a spike means.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SpikeMeaning {
    /// The pack.
    pub pack: String,
    /// Its `[[watch]]` meaning.
    pub meaning: String,
}

/// Unexpected answers of one status or class over the watch.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Spike {
    /// `403`, `4xx` (other 4xx), `5xx`, or an exact status a pack names.
    pub status: String,
    /// Rounds with at least one such answer.
    pub rounds: usize,
    /// Such answers in all.
    pub answers: usize,
    /// The start of the first round with one, RFC 3339, UTC.
    pub first_at: String,
    /// The probes that got them.
    pub probes: Vec<String>,
    /// What their packs say it means.
    pub meanings: Vec<SpikeMeaning>,
}

/// A whole watch: the document behind `--report json` with `--watch`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct WatchSummary {
    /// Always [`SCHEMA_VERSION`].
    pub schema: u32,
    /// Always `watch`, telling this document from a single run's.
    pub mode: &'static str,
    /// golive's version.
    pub golive_version: String,
    /// The environment name.
    pub env: String,
    /// The packs.
    pub packs: Vec<String>,
    /// When the watch started, RFC 3339, UTC.
    pub started_at: String,
    /// Its wall time.
    pub duration_ms: u64,
    /// The interval between rounds.
    pub interval_ms: u64,
    /// Whether Ctrl-C ended it.
    pub interrupted: bool,
    /// Probes by their worst status.
    pub summary: Counts,
    /// Per-probe statistics, in plan order.
    pub probes: Vec<ProbeStats>,
    /// Spikes, by status.
    pub spikes: Vec<Spike>,
    /// Every round.
    pub rounds: Vec<Round>,
}

/// Runs rounds of `plan` until the duration ends or `stop` resolves; calls
/// `on_round` after each round. A round cut by `stop` is not counted.
pub async fn watch(
    plan: &Plan,
    run: &RunOptions,
    opts: WatchOptions,
    stop: impl Future<Output = ()>,
    on_round: &mut dyn FnMut(&Round),
) -> WatchSummary {
    let started_at = now();
    let clock = Instant::now();
    let end = opts.duration.map(|d| clock + d);
    let mut acc = stats::Accumulator::new(plan);
    let mut interrupted = false;
    let mut next = clock;
    tokio::pin!(stop);
    loop {
        if end.is_some_and(|end| next >= end) && !acc.rounds.is_empty() {
            break;
        }
        tokio::select! {
            () = &mut stop => { interrupted = true; break; }
            () = tokio::time::sleep_until(next.into()) => {}
        }
        let round_clock = Instant::now();
        let at = now();
        let mut quiet = |_: crate::report::RunEvent<'_>| {};
        let summary = tokio::select! {
            () = &mut stop => { interrupted = true; break; }
            s = runner::run(plan, run, &mut quiet) => s,
        };
        on_round(acc.add(at, round_clock.elapsed(), summary));
        next = (round_clock + opts.interval).max(Instant::now());
    }
    acc.finish(plan, started_at, clock.elapsed(), opts.interval, interrupted)
}

/// The HTTP status of a probe's final answer (typed, never read back from its facts).
pub fn http_status(report: &ProbeReport) -> Option<u16> {
    report.http_status
}

fn now() -> time::OffsetDateTime {
    time::OffsetDateTime::now_utc()
}

pub(crate) fn rfc3339(t: time::OffsetDateTime) -> String {
    t.format(&time::format_description::well_known::Rfc3339).unwrap_or_default()
}

impl WatchSummary {
    /// The whole watch as one run: each probe's worst round, with its status
    /// the worst over the watch and a `watch` check saying how the rounds went.
    /// What `--report junit` shows and what the exit code is computed from.
    pub fn as_run(&self) -> RunSummary {
        let probes: Vec<ProbeReport> = self
            .probes
            .iter()
            .filter_map(|p| {
                let mut report = p.worst_report.clone()?;
                report.status = p.worst;
                report.checks.push(Check::new("watch", p.worst, render::stats_sentence(p)));
                Some(report)
            })
            .collect();
        RunSummary {
            schema: SCHEMA_VERSION,
            golive_version: self.golive_version.clone(),
            env: self.env.clone(),
            egress: None,
            packs: self.packs.clone(),
            started_at: self.started_at.clone(),
            duration_ms: self.duration_ms,
            summary: Counts::of(&probes),
            probes,
            off: Vec::new(),
        }
    }
}
