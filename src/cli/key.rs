//! `golive key exchange`: the one-time Temporal → Permanent API key exchange.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Subcommand};
use secrecy::SecretString;

use super::EnvArgs;
use super::targets::{Resolved, resolve};
use crate::apikey::inflight;
use crate::apikey::{
    ExchangeError, ExchangeInput, FailureKind, TemporalKeyAge, check_free, exchange, temporal_key_age,
};
use crate::config::{ConfigError, SecretRef};
use crate::exit;
use crate::net::Clients;
use crate::probe::inputs;
use crate::probe::kinds::apikey_exchange::ApiKeyExchange;
use crate::probe::kinds::{Kind, Query};
use crate::report::text::terminal;
use crate::signals::{Stop, Stopper};

/// `golive key` subcommands.
#[derive(Debug, Subcommand)]
pub enum KeyCommand {
    /// Exchange the one-time Temporal API key for the Permanent API key (once; never retried).
    #[command(after_help = "The secret comes from --secret-env, --secret-file, the environment's account_secret, \
or a no-echo prompt on a terminal; never from the command line itself. The permanent key is written to a new \
0600 file and never printed.")]
    Exchange(ExchangeArgs),
}

/// `golive key exchange` options.
#[derive(Debug, Args)]
pub struct ExchangeArgs {
    #[command(flatten)]
    target: EnvArgs,
    /// Read the chosen secret from this environment variable.
    #[arg(long, value_name = "VAR", conflicts_with = "secret_file")]
    secret_env: Option<String>,
    /// Read the chosen secret from this file.
    #[arg(long, value_name = "PATH")]
    secret_file: Option<PathBuf>,
    /// Where to write the permanent credential (a new file; never overwritten).
    #[arg(long, value_name = "PATH")]
    out: Option<PathBuf>,
    /// Do not ask for confirmation (for CI).
    #[arg(long)]
    yes: bool,
    /// Deadline of the exchange request.
    #[arg(long, value_name = "DUR", default_value = "30s", value_parser = crate::config::env::parse_duration)]
    timeout: Duration,
}

/// Runs a `golive key` subcommand.
///
/// SIGINT, SIGTERM and SIGHUP before the request stop the command with
/// nothing sent. Once the request is on its way they are held: golive waits
/// until the partner's answer is on disk (a second signal stops at once,
/// keeping what has arrived), then says what was sent, what was kept and
/// where. The demo's fakes and their folder go away after that.
pub async fn run(cmd: KeyCommand) -> Result<u8, ConfigError> {
    let KeyCommand::Exchange(args) = cmd;
    // One exchange, of one environment.
    args.target.one()?;
    let mut stopper = Stopper::new();
    let demo = args.target.is_demo();
    let resolved = tokio::select! {
        resolved = resolve(&args.target) => resolved?,
        signal = stopper.stopped() => return Ok(stopped(signal, &mut stopper, demo).await),
    };
    let code = tokio::select! {
        code = exchange_once(&args, &resolved) => code,
        signal = stopper.stopped() => Ok(stopped(signal, &mut stopper, demo).await),
    };
    // The demo's fakes (and their folder) go only after the exchange's files.
    drop(resolved);
    code
}

/// What a signal does to an exchange: held until the answer is on disk, then
/// what happened is said; the exit code is 128 + the signal's number.
async fn stopped(signal: Stop, stopper: &mut Stopper, demo: bool) -> u8 {
    let notes = hold_exchanges(signal, stopper).await;
    let fakes = if demo { "; the demo's fakes were stopped and their folder removed" } else { "" };
    if notes.is_empty() && !inflight::any_sent() {
        eprintln!("golive: stopped by {signal}; nothing was sent{fakes}");
    } else {
        eprintln!("golive: stopped by {signal}{fakes}");
    }
    for note in notes {
        eprintln!("golive: {note}");
    }
    signal.exit_code()
}

/// After `signal`: says which key exchanges are in flight, waits until their
/// answers are on disk (or the signal comes again), and returns what each
/// exchange of the process did. Call it before anything is cleaned up.
pub async fn hold_exchanges(signal: Stop, stopper: &mut Stopper) -> Vec<String> {
    for busy in inflight::busy() {
        eprintln!("golive: {signal}: {busy}");
    }
    inflight::settle(async {
        stopper.stopped().await;
    })
    .await
}

