//! Remote text is data, never control: whatever a server puts in a body, a
//! header or a reason phrase, and so in check messages, values, diagnoses and
//! facts, comes out of every renderer inert. A property test over the report
//! model (human, Markdown, JUnit, JSON, HTML, the watch summary, the checklist), and
//! real servers on 127.0.0.1 whose 500 carries escape sequences and Markdown.

use std::collections::BTreeMap;
use std::io::Write as _;

use golive::plan::Selection;
use golive::report::{Check, Counts, Format, ProbeReport, RunSummary, SCHEMA_VERSION, Status};
use golive::runner::RunOptions;
use golive::spec::{Diagnosis, RunbookRef};
use golive::watch::{ProbeStats, Round, RoundProbe, Spike, SpikeMeaning, WatchSummary};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use wiremock::matchers::path;
use wiremock::{Mock, ResponseTemplate};

use crate::support::{env_at, golive, pack_from, run_pack, stderr, stdout};

/// What a hostile server sends: terminal controls, bidi overrides, Markdown and HTML.
const FRAGMENTS: &[&str] = &[
    "\u{1b}[2J",
    "\u{1b}]0;pwned\u{7}",
    "\u{1b}]8;;http://e\u{1b}\\link\u{1b}]8;;\u{1b}\\",
    "\u{9b}31m",
    "\u{202e}",
    "\u{2066}",
    "\u{200f}",
    "\u{061c}",
    "\u{2028}",
    "\u{7f}",
    "\u{0}",
    "\r",
    "\n",
    "\r\n",
    "\t",
    "\n# hi\n",
    "# hi",
    "![x](http://e/x.png)",
    "[a](http://e)",
    "<img src=x>",
    "</details>",
    "<!-- c -->",
    "| a | b |",
    "\\|",
    "\\",
    "`",
    "``",
    "```",
    "\n```\n",
    "~~~",
    "&lt;",
    "&amp;",
    "@team",
    " ",
    "- [x] ",
    "> ",
    "]]>",
    "\"'",
    "\u{fffe}",
];

/// Hostile text: fragments, arbitrary characters and arbitrary bytes read as UTF-8.
fn hostile() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        3 => proptest::sample::select(FRAGMENTS).prop_map(str::to_string),
        2 => any::<char>().prop_map(String::from),
        1 => proptest::collection::vec(any::<u8>(), 0..8).prop_map(|b| String::from_utf8_lossy(&b).into_owned()),
    ];
    proptest::collection::vec(piece, 0..12).prop_map(|pieces| pieces.concat())
}

