//! The documented parts of a composite key. PaymentsAI's credential is
//! `<accountId>_<apiKey>_<apiKeyId>` (https://api-docs.payments.ai/docs/api/authentication:
//! "Concatenate them with underscores"), and each part may be echoed on its
//! own (an error page quoting the `apiKey`). The pack's template names the
//! parts (`{account_id}_{api_key}_{api_key_id}`); the values the environment
//! knows (the account id) are filled in, and every way the rest can be split
//! at the template's separators gives the candidates for the unknown parts.
//! The parts themselves hold `_` (the page's example is
//! `acc_abc123_key_xyz789_kid_def456`), so the split is ambiguous and every
//! candidate is kept: masking a little too much is the safe side.

/// Candidates shorter than this are not kept (a fragment such as `key` would
/// mask ordinary words).
pub const MIN_PART_LEN: usize = 8;

/// How many ways to split a value are tried at most.
const MAX_SPLITS: usize = 256;

enum Segment {
    Literal(String),
    Unknown,
}

/// Every candidate value of the placeholders of `template` that `known` does
/// not fill, when `value` has the template's shape; nothing when it has not.
pub fn parts(value: &str, template: &str, known: &dyn Fn(&str) -> Option<String>) -> Vec<String> {
    let Some(segments) = segments(template, known) else { return Vec::new() };
    let mut out = Vec::new();
    let mut splits = 0;
    split(&segments, value, &mut Vec::new(), &mut out, &mut splits);
    out.retain(|p| p.len() >= MIN_PART_LEN && p != value);
    out.sort();
    out.dedup();
    out
}

/// The template as literals and unknown placeholders; `None` when two unknown
/// placeholders touch (no separator tells where one ends).
fn segments(template: &str, known: &dyn Fn(&str) -> Option<String>) -> Option<Vec<Segment>> {
    let mut out: Vec<Segment> = Vec::new();
    let mut rest = template;
    let push_literal = |out: &mut Vec<Segment>, text: &str| match out.last_mut() {
        Some(Segment::Literal(l)) => l.push_str(text),
        _ if text.is_empty() => {}
        _ => out.push(Segment::Literal(text.to_string())),
    };
    while let Some(open) = rest.find('{') {
        push_literal(&mut out, &rest[..open]);
        let close = rest[open..].find('}')? + open;
        let name = &rest[open + 1..close];
        match known(name) {
            Some(v) => push_literal(&mut out, &v),
            None => {
                if matches!(out.last(), Some(Segment::Unknown)) {
                    return None;
                }
                out.push(Segment::Unknown);
            }
        }
        rest = &rest[close + 1..];
    }
    push_literal(&mut out, rest);
    Some(out)
}

/// Walks every way `value` matches `segments`, collecting what each unknown took.
fn split<'v>(segments: &[Segment], value: &'v str, taken: &mut Vec<&'v str>, out: &mut Vec<String>, n: &mut usize) {
    if *n >= MAX_SPLITS {
        return;
    }
    match segments.split_first() {
        None => {
            if value.is_empty() {
                *n += 1;
                out.extend(taken.iter().map(|s| s.to_string()));
            }
        }
        Some((Segment::Literal(l), rest)) => {
            if let Some(after) = value.strip_prefix(l.as_str()) {
                split(rest, after, taken, out, n);
            }
        }
        Some((Segment::Unknown, rest)) => match rest.first() {
            // The last part takes the rest.
            None if !value.is_empty() => {
                taken.push(value);
                split(rest, "", taken, out, n);
                taken.pop();
            }
            None => {}
            Some(Segment::Literal(l)) => {
                // Non-empty, up to each place the next literal occurs.
                for (at, _) in value.match_indices(l.as_str()).filter(|(at, _)| *at > 0) {
                    taken.push(&value[..at]);
                    split(rest, &value[at..], taken, out, n);
                    taken.pop();
                }
            }
            Some(Segment::Unknown) => {}
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEMPLATE: &str = "{account_id}_{api_key}_{api_key_id}";

    fn account(name: &str) -> Option<String> {
        (name == "account_id").then(|| "acc_abc123".to_string())
    }

    #[test]
    fn the_documented_example_gives_the_api_key_among_its_candidates() {
        // https://api-docs.payments.ai/docs/api/authentication
        let p = parts("acc_abc123_key_xyz789_kid_def456", TEMPLATE, &account);
        assert!(p.contains(&"key_xyz789".to_string()), "{p:?}");
        assert!(p.contains(&"kid_def456".to_string()), "{p:?}");
        assert!(p.iter().all(|c| !c.starts_with("acc_abc123")), "the account id is not a secret part: {p:?}");
    }

    #[test]
    fn a_value_of_another_shape_gives_nothing() {
        assert!(parts("other_account_key_id", TEMPLATE, &account).is_empty());
        assert!(parts("acc_abc123_nounderscore", TEMPLATE, &account).is_empty());
        assert!(parts("anything", "{a}{b}", &|_| None).is_empty(), "touching placeholders cannot be split");
    }

    #[test]
    fn a_long_key_with_underscores_is_found_whole() {
        let p = parts("acc_abc123_CANARY_pk_live_7f3c_91d0_CANARY-kid-5521", TEMPLATE, &account);
        assert!(p.contains(&"CANARY_pk_live_7f3c_91d0".to_string()), "{p:?}");
        assert!(p.contains(&"CANARY-kid-5521".to_string()), "{p:?}");
        assert!(p.iter().all(|c| c.len() >= MIN_PART_LEN));
    }
}
