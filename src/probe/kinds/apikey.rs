//! Probe kind `apikey` (not mutating): the configured key has the header shape
//! the pack defines, an authenticated read succeeds (401 and 403 explained by
//! the pack's diagnoses), and the key's age is held against the rotation period
//! when golive's state file knows when it was made.

use std::sync::Arc;

use async_trait::async_trait;
use regex::Regex;
use secrecy::ExposeSecret;

use crate::apikey::State;
use crate::probe::request::{RequestSpec, perform};
use crate::probe::{BuildContext, Probe, ProbeContext};
use crate::report::{Check, Outcome, Status};

/// A built `apikey` probe.
struct ApiKeyProbe {
    shape: Option<Regex>,
    shape_hint: String,
    rotate_days: Option<u32>,
    state_key: String,
    /// Whether golive records this key's age (the pack's key exchange makes the key).
    tracks_age: bool,
    request: RequestSpec,
}

fn take_str(params: &mut toml::Table, key: &str) -> Result<Option<String>, String> {
    match params.remove(key) {
        None => Ok(None),
        Some(toml::Value::String(s)) => Ok(Some(s)),
        Some(_) => Err(format!("`{key}` must be a string")),
    }
}

/// Builds an `apikey` probe: `shape` (a regex the key must match), `shape_hint`
/// (how to describe it), `rotate_days`, plus the request parameters of `http`.
pub fn build(mut params: toml::Table, cx: &BuildContext<'_>) -> Result<Arc<dyn Probe>, String> {
    let shape = take_str(&mut params, "shape")?
        .map(|s| Regex::new(&s).map_err(|e| format!("`shape` is not a valid regex: {e}")))
        .transpose()?;
    let shape_hint = take_str(&mut params, "shape_hint")?.unwrap_or_else(|| "the shape the pack defines".into());
    let rotate_days = match params.remove("rotate_days") {
        None => cx.pack.secret_policy.as_ref().and_then(|p| p.rotate_days),
        Some(toml::Value::Integer(n)) if n > 0 => Some(n as u32),
        Some(_) => return Err("`rotate_days` must be a positive whole number".into()),
    };
    // The key's age is kept per account: the one the pack's key exchange names.
    let account = cx.pack.key_exchange.as_ref().and_then(|x| cx.env.input_text(&x.inputs.account)).unwrap_or_default();
    let state_key = format!("{}/{account}", cx.pack.name);
    let tracks_age = cx.pack.key_exchange.is_some();
    let request = RequestSpec::parse(params, cx)?;
    Ok(Arc::new(ApiKeyProbe { shape, shape_hint, rotate_days, state_key, tracks_age, request }))
}

#[async_trait]
impl Probe for ApiKeyProbe {
    async fn run(&self, cx: &ProbeContext) -> Outcome {
        let mut out = Outcome::default();
        let Some(key) = &cx.env.api_key else {
            out.check(Check::new(
                "api key",
                Status::Error,
                format!("environment `{}` has no api_key; add api_key = {{ env = \"VAR\" }} to it", cx.env.name),
            ));
            return out;
        };
        out.fact("api_key_source", key.source.to_string());
        let value = key.value.expose_secret();
        let shape = if value.trim() != value || value.contains(char::is_whitespace) {
            Check::new(
                "shape",
                Status::Fail,
                "the key contains spaces or line breaks (a copy-paste slip?); store only the key",
            )
        } else if self.request.auth.as_ref().is_some_and(|a| !a.prefix.is_empty() && value.starts_with(a.prefix.trim()))
        {
            Check::new(
                "shape",
                Status::Fail,
                "the key starts with the header's prefix; store the key without it, golive adds the prefix",
            )
        } else {
            match &self.shape {
                Some(re) if !re.is_match(value) => Check::new(
                    "shape",
                    Status::Fail,
                    format!("the key does not have {} ({} characters seen)", self.shape_hint, value.chars().count()),
                ),
                _ => Check::new("shape", Status::Pass, format!("the key has {}", self.shape_hint)),
            }
        };
        let shape_ok = shape.status == Status::Pass;
        out.check(shape);
        if let Some(rotate) = self.rotate_days {
            self.check_age(cx, rotate, &mut out).await;
        }
        if shape_ok {
            perform(&self.request, cx, &mut out).await;
        }
        out
    }
}

impl ApiKeyProbe {
    async fn check_age(&self, cx: &ProbeContext, rotate: u32, out: &mut Outcome) {
        if let Some(new) = crate::apikey::state::new_for(&cx.env).filter(|_| self.tracks_age) {
            let what = "the key's age is unknown, so its rotation is not checked";
            out.check(Check::note("state", crate::apikey::state::new_state_note(&new, what)));
            return;
        }
        let path = cx.env.state_path();
        let state = tokio::task::spawn_blocking(move || State::load(&path)).await.ok().and_then(Result::ok);
        let made = state
            .and_then(|s| s.accounts.get(&self.state_key).and_then(|a| a.exchanged_at.clone()))
            .and_then(|t| time::OffsetDateTime::parse(&t, &time::format_description::well_known::Rfc3339).ok());
        let Some(made) = made else { return };
        let days = (time::OffsetDateTime::now_utc() - made).whole_days();
        out.fact("key_age_days", days);
        let (status, message) = if days >= i64::from(rotate) {
            (
                Status::Warn,
                format!("the key was made {days} days ago; the partner asks for rotation every {rotate} days"),
            )
        } else {
            (
                Status::Pass,
                format!("the key was made {days} days ago; rotation is due in {} days", i64::from(rotate) - days),
            )
        };
        out.check(Check::new("rotation", status, message));
    }
}

/// `params` of an `apikey` probe: the key's shape and age, then one request.
#[derive(schemars::JsonSchema)]
#[schemars(rename = "ApiKeyParams", deny_unknown_fields)]
#[allow(dead_code)]
pub(crate) struct ApiKeyParams {
    /// A regular expression the key must match.
    shape: Option<String>,
    /// How the shape reads for a human, e.g. "<accountId>_<apiKey>_<apiKeyId>".
    shape_hint: Option<String>,
    /// The key's rotation period in days (default: the pack's `[secret_policy]`).
    rotate_days: Option<u32>,
    #[serde(flatten)]
    request: crate::probe::request::raw::RequestParams,
}

/// The `apikey` kind, as [`super::Kind`] (one line in its list).
pub(super) struct ApiKey;

impl super::Kind for ApiKey {
    type Params = super::Raw<ApiKeyParams>;
    const BUILD: super::Build<Self::Params> = |p, cx| build(p.0, cx);

    fn needs(&self, q: &super::Query<'_>) -> Vec<super::Need> {
        use crate::config::keys;
        let super::Query { env, .. } = *q;
        vec![super::Need::new(keys::API_KEY.name, "the API key it checks", env.api_key.is_some())]
    }

    fn sends(&self, q: &super::Query<'_>) -> Vec<crate::probe::inputs::Sent> {
        let super::Query { params, env, pack } = *q;
        super::api_key_sends(params, env, pack)
    }
}
