//! `golive serve`: a Prometheus exporter in the blackbox_exporter style.
//!
//! `GET /probe?module=ID|TAG` (blackbox_exporter's names; also `?tag=TAG`,
//! `?only=ID`, each repeatable, or nothing for every read-only probe; see
//! [`query`]) runs the environment's read-only probes through the same plan
//! and runner as `verify`, and answers Prometheus text exposition
//! ([`metrics`]); `&debug=true` answers their log and result as text
//! ([`debug`]). The scrape's deadline is Prometheus's
//! `X-Prometheus-Scrape-Timeout-Seconds` less half a second, as
//! blackbox_exporter takes it. `GET /metrics` is golive's own process
//! metrics; `GET /report` the HTML report of the latest results with each
//! probe's history.
//!
//! - **Scrape success is not probe success**: a probe that fails is a 200
//!   answer whose `golive_probe_success` is 0. Only a query golive cannot
//!   answer (an unknown probe or tag, a mutating probe) is a 400.
//! - **Mutating probes never run.** A query naming one with `only=` gets a 400
//!   saying why; `tag=` (or no query) leaves them out of the selection, and a
//!   read-only probe that needs one is reported as `skip`.
//! - **The partner is protected**: each probe's result is cached for the
//!   minimum interval ([`cache`]); concurrent scrapes share one run.
//! - **Secrets never appear**: reports are redacted by the runner, and every
//!   answer body is passed through the plan's redactor once more.

pub mod alerts;
pub mod cache;
pub mod dashboard;
pub mod debug;
pub mod http;
pub mod metrics;
mod page;
pub mod query;

use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;
use std::time::Duration;

use crate::config::{ConfigError, Environment, Pack};
use crate::plan::{Plan, Selection};
use crate::redact::Redactor;
use crate::report::{Check, ProbeReport, Status};
use crate::runner::{self, RunOptions};
use crate::spec::ErrorClass;

use cache::{Cache, Cached, Lookup};

/// The default address of `golive serve`: loopback, port 9469 (next to
/// blackbox_exporter's 9115 range of exporter ports, unclaimed there).
pub const DEFAULT_LISTEN: &str = "127.0.0.1:9469";
/// How long a probe's result is served before a scrape runs it again.
pub const DEFAULT_MIN_INTERVAL: Duration = Duration::from_secs(30);
/// How long a client may take to send a request's headers.
pub const DEFAULT_HEADER_TIMEOUT: Duration = Duration::from_secs(10);
/// How many connections the exporter holds at once; more are closed at once.
pub const DEFAULT_MAX_CONNECTIONS: usize = 256;
/// What is kept of Prometheus's scrape timeout for the answer to travel back
/// (blackbox_exporter's `--timeout-offset`).
pub const TIMEOUT_OFFSET: Duration = Duration::from_millis(500);
/// Why the exporter skips a mutating probe a read-only probe depends on.
pub const MUTATION_REASON: &str = "changes data on the partner's side; golive serve never runs a mutating probe";

/// How the exporter runs probes.
#[derive(Debug, Clone)]
pub struct ExporterOptions {
    /// `--egress NAME`: the network this exporter's requests leave from.
    pub egress: Option<String>,
    /// `--min-interval`: results younger than this are served from the cache.
    pub min_interval: Duration,
    /// How many probes of one run run at once.
    pub jobs: usize,
    /// `--timeout`: the deadline of a probe that sets none.
    pub timeout: Option<Duration>,
    /// `--header-timeout`: a client that has not sent a request's headers
    /// by then is disconnected (a half-sent request holds nothing).
    pub header_timeout: Duration,
    /// `--max-connections`: connections beyond this many are closed at once.
    pub max_connections: usize,
}

impl Default for ExporterOptions {
    fn default() -> Self {
        ExporterOptions {
            egress: None,
            min_interval: DEFAULT_MIN_INTERVAL,
            jobs: runner::DEFAULT_JOBS,
            timeout: None,
            header_timeout: DEFAULT_HEADER_TIMEOUT,
            max_connections: DEFAULT_MAX_CONNECTIONS,
        }
    }
}

/// What the exporter knows of one probe of the environment.
#[derive(Debug, Clone)]
pub struct ProbeMeta {
    id: String,
    pack: String,
    kind: String,
    title: String,
    tags: Vec<String>,
    mutating: bool,
    /// Its dependencies, transitively.
    needs: Vec<String>,
}

/// What `/probe` answers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Probed {
    /// The exposition, or with `debug` the log and result as text.
    pub body: String,
    /// Whether the query asked for `debug=true`.
    pub debug: bool,
}

/// A query golive cannot answer: a 400 with this text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BadQuery(pub String);

