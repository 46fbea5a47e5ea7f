//! The request shape: [`RawRequest`], a request as a pack writes it, declared
//! and parsed once for every kind that sends one. A step of an `http` probe
//! is a `RawRequest`; the one request of an `mtls` or `apikey` probe is a
//! `RawRequest` without the step keys ([`FLOW_ONLY`]: captures, polls, names,
//! ...), which [`RawRequest::single`] refuses by name and [`RequestParams`]
//! (its JSON Schema) leaves out, so both uses read one declaration.
//! Compiling a step is `probe::flow`'s, a single request
//! [`super::RequestSpec::parse`]'s.

use std::collections::BTreeMap;

use serde::Deserialize;
use serde::de::{DeserializeOwned, Error as _, Visitor};

use crate::probe::assert::RawAssertion;
use crate::spec::Basis;

/// The keys of [`RawRequest`] only a step of an `http` probe may use: what
/// ties a request to the others of a flow (names, captures, polls, states,
/// resuming, cleanup, `after`) and a body from an input file.
pub const FLOW_ONLY: &[&str] =
    &["name", "capture", "poll", "track", "mutating", "on_resume", "on_failure", "after", "json_input"];

/// A request as a pack writes it: a step of an `http` probe (or its one
/// request), or the one request of an `mtls` or `apikey` probe, which takes
/// no step-only keys.
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "Step")]
pub struct RawRequest {
    /// The step's name in reports (default `METHOD /path`); `after` names a step by it.
    pub(crate) name: Option<String>,
    /// The HTTP method (default GET).
    #[serde(default = "get")]
    pub(crate) method: String,
    /// The URL, e.g. "${base_url}/cardholders".
    pub(crate) url: String,
    /// Request headers.
    #[serde(default)]
    pub(crate) headers: BTreeMap<String, String>,
    /// A JSON body, written as TOML (a whole `"${id}"` keeps a captured value's type).
    #[schemars(with = "Option<serde_json::Value>")]
    pub(crate) json: Option<toml::Value>,
    /// A raw body.
    pub(crate) body: Option<String>,
    /// The request body: the JSON file named by the environment's path input
    /// of this name (a real identity kept out of the pack and of golive.toml);
    /// the trace records that it was sent, not what it holds.
    pub(crate) json_input: Option<String>,
    /// A code (200), a class ("2xx"), or `{ is = ..., source | basis + why }`.
    /// Default "2xx": an exact code is a partner fact that needs a page.
    #[schemars(with = "Option<serde_json::Value>")]
    pub(crate) expect_status: Option<toml::Value>,
    /// The exact code golive infers within `expect_status`, `{ code, why }`:
    /// another code of the class warns (fails with --strict-contract).
    #[schemars(with = "Option<serde_json::Value>")]
    pub(crate) inferred_status: Option<toml::Value>,
    /// Whether the request carries the pack's `[auth]` API key (default true).
    #[serde(default = "yes")]
    pub(crate) auth: bool,
    /// What the answer must hold.
    #[serde(default)]
    pub(crate) assert: Vec<RawAssertion>,
    /// Values the answer gives the later steps, by name (`${name}`).
    #[serde(default)]
    pub(crate) capture: BTreeMap<String, RawCapture>,
    /// Send the step again until a condition holds.
    pub(crate) poll: Option<RawPoll>,
    /// A state of an entity the answer shows, recorded for the evidence.
    pub(crate) track: Option<RawTrack>,
    /// The step creates or changes data; its name says so in every report, and
    /// the pack refuses it in a probe not tagged `mutating`.
    #[serde(default)]
    pub(crate) mutating: bool,
    /// The documented example of this request's answer,
    /// `fixtures/partners/<pack>/<contract>.json`: the contract tests check the
    /// request's assertions and captures against it. Nothing at run time.
    #[allow(dead_code)]
    pub(crate) contract: Option<String>,
    /// `"skip"`: not sent when the probe resumes with values remembered from
    /// an earlier run (`resume = [...]`), e.g. creating what already exists.
    pub(crate) on_resume: Option<OnResume>,
    /// For a cleanup step: what is left behind when it fails, e.g. "the test
    /// card ${cardId} is left active". A failed cleanup fails the probe.
    pub(crate) on_failure: Option<String>,
    /// The name of an earlier step whose effect this one checks or undoes: it
    /// runs only when that step was sent and not refused (a card never
    /// activated is not put On Hold).
    pub(crate) after: Option<String>,
    /// The page that documents the request's facts.
    pub(crate) source: Option<String>,
    /// `"inferred"` (with `why`) or `"documented"` (with `source`).
    pub(crate) basis: Option<Basis>,
    /// From what golive infers the request's facts, in one line.
    pub(crate) why: Option<String>,
    /// JSONPaths masked in this answer only (besides the pack's `[masking]`).
    #[serde(default)]
    pub(crate) mask: Vec<String>,
}

