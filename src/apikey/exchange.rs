//! The one-time Temporal → Permanent API key exchange: checked before any
//! request (the temporal key's age, the secret, both output files), sent
//! exactly once (never retried, not on a timeout, not on a 5xx). An accepted
//! answer is written raw to a new 0600 file before anything reads it; then
//! the credential is extracted, written once to a new 0600 file, and verified.
//! When extraction fails, the error says where the raw answer is and how to
//! build the header from it, never the key.
//!
//! Where the request goes and where the key is in the answer are pack data
//! ([`ExchangeSpec`]); nothing here knows a partner.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use reqwest::header::HeaderValue;
use secrecy::{ExposeSecret, SecretString};

use super::answer;
use super::keyfile;
use super::lifetime::{self, TemporalKeyAge};
use super::sent::{self, Recorder, Sending};
use crate::config::interpolate::interpolate_str;
use crate::config::{Environment, Secret};
use crate::spec::SecretPolicy;

pub use crate::spec::exchange::{ExchangeSpec, KeyPaths};

/// What the exchange needs.
pub struct ExchangeInput<'a> {
    /// The environment (account id, temporal key, base URL).
    pub env: &'a Environment,
    /// The pack's exchange description.
    pub spec: &'a ExchangeSpec,
    /// The pack's secret policy.
    pub policy: Option<&'a SecretPolicy>,
    /// The pack name, to key the state.
    pub pack: &'a str,
    /// The chosen secret.
    pub secret: &'a SecretString,
    /// Where the permanent credential is written; must not exist.
    pub out: &'a Path,
    /// The state file.
    pub state_path: &'a Path,
    /// The HTTP client (no retries, no redirects).
    pub client: &'a reqwest::Client,
    /// Deadline of the exchange request.
    pub timeout: Duration,
    /// Gets each request sent (the exchange, the read with the new key) once it is done.
    pub record: Recorder<'a>,
}

/// Why the exchange did not happen or did not finish. No variant carries a secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ExchangeError {
    /// A value the exchange needs is not configured (nothing was sent).
    Missing(String),
    /// The output file exists already (nothing was sent).
    OutExists(PathBuf),
    /// The raw answer file exists already (nothing was sent).
    AnswerExists(PathBuf),
    /// The temporal key is past the partner's documented lifetime (nothing was sent).
    TemporalKeyExpired {
        /// When it was issued, RFC 3339.
        issued_at: String,
        /// When it expired, RFC 3339.
        expired_at: String,
        /// The partner's lifetime in days.
        valid_days: u32,
    },
    /// The output folder cannot be written (nothing was sent).
    OutUnwritable(String),
    /// The secret breaks the policy (nothing was sent).
    Policy(Vec<String>),
    /// The secret was used before (nothing was sent).
    Reused(usize),
    /// The request timed out: the key may or may not have been exchanged.
    Timeout,
    /// The connection failed: nothing was sent.
    Transport(String),
    /// The connection failed after the request may have been sent (a reset
    /// while waiting for the answer): the key may or may not have been exchanged.
    UnknownState(String),
    /// The partner refused the temporal key (used, expired or wrong).
    TemporalKeyRefused(u16),
    /// The partner refused the request otherwise (4xx): the status, the
    /// partner's message, and its `Retry-After` header when it sent one (429).
    Rejected(u16, String, Option<String>),
    /// The partner failed (5xx): not retried.
    ServerError(u16),
    /// The partner accepted the exchange, but the key is in no file: neither
    /// the raw answer nor the credential could be written.
    BadAnswer(String),
    /// The partner accepted the exchange, but no key file was made; the raw
    /// answer, which holds the permanent key, is in `answer` (0600).
    AnswerKept {
        /// Where the raw answer is.
        answer: PathBuf,
        /// Why no key file was made.
        why: String,
        /// The header to build by hand, e.g. `Authorization: ApiKey acc_1_<apiKey>_<apiKeyId>`.
        header: String,
    },
    /// The key was exchanged but could not be moved to `out`; it is in `kept` (0600).
    KeptElsewhere {
        /// Where it should have gone.
        out: PathBuf,
        /// Where it is.
        kept: PathBuf,
        /// Why the move failed.
        why: String,
    },
}

