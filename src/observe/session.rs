//! One `golive observe` run, start to verdict: a front per pack of the
//! environment (its fault plan, one recording for all), the variables the
//! command gets, and at the end the fronts stopped, the recording judged by
//! every rule of every pack, and the verdicts as a [`RunSummary`] — the same
//! report model, formats and exit codes as `golive verify`.

use std::collections::BTreeMap;
use std::ffi::OsString;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::AtomicU64;
use std::time::Instant;

use serde_json::Value;

use super::command::{Capture, CommandEnd};
use super::front::{Front, FrontConfig, Shared};
use super::judge::{PackRun, Verdict};
use super::logs::LogMeter;
use super::record::Recorder;
use crate::config::observe::{FaultSpec, RuleCheck, RuleSpec};
use crate::config::{ConfigError, Environment, Pack};
use crate::redact::Redactor;
use crate::report::{Check, Counts, ProbeReport, RunSummary, SCHEMA_VERSION, Status};
use crate::spec::{Diagnosis, RunbookRef};

/// How a run is set up (`golive observe` options).
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// `--faults`: `all`, `none`, ids and sets, or a plan file.
    pub faults: String,
    /// `--listen`: where each pack's front listens, in pack order (loopback, any port by default).
    pub listen: Vec<SocketAddr>,
    /// `--plain-http`: serve plain HTTP instead of TLS.
    pub plain_http: bool,
    /// `--log`: the command's log file.
    pub log: Option<PathBuf>,
    /// `--record`: keep the recording here (a new file).
    pub record: Option<PathBuf>,
    /// `--prometheus`: the Prometheus whose alerting rules the `alerts` rules check.
    pub prometheus: Option<reqwest::Url>,
    /// Whether a command will run (its output is then captured as its log).
    pub command: bool,
}

/// The report id of the run itself: the command and the faults it met.
pub const SESSION_ID: &str = "observe-command";

/// A running observation.
pub struct Session {
    env_name: String,
    targets: Vec<(Environment, Pack)>,
    plans: Vec<Vec<FaultSpec>>,
    fronts: Vec<Front>,
    recorder: Option<Recorder>,
    log: Option<LogMeter>,
    capture: Option<Capture>,
    vars: Vec<(String, String)>,
    ca_path: Option<PathBuf>,
    prometheus: Option<reqwest::Url>,
    kept: Option<PathBuf>,
    redactor: Redactor,
    started_at: String,
    started: Instant,
    // Last: the private folder (CA, capture, recording) goes when the session does.
    _dir: tempfile::TempDir,
}

/// A file removed when this is dropped, unless taken out first.
struct Unwanted(Option<PathBuf>);

impl Drop for Unwanted {
    fn drop(&mut self) {
        if let Some(path) = self.0.take() {
            let _ = std::fs::remove_file(path);
        }
    }
}

fn usage(e: impl std::fmt::Display) -> ConfigError {
    ConfigError::usage(e.to_string())
}

impl Session {
    /// Starts a front for every pack of `targets`, with the fault plan `opts.faults`.
    pub async fn start(
        env_name: &str,
        targets: Vec<(Environment, Pack)>,
        opts: &Options,
    ) -> Result<Session, ConfigError> {
        let packs: Vec<&Pack> = targets.iter().map(|(_, p)| p).collect();
        let plans = super::faults::select(&packs, if opts.faults.is_empty() { "all" } else { &opts.faults })?;
        if opts.listen.len() > targets.len() {
            return Err(usage(format!(
                "--listen is given {} times, but environment `{env_name}` has {} pack{} to front",
                opts.listen.len(),
                targets.len(),
                if targets.len() == 1 { "" } else { "s" }
            )));
        }
        let dir = tempfile::Builder::new()
            .prefix("golive-observe-")
            .tempdir()
            .map_err(|e| usage(format!("cannot create a private folder for the run: {e}")))?;
        let redactor = targets.iter().fold(Redactor::new(), |mut r, (env, _)| {
            r.extend(&env.redactor());
            r
        });
        let record_path = opts.record.clone().unwrap_or_else(|| dir.path().join("recording.jsonl"));
        if opts.record.as_ref().is_some_and(|p| p.exists()) {
            return Err(usage(format!(
                "--record {}: the file exists; a recording is never written over",
                record_path.display()
            ))
            .help("name a new file"));
        }
        let recorder = Recorder::create(&record_path).map_err(usage)?;
        // A start that fails from here on leaves no empty recording under the user's name.
        let mut unwanted = Unwanted(opts.record.clone());
        let (capture, log) = match (&opts.log, opts.command) {
            (Some(path), _) => (None, Some(LogMeter::file(path.clone()))),
            (None, true) => {
                let (capture, meter) = Capture::create(&dir.path().join("output.log")).map_err(usage)?;
                (Some(capture), Some(meter))
            }
            (None, false) => (None, None),
        };
        let mut salt = [0u8; 16];
        getrandom::fill(&mut salt).map_err(|e| usage(format!("no randomness for the recording's digests: {e}")))?;
        let shared = Arc::new(Shared {
            start: Instant::now(),
            seq: AtomicU64::new(0),
            salt,
            log: log.clone(),
            recorder: recorder.sender(),
        });
        let identity = if opts.plain_http { None } else { Some(super::ca::make().map_err(usage)?) };
        let ca_path = match &identity {
            Some(id) => {
                let path = dir.path().join("front-ca.pem");
                crate::files::write_private(&path, id.ca_pem.as_bytes()).map_err(usage)?;
                Some(path)
            }
            None => None,
        };
        let mut fronts = Vec::new();
        for (i, ((env, pack), plan)) in targets.iter().zip(&plans).enumerate() {
            let cfg = front_config(env_name, env, pack, plan, identity.as_ref().map(|id| id.server.clone())).await?;
            let listen = opts.listen.get(i).copied().unwrap_or_else(|| SocketAddr::from(([127, 0, 0, 1], 0)));
            fronts.push(super::front::start(listen, cfg, shared.clone()).await.map_err(usage)?);
        }
        drop(shared);
        let prometheus = match &opts.prometheus {
            Some(url) => Some(url.clone()),
            None => prometheus_of(&targets)?,
        };
        let vars = command_vars(&targets, &fronts, ca_path.as_deref())?;
        unwanted.0 = None;
        Ok(Session {
            env_name: env_name.to_string(),
            targets,
            plans,
            fronts,
            recorder: Some(recorder),
            log,
            capture,
            vars,
            ca_path,
            prometheus,
            kept: opts.record.clone(),
            redactor,
            started_at: now(),
            started: Instant::now(),
            _dir: dir,
        })
    }

