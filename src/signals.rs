//! SIGINT, SIGTERM and SIGHUP end golive the same way: the command's future is
//! dropped (or a watch ends its rounds), so the demo's fakes stop and their
//! private folder (`golive-fakes-*`, with the demo's keys and secrets) is
//! removed. Without a handler, SIGTERM (a CI job cancelled, `docker stop`,
//! systemd) and SIGHUP (a closed terminal) would end the process on the spot
//! and leave that folder behind.
//!
//! A [`Stopper`] listens from the moment it is made: make it before starting
//! anything that must be cleaned up, and keep it until the end, so no signal
//! arrives unheard between two listeners.
//!
//! One thing is never cut by a signal: a one-time key exchange between its
//! request and the answer on disk. A command stopped by a signal first calls
//! [`crate::apikey::inflight::settle`] (waiting for that, or for the signal to
//! come again) and says what each exchange sent and kept, then cleans up.

use std::fmt;

/// The signal that stopped golive.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stop {
    /// SIGINT (Ctrl-C).
    Interrupt,
    /// SIGTERM.
    Terminate,
    /// SIGHUP.
    Hangup,
}

impl Stop {
    /// The exit status of a process ended by this signal, as a shell shows it
    /// (128 + the signal's number): 130, 143, 129.
    pub fn exit_code(self) -> u8 {
        match self {
            Stop::Interrupt => crate::exit::SIGINT,
            Stop::Terminate => crate::exit::SIGTERM,
            Stop::Hangup => crate::exit::SIGHUP,
        }
    }
}

impl fmt::Display for Stop {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Stop::Interrupt => "SIGINT (Ctrl-C)",
            Stop::Terminate => "SIGTERM",
            Stop::Hangup => "SIGHUP",
        })
    }
}

/// Listens for SIGINT, SIGTERM and SIGHUP from the moment it is made.
pub struct Stopper {
    #[cfg(unix)]
    listeners: Vec<(Stop, tokio::signal::unix::Signal)>,
}

impl Stopper {
    /// Starts listening. A signal whose handler cannot be installed keeps its
    /// default behaviour (it ends the process), and is not waited for.
    /// Must be called inside the tokio runtime.
    pub fn new() -> Stopper {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{SignalKind, signal};
            let kinds = [
                (Stop::Interrupt, SignalKind::interrupt()),
                (Stop::Terminate, SignalKind::terminate()),
                (Stop::Hangup, SignalKind::hangup()),
            ];
            let listeners = kinds.into_iter().filter_map(|(stop, kind)| signal(kind).ok().map(|s| (stop, s))).collect();
            Stopper { listeners }
        }
        #[cfg(not(unix))]
        {
            Stopper {}
        }
    }

    /// Resolves with the first of the signals to arrive (one that arrived
    /// since [`Stopper::new`] included); never, if none can be listened for.
    pub async fn stopped(&mut self) -> Stop {
        #[cfg(unix)]
        {
            if self.listeners.is_empty() {
                return std::future::pending().await;
            }
            let waits = self.listeners.iter_mut().map(|(stop, s)| {
                let stop = *stop;
                Box::pin(async move {
                    match s.recv().await {
                        Some(()) => stop,
                        // The stream ended: never resolve through this one.
                        None => std::future::pending().await,
                    }
                })
            });
            futures::future::select_all(waits).await.0
        }
        #[cfg(not(unix))]
        {
            match tokio::signal::ctrl_c().await {
                Ok(()) => Stop::Interrupt,
                Err(_) => std::future::pending().await,
            }
        }
    }
}

impl Default for Stopper {
    fn default() -> Self {
        Stopper::new()
    }
}
