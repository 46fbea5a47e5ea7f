//! Folding rounds into per-probe statistics and spikes as they come.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use super::{ProbeStats, Round, RoundProbe, Spike, SpikeMeaning, WatchSummary, http_status, rfc3339};
use crate::config::WatchRule;
use crate::plan::Plan;
use crate::report::{Counts, ProbeReport, RunSummary, SCHEMA_VERSION, Status};

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
pub(super) struct Accumulator {
    pub(super) rounds: Vec<Round>,
    probes: Vec<ProbeAcc>,
    spikes: BTreeMap<String, SpikeAcc>,
    /// Exact statuses some pack names in `[[watch]]`, besides 403.
    exact: BTreeSet<u16>,
}

impl Accumulator {
    pub(super) fn new(plan: &Plan) -> Self {
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

    pub(super) fn add(&mut self, at: time::OffsetDateTime, took: Duration, summary: RunSummary) -> &Round {
        let n = self.rounds.len() + 1;
        let at = rfc3339(at);
        let mut probes = Vec::with_capacity(summary.probes.len());
        for report in summary.probes {
            let http = http_status(&report);
            probes.push(RoundProbe {
                id: report.id.clone(),
                status: report.status,
                http_status: http,
                duration_ms: report.duration_ms,
            });
            if matches!(report.status, Status::Fail | Status::Error)
                && let Some(key) = http.and_then(|s| self.spike_key(s))
            {
                let spike = self.spikes.entry(key).or_default();
                spike.rounds.insert(n);
                spike.answers += 1;
                spike.first_at.get_or_insert_with(|| at.clone());
                spike.probes.insert(report.id.clone());
                spike.packs.insert(report.pack.clone());
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
                        pass_rate: None,
                        not_run: None,
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
        let report_skip_reason = (report.status == Status::Skip).then(|| report.reason.clone()).flatten();
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
        let ran = s.rounds - s.counts.skip;
        s.pass_rate = (ran > 0).then(|| (s.counts.pass + s.counts.warn) as f64 / ran as f64);
        s.not_run = match (ran, report_skip_reason) {
            (0, Some(why)) => s.not_run.take().or(Some(why)),
            (0, None) => s.not_run.take(),
            _ => None,
        };
    }

    pub(super) fn finish(
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
