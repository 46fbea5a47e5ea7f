//! `golive observe`: run the merchant's own command (tests, a smoke script)
//! behind a recording, fault-injecting front to the partner, then judge what
//! it did with the pack's rules; or, with `--listen` and no command, serve a
//! long-running app until Ctrl-C. Also what `golive checklist --observed`
//! reads from such a run.

use std::collections::HashMap;
use std::ffi::OsString;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use clap::Args;
use serde_json::Value;

use super::EnvArgs;
use super::checklist::{ProbeResult, results};
use super::targets::resolve;
use super::verify::{FailOn, deliver, stopped};
use crate::config::{ConfigError, Coverage, Pack};
use crate::evidence;
use crate::observe::{Options, Session, command};
use crate::plan::{Plan, Selection};
use crate::report::reporter::Reporter;
use crate::report::{Format, ReportTarget};
use crate::signals::Stopper;

/// `golive observe` options.
#[derive(Debug, Args)]
#[command(
    after_help = "The command gets GOLIVE_PROXY_URL (the front's URL), GOLIVE_PROXY_CA (the front's CA certificate) \
and the variables the pack names (AXYS_BASE_URL, API_URL...). Its output goes to stderr and is read as its log.\n\n\
Examples:\n  golive observe --env demo -- python3 smoke.py\n  golive observe --env staging --faults transfers --report json=observed.json -- npm test\n  \
golive observe --env staging --listen 127.0.0.1:8443 --log app.log    (serves until Ctrl-C)\n  \
golive checklist --env staging --observed observed.json"
)]
pub struct ObserveArgs {
    #[command(flatten)]
    target: EnvArgs,
    /// The faults to inject: all, none, fault ids and set names (comma-separated), or a plan file (.toml).
    #[arg(long, value_name = "PLAN", default_value = "all")]
    faults: String,
    /// Where a front listens, on loopback, e.g. 127.0.0.1:8443; once per pack, in pack order [default: a free port].
    #[arg(long, value_name = "ADDR")]
    listen: Vec<SocketAddr>,
    /// Serve plain HTTP on loopback instead of TLS.
    #[arg(long)]
    plain_http: bool,
    /// The command's log file, read for the rules about logs [default: the command's output].
    #[arg(long, value_name = "PATH")]
    log: Option<PathBuf>,
    /// Keep the recording (one JSON object per exchange) in this new file.
    #[arg(long, value_name = "PATH")]
    record: Option<PathBuf>,
    /// The Prometheus whose alerting rules the `alerts` rules check, e.g. http://prometheus:9090
    /// [default: vars.prometheus_url of the environment].
    #[arg(long, value_name = "URL")]
    prometheus: Option<reqwest::Url>,
    /// The format written to stdout.
    #[arg(long, value_enum, default_value = "human")]
    format: Format,
    /// Also write FORMAT to PATH, e.g. json=observed.json; repeatable.
    #[arg(long, value_name = "FORMAT=PATH")]
    report: Vec<ReportTarget>,
    /// Write the auditor's evidence of this run into DIR (new or empty): the report, the exchanges each rule cites, the environment.
    #[arg(long, value_name = "DIR")]
    evidence: Option<PathBuf>,
    /// Also exit 1 when a rule warns.
    #[arg(long, value_enum, value_name = "LEVEL")]
    fail_on: Option<FailOn>,
    /// The command to observe, after `--`, e.g. `-- npm test`.
    #[arg(last = true, value_name = "COMMAND")]
    command: Vec<OsString>,
}

fn usage(e: impl std::fmt::Display) -> ConfigError {
    ConfigError::usage(e.to_string())
}