impl std::fmt::Display for BadQuery {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// The exporter of one environment.
pub struct Exporter {
    env_name: String,
    targets: Vec<(Environment, Pack)>,
    probes: Vec<ProbeMeta>,
    cache: Cache,
    opts: ExporterOptions,
    redactor: Redactor,
    base_urls: HashMap<String, String>,
    /// golive's own counters, shown at `/metrics`.
    pub metrics: metrics::ProcessMetrics,
}

impl Exporter {
    /// Plans the environment once (every probe it enables) and checks it as
    /// `verify` would before sending anything: missing inputs and secrets in
    /// clear text are configuration errors now, not at the first scrape.
    pub fn new(
        env_name: &str,
        targets: Vec<(Environment, Pack)>,
        opts: ExporterOptions,
    ) -> Result<Exporter, ConfigError> {
        let plan = Plan::build(env_name, targets.clone(), &Selection::default())?;
        plan.preflight(false)?;
        let mut probes: Vec<ProbeMeta> = plan
            .probes
            .iter()
            .map(|p| ProbeMeta {
                id: p.spec.id.clone(),
                pack: plan.targets[p.target].pack.name.clone(),
                kind: p.spec.kind.name().to_string(),
                title: p.spec.title.clone(),
                tags: p.spec.tags.clone(),
                mutating: p.spec.mutating(),
                needs: Vec::new(),
            })
            .collect();
        for (i, meta) in probes.iter_mut().enumerate() {
            let mut seen = BTreeSet::new();
            let mut stack = plan.probes[i].deps.clone();
            while let Some(d) = stack.pop() {
                if seen.insert(d) {
                    stack.extend(plan.probes[d].deps.iter().copied());
                }
            }
            meta.needs = seen.into_iter().map(|d| plan.probes[d].spec.id.clone()).collect();
        }
        let base_urls = plan
            .targets
            .iter()
            .filter_map(|t| t.env.base_url.as_ref().map(|u| (t.pack.name.clone(), u.to_string())))
            .collect();
        Ok(Exporter {
            env_name: env_name.to_string(),
            redactor: plan.redactor(),
            targets,
            probes,
            cache: Cache::new(opts.min_interval),
            opts,
            base_urls,
            metrics: metrics::ProcessMetrics::new(),
        })
    }

    /// The environment's name.
    pub fn env_name(&self) -> &str {
        &self.env_name
    }

    /// The ids of the probes `/probe` runs without a query: every read-only
    /// probe of the environment, in plan order.
    pub fn read_only_probes(&self) -> Vec<&str> {
        self.probes.iter().filter(|p| !p.mutating).map(|p| p.id.as_str()).collect()
    }

    /// The probes a `/probe` query selects (see [`query`]).
    pub fn select(&self, query: &str) -> Result<query::Selected<'_>, BadQuery> {
        query::select(&self.env_name, &self.probes, query)
    }

    /// The modules `/probe?module=` takes: probe ids and tags.
    pub fn modules(&self) -> String {
        query::modules(&self.probes)
    }

    /// The options the exporter was started with.
    pub fn options(&self) -> &ExporterOptions {
        &self.opts
    }

    /// Answers `/probe?QUERY`: the exposition of the selected probes (or,
    /// with `debug=true`, their log and result), each from the cache when
    /// fresh, else from one run shared by every scrape asking for it
    /// meanwhile. A probe whose run has not landed by `deadline` (the
    /// scrape's) is answered as an `error` saying so; its run goes on, and
    /// its result is served to the next scrape.
    pub async fn probe(self: &Arc<Self>, query: &str, deadline: Option<Duration>) -> Result<Probed, BadQuery> {
        let selected = self.select(query)?;
        let needs = |to_run: &[&str]| -> Vec<String> {
            to_run
                .iter()
                .filter_map(|id| self.probes.iter().find(|p| p.id == *id))
                .flat_map(|p| p.needs.iter().cloned())
                .collect()
        };
        let (lookups, flight) = self.cache.lookup(&selected.ids, needs);
        let own = flight.map(|flight| {
            // The run is a task of its own: a scraper that hangs up (or
            // reaches its deadline) does not cancel a run other scrapes wait
            // for. Should the runtime be shutting down, the task (and its
            // flight) is dropped: the waiters wake, and nothing is left held.
            let landed = flight.subscribe();
            let me = Arc::clone(self);
            tokio::spawn(async move { me.run_flight(flight).await });
            landed
        });
        let mut flights: Vec<cache::Landed> = own.iter().cloned().collect();
        for (_, look) in &lookups {
            if let Lookup::Wait(landed) = look {
                self.metrics.shared_runs.inc();
                flights.push(landed.clone());
            }
        }
        let wait = async {
            for landed in &mut flights {
                let _ = landed.wait_for(|l| *l).await;
            }
        };
        if let Some(deadline) = deadline {
            let _ = tokio::time::timeout(deadline, wait).await;
        } else {
            wait.await;
        }
        let mut results: Vec<Cached> = Vec::with_capacity(lookups.len());
        for (id, look) in lookups {
            let landed = match &look {
                Lookup::Fresh(_) => true,
                Lookup::Wait(landed) => *landed.borrow(),
                Lookup::Run => own.as_ref().is_some_and(|l| *l.borrow()),
            };
            let got = match look {
                Lookup::Fresh(c) => {
                    self.metrics.cache_hits.inc();
                    Some(c)
                }
                _ if landed => self.cache.latest(&id),
                _ => Some(self.overdue(&id, deadline.unwrap_or_default())),
            };
            results.extend(got);
        }
        let samples: Vec<metrics::Sample<'_>> =
            results.iter().map(|c| metrics::Sample { report: &c.report, at_unix: c.at_unix }).collect();
        let exposition = metrics::encode_probes(&samples, &self.context());
        let body = if selected.debug { debug::render(&self.env_name, &results, &exposition) } else { exposition };
        Ok(Probed { body: self.redactor.redact(&body), debug: selected.debug })
    }

