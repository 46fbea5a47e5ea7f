//! `${name}` interpolation of pack parameters from environment values.
//!
//! `$${` writes a literal `${`. A name the lookup does not know is an error
//! that names it, so a pack cannot silently send `${acount_id}` to a partner.

/// Replaces every `${name}` in `text`; the error names the first unknown name.
pub fn interpolate_str(text: &str, lookup: &dyn Fn(&str) -> Option<String>) -> Result<String, String> {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(pos) = rest.find('$') {
        out.push_str(&rest[..pos]);
        let after = &rest[pos..];
        if let Some(tail) = after.strip_prefix("$${") {
            out.push_str("${");
            rest = tail;
        } else if let Some(tail) = after.strip_prefix("${") {
            let end = tail.find('}').ok_or_else(|| format!("`${{` without a closing `}}` in \"{text}\""))?;
            let name = tail[..end].trim();
            let value = lookup(name).ok_or_else(|| name.to_string())?;
            out.push_str(&value);
            rest = &tail[end + 1..];
        } else {
            out.push('$');
            rest = &after[1..];
        }
    }
    out.push_str(rest);
    Ok(out)
}

/// Replaces every string that is exactly `${name}` with the typed value of
/// `name` when it has one that is not a string (a captured integer id stays an
/// integer in a JSON body and in `equals`); other strings are left for
/// [`interpolate_value`].
pub fn substitute_typed(value: &mut toml::Value, typed: &dyn Fn(&str) -> Option<serde_json::Value>) {
    match value {
        toml::Value::String(s) => {
            let whole = s.strip_prefix("${").and_then(|r| r.strip_suffix('}')).map(str::trim);
            let name = whole.filter(|n| !n.contains(['$', '{', '}']));
            let replacement = name.and_then(typed).filter(|v| !v.is_string() && !v.is_null());
            if let Some(v) = replacement.and_then(|v| toml::Value::try_from(v).ok()) {
                *value = v;
            }
        }
        toml::Value::Array(items) => items.iter_mut().for_each(|i| substitute_typed(i, typed)),
        toml::Value::Table(table) => table.iter_mut().for_each(|(_, v)| substitute_typed(v, typed)),
        _ => {}
    }
}

/// Interpolates every string inside a TOML value, keys excluded.
pub fn interpolate_value(value: &mut toml::Value, lookup: &dyn Fn(&str) -> Option<String>) -> Result<(), String> {
    match value {
        toml::Value::String(s) => *s = interpolate_str(s, lookup)?,
        toml::Value::Array(items) => {
            for item in items {
                interpolate_value(item, lookup)?;
            }
        }
        toml::Value::Table(table) => {
            for (_, v) in table.iter_mut() {
                interpolate_value(v, lookup)?;
            }
        }
        _ => {}
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vars(name: &str) -> Option<String> {
        (name == "base_url").then(|| "https://x/v2".to_string())
    }

    #[test]
    fn replaces_known_names_and_escapes() {
        assert_eq!(interpolate_str("${base_url}/cardholders", &vars).unwrap(), "https://x/v2/cardholders");
        assert_eq!(interpolate_str("$${base_url} costs $5", &vars).unwrap(), "${base_url} costs $5");
    }

    #[test]
    fn a_whole_placeholder_keeps_the_captured_type() {
        let typed = |n: &str| match n {
            "cardId" => Some(serde_json::json!(8821)),
            "name" => Some(serde_json::json!("8821")),
            _ => None,
        };
        let mut v: toml::Value =
            toml::from_str("a = \"${cardId}\"\nb = \"${name}\"\nc = \"card ${cardId}\"\nd = [\"${ cardId }\"]")
                .unwrap();
        substitute_typed(&mut v, &typed);
        assert_eq!(v["a"].as_integer(), Some(8821));
        assert_eq!(v["b"].as_str(), Some("${name}"), "strings are left for interpolation");
        assert_eq!(v["c"].as_str(), Some("card ${cardId}"), "only a whole placeholder is typed");
        assert_eq!(v["d"][0].as_integer(), Some(8821));
    }

    #[test]
    fn unknown_name_is_reported() {
        assert_eq!(interpolate_str("${acount_id}", &vars).unwrap_err(), "acount_id");
    }
}
