//! `golive verify --watch`: rounds until `--for` ends or Ctrl-C, one compact
//! line per round, then the summary of the whole watch on stdout and in every
//! `--report` file.
//!
//! Round lines go to stdout with `--format human` (they are part of the human
//! output), and otherwise to stderr on a terminal only, so stdout stays one
//! parseable document.

use std::io::{IsTerminal, Write};

use crate::config::ConfigError;
use crate::exit;
use crate::plan::Plan;
use crate::report::{Format, ReportTarget};
use crate::runner::RunOptions;
use crate::watch::{self, WatchOptions, WatchSummary, render};

/// Where a watch's output goes.
pub struct Output<'a> {
    /// `--format`, for stdout.
    pub format: Format,
    /// `--report FORMAT=PATH` files.
    pub reports: &'a [ReportTarget],
    /// `--no-progress`: no round lines on stderr.
    pub no_progress: bool,
}

/// Runs the watch until `--for` ends or `stop` resolves (SIGINT, SIGTERM or
/// SIGHUP), and returns the exit code of the whole watch.
pub async fn run(
    plan: &Plan,
    opts: &RunOptions,
    watch: WatchOptions,
    out: &Output<'_>,
    stop: impl std::future::Future<Output = ()>,
    fail_on_warn: bool,
) -> Result<u8, ConfigError> {
    let to_stdout = out.format == Format::Human;
    let to_stderr = !to_stdout && !out.no_progress && std::io::stderr().is_terminal();
    // A reader that leaves (`| head -3`) ends the watch like a signal would:
    // nobody reads its rounds, and the summary is then lost (exit 4 if all passed).
    let reader_left = tokio::sync::Notify::new();
    let mut on_round = |round: &watch::Round| {
        let line = render::round_line(round);
        if to_stdout {
            if let super::stdout::Written::Closed = super::stdout::write(|out| writeln!(out, "{line}")) {
                reader_left.notify_one();
            }
        } else if to_stderr {
            let _ = writeln!(std::io::stderr(), "{line}");
        }
    };
    let stop = async {
        tokio::select! {
            () = stop => {}
            () = reader_left.notified() => {}
        }
    };
    let summary = watch::watch(plan, opts, watch, stop, &mut on_round).await;
    let mut lost = write_reports(&summary, out.reports);
    let colour = super::stdout_colour();
    lost |= super::stdout::report("the watch summary", |w| render::render(out.format, &summary, w, colour));
    Ok(exit::with_lost_outputs(exit::for_summary(&summary.as_run(), fail_on_warn), lost))
}

/// Writes every `--report FORMAT=PATH` describing the whole watch; names on
/// stderr each that could not be written and returns whether any was lost.
fn write_reports(summary: &WatchSummary, reports: &[ReportTarget]) -> bool {
    let mut lost = false;
    for target in reports {
        let mut buf = Vec::new();
        if let Err(e) = render::render(target.format, summary, &mut buf, false)
            .and_then(|()| crate::files::write_output(&target.path, &buf))
        {
            eprintln!(
                "golive: the {} watch report could not be written to {}: {e} (check that the folder exists and is writable); the watch's verdict stands",
                target.format.label(),
                target.path.display()
            );
            lost = true;
        }
    }
    lost
}
