//! Card numbers need no declaration: any Luhn-valid run of 13–19 digits,
//! plain or grouped by single spaces or dashes, is masked to its last four.

use std::sync::LazyLock;

use regex::Regex;

use super::MASK;

/// Digit groups separated by single spaces or dashes: candidates for card numbers.
/// ASCII digits (`[0-9]`), as the Luhn check reads them: Unicode's `\d` also took
/// other scripts' digits as group separators, and compiling its class cost
/// about 0.2 ms at every run's first trace.
static DIGIT_RUNS: LazyLock<Option<Regex>> = LazyLock::new(|| Regex::new(r"[0-9]+(?:[ -][0-9]+)*").ok());

/// Whether the text has a run of at least 13 digits in groups separated by
/// single spaces or dashes ([`DIGIT_RUNS`]): the least a card number is.
fn has_long_digit_run(text: &[u8]) -> bool {
    let mut digits = 0;
    for (i, b) in text.iter().enumerate() {
        let joins = matches!(b, b' ' | b'-')
            && i > 0
            && text[i - 1].is_ascii_digit()
            && text.get(i + 1).is_some_and(u8::is_ascii_digit);
        match (b.is_ascii_digit(), joins) {
            (true, _) => digits += 1,
            (false, true) => {}
            (false, false) => digits = 0,
        }
        if digits >= 13 {
            return true;
        }
    }
    false
}

/// Whether a string of ASCII digits passes the Luhn check.
fn luhn(digits: &[u8]) -> bool {
    let sum: u32 = digits
        .iter()
        .rev()
        .enumerate()
        .map(|(i, d)| {
            let d = u32::from(d - b'0');
            if i % 2 == 1 { if d > 4 { d * 2 - 9 } else { d * 2 } } else { d }
        })
        .sum();
    sum.is_multiple_of(10)
}

/// Masks every card number in a text: a run of 13 to 19 digits, optionally
/// grouped by single spaces or dashes, that passes the Luhn check, becomes
/// `***` followed by its last four digits (`***1111`, the most PCI DSS allows
/// to display). Within a longer run of groups (a card number followed by a
/// year, say) every Luhn-valid stretch of whole groups is masked. The price:
/// a 13–19 digit number that is not a card (a millisecond timestamp, an id)
/// is masked when it happens to pass the check, one time in ten.
pub fn mask_card_numbers(text: &str) -> String {
    masked_cards(text).unwrap_or_else(|| text.to_string())
}

/// The text with its card numbers masked (see [`mask_card_numbers`]), or
/// `None` when it holds none: most strings of a report have no run of 13
/// digits (a URL's `127.0.0.1:8443` has runs of at most five), and are
/// neither searched nor copied, nor is the regex compiled for them.
pub(crate) fn masked_cards(text: &str) -> Option<String> {
    if !has_long_digit_run(text.as_bytes()) {
        return None;
    }
    let re = DIGIT_RUNS.as_ref()?;
    let mut out = String::with_capacity(text.len());
    let mut last = 0;
    for m in re.find_iter(text) {
        // Groups of the run as (start, end) byte offsets into `text`.
        let mut groups = Vec::new();
        let mut start = None;
        for (i, b) in m.as_str().bytes().enumerate() {
            match (b.is_ascii_digit(), start) {
                (true, None) => start = Some(i),
                (false, Some(s)) => {
                    groups.push((m.start() + s, m.start() + i));
                    start = None;
                }
                _ => {}
            }
        }
        if let Some(s) = start {
            groups.push((m.start() + s, m.end()));
        }
        let mut i = 0;
        while i < groups.len() {
            // The groups from `i` that fit in 19 digits: a card number is never
            // longer, so a long run of groups costs linear time, not cubic.
            let mut digits: Vec<u8> = Vec::with_capacity(19);
            let mut ends = Vec::new();
            for (j, &(a, b)) in groups.iter().enumerate().skip(i) {
                if digits.len() + (b - a) > 19 {
                    break;
                }
                digits.extend_from_slice(&text.as_bytes()[a..b]);
                ends.push((j, digits.len()));
            }
            // The longest stretch of whole groups that is a card number.
            let found = ends.iter().rev().find_map(|&(j, len)| {
                ((13..=19).contains(&len) && luhn(&digits[..len])).then(|| (j, digits[..len].to_vec()))
            });
            match found {
                Some((j, digits)) => {
                    out.push_str(&text[last..groups[i].0]);
                    out.push_str(MASK);
                    out.push_str(&String::from_utf8_lossy(&digits[digits.len() - 4..]));
                    last = groups[j].1;
                    i = j + 1;
                }
                None => i += 1,
            }
        }
    }
    if last == 0 {
        return None;
    }
    out.push_str(&text[last..]);
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks_luhn_valid_card_numbers_plain_spaced_and_dashed() {
        assert_eq!(mask_card_numbers("pan 4111111111111111."), "pan ***1111.");
        assert_eq!(mask_card_numbers("{\"pan\":\"5555 5555 5555 4444\"}"), "{\"pan\":\"***4444\"}");
        assert_eq!(mask_card_numbers("4000-0566-5566-5556 ok"), "***5556 ok");
        // 13 (old Visa) and 19 digits.
        assert_eq!(mask_card_numbers("4222222222222"), "***2222");
        assert_eq!(mask_card_numbers("6011000990139424"), "***9424");
    }

    #[test]
    fn leaves_non_cards_alone() {
        // Fails the Luhn check.
        assert_eq!(mask_card_numbers("4111111111111112"), "4111111111111112");
        // Too short, too long, dates, phone numbers, amounts.
        assert_eq!(mask_card_numbers("411111111111"), "411111111111");
        assert_eq!(mask_card_numbers("41111111111111111111"), "41111111111111111111");
        assert_eq!(
            mask_card_numbers("2026-11-21 +1 415 555 0100 took 1250 ms"),
            "2026-11-21 +1 415 555 0100 took 1250 ms"
        );
        assert_eq!(mask_card_numbers("no digits"), "no digits");
        assert_eq!(masked_cards("2026-11-21T10:00:00Z took 1250 ms, id 4111111111111112"), None);
        assert_eq!(masked_cards("GET https://127.0.0.1:34923/v2/cardholders answered 200"), None);
    }

    #[test]
    fn the_quick_test_lets_every_run_a_card_could_be_through() {
        for long in ["4111111111111111", "4111 1111 1111 1111", "4111-1111-1111-1111", "x 4-1-1-1-1-1-1-1-1-1-1-1-1 y"]
        {
            assert!(has_long_digit_run(long.as_bytes()), "{long}");
        }
        for short in ["411111111111", "4111  1111 1111 1111", "4111.1111.1111.1111", "127.0.0.1:34923", "1- 2"] {
            assert!(!has_long_digit_run(short.as_bytes()), "{short}");
        }
    }

    #[test]
    fn a_card_number_next_to_other_groups_is_still_masked() {
        assert_eq!(mask_card_numbers("4111 1111 1111 1111 2029"), "***1111 2029");
        assert_eq!(mask_card_numbers("12 4111111111111111"), "12 ***1111");
    }

    #[test]
    fn a_long_run_of_digit_groups_is_scanned_in_linear_time_and_still_masked() {
        // 100,000 one-digit groups, then a card: cubic scanning never ended here.
        let mut text = "5 ".repeat(100_000);
        text.push_str("5, card 4111 1111 1111 1111");
        let out = mask_card_numbers(&text);
        assert!(out.ends_with("***1111"), "{}", &out[out.len() - 40..]);
        assert!(!out.contains("4111"));
    }
}
