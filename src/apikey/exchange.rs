//! The one-time Temporal → Permanent API key exchange: checked before any
//! request, sent exactly once (never retried, not on a timeout, not on a 5xx),
//! the permanent credential written once to a new 0600 file, then verified.
//!
//! Where the request goes and where the key is in the answer are pack data
//! ([`ExchangeSpec`]); nothing here knows a partner.

use std::path::{Path, PathBuf};
use std::time::Duration;

use reqwest::header::HeaderValue;
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use serde_json_path::JsonPath;

use super::keyfile;
use super::policy::SecretPolicy;
use super::sent::{self, Recorder, Sending};
use crate::config::Environment;
use crate::config::interpolate::interpolate_str;

/// How a partner exchanges a temporal key, as a pack declares it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExchangeSpec {
    /// HTTP method of the exchange.
    #[serde(default = "patch")]
    pub method: String,
    /// The exchange URL, e.g. `${base_url}/v1/accounts/public-api/${account_id}`.
    pub url: String,
    /// The header carrying the temporal key.
    pub header: String,
    /// What precedes the key in that header, e.g. `ApiKey `.
    #[serde(default)]
    pub prefix: String,
    /// The JSON body field that carries the chosen secret.
    pub secret_field: String,
    /// JSONPath of the new API key in the answer.
    pub key_path: String,
    /// JSONPath of the new API key id in the answer.
    pub key_id_path: String,
    /// How the permanent credential is assembled, with `{account_id}`,
    /// `{api_key}` and `{api_key_id}`; the parts are never split again.
    pub credential: String,
    /// An authenticated read that proves the new credential works.
    pub verify_url: String,
}

fn patch() -> String {
    "PATCH".to_string()
}

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
    /// The partner refused the request otherwise (4xx).
    Rejected(u16, String),
    /// The partner failed (5xx): not retried.
    ServerError(u16),
    /// The partner answered 2xx but the answer lacks the key, or the key could not be written.
    BadAnswer(String),
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
            ExchangeError::OutUnwritable(why) => write!(f, "{why}; nothing was sent"),
            ExchangeError::Policy(v) => write!(f, "the secret breaks the partner's policy: {}; nothing was sent", v.join("; ")),
            ExchangeError::Reused(n) => write!(f, "the secret is one of the last {n} used for this account; choose a new one; nothing was sent"),
            ExchangeError::Timeout => f.write_str("the exchange timed out: the key may or may not have been exchanged. golive does not retry. Before trying again, ask the partner whether the temporal key was used (a 401 on a retry means it was)"),
            ExchangeError::Transport(why) => write!(f, "the exchange request could not connect ({why}); nothing was sent and it was not retried"),
            ExchangeError::UnknownState(why) => write!(f, "unknown state — the key may or may not have been exchanged; check with the partner before retrying. The connection failed after the request may have been sent ({why}); golive does not retry"),
            ExchangeError::TemporalKeyRefused(s) => write!(f, "the partner answered {s}: the temporal key was already used or has expired; ask the partner for a new temporal key"),
            ExchangeError::Rejected(s, why) => write!(f, "the partner refused the exchange with {s}: {why}"),
            ExchangeError::ServerError(s) => write!(f, "the partner answered {s}; golive does not retry a one-time exchange. Ask the partner whether the temporal key still works before trying again"),
            ExchangeError::BadAnswer(why) => write!(f, "the partner accepted the exchange but {why}; the answer was not saved to avoid leaking it: contact the partner"),
            ExchangeError::KeptElsewhere { out, kept, why } => write!(f, "the temporal key was exchanged, but the permanent key could not be moved to {} ({why}); it is kept in {} (mode 0600): move it where it belongs yourself and do not exchange again", out.display(), kept.display()),
        }
    }
}

