//! The traffic rules a pack's `[[rule]]` names, each a small state machine
//! over the recorded exchanges ([`super::judge::Judge`]). What each checks:
//!
//! | check | fails when |
//! |---|---|
//! | `no-blind-retry` | the route is sent again after a failed request to it, with no read-back request in between |
//! | `retry-after` | a route is called again before the `Retry-After` of its last answer elapsed |
//! | `bounded-auth-retries` | one route gets more than `max` 401/403 answers in a row |
//! | `same-idempotency-key` | a request carries no key, or a resend after a failure carries another key |
//! | `handled` | the command ends badly after the injected statuses (each must have been met) |
//! | `distinct-logs` | the command logs nothing, or the same, after two faults; or the first names none of `mention` |
//! | `follow-up` | after the fault, none of `then` is called, or one of `never` is, with the same path parameters |

use std::collections::HashMap;

use super::judge::{CITED, Context, Judge, Verdict, violations};
use super::logs::normalise;
use super::record::{Ending, Exchange};
use crate::config::observe::{Failure, KeyRef, Route, RuleCheck, RuleSpec, StatusSpec};
use crate::report::{Check, Status};

/// The judge of a traffic rule; `None` for one that asks something else (alerts).
pub fn judge_for(rule: &RuleSpec) -> Option<Box<dyn Judge>> {
    Some(match &rule.check {
        RuleCheck::NoBlindRetry { route, after, read_back } => Box::new(NoBlindRetry {
            route: route.as_str().to_string(),
            after: after.clone(),
            read_back: read_back.iter().map(|r| r.as_str().to_string()).collect(),
            ..NoBlindRetry::default()
        }),
        RuleCheck::RetryAfter { routes } => Box::new(RetryAfter {
            routes: routes.iter().map(|r| r.as_str().to_string()).collect(),
            ..RetryAfter::default()
        }),
        RuleCheck::BoundedAuthRetries { max, statuses } => {
            Box::new(AuthRetries { max: *max, statuses: statuses.clone(), ..AuthRetries::default() })
        }
        RuleCheck::SameIdempotencyKey { route, key, after, required } => Box::new(SameKey {
            route: route.as_str().to_string(),
            key: key.clone(),
            after: after.clone(),
            required: *required,
            pending: None,
            failures: 0,
            sent: 0,
            found: Found::default(),
        }),
        RuleCheck::Handled { statuses } => Box::new(Handled {
            statuses: statuses.iter().map(|s| (*s, None)).collect(),
            next: vec![None; statuses.len()],
            last: None,
        }),
        RuleCheck::DistinctLogs { faults, mention } => {
            Box::new(DistinctLogs { faults: faults.clone(), mention: mention.clone(), seen: [None, None] })
        }
        RuleCheck::FollowUp { fault, then, never } => Box::new(FollowUp {
            fault: fault.clone(),
            then: then.iter().map(|r| r.as_str().to_string()).collect(),
            never: never.clone(),
            ..FollowUp::default()
        }),
        RuleCheck::Alerts { .. } => return None,
    })
}

/// Whether an exchange failed in one of these ways.
fn failed(x: &Exchange, after: &[Failure]) -> bool {
    after.iter().any(|f| match f {
        Failure::Dropped => x.ending == Ending::Dropped,
        Failure::Status(s) => x.status.is_some_and(|code| s.matches(code)),
    })
}

fn list(items: &[String]) -> String {
    items.join(", ")
}

/// Violations found, the first few kept with the exchanges they cite.
#[derive(Default)]
struct Found {
    messages: Vec<String>,
    cited: Vec<Exchange>,
    total: usize,
}

impl Found {
    fn add(&mut self, message: String, cite: &[&Exchange]) {
        self.total += 1;
        if self.messages.len() < CITED {
            self.messages.push(message);
            self.cited.extend(cite.iter().map(|x| (*x).clone()));
        }
    }

    fn verdict(self, name: &str, passed: impl FnOnce() -> Check) -> Verdict {
        if self.total == 0 {
            Verdict::of(vec![passed()], self.cited)
        } else {
            Verdict::of(violations(name, self.messages, self.total), self.cited)
        }
    }
}

#[derive(Default)]
struct NoBlindRetry {
    route: String,
    after: Vec<Failure>,
    read_back: Vec<String>,
    pending: Option<Exchange>,
    failures: Vec<u64>,
    sent: usize,
    found: Found,
}

