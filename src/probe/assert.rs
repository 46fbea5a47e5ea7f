//! Assertions on an HTTP answer: JSON (RFC 9535 JSONPath via serde_json_path),
//! headers and the raw body; shared by every kind that checks an answer.
//!
//! An assertion may use `${name}` of values captured by earlier steps; it is
//! then compiled when it runs, after a dry compile at load time proved its
//! shape.

use regex::Regex;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use serde_json_path::JsonPath;

use crate::config::interpolate::{interpolate_value, substitute_typed};
use crate::report::{Check, Status};
use crate::spec::ErrorClass;

/// A JSON type name, as assertions write it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum JsonType {
    /// A string.
    String,
    /// Any number.
    Number,
    /// A whole number.
    Integer,
    /// true or false.
    Boolean,
    /// An array.
    Array,
    /// An object.
    Object,
    /// null.
    Null,
}

impl JsonType {
    fn of(value: &Value) -> JsonType {
        match value {
            Value::String(_) => JsonType::String,
            Value::Number(n) if n.is_i64() || n.is_u64() => JsonType::Integer,
            Value::Number(_) => JsonType::Number,
            Value::Bool(_) => JsonType::Boolean,
            Value::Array(_) => JsonType::Array,
            Value::Object(_) => JsonType::Object,
            Value::Null => JsonType::Null,
        }
    }

    fn accepts(self, value: &Value) -> bool {
        let actual = JsonType::of(value);
        actual == self || (self == JsonType::Number && actual == JsonType::Integer)
    }

    fn name(self) -> &'static str {
        match self {
            JsonType::String => "string",
            JsonType::Number => "number",
            JsonType::Integer => "integer",
            JsonType::Boolean => "boolean",
            JsonType::Array => "array",
            JsonType::Object => "object",
            JsonType::Null => "null",
        }
    }
}

/// How much a missed assertion weighs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// The probe fails (the default).
    Fail,
    /// The probe warns.
    Warn,
}

/// An assertion as a pack writes it: a target (`path`, `header`, or neither
/// for the raw body) and exactly one expectation.
#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "Assertion")]
pub struct RawAssertion {
    /// A JSONPath into the JSON body.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    /// A response header name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub header: Option<String>,
    /// Equal to this value.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(with = "Option<serde_json::Value>")]
    pub equals: Option<toml::Value>,
    /// Present (true) or absent (false).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub exists: Option<bool>,
    /// Of this JSON type.
    #[serde(rename = "type", skip_serializing_if = "Option::is_none")]
    pub json_type: Option<JsonType>,
    /// Matches this regular expression (strings, numbers, headers, the body).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub matches: Option<String>,
    /// An array, string or object of this length.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub length: Option<usize>,
    /// Equal to one of these values.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(with = "Option<Vec<serde_json::Value>>")]
    pub one_of: Option<Vec<toml::Value>>,
    /// The HTML body has a link (`<a href>`) whose text matches this regular
    /// expression, found by an HTML parser (`crate::probe::links`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub link: Option<String>,
    /// `"warn"`: a miss warns instead of failing (an expectation that holds
    /// only sometimes, e.g. an empty list before any live data exists).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub severity: Option<Severity>,
    /// `true`: a JSONPath that finds nothing passes, saying there was nothing
    /// to check (fields of list items on an account that has none yet).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub if_present: bool,
    /// Other JSONPaths where the value may sit when `path` does not hold
    /// (an answer wrapped in an envelope, or not): tried in order; the
    /// expectation then holds, and the fact at `path` is refuted.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub alternatives: Vec<String>,
    /// The page that documents this fact (overrides the step's basis).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    /// `"documented"` or `"inferred"` (overrides the step's basis).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub basis: Option<crate::spec::Basis>,
    /// For an inferred fact: from what golive infers it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub why: Option<String>,
}

impl RawAssertion {
    /// The assertion's own basis keys.
    pub fn raw_basis(&self) -> crate::spec::RawBasis {
        crate::spec::RawBasis { source: self.source.clone(), basis: self.basis, why: self.why.clone() }
    }
}

/// What an assertion looks at.
#[derive(Debug, Clone)]
enum Target {
    /// A JSONPath, with the pack's alternatives.
    Json(String, JsonPath, Vec<(String, JsonPath)>),
    Header(String),
    Body,
}

/// What an assertion expects.
#[derive(Debug, Clone)]
enum Expect {
    Equals(Value),
    Exists(bool),
    Type(JsonType),
    Matches(Regex),
    Length(usize),
    OneOf(Vec<Value>),
    Link(Regex),
}