/// What a step does when its probe resumes from remembered values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub(crate) enum OnResume {
    /// The step is not sent.
    Skip,
}

fn get() -> String {
    "GET".into()
}
fn yes() -> bool {
    true
}

/// Where a captured value comes from: a JSONPath, or a table with a path
/// (and its alternatives), a header, or a regex group on the body.
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(untagged)]
#[schemars(rename = "Capture")]
pub(crate) enum RawCapture {
    Path(String),
    From(CaptureFrom),
}

#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct CaptureFrom {
    pub(crate) path: Option<String>,
    /// Other JSONPaths tried in order when `path` finds nothing.
    #[serde(default)]
    pub(crate) alternatives: Vec<String>,
    pub(crate) header: Option<String>,
    pub(crate) regex: Option<String>,
    /// The site path of the first link whose text matches (`crate::probe::links`).
    pub(crate) link: Option<String>,
    /// `"integer"`: the value is kept as the integer it spells (a string of
    /// digits becomes that number), for a later request whose page types it so.
    #[serde(rename = "as")]
    pub(crate) as_type: Option<CaptureAs>,
    pub(crate) source: Option<String>,
    pub(crate) basis: Option<Basis>,
    pub(crate) why: Option<String>,
}

/// What a captured value is kept as.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "lowercase")]
pub(crate) enum CaptureAs {
    /// A whole number: an integer, or a string of 1 to 19 digits.
    Integer,
}

/// Repeat the step until `until` holds, at most `attempts` times.
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "Poll")]
pub(crate) struct RawPoll {
    #[serde(default = "every")]
    pub(crate) every: String,
    pub(crate) attempts: u32,
    pub(crate) until: Vec<RawAssertion>,
    /// Stop at once, failing, when any of these holds (e.g. a declined
    /// status). An inferred one does not stop the poll: the state is noted,
    /// and only a poll that ends in it warns.
    #[serde(default)]
    pub(crate) fail_if: Vec<RawAssertion>,
    /// The condition may take longer than a run (a person reviews a document):
    /// running out of attempts is "pending" (a warning) with this explanation,
    /// not a failure, and the probe's `resume` values are kept.
    pub(crate) pending: Option<String>,
    pub(crate) source: Option<String>,
    pub(crate) basis: Option<Basis>,
    pub(crate) why: Option<String>,
}

fn every() -> String {
    "500ms".into()
}

/// Record the value at `path` as the state of `entity` (for the evidence).
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "Track")]
pub(crate) struct RawTrack {
    pub(crate) entity: String,
    pub(crate) path: String,
}

impl RawRequest {
    /// Parses the one request of a probe that sends one (`mtls`, `apikey`):
    /// a step's keys but those of [`FLOW_ONLY`], each refused by name.
    pub(crate) fn single(params: toml::Table) -> Result<RawRequest, String> {
        let keys = keys_of::<RawRequest>();
        for key in params.keys() {
            if FLOW_ONLY.contains(&key.as_str()) {
                return Err(format!(
                    "`{key}` belongs to the steps of a `kind = \"http\"` probe: this probe sends one request, \
which takes no step keys ({})",
                    FLOW_ONLY.join(", ")
                ));
            }
            if !keys.contains(&key.as_str()) {
                let expected: Vec<String> =
                    keys.iter().filter(|k| !FLOW_ONLY.contains(k)).map(|k| format!("`{k}`")).collect();
                return Err(format!("unknown field `{key}`, expected one of {}", expected.join(", ")));
            }
        }
        toml::Value::Table(params).try_into().map_err(|e: toml::de::Error| e.message().to_string())
    }
}

