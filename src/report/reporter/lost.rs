//! What the reporter could not write: which output ([`Output`]), why
//! ([`Cause`]), and the one line stderr gets for it. The caller maps a list of
//! them to the exit code (`exit::with_lost_outputs`).

use std::fmt;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use crate::report::Format;
use crate::report::stdout::{self, Written};

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
    pub(super) fn say(&self) {
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
pub(super) fn to_file(output: Output, bytes: io::Result<Vec<u8>>, path: &Path) -> Option<Lost> {
    match bytes.and_then(|buf| crate::files::write_output(path, &buf)) {
        Ok(()) => None,
        Err(e) => {
            let lost = Lost { output, cause: Cause::Io(e) };
            lost.say();
            Some(lost)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
