//! What to send and what the answer must be: a request as a probe's
//! parameters write it, parsed once at build time.

use reqwest::header::{HeaderName, HeaderValue};
use secrecy::ExposeSecret;

use super::facts::{Bases, Fact};
use super::raw::RawRequest;
use crate::config::ApiKeyAuth;
use crate::probe::BuildContext;
use crate::probe::assert::{Assertion, RawAssertion};
use crate::probe::masking::Mask;
use crate::spec::basis::{Basis, FactBasis, RawBasis, StatusExpect};

/// A request's expected status and the facts behind it, parsed from
/// `expect_status` and `inferred_status` (see `config::facts`).
#[derive(Debug, Clone)]
pub(crate) struct StatusFacts {
    /// The expected status.
    pub(crate) expect: StatusExpect,
    /// Its fact.
    pub(crate) fact: Fact,
    /// The exact code golive infers within it.
    pub(crate) inferred: Option<(u16, Fact)>,
}

impl StatusFacts {
    /// Parses the two keys for request `bases.step`.
    pub(crate) fn parse(
        expect_status: Option<&toml::Value>,
        inferred_status: Option<&toml::Value>,
        bases: &Bases,
    ) -> Result<StatusFacts, String> {
        let (expect, own) = match expect_status {
            None => (StatusExpect::default(), RawBasis::default()),
            Some(toml::Value::Table(t)) => {
                let is = t
                    .get("is")
                    .ok_or("`expect_status` as a table needs `is`, e.g. { is = \"2xx\", source = \"https://...\" }")?;
                (StatusExpect::parse(is)?, RawBasis::from_table(t)?)
            }
            Some(v) => (StatusExpect::parse(v)?, RawBasis::default()),
        };
        let fact = bases.fact("status", &own, None).map_err(|e| format!("expect_status: {e}"))?;
        let inferred = inferred_status
            .map(|v| -> Result<(u16, Fact), String> {
                let (code, why) =
                    crate::config::facts::inferred_status(v).map_err(|e| format!("inferred_status: {e}"))?;
                if !expect.matches(code) {
                    return Err(format!("inferred_status {code} is not a {expect} answer: it refines expect_status"));
                }
                let basis = FactBasis { basis: Basis::Inferred, source: None, why: Some(why) };
                let id = crate::spec::basis::fact_id(bases.step, "inferred_status");
                Ok((code, Fact { id, basis, at: bases.at("inferred_status") }))
            })
            .transpose()?;
        Ok(StatusFacts { expect, fact, inferred })
    }
}

/// The assertions of request `bases.step`, each with its fact (`assert.N`)
/// under `parent` (a poll's basis) or the request's.
pub(crate) fn assertions_with_facts(
    raw: Vec<RawAssertion>,
    slot: &str,
    bases: &Bases,
    parent: Option<&FactBasis>,
) -> Result<Vec<Assertion>, String> {
    raw.into_iter()
        .enumerate()
        .map(|(i, r)| {
            let own = r.raw_basis();
            let mut a = Assertion::compile(r)?;
            a.fact = Some(bases.fact(&format!("{slot}.{}", i + 1), &own, parent)?);
            Ok(a)
        })
        .collect()
}

/// One HTTP request and what its answer must be: shared by `http` and `mtls`.
pub(crate) struct RequestSpec {
    pub(crate) method: reqwest::Method,
    pub(crate) url: reqwest::Url,
    pub(crate) headers: Vec<(HeaderName, HeaderValue)>,
    pub(crate) body: Option<(Vec<u8>, &'static str)>,
    pub(crate) status: StatusFacts,
    pub(crate) auth: Option<ApiKeyAuth>,
    pub(crate) assertions: Vec<Assertion>,
    /// What to mask: the pack's `[masking]` and the request's own `mask`.
    pub(crate) mask: Mask,
}

/// Where the pack declares this probe and its requests (empty when the pack
/// does not hold the probe's id).
pub(crate) fn probe_lines(cx: &BuildContext<'_>) -> std::sync::Arc<crate::config::positions::ProbeLines> {
    cx.pack.probes.iter().find(|p| p.id == cx.id).map(|p| p.lines.clone()).unwrap_or_default()
}

impl RequestSpec {
    /// What an answer to this request must be, for [`super::judge`].
    pub(crate) fn expect(&self, strict: bool) -> super::judge::Expect<'_> {
        super::judge::Expect {
            step: 1,
            request: format!("{} {}", self.method, self.url),
            status: self.status.expect,
            status_fact: &self.status.fact,
            inferred_status: self.status.inferred.as_ref(),
            assertions: &self.assertions,
            mask: &self.mask,
            strict,
        }
    }
}

/// What the pack masks in every answer (`[masking] fields` and `paths`).
pub(crate) fn pack_mask(cx: &BuildContext<'_>) -> Result<Mask, String> {
    let Some(m) = cx.pack.masking.as_ref() else { return Ok(Mask::default()) };
    Mask::fields(m.fields.clone()).with_paths(&m.paths)
}

/// The text a fact with no basis is held as documented by: the pack file.
pub(crate) fn pack_file(cx: &BuildContext<'_>) -> String {
    cx.pack.source.path.display().to_string()
}

impl RequestSpec {
    /// Parses the one request of a probe ([`RawRequest::single`]: a step
    /// without the step keys): method, url, headers, json or body,
    /// expect_status, inferred_status, auth, assert, the basis keys, mask.
    pub(crate) fn parse(params: toml::Table, cx: &BuildContext<'_>) -> Result<RequestSpec, String> {
        let p = RawRequest::single(params)?;
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
        let raw_basis = RawBasis { source: p.source, basis: p.basis, why: p.why };
        let bases = Bases::new(1, &raw_basis, &pack_file(cx), probe_lines(cx).step(1))?;
        let status = StatusFacts::parse(p.expect_status.as_ref(), p.inferred_status.as_ref(), &bases)?;
        let assertions = assertions_with_facts(p.assert, "assert", &bases, None)?;
        Ok(RequestSpec {
            method,
            url,
            headers,
            body,
            status,
            auth: if p.auth { cx.pack.auth.clone() } else { None },
            assertions,
            mask: pack_mask(cx)?.with_paths(&p.mask)?,
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
