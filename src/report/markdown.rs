//! The Markdown renderer: a table for a CI job summary or a pull-request
//! comment, then the findings, cause and fix of every probe that did not pass.
//!
//! What may come from the network (findings, causes, fixes) is written as code
//! through [`text::markdown`], so a server's body cannot add a link, an image, a
//! heading, HTML or a cell to the summary; the pack's own words (ids, titles,
//! runbook items) and golive's (skip reasons) through [`text::markdown_prose`].
//! A report read back from a file (`golive report merge`) is remote bytes as a
//! whole: [`render_remote`] writes its titles, kinds, runbook items and skip
//! reasons as code too.

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

/// Whose words a summary's titles, kinds, runbook items and skip reasons are.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Words {
    /// This run's packs and golive: Markdown prose, their backticks make code.
    Own,
    /// Read from a report file anyone could have written: code, never Markdown.
    Remote,
}

impl Words {
    fn show(self, text: &str, place: Md) -> String {
        match self {
            Words::Own => text::markdown_prose(text),
            Words::Remote => text::markdown(text, place),
        }
    }
}

/// Writes the summary of this run as Markdown.
pub fn render(summary: &RunSummary, out: &mut dyn Write) -> io::Result<()> {
    render_words(summary, out, Words::Own)
}

/// Writes a summary read from report files (`golive report merge`) as
/// Markdown: every string of it as code, since the files are remote bytes.
pub fn render_remote(summary: &RunSummary, out: &mut dyn Write) -> io::Result<()> {
    render_words(summary, out, Words::Remote)
}

fn render_words(summary: &RunSummary, out: &mut dyn Write, words: Words) -> io::Result<()> {
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
            words.show(&p.title, Md::Cell),
            words.show(&p.kind, Md::Cell),
            words.show(&runbook, Md::Cell),
            p.duration_ms
        )?;
    }
    for p in summary.probes.iter().filter(|p| !matches!(p.status, Status::Pass)) {
        writeln!(
            out,
            "\n### {} {} — {}\n",
            icon(p.status),
            text::markdown(&p.id, Md::Inline),
            words.show(&p.title, Md::Inline)
        )?;
        if let Some(reason) = &p.reason {
            writeln!(out, "Skipped: {}", words.show(reason, Md::Inline))?;
        }
        for check in p.findings() {
            // Before the message, which may end in a fenced block.
            let at = check.at.as_ref().map(|a| format!("at {}: ", text::markdown(&a.to_string(), Md::Inline)));
            let at = at.unwrap_or_default();
            writeln!(out, "- **{}** {at}{}", check.status, text::markdown(&check.message, Md::Block(2)))?;
        }
        if let Some(d) = &p.diagnosis {
            let (cause, fix) = (text::markdown(&d.cause, Md::Block(0)), text::markdown(&d.fix, Md::Block(0)));
            writeln!(out, "\n**Cause:** {cause}  \n**Fix:** {fix}")?;
        }
    }
    Ok(())
}
