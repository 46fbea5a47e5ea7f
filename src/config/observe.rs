//! The `golive observe` half of a pack, checked at load time: what the front
//! records and hands the command (`[observe]`), the partner's documented
//! failures it can inject (`[[fault]]`), and the routes both name. What a
//! client must do about the failures (`[[rule]]`) is [`super::observe_rules`].
//!
//! A fault plan file (`golive observe --faults plan.toml`) holds `[[fault]]`
//! tables only, checked the same way ([`plan_file`]).

use std::collections::{BTreeMap, HashMap};
use std::ops::Range;
use std::time::Duration;

use serde::Deserialize;
use toml::Spanned;

use super::coverage::CoverageItem;
use super::error::{ConfigError, SourceFile, from_toml};
pub use super::observe_rules::{AlertSpec, Failure, KeyRef, RawRule, RuleCheck, RuleSpec, StatusSpec};

/// `[observe]`: what the front records beyond method, path, status and
/// timing, and the variables the observed command gets.
#[derive(Debug, Default, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "Observe")]
pub(super) struct RawObserve {
    /// Variables the command gets, e.g. `AXYS_BASE_URL = "${proxy_url}"`:
    /// `${proxy_url}` is the front's URL (with the base URL's path), other
    /// `${name}` the environment's text values (never a secret).
    #[serde(default)]
    env: BTreeMap<String, String>,
    /// Request and response headers recorded, e.g. "Idempotency-Key" (never a credential).
    #[serde(default)]
    record_headers: Vec<String>,
    /// JSON body fields recorded (scalars, found at any depth), e.g. "amount";
    /// the pack's `[masking]` fields are masked there too.
    #[serde(default)]
    record_fields: Vec<String>,
}

/// One `[[fault]]`: a failure the partner documents, injected on a route.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "Fault")]
pub(super) struct RawFault {
    /// Unique id, e.g. "axys-transfer-502"; `--faults` names it or one of its sets.
    #[schemars(with = "String")]
    id: Spanned<String>,
    /// Named sets it belongs to, e.g. ["transfers"], for `--faults transfers`.
    #[serde(default)]
    sets: Vec<String>,
    /// "METHOD /path" under the base URL; `{name}` matches one path segment.
    #[schemars(with = "String")]
    route: Spanned<String>,
    /// Which request to the route gets it first: 1 for the first [default: 1].
    nth: Option<u32>,
    /// How many requests in a row get it [default: 1].
    times: Option<u32>,
    /// Answer this HTTP status instead of forwarding the request.
    status: Option<u16>,
    /// Headers of that answer, e.g. { "Retry-After" = "2" }.
    #[serde(default)]
    headers: BTreeMap<String, String>,
    /// Body of that answer: a table or array is sent as JSON, a string as it is.
    #[schemars(with = "Option<serde_json::Value>")]
    body: Option<toml::Value>,
    /// Forward the request, then close the connection before any answer (the
    /// partner got the request; the client never learns what it did).
    drop: Option<bool>,
    /// Forward the request and replace these top-level fields of its JSON answer
    /// (a documented state, e.g. { status = 7 }).
    #[schemars(with = "Option<serde_json::Map<String, serde_json::Value>>")]
    rewrite: Option<toml::Table>,
    /// Hold the answer this long, e.g. "3s" (alone: a slow answer from the partner).
    #[schemars(with = "Option<String>")]
    delay: Option<Spanned<String>>,
    /// The partner's page that documents this failure.
    page: String,
    /// A remark: how the page documents it, what is inferred.
    note: Option<String>,
}

/// A fault plan file: `[[fault]]` tables only.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPlanFile {
    #[serde(default)]
    fault: Vec<RawFault>,
}

/// One segment of a route's path.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Segment {
    Literal(String),
    Param(String),
}

/// A route as packs write it, `POST /wallets/transfer` or
/// `GET /cardholders/{cardholderId}`: a method and a path under the base URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Route {
    method: String,
    segments: Vec<Segment>,
    text: String,
}

