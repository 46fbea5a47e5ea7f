//! Renderers of a watch: the compact line per round, and the end-of-watch
//! summary as human text, Markdown, JSON or JUnit (`--format`, `--report`).
//!
//! JUnit has one testcase per probe whose verdict is the worst over the watch
//! (through [`WatchSummary::as_run`] and the run's own JUnit renderer); JSON is
//! the [`WatchSummary`] document itself (`"mode": "watch"`).
//!
//! HTML is the run's page with the history on top: each probe's rounds as a
//! strip and its latency over time ([`history`]).
//!
//! Human text goes through [`terminal`], Markdown through [`text::markdown`]
//! (a diagnosis may quote a server) or [`text::markdown_prose`] (the pack's words).

use std::io::{self, Write};

use anstyle::Style;

use super::{ProbeStats, Round, Spike, WatchSummary};
use crate::report::reporter::{Names, Rendered};
use crate::report::text::{self, Md, terminal};
use crate::report::{Format, Status, html, status_style};

/// `14:02:11` from an RFC 3339 UTC time.
fn clock(rfc3339: &str) -> &str {
    rfc3339.get(11..19).unwrap_or(rfc3339)
}

/// The line printed after each round, e.g.
/// `14:02:11 UTC  round 4  1 pass, 1 fail  · axys-auth fail (HTTP 403)`,
/// safe for a terminal.
pub fn round_line(round: &Round) -> String {
    let c = &round.summary;
    let mut counts = vec![format!("{} pass", c.pass)];
    for (n, name) in [(c.warn, "warn"), (c.fail, "fail"), (c.error, "error"), (c.skip, "skip")] {
        if n > 0 {
            counts.push(format!("{n} {name}"));
        }
    }
    let mut line = format!("{} UTC  round {}  {}", terminal(clock(&round.started_at)), round.round, counts.join(", "));
    let bad: Vec<String> = round
        .probes
        .iter()
        .filter(|p| p.status != Status::Pass)
        .map(|p| match p.http_status {
            Some(http) => format!("{} {} (HTTP {http})", terminal(&p.id), p.status),
            None => format!("{} {}", terminal(&p.id), p.status),
        })
        .collect();
    if !bad.is_empty() {
        line.push_str("  · ");
        line.push_str(&bad.join(", "));
    }
    line
}

/// How a probe fared, in one sentence: "passed 3 of 10 rounds (30%); first
/// failure 14:02:11 UTC (round 4); 1 flap", or "not run in any of the 5
/// rounds: WHY" for a probe no round ran (a mutating one): never "0 %".
pub fn stats_sentence(p: &ProbeStats) -> String {
    let Some(rate) = p.pass_rate else {
        let why = p.not_run.as_deref().map(|w| format!(": {w}")).unwrap_or_default();
        return format!("not run in any of the {} {}{why}", p.rounds, rounds(p.rounds));
    };
    let passed = p.counts.pass + p.counts.warn;
    let ran = p.rounds - p.counts.skip;
    let mut text = format!("passed {passed} of {ran} {} ({:.0}%)", rounds(ran), rate * 100.0);
    if p.counts.skip > 0 {
        text.push_str(&format!("; not run in {} {}", p.counts.skip, rounds(p.counts.skip)));
    }
    if let (Some(at), Some(round)) = (&p.first_failure_at, p.first_failure_round) {
        text.push_str(&format!("; first failure {} UTC (round {round})", clock(at)));
    }
    text.push_str(&format!("; {} flap{}", p.flaps, if p.flaps == 1 { "" } else { "s" }));
    text
}

fn rounds(n: usize) -> &'static str {
    if n == 1 { "round" } else { "rounds" }
}

/// A spike in one line, e.g. "403 spike: 5 of 10 rounds answered 403 from
/// 14:02:11 UTC (axys-auth)".
pub fn spike_line(spike: &Spike, total_rounds: usize) -> String {
    let what = if spike.status.ends_with("xx") { format!("a {}", spike.status) } else { spike.status.clone() };
    format!(
        "{} spike: {} of {total_rounds} rounds answered {what} from {} UTC ({})",
        spike.status,
        spike.rounds,
        clock(&spike.first_at),
        spike.probes.join(", ")
    )
}

impl Rendered for WatchSummary {
    const NAMES: Names = Names { stdout: "the watch summary", file: "watch report", whose: "watch" };
    fn render(&self, format: Format, out: &mut dyn Write, colour: bool) -> io::Result<()> {
        render(format, self, out, colour)
    }
}

/// Writes the summary in a format; `colour` only affects `human`.
pub fn render(format: Format, summary: &WatchSummary, out: &mut dyn Write, colour: bool) -> io::Result<()> {
    match format {
        Format::Human => human(summary, out, colour),
        Format::Json => {
            serde_json::to_writer_pretty(&mut *out, summary)?;
            writeln!(out)
        }
        Format::Junit => crate::report::render_junit(&summary.as_run(), out),
        // One annotation per probe by its worst round, as JUnit does.
        Format::Github => crate::report::render_github(&summary.as_run(), out),
        Format::Markdown => markdown(summary, out),
        Format::Html => html::render_history(&summary.as_run(), &history(summary), "golive watch", out),
    }
}