    /// Each front: its pack and the URL the command uses.
    pub fn fronts(&self) -> Vec<(String, String)> {
        self.fronts.iter().map(|f| (f.pack.clone(), f.url.clone())).collect()
    }

    /// The front CA's certificate file, for a client to trust (none with `--plain-http`).
    pub fn ca_path(&self) -> Option<&Path> {
        self.ca_path.as_deref()
    }

    /// The variables the command gets.
    pub fn vars(&self) -> &[(String, String)] {
        &self.vars
    }

    /// The capture of the command's output.
    pub fn capture(&self) -> Option<Capture> {
        self.capture.clone()
    }

    /// Each fault of the plan, for the user: pack, id and what it does where.
    pub fn plan(&self) -> Vec<String> {
        self.targets
            .iter()
            .zip(&self.plans)
            .flat_map(|((_, p), plan)| {
                plan.iter()
                    .map(move |f| format!("{}: {} ({} on {}, request {})", p.name, f.id, f.what(), f.route, f.nth))
            })
            .collect()
    }

    /// Stops the fronts, judges the recording and returns the report. `command`
    /// is the command line and how it ended; `None` when the front served
    /// without one, until `ended` (a signal's name).
    pub async fn finish(
        mut self,
        command: Option<(&[OsString], CommandEnd)>,
        ended: &str,
    ) -> Result<RunSummary, String> {
        let urls = self.fronts();
        let mut fired: Vec<Vec<(String, u64)>> = Vec::new();
        for front in std::mem::take(&mut self.fronts) {
            fired.push(front.stop().await);
        }
        let recorded = match self.recorder.take() {
            Some(r) => r.finish().await?,
            None => 0,
        };
        let runs: Vec<PackRun<'_>> =
            self.targets.iter().zip(&self.plans).map(|((_, pack), plan)| PackRun { pack, plan }).collect();
        let end = command.as_ref().map(|(_, e)| e);
        let path = self.kept.clone().unwrap_or_else(|| self._dir.path().join("recording.jsonl"));
        let mut judged = super::judge::judge(&path, &runs, end, self.log.as_ref())?;
        let mut probes = vec![self.session_report(command, ended, recorded, &fired, &urls)];
        for (i, (_, pack)) in self.targets.iter().enumerate() {
            let mut traffic = std::mem::take(&mut judged[i]).into_iter();
            for rule in &pack.observe.rules {
                let verdict = match &rule.check {
                    RuleCheck::Alerts { alerts } => super::alerts::check(self.prometheus.as_ref(), alerts).await,
                    _ => match traffic.next() {
                        Some((_, v)) => v,
                        None => continue,
                    },
                };
                probes.push(rule_report(pack, rule, verdict));
            }
        }
        // Log lines and recorded values the checks quote pass the environment's redactor
        // (its secrets, and every card number); recorded fields were masked by name already.
        for p in &mut probes {
            self.redactor.redact_report(p);
        }
        Ok(RunSummary {
            schema: SCHEMA_VERSION,
            golive_version: env!("CARGO_PKG_VERSION").to_string(),
            env: self.env_name.clone(),
            egress: None,
            packs: self.targets.iter().map(|(_, p)| p.name.clone()).collect(),
            started_at: self.started_at.clone(),
            duration_ms: self.started.elapsed().as_millis() as u64,
            summary: Counts::of(&probes),
            probes,
            off: Vec::new(),
        })
    }

