//! The Markdown renderer: a table for a CI job summary or a pull-request
//! comment, then the findings, cause and fix of every probe that did not pass.

use std::io::{self, Write};

use super::{RunSummary, Status};

fn icon(status: Status) -> &'static str {
    match status {
        Status::Pass => "✅",
        Status::Warn => "⚠️",
        Status::Fail => "❌",
        Status::Error => "💥",
        Status::Skip => "⏭️",
    }
}

/// Escapes what would break a table cell or start Markdown formatting.
fn cell(text: &str) -> String {
    text.replace('\\', "\\\\").replace('|', "\\|").replace('\n', " ").replace('<', "&lt;")
}

/// Writes the summary as Markdown.
pub fn render(summary: &RunSummary, out: &mut dyn Write) -> io::Result<()> {
    let c = &summary.summary;
    let verdict = if c.fail > 0 {
        Status::Fail
    } else if c.error > 0 {
        Status::Error
    } else if c.warn > 0 {
        Status::Warn
    } else {
        Status::Pass
    };
    writeln!(out, "## {} golive · `{}`\n", icon(verdict), summary.env)?;
    writeln!(
        out,
        "{} probes: **{} pass**, {} warn, **{} fail**, {} error, {} skip · {} ms\n",
        c.total(),
        c.pass,
        c.warn,
        c.fail,
        c.error,
        c.skip,
        summary.duration_ms
    )?;
    writeln!(out, "| Status | Probe | Kind | Runbook | Time |")?;
    writeln!(out, "|---|---|---|---|---|")?;
    for p in &summary.probes {
        let runbook = p.runbook.first().map_or_else(String::new, |r| format!("{} › {}", r.section, r.item));
        writeln!(
            out,
            "| {} {} | `{}` {} | {} | {} | {} ms |",
            icon(p.status),
            p.status,
            cell(&p.id),
            cell(&p.title),
            p.kind,
            cell(&runbook),
            p.duration_ms
        )?;
    }
    for p in summary.probes.iter().filter(|p| !matches!(p.status, Status::Pass)) {
        writeln!(out, "\n### {} `{}` — {}\n", icon(p.status), cell(&p.id), cell(&p.title))?;
        if let Some(reason) = &p.reason {
            writeln!(out, "Skipped: {}", cell(reason))?;
        }
        for check in p.findings() {
            writeln!(out, "- **{}** {}", check.status, cell(&check.message))?;
        }
        if let Some(d) = &p.diagnosis {
            writeln!(out, "\n**Cause:** {}  \n**Fix:** {}", cell(&d.cause), cell(&d.fix))?;
        }
    }
    Ok(())
}