impl Judge for NoBlindRetry {
    fn see(&mut self, x: &Exchange) {
        let key = x.route_key();
        if key == self.route {
            self.sent += 1;
            if let Some(p) = self.pending.take() {
                if x.at_ms >= p.done_ms {
                    let message = format!(
                        "{} was sent again as {} after {} got {}, with no read-back in between ({})",
                        self.route,
                        x.named(),
                        p.named(),
                        p.got(),
                        list(&self.read_back)
                    );
                    self.found.add(message, &[&p, x]);
                } else {
                    // Sent while the failed one was still open: no resend of it.
                    self.pending = Some(p);
                }
            }
            if failed(x, &self.after) {
                self.failures.push(x.seq);
                self.pending = Some(x.clone());
            }
        } else if self.read_back.contains(&key) && self.pending.as_ref().is_some_and(|p| x.at_ms >= p.done_ms) {
            self.pending = None;
        }
    }

    fn verdict(self: Box<Self>, _: &Context<'_>) -> Verdict {
        if self.failures.is_empty() {
            return Verdict::skip(format!(
                "no {} failed during the run ({} sent): nothing to judge; a fault plan with one (--faults all) makes it fail",
                self.route, self.sent
            ));
        }
        let (route, n, read_back) = (self.route.clone(), self.failures.len(), list(&self.read_back));
        self.found.verdict("no blind retry", || {
            Check::new(
                "no blind retry",
                Status::Pass,
                format!("after each of the {n} failed {route} the client read the state back ({read_back}) before any resend, or sent none"),
            )
        })
    }
}

#[derive(Default)]
struct RetryAfter {
    routes: Vec<String>,
    /// Per route: the answer that said Retry-After, and until when.
    waits: HashMap<String, (Exchange, f64)>,
    answers: usize,
    found: Found,
}

/// Seconds to wait, from a Retry-After value: delta-seconds or an HTTP date.
fn retry_after_secs(value: &str) -> Option<f64> {
    if let Ok(secs) = value.trim().parse::<u64>() {
        return Some(secs as f64);
    }
    let at = time::OffsetDateTime::parse(value.trim(), &time::format_description::well_known::Rfc2822).ok()?;
    Some((at - time::OffsetDateTime::now_utc()).as_seconds_f64().max(0.0))
}

impl Judge for RetryAfter {
    fn see(&mut self, x: &Exchange) {
        let key = x.route_key();
        if !self.routes.is_empty() && !self.routes.contains(&key) {
            return;
        }
        if let Some((answer, until)) = self.waits.get(&key)
            && x.at_ms >= answer.done_ms
        {
            if x.at_ms < *until {
                let message = format!(
                    "{} came {:.3} s after the answer to {} ({}) said Retry-After: {}",
                    x.named(),
                    (x.at_ms - answer.done_ms) / 1000.0,
                    answer.named(),
                    answer.got(),
                    answer.response.headers.get("retry-after").map_or("?", String::as_str)
                );
                let answer = answer.clone();
                self.found.add(message, &[&answer, x]);
            }
            self.waits.remove(&key);
        }
        if let Some(secs) = x.response.headers.get("retry-after").and_then(|v| retry_after_secs(v)) {
            self.answers += 1;
            self.waits.insert(key, (x.clone(), x.done_ms + secs * 1000.0));
        }
    }

    fn verdict(self: Box<Self>, _: &Context<'_>) -> Verdict {
        if self.answers == 0 {
            return Verdict::skip(
                "no answer carried Retry-After during the run: nothing to judge; a fault plan with a 429 (--faults rate-limits) makes one",
            );
        }
        let n = self.answers;
        self.found.verdict("retry-after", || {
            Check::new(
                "retry-after",
                Status::Pass,
                format!("after each of the {n} answers with Retry-After, the client waited at least that long before calling the route again"),
            )
        })
    }
}

#[derive(Default)]
struct AuthRetries {
    max: u32,
    statuses: Vec<u16>,
    /// Per route: the first answer of the current streak and its length.
    streaks: HashMap<String, (Exchange, u32)>,
    longest: u32,
    seen: usize,
    found: Found,
}

