//! Documents on stdout (completions, the man page, a list, a schema, rules, a
//! checklist): one ends quietly with exit 0 when its reader closes the pipe,
//! as `ls | head` does; any other write error (`> /dev/full`) is named on
//! stderr and exits 4.
//!
//! A *report* (verify, a watch, a merge, an inspection) is the gate's output
//! instead: the reporter (`report::reporter`) writes it, and a reader that
//! left before it was written makes it lost (exit 4 when the run passed).

use std::io::{self, Write};

use crate::exit;
use crate::report::stdout::{Written, write};

/// Writes a document: exit 0 when written or when its reader closed the pipe;
/// exit 4, naming `what`, on another error.
pub fn document(what: &str, write_it: impl FnOnce(&mut dyn Write) -> io::Result<()>) -> u8 {
    match write(write_it) {
        Written::Done | Written::Closed => exit::OK,
        Written::Failed(e) => {
            let _ = writeln!(io::stderr(), "golive: cannot write {what} to stdout: {e}");
            exit::OUTPUT
        }
    }
}
