//! A pack's `[[rule]]` tables: what a client must do about the partner's
//! failures, judged by `golive observe` on the recorded traffic once the
//! command ends. Each rule names one `check` (the judge's vocabulary, the
//! same for every partner) and the keys that check reads; a key another
//! check reads is an error, so a misplaced key never silently does nothing.

use std::collections::HashMap;
use std::ops::Range;

use serde::Deserialize;
use toml::Spanned;

use super::coverage::{Coverage, CoverageItem};
use super::error::{ConfigError, SourceFile};
use super::observe::{FaultSpec, Route};

/// One `[[rule]]`.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "Rule")]
pub struct RawRule {
    /// Unique id among the pack's probes and rules, e.g. "axys-transfer-no-blind-retry".
    #[schemars(with = "String")]
    id: Spanned<String>,
    /// Human title.
    title: String,
    /// What is judged: no-blind-retry, retry-after, bounded-auth-retries,
    /// same-idempotency-key, handled, distinct-logs, follow-up or alerts.
    #[schemars(with = "String")]
    check: Spanned<String>,
    /// The manual runbook items (coverage `item` texts) the rule proves: `golive checklist --observed` ticks them.
    #[serde(default)]
    #[schemars(with = "Vec<String>")]
    proves: Vec<Spanned<String>>,
    /// The partner's page the rule follows.
    page: Option<String>,
    /// What to do when the rule fails.
    fix: String,
    /// no-blind-retry, same-idempotency-key: the route of the request that must not be resent blindly.
    #[schemars(with = "Option<String>")]
    route: Option<Spanned<String>>,
    /// retry-after: the routes judged [default: every route].
    #[serde(default)]
    #[schemars(with = "Vec<String>")]
    routes: Vec<Spanned<String>>,
    /// no-blind-retry, same-idempotency-key: what counts as a failed request: statuses ("502", "5xx") or "dropped".
    #[serde(default)]
    #[schemars(with = "Vec<String>")]
    after: Vec<Spanned<String>>,
    /// no-blind-retry: requests that read the state back, allowing a resend.
    #[serde(default)]
    #[schemars(with = "Vec<String>")]
    read_back: Vec<Spanned<String>>,
    /// bounded-auth-retries: how many authentication failures in a row one route may get.
    max: Option<u32>,
    /// handled: the statuses ("400", "5xx") every one of which must be injected and survived;
    /// bounded-auth-retries: the statuses counted [default: 401, 403].
    #[serde(default)]
    #[schemars(with = "Vec<String>")]
    statuses: Vec<Spanned<String>>,
    /// same-idempotency-key: where the key is, "body:idempotencyKey" or "header:Idempotency-Key".
    #[schemars(with = "Option<String>")]
    key: Option<Spanned<String>>,
    /// same-idempotency-key: every request to the route must carry a key [default: true].
    required: Option<bool>,
    /// distinct-logs: the two faults whose log lines must differ.
    #[serde(default)]
    #[schemars(with = "Vec<String>")]
    faults: Vec<Spanned<String>>,
    /// distinct-logs: words one of which the log lines after the first fault must contain.
    #[serde(default)]
    mention: Vec<String>,
    /// follow-up: the fault after which the client must act.
    #[schemars(with = "Option<String>")]
    fault: Option<Spanned<String>>,
    /// follow-up: routes one of which the client must call after the fault.
    #[serde(default)]
    #[schemars(with = "Vec<String>")]
    then: Vec<Spanned<String>>,
    /// follow-up: routes the client must not call afterwards with the same path parameters.
    #[serde(default)]
    #[schemars(with = "Vec<String>")]
    never: Vec<Spanned<String>>,
    /// alerts: the alerting rules a Prometheus must have loaded, none of them firing.
    #[serde(default)]
    alerts: Vec<RawAlert>,
}

/// One alert a Prometheus must have loaded.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "RuleAlert")]
struct RawAlert {
    /// What it watches, e.g. "the Axys 403 rate".
    about: String,
    /// An alerting rule covers it when its expression or a label holds one of these (case-insensitive).
    any: Vec<String>,
    /// ... and its expression, a label, an annotation, its name or its group names one of these.
    #[serde(default)]
    partner: Vec<String>,
}