/// The rounds of a watch as each probe's history, for the HTML report.
pub fn history(s: &WatchSummary) -> html::History {
    let series = s
        .probes
        .iter()
        .map(|p| html::Series {
            id: p.id.clone(),
            title: p.title.clone(),
            points: s
                .rounds
                .iter()
                .filter_map(|r| {
                    let rp = r.probes.iter().find(|rp| rp.id == p.id)?;
                    Some(html::Point {
                        status: rp.status,
                        duration_ms: rp.duration_ms,
                        at: r.started_at.clone(),
                        http_status: rp.http_status,
                        label: format!("round {}", r.round),
                    })
                })
                .collect(),
        })
        .collect();
    let heading = format!(
        "{} {} every {} over {} ({})",
        s.rounds.len(),
        rounds(s.rounds.len()),
        humantime::format_duration(std::time::Duration::from_millis(s.interval_ms)),
        humantime::format_duration(std::time::Duration::from_secs(s.duration_ms / 1000)),
        ended(s)
    );
    html::History { heading, series }
}

fn paint(colour: bool, style: Style, text: &str) -> String {
    if colour { format!("{style}{text}{style:#}") } else { text.to_string() }
}

fn ended(s: &WatchSummary) -> &'static str {
    if s.interrupted { "stopped by Ctrl-C or a signal" } else { "ran its course" }
}

/// The human summary printed at the end of a watch.
fn human(s: &WatchSummary, out: &mut dyn Write, colour: bool) -> io::Result<()> {
    let bold = Style::new().bold();
    let heading = format!(
        "golive watch · env {} · {} rounds every {} ms over {:.1} s ({})",
        terminal(&s.env),
        s.rounds.len(),
        s.interval_ms,
        s.duration_ms as f64 / 1000.0,
        ended(s)
    );
    writeln!(out, "\n{}", paint(colour, bold, &heading))?;
    let width = s.probes.iter().map(|p| terminal(&p.id).chars().count()).max().unwrap_or(0);
    for p in &s.probes {
        let tag = format!("{:<5}", p.worst.as_str().to_uppercase());
        let sentence = stats_sentence(p);
        let id = terminal(&p.id);
        writeln!(out, "  {} {id:<width$}  {}", paint(colour, status_style(p.worst), &tag), terminal(&sentence))?;
        if let Some(d) = &p.diagnosis {
            writeln!(out, "{:9}cause: {}", "", terminal(&d.cause))?;
            writeln!(out, "{:9}fix:   {}", "", terminal(&d.fix))?;
        }
    }
    if !s.spikes.is_empty() {
        writeln!(out, "\n{}", paint(colour, bold, "Spikes"))?;
    }
    for spike in &s.spikes {
        writeln!(out, "  {}", terminal(&spike_line(spike, s.rounds.len())))?;
        for m in &spike.meanings {
            writeln!(out, "    — {}: {}", terminal(&m.pack), terminal(&m.meaning))?;
        }
    }
    let c = &s.summary;
    writeln!(
        out,
        "\n{} {} by their worst round: {} pass, {} warn, {} fail, {} error, {} skip",
        paint(colour, bold, "Summary:"),
        crate::report::text::count(c.total() as i64, "probe", "probes"),
        c.pass,
        c.warn,
        c.fail,
        c.error,
        c.skip
    )
}

/// The Markdown summary: a table of probes, then the spikes with their meaning.
fn markdown(s: &WatchSummary, out: &mut dyn Write) -> io::Result<()> {
    writeln!(out, "## golive watch · {}\n", text::markdown(&s.env, Md::Inline))?;
    writeln!(out, "{} rounds every {} ms over {} ms ({}).\n", s.rounds.len(), s.interval_ms, s.duration_ms, ended(s))?;
    writeln!(out, "| probe | worst | passed | first failure (UTC) | flaps |")?;
    writeln!(out, "|---|---|---|---|---|")?;
    for p in &s.probes {
        let first = match (&p.first_failure_at, p.first_failure_round) {
            (Some(at), Some(round)) => format!("{} (round {round})", clock(at)),
            _ => "–".to_string(),
        };
        let passed = match p.pass_rate {
            Some(rate) => {
                format!("{} of {} ({:.0}%)", p.counts.pass + p.counts.warn, p.rounds - p.counts.skip, rate * 100.0)
            }
            None => "not run".to_string(),
        };
        writeln!(out, "| {} | {} | {passed} | {first} | {} |", text::markdown(&p.id, Md::Cell), p.worst, p.flaps)?;
    }
    if !s.spikes.is_empty() {
        writeln!(out, "\n### Spikes\n")?;
    }
    for spike in &s.spikes {
        writeln!(out, "- **{}**", text::markdown_prose(&spike_line(spike, s.rounds.len())))?;
        for m in &spike.meanings {
            writeln!(out, "  - {}: {}", text::markdown_prose(&m.pack), text::markdown_prose(&m.meaning))?;
        }
    }
    Ok(())
}
