//! `golive webhook send --env NAME`: sign one event with the environment's
//! webhook scheme and secret and POST it to its `webhook.url`, as the partner
//! would (with `webhook.auth` when set), then print the answer: the thing a
//! developer reaches for the Stripe CLI for, for any scheme golive knows.
//!
//! The event is the pack's sample (its `webhook` probe's `event`) unless
//! `--event PATH` (or `-` for stdin) gives one. Nothing is retried.

use std::io::Write as _;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use clap::Args;

use super::super::EnvArgs;
use super::super::targets::resolve;
use crate::config::scheme::Scheme;
use crate::config::{ConfigError, Environment, Pack};
use crate::exit;
use crate::net::{self, Clients};
use crate::probe::kinds::webhook::{Delivery, Sample, Webhook};
use crate::probe::kinds::{Kind, Query};
use crate::report::text::terminal;
use crate::webhook::{Key, Stamp, sign};

/// `golive webhook send` options.
#[derive(Debug, Args)]
pub struct SendArgs {
    #[command(flatten)]
    target: EnvArgs,
    /// The event to send: a file, or `-` for stdin [default: the sample event of the pack's webhook probe].
    #[arg(long, value_name = "PATH")]
    event: Option<PathBuf>,
    /// The scheme, instead of the environment's `webhook.scheme` or the pack's (a preset or a scheme of the pack).
    #[arg(long, value_name = "SCHEME")]
    scheme: Option<String>,
    /// How long to wait for the answer, e.g. 10s.
    #[arg(long, value_name = "DUR", default_value = "10s", value_parser = crate::config::env::parse_duration)]
    timeout: Duration,
}

/// Runs `golive webhook send`.
pub async fn run(args: SendArgs) -> Result<u8, ConfigError> {
    let resolved = resolve(&args.target).await?;
    let with_webhook: Vec<&(Environment, Pack)> =
        resolved.targets.iter().filter(|(env, _)| env.webhook.is_some()).collect();
    let (env, pack) = match (with_webhook.as_slice(), resolved.targets.as_slice()) {
        ([one], _) => *one,
        ([], [(env, _), ..]) => {
            return Err(ConfigError::usage(format!("environment `{}` has no `webhook`", env.name)).help(format!(
                "add `webhook = {{ url = \"https://merchant.example/webhooks\", secret = {{ env = \"WEBHOOK_SECRET\" }} }}` to [env.{}] of golive.toml",
                env.name
            )));
        }
        _ => {
            return Err(ConfigError::usage(format!(
                "`{}` names several environments with a webhook; name one",
                args.target.name()
            )));
        }
    };
    let Some(webhook) = &env.webhook else { return Ok(exit::USAGE) };
    let sample = Sample::of(pack, env).map_err(ConfigError::usage)?;
    let scheme = pick_scheme(&args, env, pack, sample.as_ref())?;
    let key = Key::from_secret(&scheme, &webhook.secret.value).map_err(|why| {
        ConfigError::usage(format!("{}: {why}", webhook.secret.source))
            .help(format!("check the secret at {} (webhook.secret of [env.{}])", webhook.secret.source, env.name))
    })?;
    // The Basic password travels with the delivery: never in clear text to another machine.
    let none = toml::Table::new();
    let sent = Kind::sends(&Webhook, &Query { params: &none, env, pack });
    let sends: Vec<_> = crate::probe::inputs::insecure(sent, env)
        .into_iter()
        .map(|s| ("`golive webhook send`".to_string(), s))
        .collect();
    if let Some(err) = crate::probe::inputs::insecure_error(&env.name, &sends) {
        return Err(err);
    }
    let stamp = Stamp {
        id: if scheme.id_header.is_some() { sign::random_id() } else { String::new() },
        timestamp: sign::now(),
    };
    let (body, content_type) = event(&args, sample.as_ref(), &stamp.id)?;
    let delivery = Delivery { headers: sign::headers(&scheme, &key, &stamp, &body), body, content_type };
    let env = std::sync::Arc::new(env.clone());
    let clients = Clients::new(env.clone());
    let client = clients.http().await.map_err(|e| ConfigError::usage(format!("cannot build the HTTP client: {e}")))?;
    let mut out = std::io::stdout().lock();
    let url = &webhook.url;
    let _ = writeln!(out, "POST {url} ({} scheme, {} bytes of {content_type})", scheme.name, delivery.body.len());
    for (name, value) in &delivery.headers {
        let _ = writeln!(out, "  {name}: {}", terminal(value));
    }
    let started = Instant::now();
    let answer =
        crate::probe::kinds::webhook::send(client, url, &delivery, env.webhook_auth.as_ref(), args.timeout).await;
    let elapsed = started.elapsed();
    net::log_request("POST", url.as_str(), answer.as_ref().map(|a| a.status).map_err(|_| "no answer"), elapsed);
    drop(resolved.fakes);
    let answer = match answer {
        Ok(a) => a,
        Err(e) => {
            let _ = writeln!(out, "no answer: {}", terminal(&net::describe(&e)));
            return Ok(exit::ERROR);
        }
    };
    let accepted = match scheme.expect_status {
        Some(want) => answer.status == want,
        None => (200..300).contains(&answer.status),
    };
    let verdict = if accepted { "accepted" } else { "refused" };
    let _ = writeln!(
        out,
        "answered {} in {} ms: {verdict} (expected {})",
        answer.status,
        elapsed.as_millis(),
        scheme.expect_text()
    );
    if !answer.excerpt.is_empty() {
        let _ = writeln!(out, "  {}", terminal(&answer.excerpt));
    }
    Ok(if accepted { exit::OK } else { exit::FAIL })
}

