//! The one-time Temporal → Permanent API key exchange: checked before any
//! request (the temporal key's age, the secret, both output files, the space
//! for the answer, no other exchange running), sent exactly once (never
//! retried, not on a timeout, not on a 5xx). An accepted answer is written raw
//! to a new 0600 file as it arrives, before anything reads it; then the
//! credential is extracted, written once to a new 0600 file, and verified.
//! When extraction fails, the error says where the raw answer is and how to
//! build the header from it, never the key.
//!
//! From the request to the key on disk the work runs as a task of its own
//! ([`super::send`]), registered in [`super::inflight`]: a signal or a
//! deadline that drops the caller does not cut it.
//!
//! Where the request goes and where the key is in the answer are pack data
//! ([`ExchangeSpec`]); nothing here knows a partner.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use reqwest::header::HeaderValue;
use secrecy::{ExposeSecret, SecretString};

use super::answer;
use super::inflight;
use super::keyfile;
use super::lifetime::{self, TemporalKeyAge};
use super::send::{self, Outgoing, with_account};
use super::sent::{self, Recorder, Sending};
use crate::config::interpolate::interpolate_str;
use crate::config::{Environment, Secret};
use crate::redact::Redactor;
use crate::spec::SecretPolicy;

pub use super::error::{ExchangeError, FailureKind};
use crate::spec::exchange::ExchangeSpec;

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

/// A finished exchange.
#[derive(Debug, Clone)]
pub struct Exchanged {
    /// Where the credential was written (0600).
    pub out: PathBuf,
    /// Where the partner's raw answer is (0600; it holds the key too), or
    /// why it could not be saved.
    pub answer: Result<PathBuf, String>,
    /// Why the raw answer is not beside the key file, when it went to the
    /// fallback folder instead.
    pub answer_moved: Option<String>,
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
    // Registered before any file is touched; refused once golive is stopping.
    let hold = inflight::begin(&format!("{}/{account}", input.pack)).ok_or(ExchangeError::Stopped)?;
    let remember = keyfile::Remember {
        path: input.state_path.to_path_buf(),
        key: format!("{}/{account}", input.pack),
        secret: input.secret.clone(),
        history: input.policy.map_or(0, |p| p.history),
    };
    let prepared = keyfile::prepare(input.out, input.policy.cloned(), remember, hold.clone()).await?;
    let request = build(&input, temporal, input.secret.expose_secret())?;
    let mut secrets = Redactor::new();
    secrets.add(&temporal.value);
    secrets.add(input.secret);
    let task = Outgoing {
        client: input.client.clone(),
        request,
        spec: input.spec.clone(),
        account: account.clone(),
        out: input.out.to_path_buf(),
        secrets,
        hold: hold.clone(),
    };
    // Its own task: nothing that drops this future can stop it between the
    // request and the key on disk.
    let landed = match tokio::spawn(send::run(task, prepared)).await {
        Ok(landed) => landed,
        Err(e) => send::Landed {
            sent: None,
            result: Err(ExchangeError::UnknownState(format!("the exchange stopped unexpectedly ({e})"))),
        },
    };
    if let Some(sent) = landed.sent {
        (input.record)(sent);
    }
    let saved = landed.result?;
    let shape = format!(
        "{}: {}{}",
        input.spec.header,
        input.spec.prefix,
        with_account(&input.spec.credential, input.spec, &account)
            .replace("{api_key}", &format!("<apiKey: {} chars>", saved.found.api_key.chars().count()))
            .replace("{api_key_id}", &format!("<apiKeyId: {} chars>", saved.found.api_key_id.chars().count()))
    );
    let verified = verify(&input, &saved.credential).await;
    Ok(Exchanged {
        out: input.out.to_path_buf(),
        answer: Ok(saved.answer),
        answer_moved: saved.moved,
        found: saved.found,
        header_shape: shape,
        verified,
        state_warning: saved.state_warning,
    })
}

/// The exchange request, built (not sent).
fn build(input: &ExchangeInput<'_>, temporal: &Secret, secret: &str) -> Result<reqwest::Request, ExchangeError> {
    let lookup = |name: &str| input.env.var(name);
    let url = interpolate_str(&input.spec.url, &lookup)
        .map_err(|n| ExchangeError::Missing(format!("the exchange URL needs `{n}`")))?;
    let method = reqwest::Method::from_bytes(input.spec.method.as_bytes())
        .map_err(|_| ExchangeError::Missing(format!("`{}` is not an HTTP method", input.spec.method)))?;
    let mut auth = HeaderValue::from_str(&format!("{}{}", input.spec.prefix, temporal.value.expose_secret()))
        .map_err(|_| ExchangeError::Missing("the temporal key is not a valid header value".into()))?;
    auth.set_sensitive(true);
    let body = serde_json::json!({ input.spec.secret_field.clone(): secret });
    input
        .client
        .request(method, &url)
        .header(input.spec.header.as_str(), auth)
        .json(&body)
        .timeout(input.timeout)
        .build()
        .map_err(|e| {
            ExchangeError::Missing(format!("the exchange request cannot be built ({})", crate::net::describe(&e)))
        })
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
    let mut sending = Sending::start(&request, None);
    let (logged_url, started) = (request.url().to_string(), Instant::now());
    match input.client.execute(request).await {
        Ok(response) => {
            crate::net::log_request("GET", &logged_url, Ok(response.status().as_u16()), started.elapsed());
            sending.answered(&response);
            (input.record)(sending.finish(Ok(sent::UNREAD_BODY)));
            Ok(response.status().as_u16())
        }
        Err(e) => {
            let why = crate::net::describe(&e);
            crate::net::log_request("GET", &logged_url, Err(&why), started.elapsed());
            (input.record)(sending.finish(Err(why.clone())));
            Err(why)
        }
    }
}