/// `golive key exchange` itself.
async fn exchange_once(args: &ExchangeArgs, resolved: &Resolved) -> Result<u8, ConfigError> {
    // The demo writes into the fakes' private folder, removed when golive
    // exits (the key works only with those fakes): it names no file there.
    let temporary = resolved.fakes.is_some() && args.out.is_none();
    let (env, pack) = resolved.targets.iter().find(|(_, p)| p.key_exchange.is_some()).ok_or_else(|| {
        ConfigError::usage(format!("the pack of environment `{}` describes no key exchange", args.target.name()))
    })?;
    let spec = pack.key_exchange.as_ref().ok_or_else(|| ConfigError::usage("no key exchange"))?;
    let names = &spec.inputs;
    let account = env.input_text(&names.account).map(str::to_string).ok_or_else(|| {
        ConfigError::usage(format!("environment `{}` has no {}", env.name, names.account))
            .help(format!("add {} = \"...\" to it", names.account))
    })?;
    // Neither the temporal key nor the secret goes in clear text to another machine.
    let none = toml::Table::new();
    let sent = Kind::sends(&ApiKeyExchange, &Query { params: &none, env, pack });
    let sends: Vec<_> = inputs::insecure(sent, env).into_iter().map(|s| ("the key exchange".to_string(), s)).collect();
    if let Some(err) = inputs::insecure_error(&env.name, &sends) {
        return Err(err);
    }
    let out = args
        .out
        .clone()
        .or_else(|| env.input_path(&names.key_file).map(PathBuf::from))
        .unwrap_or_else(|| PathBuf::from(format!("{account}.permanent-api-key")));
    // Before the secret or a confirmation is asked for: a file in the way stops it.
    check_free(&out).map_err(|e| ConfigError::usage(e.to_string()))?;
    // The key's age before anything else is asked: an expired key cannot be exchanged.
    match temporal_key_age(env, spec) {
        TemporalKeyAge::Expired { issued_at, expired_at, valid_days } => {
            eprintln!("golive: {}", ExchangeError::TemporalKeyExpired { issued_at, expired_at, valid_days });
            return Ok(exit::USAGE);
        }
        age => {
            if let Some(warning) = age.warning() {
                eprintln!("golive: warning: {warning}");
            }
        }
    }
    let secret = secret(args, env.input_secret(&names.secret).map(|s| &s.value), &names.secret).await?;
    let interactive = std::io::stdin().is_terminal() && std::io::stderr().is_terminal();
    if !args.yes {
        if !interactive {
            return Err(ConfigError::usage("the key exchange can be done only once and needs confirmation")
                .help("pass --yes to confirm without a terminal (CI)"));
        }
        eprint!("Exchange the temporal key of account {account} now? It works only once. [y/N] ");
        // Off the runtime's threads, so a signal still ends the command while it waits.
        let answer = blocking(|| {
            let mut answer = String::new();
            std::io::stdin().read_line(&mut answer).map(|_| answer)
        })
        .await
        .unwrap_or_default();
        if !matches!(answer.trim(), "y" | "Y" | "yes") {
            eprintln!("golive: nothing was sent");
            return Ok(exit::USAGE);
        }
    }
    let clients = Clients::new(std::sync::Arc::new(env.clone()));
    let client = clients.http().await.map_err(ConfigError::usage)?;
    let state_path = env.state_path();
    if let Some(new) = crate::apikey::state::new_for(env) {
        let what = "the secrets used before are not known, so reuse of an earlier one cannot be refused";
        eprintln!("golive: note: {}", crate::apikey::state::new_state_note(&new, what));
    }
    let input = ExchangeInput {
        env,
        spec,
        policy: pack.secret_policy.as_ref(),
        pack: &pack.name,
        secret: &secret,
        out: &out,
        state_path: &state_path,
        client,
        timeout: args.timeout,
        // The CLI keeps no trace: its output says what happened.
        record: &|_| {},
    };
    match exchange(input).await {
        Ok(done) if temporary => {
            say(
                "The temporal key was exchanged with the demo's fakes. The permanent credential and the raw answer were written to the fakes' temporary folder, which is removed when golive exits: the key works only with these fakes, which stop too.",
            );
            say(
                "With a real environment, they go to a new 0600 file (permanent_key_file or --out) and to <key file>.answer, which stay; pass --out PATH to keep the demo's.",
            );
            report_exchanged(&done)
        }
        Ok(done) => {
            say(&format!(
                "The temporal key was exchanged. The permanent credential is in {} (mode 0600).",
                done.out.display()
            ));
            match &done.answer {
                Ok(at) => say(&format!(
                    "The partner's raw answer is in {} (mode 0600): it holds the key too, and its id, which key rotation needs. Store both files in your secrets manager, then delete them.",
                    at.display()
                )),
                Err(why) => {
                    eprintln!("golive: warning: the partner's raw answer could not be saved ({})", terminal(why))
                }
            }
            if let Some(why) = &done.answer_moved {
                eprintln!("golive: warning: the raw answer is not beside the key file: {}", terminal(why));
            }
            report_exchanged(&done)
        }
        Err(e) => {
            // The partner's message is remote bytes: never raw to a terminal.
            eprintln!("golive: {}", terminal(&e.to_string()));
            Ok(match e.kind() {
                FailureKind::NotSent => exit::USAGE,
                FailureKind::NoVerdict => exit::ERROR,
                FailureKind::Wrong => exit::FAIL,
            })
        }
    }
}

