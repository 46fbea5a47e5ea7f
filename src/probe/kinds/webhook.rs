//! Probe kind `webhook`: proves the merchant's endpoint accepts a correctly
//! signed event and rejects forged ones (wrong secret, tampered body, missing or
//! malformed signature, stale or future timestamp), with one check per delivery.
//!
//! An endpoint that answers 200 to everything passes a naive check; this probe
//! exists to catch it. Signing lives in [`crate::webhook`]; the secret never
//! reaches a check, a fact or a diagnosis. Where the scheme's encoding is
//! golive's inference, the plausible others are tried too (`encodings`).
//!
//! When the environment sets `webhook.auth` (the Basic credentials registered
//! with the partner's webhook destination), every delivery carries them, as the
//! partner's would; the password never reaches a trace, a fact or a message.

mod cases;
mod encodings;

use std::sync::Arc;
use std::time::{Duration, Instant};

use async_trait::async_trait;
use serde::Deserialize;

use crate::config::WebhookAuth;
use crate::config::scheme::{self, Encoding, Scheme};
use crate::net;
use crate::probe::{BuildContext, Probe, ProbeContext};
use crate::report::{Check, Outcome, Phase, Status};
use crate::spec::{Diagnosis, ErrorClass};
use crate::webhook::Key;
pub(crate) use cases::Delivery;
use cases::{Case, Event, Verdicts};
use encodings::Signed;

/// The latency above which a delivery warns, unless the pack says otherwise.
const DEFAULT_LATENCY_LIMIT: Duration = Duration::from_secs(5);

/// The `webhook` probe's parameters.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "WebhookParams")]
pub(crate) struct Params {
    /// The sample event: a TOML table (sent as JSON) or a string (sent as is).
    #[schemars(with = "serde_json::Value")]
    event: toml::Value,
    /// A top-level JSON field set to a fresh id in every delivery, e.g. `deduplicationId`.
    id_field: Option<String>,
    /// The status a valid delivery must get, overriding the scheme's rule.
    expect_status: Option<u16>,
    /// Slower deliveries warn, e.g. `5s`.
    latency_limit: Option<String>,
    /// The scheme the partner signs with (a preset name or a custom table),
    /// used when the environment's `webhook.scheme` does not say.
    #[schemars(with = "Option<serde_json::Value>")]
    scheme: Option<toml::Value>,
}

/// A built `webhook` probe.
struct WebhookProbe {
    event: Event,
    /// The field that carries each delivery's id (PaymentsAI: `deduplicationId`).
    id_field: Option<String>,
    scheme: Option<Scheme>,
    expect_status: Option<u16>,
    latency_limit: Duration,
}

/// Builds a `webhook` probe from its parameters.
fn build(p: Params, cx: &BuildContext<'_>) -> Result<Arc<dyn Probe>, String> {
    let scheme = p
        .scheme
        .as_ref()
        .map(|s| scheme::from_toml_with(s, &cx.pack.schemes))
        .transpose()
        .map_err(|e| format!("`scheme`: {e}"))?;
    let latency_limit = match &p.latency_limit {
        Some(t) => crate::config::env::parse_duration(t).map_err(|why| format!("`latency_limit`: {why}"))?,
        None => DEFAULT_LATENCY_LIMIT,
    };
    if p.expect_status.is_some_and(|s| !(100..600).contains(&s)) {
        return Err("`expect_status` must be an HTTP status (100 to 599)".into());
    }
    Ok(Arc::new(WebhookProbe {
        id_field: p.id_field.clone(),
        event: Event::from_toml(p.event, p.id_field)?,
        scheme,
        expect_status: p.expect_status,
        latency_limit,
    }))
}

/// The event and scheme of a pack's `webhook` probe, for `golive webhook send`:
/// one delivery signed as the probe signs its first.
pub struct Sample {
    /// The id of the probe it comes from.
    pub probe: String,
    /// The scheme the probe names (`scheme` in its params), if any.
    pub scheme: Option<Scheme>,
    event: Event,
}

