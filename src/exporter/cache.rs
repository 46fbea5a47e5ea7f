//! The per-probe result cache with single-flight runs.
//!
//! Each probe id has at most one entry: its latest report, or the run in
//! flight that will produce it. A result younger than the minimum interval is
//! served as it is; an older one (or none) starts one run, which every
//! concurrent scrape of the same probe waits for. Nothing is kept per scrape:
//! memory is bounded by the number of probes.
//!
//! Besides the latest result, each probe keeps the status and time of its
//! last [`HISTORY`] runs: the strips and latencies of the exporter's `/report`.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use tokio::sync::watch;

use crate::report::ProbeReport;
use crate::report::html::Point;

/// How many runs of each probe `/report` shows.
pub const HISTORY: usize = 120;

/// A probe's latest result.
#[derive(Debug, Clone)]
pub struct Cached {
    /// The report (redacted, without its trace).
    pub report: Arc<ProbeReport>,
    /// Its log: one line per trace record (`?debug=true` shows it).
    pub log: Arc<Vec<String>>,
    /// When the run that produced it ended.
    pub at: Instant,
    /// Wall-clock time of that moment, seconds since the Unix epoch.
    pub at_unix: f64,
}

/// What a flight's waiters receive: `true` once the flight landed.
pub type Landed = watch::Receiver<bool>;

enum Entry {
    Ready(Cached),
    /// A run in flight; the last result (if any) is kept for nothing but its
    /// replacement, so a failed flight never leaves a hole.
    Flying {
        landed: Landed,
        previous: Option<Cached>,
    },
}

/// What a scrape must do for one probe.
pub enum Lookup {
    /// Fresh: serve it.
    Fresh(Cached),
    /// Another scrape's run will produce it: wait for the flight.
    Wait(Landed),
    /// Nobody runs it: the caller must (it is now marked in flight).
    Run,
}

/// The cache; cheap to share behind an `Arc`.
pub struct Cache {
    min_interval: Duration,
    entries: Mutex<HashMap<String, Entry>>,
    history: Mutex<HashMap<String, VecDeque<Point>>>,
}

/// The sender side of a flight: dropping it (the run ended, or its task was
/// cancelled) wakes every waiter.
pub struct Flight {
    ids: Vec<String>,
    landed: watch::Sender<bool>,
}

impl Cache {
    /// A cache whose results are fresh for `min_interval`.
    pub fn new(min_interval: Duration) -> Cache {
        Cache { min_interval, entries: Mutex::new(HashMap::new()), history: Mutex::new(HashMap::new()) }
    }

    /// Looks up every id at once (one lock): fresh results, flights to wait
    /// for, and the ids the caller must run, which are marked as in flight
    /// under the returned [`Flight`] together with `also` (their dependencies,
    /// which the same run produces) when those are not already in flight.
    pub fn lookup(
        &self,
        ids: &[&str],
        also: impl Fn(&[&str]) -> Vec<String>,
    ) -> (Vec<(String, Lookup)>, Option<Flight>) {
        let mut entries = self.entries.lock().unwrap_or_else(PoisonError::into_inner);
        let now = Instant::now();
        let mut out = Vec::with_capacity(ids.len());
        let mut to_run: Vec<&str> = Vec::new();
        for id in ids {
            let look = match entries.get(*id) {
                Some(Entry::Ready(c)) if now.duration_since(c.at) < self.min_interval => Lookup::Fresh(c.clone()),
                // A flight whose sender is gone without landing (its run was
                // cancelled) is no flight: run again.
                Some(Entry::Flying { landed, .. }) if landed.has_changed().is_ok() => Lookup::Wait(landed.clone()),
                _ => {
                    to_run.push(id);
                    Lookup::Run
                }
            };
            out.push((id.to_string(), look));
        }
        if to_run.is_empty() {
            return (out, None);
        }
        let (tx, rx) = watch::channel(false);
        let mut flying = Vec::new();
        let mut ids: Vec<String> = to_run.iter().map(|s| s.to_string()).collect();
        ids.extend(also(&to_run));
        ids.sort();
        ids.dedup();
        for id in ids {
            let previous = match entries.remove(&id) {
                Some(Entry::Ready(c)) => Some(c),
                Some(Entry::Flying { landed, previous }) if landed.has_changed().is_err() => previous,
                Some(flying @ Entry::Flying { .. }) => {
                    // A dependency already in flight elsewhere: leave it to that flight.
                    entries.insert(id, flying);
                    continue;
                }
                None => None,
            };
            entries.insert(id.clone(), Entry::Flying { landed: rx.clone(), previous });
            flying.push(id);
        }
        (out, Some(Flight { ids: flying, landed: tx }))
    }

