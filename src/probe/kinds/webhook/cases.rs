//! The deliveries of the `webhook` probe (one signed event, the forgeries, a
//! replay) and how each answer is judged.

use super::Answer;
use crate::config::scheme::{self, Layout, Scheme};
use crate::report::{Check, Status};
use crate::spec::{Diagnosis, ErrorClass};
use crate::webhook::sign::{self, Key, Stamp};

/// How far outside the tolerance the timestamp forgeries are dated.
const MARGIN_SECS: i64 = 120;

/// One delivery the probe sends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Case {
    /// A correctly signed event: must get the expected status.
    Signed,
    /// Signed with a random key.
    WrongSecret,
    /// Signed, then the body changed.
    TamperedBody,
    /// No signature header.
    MissingSignature,
    /// A signature header that is not a signature.
    MalformedSignature,
    /// Correctly signed, dated before the tolerance.
    StaleTimestamp,
    /// Correctly signed, dated after the tolerance.
    FutureTimestamp,
    /// The signed event sent again, unchanged.
    Replay,
}

impl Case {
    /// The check's name.
    pub fn check_name(self) -> &'static str {
        match self {
            Case::Signed => "signed event",
            Case::WrongSecret => "forgery: wrong secret",
            Case::TamperedBody => "forgery: tampered body",
            Case::MissingSignature => "forgery: missing signature",
            Case::MalformedSignature => "forgery: malformed signature",
            Case::StaleTimestamp => "forgery: stale timestamp",
            Case::FutureTimestamp => "forgery: future timestamp",
            Case::Replay => "replay",
        }
    }

    /// The name of the case's timed phase.
    pub fn slug(self) -> &'static str {
        match self {
            Case::Signed => "signed",
            Case::WrongSecret => "wrong-secret",
            Case::TamperedBody => "tampered-body",
            Case::MissingSignature => "missing-signature",
            Case::MalformedSignature => "malformed-signature",
            Case::StaleTimestamp => "stale-timestamp",
            Case::FutureTimestamp => "future-timestamp",
            Case::Replay => "replay",
        }
    }

    /// How a verdict names the case.
    pub fn label(self) -> &'static str {
        match self {
            Case::Signed => "correctly signed event",
            Case::WrongSecret => "wrong secret",
            Case::TamperedBody => "tampered body",
            Case::MissingSignature => "missing signature header",
            Case::MalformedSignature => "malformed signature header",
            Case::StaleTimestamp => "stale timestamp",
            Case::FutureTimestamp => "future timestamp",
            Case::Replay => "replayed event",
        }
    }

    /// Whether the case is a forgery whose signature is written in the
    /// scheme's encoding (a missing or malformed header is the same in every
    /// encoding; the signed event and its replay are sent in the receiver's).
    pub fn forged_in_an_encoding(self) -> bool {
        matches!(self, Case::WrongSecret | Case::TamperedBody | Case::StaleTimestamp | Case::FutureTimestamp)
    }

    fn is_timestamp(self) -> bool {
        matches!(self, Case::StaleTimestamp | Case::FutureTimestamp)
    }
}

/// The sample event the pack supplies.
#[derive(Debug, Clone)]
pub enum Event {
    /// A JSON object; `id_field` (if any) is set to each delivery's id.
    Json(serde_json::Map<String, serde_json::Value>, Option<String>),
    /// Bytes sent as they are.
    Raw(Vec<u8>),
}

impl Event {
    /// The event from the pack's `event` (table or string) and `id_field`.
    pub fn from_toml(value: toml::Value, id_field: Option<String>) -> Result<Event, String> {
        let json = match value {
            toml::Value::Table(t) => serde_json::to_value(t).map_err(|e| format!("`event`: {e}"))?,
            toml::Value::String(s) => match serde_json::from_str::<serde_json::Value>(&s) {
                Ok(v) if v.is_object() => v,
                _ if id_field.is_some() => return Err("`id_field` needs `event` to be a JSON object".into()),
                _ => return Ok(Event::Raw(s.into_bytes())),
            },
            _ => return Err("`event` is a table (sent as JSON) or a string (sent as is)".into()),
        };
        match json {
            serde_json::Value::Object(map) => Ok(Event::Json(map, id_field)),
            _ => Err("`event` must be a JSON object".into()),
        }
    }