impl std::fmt::Display for ExchangeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ExchangeError::Missing(what) => write!(f, "{what}; nothing was sent"),
            ExchangeError::OutExists(p) => write!(f, "{} exists already; golive never overwrites a key file (choose another --out); nothing was sent", p.display()),
            ExchangeError::AnswerExists(p) => write!(f, "{} exists already: it may hold the permanent key of an earlier exchange, and golive never overwrites it. Store what it holds safely and move it away, or choose another --out; nothing was sent", p.display()),
            ExchangeError::TemporalKeyExpired { issued_at, expired_at, valid_days } => write!(f, "the temporal key expired at {expired_at}: it was issued at {issued_at} (temporal_key_issued_at) and the partner documents a lifetime of {valid_days} days; nothing was sent. Ask the partner for a new temporal key, then set temporal_api_key to it and temporal_key_issued_at to when it was issued"),
            ExchangeError::OutUnwritable(why) => write!(f, "{why}; nothing was sent"),
            ExchangeError::Policy(v) => write!(f, "the secret breaks the partner's policy: {}; nothing was sent", v.join("; ")),
            ExchangeError::Reused(n) => write!(f, "the secret is one of the last {n} used for this account; choose a new one; nothing was sent"),
            ExchangeError::Timeout => f.write_str("the exchange timed out: the key may or may not have been exchanged. golive does not retry. Before trying again, ask the partner whether the temporal key was used (a 401 on a retry means it was)"),
            ExchangeError::Transport(why) => write!(f, "the exchange request could not connect ({why}); nothing was sent and it was not retried"),
            ExchangeError::UnknownState(why) => write!(f, "unknown state — the key may or may not have been exchanged; check with the partner before retrying. The connection failed after the request may have been sent ({why}); golive does not retry"),
            ExchangeError::TemporalKeyRefused(s) => write!(f, "the partner answered {s}: the temporal key was already used or has expired; ask the partner for a new temporal key"),
            ExchangeError::Rejected(429, why, retry_after) => {
                let wait = retry_after.as_ref().map(|v| format!(" (Retry-After: {v})")).unwrap_or_default();
                write!(f, "the partner refused the exchange with 429, too many requests{wait}: {why}; golive does not retry a one-time exchange")
            }
            ExchangeError::Rejected(s, why, _) => write!(f, "the partner refused the exchange with {s}: {why}"),
            ExchangeError::ServerError(s) => write!(f, "the partner answered {s}; golive does not retry a one-time exchange. Ask the partner whether the temporal key still works before trying again"),
            ExchangeError::BadAnswer(why) => write!(f, "the partner accepted the exchange (the temporal key is now used), but {why}; golive holds no copy of the permanent key. Do not exchange again: contact the partner"),
            ExchangeError::AnswerKept { answer, why, header } => write!(f, "the partner accepted the exchange (the temporal key is now used), but {why}, so no key file was made. The partner's raw answer is saved in {} (mode 0600): it holds the permanent key, of which the partner keeps no copy. Do not exchange again and do not share the file. Find the key and its id in the body (after the headers) and build the header yourself: `{header}`; store it in your secrets manager, then delete the file", answer.display()),
            ExchangeError::KeptElsewhere { out, kept, why } => write!(f, "the temporal key was exchanged, but the permanent key could not be moved to {} ({why}); it is kept in {} (mode 0600): move it where it belongs yourself and do not exchange again", out.display(), kept.display()),
        }
    }
}

/// What an exchange failure means for a verdict: the one mapping the
/// `apikey-exchange` probe (a status) and `golive key exchange` (an exit code) share.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailureKind {
    /// A local check refused before anything was sent (an input, a file, the
    /// secret policy): the probe fails, the command is a usage error.
    NotSent,
    /// No verdict: the partner's state is unknown (timeout, a lost connection,
    /// a key kept elsewhere) or the partner failed (5xx).
    NoVerdict,
    /// The partner refused the exchange, or accepted it and the key is not in
    /// its file: something is wrong.
    Wrong,
}

