//! Durations past the clock's range: every flag and key that takes one
//! answers exit 2 with the allowed range, never an overflow panic (exit 101).

use super::{Tally, run_in};

const HUGE: &str = "18446744073709551615s";

/// One place a duration is given.
pub struct Case {
    /// golive's arguments (`{}` stands for the duration).
    args: &'static [&'static str],
    /// The duration written there.
    value: &'static str,
    /// A golive.toml, when the duration is in it (`{}` for the duration).
    config: Option<&'static str>,
}

/// Every flag and key, with a duration too long and one too short.
pub fn cases() -> Vec<Case> {
    let flags: [&'static [&'static str]; 7] = [
        &["verify", "--env", "demo", "--timeout", "{}"],
        &["verify", "--env", "demo", "--watch", "{}"],
        &["verify", "--env", "demo", "--watch", "1s", "--for", "{}"],
        &["serve", "--env", "demo", "--listen", "127.0.0.1:0", "--timeout", "{}"],
        &["serve", "--env", "demo", "--listen", "127.0.0.1:0", "--min-interval", "{}"],
        &["alerts", "--env", "demo", "--for", "{}"],
        &["key", "exchange", "--env", "demo", "--timeout", "{}"],
    ];
    let mut out = Vec::new();
    for args in flags {
        for value in [HUGE, "9999999999999d", "1ns"] {
            out.push(Case { args, value, config: None });
        }
    }
    for value in [HUGE, "400d"] {
        out.push(Case {
            args: &["verify", "--env", "staging"],
            value,
            config: Some("[env.staging]\npack = \"axys\"\nbase_url = \"https://api.example.test\"\ntimeout = \"{}\"\n"),
        });
    }
    out
}

/// The command line of a case.
pub fn name(case: &Case) -> String {
    let args: Vec<String> = case.args.iter().map(|a| a.replace("{}", case.value)).collect();
    match case.config {
        Some(_) => format!("golive {} with timeout = \"{}\" in golive.toml", args.join(" "), case.value),
        None => format!("golive {}", args.join(" ")),
    }
}

/// Runs one case: exit 2 naming the range.
pub fn check(case: &Case) -> Result<(), String> {
    let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
    if let Some(text) = case.config {
        std::fs::write(dir.path().join("golive.toml"), text.replace("{}", case.value)).map_err(|e| e.to_string())?;
    }
    let args: Vec<String> = case.args.iter().map(|a| a.replace("{}", case.value)).collect();
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let ended = run_in(dir.path(), &args)?;
    if ended.code != Some(2) {
        return Err(format!("exit {:?}, expected 2: {}", ended.code, ended.stderr));
    }
    if !ended.stderr.contains("1ms to 366d") {
        return Err(format!("the allowed range is not said: {}", ended.stderr));
    }
    Ok(())
}

/// Every case tried.
pub fn tally() -> Tally {
    Tally::of(&cases(), name, check)
}

/// `--timeout 18446744073709551615s` (and `--watch`, `timeout =`, `serve
/// --timeout`) panicked on overflow with exit 101.
#[test]
fn a_duration_past_the_clocks_range_is_a_usage_error_with_the_allowed_range() {
    tally().assert_held();
}
