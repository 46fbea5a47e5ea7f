//! `golive webhook sign|verify|send`: sign a body as a sender would, check a
//! delivery as a correct receiver would, or sign and POST one event to an
//! environment's endpoint ([`send`]), with the same code as the probe.
//!
//! A scheme is a preset, a scheme of a pack (`--pack NAME|PATH --scheme NAME`,
//! or `--scheme PACK.toml` when the pack declares one) or a `.toml` file
//! defining one. The secret comes only from `--secret-env VAR` or
//! `--secret-file PATH` (or, for `send`, the environment), never from the
//! command line, and is never printed.

mod send;

use std::io::Read;
use std::path::PathBuf;

use clap::{Args, Subcommand};

use crate::config::scheme::{self, Scheme};
use crate::config::{ConfigError, SecretRef};
use crate::exit;
use crate::webhook::{Key, Stamp, sign, verify};

/// `golive webhook` subcommands.
#[derive(Debug, Subcommand)]
pub enum WebhookCommand {
    /// Print the headers to send with the body read from stdin.
    #[command(
        after_help = "Example:\n  golive webhook sign --scheme standard-webhooks --secret-env WEBHOOK_SECRET < event.json"
    )]
    Sign(SignArgs),
    /// Check a delivery (body on stdin): exit 0 when valid, 1 with the reason when not.
    #[command(
        after_help = "Example:\n  golive webhook verify --scheme github --secret-file secret.txt --header 'X-Hub-Signature-256: sha256=...' < body"
    )]
    Verify(VerifyArgs),
    /// Sign one event and POST it to an environment's webhook endpoint, as the partner would; print the answer.
    #[command(
        after_help = "Examples:\n  golive webhook send --env staging                      # the pack's sample event\n  golive webhook send --env staging --event event.json   # your own event (`-` reads stdin)\n\nExit 0 when the endpoint accepts the event (the scheme's status, else any 2xx), 1 when it refuses it, 3 with no answer."
    )]
    Send(send::SendArgs),
}

/// The `--scheme` help: the presets (the built-in packs' schemes first), as
/// the hard-coded text listed them.
fn scheme_help() -> String {
    format!(
        "The scheme: {}, a scheme of the --pack, or a .toml file defining one (a pack file: its scheme)",
        scheme::known_names()
    )
}

/// The `--pack` help.
const PACK_HELP: &str = "A pack (built-in name or file) whose [schemes.NAME] --scheme may name";

/// Where the secret comes from: exactly one of the two.
#[derive(Debug, Args)]
#[group(required = true, multiple = false)]
pub struct SecretArgs {
    /// Read the secret from this environment variable.
    #[arg(long, value_name = "VAR")]
    secret_env: Option<String>,
    /// Read the secret from this file (trailing newlines are trimmed).
    #[arg(long, value_name = "PATH")]
    secret_file: Option<PathBuf>,
}

/// `golive webhook sign` options.
#[derive(Debug, Args)]
pub struct SignArgs {
    /// The scheme: a preset name or a .toml file defining one.
    #[arg(long, value_name = "SCHEME", help = scheme_help())]
    scheme: String,
    #[arg(long, value_name = "PACK", help = PACK_HELP)]
    pack: Option<String>,
    #[command(flatten)]
    secret: SecretArgs,
    /// The delivery id, for schemes that send one [default: a random id].
    #[arg(long, value_name = "ID")]
    id: Option<String>,
    /// The timestamp in Unix seconds, for schemes that send one [default: now].
    #[arg(long, value_name = "TS", allow_negative_numbers = true)]
    timestamp: Option<i64>,
}