impl Sample {
    /// The first `webhook` probe of `pack`, its event interpolated with `env`'s
    /// values; `None` when the pack has no such probe.
    pub fn of(pack: &crate::config::Pack, env: &crate::config::Environment) -> Result<Option<Sample>, String> {
        let Some(spec) = pack.probes.iter().find(|p| super::is::<Webhook>(p.kind)) else {
            return Ok(None);
        };
        let mut params = toml::Value::Table(spec.params.clone());
        crate::config::interpolate::interpolate_value(&mut params, &|n| env.var(n)).map_err(|name| {
            format!(
                "probe `{}` uses `${{{name}}}`, which environment `{}` does not set (set it in [env.{}])",
                spec.id, env.name, env.name
            )
        })?;
        let p: Params =
            params.try_into().map_err(|e: toml::de::Error| format!("probe `{}`: {}", spec.id, e.message()))?;
        let scheme = p
            .scheme
            .as_ref()
            .map(|s| scheme::from_toml_with(s, &pack.schemes))
            .transpose()
            .map_err(|e| format!("probe `{}`: `scheme`: {e}", spec.id))?;
        Ok(Some(Sample { probe: spec.id.clone(), scheme, event: Event::from_toml(p.event, p.id_field)? }))
    }

    /// The event's body, with `id` in its id field when the probe names one.
    pub fn body(&self, id: &str) -> Vec<u8> {
        self.event.body(id, false)
    }

    /// The event's `Content-Type`.
    pub fn content_type(&self) -> &'static str {
        self.event.content_type()
    }
}

fn not_configured(out: &mut Outcome, env: &str, why: &str, fix: String) {
    out.check(Check::new("configuration", Status::Error, format!("environment `{env}`: {why}")));
    out.signals.error_class = Some(ErrorClass::NotConfigured);
    out.diagnosis = Some(Diagnosis { cause: format!("the webhook probe cannot run: {why}"), fix });
}

