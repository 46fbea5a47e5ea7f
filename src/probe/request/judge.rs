//! Judging an answer: the status, the code golive infers, then the pack's
//! assertions, each check marked with the fact it judged and weighed by its
//! basis ([`super::facts`]); the answer's shape is recorded on the way.

use super::facts::{Fact, about_access_or_health};
use crate::net;
use crate::probe::assert::{Answer, Assertion};
use crate::probe::masking::{Mask, mask_body};
use crate::report::{Check, Outcome, Status};
use crate::spec::ErrorClass;
use crate::spec::StatusExpect;

/// What an answer must be: its status (a code or class) and the facts behind it.
pub(crate) struct Expect<'a> {
    /// The request's number in its probe, for the answer's shape.
    pub(crate) step: usize,
    /// The request as the shape shows it (method and URL, captured values as `${name}`).
    pub(crate) request: String,
    /// The expected status.
    pub(crate) status: StatusExpect,
    /// The fact of the expected status.
    pub(crate) status_fact: &'a Fact,
    /// The exact code golive infers within `status` (`inferred_status`).
    pub(crate) inferred_status: Option<&'a (u16, Fact)>,
    /// The pack's assertions.
    pub(crate) assertions: &'a [Assertion],
    /// What to mask in excerpts of the body.
    pub(crate) mask: &'a Mask,
    /// `--strict-contract`: inferred facts are hard checks.
    pub(crate) strict: bool,
}

/// What the answer allows after it was judged.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Verdict {
    /// The status is what was expected (or differs from an inferred code
    /// within its class): the answer was judged and may be used.
    Usable,
    /// The status is wrong: a failure, nothing further judged.
    Unusable,
    /// The partner refused what golive inferred it would accept: a warning,
    /// and a flow cannot go on past it.
    Differs,
}