    pub(super) fn body(&self, id: &str, tampered: bool) -> Vec<u8> {
        match self {
            Event::Json(map, id_field) => {
                let mut map = map.clone();
                if let Some(field) = id_field {
                    map.insert(field.clone(), id.into());
                }
                if tampered {
                    map.insert("golive_tampered".into(), true.into());
                }
                serde_json::to_vec(&map).unwrap_or_default()
            }
            Event::Raw(bytes) if tampered => [bytes.as_slice(), b" (tampered)"].concat(),
            Event::Raw(bytes) => bytes.clone(),
        }
    }

    pub(super) fn content_type(&self) -> &'static str {
        match self {
            Event::Json(..) => "application/json",
            Event::Raw(_) => "text/plain",
        }
    }
}

/// A request ready to send.
#[derive(Debug, Clone)]
pub struct Delivery {
    /// Headers, signature included (or not, for the forgeries).
    pub headers: Vec<(String, String)>,
    /// The raw body.
    pub body: Vec<u8>,
    /// The `Content-Type`.
    pub content_type: &'static str,
}

/// Every delivery, in sending order: the signed event first, the replay last.
pub fn plan(scheme: &Scheme, key: &Key, event: &Event) -> Result<Vec<(Case, Delivery)>, String> {
    let now = sign::now();
    let wrong = Key::random()?;
    let make = |ts_offset: i64, key: &Key, tampered: bool| {
        let stamp = Stamp { id: sign::random_id(), timestamp: now + ts_offset };
        let body = event.body(&stamp.id, false);
        let headers = sign::headers(scheme, key, &stamp, &body);
        let body = if tampered { event.body(&stamp.id, true) } else { body };
        Delivery { headers, body, content_type: event.content_type() }
    };
    let signed = make(0, key, false);
    let mut missing = make(0, key, false);
    missing.headers.retain(|(h, _)| !h.eq_ignore_ascii_case(&scheme.header));
    let mut malformed = make(0, key, false);
    for (h, v) in &mut malformed.headers {
        if h.eq_ignore_ascii_case(&scheme.header) {
            *v = sign::malformed_value(scheme);
        }
    }
    let mut out = vec![
        (Case::Signed, signed.clone()),
        (Case::WrongSecret, make(0, &wrong, false)),
        (Case::TamperedBody, make(0, key, true)),
        (Case::MissingSignature, missing),
        (Case::MalformedSignature, malformed),
    ];
    if let (true, Some(tolerance)) = (scheme.has_timestamp(), scheme.tolerance) {
        let beyond = i64::try_from(tolerance.as_secs()).unwrap_or(i64::MAX / 2) + MARGIN_SECS;
        out.push((Case::StaleTimestamp, make(-beyond, key, false)));
        out.push((Case::FutureTimestamp, make(beyond, key, false)));
    }
    out.push((Case::Replay, signed));
    Ok(out)
}

/// The verdicts so far, for the probe's diagnosis.
#[derive(Debug, Default)]
pub struct Verdicts {
    /// The Basic user the deliveries carried (`webhook.auth`), if any.
    credentials: Option<String>,
    /// The event field that carries each delivery's id, if the pack names one.
    id_field: Option<String>,
    signed_status: Option<u16>,
    signed_wrong: Option<Answer>,
    accepted: Vec<Case>,
    not_rejected: Vec<(Case, u16)>,
    duplicate_refused: Option<u16>,
}

fn is_success(status: u16) -> bool {
    (200..300).contains(&status)
}

