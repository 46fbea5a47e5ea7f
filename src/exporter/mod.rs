//! `golive serve`: a Prometheus exporter in the blackbox_exporter style.
//!
//! `GET /probe?tag=TAG` (or `?only=ID`, both repeatable, or nothing for every
//! read-only probe) runs the environment's read-only probes through the same
//! plan and runner as `verify`, and answers Prometheus text exposition
//! ([`metrics`]). `GET /metrics` is golive's own process metrics.
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
pub mod http;
pub mod metrics;

use std::collections::{BTreeSet, HashMap};
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::mpsc;

use crate::config::{ConfigError, Environment, Pack};
use crate::plan::{Plan, Selection};
use crate::redact::Redactor;
use crate::runner::{self, RunOptions};

use cache::{Cache, Cached, Lookup};

/// The default address of `golive serve`: loopback, port 9469 (next to
/// blackbox_exporter's 9115 range of exporter ports, unclaimed there).
pub const DEFAULT_LISTEN: &str = "127.0.0.1:9469";
/// How long a probe's result is served before a scrape runs it again.
pub const DEFAULT_MIN_INTERVAL: Duration = Duration::from_secs(30);
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
}

impl Default for ExporterOptions {
    fn default() -> Self {
        ExporterOptions { egress: None, min_interval: DEFAULT_MIN_INTERVAL, jobs: runner::DEFAULT_JOBS, timeout: None }
    }
}

/// What the exporter knows of one probe of the environment.
#[derive(Debug, Clone)]
struct ProbeMeta {
    id: String,
    tags: Vec<String>,
    mutating: bool,
    /// Its dependencies, transitively.
    needs: Vec<String>,
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
    jobs: mpsc::UnboundedSender<Job>,
    /// golive's own counters, shown at `/metrics`.
    pub metrics: metrics::ProcessMetrics,
}

/// A run for the runs thread: made there, because the runner's future is not `Send`.
type Job = Box<dyn FnOnce() -> Pin<Box<dyn Future<Output = ()>>> + Send>;