impl Route {
    /// Parses `METHOD /path/{param}`.
    pub fn parse(text: &str) -> Result<Route, String> {
        let (method, path) = text.trim().split_once(' ').ok_or_else(|| {
            format!("`{text}` is not a route: write the method, a space and the path, e.g. \"POST /wallets/transfer\"")
        })?;
        let path = path.trim();
        if method.is_empty() || !method.bytes().all(|b| b.is_ascii_uppercase()) {
            return Err(format!("`{text}`: the method must be upper-case letters, e.g. GET or POST"));
        }
        if !path.starts_with('/') || path.contains('?') || path.contains(char::is_whitespace) {
            return Err(format!("`{text}`: the path must start with `/`, without a query or spaces"));
        }
        let mut segments = Vec::new();
        for seg in path.split('/').filter(|s| !s.is_empty()) {
            match seg.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
                Some(name) if !name.is_empty() && !name.contains(['{', '}']) => {
                    segments.push(Segment::Param(name.to_string()))
                }
                Some(_) => return Err(format!("`{text}`: `{seg}` is not a parameter; write `{{name}}`")),
                None if seg.contains(['{', '}']) => {
                    return Err(format!("`{text}`: a parameter is a whole segment, e.g. /cards/{{cardId}}"));
                }
                None => segments.push(Segment::Literal(seg.to_string())),
            }
        }
        let text = format!("{method} /{}", path.trim_matches('/'));
        Ok(Route { method: method.to_string(), segments, text })
    }

    /// The route as written, normalised: `POST /wallets/transfer`.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// The path parameters, when `method` and `path` (under the base URL,
    /// without the query) fall under this route.
    pub fn matches(&self, method: &str, path: &str) -> Option<Vec<(String, String)>> {
        if !self.method.eq_ignore_ascii_case(method) {
            return None;
        }
        let mut parts = path.split('/').filter(|s| !s.is_empty());
        let mut params = Vec::new();
        for seg in &self.segments {
            let part = parts.next()?;
            match seg {
                Segment::Literal(l) if l == part => {}
                Segment::Literal(_) => return None,
                Segment::Param(name) => params.push((name.clone(), part.to_string())),
            }
        }
        parts.next().is_none().then_some(params)
    }

    /// How many of its segments are literal: of two routes that match a
    /// request (`GET /cards/{cardId}`, `GET /cards/transactions`), the one
    /// with more literal segments is the request's route.
    pub fn specificity(&self) -> usize {
        self.segments.iter().filter(|s| matches!(s, Segment::Literal(_))).count()
    }

    /// The names of its parameters.
    pub fn params(&self) -> impl Iterator<Item = &str> {
        self.segments.iter().filter_map(|s| match s {
            Segment::Param(p) => Some(p.as_str()),
            Segment::Literal(_) => None,
        })
    }
}

impl std::fmt::Display for Route {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.text)
    }
}

/// What a fault does to the request it catches.
#[derive(Debug, Clone, PartialEq)]
pub enum FaultAction {
    /// Answer in the partner's place; the partner never sees the request.
    Answer {
        /// The HTTP status.
        status: u16,
        /// Its headers, as written.
        headers: Vec<(String, String)>,
        /// Its body, with the content type it is sent with.
        body: Option<(Vec<u8>, &'static str)>,
    },
    /// Forward, then close the connection before any answer.
    Drop,
    /// Forward, then replace these top-level fields of the JSON answer.
    Rewrite(serde_json::Map<String, serde_json::Value>),
    /// Forward, answering only after the fault's delay.
    Slow,
}

/// A checked `[[fault]]`.
#[derive(Debug, Clone, PartialEq)]
pub struct FaultSpec {
    /// Unique id in its pack.
    pub id: String,
    /// The sets it belongs to.
    pub sets: Vec<String>,
    /// The route it catches.
    pub route: Route,
    /// The first request to the route it catches (1-based).
    pub nth: u32,
    /// How many requests in a row it catches.
    pub times: u32,
    /// What it does.
    pub action: FaultAction,
    /// How long the answer is held.
    pub delay: Option<Duration>,
    /// The partner's page that documents the failure.
    pub page: String,
    /// A remark.
    pub note: Option<String>,
}

impl FaultSpec {
    /// Whether the `n`th request to its route (1-based) falls under it.
    pub fn catches(&self, n: u64) -> bool {
        n >= u64::from(self.nth) && n < u64::from(self.nth) + u64::from(self.times)
    }

    /// What it does, in a few words: `502`, `dropped after forwarding`.
    pub fn what(&self) -> String {
        let what = match &self.action {
            FaultAction::Answer { status, headers, .. } => {
                let shown: Vec<String> = headers.iter().map(|(k, v)| format!("{k}: {v}")).collect();
                if shown.is_empty() { status.to_string() } else { format!("{status} ({})", shown.join(", ")) }
            }
            FaultAction::Drop => "connection dropped after forwarding".to_string(),
            FaultAction::Rewrite(fields) => {
                let shown: Vec<String> = fields.iter().map(|(k, v)| format!("{k} = {v}")).collect();
                format!("answer rewritten: {}", shown.join(", "))
            }
            FaultAction::Slow => "slow answer".to_string(),
        };
        match self.delay {
            Some(d) if !matches!(self.action, FaultAction::Slow) => {
                format!("{what} after {}", humantime::format_duration(d))
            }
            Some(d) => format!("{what} ({})", humantime::format_duration(d)),
            None => what,
        }
    }
}

/// A pack's `golive observe` part, checked.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ObservePack {
    /// Variables for the command: name and template.
    pub env: Vec<(String, String)>,
    /// Headers recorded, lower-case: `[observe] record_headers` and the rules' header keys.
    pub record_headers: Vec<String>,
    /// JSON fields recorded: `[observe] record_fields` and the rules' body keys.
    pub record_fields: Vec<String>,
    /// The faults, in file order.
    pub faults: Vec<FaultSpec>,
    /// The rules, in file order.
    pub rules: Vec<RuleSpec>,
}

