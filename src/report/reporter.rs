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

use std::fmt;
use std::io::{self, IsTerminal, Write};
use std::path::{Path, PathBuf};

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

/// Which output was lost.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Output {
    /// stdout, carrying `what` (e.g. `the report`).
    Stdout {
        /// What stdout was to carry.
        what: &'static str,
    },
    /// A file: `--report FORMAT=PATH`, or a merge's `--output PATH`.
    File {
        /// Its format.
        format: Format,
        /// Where it was to be written.
        path: PathBuf,
        /// What it is (`report`, `watch report`).
        what: &'static str,
        /// Whose verdict stands without it (`run`, `watch`).
        whose: &'static str,
    },
    /// The `--evidence DIR` folder.
    Evidence {
        /// The folder.
        dir: PathBuf,
    },
}

/// Why an output was lost.
#[derive(Debug)]
pub enum Cause {
    /// stdout's reader closed the pipe before it was written in full (EPIPE).
    Closed,
    /// A write failed: a full disk, a missing folder, a closed descriptor.
    Io(io::Error),
    /// The evidence writer's own error, in its words.
    Evidence(String),
}

/// An output the user asked for that could not be written.
#[derive(Debug)]
pub struct Lost {
    /// Which output.
    pub output: Output,
    /// Why.
    pub cause: Cause,
}

impl fmt::Display for Lost {
    /// The sentence stderr gets (after `golive: `): the output, the cause, what to do.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (&self.output, &self.cause) {
            (Output::Stdout { what }, Cause::Closed) => write!(
                f,
                "stdout was closed before {what} was written in full (its reader ended early); the verdict is in the exit code"
            ),
            (Output::Stdout { what }, cause) => write!(f, "cannot write {what} to stdout: {cause}"),
            (Output::File { format, path, what, whose }, cause) => write!(
                f,
                "the {} {what} could not be written to {}: {cause} (check that the folder exists and is writable); the {whose}'s verdict stands",
                format.label(),
                path.display()
            ),
            (Output::Evidence { dir }, cause) => {
                write!(f, "the evidence could not be written to {}: {cause}", dir.display())
            }
        }
    }
}

impl fmt::Display for Cause {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Cause::Closed => f.write_str("its reader closed the pipe"),
            Cause::Io(e) => write!(f, "{e}"),
            Cause::Evidence(e) => f.write_str(e),
        }
    }
}

impl Lost {
    /// Says it on stderr, in one line that never panics (stderr may be closed too).
    fn say(&self) {
        let _ = writeln!(io::stderr(), "golive: {self}");
    }
}

/// Writes `write` to stdout as `what`: the lost output (said on stderr) when it
/// could not be written in full, for commands whose stdout is a report.
pub fn to_stdout(what: &'static str, write: impl FnOnce(&mut dyn Write) -> io::Result<()>) -> Option<Lost> {
    let cause = match stdout::write(write) {
        Written::Done => return None,
        Written::Closed => Cause::Closed,
        Written::Failed(e) => Cause::Io(e),
    };
    let lost = Lost { output: Output::Stdout { what }, cause };
    lost.say();
    Some(lost)
}

/// Writes `bytes` to a file as `output` (an [`Output::File`]): the lost output
/// (said on stderr) when it could not be written.
fn to_file(output: Output, bytes: io::Result<Vec<u8>>, path: &Path) -> Option<Lost> {
    match bytes.and_then(|buf| crate::files::write_output(path, &buf)) {
        Ok(()) => None,
        Err(e) => {
            let lost = Lost { output, cause: Cause::Io(e) };
            lost.say();
            Some(lost)
        }
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
    /// round). Returns whether stdout's reader has left: nobody reads the
    /// rounds any more, so the caller ends the watch. A failed write is not
    /// a loss yet: the summary's write at the end names it.
    pub fn line(&self, line: &str) -> bool {
        match self.lines {
            Lines::Stdout => matches!(stdout::write(|out| writeln!(out, "{line}")), Written::Closed),
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
mod tests {
    use super::*;
    use crate::report::Counts;

    fn summary() -> RunSummary {
        RunSummary {
            schema: 1,
            golive_version: String::new(),
            env: "t".into(),
            egress: None,
            packs: vec![],
            started_at: String::new(),
            duration_ms: 0,
            summary: Counts::default(),
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
        let run = summary();
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

    #[test]
    fn stdout_lost_says_whether_its_reader_left_or_the_write_failed() {
        let closed = Lost { output: Output::Stdout { what: "the watch summary" }, cause: Cause::Closed };
        assert_eq!(
            closed.to_string(),
            "stdout was closed before the watch summary was written in full (its reader ended early); the verdict is in the exit code"
        );
        let full =
            Lost { output: Output::Stdout { what: "the report" }, cause: Cause::Io(io::Error::from_raw_os_error(28)) };
        assert!(full.to_string().starts_with("cannot write the report to stdout: No space left on device"), "{full}");
    }
}
