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

use std::collections::{BTreeMap, BTreeSet};
use std::future::Future;
use std::time::{Duration, Instant};

use serde::Serialize;

use crate::config::WatchRule;
use crate::plan::Plan;
use crate::report::{Check, Counts, Diagnosis, ProbeReport, RunSummary, SCHEMA_VERSION, Status};
use crate::runner::{self, RunOptions};

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
    /// Share of rounds that passed or warned, from 0 to 1.
    pub pass_rate: f64,
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
    let mut acc = Accumulator::new(plan);
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
        let mut quiet = |_: runner::RunEvent<'_>| {};
        let summary = tokio::select! {
            () = &mut stop => { interrupted = true; break; }
            s = runner::run(plan, run, &mut quiet) => s,
        };
        on_round(acc.add(at, round_clock.elapsed(), summary));
        next = (round_clock + opts.interval).max(Instant::now());
    }
    acc.finish(plan, started_at, clock.elapsed(), opts.interval, interrupted)
}

/// The HTTP status of a probe's final answer, from its facts.
pub fn http_status(report: &ProbeReport) -> Option<u16> {
    report.facts.get("status").and_then(serde_json::Value::as_u64).and_then(|s| u16::try_from(s).ok())
}

fn now() -> time::OffsetDateTime {
    time::OffsetDateTime::now_utc()
}

fn rfc3339(t: time::OffsetDateTime) -> String {
    t.format(&time::format_description::well_known::Rfc3339).unwrap_or_default()
}

#[derive(Default)]
struct SpikeAcc {
    rounds: BTreeSet<usize>,
    answers: usize,
    first_at: Option<String>,
    probes: BTreeSet<String>,
    packs: BTreeSet<String>,
}

/// Per-probe running state.
struct ProbeAcc {
    stats: ProbeStats,
    last_ok: Option<bool>,
}

/// Folds rounds into statistics as they come.
struct Accumulator {
    rounds: Vec<Round>,
    probes: Vec<ProbeAcc>,
    spikes: BTreeMap<String, SpikeAcc>,
    /// Exact statuses some pack names in `[[watch]]`, besides 403.
    exact: BTreeSet<u16>,
}

impl Accumulator {
    fn new(plan: &Plan) -> Self {
        let mut exact: BTreeSet<u16> =
            plan.targets.iter().flat_map(|t| t.pack.watch.iter()).filter_map(WatchRule::exact).collect();
        exact.insert(403);
        Accumulator { rounds: Vec::new(), probes: Vec::new(), spikes: BTreeMap::new(), exact }
    }

    /// The spike a status counts under: itself when named, else its class.
    fn spike_key(&self, status: u16) -> Option<String> {
        match status {
            s if self.exact.contains(&s) => Some(s.to_string()),
            400..=599 => Some(format!("{}xx", status / 100)),
            _ => None,
        }
    }

    fn add(&mut self, at: time::OffsetDateTime, took: Duration, summary: RunSummary) -> &Round {
        let n = self.rounds.len() + 1;
        let at = rfc3339(at);
        let mut probes = Vec::with_capacity(summary.probes.len());
        for report in summary.probes {
            let http = http_status(&report);
            probes.push(RoundProbe { id: report.id.clone(), status: report.status, http_status: http });
            if matches!(report.status, Status::Fail | Status::Error) {
                if let Some(key) = http.and_then(|s| self.spike_key(s)) {
                    let spike = self.spikes.entry(key).or_default();
                    spike.rounds.insert(n);
                    spike.answers += 1;
                    spike.first_at.get_or_insert_with(|| at.clone());
                    spike.probes.insert(report.id.clone());
                    spike.packs.insert(report.pack.clone());
                }
            }
            self.probe(n, &at, report);
        }
        let counts = summary.summary;
        self.rounds.push(Round {
            round: n,
            started_at: at,
            duration_ms: took.as_millis() as u64,
            summary: counts,
            probes,
        });
        &self.rounds[n - 1]
    }

