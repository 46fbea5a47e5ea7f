//! Probe kind `apikey-exchange` (mutating): the one-time Temporal → Permanent
//! key exchange of [`crate::apikey`], run by `verify` only with
//! `--allow-mutations` (and in the demo). Never retried.

use std::path::Path;
use std::sync::Arc;

use async_trait::async_trait;

use crate::apikey::{ExchangeError, ExchangeInput, Exchanged, FailureKind, SentRequest, exchange, temporal_key_age};
use crate::config::{Environment, Secret};
use crate::probe::request::{Exchange, trace_exchange};
use crate::probe::{BuildContext, Probe, ProbeContext};
use crate::report::{Check, Outcome, Status};
use crate::spec::Diagnosis;
use crate::spec::ExchangeInputs;
use crate::spec::{ExchangeSpec, SecretPolicy};

/// A built `apikey-exchange` probe.
struct ExchangeProbe {
    spec: ExchangeSpec,
    policy: Option<SecretPolicy>,
    pack: String,
}

/// Builds the probe from the pack's `[key_exchange]` and `[secret_policy]`; it takes no parameters.
pub fn build(params: toml::Table, cx: &BuildContext<'_>) -> Result<Arc<dyn Probe>, String> {
    if let Some(key) = params.keys().next() {
        return Err(format!("unknown parameter `{key}`: apikey-exchange is described by the pack's [key_exchange]"));
    }
    let spec = cx.pack.key_exchange.clone().ok_or("the pack has no [key_exchange] table describing the exchange")?;
    Ok(Arc::new(ExchangeProbe { spec, policy: cx.pack.secret_policy.clone(), pack: cx.pack.name.clone() }))
}

impl ExchangeProbe {
    /// The secret and the key file the exchange needs from the environment.
    fn configured<'e>(&self, env: &'e Environment) -> Result<(&'e Secret, &'e Path), Check> {
        let names = &self.spec.inputs;
        match (env.input_secret(&names.secret), env.input_path(&names.key_file)) {
            (Some(secret), Some(target)) => Ok((secret, target)),
            _ => Err(Check::new(
                "configuration",
                Status::Error,
                format!(
                    "environment `{}` needs {} = {{ env = \"VAR\" }} and {} = \"path\" for the exchange",
                    env.name, names.secret, names.key_file
                ),
            )),
        }
    }
}

#[async_trait]
impl Probe for ExchangeProbe {
    async fn run(&self, cx: &ProbeContext) -> Outcome {
        let mut out = Outcome::default();
        let env = &cx.env;
        let (secret, target) = match self.configured(env) {
            Ok(found) => found,
            Err(check) => {
                out.check(check);
                return out;
            }
        };
        // An expired key is refused by the exchange itself, before any request.
        if let Some(warning) = temporal_key_age(env, &self.spec).warning() {
            out.check(Check::new("temporal-key", Status::Warn, warning));
        }
        let client = match cx.clients.http().await {
            Ok(c) => c,
            Err(e) => {
                out.check(Check::new("client", Status::Error, e));
                return out;
            }
        };
        let state_path = env.state_path();
        let new_state = crate::apikey::state::new_for(env);
        // Each request (the exchange, then the read with the new key) in the
        // evidence as soon as it is done, its bodies withheld.
        let record = |sent: SentRequest| {
            trace_exchange(
                cx,
                Exchange {
                    method: &sent.method,
                    url: &sent.url,
                    request_headers: sent.request_headers.clone(),
                    request_body: sent.request_body.map(str::as_bytes),
                    status: sent.status,
                    response_headers: sent.response_headers.clone(),
                    response_body: sent.response_body.map(str::as_bytes),
                    error: sent.error.clone(),
                    duration_ms: sent.duration_ms,
                    // The exchange times each request whole.
                    phases: Vec::new(),
                    // The bodies are withheld, not masked.
                    mask: &crate::probe::masking::Mask::default(),
                },
            )
        };
        let input = ExchangeInput {
            env,
            spec: &self.spec,
            policy: self.policy.as_ref(),
            pack: &self.pack,
            secret: &secret.value,
            out: target,
            state_path: &state_path,
            client,
            // Stop before the runner's deadline, so a timeout is reported by the
            // exchange itself ("the key may or may not have been exchanged") and
            // the answer has time to reach the disk and the key file after it.
            timeout: request_deadline(cx.remaining()),
            record: &record,
        };
        match exchange(input).await {
            Ok(done) => report_done(&mut out, done, &env.name),
            Err(e) => report_failure(&mut out, e, &self.spec.inputs),
        }
        if let Some(new) = new_state {
            let what = "the secrets used before are not known, so reuse of an earlier one could not be refused";
            out.check(Check::note("state", crate::apikey::state::new_state_note(&new, what)));
        }
        out
    }
}