impl ExchangeError {
    /// Whether the request was sent (so the partner's state may have changed).
    pub fn sent(&self) -> bool {
        !matches!(
            self,
            ExchangeError::Missing(_)
                | ExchangeError::OutExists(_)
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
    /// The header's shape, without the key, e.g.
    /// `Authorization: ApiKey acc_1_<apiKey: 32 chars>_<apiKeyId: 8 chars>`.
    pub header_shape: String,
    /// The status of the authenticated read with the new credential, or why it failed.
    pub verified: Result<u16, String>,
    /// A note when the state file could not be updated.
    pub state_warning: Option<String>,
}

/// Runs the exchange once.
pub async fn exchange(input: ExchangeInput<'_>) -> Result<Exchanged, ExchangeError> {
    let env = input.env;
    let account = env
        .account_id
        .clone()
        .ok_or_else(|| ExchangeError::Missing(format!("environment `{}` has no account_id", env.name)))?;
    let temporal = env.temporal_api_key.as_ref().ok_or_else(|| {
        ExchangeError::Missing(format!("environment `{}` has no temporal_api_key = {{ env = \"VAR\" }}", env.name))
    })?;
    let remember = keyfile::Remember {
        path: input.state_path.to_path_buf(),
        key: format!("{}/{account}", input.pack),
        secret: input.secret.clone(),
        history: input.policy.map_or(0, |p| p.history),
    };
    let prepared = keyfile::prepare(input.out, input.policy.cloned(), remember).await?;
    let secret = input.secret.expose_secret();
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
    let response = match input.client.execute(request).await {
        Ok(r) => r,
        Err(e) => {
            let why = crate::net::describe(&e);
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
    sending.answered(&response);
    let status = response.status().as_u16();
    let ok = (200..300).contains(&status);
    let text = match crate::net::read_body(response).await {
        Ok((bytes, _)) => {
            sending.finish(Ok(if ok { sent::KEY_BODY } else { sent::REFUSAL_BODY }));
            String::from_utf8_lossy(&bytes).into_owned()
        }
        Err(e) => {
            sending.finish(Err(format!("reading the body failed: {}", crate::net::describe(&e))));
            if ok {
                return Err(ExchangeError::BadAnswer("its body could not be read".into()));
            }
            String::new()
        }
    };
    match status {
        200..=299 => {}
        401 | 403 => return Err(ExchangeError::TemporalKeyRefused(status)),
        400..=499 => return Err(ExchangeError::Rejected(status, partner_message(&text, secret))),
        _ => return Err(ExchangeError::ServerError(status)),
    }
    let doc: serde_json::Value =
        serde_json::from_str(&text).map_err(|_| ExchangeError::BadAnswer("the answer is not JSON".into()))?;
    let field = |path: &str| -> Result<String, ExchangeError> {
        let p = JsonPath::parse(path)
            .map_err(|e| ExchangeError::BadAnswer(format!("the pack's JSONPath `{path}` is invalid: {e}")))?;
        match p.query(&doc).first() {
            Some(serde_json::Value::String(s)) if !s.is_empty() => Ok(s.clone()),
            Some(serde_json::Value::Number(n)) => Ok(n.to_string()),
            _ => Err(ExchangeError::BadAnswer(format!("the answer has no value at {path}"))),
        }
    };
    let (api_key, api_key_id) = (field(&input.spec.key_path)?, field(&input.spec.key_id_path)?);
    let credential = input
        .spec
        .credential
        .replace("{account_id}", &account)
        .replace("{api_key}", &api_key)
        .replace("{api_key_id}", &api_key_id);
    let credential = SecretString::from(credential);
    let state_warning = keyfile::finish(prepared, input.out, credential.clone()).await?;
    let shape = format!(
        "{}: {}{}",
        input.spec.header,
        input.spec.prefix,
        input
            .spec
            .credential
            .replace("{account_id}", &account)
            .replace("{api_key}", &format!("<apiKey: {} chars>", api_key.chars().count()))
            .replace("{api_key_id}", &format!("<apiKeyId: {} chars>", api_key_id.chars().count()))
    );
    let verified = verify(&input, &credential).await;
    Ok(Exchanged { out: input.out.to_path_buf(), header_shape: shape, verified, state_warning })
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
    match input.client.execute(request).await {
        Ok(response) => {
            sending.answered(&response);
            sending.finish(Ok(sent::UNREAD_BODY));
            Ok(response.status().as_u16())
        }
        Err(e) => {
            let why = crate::net::describe(&e);
            sending.finish(Err(why.clone()));
            Err(why)
        }
    }
}
