//! JSONPath (RFC 9535, serde_json_path) with a bound on the work a query may
//! do. serde_json_path materialises every node a query selects; each
//! descendant segment (`..`) multiplies that by the depth of the document, so
//! `$..*..*..*..*` over a 325 KB body selected hundreds of millions of nodes
//! (627 MB). Packs name fields; a path may descend at most [`MAX_DESCENTS`]
//! times, checked when the pack loads (and again when a path built from
//! captured values is compiled).

use serde_json_path::JsonPath;

/// The most descendant segments (`..`) one path may hold, filters included.
pub const MAX_DESCENTS: usize = 2;

/// The `..` segments of `path` outside its string literals.
fn descents(path: &str) -> usize {
    let (mut count, mut quote, mut escaped, mut prev_dot) = (0, None::<char>, false, false);
    for c in path.chars() {
        match quote {
            Some(q) => {
                if escaped {
                    escaped = false;
                } else if c == '\\' {
                    escaped = true;
                } else if c == q {
                    quote = None;
                }
                prev_dot = false;
            }
            None => {
                if c == '\'' || c == '"' {
                    quote = Some(c);
                    prev_dot = false;
                } else if c == '.' {
                    if prev_dot {
                        count += 1;
                        prev_dot = false;
                    } else {
                        prev_dot = true;
                    }
                } else {
                    prev_dot = false;
                }
            }
        }
    }
    count
}

/// Parses a JSONPath, refusing one that descends (`..`) more than
/// [`MAX_DESCENTS`] times. The error says why and what to write instead.
pub fn parse(path: &str) -> Result<JsonPath, String> {
    let n = descents(path);
    if n > MAX_DESCENTS {
        return Err(format!(
            "JSONPath `{path}` descends (`..`) {n} times; at most {MAX_DESCENTS} are allowed, since each descent \
multiplies the nodes a query visits: name the fields on the way (e.g. `$.data[*].id`)"
        ));
    }
    JsonPath::parse(path).map_err(|e| format!("invalid JSONPath `{path}`: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn descents_are_counted_outside_string_literals() {
        assert_eq!(descents("$..id"), 1);
        assert_eq!(descents("$..*..*..*..*"), 4);
        assert_eq!(descents("$['a..b'].c"), 0);
        assert_eq!(descents("$[?@..x == \"..\"]..y"), 2);
        assert!(parse("$..data..id").is_ok());
        let err = parse("$..*..*..*").unwrap_err();
        assert!(err.contains("3 times") && err.contains("at most 2"), "{err}");
    }
}