impl ObservePack {
    /// Every route a run's fault `plan`, the pack's faults and its rules name,
    /// each once: the front labels each exchange with the most specific that matches.
    pub fn routes_with(&self, plan: &[FaultSpec]) -> Vec<Route> {
        let mut out: Vec<Route> = Vec::new();
        let rules = self.rules.iter().flat_map(|r| r.check.routes());
        for route in plan.iter().chain(&self.faults).map(|f| &f.route).chain(rules) {
            if !out.contains(route) {
                out.push(route.clone());
            }
        }
        out
    }
}

/// Headers a recording never holds, whatever a pack says: credentials.
const NEVER_RECORDED: [&str; 6] =
    ["authorization", "x-api-key", "cookie", "set-cookie", "proxy-authorization", "x-pai-signature"];

/// Checks the observe tables of a pack. `probes` are its probe ids (rule ids
/// must differ), `coverage` its runbook items (`proves` must name manual ones).
pub(super) fn check(
    file: &SourceFile,
    raw: Option<RawObserve>,
    faults: Vec<RawFault>,
    rules: Vec<Spanned<RawRule>>,
    probes: &HashMap<String, Range<usize>>,
    coverage: &[CoverageItem],
) -> Result<ObservePack, ConfigError> {
    let raw = raw.unwrap_or_default();
    let faults = check_faults(file, faults)?;
    let rules = super::observe_rules::check(file, rules, &faults, probes, coverage)?;
    let mut record_headers = Vec::new();
    for name in &raw.record_headers {
        let lower = name.trim().to_ascii_lowercase();
        if http::HeaderName::from_bytes(lower.as_bytes()).is_err() {
            return Err(ConfigError::in_file(
                &file.path,
                format!("[observe] record_headers: `{name}` is not a header name"),
            ));
        }
        if NEVER_RECORDED.contains(&lower.as_str()) {
            return Err(ConfigError::in_file(
                &file.path,
                format!("[observe] record_headers: `{name}` carries credentials and is never recorded"),
            )
            .help("record the headers a rule needs, such as Idempotency-Key"));
        }
        record_headers.push(lower);
    }
    let mut record_fields = raw.record_fields.clone();
    for rule in &rules {
        match &rule.check {
            RuleCheck::SameIdempotencyKey { key: KeyRef::Header(h), .. } => record_headers.push(h.clone()),
            RuleCheck::SameIdempotencyKey { key: KeyRef::Body(f), .. } => record_fields.push(f.clone()),
            _ => {}
        }
    }
    record_headers.push("retry-after".into());
    record_headers.sort();
    record_headers.dedup();
    record_fields.dedup();
    for name in raw.env.keys() {
        let ok = !name.is_empty()
            && name.bytes().all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_')
            && !name.starts_with(|c: char| c.is_ascii_digit());
        if !ok {
            return Err(ConfigError::in_file(
                &file.path,
                format!("[observe] env: `{name}` is not a variable name (upper-case letters, digits and `_`)"),
            ));
        }
    }
    Ok(ObservePack { env: raw.env.into_iter().collect(), record_headers, record_fields, faults, rules })
}

