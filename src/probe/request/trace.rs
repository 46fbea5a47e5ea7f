//! One HTTP exchange as the evidence trace records it.

use crate::probe::ProbeContext;
use crate::probe::masking::{Mask, mask_body};
use crate::report::Phase;

/// One HTTP exchange as the evidence trace records it.
pub(crate) struct Exchange<'a> {
    pub(crate) method: &'a str,
    pub(crate) url: &'a str,
    pub(crate) request_headers: Vec<(String, String)>,
    pub(crate) request_body: Option<&'a [u8]>,
    pub(crate) status: Option<u16>,
    pub(crate) response_headers: Vec<(String, String)>,
    pub(crate) response_body: Option<&'a [u8]>,
    pub(crate) error: Option<String>,
    pub(crate) duration_ms: u64,
    /// The phases the probe timed for this request (e.g. request, body).
    pub(crate) phases: Vec<Phase>,
    /// What the pack (and the request) mask, in both bodies.
    pub(crate) mask: &'a Mask,
}

/// Records an exchange in the probe's trace (sensitive fields masked, then
/// bodies bounded to 64 Ki characters of text).
///
/// Masking comes first: a JSON body cut short no longer parses, and the
/// pack's masked paths would not apply to it.
pub(crate) fn trace_exchange(cx: &ProbeContext, x: Exchange<'_>) {
    const MAX_CHARS: usize = 64 * 1024;
    if !cx.trace.is_on() {
        return;
    }
    let text =
        |b: Option<&[u8]>| b.map(|b| crate::redact::cut(&String::from_utf8_lossy(&mask_body(b, x.mask)), MAX_CHARS));
    cx.trace.record(
        "http",
        serde_json::json!({
            "method": x.method,
            "url": x.url,
            "request": { "headers": x.request_headers, "body": text(x.request_body) },
            "response": x.status.map(|s| serde_json::json!({
                "status": s,
                "headers": x.response_headers,
                "body": text(x.response_body),
            })),
            "error": x.error,
            "duration_ms": x.duration_ms,
            "phases": x.phases,
        }),
    );
}
