//! The shape of an answer: its status, what its body is, and every JSON path
//! with its type — never a value, so a shape can go into any report and the
//! evidence even where the body holds card data. `golive contract report`
//! and a pack's maintainer read them to see what the partner really answers.

use std::collections::BTreeMap;

use serde_json::Value;

use crate::report::AnswerShape;

/// At most this many paths are kept per answer (a huge list answer shows
/// its item shape once anyway: arrays are folded into `[*]`).
const MAX_PATHS: usize = 256;
/// Paths deeper than this are not followed.
const MAX_DEPTH: usize = 16;

/// The shape of one answer to request number `step`.
pub fn of(step: usize, request: String, status: u16, headers: &[(String, String)], body: &[u8]) -> AnswerShape {
    let mut paths = BTreeMap::new();
    let kind = match serde_json::from_slice::<Value>(body) {
        _ if body.iter().all(u8::is_ascii_whitespace) => "empty",
        Ok(doc) => {
            walk(&doc, "$".to_string(), 0, &mut paths);
            "json"
        }
        Err(_) => {
            let html = headers
                .iter()
                .any(|(k, v)| k.eq_ignore_ascii_case("content-type") && v.to_ascii_lowercase().contains("html"));
            match std::str::from_utf8(body) {
                Ok(_) if html => "html",
                Ok(_) => "text",
                Err(_) => "binary",
            }
        }
    };
    AnswerShape { step, request, status, body: kind.to_string(), paths }
}

fn type_name(v: &Value) -> &'static str {
    match v {
        Value::String(_) => "string",
        Value::Number(n) if n.is_i64() || n.is_u64() => "integer",
        Value::Number(_) => "number",
        Value::Bool(_) => "boolean",
        Value::Null => "null",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

/// A member name as a JSONPath segment: `.name` when it is a plain
/// identifier, `['na me']` otherwise.
fn segment(key: &str) -> String {
    let plain = key.chars().next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && key.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    if plain { format!(".{key}") } else { format!("['{}']", key.replace('\\', "\\\\").replace('\'', "\\'")) }
}

fn walk(v: &Value, path: String, depth: usize, out: &mut BTreeMap<String, String>) {
    if out.len() >= MAX_PATHS && !out.contains_key(&path) {
        return;
    }
    let name = type_name(v);
    match out.get_mut(&path) {
        Some(seen) if !seen.split('|').any(|t| t == name) => {
            let mut all: Vec<&str> = seen.split('|').chain([name]).collect();
            all.sort_unstable();
            *seen = all.join("|");
        }
        Some(_) => {}
        None => {
            out.insert(path.clone(), name.to_string());
        }
    }
    if depth >= MAX_DEPTH {
        return;
    }
    match v {
        Value::Object(map) => {
            for (k, child) in map {
                walk(child, format!("{path}{}", segment(k)), depth + 1, out);
            }
        }
        Value::Array(items) => {
            for item in items {
                walk(item, format!("{path}[*]"), depth + 1, out);
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_shape_has_paths_and_types_and_no_value() {
        let body = br#"{"status":"success","cardholderId":10532,"items":[{"a":1},{"a":"x","b":null}],"odd key":1.5}"#;
        let s = of(1, "POST /cardholders".into(), 201, &[], body);
        assert_eq!(s.body, "json");
        assert_eq!(s.paths["$.cardholderId"], "integer");
        assert_eq!(s.paths["$.items[*].a"], "integer|string");
        assert_eq!(s.paths["$.items[*].b"], "null");
        assert_eq!(s.paths["$['odd key']"], "number");
        let text = serde_json::to_string(&s).unwrap();
        assert!(!text.contains("10532") && !text.contains("success"), "{text}");
    }

    #[test]
    fn bodies_that_are_not_json_are_named() {
        let html = [("content-type".to_string(), "text/html".to_string())];
        assert_eq!(of(1, String::new(), 200, &html, b"<html></html>").body, "html");
        assert_eq!(of(1, String::new(), 204, &[], b"").body, "empty");
        assert_eq!(of(1, String::new(), 200, &[], &[0xff, 0xfe]).body, "binary");
        assert_eq!(of(1, String::new(), 403, &[], b"No Authorised IPs configured").body, "text");
    }
}