#[async_trait]
impl Probe for WebhookProbe {
    async fn run(&self, cx: &ProbeContext) -> Outcome {
        let mut out = Outcome::default();
        let env = &cx.env.name;
        let Some(webhook) = &cx.env.webhook else {
            // The pack's scheme when it names one, else the first preset.
            let example = self
                .scheme
                .as_ref()
                .map(|s| s.name.clone())
                .or_else(|| scheme::PRESETS.iter().next().map(|n| n.to_string()))
                .unwrap_or_default();
            let fix = format!(
                "add `webhook = {{ url = \"https://merchant.example/webhooks\", scheme = \"{example}\", secret = {{ env = \"WEBHOOK_SECRET\" }} }}` to [env.{env}] of golive.toml"
            );
            not_configured(&mut out, env, "no webhook endpoint is configured", fix);
            return out;
        };
        let Some(scheme) = webhook.scheme.clone().or_else(|| self.scheme.clone()) else {
            let fix = format!("set `scheme` in the webhook of [env.{env}]: one of {}", scheme::known_names());
            not_configured(&mut out, env, "neither the environment nor the pack names a webhook scheme", fix);
            return out;
        };
        let key = match Key::from_secret(&scheme, &webhook.secret.value) {
            Ok(k) => k,
            Err(why) => {
                let fix = format!("check the secret at {} (webhook.secret)", webhook.secret.source);
                not_configured(&mut out, env, &why, fix);
                return out;
            }
        };
        let client = match cx.clients.http().await {
            Ok(c) => c,
            Err(e) => {
                out.check(Check::new("client", Status::Error, e));
                out.signals.error_class = Some(ErrorClass::ClientSetup);
                return out;
            }
        };
        out.fact("url", webhook.url.as_str());
        out.fact("scheme", scheme.name.as_str());
        let auth = cx.env.webhook_auth.as_ref();
        let user = auth.map(|WebhookAuth::Basic { user, .. }| user.clone());
        if let Some(user) = &user {
            out.fact("auth", format!("basic (user {user})"));
        }
        let expect = self.expect_status.or(scheme.expect_status);
        let signed = match encodings::plans(&scheme, &key, &self.event) {
            Ok(p) => p,
            Err(e) => {
                out.check(Check::new("setup", Status::Error, e));
                return out;
            }
        };
        let fact = encodings::fact(&scheme);
        // Deliveries name their encoding in the evidence when there are several.
        let label = |s: &Signed| (signed.len() > 1).then_some(s.encoding);
        let sender = Sender { cx, client, url: &webhook.url, auth };
        let mut verdicts = Verdicts::new(user, self.id_field.clone());
        let mut latencies: Vec<(Case, Duration)> = Vec::new();
        // The signed event in the scheme's encoding; refused, in each alternative.
        let mut refused = Vec::new();
        let mut accepted = None;
        for (i, s) in signed.iter().enumerate() {
            let Some((case, delivery)) = s.plan.first() else { continue };
            let Some(answer) = sender.deliver(*case, delivery, label(s), &mut out, &mut latencies).await else {
                return out;
            };
            if (400..500).contains(&answer.status) && i + 1 < signed.len() {
                refused.push((s.encoding, answer.status));
                continue;
            }
            accepted = Some((s, answer));
            break;
        }
        let Some((used, answer)) = accepted else { return out };
        out.signals.http_status = Some(answer.status);
        out.signals.url = Some(webhook.url.to_string());
        out.answered(answer.status);
        let mut check = verdicts.judge(Case::Signed, &answer, expect, &used.scheme);
        if let Some(fact) = &fact {
            encodings::weigh_signed(&mut check, fact, &refused, used.encoding, cx.env.strict_contract);
        }
        out.check(check);
        // The forgeries and the replay in the encoding the receiver took; the
        // forgeries in every other encoding too.
        for (case, delivery) in used.plan.iter().skip(1) {
            let Some(answer) = sender.deliver(*case, delivery, label(used), &mut out, &mut latencies).await else {
                continue;
            };
            let mut check = verdicts.judge(*case, &answer, expect, &used.scheme);
            for other in signed.iter().filter(|s| s.encoding != used.encoding && case.forged_in_an_encoding()) {
                let Some((_, delivery)) = other.plan.iter().find(|(c, _)| c == case) else { continue };
                if let Some(answer) = sender.deliver(*case, delivery, label(other), &mut out, &mut latencies).await {
                    check =
                        encodings::merge(check, verdicts.judge(*case, &answer, expect, &other.scheme), other.encoding);
                }
            }
            out.check(check);
        }
        let scheme = &used.scheme;
        out.check(latency_check(&latencies, self.latency_limit));
        out.fact("accepted_forgeries", verdicts.accepted_labels());
        out.diagnosis = verdicts.diagnosis(scheme, expect).or_else(|| slow_diagnosis(&latencies, self.latency_limit));
        out
    }
}

/// Sends the deliveries of one run to the endpoint.
struct Sender<'a> {
    cx: &'a ProbeContext,
    client: &'a reqwest::Client,
    url: &'a reqwest::Url,
    auth: Option<&'a WebhookAuth>,
}