impl ExchangeError {
    /// What this failure means for a verdict.
    pub fn kind(&self) -> FailureKind {
        match self {
            ExchangeError::Missing(_)
            | ExchangeError::OutExists(_)
            | ExchangeError::AnswerExists(_)
            | ExchangeError::TemporalKeyExpired { .. }
            | ExchangeError::OutUnwritable(_)
            | ExchangeError::Policy(_)
            | ExchangeError::Reused(_) => FailureKind::NotSent,
            ExchangeError::Timeout
            | ExchangeError::Transport(_)
            | ExchangeError::UnknownState(_)
            | ExchangeError::KeptElsewhere { .. }
            | ExchangeError::ServerError(_) => FailureKind::NoVerdict,
            ExchangeError::TemporalKeyRefused(_)
            | ExchangeError::Rejected(..)
            | ExchangeError::BadAnswer(_)
            | ExchangeError::AnswerKept { .. } => FailureKind::Wrong,
        }
    }

    /// Whether the request was sent (so the partner's state may have changed).
    pub fn sent(&self) -> bool {
        !matches!(
            self,
            ExchangeError::Missing(_)
                | ExchangeError::OutExists(_)
                | ExchangeError::AnswerExists(_)
                | ExchangeError::TemporalKeyExpired { .. }
                | ExchangeError::OutUnwritable(_)
                | ExchangeError::Policy(_)
                | ExchangeError::Reused(_)
                | ExchangeError::Transport(_)
        )
    }
}

/// A finished exchange.
#[derive(Debug, Clone)]
pub struct Exchanged {
    /// Where the credential was written (0600).
    pub out: PathBuf,
    /// Where the partner's raw answer is (0600; it holds the key too), or
    /// why it could not be saved.
    pub answer: Result<PathBuf, String>,
    /// Where in the answer the key was found.
    pub found: answer::Found,
    /// The header's shape, without the key, e.g.
    /// `Authorization: ApiKey acc_1_<apiKey: 32 chars>_<apiKeyId: 8 chars>`.
    pub header_shape: String,
    /// The status of the authenticated read with the new credential, or why it failed.
    pub verified: Result<u16, String>,
    /// A note when the state file could not be updated.
    pub state_warning: Option<String>,
}

/// The temporal key's age now, from the environment's `temporal_key_issued_at`
/// and the pack's `temporal_key_valid_days`.
pub fn temporal_key_age(env: &Environment, spec: &ExchangeSpec) -> TemporalKeyAge {
    lifetime::check(env.temporal_key_issued_at, spec.temporal_key_valid_days, time::OffsetDateTime::now_utc())
}

/// The header a person builds from the raw answer, e.g.
/// `Authorization: ApiKey acc_1_<apiKey>_<apiKeyId>`.
fn header_to_build(spec: &ExchangeSpec, account: &str) -> String {
    format!(
        "{}: {}{}",
        spec.header,
        spec.prefix,
        with_account(&spec.credential, spec, account)
            .replace("{api_key}", "<apiKey>")
            .replace("{api_key_id}", "<apiKeyId>")
    )
}

/// The credential template with `{NAME}` of the account input filled in.
fn with_account(template: &str, spec: &ExchangeSpec, account: &str) -> String {
    template.replace(&format!("{{{}}}", spec.inputs.account), account)
}

