//! Masking of what a pack declares sensitive: card data by JSON field name
//! wherever it appears (`[masking] fields`: PAN, CVV), and one-off secrets by
//! JSONPath, only where they are (`[masking] paths`, or a step's `mask`: the
//! 3-DS OTP `code` of one answer, not every field called `code`). Applied to
//! recorded bodies, to text excerpts of JSON (cut or not, by name), and to
//! every check and body excerpt of a probe's outcome.

use serde_json::Value;
use serde_json_path::JsonPath;

use crate::report::{Outcome, Status};

/// What to mask in one request's bodies and checks.
#[derive(Debug, Clone, Default)]
pub struct Mask {
    /// JSON field names, masked at any depth (case-insensitive).
    pub fields: Vec<String>,
    /// JSONPaths whose values are masked, as written and compiled.
    pub paths: Vec<(String, JsonPath)>,
}

impl Mask {
    /// A mask of field names only.
    pub fn fields(fields: Vec<String>) -> Mask {
        Mask { fields, paths: Vec::new() }
    }

    /// Compiles JSONPaths (`[masking] paths`, a step's `mask`) into the mask.
    pub fn with_paths<'a>(mut self, paths: impl IntoIterator<Item = &'a String>) -> Result<Mask, String> {
        for p in paths {
            let compiled = JsonPath::parse(p).map_err(|e| format!("mask: invalid JSONPath `{p}`: {e}"))?;
            if !self.paths.iter().any(|(q, _)| q == p) {
                self.paths.push((p.clone(), compiled));
            }
        }
        Ok(self)
    }

    /// Whether nothing is masked.
    pub fn is_empty(&self) -> bool {
        self.fields.is_empty() && self.paths.is_empty()
    }
}

/// A body with the values of sensitive JSON fields and paths replaced; a
/// body that is not JSON (cut at the read bound, or JSON lines) is masked as
/// text by field name, a path standing for every field named as its last
/// member (a path needs a whole document: masking more is the safe side).
/// Text that cannot be masked that way (a path that names no member, or bytes
/// that are not UTF-8 where a path is masked) is not kept at all.
pub fn mask_body(body: &[u8], mask: &Mask) -> Vec<u8> {
    if mask.is_empty() {
        return body.to_vec();
    }
    if let Ok(mut doc) = serde_json::from_slice::<Value>(body) {
        mask_doc(&mut doc, mask);
        return serde_json::to_vec(&doc).unwrap_or_default();
    }
    let mut fields = mask.fields.clone();
    for (path, _) in &mask.paths {
        match last_member(path) {
            Some(name) => fields.push(name),
            None => return WITHHELD.as_bytes().to_vec(),
        }
    }
    match std::str::from_utf8(body) {
        Ok(text) => mask_text(text, &fields).into_bytes(),
        Err(_) if mask.paths.is_empty() => body.to_vec(),
        Err(_) => WITHHELD.as_bytes().to_vec(),
    }
}

/// What replaces a body that is not a JSON document and that a masked path
/// may reach into.
const WITHHELD: &str = "(not kept: the body is not a whole JSON document, so a masked path could not be applied)";