/// A compiled assertion.
#[derive(Debug, Clone)]
struct Compiled {
    target: Target,
    expect: Expect,
    if_present: bool,
}

/// A checked assertion, compiled now or (when it uses captured values) when it runs.
#[derive(Debug, Clone)]
pub struct Assertion {
    raw: RawAssertion,
    compiled: Option<Compiled>,
    /// The partner fact it checks, when it is part of a pack's request.
    pub fact: Option<crate::probe::request::facts::Fact>,
}

/// An assertion evaluated against one answer.
pub struct Evaluated {
    /// The check, as the assertion alone judges it.
    pub check: Check,
    /// The alternative path where it held, when `path` did not.
    pub alternative: Option<String>,
    /// Whether the path found nothing and the assertion is `if_present`.
    pub absent: bool,
    /// Whether it failed on a value of the expected JSON type, found at its
    /// path or an alternative (`equals`, `one_of`): the place held, the value
    /// is wrong. A miss otherwise (nothing there, another type) says the place
    /// is not where the value sits.
    pub wrong_value: bool,
}

/// The parts of an HTTP answer an assertion can look at.
pub struct Answer<'a> {
    /// Response headers (lower-case names).
    pub headers: &'a [(String, String)],
    /// The raw body.
    pub body: &'a [u8],
    /// The body as JSON, when it is JSON.
    pub json: Option<&'a Value>,
}

fn json(v: toml::Value) -> Result<Value, String> {
    serde_json::to_value(v).map_err(|e| e.to_string())
}

fn compile(raw: &RawAssertion) -> Result<Compiled, String> {
    let what = raw.path.as_deref().or(raw.header.as_deref()).unwrap_or("body");
    let parse = |p: &String| super::jsonpath::parse(p);
    if !raw.alternatives.is_empty() && raw.path.is_none() {
        return Err(format!("assertion on `{what}`: `alternatives` are other JSONPaths for `path`"));
    }
    let target = match (&raw.path, &raw.header) {
        (Some(p), None) => Target::Json(
            p.clone(),
            parse(p)?,
            raw.alternatives.iter().map(|a| Ok((a.clone(), parse(a)?))).collect::<Result<_, String>>()?,
        ),
        (None, Some(h)) => Target::Header(h.to_lowercase()),
        (None, None) => Target::Body,
        (Some(_), Some(_)) => return Err(format!("assertion on `{what}`: give `path` or `header`, not both")),
    };
    let mut expects = Vec::new();
    if let Some(v) = raw.equals.clone() {
        expects.push(Expect::Equals(json(v)?));
    }
    if let Some(b) = raw.exists {
        expects.push(Expect::Exists(b));
    }
    if let Some(t) = raw.json_type {
        expects.push(Expect::Type(t));
    }
    if let Some(re) = &raw.matches {
        expects
            .push(Expect::Matches(Regex::new(re).map_err(|e| format!("assertion on `{what}`: invalid regex: {e}"))?));
    }
    if let Some(n) = raw.length {
        expects.push(Expect::Length(n));
    }
    if let Some(list) = raw.one_of.clone() {
        expects.push(Expect::OneOf(list.into_iter().map(json).collect::<Result<_, _>>()?));
    }
    if let Some(re) = &raw.link {
        if !matches!(target, Target::Body) {
            return Err(format!("assertion on `{what}`: `link` looks at an HTML body, not a path or a header"));
        }
        expects.push(Expect::Link(Regex::new(re).map_err(|e| format!("assertion `link`: invalid regex: {e}"))?));
    }
    let expect = match (expects.len(), expects.pop()) {
        (1, Some(e)) => e,
        _ => {
            return Err(format!(
                "assertion on `{what}` needs exactly one of `equals`, `exists`, `type`, `matches`, `length`, `one_of`, `link`"
            ));
        }
    };
    if !matches!(target, Target::Json(..))
        && !matches!(expect, Expect::Matches(_) | Expect::Exists(_) | Expect::Equals(_) | Expect::Link(_))
    {
        return Err(format!("assertion on `{what}`: headers and the body take `equals`, `exists` or `matches`"));
    }
    if raw.if_present && !matches!(target, Target::Json(..)) {
        return Err(format!("assertion on `{what}`: `if_present` applies to a JSONPath"));
    }
    Ok(Compiled { target, expect, if_present: raw.if_present })
}

/// Captured values with their JSON types, for `${name}` placeholders.
pub type Typed<'a> = &'a dyn Fn(&str) -> Option<Value>;

/// No typed values: placeholders are interpolated as text.
pub fn untyped(_: &str) -> Option<Value> {
    None
}

