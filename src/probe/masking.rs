//! Masking of the response fields a pack declares sensitive (PAN, CVV, keys):
//! in recorded bodies by JSON field name, and in text excerpts of JSON.

use serde_json::Value;

/// A body with the values of sensitive JSON fields replaced (non-JSON bodies unchanged).
pub fn mask_body(body: &[u8], fields: &[String]) -> Vec<u8> {
    if fields.is_empty() {
        return body.to_vec();
    }
    match serde_json::from_slice::<Value>(body) {
        Ok(mut doc) => {
            mask_value(&mut doc, fields);
            serde_json::to_vec(&doc).unwrap_or_default()
        }
        Err(_) => body.to_vec(),
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

/// Masks `"field": value` pairs inside a text excerpt of JSON.
pub fn mask_text(text: &str, fields: &[String]) -> String {
    let mut out = text.to_string();
    for f in fields {
        let pattern = format!(r#"(?i)("{}"\s*:\s*)("[^"]*"|[0-9.\-]+)"#, regex::escape(f));
        if let Ok(re) = regex::Regex::new(&pattern) {
            out = re.replace_all(&out, format!("${{1}}\"{}\"", crate::redact::MASK)).into_owned();
        }
    }
    out
}