impl Judge for AuthRetries {
    fn see(&mut self, x: &Exchange) {
        let key = x.route_key();
        if !x.status.is_some_and(|s| self.statuses.contains(&s)) {
            self.streaks.remove(&key);
            return;
        }
        self.seen += 1;
        let streak = self.streaks.entry(key.clone()).or_insert_with(|| (x.clone(), 0));
        streak.1 += 1;
        self.longest = self.longest.max(streak.1);
        if streak.1 == self.max + 1 {
            let first = streak.0.clone();
            let message = format!(
                "{key} got {} answers of {} in a row, more than {}: from {} to {}",
                streak.1,
                self.statuses.iter().map(u16::to_string).collect::<Vec<_>>().join("/"),
                self.max,
                first.named(),
                x.named()
            );
            self.found.add(message, &[&first, x]);
        }
    }

    fn verdict(self: Box<Self>, _: &Context<'_>) -> Verdict {
        if self.seen == 0 {
            return Verdict::skip(
                "no request got 401 or 403 during the run: nothing to judge; --faults auth injects them",
            );
        }
        let (longest, max) = (self.longest, self.max);
        self.found.verdict("bounded auth retries", || {
            Check::new(
                "bounded auth retries",
                Status::Pass,
                format!("at most {longest} authentication failures in a row on one route (the bound is {max})"),
            )
        })
    }
}

struct SameKey {
    route: String,
    key: KeyRef,
    after: Vec<Failure>,
    required: bool,
    pending: Option<(Exchange, Option<String>)>,
    failures: usize,
    sent: usize,
    found: Found,
}

impl SameKey {
    fn key_of(&self, x: &Exchange) -> Option<String> {
        match &self.key {
            KeyRef::Body(f) => x.request.fields.get(f).filter(|v| !v.is_null()).map(|v| match v {
                serde_json::Value::String(s) => s.clone(),
                other => other.to_string(),
            }),
            KeyRef::Header(h) => x.request.headers.get(h).cloned(),
        }
    }

    fn key_name(&self) -> &str {
        match &self.key {
            KeyRef::Body(f) | KeyRef::Header(f) => f,
        }
    }
}

impl Judge for SameKey {
    fn see(&mut self, x: &Exchange) {
        if x.route_key() != self.route {
            return;
        }
        self.sent += 1;
        let key = self.key_of(x);
        if self.required && key.is_none() {
            let message = format!("{} carried no {}", x.named(), self.key_name());
            self.found.add(message, &[x]);
        }
        if let Some((p, pkey)) = self.pending.take() {
            if x.at_ms < p.done_ms {
                self.pending = Some((p, pkey));
            } else if pkey.is_some() && key != pkey {
                let message = format!(
                    "{} was resent as {} with {} {} after {} got {} with {}",
                    self.route,
                    x.named(),
                    self.key_name(),
                    key.as_deref().map_or("missing".to_string(), |k| format!("`{k}`")),
                    p.named(),
                    p.got(),
                    pkey.as_deref().map_or(String::new(), |k| format!("`{k}`"))
                );
                self.found.add(message, &[&p, x]);
            }
        }
        if failed(x, &self.after) {
            self.failures += 1;
            self.pending = Some((x.clone(), key));
        }
    }

    fn verdict(self: Box<Self>, _: &Context<'_>) -> Verdict {
        if self.sent == 0 {
            return Verdict::skip(format!("the command sent no {} during the run: nothing to judge", self.route));
        }
        let (route, key, sent, failures) = (self.route.clone(), self.key_name().to_string(), self.sent, self.failures);
        self.found.verdict("idempotency key", || {
            Check::new(
                "idempotency key",
                Status::Pass,
                format!("all {sent} {route} carried {key}, and each resend after the {failures} failures carried the failed request's"),
            )
        })
    }
}

struct Handled {
    /// Each status, with the first answer of it.
    statuses: Vec<(StatusSpec, Option<Exchange>)>,
    /// For each first answer above, the first request after it.
    next: Vec<Option<Exchange>>,
    last: Option<Exchange>,
}

