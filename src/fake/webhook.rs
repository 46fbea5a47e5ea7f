//! A merchant's webhook receiver on loopback: verifies deliveries with
//! [`crate::webhook::verify`] (the same code `golive webhook verify` uses), or
//! misbehaves in one named way so the `webhook` probe's diagnoses can be shown.

use std::time::Duration;

use secrecy::SecretString;
use serde_json::json;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

use crate::webhook::{Key, Scheme, sign, verify};

/// The path deliveries are posted to.
pub const PATH: &str = "/webhooks/golive";

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

struct Receiver {
    scheme: Scheme,
    key: Key,
    behaviour: Behaviour,
}

impl Respond for Receiver {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let ok_status = match self.behaviour {
            Behaviour::Naive => return ResponseTemplate::new(200).set_body_json(json!({"received": true})),
            Behaviour::NeverAnswers => return ResponseTemplate::new(200).set_delay(Duration::from_secs(60)),
            Behaviour::Redirects => {
                return ResponseTemplate::new(302).insert_header("Location", format!("{PATH}/").as_str());
            }
            Behaviour::Answers204 => 204,
            Behaviour::Verifying | Behaviour::NoTimestampCheck => self.scheme.expect_status.unwrap_or(200),
        };
        let scheme = match self.behaviour {
            Behaviour::NoTimestampCheck => self.scheme.without_timestamp_check(),
            _ => self.scheme.clone(),
        };
        match verify::verify(&scheme, &self.key, &request.headers, &request.body, sign::now()) {
            Ok(_) if ok_status == 204 => ResponseTemplate::new(204),
            Ok(_) => ResponseTemplate::new(ok_status).set_body_json(json!({"received": true})),
            Err(why) => ResponseTemplate::new(401).set_body_json(json!({"error": why.to_string()})),
        }
    }
}

/// Starts a receiver on 127.0.0.1 with a random port; deliveries go to [`url`].
pub async fn start(scheme: &Scheme, secret: &SecretString, behaviour: Behaviour) -> Result<super::Wiremock, String> {
    let key = Key::from_secret(scheme, secret)?;
    let server = super::Wiremock::start().await;
    Mock::given(method("POST"))
        .and(path(PATH))
        .respond_with(Receiver { scheme: scheme.clone(), key, behaviour })
        .mount(&server)
        .await;
    Ok(server)
}

/// The URL a receiver takes deliveries at.
pub fn url(server: &MockServer) -> Result<reqwest::Url, String> {
    let text = format!("{}{PATH}", server.uri());
    reqwest::Url::parse(&text).map_err(|e| format!("the receiver's URL {text} is invalid: {e}"))
}
