//! `golive serve`: the Prometheus exporter (see [`crate::exporter`]) in the
//! foreground until Ctrl-C, SIGTERM or SIGHUP. With `--env demo` it serves
//! the demo environment against the embedded fakes.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use clap::Args;

use super::EnvArgs;
use super::targets::resolve;
use crate::config::{ConfigError, env::parse_duration};
use crate::exit;
use crate::exporter::{self, Exporter, ExporterOptions};
use crate::runner;
use crate::signals::Stopper;

/// `golive serve` options.
#[derive(Debug, Args)]
#[command(
    after_help = "Examples:\n  golive serve --env demo\n  golive serve --env production --listen 127.0.0.1:9469 --egress nat-eu-west-1\n  curl 'http://127.0.0.1:9469/probe?module=launch-day'\n  curl 'http://127.0.0.1:9469/probe?module=axys-auth&debug=true'\n  golive alerts --env production > golive-rules.yml\n  golive dashboard > golive-dashboard.json"
)]
pub struct ExporterArgs {
    #[command(flatten)]
    target: EnvArgs,
    /// The address to listen on (port 0: any free port, printed at start).
    #[arg(long, value_name = "ADDR", default_value = exporter::DEFAULT_LISTEN)]
    listen: SocketAddr,
    /// The network this exporter's requests leave from (NAT gateway, region), as the `egress` label.
    #[arg(long, value_name = "NAME", value_parser = exporter::parse_egress)]
    egress: Option<String>,
    /// A probe's result is served from the cache until it is this old, e.g. 30s or 5m.
    #[arg(long, value_name = "DUR", default_value = "30s", value_parser = parse_duration)]
    min_interval: Duration,
    /// How many probes of one run run at once.
    #[arg(long, value_name = "N", default_value_t = runner::DEFAULT_JOBS)]
    jobs: usize,
    /// Deadline of each probe that sets none itself, e.g. 10s [default: 10s].
    #[arg(long, value_name = "DUR", value_parser = parse_duration)]
    timeout: Option<Duration>,
    /// A client that has not sent a request's headers by then is disconnected.
    #[arg(long, value_name = "DUR", default_value = "10s", value_parser = parse_duration)]
    header_timeout: Duration,
    /// At most this many connections at once; more are closed as soon as they are accepted.
    #[arg(long, value_name = "N", default_value_t = exporter::DEFAULT_MAX_CONNECTIONS)]
    max_connections: usize,
}

/// Runs `golive serve`.
pub async fn run(args: ExporterArgs) -> Result<u8, ConfigError> {
    // Listening before the demo's fakes start, so their folder never outlives a stop.
    let mut stopper = Stopper::new();
    let resolved = tokio::select! {
        resolved = resolve(&args.target) => resolved?,
        _ = stopper.stopped() => return Ok(exit::OK),
    };
    let opts = ExporterOptions {
        egress: args.egress,
        min_interval: args.min_interval,
        jobs: args.jobs.clamp(1, 1024),
        timeout: args.timeout,
        header_timeout: args.header_timeout,
        max_connections: args.max_connections.max(1),
    };
    let exporter = Arc::new(Exporter::new(&args.target.name(), resolved.targets, opts)?);
    let listener = tokio::net::TcpListener::bind(args.listen).await.map_err(|e| {
        ConfigError::usage(format!("cannot listen on {}: {e}", args.listen))
            .help("choose another address with --listen, e.g. 127.0.0.1:0 for any free port")
    })?;
    let addr = listener.local_addr().map_or_else(|_| args.listen.to_string(), |a| a.to_string());
    // What it serves, for a person; a closed stdout does not stop the exporter.
    let _ = crate::report::stdout::write(|out| {
        writeln!(out, "golive serve: listening on http://{addr} (environment {})", exporter.env_name())?;
        writeln!(
            out,
            "  GET http://{addr}/probe?module=ID|TAG   read-only probes, Prometheus text (&debug=true: their log)"
        )?;
        writeln!(
            out,
            "  GET http://{addr}/report                 the HTML report of the latest results and their history"
        )?;
        writeln!(out, "  GET http://{addr}/metrics                golive's own metrics")?;
        writeln!(out, "  read-only probes: {}", exporter.read_only_probes().join(", "))
    });
    let mut stop_signal = None;
    exporter::http::serve(listener, exporter, async {
        stop_signal = Some(stopper.stopped().await);
    })
    .await;
    drop(resolved.fakes);
    let demo = if args.target.is_demo() { "; the demo's fakes were stopped" } else { "" };
    match stop_signal {
        Some(signal) => eprintln!("golive: {signal}: exporter stopped{demo}"),
        None => eprintln!("golive: exporter stopped{demo}"),
    }
    Ok(exit::OK)
}