/// Runs the exchange once.
pub async fn exchange(input: ExchangeInput<'_>) -> Result<Exchanged, ExchangeError> {
    let env = input.env;
    let names = &input.spec.inputs;
    let account = env
        .input_text(&names.account)
        .map(str::to_string)
        .ok_or_else(|| ExchangeError::Missing(format!("environment `{}` has no {}", env.name, names.account)))?;
    let temporal = env.input_secret(&names.temporal_key).ok_or_else(|| {
        ExchangeError::Missing(format!(
            "environment `{}` has no {} = {{ env = \"VAR\" }}",
            env.name, names.temporal_key
        ))
    })?;
    if let TemporalKeyAge::Expired { issued_at, expired_at, valid_days } = temporal_key_age(env, input.spec) {
        return Err(ExchangeError::TemporalKeyExpired { issued_at, expired_at, valid_days });
    }
    let remember = keyfile::Remember {
        path: input.state_path.to_path_buf(),
        key: format!("{}/{account}", input.pack),
        secret: input.secret.clone(),
        history: input.policy.map_or(0, |p| p.history),
    };
    let (prepared, staged_answer) = keyfile::prepare(input.out, input.policy.cloned(), remember).await?;
    let secret = input.secret.expose_secret();
    let (response, mut sending) = send_once(&input, temporal, secret).await?;
    // Accepted: the temporal key is used and this answer is the only copy of
    // the permanent key. It goes to disk, raw, before anything reads it.
    sending.answered_with_key(&response);
    let head = answer::raw(&response, &[]);
    let (body, unread) = read_whole(response).await;
    sending.finish(match &unread {
        None => Ok(sent::KEY_BODY),
        Some(why) => Err(why.clone()),
    });
    let raw = [head, body.clone()].concat();
    let saved = keyfile::save_answer(staged_answer, keyfile::answer_path(input.out), raw).await;
    let header = header_to_build(input.spec, &account);
    let kept = |why: String| match &saved {
        Ok(at) => ExchangeError::AnswerKept { answer: at.clone(), why, header: header.clone() },
        Err(lost) => ExchangeError::BadAnswer(format!("{why}, and its raw answer could not be saved either ({lost})")),
    };
    if let Some(why) = unread {
        return Err(kept(why));
    }
    let found = answer::extract(&body, input.spec).map_err(&kept)?;
    let credential = with_account(&input.spec.credential, input.spec, &account)
        .replace("{api_key}", &found.api_key)
        .replace("{api_key_id}", &found.api_key_id);
    let credential = SecretString::from(credential);
    let state_warning = keyfile::finish(prepared, input.out, credential.clone()).await.map_err(|e| match e {
        ExchangeError::BadAnswer(why) => kept(why),
        other => other,
    })?;
    let shape = format!(
        "{}: {}{}",
        input.spec.header,
        input.spec.prefix,
        with_account(&input.spec.credential, input.spec, &account)
            .replace("{api_key}", &format!("<apiKey: {} chars>", found.api_key.chars().count()))
            .replace("{api_key_id}", &format!("<apiKeyId: {} chars>", found.api_key_id.chars().count()))
    );
    let verified = verify(&input, &credential).await;
    Ok(Exchanged { out: input.out.to_path_buf(), answer: saved, found, header_shape: shape, verified, state_warning })
}

/// The exchange request, built and sent exactly once; a refusal (any
/// status but 2xx) is an error with what the partner said, secret masked.
async fn send_once<'a>(
    input: &ExchangeInput<'a>,
    temporal: &Secret,
    secret: &str,
) -> Result<(reqwest::Response, Sending<'a>), ExchangeError> {
    let env = input.env;
    let lookup = |name: &str| env.var(name);
    let url = interpolate_str(&input.spec.url, &lookup)
        .map_err(|n| ExchangeError::Missing(format!("the exchange URL needs `{n}`")))?;
    let method = reqwest::Method::from_bytes(input.spec.method.as_bytes())
        .map_err(|_| ExchangeError::Missing(format!("`{}` is not an HTTP method", input.spec.method)))?;
    let mut auth = HeaderValue::from_str(&format!("{}{}", input.spec.prefix, temporal.value.expose_secret()))
        .map_err(|_| ExchangeError::Missing("the temporal key is not a valid header value".into()))?;
    auth.set_sensitive(true);
    let body = serde_json::json!({ input.spec.secret_field.clone(): secret });
    let request = input
        .client
        .request(method, &url)
        .header(input.spec.header.as_str(), auth)
        .json(&body)
        .timeout(input.timeout)
        .build()
        .map_err(|e| ExchangeError::Transport(crate::net::describe(&e)))?;
    let mut sending = Sending::start(input.record, &request, Some(sent::SECRET_BODY));
    let (method, logged_url, started) = (request.method().to_string(), request.url().to_string(), Instant::now());
    let response = match input.client.execute(request).await {
        Ok(r) => r,
        Err(e) => {
            let why = crate::net::describe(&e);
            crate::net::log_request(&method, &logged_url, Err(&why), started.elapsed());
            sending.finish(Err(why.clone()));
            // Only a failed connection (or a request never built) proves nothing was sent.
            return Err(if e.is_timeout() {
                ExchangeError::Timeout
            } else if e.is_connect() || e.is_builder() {
                ExchangeError::Transport(why)
            } else {
                ExchangeError::UnknownState(why)
            });
        }
    };
    let status = response.status().as_u16();
    crate::net::log_request(&method, &logged_url, Ok(status), started.elapsed());
    if !(200..300).contains(&status) {
        sending.answered(&response);
        let retry_after = response
            .headers()
            .get(reqwest::header::RETRY_AFTER)
            .map(|v| String::from_utf8_lossy(v.as_bytes()).chars().take(100).collect::<String>());
        let text = match crate::net::read_body(response).await {
            Ok((bytes, _)) => {
                sending.finish(Ok(sent::REFUSAL_BODY));
                String::from_utf8_lossy(&bytes).into_owned()
            }
            Err(e) => {
                sending.finish(Err(format!("reading the body failed: {}", crate::net::describe(&e))));
                String::new()
            }
        };
        return Err(match status {
            401 | 403 => ExchangeError::TemporalKeyRefused(status),
            400..=499 => ExchangeError::Rejected(status, partner_message(&text, secret), retry_after),
            _ => ExchangeError::ServerError(status),
        });
    }
    Ok((response, sending))
}

