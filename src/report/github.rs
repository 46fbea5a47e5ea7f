//! The GitHub Actions renderer (`--format github`): one workflow command per
//! probe that did not pass, so each shows as an annotation on the run's page:
//! `::error title=golive: ID failed::...` for a failure, `::error` with "no
//! verdict" for an error, `::warning` for a warning; then one `::notice` with
//! the counts. GitHub reads these lines from a step's standard output. A
//! failure of a pack file in the repository is placed on its line
//! (`file=...,line=...`).
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
        writeln!(out, "::{command} {}title={}::{}", place(p), property(&title), data(&message(p)))?;
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

/// `file=F,line=N,` for the pack line of the probe's first finding, when that
/// file is in the folder golive runs from (a user's pack in the repository);
/// nothing for a built-in pack, whose `probes/...` path the user's repository
/// does not hold, so GitHub would attach the annotation to no file.
fn place(p: &ProbeReport) -> String {
    let Some(at) = p.findings().find_map(|c| c.at.as_deref()) else { return String::new() };
    if !std::path::Path::new(&*at.file).is_file() {
        return String::new();
    }
    format!("file={},line={},", property(&at.file), at.line)
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
