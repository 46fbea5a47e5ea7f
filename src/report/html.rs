//! The HTML renderer: one self-contained page for people who would rather
//! look than read (the auditor, the launch-day lead, the SRE on call).
//!
//! The page (templates under `templates/report/`, compiled in by askama) holds
//! a summary header, a timeline (waterfall) of every probe and step with its
//! phases, one section per runbook stage with each probe's checks, cause and
//! fix, and for certificates a bar of the days left against the warn and fail
//! thresholds. A watch (`verify --watch`) or the exporter's `/report` adds the
//! history: each probe's rounds as a strip and its latency over time.
//!
//! Self-contained: no script, no font, no image or style from anywhere; a
//! Content-Security-Policy meta forbids every fetch (`default-src 'none'`,
//! inline style only), so the file behaves the same from `file://` on an
//! air-gapped laptop. Readable without JavaScript: there is none.
//!
//! Every string of the model passes [`text::terminal`] (line by line, so a
//! body keeps its lines) before askama's HTML escaping: the same
//! neutralisation as the terminal and Markdown renderers, then the markup's.
//! Numbers in `style` attributes are computed here, never taken from text.

use std::io::{self, Write};

use askama::Template;

use super::text::{self, terminal};
use super::{Check, Counts, Phase, ProbeReport, RunSummary, Status};

/// One point of a probe's history: a round of a watch, a run of the exporter.
#[derive(Debug, Clone, PartialEq)]
pub struct Point {
    /// The verdict then.
    pub status: Status,
    /// The probe's wall time then.
    pub duration_ms: u64,
    /// When, RFC 3339 UTC.
    pub at: String,
    /// The HTTP status of its final answer, if any.
    pub http_status: Option<u16>,
    /// What the point is, e.g. `round 3`.
    pub label: String,
}

/// One probe's history.
#[derive(Debug, Clone, PartialEq)]
pub struct Series {
    /// The probe id.
    pub id: String,
    /// Its title.
    pub title: String,
    /// Oldest first.
    pub points: Vec<Point>,
}

/// The history a watch or the exporter adds to the page.
#[derive(Debug, Clone, PartialEq)]
pub struct History {
    /// What the history covers, e.g. `12 rounds every 60 s`.
    pub heading: String,
    /// One series per probe, in plan order.
    pub series: Vec<Series>,
}

/// Writes the report of one run as an HTML page.
pub fn render(summary: &RunSummary, out: &mut dyn Write) -> io::Result<()> {
    page(summary, None, "golive report").write_into(out)
}

/// Writes a report with a history (a watch, the exporter): the strips and
/// latencies first, then each probe's worst or latest report by stage.
pub fn render_history(summary: &RunSummary, history: &History, heading: &str, out: &mut dyn Write) -> io::Result<()> {
    page(summary, Some(history), heading).write_into(out)
}

