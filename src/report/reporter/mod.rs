//! The reporter: the one fan-out from a run (or a watch, or a merge) to every
//! output the user asked for: the progress line and round lines while it goes,
//! then the `--report FORMAT=PATH` files, the evidence folder and stdout.
//!
//! The runner never prints; it emits [`RunEvent`]s, which the reporter turns
//! into progress (nextest's `TestRunner` ► `Reporter` split). When the run is
//! over, [`Reporter::finish`] writes each output, says on stderr in one line
//! each output it could not write, and returns them as typed [`Lost`] values:
//! the caller maps them to the exit code in one place, `exit::with_lost_outputs`,
//! so the same lost output gives the same exit code in every command.

mod lost;

use std::io::{self, IsTerminal, Write};
use std::path::Path;

use lost::to_file;
pub use lost::{Cause, Lost, Output, to_stdout};

use super::progress::Progress;
use super::stdout::{self, Written};
use super::{Format, ReportTarget, RunEvent, RunSummary};

/// What a report is, as its outputs name it: stdout, files and the verdict.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Names {
    /// On stdout, e.g. `the report`, `the watch summary`.
    pub stdout: &'static str,
    /// As a `--report` file after its format, e.g. `report`, `watch report`.
    pub file: &'static str,
    /// Whose verdict stands when a file is lost, e.g. `run`, `watch`.
    pub whose: &'static str,
}

/// Something the reporter writes in any [`Format`]: a run, a watch, a merge.
pub trait Rendered {
    /// How its outputs name it.
    const NAMES: Names;
    /// Writes it in `format` to `out`.
    fn render(&self, format: Format, out: &mut dyn Write, colour: bool) -> io::Result<()>;
}

impl Rendered for RunSummary {
    const NAMES: Names = Names { stdout: "the report", file: "report", whose: "run" };
    fn render(&self, format: Format, out: &mut dyn Write, colour: bool) -> io::Result<()> {
        format.render(self, out, colour)
    }
}

/// Reports read from files (`golive report merge`): rendered with
/// [`Format::render_remote`], since anyone could have written them.
pub struct Remote<'a>(pub &'a RunSummary);

impl Rendered for Remote<'_> {
    const NAMES: Names = Names { stdout: "the merged report", file: "merged report", whose: "merge" };
    fn render(&self, format: Format, out: &mut dyn Write, colour: bool) -> io::Result<()> {
        format.render_remote(self.0, out, colour)
    }
}

/// Writes an evidence folder for a summary: `Ok` is the sentence to say, `Err` why it failed.
pub type WriteEvidence<'a, S> = dyn FnOnce(&S) -> Result<String, String> + 'a;

/// The evidence of a run, written by the caller's writer (the evidence layer
/// sits above the report model): `Ok` carries the line to say on success.
pub struct Evidence<'a, S> {
    /// The folder.
    pub dir: &'a Path,
    /// Writes the folder; `Ok` is the sentence to say, `Err` why it failed.
    pub write: Box<WriteEvidence<'a, S>>,
}

impl<S> Evidence<'_, S> {
    /// Writes the folder and says so: the lost output (said on stderr) when it could not.
    fn write(self, summary: &S) -> Option<Lost> {
        match (self.write)(summary) {
            Ok(said) => {
                let _ = writeln!(io::stderr(), "golive: {said}");
                None
            }
            Err(e) => {
                let lost = Lost { output: Output::Evidence { dir: self.dir.to_path_buf() }, cause: Cause::Evidence(e) };
                lost.say();
                Some(lost)
            }
        }
    }
}

/// Where round lines of a watch go.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Lines {
    /// On stdout: part of the human output.
    Stdout,
    /// On stderr, on a terminal only, so stdout stays one parseable document.
    Stderr,
    /// Nowhere (`--no-progress`, or stderr is not a terminal).
    Nowhere,
}

/// The outputs the user asked for, and the fan-out that writes them.
pub struct Reporter<'a> {
    format: Format,
    reports: &'a [ReportTarget],
    colour: bool,
    progress: Option<Progress>,
    lines: Lines,
}

impl<'a> Reporter<'a> {
    /// The reporter of one run: a progress line on stderr (human format, a
    /// terminal, not `no_progress`), then `format` on stdout (`colour` when
    /// stdout takes it) and every `--report` file.
    pub fn run(format: Format, reports: &'a [ReportTarget], colour: bool, no_progress: bool) -> Self {
        let progress = Some(Progress::new(!no_progress && format == Format::Human));
        Reporter { format, reports, colour, progress, lines: Lines::Nowhere }
    }

    /// The reporter of a watch: one line per round (on stdout with the human
    /// format, else on stderr on a terminal unless `no_progress`), then the
    /// summary of the whole watch on stdout and in every `--report` file.
    pub fn watch(format: Format, reports: &'a [ReportTarget], colour: bool, no_progress: bool) -> Self {
        let lines = if format == Format::Human {
            Lines::Stdout
        } else if !no_progress && io::stderr().is_terminal() {
            Lines::Stderr
        } else {
            Lines::Nowhere
        };
        Reporter { format, reports, colour, progress: None, lines }
    }

    /// Shows a run's event (the progress line).
    pub fn on_event(&self, event: RunEvent<'_>) {
        if let Some(progress) = &self.progress {
            progress.on_event(&event);
        }
    }

    /// Removes the progress line, e.g. when a signal stops the run.
    pub fn clear(&self) {
        if let Some(progress) = &self.progress {
            progress.clear();
        }
    }

