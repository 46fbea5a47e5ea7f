//! A merchant's webhook receiver on loopback: checks deliveries with a
//! [`Verify`] (the demo's: PaymentsAI's scheme as its pages describe it, see
//! [`crate::paymentsai::Signature`]; golive's tests bring their own), or
//! misbehaves in one named way so the `webhook` probe's diagnoses can be shown.

use std::time::Duration;

use serde_json::json;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

/// The path deliveries are posted to.
pub const PATH: &str = "/webhooks/golive";

/// How a receiver checks a delivery.
pub trait Verify: Send + Sync + 'static {
    /// Whether `body` with `headers` is a genuine delivery; a receiver that ignores
    /// timestamps passes `check_timestamp = false`. The error says why not.
    fn verify(&self, headers: &http::HeaderMap, body: &[u8], check_timestamp: bool) -> Result<(), String>;

    /// The status a genuine delivery gets.
    fn ok_status(&self) -> u16;
}

/// A partner's verifier, as [`crate::partner::Running::webhook_verifier`] hands it.
impl Verify for Box<dyn Verify> {
    fn verify(&self, headers: &http::HeaderMap, body: &[u8], check_timestamp: bool) -> Result<(), String> {
        (**self).verify(headers, body, check_timestamp)
    }

    fn ok_status(&self) -> u16 {
        (**self).ok_status()
    }
}

/// How the receiver behaves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Behaviour {
    /// Verifies signature and timestamp: 200 (or the scheme's exact status) or 401.
    Verifying,
    /// Answers 200 to everything: the most dangerous receiver.
    Naive,
    /// Verifies the signature but ignores the timestamp.
    NoTimestampCheck,
    /// Verifies, but answers 204 to a valid delivery.
    Answers204,
    /// Never answers (holds every request for a minute).
    NeverAnswers,
    /// Redirects every delivery to the same path with a trailing slash.
    Redirects,
}

struct Receiver<V> {
    verifier: V,
    behaviour: Behaviour,
}

impl<V: Verify> Respond for Receiver<V> {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let ok_status = match self.behaviour {
            Behaviour::Naive => return ResponseTemplate::new(200).set_body_json(json!({"received": true})),
            Behaviour::NeverAnswers => return ResponseTemplate::new(200).set_delay(Duration::from_secs(60)),
            Behaviour::Redirects => {
                return ResponseTemplate::new(302).insert_header("Location", format!("{PATH}/").as_str());
            }
            Behaviour::Answers204 => 204,
            Behaviour::Verifying | Behaviour::NoTimestampCheck => self.verifier.ok_status(),
        };
        let check_timestamp = self.behaviour != Behaviour::NoTimestampCheck;
        match self.verifier.verify(&request.headers, &request.body, check_timestamp) {
            Ok(()) if ok_status == 204 => ResponseTemplate::new(204),
            Ok(()) => ResponseTemplate::new(ok_status).set_body_json(json!({"received": true})),
            Err(why) => ResponseTemplate::new(401).set_body_json(json!({"error": why})),
        }
    }
}

/// Starts a receiver on 127.0.0.1 with a random port; deliveries go to [`url`].
pub async fn start(verifier: impl Verify, behaviour: Behaviour) -> super::Wiremock {
    let server = super::Wiremock::start().await;
    Mock::given(method("POST")).and(path(PATH)).respond_with(Receiver { verifier, behaviour }).mount(&server).await;
    server
}

/// The URL a receiver takes deliveries at.
pub fn url(server: &MockServer) -> Result<reqwest::Url, String> {
    let text = format!("{}{PATH}", server.uri());
    reqwest::Url::parse(&text).map_err(|e| format!("the receiver's URL {text} is invalid: {e}"))
}
