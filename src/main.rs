//! The `golive` binary: parse, call the library, map to an exit code.

use std::process::ExitCode;

fn main() -> ExitCode {
    ExitCode::from(golive::cli::main())
}