/// An HTTP status or a class, as rules write them (`"403"`, `"5xx"`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StatusSpec {
    /// One status.
    Exact(u16),
    /// A class: the hundreds digit.
    Class(u16),
}

impl StatusSpec {
    /// Whether a status falls under it.
    pub fn matches(self, status: u16) -> bool {
        match self {
            StatusSpec::Exact(s) => s == status,
            StatusSpec::Class(c) => status / 100 == c,
        }
    }
}

impl std::fmt::Display for StatusSpec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            StatusSpec::Exact(s) => write!(f, "{s}"),
            StatusSpec::Class(c) => write!(f, "{c}xx"),
        }
    }
}

/// What counts as a failed request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Failure {
    /// An answer with this status.
    Status(StatusSpec),
    /// No answer: the connection closed first.
    Dropped,
}

/// Where an idempotency key is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyRef {
    /// A JSON field of the request body.
    Body(String),
    /// A request header, lower-case.
    Header(String),
}

/// An alert a Prometheus must have loaded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AlertSpec {
    /// What it watches.
    pub about: String,
    /// Terms one of which the expression or a label holds, lower-case.
    pub any: Vec<String>,
    /// Terms naming the partner, lower-case.
    pub partner: Vec<String>,
}

/// What a rule judges.
#[derive(Debug, Clone, PartialEq)]
pub enum RuleCheck {
    /// After a failed request to `route`, no resend before one of `read_back`.
    NoBlindRetry {
        /// The route.
        route: Route,
        /// What counts as failed.
        after: Vec<Failure>,
        /// What reads the state back.
        read_back: Vec<Route>,
    },
    /// After an answer with `Retry-After`, no request to that route before it elapses.
    RetryAfter {
        /// The routes judged; empty: every route.
        routes: Vec<Route>,
    },
    /// At most `max` authentication failures in a row on one route.
    BoundedAuthRetries {
        /// The bound.
        max: u32,
        /// The statuses counted.
        statuses: Vec<u16>,
    },
    /// A resend after a failure carries the failed request's key.
    SameIdempotencyKey {
        /// The route.
        route: Route,
        /// Where the key is.
        key: KeyRef,
        /// What counts as failed.
        after: Vec<Failure>,
        /// Whether every request must carry one.
        required: bool,
    },
    /// Each status injected at least once, and the command went on.
    Handled {
        /// The statuses.
        statuses: Vec<StatusSpec>,
    },
    /// The log lines after two faults differ; the first mentions one of `mention`.
    DistinctLogs {
        /// The two fault ids.
        faults: [String; 2],
        /// Words one of which the first fault's lines must hold (any case).
        mention: Vec<String>,
    },
    /// After a fault, one of `then` is called and none of `never` with the same parameters.
    FollowUp {
        /// The fault id.
        fault: String,
        /// Routes one of which must follow.
        then: Vec<Route>,
        /// Routes that must not follow with the fault's path parameters.
        never: Vec<Route>,
    },
    /// Alerting rules a Prometheus has loaded, not firing.
    Alerts {
        /// The alerts.
        alerts: Vec<AlertSpec>,
    },
}

impl RuleCheck {
    /// The check's name as packs write it.
    pub fn name(&self) -> &'static str {
        match self {
            RuleCheck::NoBlindRetry { .. } => "no-blind-retry",
            RuleCheck::RetryAfter { .. } => "retry-after",
            RuleCheck::BoundedAuthRetries { .. } => "bounded-auth-retries",
            RuleCheck::SameIdempotencyKey { .. } => "same-idempotency-key",
            RuleCheck::Handled { .. } => "handled",
            RuleCheck::DistinctLogs { .. } => "distinct-logs",
            RuleCheck::FollowUp { .. } => "follow-up",
            RuleCheck::Alerts { .. } => "alerts",
        }
    }

    /// Every route it names.
    pub fn routes(&self) -> Vec<&Route> {
        match self {
            RuleCheck::NoBlindRetry { route, read_back, .. } => std::iter::once(route).chain(read_back).collect(),
            RuleCheck::RetryAfter { routes } => routes.iter().collect(),
            RuleCheck::SameIdempotencyKey { route, .. } => vec![route],
            RuleCheck::FollowUp { then, never, .. } => then.iter().chain(never).collect(),
            _ => Vec::new(),
        }
    }
}