    /// Shows one line of progress that belongs to the output (a watch's
    /// round). Returns whether stdout can no longer take it (its reader left,
    /// or a full disk): nobody will read the rounds, so the caller ends the
    /// watch rather than run on unseen. A failed write is not a loss yet: the
    /// summary's write at the end names it.
    pub fn line(&self, line: &str) -> bool {
        match self.lines {
            Lines::Stdout => !matches!(stdout::write(|out| writeln!(out, "{line}")), Written::Done),
            Lines::Stderr => {
                let _ = writeln!(io::stderr(), "{line}");
                false
            }
            Lines::Nowhere => false,
        }
    }

    /// Writes the finished `summary` to every output: the `--report` files,
    /// the evidence (when asked), then stdout. Says each output that could not
    /// be written on stderr, and returns them; the verdict is the caller's.
    pub fn finish<S: Rendered>(self, summary: &S, evidence: Option<Evidence<'_, S>>) -> Vec<Lost> {
        let mut lost = self.files(summary);
        lost.extend(evidence.and_then(|e| e.write(summary)));
        // A reader that left early lost the report like a full disk would: the gate's output is gone.
        let (format, colour) = (self.format, self.colour);
        lost.extend(to_stdout(S::NAMES.stdout, |out| summary.render(format, out, colour)));
        lost
    }

    /// Writes the finished `summary` to `path` in the stdout format instead of
    /// stdout (`golive report merge --output PATH`), and to every `--report` file.
    pub fn finish_to_file<S: Rendered>(self, summary: &S, path: &Path) -> Vec<Lost> {
        let mut lost = self.files(summary);
        let output =
            Output::File { format: self.format, path: path.to_path_buf(), what: S::NAMES.file, whose: S::NAMES.whose };
        let mut buf = Vec::new();
        let bytes = summary.render(self.format, &mut buf, false).map(|()| buf);
        lost.extend(to_file(output, bytes, path));
        lost
    }

    /// Writes the `--report` files.
    fn files<S: Rendered>(&self, summary: &S) -> Vec<Lost> {
        let mut lost: Vec<Lost> = Vec::new();
        for target in self.reports {
            let output = Output::File {
                format: target.format,
                path: target.path.clone(),
                what: S::NAMES.file,
                whose: S::NAMES.whose,
            };
            let mut buf = Vec::new();
            let bytes = summary.render(target.format, &mut buf, false).map(|()| buf);
            lost.extend(to_file(output, bytes, &target.path));
        }
        lost
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::report::Counts;

    /// A run of no probes with these counts, for the tests of what maps a run's verdict.
    pub(crate) fn summary(counts: Counts) -> RunSummary {
        RunSummary {
            schema: 1,
            golive_version: String::new(),
            env: "t".into(),
            egress: None,
            packs: vec![],
            started_at: String::new(),
            duration_ms: 0,
            summary: counts,
            probes: vec![],
            off: vec![],
        }
    }

    fn files(dir: &Path) -> Vec<ReportTarget> {
        vec![
            ReportTarget { format: Format::Json, path: dir.join("run.json") },
            ReportTarget { format: Format::Junit, path: dir.join("missing").join("run.xml") },
        ]
    }

    /// The files and the evidence, as [`Reporter::finish`] writes them before
    /// stdout (the test harness's here: stdout is proven by the real
    /// processes of `tests/it/lost_outputs.rs`).
    fn lost_files_and_evidence(reporter: &Reporter<'_>, evidence: Option<Evidence<'_, RunSummary>>) -> Vec<Lost> {
        let run = summary(Counts::default());
        let mut lost = reporter.files(&run);
        lost.extend(evidence.and_then(|e| e.write(&run)));
        lost
    }

    #[test]
    fn a_report_file_into_a_missing_folder_is_lost_by_name_and_the_others_are_written() {
        let dir = tempfile::tempdir().expect("tempdir");
        let targets = files(dir.path());
        let reporter = Reporter::run(Format::Human, &targets, false, true);
        let lost = lost_files_and_evidence(&reporter, None);
        assert!(dir.path().join("run.json").is_file(), "the JSON report is written");
        let [one] = lost.as_slice() else { panic!("one lost output: {lost:?}") };
        let Output::File { format, path, what, whose } = &one.output else { panic!("a file: {one:?}") };
        assert_eq!((*format, path, *what, *whose), (Format::Junit, &targets[1].path, "report", "run"));
        assert!(matches!(&one.cause, Cause::Io(e) if e.kind() == io::ErrorKind::NotFound), "{one:?}");
        assert!(one.to_string().starts_with("the JUnit report could not be written to "), "{one}");
    }

    #[test]
    fn evidence_that_cannot_be_written_is_a_lost_output_naming_its_folder() {
        let dir = tempfile::tempdir().expect("tempdir");
        let reporter = Reporter::run(Format::Json, &[], false, true);
        let evidence =
            Evidence { dir: dir.path(), write: Box::new(|_: &RunSummary| Err("the folder is not empty".into())) };
        let lost = lost_files_and_evidence(&reporter, Some(evidence));
        let [one] = lost.as_slice() else { panic!("one lost output: {lost:?}") };
        assert_eq!(one.output, Output::Evidence { dir: dir.path().to_path_buf() });
        assert_eq!(
            one.to_string(),
            format!("the evidence could not be written to {}: the folder is not empty", dir.path().display())
        );
    }
}
