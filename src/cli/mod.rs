//! The command line: clap types and dispatch. Each command lives in its own file.
//!
//! Commands return an exit code (see [`crate::exit`]); they print, the library
//! below them never does.

mod alerts;
mod cert;
mod checklist;
mod contract;
mod dashboard;
mod evidence;
mod exporter;
#[cfg(feature = "demo")]
mod fake;
mod init;
mod key;
mod list;
pub mod log;
mod man;
mod observe;
mod report;
mod schema;
pub mod stdout;
mod table;
mod targets;
mod verify;
mod watch;
mod webhook;

use std::ffi::OsString;
use std::path::PathBuf;

use clap::{Args, CommandFactory, Parser, Subcommand};

use crate::config::ConfigError;
use crate::exit;
#[cfg(feature = "demo")]
use golive_fakes::{Scenario, Variant};

/// Verifies that a payment integration is ready to go live.
///
/// golive turns a partner's go-live runbook into probes (certificates, mTLS,
/// DNS, webhooks, API keys, API flows) that run in seconds, say what is wrong
/// and how to fix it, and gate a deployment by exit code.
///
/// Exit codes: 0 nothing failed (warnings allowed unless --fail-on warn),
/// 1 at least one probe failed, 2 usage or configuration error (nothing ran),
/// 3 some probes reached no verdict (timeout, network) but none failed,
/// 4 all passed but a report or the evidence could not be written,
/// 129/130/143 stopped by SIGHUP/SIGINT/SIGTERM.
#[derive(Debug, Parser)]
#[command(name = "golive", version, propagate_version = true, arg_required_else_help = true)]
#[command(after_help = "Start with `golive verify --env demo`: the whole suite against embedded fakes, no setup.")]
pub struct Cli {
    /// Log what golive does to stderr: -v debug, -vv everything (or set GOLIVE_LOG, e.g. golive=trace).
    #[arg(short, long, action = clap::ArgAction::Count, global = true)]
    verbose: u8,
    /// Colour: auto (only on a terminal, never with NO_COLOR set), always or never.
    #[arg(long, value_name = "WHEN", global = true, default_value = "auto", hide_possible_values = true)]
    color: ColorChoice,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the probes of an environment and report.
    Verify(verify::VerifyArgs),
    /// Show the plan (probes, dependencies, tags, runbook items) without running it.
    List(list::ListArgs),
    /// Print each pack's runbook as a Markdown checklist: automated items ticked from a run, manual ones with their owner.
    Checklist(checklist::ChecklistArgs),
    /// API keys: the one-time Temporal → Permanent exchange.
    #[command(subcommand)]
    Key(key::KeyCommand),
    /// Sign, verify or send a webhook delivery as PaymentsAI, Standard Webhooks, Stripe, GitHub or your pack would.
    #[command(subcommand)]
    Webhook(webhook::WebhookCommand),
    /// Run the embedded fakes.
    #[cfg(feature = "demo")]
    #[command(subcommand)]
    Fake(fake::FakeCommand),
    /// Inspect local certificate and key files.
    #[command(subcommand)]
    Cert(cert::CertCommand),
    /// Check an evidence folder written by `verify --evidence DIR`.
    #[command(subcommand)]
    Evidence(evidence::EvidenceCommand),
    /// Serve the environment's read-only probes to Prometheus (blackbox_exporter style: /probe?tag=TAG, /metrics).
    Serve(exporter::ExporterArgs),
    /// Print Prometheus alerting rules for `golive serve`'s metrics, from the packs' probes and [[watch]] tables.
    Alerts(alerts::AlertsArgs),
    /// Print a Grafana dashboard (JSON) for `golive serve`'s metrics: status, duration, certificate days left, egress.
    Dashboard(dashboard::DashboardArgs),
    /// Run your own command behind a recording front that injects the partner's documented failures, and judge what it did.
    Observe(observe::ObserveArgs),
    /// Work with JSON reports: merge the reports of several egress networks.
    #[command(subcommand)]
    Report(report::ReportCommand),
    /// What the packs infer about the partners' APIs, and what real runs saw of it.
    #[command(subcommand)]
    Contract(contract::ContractCommand),
    /// Print shell completions, e.g. `golive completions bash > /etc/bash_completion.d/golive`.
    Completions {
        /// The shell.
        shell: clap_complete::Shell,
    },
    /// Write a commented golive.toml for a pack and environment, with exactly the keys its probes need.
    Init(init::InitArgs),
    /// Print the JSON Schema of golive.toml (`config`), of a pack file (`pack`) or of the JSON report (`report`).
    Schema(schema::SchemaArgs),
    /// Print the man page, e.g. `golive man > ~/.local/share/man/man1/golive.1`.
    Man,
}