/// Judges an HTTP answer: the status check, then (when the answer is
/// usable) every assertion. Records the body for pack diagnoses and the
/// answer's shape.
pub(crate) fn judge(out: &mut Outcome, target: &str, answer: &Judged<'_>, expect: &Expect<'_>) -> Verdict {
    let Judged { url, status, headers, body, cut, vars, typed } = *answer;
    out.signals.http_status = Some(status);
    out.signals.url = Some(url.to_string());
    out.signals.headers = headers.to_vec();
    out.answered(status);
    out.fact("body_bytes", body.len());
    out.shapes.push(super::shape::of(expect.step, expect.request.clone(), status, headers, body));
    // What a reader sees of the body: masked by name and by path, from the whole answer.
    let shown = String::from_utf8_lossy(&mask_body(body, expect.mask)).into_owned();
    // Scrubbed whole before any cut: a secret cut in half would match nothing later.
    out.signals.body = Some(crate::redact::cut(&shown, 4096));
    let excerpt = crate::redact::cut(&shown, 200);
    let fact = expect.status_fact;
    let matched = expect.status.matches(status);
    let same_class = u16::from(expect.status.class()) == status / 100;
    let (verdict, held) = match (matched, fact.inferred()) {
        (true, _) => (Verdict::Usable, Some(true)),
        (false, false) => (Verdict::Unusable, Some(false)),
        (false, true) if about_access_or_health(status) => (Verdict::Unusable, None),
        (false, true) if same_class => (Verdict::Usable, Some(false)),
        (false, true) => (Verdict::Differs, Some(false)),
    };
    let message = if matched {
        format!("{target} answered {status}")
    } else if held.is_none() {
        format!(
            "{target} answered {status}, expected {}: {excerpt} (an answer about access, rate or the partner's health: a failure whatever golive inferred)",
            expect.status
        )
    } else {
        format!("{target} answered {status}, expected {}: {excerpt}", expect.status)
    };
    let mut check = Check::new("status", if matched { Status::Pass } else { Status::Fail }, message)
        .with_values(expect.status.to_string(), status.to_string())
        .classed(ErrorClass::HttpStatus);
    match (matched, held) {
        // An answer about access, rate or health: a failure whatever golive inferred.
        (false, None) => fact.attach(&mut check, None),
        _ => fact.mark(&mut check, held, expect.strict),
    }
    let verdict = match (verdict, check.status) {
        // Strict: a refused inference fails like any wrong status.
        (Verdict::Differs | Verdict::Usable, Status::Fail) => Verdict::Unusable,
        (v, _) => v,
    };
    out.check(check);
    if verdict != Verdict::Usable {
        // Assertions on an error body would only repeat the status finding.
        return verdict;
    }
    if let Some((code, guess)) = expect.inferred_status {
        let ok = *code == status;
        let message = if ok {
            format!("{target} answered {status}, the code golive inferred")
        } else {
            format!("{target} answered {status} where golive inferred {code}")
        };
        let mut check = Check::new("inferred status", if ok { Status::Pass } else { Status::Fail }, message)
            .with_values(code.to_string(), status.to_string())
            .classed(ErrorClass::HttpStatus);
        guess.mark(&mut check, Some(ok), expect.strict);
        let failed = check.status == Status::Fail;
        out.check(check);
        if failed {
            return Verdict::Unusable;
        }
    }
    let content_type =
        headers.iter().find(|(k, _)| k.eq_ignore_ascii_case("content-type")).map(|(_, v)| v.to_ascii_lowercase());
    let assertions = expect.assertions;
    if assertions.is_empty() && content_type.as_deref().is_some_and(|t| t.starts_with("text/html")) {
        // Nothing asserted, and an HTML page answered: a proxy, login or error
        // page with the right status passes no check of an API answer.
        out.check(Check::new(
            "content",
            Status::Warn,
            format!(
                "{target} answered {status} with an HTML page, not an API answer (a proxy, login or error page?): {excerpt}; add an `assert` to the probe to judge the answer"
            ),
        ));
    }
    if assertions.is_empty() {
        return Verdict::Usable;
    }
    let doc = serde_json::from_slice::<serde_json::Value>(body);
    if let (Err(e), true) = (&doc, assertions.iter().any(Assertion::needs_json)) {
        let why = if cut { format!("the body was cut at {} bytes", net::MAX_BODY_BYTES) } else { e.to_string() };
        // An HTML page where JSON was expected is a proxy, login or error page: say so.
        let content_type = content_type.map(|t| format!(", content type {t}")).unwrap_or_default();
        let mut check =
            Check::new("json", Status::Fail, format!("the body is not JSON ({why}{content_type}): {excerpt}"))
                .classed(ErrorClass::Body);
        // Weighed as the request's success is: where a page documents it, its
        // answer is the API's JSON, whatever golive infers about the fields.
        fact.mark(&mut check, None, expect.strict);
        out.check(check);
        return Verdict::Usable;
    }
    let answer = Answer { headers, body, json: doc.as_ref().ok() };
    for a in assertions {
        let judged = a.evaluate_typed(&answer, vars, typed);
        let mut check = judged.check;
        if let (Some(_), Some(f)) = (&judged.alternative, &a.fact) {
            // It holds only where the pack's alternative looks: the fact at its path does not.
            f.found_elsewhere(&mut check, expect.strict);
            out.check(check);
            continue;
        }
        let held = match (check.status, &judged.alternative, judged.absent) {
            (_, Some(_), _) => {
                check.status = Status::Fail;
                Some(false)
            }
            (_, None, true) => None,
            (Status::Pass, None, false) => Some(true),
            _ => Some(false),
        };
        match &a.fact {
            // Found where golive inferred it would be, with the wrong value: the
            // documented value does not hold, a failure however the place was known.
            Some(f) if judged.wrong_value && judged.alternative.is_none() => f.attach(&mut check, None),
            Some(f) => f.mark(&mut check, held, expect.strict),
            None => {}
        }
        out.check(check);
    }
    Verdict::Usable
}

/// An HTTP answer to judge.
#[derive(Clone, Copy)]
pub(crate) struct Judged<'a> {
    pub(crate) url: &'a str,
    pub(crate) status: u16,
    pub(crate) headers: &'a [(String, String)],
    pub(crate) body: &'a [u8],
    pub(crate) cut: bool,
    pub(crate) vars: &'a dyn Fn(&str) -> Option<String>,
    /// Captured values with their JSON types.
    pub(crate) typed: crate::probe::assert::Typed<'a>,
}

/// No captured values: for single-request kinds.
pub(crate) fn no_vars(_: &str) -> Option<String> {
    None
}
