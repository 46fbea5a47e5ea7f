//! `golive verify --watch`: rounds until `--for` ends or Ctrl-C, one compact
//! line per round, then the summary of the whole watch on stdout and in every
//! `--report` file, all through the watch's reporter (`report::reporter`):
//! round lines go to stdout with `--format human` (they are part of the human
//! output), and otherwise to stderr on a terminal only, so stdout stays one
//! parseable document.

use crate::config::ConfigError;
use crate::exit;
use crate::plan::Plan;
use crate::report::reporter::Reporter;
use crate::runner::RunOptions;
use crate::watch::{self, WatchOptions, render};

/// Runs the watch until `--for` ends or `stop` resolves (SIGINT, SIGTERM or
/// SIGHUP), and returns the exit code of the whole watch.
pub async fn run(
    plan: &Plan,
    opts: &RunOptions,
    watch: WatchOptions,
    reporter: Reporter<'_>,
    stop: impl std::future::Future<Output = ()>,
    fail_on_warn: bool,
) -> Result<u8, ConfigError> {
    // A reader that leaves (`| head -3`) or a stdout that fails (a full disk)
    // ends the watch like a signal would: nobody reads its rounds, and the
    // summary is then lost (exit 4 if all passed).
    let reader_left = tokio::sync::Notify::new();
    let mut on_round = |round: &watch::Round| {
        if reporter.line(&render::round_line(round)) {
            reader_left.notify_one();
        }
    };
    let stop = async {
        tokio::select! {
            () = stop => {}
            () = reader_left.notified() => {}
        }
    };
    let summary = watch::watch(plan, opts, watch, stop, &mut on_round).await;
    let lost = reporter.finish(&summary, None);
    Ok(exit::with_lost_outputs(exit::for_summary(&summary.as_run(), fail_on_warn), &lost))
}