/// The last member name of a JSONPath (`$.data.code` → `code`,
/// `$.items[*]['otp']` → `otp`, `$.codes[0]` → `codes`), or `None` when it
/// names none (`$[0]`, `$..*`).
fn last_member(path: &str) -> Option<String> {
    static MEMBER: std::sync::LazyLock<regex::Regex> = std::sync::LazyLock::new(|| {
        regex::Regex::new(r#"\.\.?([A-Za-z_][A-Za-z0-9_-]*)|\[\s*'([^']+)'\s*\]|\[\s*"([^"]+)"\s*\]"#)
            .expect("a valid regex")
    });
    MEMBER.captures_iter(path).last().and_then(|c| c.iter().skip(1).flatten().next()).map(|m| m.as_str().to_string())
}

/// Masks a parsed document in place: the paths first, then the field names.
pub fn mask_doc(doc: &mut Value, mask: &Mask) {
    for (_, path) in &mask.paths {
        let pointers: Vec<String> = path.query_located(doc).locations().map(|l| l.to_json_pointer()).collect();
        for pointer in pointers {
            if let Some(v) = doc.pointer_mut(&pointer) {
                *v = Value::String(crate::redact::MASK.into());
            }
        }
    }
    if !mask.fields.is_empty() {
        mask_value(doc, &mask.fields);
    }
}

fn mask_value(v: &mut Value, fields: &[String]) {
    match v {
        Value::Object(map) => {
            for (k, child) in map.iter_mut() {
                if fields.iter().any(|f| f.eq_ignore_ascii_case(k)) {
                    *child = Value::String(crate::redact::MASK.into());
                } else {
                    mask_value(child, fields);
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(|i| mask_value(i, fields)),
        _ => {}
    }
}

/// Masks the value of every `"field": value` pair inside a text excerpt of
/// JSON: a string, a number or literal, or a whole object or array, also when
/// the excerpt cuts it off.
pub fn mask_text(text: &str, fields: &[String]) -> String {
    if fields.is_empty() {
        return text.to_string();
    }
    let Some(key) = field_regex(fields) else {
        return text.to_string();
    };
    let mut out = String::with_capacity(text.len());
    let mut last = 0;
    for m in key.find_iter(text) {
        if m.start() < last {
            continue; // inside a value already masked
        }
        let end = value_end(text.as_bytes(), m.end());
        if end == m.end() {
            continue;
        }
        out.push_str(&text[last..m.end()]);
        out.push('"');
        out.push_str(crate::redact::MASK);
        out.push('"');
        last = end;
    }
    out.push_str(&text[last..]);
    out
}

/// The regex of `"field":` for these field names, compiled once per list (a
/// pack has one list; compiling it on every check was 13 % of the demo's CPU).
fn field_regex(fields: &[String]) -> Option<regex::Regex> {
    use std::collections::HashMap;
    use std::sync::{LazyLock, Mutex, PoisonError};
    static COMPILED: LazyLock<Mutex<HashMap<Vec<String>, regex::Regex>>> = LazyLock::new(Default::default);
    let mut compiled = COMPILED.lock().unwrap_or_else(PoisonError::into_inner);
    if let Some(re) = compiled.get(fields) {
        return Some(re.clone());
    }
    let names: Vec<String> = fields.iter().map(|f| regex::escape(f)).collect();
    let re = regex::Regex::new(&format!(r#"(?i)"(?:{})"\s*:\s*"#, names.join("|"))).ok()?;
    // Bounded: the lists come from packs, not from the network.
    if compiled.len() < 64 {
        compiled.insert(fields.to_vec(), re.clone());
    }
    Some(re)
}

/// Where the JSON value starting at `start` ends (exclusive), or the end of
/// the text when it is cut off. Always an ASCII position or the length.
fn value_end(s: &[u8], start: usize) -> usize {
    let mut i = start;
    match s.get(start) {
        Some(b'"') => {
            i += 1;
            while i < s.len() {
                match s[i] {
                    b'\\' => i += 2,
                    b'"' => return i + 1,
                    _ => i += 1,
                }
            }
            s.len()
        }
        Some(b'{' | b'[') => {
            let mut depth = 0usize;
            let mut in_string = false;
            while i < s.len() {
                match (in_string, s[i]) {
                    (true, b'\\') => i += 1,
                    (true, b'"') => in_string = false,
                    (false, b'"') => in_string = true,
                    (false, b'{' | b'[') => depth += 1,
                    (false, b'}' | b']') => {
                        depth -= 1;
                        if depth == 0 {
                            return i + 1;
                        }
                    }
                    _ => {}
                }
                i += 1;
            }
            s.len()
        }
        Some(_) => {
            while i < s.len() && !matches!(s[i], b',' | b'}' | b']' | b'"') && !s[i].is_ascii_whitespace() {
                i += 1;
            }
            i
        }
        None => start,
    }
}

/// Masks a probe's outcome: a check on a sensitive field or path shows no
/// value at all; every other check, message and body excerpt has the values
/// of sensitive fields inside it masked (body excerpts are masked by path
/// where they are made, from the whole answer).
pub fn mask_outcome(out: &mut Outcome, mask: &Mask) {
    if mask.is_empty() {
        return;
    }
    let fields = &mask.fields;
    let on_path = |name: &str| mask.paths.iter().any(|(p, _)| name == p || name.ends_with(&format!(" › {p}")));
    for check in &mut out.checks {
        if fields.iter().any(|f| check.name.contains(f.as_str())) || on_path(&check.name) {
            // The value goes; what the message says around it (expected what,
            // that golive inferred it) stays.
            if let Some(value) = check.actual.clone().filter(|a| a != "(absent)") {
                let mask = crate::redact::MASK;
                check.actual = Some(mask.to_string());
                check.message = match check.status {
                    Status::Pass => format!("{} is present (value masked)", check.name),
                    _ => {
                        let message = check.message.replace(&format!("got {value}"), &format!("got {mask}"));
                        if value.len() >= 3 { message.replace(&value, mask) } else { message }
                    }
                };
            }
        }
        for value in [&mut check.actual, &mut check.expected].into_iter().flatten() {
            let masked = mask_text(value, fields);
            if masked != *value {
                // The message may quote the value cut where a key is no longer visible.
                check.message = check.message.replace(value.as_str(), &masked);
                *value = masked;
            }
        }
        check.message = mask_text(&check.message, fields);
    }
    if let Some(body) = &mut out.signals.body {
        *body = mask_text(body, fields);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_body_cut_short_is_masked_by_the_last_member_of_each_path_or_not_kept() {
        let cut = br#"{"status":"ok","data":{"code":"847291","note":"x"},"padding":"ppp"#;
        let mask = Mask::default().with_paths([&"$.data.code".to_string()]).expect("path");
        let masked = String::from_utf8(mask_body(cut, &mask)).expect("text");
        assert!(!masked.contains("847291") && masked.contains(r#""note":"x""#), "{masked}");
        let unnamed = Mask::default().with_paths([&"$[0]".to_string()]).expect("path");
        assert_eq!(mask_body(b"[\"847291\", ", &unnamed), WITHHELD.as_bytes());
        for (path, name) in [("$.items[*]['otp']", Some("otp")), ("$.codes[0]", Some("codes")), ("$..*", None)] {
            assert_eq!(last_member(path).as_deref(), name, "{path}");
        }
    }

    fn fields() -> Vec<String> {
        vec!["pan".into(), "cvv".into(), "card".into()]
    }

    fn by_path(paths: &[&str]) -> Mask {
        let paths: Vec<String> = paths.iter().map(|p| p.to_string()).collect();
        Mask::default().with_paths(&paths).unwrap()
    }

    #[test]
    fn a_path_masks_only_where_it_points() {
        let mask = by_path(&["$.code", "$.items[*].secret"]);
        let body = br#"{"code":"847291","items":[{"secret":"s1","code":"E1"}],"error":{"code":"FORBIDDEN"}}"#;
        let masked: Value = serde_json::from_slice(&mask_body(body, &mask)).unwrap();
        assert_eq!(masked["code"], "***");
        assert_eq!(masked["items"][0]["secret"], "***");
        assert_eq!(masked["items"][0]["code"], "E1", "a field of the same name elsewhere stays");
        assert_eq!(masked["error"]["code"], "FORBIDDEN");
    }

    #[test]
    fn text_masks_strings_numbers_objects_and_cut_values() {
        let f = fields();
        assert_eq!(mask_text(r#"{"cvv": 737, "x": 1}"#, &f), r#"{"cvv": "***", "x": 1}"#);
        assert_eq!(mask_text(r#"{"PAN":"4111 \"1\"","x":1}"#, &f), r#"{"PAN":"***","x":1}"#);
        assert_eq!(mask_text(r#"{"card":{"cvv":"737","a":[1]},"x":1}"#, &f), r#"{"card":"***","x":1}"#);
        assert_eq!(mask_text(r#"{"a":1,"cvv":"73"#, &f), r#"{"a":1,"cvv":"***""#);
        assert_eq!(mask_text(r#"{"card":{"n":"}","cvv":"7"#, &f), r#"{"card":"***""#);
        assert_eq!(mask_text(r#"{"cvv": }"#, &f), r#"{"cvv": }"#);
        assert_eq!(mask_text("pan cvv: 737", &f), "pan cvv: 737");
    }

    #[test]
    fn a_body_that_is_not_json_is_masked_as_text() {
        let cut = br#"{"id":"c1","cvv":"737","pan":"41111"#;
        assert_eq!(mask_body(cut, &Mask::fields(fields())), br#"{"id":"c1","cvv":"***","pan":"***""#.to_vec());
        assert_eq!(mask_body(&[0xff, b'"'], &Mask::fields(fields())), vec![0xff, b'"']);
    }
}