/// What an exchange printed after its files: where the key was found, the
/// header's shape, and whether the new key works; the exit code.
fn report_exchanged(done: &crate::apikey::Exchanged) -> Result<u8, ConfigError> {
    if !done.found.configured {
        say(&format!("The key was found at {}, not where the pack's key_path and key_id_path point.", done.found.at));
    }
    say(&format!("Header shape: {}", done.header_shape));
    if let Some(w) = &done.state_warning {
        eprintln!("golive: warning: the secret history was not updated: {w}");
    }
    match &done.verified {
        Ok(s) if (200..300).contains(s) => {
            say(&format!("Verified: an authenticated read with the new key answered {s}."));
            Ok(exit::OK)
        }
        Ok(s) => {
            eprintln!(
                "golive: an authenticated read with the new key answered {s}; keep the key file and contact the partner"
            );
            Ok(exit::FAIL)
        }
        Err(e) => {
            eprintln!("golive: the new key could not be verified ({}); keep the key file", terminal(e));
            Ok(exit::ERROR)
        }
    }
}

/// A line on stdout; a closed stdout (`| head`) loses it and nothing else:
/// the key is on disk already.
fn say(line: &str) {
    use std::io::Write as _;
    let _ = writeln!(std::io::stdout().lock(), "{line}");
}

/// Runs a blocking read (a prompt) off the runtime's threads.
async fn blocking<T: Send + 'static>(f: impl FnOnce() -> std::io::Result<T> + Send + 'static) -> std::io::Result<T> {
    tokio::task::spawn_blocking(f).await.unwrap_or_else(|e| Err(std::io::Error::other(e.to_string())))
}

/// The chosen secret: from a flag's reference, the environment, or a prompt.
async fn secret(
    args: &ExchangeArgs,
    configured: Option<&SecretString>,
    name: &str,
) -> Result<SecretString, ConfigError> {
    let from_ref = |r: SecretRef| r.resolve().map_err(|e| ConfigError::usage(format!("cannot read the secret: {e}")));
    if let Some(var) = &args.secret_env {
        return from_ref(SecretRef::Env(var.clone()));
    }
    if let Some(path) = &args.secret_file {
        return from_ref(SecretRef::File(path.clone()));
    }
    if let Some(s) = configured {
        return Ok(s.clone());
    }
    if !std::io::stdin().is_terminal() {
        return Err(ConfigError::usage("no secret for the exchange").help(format!(
            "pass --secret-env VAR or --secret-file PATH, or set {name} in golive.toml (a prompt needs a terminal)"
        )));
    }
    let prompt = |text: &'static str| async move {
        blocking(move || rpassword::prompt_password(text))
            .await
            .map_err(|e| ConfigError::usage(format!("cannot read the secret: {e}")))
    };
    let first = prompt("Secret for the account (not shown): ").await?;
    let again = prompt("Again: ").await?;
    if first != again {
        return Err(ConfigError::usage("the two secrets differ; nothing was sent"));
    }
    Ok(SecretString::from(first))
}