/// The keys serde reads for `T`: the field list its derived `Deserialize`
/// hands to `deserialize_struct`, so the declaration stays the one list.
fn keys_of<T: DeserializeOwned>() -> &'static [&'static str] {
    /// A deserializer that only notes the fields it is asked for.
    struct Keys<'a>(&'a mut &'static [&'static str]);

    impl<'de> serde::Deserializer<'de> for Keys<'_> {
        type Error = serde::de::value::Error;

        fn deserialize_any<V: Visitor<'de>>(self, _: V) -> Result<V::Value, Self::Error> {
            Err(Self::Error::custom("only a struct's keys are read"))
        }

        fn deserialize_struct<V: Visitor<'de>>(
            self,
            _: &'static str,
            fields: &'static [&'static str],
            _: V,
        ) -> Result<V::Value, Self::Error> {
            *self.0 = fields;
            Err(Self::Error::custom("only the keys are read"))
        }

        serde::forward_to_deserialize_any! {
            bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf option
            unit unit_struct newtype_struct seq tuple tuple_struct map enum identifier ignored_any
        }
    }

    let mut keys: &'static [&'static str] = &[];
    // The error is the point: the deserializer stops once it has the keys.
    let _ = T::deserialize(Keys(&mut keys));
    keys
}

/// The JSON Schema of one request (`mtls`, `apikey`): [`RawRequest`]'s
/// without the [`FLOW_ONLY`] keys, derived from it so the two cannot differ.
pub(crate) struct RequestParams;

impl schemars::JsonSchema for RequestParams {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "RequestParams".into()
    }

    fn json_schema(g: &mut schemars::SchemaGenerator) -> schemars::Schema {
        let mut schema = RawRequest::json_schema(g);
        if let Some(properties) = schema.get_mut("properties").and_then(serde_json::Value::as_object_mut) {
            properties.retain(|k, _| !FLOW_ONLY.contains(&k.as_str()));
        }
        schema.insert("description".into(), "One request: a step's keys without the step-only ones.".into());
        schema
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table(text: &str) -> toml::Table {
        toml::from_str(text).expect("toml")
    }

    /// Every step-only key in the one request of `mtls` or `apikey` is
    /// refused by name, saying where it belongs; the request keys parse.
    #[test]
    fn a_single_request_refuses_each_step_key_by_name() {
        for key in FLOW_ONLY {
            let mut params = table("url = \"https://192.0.2.1/x\"");
            params.insert(key.to_string(), toml::Value::String("x".into()));
            let err = RawRequest::single(params).expect_err(key);
            assert!(err.starts_with(&format!("`{key}` belongs to the steps of a `kind = \"http\"` probe")), "{err}");
        }
        let ok = RawRequest::single(table("url = \"https://192.0.2.1/x\"\nmethod = \"post\"\nassert = []\nmask = []"));
        assert_eq!(ok.map(|r| r.method), Ok("post".to_string()));
        let err = RawRequest::single(table("url = \"https://192.0.2.1/x\"\ncolour = 1")).unwrap_err();
        assert!(err.starts_with("unknown field `colour`, expected one of `method`, `url`"), "{err}");
        assert!(FLOW_ONLY.iter().all(|k| !err.contains(&format!("`{k}`"))), "{err}");
    }

    /// One declaration for both uses: the step-only keys are keys of
    /// `RawRequest` (no typo drifts), and the one request's schema is the
    /// step's with exactly those keys left out.
    #[test]
    fn the_single_request_schema_is_the_step_schema_without_the_step_keys() {
        let keys = keys_of::<RawRequest>();
        assert!(keys.contains(&"url") && keys.contains(&"expect_status"), "{keys:?}");
        assert!(FLOW_ONLY.iter().all(|k| keys.contains(k)), "{FLOW_ONLY:?} ⊄ {keys:?}");
        let mut g = schemars::SchemaGenerator::default();
        let properties = |s: schemars::Schema| -> std::collections::BTreeSet<String> {
            s.get("properties").and_then(serde_json::Value::as_object).expect("properties").keys().cloned().collect()
        };
        let step = properties(<RawRequest as schemars::JsonSchema>::json_schema(&mut g));
        let one = properties(<RequestParams as schemars::JsonSchema>::json_schema(&mut g));
        let parsed: std::collections::BTreeSet<String> = keys.iter().map(|k| k.to_string()).collect();
        assert_eq!(step, parsed, "the step's schema lists the keys serde reads");
        let expected: std::collections::BTreeSet<String> =
            step.iter().filter(|k| !FLOW_ONLY.contains(&k.as_str())).cloned().collect();
        assert_eq!(one, expected);
    }
}