fn render(raw: &RawAssertion, vars: &dyn Fn(&str) -> Option<String>, typed: Typed) -> Result<RawAssertion, String> {
    let mut value = toml::Value::try_from(raw).map_err(|e| e.to_string())?;
    substitute_typed(&mut value, typed);
    interpolate_value(&mut value, vars).map_err(|name| format!("`${{{name}}}` has no value yet"))?;
    value.try_into().map_err(|e: toml::de::Error| e.message().to_string())
}

impl Assertion {
    /// Compiles a raw assertion; the error names the target and what is wrong.
    pub fn compile(raw: RawAssertion) -> Result<Assertion, String> {
        let uses_vars = toml::Value::try_from(&raw).map(|v| v.to_string().contains("${")).unwrap_or(false);
        if uses_vars {
            // Prove the shape with placeholder values; compile for real when it runs.
            compile(&render(&raw, &|_| Some("0".to_string()), &untyped)?)?;
            Ok(Assertion { raw, compiled: None, fact: None })
        } else {
            let compiled = compile(&raw)?;
            Ok(Assertion { raw, compiled: Some(compiled), fact: None })
        }
    }

    /// The assertion as the pack wrote it.
    pub fn raw(&self) -> &RawAssertion {
        &self.raw
    }

    /// Whether the assertion looks into a JSON body.
    pub fn needs_json(&self) -> bool {
        self.raw.path.is_some()
    }

    /// Whether the assertion uses values captured by earlier steps.
    pub fn uses_vars(&self) -> bool {
        self.compiled.is_none()
    }

    /// Whether a miss only warns (`severity = "warn"`).
    pub fn warns(&self) -> bool {
        self.raw.severity == Some(Severity::Warn)
    }

    /// The JSONPath it looks at, if it looks into a JSON body.
    pub fn path(&self) -> Option<&str> {
        self.raw.path.as_deref()
    }

    /// The value the assertion reads in `doc`: the first, at its path then at
    /// its alternatives, of the JSON type it expects (`equals`, `one_of`,
    /// `type`), else the first found at all. A state tracked at the same path
    /// is read there: an envelope's `"status": "success"` is not the
    /// cardholder's integer status found under it.
    pub fn locate(&self, doc: &Value) -> Option<Value> {
        let c = self.compiled.as_ref()?;
        let Target::Json(_, path, alternatives) = &c.target else { return None };
        let wanted: Vec<JsonType> = match &c.expect {
            Expect::Equals(v) => vec![JsonType::of(v)],
            Expect::OneOf(list) => list.iter().map(JsonType::of).collect(),
            Expect::Type(t) => vec![*t],
            _ => Vec::new(),
        };
        let found: Vec<&Value> = std::iter::once(path)
            .chain(alternatives.iter().map(|(_, p)| p))
            .filter_map(|p| p.query(doc).first())
            .collect();
        found.iter().find(|v| wanted.iter().any(|t| t.accepts(v))).or(found.first()).map(|v| (*v).clone())
    }

    /// Evaluates the assertion against an answer.
    pub fn check(&self, answer: &Answer<'_>, vars: &dyn Fn(&str) -> Option<String>) -> Check {
        self.check_typed(answer, vars, &untyped)
    }

    /// Evaluates the assertion, a whole `${name}` taking the captured value's
    /// JSON type; holding at one of the pack's alternative paths holds.
    pub fn check_typed(&self, answer: &Answer<'_>, vars: &dyn Fn(&str) -> Option<String>, typed: Typed) -> Check {
        self.evaluate_typed(answer, vars, typed).check
    }

    /// Evaluates the assertion, saying where it held (its path or an
    /// alternative) and whether it found nothing to check.
    pub fn evaluate_typed(
        &self,
        answer: &Answer<'_>,
        vars: &dyn Fn(&str) -> Option<String>,
        typed: Typed,
    ) -> Evaluated {
        let compiled = match &self.compiled {
            Some(c) => c.clone(),
            None => match render(&self.raw, vars, typed).and_then(|r| compile(&r)) {
                Ok(c) => c,
                Err(e) => {
                    return Evaluated {
                        check: Check::new("assertion", Status::Fail, e).classed(ErrorClass::Assertion),
                        alternative: None,
                        absent: false,
                        wrong_value: false,
                    };
                }
            },
        };
        let (mut check, absent) = evaluate(&compiled, answer, None);
        let mut alternative = None;
        if let (Status::Fail, Target::Json(text, _, alternatives)) = (check.status, &compiled.target) {
            for (alt, path) in alternatives {
                let (held, _) = evaluate(&compiled, answer, Some(path));
                if held.status == Status::Pass {
                    check = Check::new(
                        text.clone(),
                        Status::Pass,
                        format!("{} at the pack's alternative `{alt}`, not at `{text}`", held.message),
                    )
                    .with_values(held.expected.unwrap_or_default(), held.actual.unwrap_or_default());
                    alternative = Some(alt.clone());
                    break;
                }
            }
        }
        let wrong_value = check.status == Status::Fail && same_type_found(&compiled, answer);
        if check.status == Status::Fail && self.raw.severity == Some(Severity::Warn) {
            check.status = Status::Warn;
            check.message.push_str(" (a warning: the pack expects this only sometimes)");
        }
        Evaluated { check: check.classed(ErrorClass::Assertion), alternative, absent, wrong_value }
    }
}