    /// The labels every probe metric of this exporter shares.
    fn context(&self) -> metrics::Context<'_> {
        metrics::Context {
            env: &self.env_name,
            egress: self.opts.egress.as_deref().unwrap_or(""),
            base_urls: &self.base_urls,
        }
    }

    /// The answer for a probe whose run did not land within the scrape's deadline.
    fn overdue(&self, id: &str, deadline: Duration) -> Cached {
        let meta = self.probes.iter().find(|p| p.id == id);
        let field = |f: fn(&ProbeMeta) -> &String| meta.map(f).cloned().unwrap_or_default();
        let message = format!(
            "did not finish within the scrape's deadline of {} (X-Prometheus-Scrape-Timeout-Seconds less {}): \
             its run goes on, and the next scrape gets its result",
            humantime::format_duration(deadline),
            humantime::format_duration(TIMEOUT_OFFSET)
        );
        let report = ProbeReport {
            id: id.to_string(),
            kind: field(|m| &m.kind),
            pack: field(|m| &m.pack),
            env: String::new(),
            title: field(|m| &m.title),
            status: Status::Error,
            started_ms: 0,
            duration_ms: deadline.as_millis() as u64,
            reason: None,
            checks: vec![Check::new("deadline", Status::Error, message).classed(ErrorClass::Timeout)],
            phases: Vec::new(),
            facts: Default::default(),
            http_status: None,
            error_class: Some(ErrorClass::Timeout),
            diagnosis: None,
            runbook: Vec::new(),
            tags: meta.map(|m| m.tags.clone()).unwrap_or_default(),
            trace: Vec::new(),
            shapes: Vec::new(),
        };
        Cached {
            report: Arc::new(report),
            log: Arc::new(Vec::new()),
            at: std::time::Instant::now(),
            at_unix: metrics::now_unix(),
        }
    }

    /// Runs the probes of a flight (the plan pulls in what they depend on)
    /// and lands it in the cache.
    async fn run_flight(&self, flight: cache::Flight) {
        let selection = Selection { only: flight.ids().to_vec(), ..Selection::default() };
        let plan = match Plan::build(&self.env_name, self.targets.clone(), &selection) {
            Ok(plan) => plan,
            Err(e) => {
                // Checked at start; reaching this is a bug, not a verdict.
                tracing::error!(error = %e.render(false), "the exporter could not plan a run");
                self.cache.land(flight, Vec::new(), metrics::now_unix());
                return;
            }
        };
        let opts = RunOptions {
            jobs: self.opts.jobs,
            timeout: self.opts.timeout,
            allow_mutations: false,
            mutations_skipped_because: Some(MUTATION_REASON.to_string()),
            // The debug page shows each probe's last trace.
            trace: true,
        };
        self.metrics.runs.inc();
        let summary = runner::run(&plan, &opts, &mut |_| {}).await;
        for p in &summary.probes {
            self.metrics.probe_runs.get_or_create(&vec![("probe".to_string(), p.id.clone())]).inc();
        }
        self.cache.land(flight, summary.probes, metrics::now_unix());
        self.metrics.cached.set(self.cache.len() as i64);
    }

    /// Answers `/report`: the HTML report of every probe's latest result
    /// with its history (see [`page`]).
    pub fn report_page(&self) -> String {
        self.redactor.redact(&page::render(self))
    }

    /// Answers `/metrics`: golive's own process metrics.
    pub fn process_metrics(&self) -> String {
        self.metrics.encode()
    }

    /// Redacts a text the exporter is about to send (error messages echo the query).
    pub fn redact(&self, text: &str) -> String {
        self.redactor.redact(text)
    }
}

/// Checks an `--egress` name: 1 to 64 letters, digits, `.`, `_` or `-` (it
/// becomes a label value and a report field).
pub fn parse_egress(text: &str) -> Result<String, String> {
    let ok = !text.is_empty()
        && text.len() <= 64
        && text.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'));
    if ok {
        Ok(text.to_string())
    } else {
        Err(format!("`{text}` is not an egress name: use 1 to 64 letters, digits, `.`, `_` or `-`, e.g. nat-eu-west-1"))
    }
}
