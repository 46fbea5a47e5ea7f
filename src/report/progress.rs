//! The live progress line: on a terminal only, on stderr, never in CI.

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use super::RunEvent;

/// Shows a one-line progress bar while probes run.
pub struct Progress {
    bar: ProgressBar,
}

impl Progress {
    /// A progress line on stderr when `enabled` and stderr is a terminal
    /// (indicatif hides itself otherwise).
    pub fn new(enabled: bool) -> Self {
        let target = if enabled && std::env::var_os("CI").is_none() {
            ProgressDrawTarget::stderr()
        } else {
            ProgressDrawTarget::hidden()
        };
        let bar = ProgressBar::with_draw_target(None, target);
        bar.set_style(
            ProgressStyle::with_template("{spinner} {pos}/{len} probes {msg}")
                .unwrap_or_else(|_| ProgressStyle::default_spinner()),
        );
        Progress { bar }
    }

    /// Removes the line, e.g. when a signal stops the run.
    pub fn clear(&self) {
        self.bar.finish_and_clear();
    }

    /// Updates the line for an event.
    pub fn on_event(&self, event: &RunEvent<'_>) {
        match event {
            RunEvent::RunStarted { total, .. } => {
                self.bar.set_length(*total as u64);
                if *total == 1 {
                    self.bar.set_style(
                        ProgressStyle::with_template("{spinner} {pos}/{len} probe {msg}")
                            .unwrap_or_else(|_| ProgressStyle::default_spinner()),
                    );
                }
                self.bar.enable_steady_tick(std::time::Duration::from_millis(120));
            }
            RunEvent::ProbeStarted { id } => self.bar.set_message(super::text::terminal(id).into_owned()),
            RunEvent::ProbeFinished { .. } => self.bar.inc(1),
            RunEvent::RunFinished { .. } => self.bar.finish_and_clear(),
        }
    }
}
