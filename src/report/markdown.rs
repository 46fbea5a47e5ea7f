//! The Markdown renderer: a table for a CI job summary or a pull-request
//! comment, then the findings, cause and fix of every probe that did not pass.
//!
//! What may come from the network (findings, causes, fixes) is written as code
//! through [`text::markdown`], so a server's body cannot add a link, an image, a
//! heading, HTML or a cell to the summary; the pack's own words (ids, titles,
//! runbook items) and golive's (skip reasons) through [`text::markdown_prose`].

use std::io::{self, Write};

use super::text::{self, Md};
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
    writeln!(out, "## {} golive · {}\n", icon(verdict), text::markdown(&summary.env, Md::Inline))?;
    writeln!(
        out,
        "{}: **{} pass**, {} warn, **{} fail**, {} error, {} skip · {} ms\n",
        text::count(c.total() as i64, "probe", "probes"),
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
            "| {} {} | {} {} | {} | {} | {} ms |",
            icon(p.status),
            p.status,
            text::markdown(&p.id, Md::Cell),
            text::markdown_prose(&p.title),
            text::markdown_prose(&p.kind),
            text::markdown_prose(&runbook),
            p.duration_ms
        )?;
    }
    for p in summary.probes.iter().filter(|p| !matches!(p.status, Status::Pass)) {
        writeln!(
            out,
            "\n### {} {} — {}\n",
            icon(p.status),
            text::markdown(&p.id, Md::Inline),
            text::markdown_prose(&p.title)
        )?;
        if let Some(reason) = &p.reason {
            writeln!(out, "Skipped: {}", text::markdown_prose(reason))?;
        }
        for check in p.findings() {
            writeln!(out, "- **{}** {}", check.status, text::markdown(&check.message, Md::Block(2)))?;
        }
        if let Some(d) = &p.diagnosis {
            let (cause, fix) = (text::markdown(&d.cause, Md::Block(0)), text::markdown(&d.fix, Md::Block(0)));
            writeln!(out, "\n**Cause:** {cause}  \n**Fix:** {fix}")?;
        }
    }
    Ok(())
}