/// The exchange request's deadline within the probe's: a fifth of what is
/// left (at most 2 s, at least 100 ms) stays for saving the answer and the key.
fn request_deadline(remaining: std::time::Duration) -> std::time::Duration {
    let margin = (remaining / 5).clamp(std::time::Duration::from_millis(100), std::time::Duration::from_secs(2));
    remaining.saturating_sub(margin).max(std::time::Duration::from_millis(1))
}

/// The checks and facts of a finished exchange.
fn report_done(out: &mut Outcome, done: Exchanged, env_name: &str) {
    out.check(Check::new("exchange", Status::Pass, "the temporal key was exchanged once for a permanent key"));
    // The demo's key lives in the fakes' private folder, removed at exit.
    let demo = if env_name == crate::config::DEMO_ENV {
        " in the demo's temporary folder, removed when golive exits (the key works only with the demo's fakes)"
    } else {
        ""
    };
    out.check(Check::new(
        "saved",
        Status::Pass,
        format!("the permanent credential was written to {} (mode 0600){demo}", done.out.display()),
    ));
    match &done.answer {
        Ok(_) if !demo.is_empty() => {
            out.check(Check::new(
                "answer",
                Status::Pass,
                "the partner's raw answer was saved first, beside it: temporary too",
            ));
        }
        Ok(at) => {
            out.check(Check::note(
                "answer",
                format!(
                    "the partner's raw answer was saved first, in {} (mode 0600): it holds the key too, and its id, which key rotation needs; store it with the key, then delete it",
                    at.display()
                ),
            ));
            out.fact("answer_file", at.display().to_string());
        }
        Err(why) => {
            out.check(Check::new(
                "answer",
                Status::Warn,
                format!("the partner's raw answer could not be saved ({why}); the key file holds the credential"),
            ));
        }
    }
    if let Some(why) = &done.answer_moved {
        out.check(Check::new("answer", Status::Warn, format!("the raw answer is not beside the key file: {why}")));
    }
    out.fact("key_found_at", done.found.at.clone());
    if !done.found.configured {
        out.check(Check::note(
            "answer-shape",
            format!(
                "the key was found at {}, an alternative the pack lists, not at its key_path and key_id_path",
                done.found.at
            ),
        ));
    }
    out.fact("header_shape", done.header_shape.clone());
    let verify = match done.verified {
        Ok(s) if (200..300).contains(&s) => {
            Check::new("verify", Status::Pass, format!("an authenticated read with the new key answered {s}"))
        }
        Ok(s) => Check::new("verify", Status::Fail, format!("an authenticated read with the new key answered {s}")),
        Err(e) => Check::new("verify", Status::Error, format!("the authenticated read with the new key failed: {e}")),
    };
    out.check(verify);
    if let Some(w) = done.state_warning {
        out.check(Check::new("state", Status::Warn, format!("the secret history was not updated: {w}")));
    }
}