/// Starts the thread that runs the probes: its own single-threaded tokio
/// runtime, one local task per run. It ends when the exporter is dropped.
fn start_runs_thread() -> Result<mpsc::UnboundedSender<Job>, ConfigError> {
    let (tx, mut rx) = mpsc::unbounded_channel::<Job>();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| ConfigError::usage(format!("cannot start the exporter's runtime: {e}")))?;
    std::thread::Builder::new()
        .name("golive-exporter-runs".into())
        .spawn(move || {
            let local = tokio::task::LocalSet::new();
            local.block_on(&runtime, async move {
                while let Some(job) = rx.recv().await {
                    tokio::task::spawn_local(job());
                }
            });
        })
        .map_err(|e| ConfigError::usage(format!("cannot start the exporter's runs thread: {e}")))?;
    Ok(tx)
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
            jobs: start_runs_thread()?,
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

    /// The probes a `/probe` query selects, in plan order: `only=ID` and
    /// `tag=TAG` (each repeatable; both given, a probe must meet both), never
    /// a mutating one.
    pub fn select(&self, query: &str) -> Result<Vec<&str>, BadQuery> {
        let mut only = Vec::new();
        let mut tags = Vec::new();
        for (key, value) in form_pairs(query) {
            match key.as_str() {
                "only" => only.push(value),
                "tag" => tags.push(value),
                // Prometheus adds nothing else, but a relabelled `target` is harmless.
                "target" | "module" => {}
                other => {
                    return Err(BadQuery(format!(
                        "unknown parameter `{}`: /probe takes only=ID and tag=TAG",
                        shorten(other)
                    )));
                }
            }
        }
        for id in &only {
            match self.probes.iter().find(|p| &p.id == id) {
                None => {
                    return Err(BadQuery(format!(
                        "no probe `{}` runs in environment `{}` (`golive list --env {}` shows them)",
                        shorten(id),
                        self.env_name,
                        self.env_name
                    )));
                }
                Some(p) if p.mutating => {
                    return Err(BadQuery(format!(
                        "probe `{id}` changes data on the partner's side: golive serve never runs a mutating probe (run it once with `golive verify --only {id} --allow-mutations`)"
                    )));
                }
                Some(_) => {}
            }
        }
        if let Some(tag) = tags.iter().find(|t| !self.probes.iter().any(|p| p.tags.contains(t))) {
            return Err(BadQuery(format!(
                "no probe of environment `{}` has the tag `{}`",
                self.env_name,
                shorten(tag)
            )));
        }
        let chosen: Vec<&str> = self
            .probes
            .iter()
            .filter(|p| !p.mutating)
            .filter(|p| only.is_empty() || only.contains(&p.id))
            .filter(|p| tags.is_empty() || p.tags.iter().any(|t| tags.contains(t)))
            .map(|p| p.id.as_str())
            .collect();
        if chosen.is_empty() {
            return Err(BadQuery(format!(
                "the query selects no read-only probe of environment `{}` (mutating probes never run here)",
                self.env_name
            )));
        }
        Ok(chosen)
    }

    /// Answers `/probe?QUERY`: the exposition of the selected probes, each
    /// from the cache when fresh, else from one run shared by every scrape
    /// asking for it meanwhile.
    pub async fn probe(self: &Arc<Self>, query: &str) -> Result<String, BadQuery> {
        let ids = self.select(query)?;
        let needs = |to_run: &[&str]| -> Vec<String> {
            to_run
                .iter()
                .filter_map(|id| self.probes.iter().find(|p| p.id == *id))
                .flat_map(|p| p.needs.iter().cloned())
                .collect()
        };
        let (lookups, flight) = self.cache.lookup(&ids, needs);
        if let Some(flight) = flight {
            // The run is its own task on the runs thread: a scraper that
            // hangs up does not cancel a run other scrapes wait for.
            let mut landed = flight.subscribe();
            let me = Arc::clone(self);
            let job: Job = Box::new(move || Box::pin(async move { me.run_flight(flight).await }));
            // Should the thread be gone, the job (and its flight) is dropped:
            // the waiters wake, and the next scrape runs the probes again.
            let _ = self.jobs.send(job);
            let _ = landed.wait_for(|l| *l).await;
        }
        let mut results: Vec<Cached> = Vec::with_capacity(lookups.len());
        for (id, look) in lookups {
            let got = match look {
                Lookup::Fresh(c) => {
                    self.metrics.cache_hits.inc();
                    Some(c)
                }
                Lookup::Wait(mut landed) => {
                    self.metrics.shared_runs.inc();
                    let _ = landed.wait_for(|l| *l).await;
                    self.cache.latest(&id)
                }
                Lookup::Run => self.cache.latest(&id),
            };
            results.extend(got);
        }
        let samples: Vec<metrics::Sample<'_>> =
            results.iter().map(|c| metrics::Sample { report: &c.report, at_unix: c.at_unix }).collect();
        let cx = metrics::Context {
            env: &self.env_name,
            egress: self.opts.egress.as_deref().unwrap_or(""),
            base_urls: &self.base_urls,
        };
        Ok(self.redactor.redact(&metrics::encode_probes(&samples, &cx)))
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
        };
        self.metrics.runs.inc();
        let summary = runner::run(&plan, &opts, &mut |_| {}).await;
        for p in &summary.probes {
            self.metrics.probe_runs.get_or_create(&vec![("probe".to_string(), p.id.clone())]).inc();
        }
        self.cache.land(flight, summary.probes, metrics::now_unix());
        self.metrics.cached.set(self.cache.len() as i64);
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

/// The `key=value` pairs of a query string, percent-decoded.
fn form_pairs(query: &str) -> Vec<(String, String)> {
    let Ok(url) = reqwest::Url::parse(&format!("http://q/?{query}")) else { return Vec::new() };
    url.query_pairs().map(|(k, v)| (k.into_owned(), v.into_owned())).collect()
}

/// At most 80 characters of user input, for an error message.
fn shorten(text: &str) -> String {
    let mut out: String = text.chars().filter(|c| !c.is_control()).take(80).collect();
    if text.chars().count() > 80 {
        out.push('…');
    }
    out
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
