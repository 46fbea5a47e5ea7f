//! What a new user reads in the first hour: the human report ends with what
//! to fix and says which probes were off and why; `golive list` fits the
//! terminal (`--wide` for every character), explains each placeholder URL it
//! shows, and never tells a demo user to edit a file that does not exist.

use crate::support::{golive, golive_in, stderr, stdout};

#[test]
fn the_human_report_ends_with_what_to_fix_after_the_probes_that_were_off() {
    let out = golive(&["verify", "--env", "demo", "--scenario", "ip-not-allowlisted", "--no-progress"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let text = stdout(&out);
    let recap = text.rsplit_once("\nTo fix (1):\n").map(|(_, r)| r).unwrap_or_else(|| panic!("a recap:\n{text}"));
    let mut lines = recap.lines();
    let first = lines.next().expect("the failed probe");
    assert!(first.contains("FAIL  axys-auth") && first.contains("[http-status]") && first.contains("403"), "{first}");
    assert!(lines.next().is_some_and(|l| l.trim_start().starts_with("fix: ")), "{recap}");
    assert_eq!(lines.next(), None, "the recap is the end of the report: {recap}");
    let off = text.split("Off in this environment (2):").nth(1).expect("the probes off in the demo");
    assert!(off.contains("axys-production-flow: runs only against a production environment"), "{off}");
    assert!(!text.contains("[env.demo]"), "the demo has no golive.toml to edit: {text}");

    let healthy = golive(&["verify", "--env", "demo", "--no-progress"]);
    assert!(!stdout(&healthy).contains("To fix"), "nothing to fix, no recap: {}", stdout(&healthy));
}

#[test]
fn list_fits_the_terminal_width_and_wide_shows_every_character() {
    let list = |columns: &str, extra: &[&str]| {
        let mut args = vec!["list", "--env", "demo"];
        args.extend_from_slice(extra);
        let out = golive_in(std::path::Path::new(env!("CARGO_MANIFEST_DIR")), &args, &[("COLUMNS", columns)]);
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
        stdout(&out)
    };
    let longest = |text: &str| text.lines().map(|l| l.chars().count()).max().unwrap_or(0);
    // A table whose cells give way.
    let text = list("140", &[]);
    assert!(longest(&text) <= 140 && text.starts_with("ID "), "{text}");
    assert!(text.contains('…') && text.contains("golive list --wide"), "cut cells are marked and explained:\n{text}");
    // Too narrow for the table: one wrapped block per probe, nothing cut.
    let text = list("72", &[]);
    assert!(longest(&text) <= 72, "a line of {} characters in 72 columns:\n{text}", longest(&text));
    assert!(text.starts_with("axys-cert (cert)\n    depends on -; tags "), "{text}");

    let text = list("100", &["--wide"]);
    assert!(!text.contains('…'), "{text}");
    assert!(text.contains("axys-program-launch › Phase 2: Production onboarding › "), "whole runbook items: {text}");
    // Into a pipe (no COLUMNS, no terminal) nothing is cut either.
    assert!(!stdout(&golive(&["list", "--env", "demo"])).contains('…'));
}

#[test]
fn list_explains_every_placeholder_url_it_shows() {
    let demo = stdout(&golive(&["list", "--env", "demo"]));
    assert!(demo.contains("127.0.0.1:9/"), "{demo}");
    assert!(demo.contains("127.0.0.1:9 stands for the demo's fakes"), "{demo}");
    assert!(!demo.contains("[env.demo]"), "no advice to edit a golive.toml the demo does not have: {demo}");

    let dir = tempfile::tempdir().expect("tempdir");
    let init = golive_in(dir.path(), &["init", "--pack", "paymentsai", "--env", "staging"], &[]);
    assert_eq!(init.status.code(), Some(0), "{}", stderr(&init));
    let list = golive_in(dir.path(), &["list", "--env", "staging"], &[]);
    assert_eq!(list.status.code(), Some(0), "{}", stderr(&list));
    let text = stdout(&list);
    assert!(text.contains("https://change-me.invalid"), "{text}");
    assert!(text.contains("is a placeholder `golive init` wrote") && text.contains("[env.staging]"), "{text}");
}
