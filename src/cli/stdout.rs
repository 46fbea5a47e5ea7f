//! Writing to stdout, for every command: a reader that went away
//! (`golive completions zsh | head -c 10`) is an ordinary end, never a panic;
//! any other write error (`> /dev/full`) is named on stderr and lost output
//! gets its own exit code.
//!
//! Two kinds of output: a *document* (completions, the man page, a list, a
//! schema, rules, a checklist) ends quietly with exit 0 when its reader closes
//! the pipe, as `ls | head` does; a *report* (verify, a watch, a merge) is the
//! gate's output, so a reader that left before it was written makes it lost:
//! one line on stderr, and exit 4 when the run passed (the verdict otherwise).

use std::io::{self, Write};

use crate::exit;

/// How a write to stdout went.
#[derive(Debug)]
pub enum Written {
    /// Everything was written and flushed.
    Done,
    /// The reader closed the pipe (EPIPE).
    Closed,
    /// Another error: a full disk, a closed descriptor.
    Failed(io::Error),
}

/// Whether an I/O error is the reader of a pipe having gone away.
pub fn is_closed_pipe(e: &io::Error) -> bool {
    e.kind() == io::ErrorKind::BrokenPipe
}

/// Writes to stdout with `write`, flushing at the end (a line-buffered
/// stdout would otherwise report an error only when dropped, where it is lost).
pub fn write(write: impl FnOnce(&mut dyn Write) -> io::Result<()>) -> Written {
    let mut out = io::stdout().lock();
    match write(&mut out).and_then(|()| out.flush()) {
        Ok(()) => Written::Done,
        Err(e) if is_closed_pipe(&e) => Written::Closed,
        Err(e) => Written::Failed(e),
    }
}

/// Writes a document: exit 0 when written or when its reader closed the pipe;
/// exit 4, naming `what`, on another error.
pub fn document(what: &str, write_it: impl FnOnce(&mut dyn Write) -> io::Result<()>) -> u8 {
    match write(write_it) {
        Written::Done | Written::Closed => exit::OK,
        Written::Failed(e) => {
            say(&format!("golive: cannot write {what} to stdout: {e}"));
            exit::OUTPUT
        }
    }
}

/// Writes a report: returns whether it was lost (said on stderr, naming `what`).
pub fn report(what: &str, write_it: impl FnOnce(&mut dyn Write) -> io::Result<()>) -> bool {
    match write(write_it) {
        Written::Done => false,
        Written::Closed => {
            say(&format!(
                "golive: stdout was closed before {what} was written in full (its reader ended early); the verdict is in the exit code"
            ));
            true
        }
        Written::Failed(e) => {
            say(&format!("golive: cannot write {what} to stdout: {e}"));
            true
        }
    }
}

/// One line on stderr that never panics, even when stderr is a closed pipe too.
fn say(line: &str) {
    let _ = writeln!(io::stderr(), "{line}");
}