/// `golive webhook verify` options.
#[derive(Debug, Args)]
pub struct VerifyArgs {
    /// The scheme: a preset name or a .toml file defining one.
    #[arg(long, value_name = "SCHEME", help = scheme_help())]
    scheme: String,
    #[arg(long, value_name = "PACK", help = PACK_HELP)]
    pack: Option<String>,
    #[command(flatten)]
    secret: SecretArgs,
    /// A header of the delivery, `Name: value`; repeatable.
    #[arg(long = "header", short = 'H', value_name = "NAME: VALUE")]
    headers: Vec<String>,
    /// Judge timestamps as of this Unix time, e.g. to check a recorded delivery [default: now].
    #[arg(long, value_name = "TS")]
    now: Option<i64>,
}

/// Runs a `golive webhook` subcommand.
pub async fn run(command: WebhookCommand) -> Result<u8, ConfigError> {
    match command {
        WebhookCommand::Sign(args) => run_sign(args),
        WebhookCommand::Verify(args) => run_verify(args),
        WebhookCommand::Send(args) => send::run(args).await,
    }
}

fn run_sign(args: SignArgs) -> Result<u8, ConfigError> {
    let scheme = load_scheme(&args.scheme, args.pack.as_deref())?;
    let key = load_key(&scheme, &args.secret)?;
    let body = read_stdin()?;
    let id = match (args.id, &scheme.id_header) {
        (Some(id), _) => id,
        (None, Some(_)) => sign::random_id(),
        (None, None) => String::new(),
    };
    let stamp = Stamp { id, timestamp: args.timestamp.unwrap_or_else(sign::now) };
    let headers = sign::headers(&scheme, &key, &stamp, &body);
    Ok(super::stdout::document("the signature headers", |out| {
        for (name, value) in headers {
            writeln!(out, "{name}: {value}")?;
        }
        Ok(())
    }))
}

fn run_verify(args: VerifyArgs) -> Result<u8, ConfigError> {
    let scheme = load_scheme(&args.scheme, args.pack.as_deref())?;
    let key = load_key(&scheme, &args.secret)?;
    let headers = parse_headers(&args.headers)?;
    let body = read_stdin()?;
    match verify::verify(&scheme, &key, &headers, &body, args.now.unwrap_or_else(sign::now)) {
        Ok(v) => {
            let mut about = Vec::new();
            if let Some(id) = v.id {
                about.push(format!("id {id}"));
            }
            if let Some(t) = v.timestamp {
                about.push(format!("timestamp {t}"));
            }
            let about = if about.is_empty() { String::new() } else { format!(" ({})", about.join(", ")) };
            let line = format!("valid: the {} signature matches the body{about}", scheme.name);
            Ok(super::stdout::document("the verdict", |out| writeln!(out, "{line}")))
        }
        Err(why) => {
            eprintln!("invalid: {why}");
            Ok(exit::FAIL)
        }
    }
}

/// A scheme of `pack` (when given) or a preset by name, or a `.toml` file:
/// a scheme table, or a pack file declaring the scheme.
fn load_scheme(text: &str, pack: Option<&str>) -> Result<Scheme, ConfigError> {
    if !text.ends_with(".toml") {
        let own = match pack {
            Some(p) => crate::config::pack::load(p, None)?.schemes,
            None => Vec::new(),
        };
        let value = toml::Value::String(text.to_string());
        return scheme::from_toml_with(&value, &own).map_err(|why| {
            let err = ConfigError::usage(format!("--scheme: {why}"));
            match pack {
                Some(p) if own.is_empty() => err.help(format!("pack `{p}` declares no [schemes]")),
                Some(p) => err.help(format!(
                    "pack `{p}` declares: {}",
                    own.iter().map(|(n, _)| n.as_str()).collect::<Vec<_>>().join(", ")
                )),
                None => err.help(
                    "a scheme of your own pack: --pack PATH --scheme NAME; or give the path of a .toml file defining a scheme",
                ),
            }
        });
    }
    let path = PathBuf::from(text);
    let file = crate::config::SourceFile::read(&path, "scheme file")?;
    let value: toml::Value = toml::from_str(&file.text).map_err(|e| crate::config::error::from_toml(&file, &e))?;
    if value.get("pack").is_some_and(toml::Value::is_table) {
        return pack_scheme(&path);
    }
    scheme::from_toml(&value).map_err(|why| ConfigError::in_file(&path, format!("invalid scheme in {text}: {why}")))
}

