//! The GitHub Actions renderer (`--format github`): one workflow command per
//! probe that did not pass, so each shows as an annotation on the run's page:
//! `::error title=golive: ID failed::...` for a failure, `::error` with "no
//! verdict" for an error, `::warning` for a warning; then one `::notice` with
//! the counts. GitHub reads these lines from a step's standard output.
//!
//! Every string passes [`terminal`] first (no line break survives, so nothing
//! a server sent can start a workflow command of its own), then GitHub's own
//! escaping (`%`, CR, LF; in a property also `:` and `,`).

use std::io::{self, Write};

use super::text::terminal;
use super::{ProbeReport, RunSummary, Status};

/// Writes one annotation per probe that did not pass, then the counts.
pub fn render(summary: &RunSummary, out: &mut dyn Write) -> io::Result<()> {
    for p in &summary.probes {
        let (command, verdict) = match p.status {
            Status::Fail => ("error", "failed"),
            Status::Error => ("error", "reached no verdict"),
            Status::Warn => ("warning", "warns"),
            Status::Pass | Status::Skip => continue,
        };
        let title = format!("golive: {} {verdict}", p.id);
        writeln!(out, "::{command} title={}::{}", property(&title), data(&message(p)))?;
    }
    let c = &summary.summary;
    let counts = format!(
        "environment {}: {} passed, {} warned, {} failed, {} without verdict, {} skipped",
        summary.env, c.pass, c.warn, c.fail, c.error, c.skip
    );
    writeln!(out, "::notice title=golive::{}", data(&counts))
}

/// The annotation's text: the probe, its first finding, its cause and fix.
fn message(p: &ProbeReport) -> String {
    let class = p.error_class.map(|c| format!(", {c}")).unwrap_or_default();
    let mut lines = vec![format!("{} ({}{class}, pack {}): {}", p.id, p.kind, p.pack, p.title)];
    if let Some(c) = p.findings().next() {
        lines.push(format!("{}: {}", c.name, c.message));
    }
    if let Some(d) = &p.diagnosis {
        lines.push(format!("cause: {}", d.cause));
        lines.push(format!("fix: {}", d.fix));
    }
    lines.iter().map(|l| terminal(l).into_owned()).collect::<Vec<_>>().join("\n")
}

/// A command's message, escaped as GitHub's toolkit does (`escapeData`).
fn data(text: &str) -> String {
    text.replace('%', "%25").replace('\r', "%0D").replace('\n', "%0A")
}

/// A command's property value (`escapeProperty`): also `:` and `,`.
fn property(text: &str) -> String {
    data(&terminal(text)).replace(':', "%3A").replace(',', "%2C")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaping_keeps_a_remote_line_from_starting_a_command() {
        assert_eq!(data("100% done\r\nnext"), "100%25 done%0D%0Anext");
        assert_eq!(property("a: b, c"), "a%3A b%2C c");
        // terminal() first: the line break a server sent stays visible text.
        let hostile = terminal("ok\n::add-mask::x");
        assert!(!data(&hostile).contains('\n'), "{hostile}");
    }
}
