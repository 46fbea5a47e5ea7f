//! What to send and what the answer must be: a request as a probe's
//! parameters write it, parsed once at build time.

use std::collections::BTreeMap;

use reqwest::header::{HeaderName, HeaderValue};
use secrecy::ExposeSecret;
use serde::Deserialize;

use crate::config::ApiKeyAuth;
use crate::probe::BuildContext;
use crate::probe::assert::{Assertion, RawAssertion};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Params {
    #[serde(default = "default_method")]
    method: String,
    url: String,
    #[serde(default)]
    headers: BTreeMap<String, String>,
    json: Option<toml::Value>,
    body: Option<String>,
    #[serde(default = "default_status")]
    expect_status: u16,
    #[serde(default = "default_true")]
    auth: bool,
    #[serde(default)]
    assert: Vec<RawAssertion>,
    /// The documented example of the answer (`fixtures/partners/<pack>/<contract>.json`),
    /// read by the contract tests; nothing at run time.
    #[allow(dead_code)]
    contract: Option<String>,
}

fn default_method() -> String {
    "GET".to_string()
}
fn default_status() -> u16 {
    200
}
fn default_true() -> bool {
    true
}

/// One HTTP request and what its answer must be: shared by `http` and `mtls`.
pub(crate) struct RequestSpec {
    pub(crate) method: reqwest::Method,
    pub(crate) url: reqwest::Url,
    pub(crate) headers: Vec<(HeaderName, HeaderValue)>,
    pub(crate) body: Option<(Vec<u8>, &'static str)>,
    pub(crate) expect_status: u16,
    pub(crate) auth: Option<ApiKeyAuth>,
    pub(crate) assertions: Vec<Assertion>,
    /// The pack's sensitive field names (`[masking] fields`).
    pub(crate) sensitive: Vec<String>,
}

/// The field names the pack declares sensitive (`[masking] fields`).
pub(crate) fn sensitive_fields(cx: &BuildContext<'_>) -> Vec<String> {
    cx.pack.masking.as_ref().map(|m| m.fields.clone()).unwrap_or_default()
}

impl RequestSpec {
    /// Parses request parameters: method, url, headers, json or body,
    /// expect_status, auth, assert.
    pub(crate) fn parse(params: toml::Table, cx: &BuildContext<'_>) -> Result<RequestSpec, String> {
        let p: Params = toml::Value::Table(params).try_into().map_err(|e: toml::de::Error| e.message().to_string())?;
        let method = reqwest::Method::from_bytes(p.method.to_uppercase().as_bytes())
            .map_err(|_| format!("`{}` is not an HTTP method", p.method))?;
        let url = reqwest::Url::parse(&p.url).map_err(|e| format!("invalid url `{}`: {e}", p.url))?;
        let headers = p
            .headers
            .iter()
            .map(|(k, v)| {
                let name = HeaderName::from_bytes(k.as_bytes()).map_err(|_| format!("`{k}` is not a header name"))?;
                let value = HeaderValue::from_str(v).map_err(|_| format!("header `{k}` has an invalid value"))?;
                Ok((name, value))
            })
            .collect::<Result<Vec<_>, String>>()?;
        let body = match (p.json, p.body) {
            (Some(_), Some(_)) => return Err("give either `json` or `body`, not both".to_string()),
            (Some(json), None) => Some((serde_json::to_vec(&json).map_err(|e| e.to_string())?, "application/json")),
            (None, Some(raw)) => Some((raw.into_bytes(), "text/plain")),
            (None, None) => None,
        };
        let assertions = p.assert.into_iter().map(Assertion::compile).collect::<Result<Vec<_>, _>>()?;
        Ok(RequestSpec {
            method,
            url,
            headers,
            body,
            expect_status: p.expect_status,
            auth: if p.auth { cx.pack.auth.clone() } else { None },
            assertions,
            sensitive: sensitive_fields(cx),
        })
    }
}

/// The API key header of a pack's auth scheme, marked sensitive so no debug
/// output shows it.
pub(crate) fn api_key_header(
    auth: Option<&ApiKeyAuth>,
    env: &crate::config::Environment,
) -> Option<(HeaderName, HeaderValue)> {
    let (auth, key) = (auth?, env.api_key.as_ref()?);
    let name = HeaderName::from_bytes(auth.header.as_bytes()).ok()?;
    let mut value = HeaderValue::from_str(&format!("{}{}", auth.prefix, key.value.expose_secret())).ok()?;
    value.set_sensitive(true);
    Some((name, value))
}