/// A checked `[[rule]]`.
#[derive(Debug, Clone, PartialEq)]
pub struct RuleSpec {
    /// Unique id among the pack's probes and rules.
    pub id: String,
    /// Human title.
    pub title: String,
    /// What it judges.
    pub check: RuleCheck,
    /// The coverage items it proves: (section, item).
    pub proves: Vec<(String, String)>,
    /// The partner's page it follows.
    pub page: Option<String>,
    /// What to do when it fails.
    pub fix: String,
}

/// The checks and the keys each reads besides id, title, check, proves, page and fix.
const CHECKS: [(&str, &[&str]); 8] = [
    ("no-blind-retry", &["route", "after", "read_back"]),
    ("retry-after", &["routes"]),
    ("bounded-auth-retries", &["max", "statuses"]),
    ("same-idempotency-key", &["route", "key", "after", "required"]),
    ("handled", &["statuses"]),
    ("distinct-logs", &["faults", "mention"]),
    ("follow-up", &["fault", "then", "never"]),
    ("alerts", &["alerts"]),
];

/// Checks the rules: ids unique and not probe ids, every key read by the
/// check named, routes and statuses well formed, faults known, `proves`
/// naming manual coverage items.
pub(super) fn check(
    file: &SourceFile,
    raw: Vec<Spanned<RawRule>>,
    faults: &[FaultSpec],
    probes: &HashMap<String, Range<usize>>,
    coverage: &[CoverageItem],
) -> Result<Vec<RuleSpec>, ConfigError> {
    let mut out: Vec<RuleSpec> = Vec::with_capacity(raw.len());
    for spanned in raw {
        let span = spanned.span();
        let r = spanned.into_inner();
        let id = r.id.get_ref().clone();
        if probes.contains_key(&id) || out.iter().any(|o| o.id == id) {
            return Err(ConfigError::at(
                file,
                r.id.span(),
                format!("duplicate id `{id}`: a probe or rule has it already"),
            )
            .help("give every probe and rule of a pack its own id"));
        }
        let Some((_, keys)) = CHECKS.iter().find(|(name, _)| name == r.check.get_ref()) else {
            let names: Vec<&str> = CHECKS.iter().map(|(n, _)| *n).collect();
            return Err(ConfigError::at(file, r.check.span(), format!("unknown check `{}`", r.check.get_ref()))
                .suggest(r.check.get_ref(), names.iter().copied())
                .help(format!("checks: {}", names.join(", "))));
        };
        let given = [
            ("route", r.route.is_some()),
            ("routes", !r.routes.is_empty()),
            ("after", !r.after.is_empty()),
            ("read_back", !r.read_back.is_empty()),
            ("max", r.max.is_some()),
            ("statuses", !r.statuses.is_empty()),
            ("key", r.key.is_some()),
            ("required", r.required.is_some()),
            ("faults", !r.faults.is_empty()),
            ("mention", !r.mention.is_empty()),
            ("fault", r.fault.is_some()),
            ("then", !r.then.is_empty()),
            ("never", !r.never.is_empty()),
            ("alerts", !r.alerts.is_empty()),
        ];
        if let Some((key, _)) = given.iter().find(|(k, set)| *set && !keys.contains(k)) {
            return Err(ConfigError::at(
                file,
                span,
                format!("rule `{id}`: `{key}` does not apply to check `{}`", r.check.get_ref()),
            )
            .help(format!("check `{}` reads: {}", r.check.get_ref(), keys.join(", "))));
        }
        let ctx = Ctx { file, span: span.clone(), id: &id };
        let check = ctx.check(&r, faults)?;
        let mut proves = Vec::new();
        for item in &r.proves {
            let found = coverage.iter().find(|c| &c.item == item.get_ref());
            match found {
                Some(c) if matches!(c.by, Coverage::Manual(_)) => proves.push((c.section.clone(), c.item.clone())),
                Some(_) => {
                    return Err(ConfigError::at(
                        file,
                        item.span(),
                        format!("rule `{id}` proves \"{}\", which a probe proves already", item.get_ref()),
                    )
                    .help("a rule proves a manual item of the coverage table"));
                }
                None => {
                    return Err(ConfigError::at(
                        file,
                        item.span(),
                        format!("rule `{id}` proves \"{}\", which is no item of the coverage table", item.get_ref()),
                    )
                    .suggest(item.get_ref(), coverage.iter().map(|c| c.item.as_str()))
                    .help("copy the item's text from [[coverage]] exactly"));
                }
            }
        }
        out.push(RuleSpec { id, title: r.title, check, proves, page: r.page, fix: r.fix });
    }
    Ok(out)
}