/// `--scheme`, else the environment's `webhook.scheme`, else the scheme of the
/// pack's webhook probe, else the pack's only `[schemes.NAME]`.
fn pick_scheme(
    args: &SendArgs,
    env: &Environment,
    pack: &Pack,
    sample: Option<&Sample>,
) -> Result<Scheme, ConfigError> {
    if let Some(name) = &args.scheme {
        return crate::config::scheme::from_toml_with(&toml::Value::String(name.clone()), &pack.schemes)
            .map_err(|why| ConfigError::usage(format!("--scheme: {why}")));
    }
    let from_env = env.webhook.as_ref().and_then(|w| w.scheme.clone());
    let from_probe = sample.and_then(|s| s.scheme.clone());
    let only = match pack.schemes.as_slice() {
        [(_, one)] => Some(one.clone()),
        _ => None,
    };
    from_env.or(from_probe).or(only).ok_or_else(|| {
        ConfigError::usage(format!(
            "neither environment `{}` nor pack `{}` names a webhook scheme",
            env.name, pack.name
        ))
        .help(format!(
            "set `scheme` in the webhook of [env.{}], or pass --scheme ({})",
            env.name,
            crate::config::scheme::known_names()
        ))
    })
}

/// The body to send and its content type: `--event`, else the pack's sample.
fn event(args: &SendArgs, sample: Option<&Sample>, id: &str) -> Result<(Vec<u8>, &'static str), ConfigError> {
    let body = match args.event.as_deref() {
        Some(p) if p == std::path::Path::new("-") => super::read_stdin()?,
        Some(path) => std::fs::read(path).map_err(|e| {
            ConfigError::in_file(
                path,
                format!("cannot read the event {}: {}", path.display(), crate::config::error::io_reason(&e)),
            )
        })?,
        None => {
            let Some(sample) = sample else {
                return Err(ConfigError::usage("the pack has no webhook probe, so no sample event")
                    .help("give the event: --event event.json (or --event - to read stdin)"));
            };
            return Ok((sample.body(id), sample.content_type()));
        }
    };
    let json = serde_json::from_slice::<serde_json::Value>(&body).is_ok();
    Ok((body, if json { "application/json" } else { "text/plain" }))
}