    /// The report of the run itself: how the command ended, the traffic, each fault of the plan.
    fn session_report(
        &self,
        command: Option<(&[OsString], CommandEnd)>,
        ended: &str,
        recorded: u64,
        fired: &[Vec<(String, u64)>],
        urls: &[(String, String)],
    ) -> ProbeReport {
        let mut checks = Vec::new();
        let mut facts = BTreeMap::new();
        match &command {
            Some((argv, end)) => {
                let line: Vec<String> = argv.iter().map(|a| a.to_string_lossy().into_owned()).collect();
                let line = line.join(" ");
                let status = if end.success() { Status::Pass } else { Status::Fail };
                checks.push(Check::new("command", status, format!("`{line}` {end}")));
                facts.insert("command".into(), Value::String(line));
                facts.insert("exit_code".into(), end.code.map_or(Value::Null, Value::from));
            }
            None => checks.push(Check::new(
                "command",
                Status::Pass,
                format!("the fronts served without a command until {ended}"),
            )),
        }
        for (pack, url) in urls {
            checks.push(Check::note("front", format!("{pack} through {url}")));
        }
        let mut fault_facts = serde_json::Map::new();
        for (((_, pack), plan), counts) in self.targets.iter().zip(&self.plans).zip(fired) {
            for (fault, (_, n)) in plan.iter().zip(counts) {
                let what = format!("{} on {}", fault.what(), fault.route);
                let said = match n {
                    0 => format!(
                        "{}: {what} never fired (the command sent fewer than {} such requests)",
                        fault.id, fault.nth
                    ),
                    1 => format!("{}: {what}, injected once", fault.id),
                    n => format!("{}: {what}, injected {n} times", fault.id),
                };
                checks.push(Check::note(format!("{} fault", pack.name), said));
                fault_facts.insert(fault.id.clone(), Value::from(*n));
            }
        }
        facts.insert("requests".into(), Value::from(recorded));
        facts.insert("faults_fired".into(), Value::Object(fault_facts));
        facts.insert(
            "recording".into(),
            self.kept.as_ref().map_or(Value::Null, |p| Value::String(p.display().to_string())),
        );
        let status = Status::combine(checks.iter().map(|c| c.status));
        let diagnosis = (status == Status::Fail).then(|| Diagnosis {
            cause: "the observed command did not end well: its own tests or script failed".into(),
            fix: "run the command alone to see why; a command that exits 0 lets the rules judge it".into(),
        });
        ProbeReport {
            id: SESSION_ID.into(),
            kind: "observe".into(),
            pack: self.targets.first().map(|(_, p)| p.name.clone()).unwrap_or_default(),
            env: String::new(),
            title: "The observed command and the faults injected".into(),
            status,
            started_ms: 0,
            duration_ms: self.started.elapsed().as_millis() as u64,
            reason: None,
            checks,
            phases: Vec::new(),
            facts,
            http_status: None,
            error_class: None,
            diagnosis,
            runbook: Vec::new(),
            tags: vec!["observe".into()],
            trace: Vec::new(),
            shapes: Vec::new(),
        }
    }
}

/// A rule's verdict as a probe report: its id and check, the runbook items it proves.
fn rule_report(pack: &Pack, rule: &RuleSpec, v: Verdict) -> ProbeReport {
    let diagnosis = matches!(v.status, Status::Fail | Status::Error).then(|| Diagnosis {
        cause: v.checks.iter().find(|c| c.status == v.status).map(|c| c.message.clone()).unwrap_or_default(),
        fix: rule.fix.clone(),
    });
    let mut facts = BTreeMap::new();
    if let Some(page) = &rule.page {
        facts.insert("page".into(), Value::String(page.clone()));
    }
    ProbeReport {
        id: rule.id.clone(),
        kind: rule.check.name().into(),
        pack: pack.name.clone(),
        env: String::new(),
        title: rule.title.clone(),
        status: v.status,
        started_ms: 0,
        duration_ms: 0,
        reason: v.reason,
        checks: v.checks,
        phases: Vec::new(),
        facts,
        http_status: None,
        error_class: None,
        diagnosis,
        runbook: rule
            .proves
            .iter()
            .map(|(section, item)| RunbookRef {
                runbook: pack.runbook.clone(),
                section: section.clone(),
                item: item.clone(),
            })
            .collect(),
        tags: vec!["observe".into()],
        trace: v.cited.iter().map(super::record::Exchange::trace).collect(),
        shapes: Vec::new(),
    }
}