    fn probe(&mut self, round: usize, at: &str, report: ProbeReport) {
        let i = match self.probes.iter().position(|p| p.stats.id == report.id) {
            Some(i) => i,
            None => {
                self.probes.push(ProbeAcc {
                    stats: ProbeStats {
                        id: report.id.clone(),
                        kind: report.kind.clone(),
                        pack: report.pack.clone(),
                        title: report.title.clone(),
                        worst: Status::Skip,
                        rounds: 0,
                        counts: Counts::default(),
                        pass_rate: 0.0,
                        first_failure_at: None,
                        first_failure_round: None,
                        flaps: 0,
                        diagnosis: None,
                        worst_report: None,
                    },
                    last_ok: None,
                });
                self.probes.len() - 1
            }
        };
        let acc = &mut self.probes[i];
        let s = &mut acc.stats;
        s.rounds += 1;
        match report.status {
            Status::Pass => s.counts.pass += 1,
            Status::Warn => s.counts.warn += 1,
            Status::Fail => s.counts.fail += 1,
            Status::Error => s.counts.error += 1,
            Status::Skip => s.counts.skip += 1,
        }
        let ok = match report.status {
            Status::Pass | Status::Warn => Some(true),
            Status::Fail | Status::Error => Some(false),
            Status::Skip => None,
        };
        if let Some(ok) = ok {
            if acc.last_ok.is_some_and(|last| last != ok) {
                s.flaps += 1;
            }
            acc.last_ok = Some(ok);
        }
        if ok == Some(false) && s.first_failure_round.is_none() {
            s.first_failure_round = Some(round);
            s.first_failure_at = Some(at.to_string());
            s.diagnosis = report.diagnosis.clone();
        }
        let worse = Status::combine([s.worst, report.status]) != s.worst || s.worst_report.is_none();
        if worse {
            s.worst = Status::combine([s.worst, report.status]);
            s.worst_report = Some(report);
        }
        s.pass_rate = (s.counts.pass + s.counts.warn) as f64 / s.rounds as f64;
    }

    fn finish(
        self,
        plan: &Plan,
        started_at: time::OffsetDateTime,
        took: Duration,
        interval: Duration,
        interrupted: bool,
    ) -> WatchSummary {
        let rules = |pack: &str| plan.targets.iter().find(|t| t.pack.name == pack).map(|t| t.pack.watch.as_slice());
        let spikes = self
            .spikes
            .into_iter()
            .map(|(key, acc)| Spike {
                meanings: acc
                    .packs
                    .iter()
                    .filter_map(|pack| {
                        let meaning = WatchRule::meaning_of(rules(pack)?, &key)?;
                        Some(SpikeMeaning { pack: pack.clone(), meaning: meaning.to_string() })
                    })
                    .collect(),
                status: key,
                rounds: acc.rounds.len(),
                answers: acc.answers,
                first_at: acc.first_at.unwrap_or_default(),
                probes: acc.probes.into_iter().collect(),
            })
            .collect();
        let probes: Vec<ProbeStats> = self.probes.into_iter().map(|p| p.stats).collect();
        let mut summary = Counts::default();
        for p in &probes {
            match p.worst {
                Status::Pass => summary.pass += 1,
                Status::Warn => summary.warn += 1,
                Status::Fail => summary.fail += 1,
                Status::Error => summary.error += 1,
                Status::Skip => summary.skip += 1,
            }
        }
        WatchSummary {
            schema: SCHEMA_VERSION,
            mode: "watch",
            golive_version: env!("CARGO_PKG_VERSION").to_string(),
            env: plan.env_name.clone(),
            packs: plan.pack_names(),
            started_at: rfc3339(started_at),
            duration_ms: took.as_millis() as u64,
            interval_ms: interval.as_millis() as u64,
            interrupted,
            summary,
            probes,
            spikes,
            rounds: self.rounds,
        }
    }
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
            packs: self.packs.clone(),
            started_at: self.started_at.clone(),
            duration_ms: self.duration_ms,
            summary: Counts::of(&probes),
            probes,
        }
    }
}