fn answered(a: &Answer) -> String {
    match (&a.location, (300..400).contains(&a.status)) {
        (Some(to), true) => format!("{} (a redirect to {to}, which senders do not follow)", a.status),
        (None, true) => format!("{} (a redirect, which senders do not follow)", a.status),
        _ if a.excerpt.is_empty() => a.status.to_string(),
        _ => format!("{}: {}", a.status, a.excerpt),
    }
}

impl Verdicts {
    /// No verdict yet; `credentials` names the Basic user sent with every
    /// delivery, `id_field` the event field that carries the delivery id.
    pub fn new(credentials: Option<String>, id_field: Option<String>) -> Verdicts {
        Verdicts { credentials, id_field, ..Verdicts::default() }
    }

    /// How the replay check names the duplicate, e.g. "the same deduplicationId".
    fn same_id(&self) -> String {
        self.id_field.as_ref().map_or_else(|| "the same delivery".to_string(), |f| format!("the same {f}"))
    }

    /// Judges one answer and remembers it for the diagnosis.
    pub fn judge(&mut self, case: Case, a: &Answer, expect: Option<u16>, scheme: &Scheme) -> Check {
        let name = case.check_name();
        match case {
            Case::Signed => {
                self.signed_status = Some(a.status);
                let want = expect.map_or_else(|| "2xx".to_string(), |s| s.to_string());
                let ok = expect.map_or(is_success(a.status), |s| s == a.status);
                if ok {
                    return Check::new(
                        name,
                        Status::Pass,
                        format!("a correctly signed event was answered {}", a.status),
                    )
                    .with_values(want, a.status.to_string());
                }
                self.signed_wrong = Some(a.clone());
                let rule = expect.map_or_else(|| "a 2xx".to_string(), |s| format!("exactly {s}"));
                Check::new(
                    name,
                    Status::Fail,
                    format!("a correctly signed event was answered {}; expected {rule}", answered(a)),
                )
                .with_values(want, a.status.to_string())
                .classed(ErrorClass::HttpStatus)
            }
            // A sender that wants one exact status (PaymentsAI: 200) retries a
            // duplicate refused with anything else, forever: the duplicate must get
            // that status too, and the handler skips it by its id. golive cannot see
            // whether the handler processed it twice, so a matching answer is a note.
            // A duplicate answered like the first delivery adds nothing to the
            // signed event's own verdict.
            Case::Replay => match expect {
                Some(want) if a.status != want && self.signed_status != Some(a.status) => {
                    self.duplicate_refused = Some(a.status);
                    Check::new(
                        name,
                        Status::Fail,
                        format!(
                            "a duplicate delivery ({}) was answered {}; expected exactly {want}, as for the first delivery",
                            self.same_id(),
                            answered(a)
                        ),
                    )
                    .with_values(want.to_string(), a.status.to_string())
                    .classed(ErrorClass::HttpStatus)
                }
                Some(_) => Check::note(
                    name,
                    format!(
                        "a duplicate delivery ({}) was answered {}, as the first one; make sure the handler skips an id it has already processed, so a retried event is handled once",
                        self.same_id(),
                        a.status
                    ),
                ),
                None => {
                    let note = if is_success(a.status) {
                        "the same delivery sent twice was accepted both times; make sure the handler deduplicates on the event id so a retried event is processed once"
                    } else {
                        "the same delivery sent twice was refused the second time (it deduplicates); answering the expected status to a duplicate stops the sender's retries"
                    };
                    Check::note(name, format!("{note} (answered {})", a.status))
                }
            },
            _ if (400..500).contains(&a.status) => {
                Check::new(name, Status::Pass, format!("{}: rejected with {}", case.label(), a.status))
                    .with_values("4xx", a.status.to_string())
            }
            Case::FutureTimestamp if is_success(a.status) && !scheme.reject_future => Check::note(
                name,
                format!(
                    "a delivery dated beyond the tolerance in the future was accepted ({}), as the {} reference library does",
                    a.status, scheme.name
                ),
            ),
            _ if is_success(a.status) => {
                if !self.accepted.contains(&case) {
                    self.accepted.push(case);
                }
                Check::new(
                    name,
                    Status::Fail,
                    format!("{}: accepted (answered {}); expected a 4xx", case.label(), a.status),
                )
                .with_values("4xx", a.status.to_string())
                .classed(ErrorClass::ForgeryAccepted)
            }
            _ => {
                self.not_rejected.push((case, a.status));
                Check::new(name, Status::Fail, format!("{}: answered {}; expected a 4xx", case.label(), answered(a)))
                    .with_values("4xx", a.status.to_string())
                    .classed(ErrorClass::HttpStatus)
            }
        }
    }