impl Judge for Handled {
    fn see(&mut self, x: &Exchange) {
        for (i, (_, first)) in self.statuses.iter().enumerate() {
            if let Some(f) = first
                && self.next[i].is_none()
                && x.at_ms >= f.done_ms
                && x.seq != f.seq
            {
                self.next[i] = Some(x.clone());
            }
        }
        if let Some(code) = x.status.filter(|_| x.ending != Ending::Dropped) {
            for (spec, first) in &mut self.statuses {
                if first.is_none() && spec.matches(code) {
                    *first = Some(x.clone());
                }
            }
            if code >= 400 {
                self.last = Some(x.clone());
            }
        }
    }

    fn verdict(self: Box<Self>, ctx: &Context<'_>) -> Verdict {
        let mut cited: Vec<Exchange> = Vec::new();
        if let Some(end) = ctx.command.filter(|c| !c.success()) {
            let after = self
                .last
                .as_ref()
                .map_or_else(String::new, |l| format!(" after the last error it got: {} on {}", l.got(), l.named()));
            cited.extend(self.last.clone());
            return Verdict::of(vec![Check::new("handled", Status::Fail, format!("the command {end}{after}"))], cited);
        }
        let missing: Vec<String> =
            self.statuses.iter().filter(|(_, f)| f.is_none()).map(|(s, _)| s.to_string()).collect();
        if !missing.is_empty() {
            let hints: Vec<String> = ctx
                .plan
                .iter()
                .filter(|f| {
                    matches!(&f.action, crate::config::observe::FaultAction::Answer { status, .. }
                    if self.statuses.iter().any(|(s, first)| first.is_none() && s.matches(*status)))
                })
                .map(|f| ctx.not_fired(&f.id))
                .collect();
            let hints = if hints.is_empty() { String::new() } else { format!(" ({})", hints.join("; ")) };
            return Verdict::skip(format!(
                "the command never got {}: not every status was met{hints}",
                missing.join(", ")
            ));
        }
        let mut checks = Vec::new();
        for (i, (spec, first)) in self.statuses.iter().enumerate() {
            let Some(first) = first else { continue };
            let next = self.next.get(i).cloned().flatten();
            let (status, went_on) = match (&next, ctx.command) {
                (Some(n), _) => (Status::Pass, format!("the client went on with {}", n.named())),
                (None, Some(end)) => (Status::Pass, format!("it was the last request, and the command {end}")),
                (None, None) => (Status::Warn, "no request followed it while the front served".to_string()),
            };
            cited.push(first.clone());
            checks.push(Check::new(
                spec.to_string(),
                status,
                format!("{} got {}; {went_on}", first.named(), first.got()),
            ));
        }
        Verdict::of(checks, cited)
    }
}

struct DistinctLogs {
    faults: [String; 2],
    mention: Vec<String>,
    /// Per fault: its first exchange, and the log size when the next request arrived after its answer.
    seen: [Option<(Exchange, Option<u64>)>; 2],
}

impl Judge for DistinctLogs {
    fn see(&mut self, x: &Exchange) {
        for (fault, seen) in self.faults.iter().zip(self.seen.iter_mut()) {
            match seen {
                None if x.fault.as_ref() == Some(fault) => *seen = Some((x.clone(), None)),
                Some((first, end @ None)) if x.at_ms >= first.done_ms && x.seq != first.seq => {
                    *end = x.log.map(|[arrived, _]| arrived);
                }
                _ => {}
            }
        }
    }