/// The check, facts, signals and diagnosis of an exchange that did not happen or did not finish.
fn report_failure(out: &mut Outcome, e: ExchangeError, names: &ExchangeInputs) {
    let status = match e.kind() {
        FailureKind::NoVerdict => Status::Error,
        FailureKind::NotSent | FailureKind::Wrong => Status::Fail,
    };
    out.check(Check::new("exchange", status, e.to_string()));
    out.fact("request_sent", e.sent());
    match e {
        ExchangeError::TemporalKeyRefused(s) => {
            out.signals.http_status = Some(s);
            out.diagnosis = Some(Diagnosis {
                cause: "the temporal key was already used or has expired".into(),
                fix: "ask the partner for a new temporal key; if a permanent key was made, find where it was saved"
                    .into(),
            });
        }
        // A refusal with its status (and Retry-After) for the pack's diagnoses,
        // e.g. a 429: the pack says what a rate-limited one-time exchange means.
        ExchangeError::Rejected(s, _, retry_after) => {
            out.signals.http_status = Some(s);
            if let Some(v) = retry_after {
                out.signals.headers.push(("retry-after".into(), v));
            }
            out.diagnosis = Some(Diagnosis {
                cause: format!("the partner refused the exchange request ({s})"),
                fix: "read the partner's message above; golive never retries a one-time exchange: fix the request, then run `golive key exchange` once more".into(),
            });
        }
        ExchangeError::TemporalKeyExpired { valid_days, .. } => {
            out.diagnosis = Some(Diagnosis {
                cause: format!("the temporal key is older than the {valid_days} days the partner documents"),
                fix: format!(
                    "ask the partner for a new temporal key, then update {} and temporal_key_issued_at",
                    names.temporal_key
                ),
            });
        }
        ExchangeError::AnswerCut { answer, .. } => {
            out.fact("answer_file", answer.display().to_string());
            out.diagnosis = Some(Diagnosis {
                cause: "the partner accepted the exchange, but its answer did not arrive whole".into(),
                fix: format!(
                    "what arrived is in {} (mode 0600): look for the permanent key in it, and contact the partner; do not exchange again",
                    answer.display()
                ),
            });
        }
        ExchangeError::AnswerKept { answer, header, .. } => {
            out.fact("answer_file", answer.display().to_string());
            out.diagnosis = Some(Diagnosis {
                cause: "the partner accepted the exchange, but its answer has a shape the pack does not know".into(),
                fix: format!(
                    "the permanent key is in {} (mode 0600): build `{header}` from it by hand, store it, delete the file, and do not exchange again",
                    answer.display()
                ),
            });
        }
        _ => {}
    }
}

/// `params` of an `apikey-exchange` probe: none, the pack's `[key_exchange]` describes it.
pub(crate) struct NoParams;

impl schemars::JsonSchema for NoParams {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "NoParams".into()
    }

    // Written out where it is used, as before it had a type.
    fn inline_schema() -> bool {
        true
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "type": "object",
            "additionalProperties": false,
            "description": "None: the exchange is described by the pack's [key_exchange]."
        })
    }
}

/// The `apikey-exchange` kind, as [`super::Kind`] (one line in its list).
pub(crate) struct ApiKeyExchange;

impl super::Kind for ApiKeyExchange {
    type Params = super::Raw<NoParams>;
    const BUILD: super::Build<Self::Params> = |p, cx| build(p.0, cx);

    fn needs(&self, q: &super::Query<'_>) -> Vec<super::Need> {
        use super::Need;
        let super::Query { env, pack, .. } = *q;
        // The inputs the pack's key exchange names; a pack without one fails at build.
        let Some(x) = &pack.key_exchange else { return Vec::new() };
        let names = &x.inputs;
        vec![
            Need::new(
                &names.account,
                "the account whose temporal key it exchanges",
                env.input_text(&names.account).is_some(),
            ),
            Need::new(
                &names.temporal_key,
                "the one-time key it exchanges",
                env.input_secret(&names.temporal_key).is_some(),
            ),
            Need::new(&names.secret, "the secret the exchange registers", env.input_secret(&names.secret).is_some()),
            Need::new(&names.key_file, "where the permanent key is written", env.input_path(&names.key_file).is_some()),
        ]
    }

    fn sends(&self, q: &super::Query<'_>) -> Vec<crate::probe::inputs::Sent> {
        use crate::probe::inputs::Sent;
        let super::Query { env, pack, .. } = *q;
        let Some(spec) = &pack.key_exchange else { return Vec::new() };
        let mut out = Vec::new();
        // The secret may come from elsewhere (`key exchange --secret-env`).
        if let Some(u) = super::url(&spec.url, env) {
            out.push(Sent { secret: spec.inputs.temporal_key.clone(), url: u.clone() });
            out.push(Sent { secret: spec.inputs.secret.clone(), url: u });
        }
        // The new permanent key proves itself with one read.
        if let Some(u) = super::url(&spec.verify_url, env) {
            out.push(Sent { secret: "the permanent key the exchange returns".into(), url: u });
        }
        out
    }
}
