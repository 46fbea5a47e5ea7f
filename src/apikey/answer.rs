//! The accepted exchange's answer: its raw form on disk (status line, headers,
//! a blank line, the body, as `curl -i` shows it) and where the key is in it.
//!
//! Extraction tries the pack's `key_path`/`key_id_path`, then each of its
//! `alternative_paths` in order; nothing here knows a partner. No message
//! built here holds a value from the answer: they name paths, sizes and kinds.

use serde_json::Value;
use serde_json_path::JsonPath;

use crate::spec::ExchangeSpec;

/// Where the key was found (and, inside this module's parent only, the key).
#[derive(Clone, PartialEq, Eq)]
pub struct Found {
    /// The `apiKey` part.
    pub(super) api_key: String,
    /// The `apiKeyId` part.
    pub(super) api_key_id: String,
    /// The two JSONPaths that matched, e.g. `$.data.apiKey and $.data.apiKeyId`.
    pub at: String,
    /// Whether they are the pack's `key_path`/`key_id_path` (not an alternative).
    pub configured: bool,
}

impl Found {
    /// What in the key or its id is not printable text (a control character
    /// such as ESC, CR or LF, which a terminal would act on and no HTTP header
    /// can carry), named without the value; `None` when all is printable.
    pub(super) fn unprintable(&self) -> Option<&'static str> {
        let chars = self.api_key.chars().chain(self.api_key_id.chars());
        chars
            .filter(|c| c.is_control())
            .map(|c| match c {
                '\u{1b}' => "an escape character (ESC)",
                '\r' | '\n' => "a line break (CR or LF)",
                _ => "a control character",
            })
            .next()
    }
}

/// Shows where the key was found, never the key.
impl std::fmt::Debug for Found {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Found").field("at", &self.at).field("configured", &self.configured).finish_non_exhaustive()
    }
}

/// The answer as an HTTP message: status line, headers, blank line, body.
pub(super) fn raw(response: &reqwest::Response, body: &[u8]) -> Vec<u8> {
    let mut out = format!("{:?} {}\r\n", response.version(), response.status()).into_bytes();
    for (name, value) in response.headers() {
        out.extend_from_slice(name.as_str().as_bytes());
        out.extend_from_slice(b": ");
        out.extend_from_slice(value.as_bytes());
        out.extend_from_slice(b"\r\n");
    }
    out.extend_from_slice(b"\r\n");
    out.extend_from_slice(body);
    out
}

/// Every path pair the pack knows, the configured one first.
fn pairs(spec: &ExchangeSpec) -> impl Iterator<Item = (&str, &str, bool)> {
    std::iter::once((spec.key_path.as_str(), spec.key_id_path.as_str(), true))
        .chain(spec.alternative_paths.iter().map(|p| (p.key_path.as_str(), p.key_id_path.as_str(), false)))
}

/// The first value at `path`, as text: a non-empty string or a number.
fn value_at(doc: &Value, path: &str) -> Result<Option<String>, String> {
    let p = JsonPath::parse(path).map_err(|e| format!("the pack's JSONPath `{path}` is invalid: {e}"))?;
    Ok(match p.query(doc).first() {
        Some(Value::String(s)) if !s.trim().is_empty() => Some(s.trim().to_string()),
        Some(Value::Number(n)) => Some(n.to_string()),
        _ => None,
    })
}

/// The key and its id in the answer's body; the error says why not, without
/// any of the body's values.
pub fn extract(body: &[u8], spec: &ExchangeSpec) -> Result<Found, String> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Err("its body is empty".into());
    }
    let doc: Value =
        serde_json::from_slice(body).map_err(|_| format!("its body is not JSON ({} bytes)", body.len()))?;
    let mut tried = Vec::new();
    for (key_path, key_id_path, configured) in pairs(spec) {
        if let (Some(api_key), Some(api_key_id)) = (value_at(&doc, key_path)?, value_at(&doc, key_id_path)?) {
            return Ok(Found { api_key, api_key_id, at: format!("{key_path} and {key_id_path}"), configured });
        }
        tried.push(format!("{key_path} and {key_id_path}"));
    }
    let kind = match doc {
        Value::Object(_) => "a JSON object",
        Value::Array(_) => "a JSON array",
        Value::String(_) => "a JSON string",
        _ => "a JSON scalar",
    };
    Err(format!("its body is {kind} with no key at any path the pack knows ({})", tried.join("; ")))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A key exchange with a flat answer and one documented alternative in a `data` envelope.
    fn spec() -> ExchangeSpec {
        toml::from_str(
            r#"
            url = "https://api.example.test/accounts/${account_id}"
            header = "Authorization"
            secret_field = "secret"
            key_path = "$.apiKey"
            key_id_path = "$.apiKeyId"
            alternative_paths = [{ key_path = "$.data.apiKey", key_id_path = "$.data.apiKeyId" }]
            credential = "{account_id}_{api_key}_{api_key_id}"
            verify_url = "https://api.example.test/read"
            inputs = { account = "account_id", temporal_key = "temporal_api_key", secret = "account_secret", key_file = "permanent_key_file" }
            "#,
        )
        .expect("an exchange spec")
    }

    #[test]
    fn the_configured_paths_then_the_documented_alternatives() {
        let flat = extract(br#"{"apiKey":"k_1","apiKeyId":"kid_1","accountId":"acc"}"#, &spec()).expect("flat");
        assert_eq!((flat.api_key.as_str(), flat.api_key_id.as_str(), flat.configured), ("k_1", "kid_1", true));
        let wrapped = extract(br#"{"type":"object","data":{"apiKey":"k_2","apiKeyId":7}}"#, &spec()).expect("data");
        assert_eq!((wrapped.api_key.as_str(), wrapped.api_key_id.as_str()), ("k_2", "7"));
        assert!(!wrapped.configured && wrapped.at.contains("$.data.apiKey"), "{wrapped:?}");
        assert!(!format!("{wrapped:?}").contains("k_2"), "Debug never shows the key");
    }

    #[test]
    fn every_failure_names_no_value() {
        let canary = "CANARY-key-in-an-odd-place";
        let cases: [(&[u8], &str); 5] = [
            (b"", "its body is empty"),
            (b" \n", "its body is empty"),
            (b"<html>CANARY-key-in-an-odd-place</html>", "its body is not JSON (39 bytes)"),
            (br#"{"key":"CANARY-key-in-an-odd-place","id":"x"}"#, "its body is a JSON object with no key"),
            (br#"{"apiKey":"CANARY-key-in-an-odd-place"}"#, "its body is a JSON object with no key"),
        ];
        for (body, want) in cases {
            let why = extract(body, &spec()).expect_err("no key");
            assert!(why.starts_with(want), "{why}");
            assert!(!why.contains(canary), "{why}");
        }
    }
}