#[derive(Template)]
#[template(path = "report/page.html")]
struct Page {
    heading: String,
    title: String,
    verdict: &'static str,
    facts: Vec<(&'static str, String)>,
    counts: Vec<(&'static str, usize)>,
    total: usize,
    attention: Vec<Attention>,
    history: Option<HistoryView>,
    timeline: Option<Timeline>,
    stages: Vec<Stage>,
}

/// A probe that did not pass, listed at the top with its cause.
struct Attention {
    anchor: String,
    id: String,
    title: String,
    status: &'static str,
    cause: Option<String>,
}

fn page(summary: &RunSummary, history: Option<&History>, heading: &str) -> Page {
    let c = &summary.summary;
    let verdict = verdict(c);
    let mut facts = vec![("environment", terminal(&summary.env).into_owned())];
    if let Some(egress) = &summary.egress {
        facts.push(("egress", terminal(egress).into_owned()));
    }
    facts.push(("packs", terminal(&summary.packs.join(", ")).into_owned()));
    facts.push(("started", terminal(&when(&summary.started_at)).into_owned()));
    facts.push(("duration", millis(summary.duration_ms)));
    facts.push(("golive", terminal(&summary.golive_version).into_owned()));
    let counts = vec![("pass", c.pass), ("warn", c.warn), ("fail", c.fail), ("error", c.error), ("skip", c.skip)];
    let mut anchors = Anchors::default();
    let stages = summary
        .by_section()
        .into_iter()
        .enumerate()
        .map(|(i, (title, probes))| Stage {
            anchor: format!("stage-{}", i + 1),
            title: terminal(&title).into_owned(),
            counts: stage_counts(&probes),
            probes: probes.into_iter().map(|p| probe_view(p, &mut anchors)).collect(),
        })
        .collect::<Vec<Stage>>();
    let attention = stages
        .iter()
        .flat_map(|s| &s.probes)
        .filter(|p| p.open)
        .map(|p| Attention {
            anchor: p.anchor.clone(),
            id: p.id.clone(),
            title: p.title.clone(),
            status: p.status,
            cause: p.cause.clone(),
        })
        .collect();
    Page {
        title: format!(
            "{heading} · {} · {} {}",
            terminal(&summary.env),
            text::count(c.total() as i64, "probe", "probes"),
            verdict
        ),
        heading: heading.to_string(),
        verdict: verdict.as_str(),
        facts,
        counts,
        total: c.total(),
        attention,
        timeline: history.is_none().then(|| timeline(summary, &anchors)),
        history: history.map(|h| history_view(h, &anchors)),
        stages,
    }
}

/// The verdict of a run: the heaviest status any probe ended with (a run of
/// skips only is a skip; nothing at all passes nothing, and says so).
fn verdict(c: &Counts) -> Status {
    let present = [
        (Status::Pass, c.pass),
        (Status::Warn, c.warn),
        (Status::Fail, c.fail),
        (Status::Error, c.error),
        (Status::Skip, c.skip),
    ];
    Status::combine(present.into_iter().filter(|(_, n)| *n > 0).map(|(s, _)| s))
}

/// The page's anchor of each probe, by its index in the run: `probe-3`.
/// Ids are the pack's words; anchors made of numbers need no escaping.
#[derive(Default)]
struct Anchors(Vec<String>);

impl Anchors {
    fn of(&mut self, id: &str) -> String {
        let n = match self.0.iter().position(|known| known == id) {
            Some(n) => n,
            None => {
                self.0.push(id.to_string());
                self.0.len() - 1
            }
        };
        format!("probe-{}", n + 1)
    }

    fn find(&self, id: &str) -> Option<String> {
        self.0.iter().position(|known| known == id).map(|n| format!("probe-{}", n + 1))
    }
}

struct Stage {
    anchor: String,
    title: String,
    counts: String,
    probes: Vec<ProbeView>,
}

fn stage_counts(probes: &[&ProbeReport]) -> String {
    let c = Counts::of(probes.iter().copied());
    [(c.pass, "pass"), (c.warn, "warn"), (c.fail, "fail"), (c.error, "error"), (c.skip, "skip")]
        .iter()
        .filter(|(n, _)| *n > 0)
        .map(|(n, s)| format!("{n} {s}"))
        .collect::<Vec<_>>()
        .join(", ")
}

struct ProbeView {
    anchor: String,
    id: String,
    title: String,
    kind: String,
    status: &'static str,
    /// Findings shown open: the probe did not pass.
    open: bool,
    duration: String,
    reason: Option<String>,
    runbook: Vec<String>,
    tags: String,
    checks: Vec<CheckView>,
    cause: Option<String>,
    fix: Option<String>,
    cert: Option<CertBar>,
    facts: Vec<(String, String)>,
}

struct CheckView {
    name: String,
    status: &'static str,
    message: String,
    expected: String,
    actual: String,
}

/// Remote text made inert line by line: every control character but the
/// line breaks escaped as on a terminal, the lines kept (shown with
/// `white-space: pre-wrap`).
fn inert(text: &str) -> String {
    text.replace("\r\n", "\n").split('\n').map(terminal).collect::<Vec<_>>().join("\n")
}

fn check_view(c: &Check) -> CheckView {
    CheckView {
        name: terminal(&c.name).into_owned(),
        status: c.status.as_str(),
        message: inert(&c.message),
        expected: c.expected.as_deref().map(inert).unwrap_or_default(),
        actual: c.actual.as_deref().map(inert).unwrap_or_default(),
    }
}

fn probe_view(p: &ProbeReport, anchors: &mut Anchors) -> ProbeView {
    let open = !matches!(p.status, Status::Pass | Status::Skip);
    ProbeView {
        anchor: anchors.of(&p.id),
        id: terminal(&p.id).into_owned(),
        title: terminal(&p.title).into_owned(),
        kind: terminal(&p.kind).into_owned(),
        status: p.status.as_str(),
        open,
        duration: millis(p.duration_ms),
        reason: p.reason.as_deref().map(|r| terminal(r).into_owned()),
        runbook: p.runbook.iter().map(|r| terminal(&format!("{} › {}", r.section, r.item)).into_owned()).collect(),
        tags: terminal(&p.tags.join(", ")).into_owned(),
        checks: p.checks.iter().map(check_view).collect(),
        cause: p.diagnosis.as_ref().filter(|_| open).map(|d| inert(&d.cause)),
        fix: p.diagnosis.as_ref().filter(|_| open).map(|d| inert(&d.fix)),
        cert: cert_bar(p),
        facts: p
            .facts
            .iter()
            .map(|(k, v)| {
                let value = match v {
                    serde_json::Value::String(s) => s.clone(),
                    other => other.to_string(),
                };
                (terminal(k).into_owned(), inert(&value))
            })
            .collect(),
    }
}

/// `2026-01-01 10:00:00 UTC` from an RFC 3339 UTC time; anything else as it is.
fn when(rfc3339: &str) -> String {
    match (rfc3339.get(..19), rfc3339.ends_with('Z')) {
        (Some(t), true) => format!("{} UTC", t.replacen('T', " ", 1)),
        _ => rfc3339.to_string(),
    }
}

/// `84 ms`, `1.2 s`.
fn millis(ms: u64) -> String {
    if ms < 1000 { format!("{ms} ms") } else { format!("{:.1} s", ms as f64 / 1000.0) }
}

/// A percentage for a `style` attribute, two decimals, within 0..=100.
fn pct(part: f64, whole: f64) -> String {
    let p = if whole > 0.0 { part / whole * 100.0 } else { 0.0 };
    format!("{:.2}", p.clamp(0.0, 100.0))
}

/// Days left of a certificate against the probe's thresholds.
struct CertBar {
    which: &'static str,
    status: &'static str,
    summary: String,
    marker: String,
    fail_width: String,
    warn_width: String,
}

fn cert_bar(p: &ProbeReport) -> Option<CertBar> {
    let (which, days) = match p.kind.as_str() {
        "cert" => ("client certificate", p.facts.get("days_left")?.as_i64()?),
        "tls" | "mtls" => {
            let leaf = p.facts.get("server_chain")?.as_array()?.first()?;
            ("partner's server certificate", leaf.get("days_left")?.as_i64()?)
        }
        _ => return None,
    };
    let warn = p.facts.get("warn_days").and_then(serde_json::Value::as_i64);
    let fail = p.facts.get("fail_days").and_then(serde_json::Value::as_i64);
    // The bar spans three times the warning threshold (at least 90 days), so
    // the thresholds sit in its first third and a long-lived certificate fills it.
    let scale = (warn.unwrap_or(30).max(fail.unwrap_or(0)) * 3).max(90) as f64;
    let status = match (fail, warn) {
        _ if days < 0 => Status::Fail,
        (Some(f), _) if days <= f && f > 0 => Status::Fail,
        (_, Some(w)) if days <= w => Status::Warn,
        _ => Status::Pass,
    };
    let mut summary = if days < 0 {
        format!("expired {} ago", text::count(-days, "day", "days"))
    } else {
        format!("{} left", text::count(days, "day", "days"))
    };
    if let Some(w) = warn {
        summary.push_str(&format!(" · warns at {}", text::count(w, "day", "days")));
    }
    if let Some(f) = fail.filter(|f| *f > 0) {
        summary.push_str(&format!(" · fails at {}", text::count(f, "day", "days")));
    }
    let fail_days = fail.unwrap_or(0).max(0) as f64;
    let warn_days = warn.unwrap_or(0).max(0) as f64;
    Some(CertBar {
        which,
        status: status.as_str(),
        summary,
        marker: pct(days.max(0) as f64, scale),
        fail_width: pct(fail_days, scale),
        warn_width: pct((warn_days - fail_days).max(0.0), scale),
    })
}

struct Timeline {
    total: String,
    ticks: Vec<(String, String)>,
    rows: Vec<Row>,
}

struct Row {
    /// The probe's anchor; `None` for a step's row.
    anchor: Option<String>,
    label: String,
    status: &'static str,
    start: String,
    took: String,
    left: String,
    width: String,
    segments: Vec<Segment>,
}

struct Segment {
    class: &'static str,
    width: String,
    label: String,
}

/// The colour class of a phase, from its last word (`create request` is a request).
fn phase_class(name: &str) -> &'static str {
    match name.rsplit(' ').next().unwrap_or(name) {
        "dns" => "dns",
        "connect" => "connect",
        "tls" | "handshake" => "tls",
        "request" => "request",
        "body" => "body",
        _ => "other",
    }
}

/// The step a phase belongs to: what comes before its last word (`create`
/// of `create request`), empty for a probe's own phases.
fn phase_step(name: &str) -> &str {
    name.rsplit_once(' ').map_or("", |(step, _)| step)
}

/// Tick marks for a time axis of `total` ms: a round step, at most 8 marks.
fn ticks(total: u64) -> Vec<(String, String)> {
    let mut step = 1u64;
    'outer: loop {
        for m in [1, 2, 5] {
            if total / (step * m) <= 8 {
                step *= m;
                break 'outer;
            }
        }
        step *= 10;
    }
    // A mark close to the right edge would print past it.
    (0..=total / step)
        .map(|i| i * step)
        .filter(|at| *at == 0 || (*at as f64) < total as f64 * 0.93)
        .map(|at| (pct(at as f64, total as f64), millis(at)))
        .collect()
}