/// One front's configuration: the environment's partner, client and key, the pack's routes and recording.
async fn front_config(
    env_name: &str,
    env: &Environment,
    pack: &Pack,
    plan: &[FaultSpec],
    tls: Option<Arc<rustls::ServerConfig>>,
) -> Result<FrontConfig, ConfigError> {
    let Some(upstream) = env.base_url.clone() else {
        return Err(usage(format!(
            "environment `{env_name}` has no base_url for pack `{}`: golive observe forwards to it",
            pack.name
        ))
        .help(format!("set base_url in [env.{env_name}] of golive.toml")));
    };
    let auth = match (&pack.auth, &env.api_key) {
        (Some(a), Some(key)) => {
            use secrecy::ExposeSecret;
            let name = http::HeaderName::from_bytes(a.header.as_bytes())
                .map_err(|e| usage(format!("pack `{}`: [auth] header `{}`: {e}", pack.name, a.header)))?;
            let mut value = http::HeaderValue::from_str(&format!("{}{}", a.prefix, key.value.expose_secret()))
                .map_err(|_| usage(format!("environment `{env_name}`: api_key is not a valid header value")))?;
            value.set_sensitive(true);
            // The key goes to the partner: never in clear text off this machine.
            let sent = vec![crate::probe::inputs::Sent { secret: "api_key".into(), url: upstream.clone() }];
            let insecure = crate::probe::inputs::insecure(sent, env);
            let sends: Vec<(String, crate::probe::inputs::Sent)> =
                insecure.into_iter().map(|s| ("golive observe's front".to_string(), s)).collect();
            if let Some(err) = crate::probe::inputs::insecure_error(env_name, &sends) {
                return Err(err);
            }
            Some((name, value))
        }
        _ => None,
    };
    let clients = crate::net::Clients::new(Arc::new(env.clone()));
    let client = clients.http().await.map_err(|e| usage(format!("environment `{env_name}`: {e}")))?.clone();
    Ok(FrontConfig {
        pack: pack.name.clone(),
        upstream,
        client,
        auth,
        routes: pack.observe.routes_with(plan),
        faults: plan.to_vec(),
        record_headers: pack.observe.record_headers.clone(),
        record_fields: pack.observe.record_fields.clone(),
        masking: pack.masking.as_ref().map(|m| m.fields.clone()).unwrap_or_default(),
        redactor: env.redactor(),
        tls,
    })
}

/// `vars.prometheus_url` of the environment, when set.
fn prometheus_of(targets: &[(Environment, Pack)]) -> Result<Option<reqwest::Url>, ConfigError> {
    let Some(text) = targets.iter().find_map(|(env, _)| env.var("prometheus_url")) else { return Ok(None) };
    reqwest::Url::parse(&text).map(Some).map_err(|e| {
        usage(format!("vars.prometheus_url `{text}` is not a URL: {e}")).help("e.g. http://prometheus:9090")
    })
}

/// The variables the command gets: `GOLIVE_PROXY_URL` (the first front),
/// `GOLIVE_PROXY_URL_<PACK>`, `GOLIVE_PROXY_CA`, and each pack's `[observe] env`.
fn command_vars(
    targets: &[(Environment, Pack)],
    fronts: &[Front],
    ca: Option<&Path>,
) -> Result<Vec<(String, String)>, ConfigError> {
    let mut vars = Vec::new();
    if let Some(first) = fronts.first() {
        vars.push(("GOLIVE_PROXY_URL".to_string(), first.url.clone()));
    }
    if let Some(ca) = ca {
        vars.push(("GOLIVE_PROXY_CA".to_string(), ca.display().to_string()));
    }
    for ((env, pack), front) in targets.iter().zip(fronts) {
        let upper: String =
            pack.name.chars().map(|c| if c.is_ascii_alphanumeric() { c.to_ascii_uppercase() } else { '_' }).collect();
        vars.push((format!("GOLIVE_PROXY_URL_{upper}"), front.url.clone()));
        for (name, template) in &pack.observe.env {
            let lookup = |n: &str| if n == "proxy_url" { Some(front.url.clone()) } else { env.var(n) };
            let value = crate::config::interpolate::interpolate_str(template, &lookup).map_err(|missing| {
                usage(format!(
                    "pack `{}` gives the command {name} = \"{template}\", but environment `{}` has no text value `{missing}`",
                    pack.name, env.name
                ))
                .help(format!("set {missing} in [env.{}] (a secret is never handed to the command)", env.name))
            })?;
            vars.push((name.clone(), value));
        }
    }
    Ok(vars)
}

fn now() -> String {
    time::OffsetDateTime::now_utc().format(&time::format_description::well_known::Rfc3339).unwrap_or_default()
}