    fn verdict(self: Box<Self>, ctx: &Context<'_>) -> Verdict {
        let Some(log) = ctx.log else {
            return Verdict::skip(
                "no log to read: name the command's log with --log FILE, or run a command (its output is read)",
            );
        };
        let mut reactions = Vec::new();
        for (fault, seen) in self.faults.iter().zip(self.seen) {
            let Some((x, end)) = seen else { return Verdict::skip(ctx.not_fired(fault)) };
            let Some([_, answered]) = x.log else { return Verdict::skip("the log was not measured during the run") };
            let lines = log.lines(answered, end);
            reactions.push((x, lines));
        }
        let quote = |lines: &[String]| {
            let shown: Vec<String> = lines.iter().take(3).map(|l| format!("`{}`", cut(l))).collect();
            shown.join(", ")
        };
        let cited: Vec<Exchange> = reactions.iter().map(|(x, _)| x.clone()).collect();
        let mut checks = Vec::new();
        for (x, lines) in &reactions {
            if lines.is_empty() {
                checks.push(Check::new(
                    "logged",
                    Status::Fail,
                    format!("nothing was written to {} after {} got {}", log.describe(), x.named(), x.got()),
                ));
            }
        }
        if !checks.is_empty() {
            return Verdict::of(checks, cited);
        }
        let [(a, la), (b, lb)] = [&reactions[0], &reactions[1]];
        let set = |lines: &[String]| lines.iter().map(|l| normalise(l)).collect::<std::collections::BTreeSet<_>>();
        if set(la) == set(lb) {
            checks.push(Check::new(
                "distinct",
                Status::Fail,
                format!(
                    "{} ({}) and {} ({}) led to the same lines in {}: {}",
                    a.named(),
                    a.got(),
                    b.named(),
                    b.got(),
                    log.describe(),
                    quote(la)
                ),
            ));
        } else {
            checks.push(Check::new(
                "distinct",
                Status::Pass,
                format!("{} led to {}; {} to {}", a.named(), quote(la), b.named(), quote(lb)),
            ));
        }
        if !self.mention.is_empty() {
            let named = la.iter().any(|l| {
                let l = l.to_lowercase();
                self.mention.iter().any(|m| l.contains(&m.to_lowercase()))
            });
            let status = if named { Status::Pass } else { Status::Fail };
            let what = if named { "name one of" } else { "name none of" };
            checks.push(Check::new(
                "named",
                status,
                format!("the lines after {} {what}: {}; they read {}", a.named(), self.mention.join(", "), quote(la)),
            ));
        }
        Verdict::of(checks, cited)
    }
}

/// A log line cut to 200 characters for a report.
fn cut(line: &str) -> String {
    if line.chars().count() > 200 {
        format!("{}…", line.chars().take(200).collect::<String>())
    } else {
        line.to_string()
    }
}

#[derive(Default)]
struct FollowUp {
    fault: String,
    then: Vec<String>,
    never: Vec<Route>,
    trigger: Option<Exchange>,
    followed: Option<Exchange>,
    found: Found,
}

impl Judge for FollowUp {
    fn see(&mut self, x: &Exchange) {
        let Some(trigger) = &self.trigger else {
            if x.fault.as_ref() == Some(&self.fault) {
                self.trigger = Some(x.clone());
            }
            return;
        };
        if x.at_ms < trigger.done_ms {
            return;
        }
        let key = x.route_key();
        if self.followed.is_none() && self.then.contains(&key) {
            self.followed = Some(x.clone());
        }
        if let Some(route) = self.never.iter().find(|r| r.as_str() == key) {
            let same = route.params().any(|name| {
                let value = |e: &Exchange| e.params.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone());
                value(x).is_some() && value(x) == value(trigger)
            });
            if same {
                let message = format!("{} came after {} got {}", x.named(), trigger.named(), trigger.got());
                let trigger = trigger.clone();
                self.found.add(message, &[&trigger, x]);
            }
        }
    }

    fn verdict(self: Box<Self>, ctx: &Context<'_>) -> Verdict {
        let Some(trigger) = self.trigger else { return Verdict::skip(ctx.not_fired(&self.fault)) };
        let mut checks = Vec::new();
        let mut cited = vec![trigger.clone()];
        if !self.then.is_empty() {
            checks.push(match &self.followed {
                Some(f) => {
                    cited.push(f.clone());
                    Check::new(
                        "followed",
                        Status::Pass,
                        format!("{} followed {} ({})", f.named(), trigger.named(), trigger.got()),
                    )
                }
                None => Check::new(
                    "followed",
                    Status::Fail,
                    format!(
                        "after {} got {}, the client never called {}",
                        trigger.named(),
                        trigger.got(),
                        list(&self.then)
                    ),
                ),
            });
        }
        let never: Vec<String> = self.never.iter().map(|r| r.as_str().to_string()).collect();
        let mut found = self.found;
        cited.append(&mut found.cited);
        if found.total == 0 {
            if !never.is_empty() {
                checks.push(Check::new(
                    "never",
                    Status::Pass,
                    format!(
                        "no {} for the same {} followed",
                        list(&never),
                        trigger.params.iter().map(|(k, v)| format!("{k} {v}")).collect::<Vec<_>>().join(", ")
                    ),
                ));
            }
        } else {
            checks.extend(violations("never", found.messages, found.total));
        }
        Verdict::of(checks, cited)
    }
}