fn check_faults(file: &SourceFile, raw: Vec<RawFault>) -> Result<Vec<FaultSpec>, ConfigError> {
    let mut out: Vec<FaultSpec> = Vec::with_capacity(raw.len());
    for f in raw {
        let id_span = f.id.span();
        let id = f.id.into_inner();
        if id.is_empty() || !id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_') {
            return Err(ConfigError::at(file, id_span, format!("fault id `{id}` must be letters, digits, `-` or `_`")));
        }
        if out.iter().any(|o| o.id == id) {
            return Err(ConfigError::at(file, id_span, format!("duplicate fault id `{id}`"))
                .help("give every fault of a pack its own id"));
        }
        let route = Route::parse(f.route.get_ref()).map_err(|e| ConfigError::at(file, f.route.span(), e))?;
        let delay = match &f.delay {
            Some(d) => Some(
                super::env::parse_duration(d.get_ref())
                    .map_err(|e| ConfigError::at(file, d.span(), format!("fault `{id}`: delay {e}")))?,
            ),
            None => None,
        };
        let action = match (f.status, f.drop == Some(true), &f.rewrite) {
            (Some(status), false, None) => {
                if !(100..=599).contains(&status) {
                    return Err(ConfigError::at(
                        file,
                        id_span,
                        format!("fault `{id}`: status {status} is not an HTTP status"),
                    ));
                }
                let mut headers = Vec::new();
                for (k, v) in &f.headers {
                    if http::HeaderName::from_bytes(k.as_bytes()).is_err() || http::HeaderValue::from_str(v).is_err() {
                        return Err(ConfigError::at(
                            file,
                            id_span,
                            format!("fault `{id}`: `{k}: {v}` is not a header"),
                        ));
                    }
                    headers.push((k.clone(), v.clone()));
                }
                let body = match &f.body {
                    None => None,
                    Some(toml::Value::String(text)) => Some((text.clone().into_bytes(), "text/plain")),
                    Some(value) => {
                        let json = serde_json::to_vec(value)
                            .map_err(|e| ConfigError::at(file, id_span.clone(), format!("fault `{id}`: body {e}")))?;
                        Some((json, "application/json"))
                    }
                };
                FaultAction::Answer { status, headers, body }
            }
            (None, true, None) => FaultAction::Drop,
            (None, false, Some(fields)) => {
                let value = serde_json::to_value(fields)
                    .map_err(|e| ConfigError::at(file, id_span.clone(), format!("fault `{id}`: rewrite {e}")))?;
                FaultAction::Rewrite(value.as_object().cloned().unwrap_or_default())
            }
            (None, false, None) if delay.is_some() => FaultAction::Slow,
            _ => {
                return Err(ConfigError::at(
                    file,
                    id_span,
                    format!("fault `{id}` needs exactly one of `status`, `drop = true`, `rewrite` (or `delay` alone)"),
                )
                .help("status: answer in the partner's place; drop: forward, then close the connection; rewrite: forward and change the answer; delay alone: a slow answer"));
            }
        };
        if !matches!(action, FaultAction::Answer { .. }) && (f.body.is_some() || !f.headers.is_empty()) {
            return Err(ConfigError::at(file, id_span, format!("fault `{id}`: `body` and `headers` go with `status`")));
        }
        let (nth, times) = (f.nth.unwrap_or(1), f.times.unwrap_or(1));
        if nth == 0 || times == 0 {
            return Err(ConfigError::at(file, id_span, format!("fault `{id}`: `nth` and `times` count from 1")));
        }
        if f.page.trim().is_empty() {
            return Err(ConfigError::at(file, id_span, format!("fault `{id}`: `page` must name the partner's page")));
        }
        let fault = FaultSpec { id, sets: f.sets, route, nth, times, action, delay, page: f.page, note: f.note };
        if let Some(other) = out.iter().find(|o| overlaps(o, &fault)) {
            return Err(ConfigError::at(
                file,
                id_span,
                format!("faults `{}` and `{}` catch the same request to {}", other.id, fault.id, fault.route),
            )
            .help("give one of them another `nth`"));
        }
        out.push(fault);
    }
    Ok(out)
}

/// Whether two faults catch a same request.
fn overlaps(a: &FaultSpec, b: &FaultSpec) -> bool {
    a.route == b.route && a.nth < b.nth + b.times && b.nth < a.nth + a.times
}

/// Reads a fault plan file (`--faults plan.toml`): `[[fault]]` tables only.
pub fn plan_file(path: &std::path::Path) -> Result<Vec<FaultSpec>, ConfigError> {
    let file = SourceFile::read(path, "fault plan")?;
    let raw: RawPlanFile = toml::from_str(&file.text).map_err(|e| from_toml(&file, &e))?;
    if raw.fault.is_empty() {
        return Err(ConfigError::in_file(path, format!("the fault plan {} holds no [[fault]]", path.display()))
            .help("write [[fault]] tables as in a pack: id, route, and status, drop, rewrite or delay"));
    }
    check_faults(&file, raw.fault)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_route_matches_its_method_and_segments_and_names_its_parameters() {
        let r = Route::parse("GET /cardholders/{cardholderId}").unwrap();
        assert_eq!(r.matches("GET", "/cardholders/10532"), Some(vec![("cardholderId".into(), "10532".into())]));
        assert_eq!(r.matches("GET", "/cardholders/10532/"), Some(vec![("cardholderId".into(), "10532".into())]));
        assert_eq!(r.matches("POST", "/cardholders/10532"), None);
        assert_eq!(r.matches("GET", "/cardholders"), None);
        assert_eq!(r.matches("GET", "/cardholders/1/kyc-submit"), None);
        assert_eq!(r.params().collect::<Vec<_>>(), ["cardholderId"]);
        assert!(Route::parse("post /x").unwrap_err().contains("upper-case"));
        assert!(Route::parse("POST wallets").is_err());
        assert!(Route::parse("POST /a{b}").is_err());
        assert_eq!(Route::parse("POST  /wallets/transfer/").unwrap().as_str(), "POST /wallets/transfer");
    }
}
