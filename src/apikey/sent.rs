//! What the key exchange tells about each request it sends, for the evidence:
//! method, real URL, status, masked headers, timing, error — never a body, as
//! the bodies hold the account secret and the new key.

use std::time::Instant;

/// One request of the exchange, as a trace may show it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SentRequest {
    /// The HTTP method.
    pub method: String,
    /// The URL the request went to (interpolated).
    pub url: String,
    /// Request headers, credentials masked.
    pub request_headers: Vec<(String, String)>,
    /// Why the request body is not shown, when there was one.
    pub request_body: Option<&'static str>,
    /// The answer's status, when there was an answer.
    pub status: Option<u16>,
    /// Response headers, credentials masked.
    pub response_headers: Vec<(String, String)>,
    /// Why the response body is not shown, when there was an answer.
    pub response_body: Option<&'static str>,
    /// Why the request failed, when it did.
    pub error: Option<String>,
    /// From sending to the end of the answer (or the failure).
    pub duration_ms: u64,
}

/// Where each request goes once answered or failed: called as soon as the
/// exchange has its record, so a run cut off later still holds every request
/// made before.
pub type Recorder<'a> = &'a (dyn Fn(SentRequest) + Sync);

/// Withheld bodies, with the reason.
pub const SECRET_BODY: &str = "[withheld: holds the account secret]";
/// The exchange's successful answer.
pub const KEY_BODY: &str = "[withheld: holds the permanent key]";
/// The exchange's refusal (partners echo what they were sent).
pub const REFUSAL_BODY: &str = "[withheld: may echo the account secret]";
/// The answer to the read with the new key: only its status matters.
pub const UNREAD_BODY: &str = "[withheld: not read; the status proves the new key]";

/// Response headers whose values are shown even when the answer holds the key.
const PLAIN_HEADERS: &[&str] = &[
    "content-type",
    "content-length",
    "date",
    "server",
    "connection",
    "transfer-encoding",
    "cache-control",
    "x-request-id",
    "request-id",
    "x-correlation-id",
];

/// A request on its way and what will be recorded of it.
pub(super) struct Sending {
    sent: SentRequest,
    started: Instant,
}

impl Sending {
    /// Starts timing `request` (its headers masked now).
    pub(super) fn start(request: &reqwest::Request, body: Option<&'static str>) -> Self {
        let sent = SentRequest {
            method: request.method().to_string(),
            url: request.url().to_string(),
            request_headers: crate::net::masked_headers(request.headers()),
            request_body: body,
            status: None,
            response_headers: Vec::new(),
            response_body: None,
            error: None,
            duration_ms: 0,
        };
        Sending { sent, started: Instant::now() }
    }

    /// Notes the answer's status and headers.
    pub(super) fn answered(&mut self, response: &reqwest::Response) {
        self.sent.status = Some(response.status().as_u16());
        self.sent.response_headers = crate::net::masked_headers(response.headers());
    }

    /// Notes the status and the header names of an answer that holds the
    /// permanent key: only the values of [`PLAIN_HEADERS`] are kept, as a
    /// partner could put the key in a header of its own.
    pub(super) fn answered_with_key(&mut self, response: &reqwest::Response) {
        self.answered(response);
        for (name, value) in &mut self.sent.response_headers {
            if !PLAIN_HEADERS.contains(&name.as_str()) {
                *value = crate::redact::MASK.to_string();
            }
        }
    }

    /// The record of the request: answered (with the note that replaces its body) or failed.
    pub(super) fn finish(mut self, outcome: Result<&'static str, String>) -> SentRequest {
        match outcome {
            Ok(body) => self.sent.response_body = Some(body),
            Err(why) => self.sent.error = Some(why),
        }
        self.sent.duration_ms = self.started.elapsed().as_millis() as u64;
        self.sent
    }
}
