//! Judging an answer: the status, then the pack's assertions.

use crate::net;
use crate::probe::assert::{Answer, Assertion};
use crate::report::{Check, Outcome, Status};

/// Judges an HTTP answer: the status check, then (when the status is right)
/// every JSON assertion. Records the body for pack diagnoses.
pub(crate) fn judge(
    out: &mut Outcome,
    target: &str,
    answer: &Judged<'_>,
    expect_status: u16,
    assertions: &[Assertion],
) {
    let Judged { url, status, headers, body, cut, vars, typed } = *answer;
    out.signals.http_status = Some(status);
    out.signals.url = Some(url.to_string());
    out.signals.headers = headers.to_vec();
    out.answered(status);
    out.fact("body_bytes", body.len());
    let text = String::from_utf8_lossy(body).into_owned();
    // Scrubbed whole before any cut: a secret cut in half would match nothing later.
    out.signals.body = Some(crate::redact::cut(&text, 4096));
    let excerpt = crate::redact::cut(&text, 200);
    let status_ok = status == expect_status;
    let message = if status_ok {
        format!("{target} answered {status}")
    } else {
        format!("{target} answered {status}, expected {expect_status}: {excerpt}")
    };
    out.check(
        Check::new("status", if status_ok { Status::Pass } else { Status::Fail }, message)
            .with_values(expect_status.to_string(), status.to_string()),
    );
    let content_type =
        headers.iter().find(|(k, _)| k.eq_ignore_ascii_case("content-type")).map(|(_, v)| v.to_ascii_lowercase());
    if assertions.is_empty() && status_ok && content_type.as_deref().is_some_and(|t| t.starts_with("text/html")) {
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
    if assertions.is_empty() || !status_ok {
        // Assertions on an error body would only repeat the status finding.
        return;
    }
    let doc = serde_json::from_slice::<serde_json::Value>(body);
    if let (Err(e), true) = (&doc, assertions.iter().any(Assertion::needs_json)) {
        let why = if cut { format!("the body was cut at {} bytes", net::MAX_BODY_BYTES) } else { e.to_string() };
        // An HTML page where JSON was expected is a proxy, login or error page: say so.
        let content_type = content_type.map(|t| format!(", content type {t}")).unwrap_or_default();
        out.check(Check::new("json", Status::Fail, format!("the body is not JSON ({why}{content_type}): {excerpt}")));
        return;
    }
    let answer = Answer { headers, body, json: doc.as_ref().ok() };
    for a in assertions {
        out.check(a.check_typed(&answer, vars, typed));
    }
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