/// When to colour output: `--color auto|always|never`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ColorChoice {
    /// Only on a terminal, and never when NO_COLOR is set.
    Auto,
    /// Always, even into a pipe or a file.
    Always,
    /// Never.
    Never,
}

/// The `--color` choice of this process (set once, before any command runs).
static COLOR: std::sync::OnceLock<ColorChoice> = std::sync::OnceLock::new();

/// Keeps `--help` short: an option whose values carry their own help (e.g.
/// `--format`) lists the values on its line instead of one paragraph each,
/// which would switch clap to its long, spaced-out layout. Applied to every
/// subcommand.
fn compact_help(mut cmd: clap::Command) -> clap::Command {
    let ids: Vec<clap::Id> = cmd
        .get_arguments()
        .filter(|a| !a.is_hide_possible_values_set() && a.get_possible_values().iter().any(|v| v.get_help().is_some()))
        .map(|a| a.get_id().clone())
        .collect();
    for id in ids {
        cmd = cmd.mut_arg(id, |a| {
            let values: Vec<String> =
                a.get_possible_values().iter().filter(|v| !v.is_hide_set()).map(|v| v.get_name().to_string()).collect();
            let help = a.get_help().map(ToString::to_string).unwrap_or_default();
            let help = format!("{} [values: {}]", help.trim_end_matches('.'), values.join(", "));
            a.help(help).hide_possible_values(true)
        });
    }
    let names: Vec<String> = cmd.get_subcommands().map(|c| c.get_name().to_string()).collect();
    for name in names {
        cmd = cmd.mut_subcommand(name, compact_help);
    }
    cmd
}

/// Prints the completions of `shell`. clap_complete panics when its writer
/// fails, so the script is made in memory and written like any document.
fn print_completions(shell: clap_complete::Shell) -> u8 {
    let mut script = Vec::new();
    clap_complete::generate(shell, &mut compact_help(Cli::command()), "golive", &mut script);
    stdout::document("the completions", |out| out.write_all(&script))
}

/// Selects the environments: `--env` (repeatable, or a `[group.NAME]`), `--config`, `--scenario`.
#[derive(Debug, Clone, Args)]
pub struct EnvArgs {
    /// The environment: an [env.NAME] of the configuration, a [group.NAME] of several, or `demo`
    /// (built in, needs no file); repeatable: one run, one report, one exit code for all.
    #[arg(long = "env", short = 'e', value_name = "ENV", required = true, action = clap::ArgAction::Append)]
    pub envs: Vec<String>,
    /// The configuration file.
    #[arg(long, value_name = "PATH", default_value = crate::config::DEFAULT_CONFIG)]
    pub config: PathBuf,
    /// With `--env demo`: make the fakes play a broken scenario (`golive fake scenarios` lists them).
    #[cfg(feature = "demo")]
    #[arg(long, value_enum, value_name = "NAME", hide_possible_values = true)]
    pub scenario: Option<Scenario>,
    /// With `--env demo`: the partner fakes' answers where the pages are silent (`golive fake variants` lists them).
    #[cfg(feature = "demo")]
    #[arg(long, value_enum, value_name = "NAME", hide_possible_values = true)]
    pub variant: Option<Variant>,
}