/// Characters that must never reach a terminal as themselves.
fn is_forbidden_on_terminal(c: char) -> bool {
    (c.is_control() && c != '\n')
        || matches!(c, '\u{061c}' | '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
        || matches!(c, '\u{2028}' | '\u{2029}')
}

fn check(name: &str, status: Status, message: &str, value: &str) -> Check {
    Check::new(name, status, message).with_values(value, value)
}

/// A run of five probes (one per status) whose checks, values, diagnoses and
/// facts carry `h`; ids, titles and skip reasons are the pack's and golive's own.
fn run_summary(h: &[String; 4]) -> RunSummary {
    let probe = |id: &str, status: Status, checks: Vec<Check>, diagnosis: bool| {
        let mut facts = BTreeMap::new();
        facts.insert("subject".to_string(), serde_json::Value::String(h[3].clone()));
        facts.insert("status".to_string(), serde_json::json!(500));
        ProbeReport {
            id: id.into(),
            kind: "http".into(),
            pack: "shop".into(),
            env: String::new(),
            title: format!("Title of {id}"),
            status,
            started_ms: 1,
            duration_ms: 7,
            reason: (status == Status::Skip).then(|| "needs `create`, which failed".to_string()),
            checks,
            phases: Vec::new(),
            facts,
            http_status: Some(500),
            error_class: None,
            diagnosis: diagnosis.then(|| Diagnosis { cause: h[1].clone(), fix: h[2].clone() }),
            runbook: vec![RunbookRef { runbook: "rb".into(), section: "Phase 3".into(), item: format!("Item {id}") }],
            tags: Vec::new(),
            shapes: Vec::new(),
            trace: Vec::new(),
        }
    };
    let probes = vec![
        probe("pass", Status::Pass, vec![Check::note("status", &h[0]).with_values(&h[1], &h[1])], false),
        probe(
            "fail",
            Status::Fail,
            vec![check("status", Status::Fail, &h[0], &h[1]), check(&h[2], Status::Fail, &h[3], &h[0])],
            true,
        ),
        probe("warn", Status::Warn, vec![check("days", Status::Warn, &h[1], &h[2])], true),
        probe("error", Status::Error, vec![check("connect", Status::Error, &h[3], &h[3])], true),
        probe("skip", Status::Skip, Vec::new(), false),
    ];
    RunSummary {
        schema: SCHEMA_VERSION,
        golive_version: "0.0.0".into(),
        env: "staging".into(),
        egress: None,
        packs: vec!["shop".into()],
        started_at: "2026-01-01T00:00:00Z".into(),
        duration_ms: 9,
        summary: Counts::of(&probes),
        probes,
        off: Vec::new(),
    }
}

/// A watch over `run_summary(h)`: each probe's stats carry its diagnosis.
fn watch_summary(h: &[String; 4]) -> WatchSummary {
    let run = run_summary(h);
    let probes = run
        .probes
        .iter()
        .map(|p| ProbeStats {
            id: p.id.clone(),
            kind: p.kind.clone(),
            pack: p.pack.clone(),
            title: p.title.clone(),
            worst: p.status,
            rounds: 2,
            counts: Counts::of([p]),
            pass_rate: Some(0.5),
            not_run: None,
            first_failure_at: Some("2026-01-01T00:00:01Z".into()),
            first_failure_round: Some(1),
            flaps: 1,
            diagnosis: p.diagnosis.clone(),
            worst_report: Some(p.clone()),
        })
        .collect();
    let round = Round {
        round: 1,
        started_at: "2026-01-01T00:00:01Z".into(),
        duration_ms: 3,
        summary: run.summary,
        probes: run
            .probes
            .iter()
            .map(|p| RoundProbe { id: p.id.clone(), status: p.status, http_status: Some(500), duration_ms: 4 })
            .collect(),
    };
    WatchSummary {
        schema: SCHEMA_VERSION,
        mode: "watch",
        golive_version: "0.0.0".into(),
        env: "staging".into(),
        packs: vec!["shop".into()],
        started_at: "2026-01-01T00:00:00Z".into(),
        duration_ms: 2000,
        interval_ms: 1000,
        interrupted: false,
        summary: run.summary,
        probes,
        spikes: vec![Spike {
            status: "5xx".into(),
            rounds: 1,
            answers: 2,
            first_at: "2026-01-01T00:00:01Z".into(),
            probes: vec!["fail".into(), "error".into()],
            meanings: vec![SpikeMeaning { pack: "shop".into(), meaning: "the partner is down".into() }],
        }],
        rounds: vec![round],
    }
}

fn render(summary: &RunSummary, format: Format, colour: bool) -> String {
    let mut out = Vec::new();
    format.render(summary, &mut out, colour).expect("render");
    String::from_utf8(out).expect("utf-8")
}

fn render_watch(summary: &WatchSummary, format: Format, colour: bool) -> String {
    let mut out = Vec::new();
    golive::watch::render::render(format, summary, &mut out, colour).expect("render");
    String::from_utf8(out).expect("utf-8")
}

/// Human output: no control character but the renderer's own newlines (and,
/// with colour, its own SGR sequences), no bidi control, and no more lines than
/// the same report with plain text in it.
fn assert_terminal_safe(text: &str, benign: &str) -> Result<(), TestCaseError> {
    let sgr = regex::Regex::new(r"\x1b\[[0-9;]*m").expect("regex");
    let plain = sgr.replace_all(text, "");
    let bad: Vec<char> = plain.chars().filter(|c| is_forbidden_on_terminal(*c)).collect();
    prop_assert!(bad.is_empty(), "{bad:?} reached the terminal:\n{text}");
    prop_assert_eq!(plain.lines().count(), benign.lines().count(), "a value added lines:\n{}", text);
    Ok(())
}

/// The parts of a Markdown line outside its code spans (CommonMark: a run of
/// n backticks opens a span closed by the next run of exactly n; a backslash
/// escapes the punctuation after it).
pub fn outside_code_spans(line: &str) -> String {
    let chars: Vec<char> = line.chars().collect();
    let mut out = String::new();
    let mut i = 0;
    while i < chars.len() {
        if chars[i] == '\\' && i + 1 < chars.len() && chars[i + 1].is_ascii_punctuation() {
            out.push(chars[i]);
            out.push(chars[i + 1]);
            i += 2;
            continue;
        }
        if chars[i] != '`' {
            out.push(chars[i]);
            i += 1;
            continue;
        }
        let run = chars[i..].iter().take_while(|c| **c == '`').count();
        let mut j = i + run;
        let mut closed = None;
        while j < chars.len() {
            if chars[j] == '`' {
                let other = chars[j..].iter().take_while(|c| **c == '`').count();
                if other == run {
                    closed = Some(j + other);
                    break;
                }
                j += other;
            } else {
                j += 1;
            }
        }
        match closed {
            Some(end) => {
                out.push_str("⟦code⟧");
                i = end;
            }
            None => {
                out.extend(std::iter::repeat_n('`', run));
                i += run;
            }
        }
    }
    out
}

/// The cells of a GFM table row: pipes not escaped by a backslash (the table
/// parser pairs a backslash with any punctuation after it).
fn table_pipes(line: &str) -> usize {
    let chars: Vec<char> = line.chars().collect();
    let (mut i, mut pipes) = (0, 0);
    while i < chars.len() {
        if chars[i] == '\\' && i + 1 < chars.len() && chars[i + 1].is_ascii_punctuation() {
            i += 2;
            continue;
        }
        pipes += usize::from(chars[i] == '|');
        i += 1;
    }
    pipes
}

/// The lines of a Markdown document outside fenced code blocks; fails on a
/// fence left open.
fn outside_fences(text: &str) -> Result<Vec<&str>, TestCaseError> {
    let mut lines = Vec::new();
    let mut open: Option<usize> = None;
    for line in text.lines() {
        let trimmed = line.trim_start_matches(' ');
        let run = trimmed.chars().take_while(|c| *c == '`').count();
        match open {
            Some(n) if run >= n && trimmed.trim_end() == "`".repeat(run) => open = None,
            Some(_) => {}
            None if run >= 3 && line.len() - trimmed.len() <= 3 => open = Some(run),
            None => lines.push(line),
        }
    }
    prop_assert!(open.is_none(), "a fenced block is left open:\n{}", text);
    Ok(lines)
}

/// Markdown invariants: outside code, no link, image, HTML tag or heading the
/// renderer did not write, every line one the renderer writes, and the table
/// keeps its columns and rows.
fn assert_markdown_inert(
    text: &str,
    headings: usize,
    rows: usize,
    columns: usize,
    shapes: &[&str],
) -> Result<(), TestCaseError> {
    let bad: Vec<char> = text.chars().filter(|c| is_forbidden_on_terminal(*c)).collect();
    prop_assert!(bad.is_empty(), "{bad:?} reached the Markdown:\n{text}");
    let tag = regex::Regex::new(r"<[A-Za-z/!?]").expect("regex");
    let counts = regex::Regex::new(r"^[\d,]+ (probes?|rounds)\b").expect("regex");
    let lines = outside_fences(text)?;
    prop_assert_eq!(lines.iter().filter(|l| l.starts_with('#')).count(), headings, "headings:\n{}", text);
    let table: Vec<&&str> = lines.iter().filter(|l| l.starts_with('|')).collect();
    prop_assert_eq!(table.len(), rows, "table rows:\n{}", text);
    for row in table {
        prop_assert_eq!(table_pipes(row), columns + 1, "cells of {}:\n{}", row, text);
    }
    for line in lines {
        let outside = outside_code_spans(line);
        prop_assert!(!outside.contains("]("), "a link outside code: {line}\n{text}");
        prop_assert!(!outside.contains("!["), "an image outside code: {line}\n{text}");
        prop_assert!(!tag.is_match(&outside), "HTML outside code: {line}\n{text}");
        prop_assert!(!outside.contains('@'), "a mention outside code: {line}\n{text}");
        prop_assert!(
            line.is_empty() || shapes.iter().any(|s| line.starts_with(s)) || counts.is_match(line),
            "a line the renderer does not write: {line:?}\n{text}"
        );
    }
    Ok(())
}

/// JUnit: well-formed XML made only of XML characters, one testcase per probe,
/// and no control character in any text or attribute value.
fn assert_junit_well_formed(text: &str, cases: usize) -> Result<(), TestCaseError> {
    let xml_char = |c: char| matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{d7ff}' | '\u{e000}'..='\u{fffd}' | '\u{10000}'..='\u{10ffff}');
    let bad: Vec<char> = text.chars().filter(|c| !xml_char(*c)).collect();
    prop_assert!(bad.is_empty(), "{bad:?} is not an XML character:\n{text}");
    let mut reader = quick_xml::Reader::from_str(text);
    let mut testcases = 0;
    loop {
        match reader.read_event() {
            Ok(quick_xml::events::Event::Eof) => break,
            Ok(quick_xml::events::Event::Start(e) | quick_xml::events::Event::Empty(e)) => {
                testcases += usize::from(e.name().as_ref() == b"testcase");
                for attr in e.attributes() {
                    let attr = attr.map_err(|e| TestCaseError::fail(format!("bad attribute: {e}\n{text}")))?;
                    let value = attr.unescape_value().map_err(|e| TestCaseError::fail(format!("{e}\n{text}")))?;
                    let bad: Vec<char> = value.chars().filter(|c| is_forbidden_on_terminal(*c)).collect();
                    prop_assert!(bad.is_empty(), "{bad:?} in an attribute:\n{text}");
                }
            }
            Ok(quick_xml::events::Event::Text(t)) => {
                let value = t.decode().map_err(|e| TestCaseError::fail(format!("{e}\n{text}")))?;
                let bad: Vec<char> = value.chars().filter(|c| is_forbidden_on_terminal(*c)).collect();
                prop_assert!(bad.is_empty(), "{bad:?} in a text node:\n{text}");
            }
            Ok(quick_xml::events::Event::GeneralRef(r)) => {
                let c = r.resolve_char_ref().map_err(|e| TestCaseError::fail(format!("{e}\n{text}")))?;
                prop_assert!(!c.is_some_and(|c| is_forbidden_on_terminal(c) || !xml_char(c)), "{c:?}:\n{text}");
            }
            Ok(_) => {}
            Err(e) => return Err(TestCaseError::fail(format!("JUnit is not well-formed XML: {e}\n{text}"))),
        }
    }
    prop_assert_eq!(testcases, cases, "{}", text);
    Ok(())
}

/// HTML: parsed as a browser would (html5ever, through scraper), the page
/// has exactly the elements of the same page with plain text in it (no value
/// adds a tag, closes one or opens a comment), no text or attribute holds a
/// character a terminal must not see (line breaks in text excepted), and no
/// attribute points anywhere but into the page.
fn assert_html_inert(text: &str, benign: &str) -> Result<(), TestCaseError> {
    use scraper::node::Node;
    let tags = |html: &scraper::Html| -> Vec<String> {
        html.tree.nodes().filter_map(|n| n.value().as_element().map(|e| e.name().to_string())).collect()
    };
    let (page, plain) = (scraper::Html::parse_document(text), scraper::Html::parse_document(benign));
    prop_assert!(page.errors.is_empty() || page.errors.len() == plain.errors.len(), "{:?}\n{}", page.errors, text);
    prop_assert_eq!(tags(&page), tags(&plain), "a value changed the page's elements:\n{}", text);
    for node in page.tree.nodes() {
        match node.value() {
            Node::Text(t) => {
                let bad: Vec<char> = t.chars().filter(|c| *c != '\n' && is_forbidden_on_terminal(*c)).collect();
                prop_assert!(bad.is_empty(), "{:?} in a text node:\n{}", bad, text);
            }
            Node::Element(e) => {
                for (name, value) in e.attrs() {
                    let bad: Vec<char> = value.chars().filter(|c| is_forbidden_on_terminal(*c)).collect();
                    prop_assert!(bad.is_empty(), "{:?} in attribute {}:\n{}", bad, name, text);
                    prop_assert!(
                        !matches!(name, "src" | "srcset" | "action" | "formaction" | "background" | "poster"),
                        "{}",
                        name
                    );
                    prop_assert!(name != "href" || value.starts_with('#'), "a link off the page: {}", value);
                    prop_assert!(!name.starts_with("on"), "an event handler: {}", name);
                }
            }
            Node::Comment(c) => prop_assert!(false, "a comment the renderer did not write: {:?}", &**c),
            _ => {}
        }
    }
    Ok(())
}

/// The lines the Markdown report writes.
const REPORT_SHAPES: &[&str] = &["## ", "### ", "| ", "|---", "- **", "**Cause:**", "**Fix:**", "Skipped: "];

fn benign() -> [String; 4] {
    ["plain".to_string(), "text".to_string(), "only".to_string(), "here".to_string()]
}

proptest! {
    #![proptest_config(Config { cases: 192, ..Config::default() })]

    #[test]
    fn hostile_text_in_a_run_comes_out_of_every_renderer_inert(
        h0 in hostile(), h1 in hostile(), h2 in hostile(), h3 in hostile()
    ) {
        let h = [h0, h1, h2, h3];
        let s = run_summary(&h);
        let plain = run_summary(&benign());
        for colour in [false, true] {
            assert_terminal_safe(&render(&s, Format::Human, colour), &render(&plain, Format::Human, colour))?;
        }
        // 1 title + 4 probes that did not pass; header, rule and 5 probes; 5 columns.
        assert_markdown_inert(&render(&s, Format::Markdown, false), 5, 7, 5, REPORT_SHAPES)?;
        assert_junit_well_formed(&render(&s, Format::Junit, false), 5)?;
        assert_html_inert(&render(&s, Format::Html, false), &render(&plain, Format::Html, false))?;
        // JSON is data: it keeps the bytes exactly.
        let doc: serde_json::Value = serde_json::from_str(&render(&s, Format::Json, false))
            .map_err(|e| TestCaseError::fail(format!("invalid JSON: {e}")))?;
        prop_assert_eq!(&doc["probes"][1]["checks"][0]["message"], &serde_json::json!(h[0]));
        prop_assert_eq!(&doc["probes"][1]["checks"][0]["actual"], &serde_json::json!(h[1]));
        prop_assert_eq!(&doc["probes"][1]["checks"][1]["name"], &serde_json::json!(h[2]));
        prop_assert_eq!(&doc["probes"][1]["diagnosis"]["fix"], &serde_json::json!(h[2]));
        prop_assert_eq!(&doc["probes"][1]["facts"]["subject"], &serde_json::json!(h[3]));
    }

    #[test]
    fn hostile_text_in_a_watch_comes_out_of_every_renderer_inert(
        h0 in hostile(), h1 in hostile(), h2 in hostile(), h3 in hostile()
    ) {
        let h = [h0, h1, h2, h3];
        let w = watch_summary(&h);
        let plain = watch_summary(&benign());
        for colour in [false, true] {
            assert_terminal_safe(&render_watch(&w, Format::Human, colour), &render_watch(&plain, Format::Human, colour))?;
        }
        for round in &w.rounds {
            let line = golive::watch::render::round_line(round);
            prop_assert!(!line.chars().any(is_forbidden_on_terminal), "{}", line);
        }
        // Title and spikes; header, rule and 5 probes; 5 columns.
        let shapes = ["## ", "### ", "| ", "|---", "- **", "  - "];
        assert_markdown_inert(&render_watch(&w, Format::Markdown, false), 2, 7, 5, &shapes)?;
        assert_junit_well_formed(&render_watch(&w, Format::Junit, false), 5)?;
        assert_html_inert(&render_watch(&w, Format::Html, false), &render_watch(&plain, Format::Html, false))?;
        let doc: serde_json::Value = serde_json::from_str(&render_watch(&w, Format::Json, false))
            .map_err(|e| TestCaseError::fail(format!("invalid JSON: {e}")))?;
        prop_assert_eq!(&doc["probes"][1]["diagnosis"]["cause"], &serde_json::json!(h[1]));
    }
}

#[test]
fn the_markdown_function_quotes_entities_and_outfences_backticks() {
    use golive::report::text::{Md, markdown};
    assert_eq!(markdown("verify with `dig -x <calling IP>`", Md::Inline), "`` verify with `dig -x <calling IP>` ``");
    assert_eq!(markdown("| a | b |", Md::Cell), r"`\| a \| b \|`");
}

/// The built-in packs' probes, for a checklist report.
const DEMO_PROBES: &[&str] = &[
    "axys-cert",
    "axys-tls",
    "axys-auth",
    "axys-fcrdns",
    "axys-staging-flow",
    "axys-production-flow",
    "pai-api-key",
    "pai-key-exchange",
    "pai-webhook-signature",
    "pai-environment",
    "pai-website-terms",
    "pai-website-privacy",
    "pai-website-refund",
    "pai-website-contact",
    "pai-website-currency",
];

/// `golive checklist --from` a report whose probes failed with `details`.
fn checklist_of(dir: &std::path::Path, name: &str, details: &[String]) -> String {
    let statuses = ["fail", "skip", "error", "warn"];
    let probes: Vec<serde_json::Value> = DEMO_PROBES
        .iter()
        .enumerate()
        .map(|(i, id)| {
            let detail = &details[i % details.len()];
            serde_json::json!({
                "id": id,
                "status": statuses[i % statuses.len()],
                "reason": detail,
                "checks": [{ "name": "status", "status": "fail", "message": detail }],
                "diagnosis": { "cause": detail, "fix": detail },
            })
        })
        .collect();
    let report = serde_json::json!({
        "schema": 1, "env": "demo", "packs": ["axys", "paymentsai"],
        "started_at": details[0], "probes": probes,
    });
    let path = dir.join(name);
    std::fs::File::create(&path).and_then(|mut f| f.write_all(report.to_string().as_bytes())).expect("report");
    let out = golive(&["checklist", "--env", "demo", "--from", path.to_str().expect("utf-8 path")]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    stdout(&out)
}

/// The checklist from a report holding hostile text: the same lines and
/// headings as from a plain one, and nothing active outside code.
#[test]
fn hostile_text_in_a_report_leaves_the_checklist_inert() {
    let dir = tempfile::tempdir().expect("tempdir");
    let plain = checklist_of(dir.path(), "plain.json", &["plain text".to_string()]);
    let headings = plain.lines().filter(|l| l.starts_with('#')).count();
    let mut runner = TestRunner::new(Config { cases: 4, ..Config::default() });
    let strategy = proptest::collection::vec(hostile(), DEMO_PROBES.len());
    let shapes = ["# Go-live checklist: ", "## ", "Runbook ", "- [ ] ", "- [x] "];
    runner
        .run(&strategy, |details| {
            let mut details = details;
            details.push(FRAGMENTS.concat());
            let text = checklist_of(dir.path(), "hostile.json", &details);
            prop_assert_eq!(text.lines().count(), plain.lines().count(), "{}", text);
            assert_markdown_inert(&text, headings, 0, 0, &shapes)
        })
        .unwrap_or_else(|e| panic!("{e}"));
}

/// Escape sequences, bidi overrides and Markdown a server can send.
const BODY: &str =
    "\u{1b}[2J\u{1b}]0;pwned\u{7}\u{202e}evil\n# hi\n![x](http://e/x.png) [a](http://e) <img src=x> | a | b |";

const HOSTILE_PACK: &str = r#"
[pack]
name = "hostile"
title = "Hostile server"
runbook = "hostile-runbook"

[[probe]]
id = "boom"
kind = "http"
title = "A 500 full of escape sequences"
runbook = [{ section = "Phase 3", item = "Server errors" }]
[probe.params]
url = "${base_url}/boom"
"#;

/// What the operator would see of `summary`: the human and Markdown reports.
fn assert_reports_inert(summary: &RunSummary) {
    let human = render(summary, Format::Human, false);
    assert!(!human.chars().any(is_forbidden_on_terminal), "{human}");
    let coloured = render(summary, Format::Human, true);
    assert!(!coloured.contains("\u{1b}[2J") && !coloured.contains("\u{1b}]"), "{coloured}");
    let markdown = render(summary, Format::Markdown, false);
    let probes = summary.probes.len();
    let not_passed = summary.probes.iter().filter(|p| p.status != Status::Pass).count();
    assert_markdown_inert(&markdown, 1 + not_passed, probes + 2, 5, REPORT_SHAPES).unwrap_or_else(|e| panic!("{e}"));
    assert_junit_well_formed(&render(summary, Format::Junit, false), probes).unwrap_or_else(|e| panic!("{e}"));
    // The same run with its texts replaced by plain ones is the HTML's benchmark.
    let mut plain = summary.clone();
    for p in &mut plain.probes {
        for c in &mut p.checks {
            c.message = "plain".into();
            c.expected = c.expected.as_ref().map(|_| "plain".into());
            c.actual = c.actual.as_ref().map(|_| "plain".into());
        }
        if let Some(d) = &mut p.diagnosis {
            (d.cause, d.fix) = ("plain".into(), "plain".into());
        }
        p.facts.values_mut().for_each(|v| *v = serde_json::json!("plain"));
    }
    let html = render(summary, Format::Html, false);
    assert_html_inert(&html, &render(&plain, Format::Html, false)).unwrap_or_else(|e| panic!("{e}"));
}

#[tokio::test]
async fn a_500_full_of_escape_sequences_and_markdown_shows_inert() {
    let server = golive_fakes::Wiremock::start().await;
    Mock::given(path("/boom"))
        .respond_with(
            ResponseTemplate::new(500)
                .insert_header("x-evil", "\u{202e}# hi <img src=x>")
                .set_body_raw(BODY.as_bytes().to_vec(), "text/plain"),
        )
        .mount(&server)
        .await;
    let summary =
        run_pack(env_at(&server.uri()), pack_from(HOSTILE_PACK), &Selection::default(), &RunOptions::default()).await;
    assert_eq!(summary.probes[0].status, Status::Fail, "{summary:?}");
    let human = render(&summary, Format::Human, false);
    // Shown, escaped, not acted on.
    assert!(human.contains(r"\x1b[2J\x1b]0;pwned\x07\u{202e}evil\n# hi\n![x]"), "{human}");
    let markdown = render(&summary, Format::Markdown, false);
    // A multi-line body is a fenced block inside the finding's list item.
    // (after the pack line of the check).
    let item = markdown.lines().find(|l| l.starts_with("- **fail** at `")).unwrap_or_else(|| panic!("{markdown}"));
    assert!(markdown.contains(&format!("{item}\n\n  ```\n  GET http://127.0.0.1:")), "{markdown}");
    assert!(markdown.contains(r"\x1b[2J\x1b]0;pwned\x07\u{202e}evil"), "{markdown}");
    assert_reports_inert(&summary);
}

/// A server whose status line's reason phrase carries the same, on a raw
/// socket (no HTTP library lets one write such a reason phrase).
#[tokio::test]
async fn a_reason_phrase_full_of_escape_sequences_and_markdown_shows_inert() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    let reasons = [
        // Only bytes HTTP allows in a reason phrase: bidi controls and Markdown...
        "Internal \u{202e}Error # hi ![x](http://e/x.png) [a](http://e) <img src=x> | a | b |".to_string(),
        // ...and what no client should accept, but a server may send.
        "Internal \u{1b}[2J\u{1b}]0;pwned\u{7} Error".to_string(),
    ];
    let served = reasons.clone();
    tokio::spawn(async move {
        for reason in served.iter().cycle() {
            let Ok((mut socket, _)) = listener.accept().await else { return };
            let mut buf = [0u8; 4096];
            let _ = socket.read(&mut buf).await;
            let answer = format!(
                "HTTP/1.1 500 {reason}\r\ncontent-type: text/plain\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{BODY}",
                BODY.len()
            );
            let _ = socket.write_all(answer.as_bytes()).await;
            let _ = socket.shutdown().await;
        }
    });
    for reason in &reasons {
        let summary = run_pack(
            env_at(&format!("http://{addr}")),
            pack_from(HOSTILE_PACK),
            &Selection::default(),
            &RunOptions::default(),
        )
        .await;
        assert!(matches!(summary.probes[0].status, Status::Fail | Status::Error), "{reason:?}: {summary:?}");
        assert_reports_inert(&summary);
    }
}