/// Whether an `equals` or `one_of` assertion finds, at its path or an
/// alternative, a value of the JSON type it expects.
fn same_type_found(c: &Compiled, answer: &Answer<'_>) -> bool {
    let wanted: Vec<JsonType> = match &c.expect {
        Expect::Equals(v) => vec![JsonType::of(v)],
        Expect::OneOf(list) => list.iter().map(JsonType::of).collect(),
        _ => return false,
    };
    let (Target::Json(_, path, alternatives), Some(doc)) = (&c.target, answer.json) else { return false };
    std::iter::once(path)
        .chain(alternatives.iter().map(|(_, p)| p))
        .flat_map(|p| p.query(doc).all())
        .any(|v| wanted.iter().any(|t| t.accepts(v)))
}

/// Evaluates a compiled assertion at its target, or at `at` (an alternative
/// path); says whether an `if_present` path found nothing.
fn evaluate(c: &Compiled, answer: &Answer<'_>, at: Option<&JsonPath>) -> (Check, bool) {
    let (name, found): (String, Vec<Value>) = match &c.target {
        Target::Json(text, path, _) => {
            let path = at.unwrap_or(path);
            let found = answer.json.map(|doc| path.query(doc).all().into_iter().cloned().collect()).unwrap_or_default();
            (text.clone(), found)
        }
        Target::Header(h) => {
            let found = answer.headers.iter().filter(|(n, _)| n == h).map(|(_, v)| Value::String(v.clone())).collect();
            (format!("header {h}"), found)
        }
        Target::Body => ("body".to_string(), vec![Value::String(String::from_utf8_lossy(answer.body).into_owned())]),
    };
    if found.is_empty() && c.if_present {
        let message = format!("{name}: absent, nothing to check (checked only when present)");
        return (Check::new(name, Status::Pass, message), true);
    }
    let first = found.first();
    let shown = |v: Option<&Value>| v.map_or_else(|| "(absent)".to_string(), compact);
    let text_of = |v: &Value| match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    let (ok, expected, actual) = match &c.expect {
        Expect::Equals(want) => (first == Some(want), compact(want), shown(first)),
        Expect::Exists(want) => {
            (first.is_some() == *want, if *want { "present" } else { "absent" }.to_string(), shown(first))
        }
        Expect::Type(t) => (
            first.is_some_and(|v| t.accepts(v)),
            t.name().to_string(),
            first.map_or_else(|| "(absent)".to_string(), |v| JsonType::of(v).name().to_string()),
        ),
        Expect::Matches(re) => {
            let actual = if matches!(c.target, Target::Body) { "the body".to_string() } else { shown(first) };
            (first.is_some_and(|v| re.is_match(&text_of(v))), format!("matching /{}/", re.as_str()), actual)
        }
        Expect::Length(n) => {
            let len = first.and_then(|v| match v {
                Value::Array(a) => Some(a.len()),
                Value::String(s) => Some(s.chars().count()),
                Value::Object(o) => Some(o.len()),
                _ => None,
            });
            (len == Some(*n), format!("length {n}"), len.map_or_else(|| shown(first), |l| format!("length {l}")))
        }
        Expect::Link(re) => return (crate::probe::links::check(answer.body, re), false),
        Expect::OneOf(list) => (
            first.is_some_and(|v| list.contains(v)),
            format!("one of {}", list.iter().map(compact).collect::<Vec<_>>().join(", ")),
            shown(first),
        ),
    };
    let message = if ok { format!("{name} is {actual}") } else { format!("{name}: expected {expected}, got {actual}") };
    (Check::new(name, if ok { Status::Pass } else { Status::Fail }, message).with_values(expected, actual), false)
}

/// A value as one short line of JSON.
pub fn compact(v: &Value) -> String {
    let text = v.to_string();
    if text.chars().count() > 120 { format!("{}…", crate::redact::cut(&text, 120)) } else { text }
}