/// The phases of a bar that spans `span` ms, each as its share of it.
fn segments<'a>(phases: impl Iterator<Item = &'a Phase>, span: f64) -> Vec<Segment> {
    phases
        .map(|ph| Segment {
            class: phase_class(&ph.name),
            width: pct(ph.duration_ms as f64, span),
            label: format!("{} {}", terminal(&ph.name), millis(ph.duration_ms)),
        })
        .collect()
}

fn timeline(summary: &RunSummary, anchors: &Anchors) -> Timeline {
    let end = summary.probes.iter().map(|p| p.started_ms + p.duration_ms).max().unwrap_or(0);
    let total = end.max(summary.duration_ms).max(1);
    let whole = total as f64;
    let mut order: Vec<&ProbeReport> = summary.probes.iter().collect();
    // A waterfall: by start; probes that did not run (skips) last.
    order.sort_by_key(|p| (p.status == Status::Skip, p.started_ms));
    let mut rows = Vec::new();
    for p in order {
        let ran = p.status != Status::Skip;
        let phase_sum: u64 = p.phases.iter().map(|ph| ph.duration_ms).sum();
        let span = p.duration_ms.max(phase_sum).max(1) as f64;
        rows.push(Row {
            anchor: anchors.find(&p.id),
            label: terminal(&p.id).into_owned(),
            status: p.status.as_str(),
            start: if ran { millis(p.started_ms) } else { "skipped".to_string() },
            took: if ran { millis(p.duration_ms) } else { String::new() },
            left: pct(p.started_ms as f64, whole),
            width: if ran { pct(p.duration_ms.max(1) as f64, whole) } else { "0".to_string() },
            segments: segments(p.phases.iter(), span),
        });
        // Steps: the phases of a flow are named after their step; each step
        // gets its own row, laid where its phases run within the probe.
        let mut offset = p.started_ms;
        let mut steps: Vec<(&str, Vec<&Phase>)> = Vec::new();
        for ph in &p.phases {
            match steps.last_mut() {
                Some((step, list)) if *step == phase_step(&ph.name) => list.push(ph),
                _ => steps.push((phase_step(&ph.name), vec![ph])),
            }
        }
        if steps.iter().all(|(step, _)| step.is_empty()) {
            continue;
        }
        for (step, phases) in steps {
            let took: u64 = phases.iter().map(|ph| ph.duration_ms).sum();
            let step_span = took.max(1) as f64;
            rows.push(Row {
                anchor: None,
                label: terminal(if step.is_empty() { "(probe)" } else { step }).into_owned(),
                status: p.status.as_str(),
                start: millis(offset),
                took: millis(took),
                left: pct(offset as f64, whole),
                width: pct(took.max(1) as f64, whole),
                segments: segments(phases.iter().copied(), step_span),
            });
            offset += took;
        }
    }
    Timeline { total: millis(total), ticks: ticks(total), rows }
}

