//! JSON assertions (RFC 9535 JSONPath via serde_json_path), shared by every kind
//! that checks a JSON body.

use serde::Deserialize;
use serde_json::Value;
use serde_json_path::JsonPath;

use crate::report::{Check, Status};

/// A JSON type name, as assertions write it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
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

/// An assertion as a pack writes it: `{ path = "$.status", equals = "success" }`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawAssertion {
    /// The JSONPath.
    pub path: String,
    /// The value it must equal.
    pub equals: Option<toml::Value>,
    /// Whether it must (or must not) exist.
    pub exists: Option<bool>,
    /// The JSON type it must have.
    #[serde(rename = "type")]
    pub json_type: Option<JsonType>,
}

/// What an assertion expects.
#[derive(Debug, Clone, PartialEq)]
pub enum Expect {
    /// Equal to this value.
    Equals(Value),
    /// Present (true) or absent (false).
    Exists(bool),
    /// Of this type.
    Type(JsonType),
}

/// A checked, compiled assertion.
#[derive(Debug, Clone)]
pub struct Assertion {
    path_text: String,
    path: JsonPath,
    expect: Expect,
}

impl Assertion {
    /// Compiles a raw assertion; the error names the path and what is wrong.
    pub fn compile(raw: RawAssertion) -> Result<Assertion, String> {
        let path = JsonPath::parse(&raw.path).map_err(|e| format!("invalid JSONPath `{}`: {e}", raw.path))?;
        let expect = match (raw.equals, raw.exists, raw.json_type) {
            (Some(v), None, None) => {
                Expect::Equals(serde_json::to_value(v).map_err(|e| format!("assertion on `{}`: {e}", raw.path))?)
            }
            (None, Some(b), None) => Expect::Exists(b),
            (None, None, Some(t)) => Expect::Type(t),
            _ => return Err(format!("assertion on `{}` needs exactly one of `equals`, `exists` or `type`", raw.path)),
        };
        Ok(Assertion { path_text: raw.path, path, expect })
    }

    /// Evaluates the assertion against a JSON document.
    pub fn check(&self, doc: &Value) -> Check {
        let found = self.path.query(doc).all();
        let first = found.first().copied();
        let shown = |v: Option<&Value>| v.map_or_else(|| "(absent)".to_string(), compact);
        let (ok, expected, actual) = match &self.expect {
            Expect::Equals(want) => (first == Some(want), compact(want), shown(first)),
            Expect::Exists(want) => {
                (first.is_some() == *want, if *want { "present" } else { "absent" }.to_string(), shown(first))
            }
            Expect::Type(t) => (
                first.is_some_and(|v| t.accepts(v)),
                t.name().to_string(),
                first.map_or_else(|| "(absent)".to_string(), |v| JsonType::of(v).name().to_string()),
            ),
        };
        let message = if ok {
            format!("{} is {actual}", self.path_text)
        } else {
            format!("{}: expected {expected}, got {actual}", self.path_text)
        };
        let status = if ok { Status::Pass } else { Status::Fail };
        Check::new(self.path_text.clone(), status, message).with_values(expected, actual)
    }
}

/// A value as one short line of JSON.
pub fn compact(v: &Value) -> String {
    let text = v.to_string();
    if text.chars().count() > 120 { format!("{}…", text.chars().take(120).collect::<String>()) } else { text }
}
