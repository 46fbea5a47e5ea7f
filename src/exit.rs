//! Exit codes: the one place that says what each process exit status means.
//!
//! CI gates rely on these numbers; they are part of golive's contract
//! (ARCHITECTURE.md, "Contracts other code relies on").

use crate::report::reporter::Lost;
use crate::report::{RunSummary, Status};

/// No probe failed or errored (warnings allowed unless `--fail-on warn`).
pub const OK: u8 = 0;
/// At least one probe failed: the thing checked is wrong.
pub const FAIL: u8 = 1;
/// Usage or configuration error: nothing was run.
pub const USAGE: u8 = 2;
/// At least one probe could not reach a verdict (timeout, network down), none failed.
pub const ERROR: u8 = 3;
/// Every probe passed, but an output the user asked for (`--report`,
/// `--evidence`) could not be written: the gate must not pass without it.
/// A failed or errored run keeps its own code (1 or 3); the message names the output.
pub const OUTPUT: u8 = 4;

/// Stopped by SIGHUP before the run ended (128 + 1): no verdict, no report.
/// A watch is the exception: a signal ends it with its summary and verdict.
pub const SIGHUP: u8 = 129;
/// Stopped by SIGINT (Ctrl-C) before the run ended (128 + 2).
pub const SIGINT: u8 = 130;
/// Stopped by SIGTERM before the run ended (128 + 15).
pub const SIGTERM: u8 = 143;

/// The exit code of a run whose verdict maps to `verdict`, when the outputs
/// in `lost` could not be written (the reporter's answer): the verdict wins
/// unless it is a pass. Whichever output was lost and however (a full disk, a
/// reader that closed the pipe, a missing folder), every command maps it here.
pub fn with_lost_outputs(verdict: u8, lost: &[Lost]) -> u8 {
    if !lost.is_empty() && verdict == OK { OUTPUT } else { verdict }
}

/// The exit code a finished run maps to.
pub fn for_summary(summary: &RunSummary, fail_on_warn: bool) -> u8 {
    let counts = &summary.summary;
    if counts.fail > 0 || (fail_on_warn && counts.warn > 0) {
        FAIL
    } else if counts.error > 0 {
        ERROR
    } else {
        OK
    }
}

/// The exit code of a single status, for commands that check one thing
/// (`golive cert inspect`, `golive webhook verify`).
pub fn for_status(status: Status, fail_on_warn: bool) -> u8 {
    match status {
        Status::Pass | Status::Skip => OK,
        Status::Warn if fail_on_warn => FAIL,
        Status::Warn => OK,
        Status::Fail => FAIL,
        Status::Error => ERROR,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::Counts;
    use crate::report::reporter::tests::summary;

    #[test]
    fn fail_outranks_error_and_warn_counts_only_when_asked() {
        let warn = summary(Counts { pass: 1, warn: 1, ..Counts::default() });
        assert_eq!(for_summary(&warn, false), OK);
        assert_eq!(for_summary(&warn, true), FAIL);
        assert_eq!(for_summary(&summary(Counts { error: 1, ..Counts::default() }), false), ERROR);
        assert_eq!(for_summary(&summary(Counts { error: 1, fail: 1, ..Counts::default() }), false), FAIL);
        assert_eq!(for_summary(&summary(Counts { skip: 3, ..Counts::default() }), false), OK);
    }

    #[test]
    fn a_lost_output_turns_only_a_pass_into_its_own_code() {
        use crate::report::reporter::{Cause, Output};
        let lost = [Lost { output: Output::Stdout { what: "the report" }, cause: Cause::Closed }];
        assert_eq!(with_lost_outputs(OK, &lost), OUTPUT);
        assert_eq!(with_lost_outputs(FAIL, &lost), FAIL);
        assert_eq!(with_lost_outputs(ERROR, &lost), ERROR);
        assert_eq!(with_lost_outputs(OK, &[]), OK);
    }
}