/// The whole body of an accepted answer, up to [`crate::net::MAX_BODY_BYTES`],
/// and why it is not whole, if it is not. What arrived before a failure is
/// kept: it may hold the key.
async fn read_whole(mut response: reqwest::Response) -> (Vec<u8>, Option<String>) {
    let mut body = Vec::new();
    loop {
        match response.chunk().await {
            Ok(Some(chunk)) => {
                let room = crate::net::MAX_BODY_BYTES.saturating_sub(body.len());
                if chunk.len() > room {
                    body.extend_from_slice(&chunk[..room]);
                    let why = format!("its body is larger than {} bytes and was cut there", crate::net::MAX_BODY_BYTES);
                    return (body, Some(why));
                }
                body.extend_from_slice(&chunk);
            }
            Ok(None) => return (body, None),
            Err(e) => {
                let why = format!(
                    "its body could not be read whole ({}; {} bytes arrived)",
                    crate::net::describe(&e),
                    body.len()
                );
                return (body, Some(why));
            }
        }
    }
}

/// The partner's error message, without the secret if it echoed it.
fn partner_message(text: &str, secret: &str) -> String {
    let message = serde_json::from_str::<serde_json::Value>(text)
        .ok()
        .and_then(|v| v.get("message").and_then(|m| m.as_str()).map(str::to_string))
        .unwrap_or_else(|| text.chars().take(200).collect());
    if secret.is_empty() { message } else { message.replace(secret, crate::redact::MASK) }
}

/// The authenticated read with the new credential.
async fn verify(input: &ExchangeInput<'_>, credential: &SecretString) -> Result<u16, String> {
    let lookup = |name: &str| input.env.var(name);
    let url = interpolate_str(&input.spec.verify_url, &lookup).map_err(|n| format!("the verify URL needs `{n}`"))?;
    let mut auth = HeaderValue::from_str(&format!("{}{}", input.spec.prefix, credential.expose_secret()))
        .map_err(|_| "the new credential is not a valid header value".to_string())?;
    auth.set_sensitive(true);
    let request = input
        .client
        .get(&url)
        .header(input.spec.header.as_str(), auth)
        .timeout(input.timeout)
        .build()
        .map_err(|e| crate::net::describe(&e))?;
    let mut sending = Sending::start(input.record, &request, None);
    let (logged_url, started) = (request.url().to_string(), Instant::now());
    match input.client.execute(request).await {
        Ok(response) => {
            crate::net::log_request("GET", &logged_url, Ok(response.status().as_u16()), started.elapsed());
            sending.answered(&response);
            sending.finish(Ok(sent::UNREAD_BODY));
            Ok(response.status().as_u16())
        }
        Err(e) => {
            let why = crate::net::describe(&e);
            crate::net::log_request("GET", &logged_url, Err(&why), started.elapsed());
            sending.finish(Err(why.clone()));
            Err(why)
        }
    }
}
