//! The human renderer: grouped by runbook section, one line per probe, and for
//! every probe that did not pass its findings, cause and fix; then the
//! counts, the probes the environment left out and why, and last a recap of
//! what failed (probe, error class, first cause, fix), where a long run's
//! reader lands.
//!
//! Every string of the model goes through [`terminal`] before it is written
//! (a finding may quote a server's body); the colours are added after.

use std::io::{self, Write};

use anstyle::{AnsiColor, Style};

use super::text::terminal;
use super::{ProbeReport, RunSummary, Status};

/// The colour of a status, shared by every human-facing renderer.
pub fn style(status: Status) -> Style {
    let colour = match status {
        Status::Pass => AnsiColor::Green,
        Status::Warn => AnsiColor::Yellow,
        Status::Fail => AnsiColor::Red,
        Status::Error => AnsiColor::Magenta,
        Status::Skip => AnsiColor::BrightBlack,
    };
    Style::new().fg_color(Some(colour.into())).bold()
}

struct Painter {
    colour: bool,
}

impl Painter {
    fn paint(&self, style: Style, text: &str) -> String {
        if self.colour { format!("{style}{text}{style:#}") } else { text.to_string() }
    }
}

/// Writes the human report. `colour` adds ANSI styles (the caller decides:
/// only on a terminal, never with `NO_COLOR`).
pub fn render(summary: &RunSummary, out: &mut dyn Write, colour: bool) -> io::Result<()> {
    let p = Painter { colour };
    let bold = Style::new().bold();
    let dim = Style::new().dimmed();
    writeln!(
        out,
        "{}",
        p.paint(
            bold,
            &terminal(&format!(
                "golive {} · env {} · packs {}",
                summary.golive_version,
                summary.env,
                summary.packs.join(", ")
            ))
        )
    )?;
    let width = summary.probes.iter().map(|r| terminal(&r.id).chars().count()).max().unwrap_or(0);
    for (section, probes) in summary.by_section() {
        writeln!(out)?;
        writeln!(out, "{}", p.paint(bold, &terminal(&section)))?;
        for r in probes {
            probe(&p, out, r, width)?;
        }
    }
    let c = &summary.summary;
    writeln!(out)?;
    let counts = [
        (Status::Pass, c.pass),
        (Status::Warn, c.warn),
        (Status::Fail, c.fail),
        (Status::Error, c.error),
        (Status::Skip, c.skip),
    ]
    .iter()
    .map(|(s, n)| if *n > 0 { p.paint(style(*s), &format!("{n} {s}")) } else { format!("{n} {s}") })
    .collect::<Vec<_>>()
    .join(", ");
    writeln!(
        out,
        "{} {}: {counts} {}",
        p.paint(bold, "Summary:"),
        super::text::count(c.total() as i64, "probe", "probes"),
        p.paint(dim, &format!("in {} ms", summary.duration_ms))
    )?;
    off(&p, out, summary)?;
    recap(&p, out, summary)
}

/// The probes the environment left out, each with why and how to turn it on.
fn off(p: &Painter, out: &mut dyn Write, summary: &RunSummary) -> io::Result<()> {
    if summary.off.is_empty() {
        return Ok(());
    }
    let dim = Style::new().dimmed();
    writeln!(out, "\n{}", p.paint(Style::new().bold(), &format!("Off in this environment ({}):", summary.off.len())))?;
    for o in &summary.off {
        writeln!(out, "  {}: {}", terminal(&o.id), terminal(&o.why))?;
        writeln!(out, "{:4}{}", "", p.paint(dim, &terminal(&o.fix)))?;
    }
    Ok(())
}

/// The last lines: every probe that failed or reached no verdict, with its
/// error class, its first cause and its fix, so a long report need not be
/// scrolled back.
fn recap(p: &Painter, out: &mut dyn Write, summary: &RunSummary) -> io::Result<()> {
    let failed: Vec<&ProbeReport> =
        summary.probes.iter().filter(|r| matches!(r.status, Status::Fail | Status::Error)).collect();
    if failed.is_empty() {
        return Ok(());
    }
    let bold = Style::new().bold();
    writeln!(out, "\n{}", p.paint(bold, &format!("To fix ({}):", failed.len())))?;
    let width = failed.iter().map(|r| terminal(&r.id).chars().count()).max().unwrap_or(0);
    for r in failed {
        let tag = format!("{:<5}", r.status.as_str().to_uppercase());
        let class = r.error_class.map(|c| format!("[{c}] ")).unwrap_or_default();
        let first = r.findings().next().map(|c| c.message.as_str());
        let cause = r.diagnosis.as_ref().map(|d| d.cause.as_str()).or(first).unwrap_or("no finding recorded");
        writeln!(out, "  {} {:<width$}  {class}{}", p.paint(style(r.status), &tag), terminal(&r.id), terminal(cause))?;
        if let Some(d) = &r.diagnosis {
            writeln!(out, "  {:<5} {:<width$}  {} {}", "", "", p.paint(bold, "fix:"), terminal(&d.fix))?;
        }
    }
    Ok(())
}

fn probe(p: &Painter, out: &mut dyn Write, r: &ProbeReport, width: usize) -> io::Result<()> {
    let tag = format!("{:<5}", r.status.as_str().to_uppercase());
    let dim = Style::new().dimmed();
    let line = format!("  {} {:<width$}  {}", p.paint(style(r.status), &tag), terminal(&r.id), terminal(&r.title));
    match (&r.reason, r.status) {
        (Some(reason), _) => writeln!(out, "{line} {}", p.paint(dim, &format!("— {}", terminal(reason))))?,
        (None, _) => writeln!(out, "{line} {}", p.paint(dim, &format!("({} ms)", r.duration_ms)))?,
    }
    let indent = " ".repeat(9);
    for note in r.notes() {
        writeln!(out, "{indent}{} {}", p.paint(dim, "i"), p.paint(dim, &terminal(&note.message)))?;
    }
    if r.status == Status::Pass {
        return Ok(());
    }
    for check in r.findings() {
        let mark = match check.status {
            Status::Warn => "!",
            Status::Fail => "✗",
            Status::Error => "?",
            Status::Pass | Status::Skip => "-",
        };
        // Where the pack asked for the check, as Hurl points at an assertion.
        let at = check.at.as_ref().map(|a| format!(" {}", p.paint(dim, &format!("(at {})", terminal(&a.to_string())))));
        let at = at.unwrap_or_default();
        writeln!(out, "{indent}{} {}{at}", p.paint(style(check.status), mark), terminal(&check.message))?;
    }
    if let Some(d) = &r.diagnosis {
        writeln!(out, "{indent}{} {}", p.paint(Style::new().bold(), "cause:"), terminal(&d.cause))?;
        writeln!(out, "{indent}{} {}", p.paint(Style::new().bold(), "fix:  "), terminal(&d.fix))?;
    }
    Ok(())
}