    /// The labels of the accepted forgeries, in sending order.
    pub fn accepted_labels(&self) -> Vec<&'static str> {
        self.accepted.iter().map(|c| c.label()).collect()
    }

    /// Cause and fix for what went wrong, most important first.
    pub fn diagnosis(&self, scheme: &Scheme, expect: Option<u16>) -> Option<Diagnosis> {
        if let Some(answer) = &self.signed_wrong {
            return Some(signed_diagnosis(answer, self.credentials.as_deref(), scheme, expect));
        }
        if !self.accepted.is_empty() {
            let list = self.accepted_labels().join(", ");
            let n = self.accepted.len();
            let what = if n == 1 { "forgery" } else { "forgeries" };
            if self.accepted.iter().all(|c| c.is_timestamp()) {
                let tol = scheme.tolerance.map_or_else(String::new, |t| humantime::format_duration(t).to_string());
                return Some(Diagnosis {
                    cause: format!(
                        "the endpoint verifies signatures but not the timestamp: it accepted {n} {what}: {list}"
                    ),
                    fix: format!(
                        "after the signature check, reject deliveries whose timestamp is more than {tol} from now with a 4xx; this stops replays of captured deliveries"
                    ),
                });
            }
            return Some(Diagnosis {
                cause: format!("the endpoint does not verify webhook signatures: it accepted {n} {what}: {list}"),
                fix: format!(
                    "compute HMAC-{} of the raw request body (before any JSON parsing) with the webhook secret, compare it to the `{}` header in constant time, and answer 4xx (e.g. 401) when the header is missing, malformed or does not match{}",
                    match scheme.algorithm {
                        scheme::Algorithm::Sha256 => "SHA256",
                        scheme::Algorithm::Sha512 => "SHA512",
                    },
                    scheme.header,
                    if scheme.has_timestamp() { "; then reject stale timestamps" } else { "" },
                ),
            });
        }
        if let Some(status) = self.duplicate_refused {
            let want = expect.map_or_else(|| "a 2xx".to_string(), |s| s.to_string());
            return Some(Diagnosis {
                cause: format!(
                    "the endpoint answers {status} to a duplicate delivery ({}); the sender retries anything but {want}, so a refused duplicate is delivered again and again",
                    self.same_id()
                ),
                fix: format!(
                    "answer {want} to a duplicate as to the first delivery, and skip its processing: store each processed {} and check it before handling an event",
                    self.id_field.as_deref().unwrap_or("event id")
                ),
            });
        }
        if let Some((case, status)) = self.not_rejected.first() {
            return Some(Diagnosis {
                cause: format!(
                    "the endpoint answers forged deliveries with {status} ({}) instead of a 4xx",
                    case.label()
                ),
                fix: "answer 400 or 401 to a delivery whose signature does not verify: a 5xx or a redirect makes the sender retry it".into(),
            });
        }
        None
    }
}

/// Whether a `WWW-Authenticate` value challenges for HTTP Basic.
fn challenges_basic(a: &Answer) -> bool {
    a.www_authenticate.as_deref().is_some_and(|v| v.trim_start().to_ascii_lowercase().starts_with("basic"))
}