/// The scheme a pack file declares, when it declares exactly one.
fn pack_scheme(path: &std::path::Path) -> Result<Scheme, ConfigError> {
    let pack = crate::config::pack::load(&path.display().to_string(), None)?;
    match pack.schemes.as_slice() {
        [(_, only)] => Ok(only.clone()),
        [] => Err(ConfigError::in_file(path, format!("pack `{}` declares no [schemes.NAME]", pack.name))
            .help("name a preset instead, or add the partner's scheme to the pack as [schemes.NAME]")),
        several => Err(ConfigError::in_file(
            path,
            format!("pack `{}` declares {} schemes; say which", pack.name, several.len()),
        )
        .help(format!(
            "--pack {} --scheme NAME, NAME one of: {}",
            path.display(),
            several.iter().map(|(n, _)| n.as_str()).collect::<Vec<_>>().join(", ")
        ))),
    }
}

fn load_key(scheme: &Scheme, args: &SecretArgs) -> Result<Key, ConfigError> {
    let source = match (&args.secret_env, &args.secret_file) {
        (Some(var), _) => SecretRef::Env(var.clone()),
        (None, Some(path)) => SecretRef::File(path.clone()),
        (None, None) => return Err(ConfigError::usage("give --secret-env VAR or --secret-file PATH")),
    };
    let secret = source.resolve().map_err(|e| {
        ConfigError::usage(format!("cannot read the webhook secret: {e}")).help(match &source {
            SecretRef::Env(var) => format!("export {var} (e.g. from your secrets manager), or use --secret-file PATH"),
            SecretRef::File(_) => "check the path, or use --secret-env VAR".to_string(),
        })
    })?;
    Key::from_secret(scheme, &secret).map_err(|why| ConfigError::usage(format!("{source}: {why}")))
}

fn parse_headers(lines: &[String]) -> Result<http::HeaderMap, ConfigError> {
    let mut map = http::HeaderMap::new();
    for line in lines {
        let bad = |why: &str| {
            ConfigError::usage(format!("--header `{line}`: {why}"))
                .help("write --header 'Name: value', e.g. --header 'x-pai-signature: 3f1a...'")
        };
        let (name, value) = line.split_once(':').ok_or_else(|| bad("no `:` between name and value"))?;
        let name = http::HeaderName::from_bytes(name.trim().as_bytes()).map_err(|_| bad("not a header name"))?;
        let value = http::HeaderValue::from_str(value.trim()).map_err(|_| bad("not a valid header value"))?;
        map.append(name, value);
    }
    Ok(map)
}

/// The body exactly as bytes: nothing trimmed, nothing re-encoded.
fn read_stdin() -> Result<Vec<u8>, ConfigError> {
    use std::io::IsTerminal;
    let stdin = std::io::stdin();
    if stdin.is_terminal() {
        eprintln!("golive: reading the body from stdin (end it with Ctrl-D), e.g. `< event.json`");
    }
    let mut body = Vec::new();
    stdin
        .lock()
        .take(MAX_BODY_BYTES + 1)
        .read_to_end(&mut body)
        .map_err(|e| ConfigError::usage(format!("cannot read the body from stdin: {e}")))?;
    if body.len() as u64 > MAX_BODY_BYTES {
        return Err(ConfigError::usage(format!(
            "the body on stdin is larger than {} MiB; webhook events are small: pass the delivery's body only",
            MAX_BODY_BYTES / (1024 * 1024)
        )));
    }
    Ok(body)
}

/// The largest body `webhook sign|verify` reads: far above any webhook event.
const MAX_BODY_BYTES: u64 = 16 * 1024 * 1024;
