//! stderr that can be closed: every message, log line and panic report golive
//! writes there ignores a write error (EPIPE from `golive … 2>&1 | head -1`, a
//! closed descriptor, a full disk), so a lost stderr never turns into a panic,
//! an abort (a panic inside the panic hook) or another exit code.
//!
//! The standard `eprintln!` panics when stderr fails, so this crate shadows it:
//! the `eprintln!` and `eprint!` macros defined here come before every module
//! in `lib.rs` and replace the standard ones in the whole crate (textual macro
//! scope wins over the prelude). The
//! logger writes through [`Quiet`], and [`install_panic_hook`] reports a panic
//! in one line that cannot panic itself.

use std::io::Write;

/// Writes `args` and a newline to stderr, ignoring any error.
pub fn line(args: std::fmt::Arguments<'_>) {
    let mut err = std::io::stderr().lock();
    let _ = err.write_fmt(args).and_then(|()| err.write_all(b"\n"));
}

/// Writes `args` to stderr, ignoring any error.
pub fn text(args: std::fmt::Arguments<'_>) {
    let _ = std::io::stderr().lock().write_fmt(args);
}

/// `eprintln!` that never panics: a failing stderr loses the line, nothing else.
macro_rules! eprintln {
    () => {
        $crate::stderr::line(format_args!(""))
    };
    ($($arg:tt)*) => {
        $crate::stderr::line(format_args!($($arg)*))
    };
}

/// `eprint!` that never panics: a failing stderr loses the text, nothing else.
macro_rules! eprint {
    ($($arg:tt)*) => {
        $crate::stderr::text(format_args!($($arg)*))
    };
}

/// The logger's writer: stderr, every write reported as done, so the
/// tracing subscriber never falls back to its own `eprint!` (which panics on
/// a closed stderr) and no log event can end the process.
#[derive(Debug, Clone, Copy, Default)]
pub struct Quiet;

impl Write for Quiet {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let _ = std::io::stderr().lock().write_all(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        let _ = std::io::stderr().lock().flush();
        Ok(())
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for Quiet {
    type Writer = Quiet;

    fn make_writer(&'a self) -> Quiet {
        Quiet
    }
}

/// A panic prints one line, never a stack trace, and the hook itself cannot
/// panic: it formats into memory and writes once, ignoring the result (a
/// panic while panicking would abort the process, skipping every cleanup).
/// Probe panics are also reported as `error` by the runner.
pub fn install_panic_hook() {
    std::panic::set_hook(Box::new(|info| {
        let payload = info.payload();
        let msg = payload
            .downcast_ref::<&str>()
            .copied()
            .or_else(|| payload.downcast_ref::<String>().map(String::as_str))
            .unwrap_or("");
        let at = info.location().map(|l| format!(" at {}:{}", l.file(), l.line())).unwrap_or_default();
        let text = format!("golive: internal error: {msg}{at} (please report it)\n");
        let _ = std::io::stderr().lock().write_all(text.as_bytes());
    }));
}