/// A 401 to a correctly signed event, read with what golive sent: the
/// endpoint may want the Basic credentials registered with the partner's
/// webhook destination, or refuse the ones sent.
fn unauthorized_diagnosis(a: &Answer, credentials: Option<&str>) -> Option<Diagnosis> {
    const ADD_AUTH: &str = "add `auth = { basic = { user = \"...\", password = { env = \"...\" } } }` to the environment's `webhook` in golive.toml: the user and password registered with the webhook destination (auth type basic), which the partner sends with every delivery";
    match (credentials, challenges_basic(a)) {
        (None, true) => Some(Diagnosis {
            cause: "the endpoint wants the Basic credentials registered with the destination: it answered 401 with `WWW-Authenticate: Basic` to a correctly signed event sent without credentials".into(),
            fix: ADD_AUTH.into(),
        }),
        (None, false) => Some(Diagnosis {
            cause: "the endpoint answered 401 to a correctly signed event sent without credentials: it wants the Basic credentials registered with the destination, or it verifies signatures with another secret".into(),
            fix: format!(
                "if the webhook destination was registered with `auth: basic`, {ADD_AUTH}; otherwise check that the endpoint's secret is the one in webhook.secret"
            ),
        }),
        (Some(user), true) => Some(Diagnosis {
            cause: format!(
                "the endpoint refused the Basic credentials of user `{user}` (401 with `WWW-Authenticate: Basic`): they are not the ones it expects"
            ),
            fix: "set webhook.auth to the user and password registered with the webhook destination, and the endpoint to accept exactly those".into(),
        }),
        (Some(_), false) => None,
    }
}

fn signed_diagnosis(a: &Answer, credentials: Option<&str>, scheme: &Scheme, expect: Option<u16>) -> Diagnosis {
    let (status, location) = (a.status, a.location.as_deref());
    if status == 401
        && let Some(d) = unauthorized_diagnosis(a, credentials)
    {
        return d;
    }
    if (300..400).contains(&status) {
        return Diagnosis {
            cause: format!(
                "the endpoint redirects ({status}{}); webhook senders do not follow redirects and retry instead",
                location.map(|l| format!(" to {l}")).unwrap_or_default()
            ),
            fix: "set webhook.url to the final URL (scheme, host, path and trailing slash) so it answers directly"
                .into(),
        };
    }
    if is_success(status) {
        let want = expect.map_or_else(|| "a 2xx".to_string(), |s| s.to_string());
        return Diagnosis {
            cause: format!(
                "the endpoint answers {status} to a valid event; the sender wants exactly {want} and retries on anything else (201, 204, redirects)"
            ),
            fix: format!("answer {want} once the event is verified and stored"),
        };
    }
    if status == 429 {
        return Diagnosis {
            cause: "the endpoint rate-limited a correctly signed event (429): the sender will retry it later, and a burst on launch day may be refused the same way".into(),
            fix: "exempt the webhook path from rate limiting (or raise the limit), and answer webhooks before any per-client throttle".into(),
        };
    }
    if status >= 500 {
        return Diagnosis {
            cause: format!(
                "the endpoint failed with {status} while handling a correctly signed event: a server error or an unavailable endpoint, not a signature problem"
            ),
            fix: "check the endpoint's logs and that it is deployed and healthy, then run the probe again".into(),
        };
    }
    let signature = if scheme.layout == Layout::Stripe { "the Stripe-Signature header" } else { "the signature" };
    Diagnosis {
        cause: format!(
            "the endpoint answered {status} to a correctly signed event: it uses another secret, checks {signature} over re-serialized JSON instead of the raw body, or fails while handling the event"
        ),
        fix: format!(
            "check that the endpoint's secret is the one in webhook.secret and that it verifies the {} scheme over the raw body bytes",
            scheme.name
        ),
    }
}