/// Runs `golive observe`.
pub async fn run(args: ObserveArgs) -> Result<u8, ConfigError> {
    let mut stopper = Stopper::new();
    if args.command.is_empty() && args.listen.is_empty() {
        return Err(usage("golive observe needs a command after `--`, or --listen ADDR to serve until Ctrl-C")
            .help("e.g. golive observe --env demo -- python3 smoke.py"));
    }
    if let Some(addr) = args.listen.iter().find(|a| !a.ip().is_loopback()) {
        return Err(usage(format!("--listen {addr}: the front serves this machine only"))
            .help("listen on 127.0.0.1 or [::1]; the front holds the environment's client certificate and API key"));
    }
    let demo = args.target.is_demo();
    let resolved = tokio::select! {
        resolved = resolve(&args.target) => resolved?,
        signal = stopper.stopped() => return Ok(stopped(signal, "before anything ran", demo)),
    };
    // The evidence folder and its signing key are checked before anything runs.
    let signer = match &args.evidence {
        Some(dir) => {
            let signer = evidence::prepare(dir, &evidence::sign::default_key_path()).map_err(super::evidence::usage)?;
            super::evidence::announce_new_key(&signer);
            Some(signer)
        }
        None => None,
    };
    let planned = resolved.targets.clone();
    let opts = Options {
        faults: args.faults.clone(),
        listen: args.listen.clone(),
        plain_http: args.plain_http,
        log: args.log.clone(),
        record: args.record.clone(),
        prometheus: args.prometheus.clone(),
        command: !args.command.is_empty(),
    };
    let session = Session::start(&args.target.name(), resolved.targets, &opts).await?;
    for (pack, url) in session.fronts() {
        eprintln!("golive observe: {pack} through {url}");
    }
    if let Some(ca) = session.ca_path() {
        eprintln!("golive observe: the front's CA certificate is {} (GOLIVE_PROXY_CA)", ca.display());
    }
    for fault in session.plan() {
        eprintln!("golive observe: fault {fault}");
    }
    let (end, ended) = if args.command.is_empty() {
        eprintln!("golive observe: serving until Ctrl-C, SIGTERM or SIGHUP");
        (None, stopper.stopped().await.to_string())
    } else {
        let vars = session.vars().to_vec();
        tokio::select! {
            end = command::run(&args.command, &vars, session.capture()) => (Some(end.map_err(usage)?), String::new()),
            signal = stopper.stopped() => {
                drop(session);
                drop(resolved.fakes);
                return Ok(stopped(signal, "while the command ran; no report was written", demo));
            }
        }
    };
    let summary = session.finish(end.map(|e| (args.command.as_slice(), e)), &ended).await.map_err(usage)?;
    drop(resolved.fakes);
    let plan = match &args.evidence {
        Some(_) => Some(Plan::build(&args.target.name(), planned, &Selection::default())?),
        None => None,
    };
    let evidence = args.evidence.as_deref().zip(plan.as_ref()).zip(signer.as_ref()).map(|((d, p), s)| (d, p, s));
    let reporter = Reporter::run(args.format, &args.report, super::stdout_colour(), true);
    Ok(deliver(reporter, &summary, evidence, args.fail_on == Some(FailOn::Warn)))
}

/// The report an observed run wrote: `PATH`, or `PATH/run.json` of its evidence folder.
pub fn observed_report(path: &Path) -> PathBuf {
    if path.is_dir() { path.join(evidence::RUN) } else { path.to_path_buf() }
}

/// For `golive checklist --observed`: every manual item a rule of the
/// observed run proves becomes an automated item ticked by that rule (all the
/// rules proving it must pass), and the rules' results join the probes'.
pub fn tick_observed(mut packs: Vec<Pack>, found: &mut HashMap<String, ProbeResult>, observed: &Value) -> Vec<Pack> {
    let mut by_item: HashMap<(String, String), Vec<String>> = HashMap::new();
    for p in observed["probes"].as_array().into_iter().flatten() {
        let Some(id) = p["id"].as_str() else { continue };
        for r in p["runbook"].as_array().into_iter().flatten() {
            if let (Some(runbook), Some(item)) = (r["runbook"].as_str(), r["item"].as_str()) {
                by_item.entry((runbook.to_string(), item.to_string())).or_default().push(id.to_string());
            }
        }
    }
    for pack in &mut packs {
        for c in &mut pack.coverage {
            if let (Coverage::Manual(_), Some(ids)) = (&c.by, by_item.get(&(pack.runbook.clone(), c.item.clone()))) {
                c.by = Coverage::Automated(ids.clone());
            }
        }
    }
    found.extend(results(observed));
    packs
}
