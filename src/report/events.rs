//! The events a run emits while it goes, for reporters (the progress line, the
//! watch); the runner emits them and never prints.

use super::{ProbeReport, RunSummary};

/// What happened, for reporters to show; the runner itself never prints.
#[derive(Debug)]
pub enum RunEvent<'a> {
    /// The run started with this many probes.
    RunStarted {
        /// The environment name.
        env: &'a str,
        /// Number of probes.
        total: usize,
    },
    /// A probe started.
    ProbeStarted {
        /// Its id.
        id: &'a str,
    },
    /// A probe finished (or was skipped).
    ProbeFinished {
        /// Its report.
        report: &'a ProbeReport,
    },
    /// The run finished.
    RunFinished {
        /// The whole summary.
        summary: &'a RunSummary,
    },
}

/// What listens to a run's events: `Send`, so a run is a `Send` future that
/// any tokio task can drive (`golive serve` spawns its runs as plain tasks).
pub type OnEvent<'a> = dyn FnMut(RunEvent<'_>) + Send + 'a;