/// Where a rule is, for its errors.
struct Ctx<'a> {
    file: &'a SourceFile,
    span: Range<usize>,
    id: &'a str,
}

impl Ctx<'_> {
    fn err(&self, span: Option<Range<usize>>, message: String) -> ConfigError {
        ConfigError::at(self.file, span.unwrap_or_else(|| self.span.clone()), format!("rule `{}`: {message}", self.id))
    }

    fn need<'v, T>(&self, value: &'v Option<T>, key: &str) -> Result<&'v T, ConfigError> {
        value.as_ref().ok_or_else(|| self.err(None, format!("`{key}` is missing")))
    }

    fn route(&self, raw: &Spanned<String>) -> Result<Route, ConfigError> {
        Route::parse(raw.get_ref()).map_err(|e| self.err(Some(raw.span()), e))
    }

    fn routes(&self, raw: &[Spanned<String>]) -> Result<Vec<Route>, ConfigError> {
        raw.iter().map(|r| self.route(r)).collect()
    }

    fn status(&self, raw: &Spanned<String>) -> Result<StatusSpec, ConfigError> {
        let text = super::watch_rules::status_text(raw.get_ref()).ok_or_else(|| {
            self.err(Some(raw.span()), format!("`{}` is not an HTTP status or class (\"403\", \"5xx\")", raw.get_ref()))
        })?;
        Ok(match text.parse::<u16>() {
            Ok(s) => StatusSpec::Exact(s),
            Err(_) => StatusSpec::Class(u16::from(text.as_bytes()[0] - b'0')),
        })
    }

    fn failures(&self, raw: &[Spanned<String>]) -> Result<Vec<Failure>, ConfigError> {
        if raw.is_empty() {
            return Err(self.err(
                None,
                "`after` is missing: say what counts as a failed request, e.g. [\"5xx\", \"dropped\"]".into(),
            ));
        }
        raw.iter()
            .map(|a| if a.get_ref() == "dropped" { Ok(Failure::Dropped) } else { self.status(a).map(Failure::Status) })
            .collect()
    }

    fn fault(&self, raw: &Spanned<String>, faults: &[FaultSpec]) -> Result<String, ConfigError> {
        if faults.iter().any(|f| &f.id == raw.get_ref()) {
            return Ok(raw.get_ref().clone());
        }
        Err(self
            .err(Some(raw.span()), format!("no fault `{}` in this pack", raw.get_ref()))
            .suggest(raw.get_ref(), faults.iter().map(|f| f.id.as_str())))
    }

    fn check(&self, r: &RawRule, faults: &[FaultSpec]) -> Result<RuleCheck, ConfigError> {
        Ok(match r.check.get_ref().as_str() {
            "no-blind-retry" => {
                if r.read_back.is_empty() {
                    return Err(
                        self.err(None, "`read_back` is missing: name the requests that read the state back".into())
                    );
                }
                RuleCheck::NoBlindRetry {
                    route: self.route(self.need(&r.route, "route")?)?,
                    after: self.failures(&r.after)?,
                    read_back: self.routes(&r.read_back)?,
                }
            }
            "retry-after" => RuleCheck::RetryAfter { routes: self.routes(&r.routes)? },
            "bounded-auth-retries" => {
                let mut statuses = Vec::new();
                for s in &r.statuses {
                    match self.status(s)? {
                        StatusSpec::Exact(code) => statuses.push(code),
                        StatusSpec::Class(_) => return Err(self.err(Some(s.span()), "name exact statuses here".into())),
                    }
                }
                if statuses.is_empty() {
                    statuses = vec![401, 403];
                }
                RuleCheck::BoundedAuthRetries { max: *self.need(&r.max, "max")?, statuses }
            }
            "same-idempotency-key" => {
                let raw_key = self.need(&r.key, "key")?;
                let key = match raw_key.get_ref().split_once(':') {
                    Some(("body", f)) if !f.is_empty() => KeyRef::Body(f.to_string()),
                    Some(("header", h)) if http::HeaderName::from_bytes(h.as_bytes()).is_ok() => {
                        KeyRef::Header(h.to_ascii_lowercase())
                    }
                    _ => {
                        return Err(self.err(
                            Some(raw_key.span()),
                            format!("key `{}`: write \"body:FIELD\" or \"header:NAME\"", raw_key.get_ref()),
                        ));
                    }
                };
                RuleCheck::SameIdempotencyKey {
                    route: self.route(self.need(&r.route, "route")?)?,
                    key,
                    after: self.failures(&r.after)?,
                    required: r.required.unwrap_or(true),
                }
            }
            "handled" => {
                if r.statuses.is_empty() {
                    return Err(self.err(None, "`statuses` is missing: the statuses the client must survive".into()));
                }
                RuleCheck::Handled { statuses: r.statuses.iter().map(|s| self.status(s)).collect::<Result<_, _>>()? }
            }
            "distinct-logs" => {
                let [a, b] = r.faults.as_slice() else {
                    return Err(self.err(None, "`faults` names exactly two faults".into()));
                };
                RuleCheck::DistinctLogs {
                    faults: [self.fault(a, faults)?, self.fault(b, faults)?],
                    mention: r.mention.clone(),
                }
            }
            "follow-up" => {
                let fault = self.fault(self.need(&r.fault, "fault")?, faults)?;
                if r.then.is_empty() && r.never.is_empty() {
                    return Err(self.err(None, "name `then` routes, `never` routes, or both".into()));
                }
                RuleCheck::FollowUp { fault, then: self.routes(&r.then)?, never: self.routes(&r.never)? }
            }
            _ => {
                if r.alerts.is_empty() {
                    return Err(self.err(None, "`alerts` is missing: the alerts a Prometheus must have".into()));
                }
                let lower = |v: &[String]| v.iter().map(|s| s.to_lowercase()).collect::<Vec<_>>();
                let alerts: Vec<AlertSpec> = r
                    .alerts
                    .iter()
                    .map(|a| AlertSpec { about: a.about.clone(), any: lower(&a.any), partner: lower(&a.partner) })
                    .collect();
                if alerts.iter().any(|a| a.any.is_empty()) {
                    return Err(self.err(None, "every alert needs `any`: the words its expression holds".into()));
                }
                RuleCheck::Alerts { alerts }
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use crate::config::error::SourceFile;
    use crate::config::pack::parse;

    const HEAD: &str = r#"
[pack]
name = "t"
title = "T"
runbook = "t-runbook"

[[probe]]
id = "t-auth"
kind = "http"
title = "auth"
params = { url = "${base_url}/x" }

[[coverage]]
section = "S"
items = [
  { item = "manual item", owner = "Dev" },
  { item = "probed item", probe = "t-auth" },
]

[[fault]]
id = "t-502"
route = "POST /transfer"
status = 502
page = "https://partner.example/errors"
"#;

    /// The error a pack with these extra tables gives, rendered plain.
    fn error(extra: &str) -> String {
        let text: &'static str = Box::leak(format!("{HEAD}\n{extra}").into_boxed_str());
        match parse(SourceFile::embedded("t.toml", text)) {
            Ok(_) => panic!("the pack loads, but should not:\n{extra}"),
            Err(e) => e.render(false),
        }
    }

    const RULE: &str = "[[rule]]\nid = \"t-rule\"\ntitle = \"r\"\nfix = \"f\"\n";

    #[test]
    fn a_misspelt_check_is_refused_with_a_suggestion() {
        let e = error(&format!("{RULE}check = \"no-blind-retyr\"\n"));
        assert!(e.contains("unknown check `no-blind-retyr`") && e.contains("did you mean `no-blind-retry`?"), "{e}");
    }

    #[test]
    fn a_key_another_check_reads_is_refused() {
        let e = error(&format!("{RULE}check = \"retry-after\"\nmax = 3\n"));
        assert!(e.contains("rule `t-rule`: `max` does not apply to check `retry-after`"), "{e}");
        let e = error(&format!("{RULE}check = \"no-blind-retry\"\nroute = \"POST /transfer\"\nafter = [\"5xx\"]\n"));
        assert!(e.contains("`read_back` is missing"), "{e}");
        let e = error(&format!(
            "{RULE}check = \"no-blind-retry\"\nroute = \"POST /transfer\"\nafter = [\"6xx\"]\nread_back = [\"GET /t\"]\n"
        ));
        assert!(e.contains("`6xx` is not an HTTP status or class"), "{e}");
    }

    #[test]
    fn proves_names_a_manual_item_of_the_coverage_table() {
        let e = error(&format!("{RULE}check = \"retry-after\"\nproves = [\"manual itme\"]\n"));
        assert!(
            e.contains("which is no item of the coverage table") && e.contains("did you mean `manual item`?"),
            "{e}"
        );
        let e = error(&format!("{RULE}check = \"retry-after\"\nproves = [\"probed item\"]\n"));
        assert!(e.contains("which a probe proves already"), "{e}");
    }

    #[test]
    fn a_rule_cannot_take_a_probe_id_or_name_an_unknown_fault() {
        let e = error("[[rule]]\nid = \"t-auth\"\ntitle = \"r\"\nfix = \"f\"\ncheck = \"retry-after\"\n");
        assert!(e.contains("duplicate id `t-auth`"), "{e}");
        let e = error(&format!("{RULE}check = \"follow-up\"\nfault = \"t-503\"\nthen = [\"GET /t\"]\n"));
        assert!(e.contains("no fault `t-503` in this pack") && e.contains("did you mean `t-502`?"), "{e}");
    }

    #[test]
    fn a_fault_does_one_thing_on_a_well_formed_route_and_never_overlaps_another() {
        let fault = |body: &str| format!("[[fault]]\nid = \"t-x\"\npage = \"p\"\n{body}");
        let e = error(&fault("route = \"POST /transfer\"\nnth = 2\nstatus = 500\ndrop = true\n"));
        assert!(e.contains("fault `t-x` needs exactly one of `status`, `drop = true`, `rewrite`"), "{e}");
        let e = error(&fault("route = \"post /transfer\"\nstatus = 500\n"));
        assert!(e.contains("the method must be upper-case"), "{e}");
        let e = error(&fault("route = \"POST /transfer\"\nstatus = 500\n"));
        assert!(e.contains("faults `t-502` and `t-x` catch the same request to POST /transfer"), "{e}");
        let e =
            error(&fault("route = \"POST /transfer\"\nnth = 2\ndrop = true\nheaders = { \"Retry-After\" = \"1\" }\n"));
        assert!(e.contains("`body` and `headers` go with `status`"), "{e}");
    }

    #[test]
    fn credentials_are_never_recorded_and_variables_are_names() {
        let e = error("[observe]\nrecord_headers = [\"X-API-Key\"]\n");
        assert!(e.contains("`X-API-Key` carries credentials and is never recorded"), "{e}");
        let e = error("[observe]\nenv = { \"axys-url\" = \"${proxy_url}\" }\n");
        assert!(e.contains("`axys-url` is not a variable name"), "{e}");
    }
}