impl EnvArgs {
    /// The run's name: the environment (or group) given, or several joined by `+`.
    pub fn name(&self) -> String {
        self.envs.join("+")
    }

    /// Whether the run is the built-in demo.
    pub fn is_demo(&self) -> bool {
        self.envs.iter().any(|e| e == crate::config::DEMO_ENV)
    }

    /// The one environment of a command that works on one (`key exchange`, ...).
    pub fn one(&self) -> Result<&str, ConfigError> {
        match self.envs.as_slice() {
            [one] => Ok(one),
            _ => Err(ConfigError::usage(format!(
                "this command works on one environment; got --env {}",
                self.envs.join(" --env ")
            ))
            .help("name one environment: --env NAME")),
        }
    }
}

/// Runs golive with the process's arguments and returns the exit code.
pub fn main() -> u8 {
    run(std::env::args_os())
}

/// Runs golive with the given arguments and returns the exit code.
pub fn run(args: impl IntoIterator<Item = impl Into<OsString> + Clone>) -> u8 {
    crate::stderr::install_panic_hook();
    let parsed = compact_help(Cli::command())
        .try_get_matches_from(args)
        .and_then(|m| <Cli as clap::FromArgMatches>::from_arg_matches(&m));
    let cli = match parsed {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return if e.use_stderr() { exit::USAGE } else { exit::OK };
        }
    };
    let _ = COLOR.set(cli.color);
    match cli.color {
        ColorChoice::Auto => {}
        ColorChoice::Always => anstream::ColorChoice::Always.write_global(),
        ColorChoice::Never => anstream::ColorChoice::Never.write_global(),
    }
    log::init(cli.verbose);
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("golive: cannot start the async runtime: {e}");
            return exit::ERROR;
        }
    };
    let code = runtime.block_on(async {
        match cli.command {
            Command::Verify(args) => verify::run(args).await,
            Command::List(args) => list::run(args).await,
            Command::Checklist(args) => checklist::run(args).await,
            Command::Key(cmd) => key::run(cmd).await,
            #[cfg(feature = "demo")]
            Command::Fake(command) => fake::run(command).await,
            Command::Webhook(command) => webhook::run(command).await,
            Command::Cert(command) => cert::run(command).await,
            Command::Evidence(command) => evidence::run(command).await,
            Command::Serve(args) => exporter::run(args).await,
            Command::Alerts(args) => alerts::run(args).await,
            Command::Dashboard(args) => dashboard::run(args),
            Command::Observe(args) => observe::run(args).await,
            Command::Report(command) => report::run(command),
            Command::Contract(command) => contract::run(command),
            Command::Completions { shell } => Ok(print_completions(shell)),
            Command::Init(args) => init::run(args),
            Command::Schema(args) => schema::run(args),
            Command::Man => Ok(man::run(compact_help(Cli::command()))),
        }
    });
    // Fakes may leave idle tasks behind; never wait for them.
    runtime.shutdown_background();
    code.unwrap_or_else(|e| {
        eprintln!("{}", e.render(stderr_colour()));
        exit::USAGE
    })
}

/// Whether stderr gets colour: `--color always`, or with `auto` a terminal and no `NO_COLOR`.
pub fn stderr_colour() -> bool {
    colour_for(anstream::AutoStream::choice(&std::io::stderr()))
}

/// Whether stdout gets colour: `--color always`, or with `auto` a terminal and no `NO_COLOR`.
pub fn stdout_colour() -> bool {
    colour_for(anstream::AutoStream::choice(&std::io::stdout()))
}

fn colour_for(auto: anstream::ColorChoice) -> bool {
    match COLOR.get().copied().unwrap_or(ColorChoice::Auto) {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => auto != anstream::ColorChoice::Never,
    }
}

/// The error for `--scenario` or `--variant` (`option`) without `--env demo`.
#[cfg(feature = "demo")]
fn needs_demo(option: &str) -> ConfigError {
    ConfigError::usage(format!("{option} only applies to --env demo")).help(format!("drop {option}, or use --env demo"))
}