impl Sender<'_> {
    /// Sends one delivery (signed in `encoding`, when the run signs in several),
    /// logs and traces it, and times it; `None` when no answer came (an error
    /// check is recorded, and for the signed event the diagnosis).
    async fn deliver(
        &self,
        case: Case,
        delivery: &Delivery,
        encoding: Option<Encoding>,
        out: &mut Outcome,
        latencies: &mut Vec<(Case, Duration)>,
    ) -> Option<Answer> {
        let started = Instant::now();
        // Stop just before the runner's deadline so the report says which delivery hung.
        let budget = self.cx.remaining().saturating_sub(Duration::from_millis(100)).max(Duration::from_millis(1));
        let sent = send(self.client, self.url, delivery, self.auth, budget).await;
        let elapsed = started.elapsed();
        let why = sent.as_ref().err().map(net::describe);
        net::log_request(
            "POST",
            self.url.as_str(),
            sent.as_ref().map(|a| a.status).map_err(|_| why.as_deref().unwrap_or_default()),
            elapsed,
        );
        // The evidence: each delivery with its signature headers (the secret itself never leaves the probe).
        let mut record = serde_json::json!({
            "method": "POST",
            "url": self.url.as_str(),
            "case": case.label(),
            "request": { "headers": delivery.headers, "body": String::from_utf8_lossy(&delivery.body) },
            "response": sent.as_ref().ok().map(|a| serde_json::json!({ "status": a.status, "body": a.excerpt })),
            "error": why,
            "duration_ms": elapsed.as_millis() as u64,
        });
        if let Some(encoding) = encoding {
            record["encoding"] = encoding.name().into();
        }
        self.cx.trace.record("http", record);
        let answer = match sent {
            Ok(a) => a,
            Err(e) => {
                let class = net::error_class(&e);
                let message = format!("{}: POST {} failed: {}", case.label(), self.url, net::describe(&e));
                out.check(Check::new(case.check_name(), Status::Error, message));
                if case == Case::Signed {
                    out.signals.error_class = Some(class);
                    out.diagnosis = Some(transport_diagnosis(class, self.url));
                }
                return None;
            }
        };
        out.phases.push(Phase { name: case.slug().to_string(), duration_ms: elapsed.as_millis() as u64 });
        latencies.push((case, elapsed));
        Some(answer)
    }
}

/// What the endpoint answered to one delivery.
#[derive(Debug, Clone)]
pub(crate) struct Answer {
    /// The HTTP status.
    pub status: u16,
    /// The `Location` header of a redirect.
    pub location: Option<String>,
    /// The `WWW-Authenticate` header (a 401's challenge, e.g. `Basic realm="hooks"`).
    pub www_authenticate: Option<String>,
    /// The start of the body, for messages.
    pub excerpt: String,
}

/// Sends one delivery as the partner would: its signature headers, the
/// `webhook.auth` credentials, no retry.
pub(crate) async fn send(
    client: &reqwest::Client,
    url: &reqwest::Url,
    d: &Delivery,
    auth: Option<&WebhookAuth>,
    timeout: Duration,
) -> Result<Answer, reqwest::Error> {
    use secrecy::ExposeSecret;
    let mut request = client
        .post(url.clone())
        .timeout(timeout)
        .header(reqwest::header::CONTENT_TYPE, d.content_type)
        .body(d.body.clone());
    for (name, value) in &d.headers {
        request = request.header(name.as_str(), value.as_str());
    }
    // Sent as the partner sends it; reqwest marks the header sensitive, and the
    // trace records only the signature headers of `d`.
    if let Some(WebhookAuth::Basic { user, password }) = auth {
        request = request.basic_auth(user, Some(password.value.expose_secret()));
    }
    let response = request.send().await?;
    let status = response.status().as_u16();
    let header = |name: reqwest::header::HeaderName| {
        response.headers().get(name).map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
    };
    let location = header(reqwest::header::LOCATION);
    let www_authenticate = header(reqwest::header::WWW_AUTHENTICATE);
    let (body, _) = net::read_body(response).await?;
    // Scrubbed whole, then cut: an endpoint may echo the request's headers (Basic auth).
    let excerpt = crate::redact::cut(&String::from_utf8_lossy(&body), 120).trim().to_string();
    Ok(Answer { status, location, www_authenticate, excerpt })
}