    /// Lands a flight: stores the reports it produced and wakes its waiters.
    /// An id of the flight without a report keeps its previous result.
    pub fn land(&self, flight: Flight, reports: Vec<ProbeReport>, at_unix: f64) {
        let at = Instant::now();
        let mut entries = self.entries.lock().unwrap_or_else(PoisonError::into_inner);
        let mut by_id: HashMap<String, ProbeReport> = reports.into_iter().map(|r| (r.id.clone(), r)).collect();
        for id in &flight.ids {
            let previous = match entries.remove(id) {
                Some(Entry::Flying { previous, .. }) => previous,
                Some(Entry::Ready(c)) => Some(c),
                None => None,
            };
            let entry = match by_id.remove(id) {
                Some(mut report) => {
                    let log = Arc::new(super::debug::log_lines(&report.trace));
                    report.trace = Vec::new();
                    self.remember(&report, at_unix);
                    Some(Cached { report: Arc::new(report), log, at, at_unix })
                }
                None => previous,
            };
            if let Some(c) = entry {
                entries.insert(id.clone(), Entry::Ready(c));
            }
        }
        drop(entries);
        let _ = flight.landed.send(true);
    }

    /// The latest result of `id`, fresh or not (what a waiter reads once its
    /// flight landed).
    pub fn latest(&self, id: &str) -> Option<Cached> {
        let entries = self.entries.lock().unwrap_or_else(PoisonError::into_inner);
        match entries.get(id) {
            Some(Entry::Ready(c)) => Some(c.clone()),
            Some(Entry::Flying { previous, .. }) => previous.clone(),
            None => None,
        }
    }

    /// Adds a run to the probe's history, dropping the oldest beyond [`HISTORY`].
    fn remember(&self, report: &ProbeReport, at_unix: f64) {
        let at = super::metrics::rfc3339(at_unix);
        let mut history = self.history.lock().unwrap_or_else(PoisonError::into_inner);
        let runs = history.entry(report.id.clone()).or_default();
        if runs.len() == HISTORY {
            runs.pop_front();
        }
        runs.push_back(Point {
            status: report.status,
            duration_ms: report.duration_ms,
            at,
            http_status: report.http_status,
            label: "run".to_string(),
        });
    }

    /// The runs of a probe still remembered, oldest first.
    pub fn history(&self, id: &str) -> Vec<Point> {
        let history = self.history.lock().unwrap_or_else(PoisonError::into_inner);
        history.get(id).map(|runs| runs.iter().cloned().collect()).unwrap_or_default()
    }

    /// How many probes have an entry (bounded by the plan's size).
    pub fn len(&self) -> usize {
        self.entries.lock().unwrap_or_else(PoisonError::into_inner).len()
    }

    /// Whether no probe has an entry yet.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl Drop for Flight {
    fn drop(&mut self) {
        // A flight dropped without landing (its task was cancelled): waiters
        // wake and read the previous result, if any.
        let _ = self.landed.send(true);
    }
}

impl Flight {
    /// A receiver that sees the flight land.
    pub fn subscribe(&self) -> Landed {
        self.landed.subscribe()
    }

    /// The ids this flight runs (the asked ones and their dependencies).
    pub fn ids(&self) -> &[String] {
        &self.ids
    }
}
