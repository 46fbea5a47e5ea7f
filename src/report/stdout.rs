//! Writing to stdout, for every command: a reader that went away
//! (`golive completions zsh | head -c 10`) is told apart from any other write
//! error (`> /dev/full`), and neither panics. The reporter
//! ([`super::reporter`]) and `cli::stdout`'s documents both write through here.

use std::io::{self, Write};

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