struct HistoryView {
    heading: String,
    rows: Vec<HistoryRow>,
}

struct HistoryRow {
    anchor: Option<String>,
    id: String,
    title: String,
    worst: &'static str,
    passed: String,
    cells: Vec<(&'static str, String)>,
    spark: Option<Spark>,
}

/// Latency over time as an SVG polyline in a 200 × 40 box.
struct Spark {
    points: String,
    low: String,
    high: String,
    last: String,
}

fn spark(points: &[Point]) -> Option<Spark> {
    let ran: Vec<(usize, u64)> =
        points.iter().enumerate().filter(|(_, p)| p.status != Status::Skip).map(|(i, p)| (i, p.duration_ms)).collect();
    let (&(_, last), high, low) = (ran.last()?, ran.iter().map(|r| r.1).max()?, ran.iter().map(|r| r.1).min()?);
    let n = points.len().max(2) - 1;
    let coords = ran
        .iter()
        .map(|(i, d)| {
            let x = *i as f64 / n as f64 * 200.0;
            let y = 38.0 - (*d as f64 / high.max(1) as f64) * 36.0;
            format!("{x:.1},{y:.1}")
        })
        .collect::<Vec<_>>()
        .join(" ");
    Some(Spark { points: coords, low: millis(low), high: millis(high), last: millis(last) })
}

fn history_view(h: &History, anchors: &Anchors) -> HistoryView {
    let rows = h
        .series
        .iter()
        .map(|s| {
            let statuses: Vec<Status> = s.points.iter().map(|p| p.status).collect();
            let ran = statuses.iter().filter(|s| **s != Status::Skip).count();
            let ok = statuses.iter().filter(|s| matches!(s, Status::Pass | Status::Warn)).count();
            HistoryRow {
                anchor: anchors.find(&s.id),
                id: terminal(&s.id).into_owned(),
                title: terminal(&s.title).into_owned(),
                worst: Status::combine(statuses.iter().copied()).as_str(),
                passed: if ran == 0 {
                    "not run".to_string()
                } else {
                    format!("{ok} of {ran} passed ({:.0}%)", ok as f64 / ran as f64 * 100.0)
                },
                cells: s
                    .points
                    .iter()
                    .map(|p| {
                        let http = p.http_status.map(|h| format!(" · HTTP {h}")).unwrap_or_default();
                        let at = p.at.get(11..19).unwrap_or(&p.at);
                        let title = format!("{} · {at} UTC · {}{http} · {}", p.label, p.status, millis(p.duration_ms));
                        (p.status.as_str(), terminal(&title).into_owned())
                    })
                    .collect(),
                spark: spark(&s.points),
            }
        })
        .collect();
    HistoryView { heading: terminal(&h.heading).into_owned(), rows }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ticks_are_round_and_at_most_nine() {
        let t = ticks(1234);
        assert_eq!(t.first().map(|t| t.1.as_str()), Some("0 ms"));
        assert_eq!(t.get(1).map(|t| t.1.as_str()), Some("200 ms"));
        assert!(t.len() <= 9, "{t:?}");
        assert_eq!(ticks(1).len(), 1);
        assert_eq!(ticks(60_000).get(1).map(|t| t.1.as_str()), Some("10.0 s"));
    }

    #[test]
    fn phases_are_coloured_by_their_last_word_and_grouped_by_step() {
        assert_eq!(phase_class("create cardholder request"), "request");
        assert_eq!(phase_step("create cardholder request"), "create cardholder");
        assert_eq!(phase_class("dns"), "dns");
        assert_eq!(phase_step("dns"), "");
        assert_eq!(phase_class("scan"), "other");
    }

    #[test]
    fn percentages_stay_within_the_bar() {
        assert_eq!(pct(5.0, 10.0), "50.00");
        assert_eq!(pct(20.0, 10.0), "100.00");
        assert_eq!(pct(1.0, 0.0), "0.00");
    }

    #[test]
    fn remote_text_keeps_its_lines_and_loses_its_controls() {
        assert_eq!(inert("a\r\nb\u{1b}[2J\u{202e}"), "a\nb\\x1b[2J\\u{202e}");
    }
}