fn latency_check(latencies: &[(Case, Duration)], limit: Duration) -> Check {
    let limit_text = humantime::format_duration(limit).to_string();
    let Some((slowest, max)) = latencies.iter().max_by_key(|(_, d)| *d) else {
        return Check::new("latency", Status::Error, "no delivery got an answer");
    };
    let slow: Vec<String> = latencies
        .iter()
        .filter(|(_, d)| *d > limit)
        .map(|(c, d)| format!("{} ({} ms)", c.label(), d.as_millis()))
        .collect();
    let ms = format!("{} ms", max.as_millis());
    if slow.is_empty() {
        Check::new(
            "latency",
            Status::Pass,
            format!("slowest delivery {ms} ({}), under the limit of {limit_text}", slowest.label()),
        )
        .with_values(format!("<= {limit_text}"), ms)
    } else {
        Check::new("latency", Status::Warn, format!("slower than {limit_text}: {}", slow.join(", ")))
            .with_values(format!("<= {limit_text}"), ms)
    }
}

fn slow_diagnosis(latencies: &[(Case, Duration)], limit: Duration) -> Option<Diagnosis> {
    latencies.iter().any(|(_, d)| *d > limit).then(|| Diagnosis {
        cause: format!(
            "the endpoint takes longer than {} to answer; the sender may time out and retry",
            humantime::format_duration(limit)
        ),
        fix: "answer as soon as the event is verified and stored; do the work afterwards (queue it)".into(),
    })
}

fn transport_diagnosis(class: ErrorClass, url: &reqwest::Url) -> Diagnosis {
    let host = url.host_str().unwrap_or("?");
    let port = url.port_or_known_default().unwrap_or(0);
    match class {
        ErrorClass::Timeout => Diagnosis {
            cause: format!("the webhook endpoint {host}:{port} did not answer before the deadline"),
            fix: "check that the endpoint is up and answers quickly (store the event, answer, then process it)".into(),
        },
        ErrorClass::ConnectionRefused => Diagnosis {
            cause: format!("nothing accepts connections at {host}:{port}"),
            fix: "check webhook.url (host and port) and that the endpoint is deployed and running".into(),
        },
        _ => Diagnosis {
            cause: format!("the delivery to {host}:{port} failed before any HTTP answer"),
            fix: "check webhook.url, DNS, the network path and the endpoint's TLS certificate".into(),
        },
    }
}

/// The `webhook` kind, as [`super::Kind`] (one line in its list).
pub(crate) struct Webhook;

impl super::Kind for Webhook {
    type Params = Params;
    const BUILD: super::Build<Self::Params> = build;

    fn needs(&self, q: &super::Query<'_>) -> Vec<super::Need> {
        use super::Need;
        use crate::config::keys;
        let super::Query { params, env, .. } = *q;
        let mut out = vec![Need::new(
            keys::WEBHOOK.name,
            "the merchant endpoint it sends signed events to",
            env.webhook.is_some(),
        )];
        if !params.contains_key("scheme") {
            out.push(Need::new(
                "webhook.scheme",
                "the signature scheme of its deliveries (the pack names none)",
                env.webhook.as_ref().is_some_and(|w| w.scheme.is_some()),
            ));
        }
        out
    }

    fn sends(&self, q: &super::Query<'_>) -> Vec<crate::probe::inputs::Sent> {
        use crate::probe::inputs::Sent;
        let super::Query { env, .. } = *q;
        let Some(w) = &env.webhook else { return Vec::new() };
        // Every secret the `webhook` key holds (its signing secret, its auth) goes to its URL.
        crate::config::keys::WEBHOOK
            .secrets(env)
            .into_iter()
            .map(|(name, _)| Sent { secret: name.into(), url: w.url.clone() })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slow_deliveries_warn_and_name_the_case() {
        let limit = Duration::from_millis(100);
        let fast = [(Case::Signed, Duration::from_millis(5)), (Case::WrongSecret, Duration::from_millis(7))];
        assert_eq!(latency_check(&fast, limit).status, Status::Pass);
        let slow = [(Case::Signed, Duration::from_millis(5)), (Case::Replay, Duration::from_millis(250))];
        let check = latency_check(&slow, limit);
        assert_eq!(check.status, Status::Warn);
        assert_eq!(check.message, "slower than 100ms: replayed event (250 ms)");
        assert!(slow_diagnosis(&slow, limit).is_some() && slow_diagnosis(&fast, limit).is_none());
    }
}
