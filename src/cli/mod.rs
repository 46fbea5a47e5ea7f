//! The command line: clap types and dispatch. Each command lives in its own file.
//!
//! Commands return an exit code (see [`crate::exit`]); they print, the library
//! below them never does.

mod cert;
mod checklist;
mod evidence;
mod key;
mod list;
pub mod log;
mod serve;
mod targets;
mod verify;
mod watch;
mod webhook;

use std::ffi::OsString;
use std::path::PathBuf;

use clap::{Args, CommandFactory, Parser, Subcommand};

use crate::config::ConfigError;
use crate::exit;
use crate::fake::Scenario;

/// Verifies that a payment integration is ready to go live.
///
/// golive turns a partner's go-live runbook into probes (certificates, mTLS,
/// DNS, webhooks, API keys, API flows) that run in seconds, say what is wrong
/// and how to fix it, and gate a deployment by exit code.
///
/// Exit codes: 0 nothing failed (warnings allowed unless --fail-on warn),
/// 1 at least one probe failed, 2 usage or configuration error,
/// 3 some probes reached no verdict (timeout, network) but none failed.
#[derive(Debug, Parser)]
#[command(name = "golive", version, propagate_version = true, arg_required_else_help = true)]
#[command(after_help = "Start with `golive verify --env demo`: the whole suite against embedded fakes, no setup.")]
pub struct Cli {
    /// Log what golive does to stderr: -v debug, -vv everything (or set GOLIVE_LOG, e.g. golive=trace).
    #[arg(short, long, action = clap::ArgAction::Count, global = true)]
    verbose: u8,
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
    /// Sign or verify a webhook delivery as PaymentsAI, Standard Webhooks, Stripe or GitHub would.
    #[command(subcommand)]
    Webhook(webhook::WebhookCommand),
    /// Run the embedded fakes.
    #[command(subcommand)]
    Fake(FakeCommand),
    /// Inspect local certificate and key files.
    #[command(subcommand)]
    Cert(cert::CertCommand),
    /// Check an evidence folder written by `verify --evidence DIR`.
    #[command(subcommand)]
    Evidence(evidence::EvidenceCommand),
    /// Print shell completions, e.g. `golive completions bash > /etc/bash_completion.d/golive`.
    Completions {
        /// The shell.
        shell: clap_complete::Shell,
    },
}

#[derive(Debug, Subcommand)]
enum FakeCommand {
    /// Serve the fakes in the foreground and print a golive.toml for them; Ctrl-C stops.
    Serve(serve::ServeArgs),
}

/// Selects the environment: `--env`, `--config`, `--scenario`.
#[derive(Debug, Clone, Args)]
pub struct EnvArgs {
    /// The environment: an [env.NAME] of the configuration, or `demo` (built in, needs no file).
    #[arg(long, short = 'e', value_name = "ENV")]
    pub env: String,
    /// The configuration file.
    #[arg(long, value_name = "PATH", default_value = crate::config::DEFAULT_CONFIG)]
    pub config: PathBuf,
    /// With `--env demo`: make the fakes play a broken scenario.
    #[arg(long, value_enum, value_name = "NAME")]
    pub scenario: Option<Scenario>,
}

/// Runs golive with the process's arguments and returns the exit code.
pub fn main() -> u8 {
    run(std::env::args_os())
}

/// Runs golive with the given arguments and returns the exit code.
pub fn run(args: impl IntoIterator<Item = impl Into<OsString> + Clone>) -> u8 {
    quiet_panics();
    let cli = match Cli::try_parse_from(args) {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return if e.use_stderr() { exit::USAGE } else { exit::OK };
        }
    };
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
            Command::Fake(FakeCommand::Serve(args)) => serve::run(args).await,
            Command::Webhook(command) => webhook::run(command),
            Command::Cert(command) => cert::run(command).await,
            Command::Evidence(command) => evidence::run(command).await,
            Command::Completions { shell } => {
                clap_complete::generate(shell, &mut Cli::command(), "golive", &mut std::io::stdout());
                Ok(exit::OK)
            }
        }
    });
    // Fakes may leave idle tasks behind; never wait for them.
    runtime.shutdown_background();
    code.unwrap_or_else(|e| {
        eprintln!("{}", e.render(stderr_colour()));
        exit::USAGE
    })
}

/// Whether stderr gets colour: a terminal and no `NO_COLOR`.
pub fn stderr_colour() -> bool {
    anstream::AutoStream::choice(&std::io::stderr()) != anstream::ColorChoice::Never
}

/// Whether stdout gets colour: a terminal and no `NO_COLOR`.
pub fn stdout_colour() -> bool {
    anstream::AutoStream::choice(&std::io::stdout()) != anstream::ColorChoice::Never
}

/// A panic prints one line, never a stack trace; probe panics are also reported
/// as `error` by the runner.
fn quiet_panics() {
    std::panic::set_hook(Box::new(|info| {
        let msg = info
            .payload()
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| info.payload().downcast_ref::<String>().cloned())
            .unwrap_or_default();
        let at = info.location().map(|l| format!(" at {}:{}", l.file(), l.line())).unwrap_or_default();
        eprintln!("golive: internal error: {msg}{at} (please report it)");
    }));
}

/// The error for `--scenario` without `--env demo`.
fn scenario_needs_demo() -> ConfigError {
    ConfigError::usage("--scenario only applies to --env demo").help("drop --scenario, or use --env demo")
}
