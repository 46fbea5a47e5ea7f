//! The key exchanges of this process in flight, so a signal never cuts one
//! between sending the temporal key and having the answer on disk.
//!
//! Each exchange registers a [`Flight`] before it touches a file, and every
//! piece of its work (the async task that sends and saves, the blocking file
//! work) holds a [`Hold`] on it. The part from sending to the saved key runs
//! in a task of its own, so dropping the command (a signal, a probe's
//! deadline) does not drop it. On a signal the command calls [`settle`]: new
//! exchanges are refused from then on, and it waits until no flight is held
//! (or the signal comes again), then says for every exchange what was sent,
//! what was kept and where. Only then does the command clean up
//! (the demo's fakes remove their folder), so nothing is written after it.

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Where an exchange is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Phase {
    /// Checking and preparing its files: nothing sent.
    Preparing,
    /// The request was handed to the network; no answer yet.
    Sending {
        /// `PATCH https://…`.
        request: String,
    },
    /// The partner accepted; its answer is arriving in `answer`.
    Receiving {
        /// `PATCH https://…`.
        request: String,
        /// The answer's status.
        status: u16,
        /// Where its bytes go.
        answer: PathBuf,
        /// How many are on disk.
        bytes: u64,
    },
    /// It ended; what happened, as the exchange's own message says it.
    Ended(String),
}

/// One exchange in flight.
#[derive(Debug)]
pub struct Flight {
    /// `<pack>/<account>`.
    label: String,
    phase: Mutex<Phase>,
    holds: AtomicUsize,
}

/// Keeps a flight busy while alive: [`settle`] waits for every hold to end.
#[derive(Debug)]
pub struct Hold(Arc<Flight>);

impl Clone for Hold {
    fn clone(&self) -> Self {
        self.0.holds.fetch_add(1, Ordering::SeqCst);
        Hold(self.0.clone())
    }
}

impl Drop for Hold {
    fn drop(&mut self) {
        self.0.holds.fetch_sub(1, Ordering::SeqCst);
    }
}

impl Hold {
    /// Moves the flight to `phase`.
    pub fn phase(&self, phase: Phase) {
        if matches!(phase, Phase::Sending { .. }) {
            SENT.store(true, Ordering::SeqCst);
        }
        if let Ok(mut p) = self.0.phase.lock() {
            *p = phase;
        }
    }

    /// Where the answer of a flight that is receiving is, and how many of its
    /// bytes are on disk.
    pub fn received(&self, at: &std::path::Path, total: u64) {
        if let Ok(mut p) = self.0.phase.lock()
            && let Phase::Receiving { answer, bytes, .. } = &mut *p
        {
            if answer != at {
                *answer = at.to_path_buf();
            }
            *bytes = total;
        }
    }
}

struct Registry {
    flights: Vec<Arc<Flight>>,
    /// Set by [`settle`]: no exchange starts any more.
    closing: bool,
}

static REGISTRY: Mutex<Registry> = Mutex::new(Registry { flights: Vec::new(), closing: false });

/// Whether any exchange of this process handed its request to the network.
static SENT: AtomicBool = AtomicBool::new(false);

/// Set when a second signal cut [`settle`] short: the command cleans up now.
static ABANDONED: AtomicBool = AtomicBool::new(false);

/// Whether the command stopped without waiting for its exchanges: work that
/// is not the key itself (the secret history) is skipped, so nothing is
/// written into a folder the command is removing.
pub fn abandoned() -> bool {
    ABANDONED.load(Ordering::SeqCst)
}

/// Whether any exchange of this process sent (or may have sent) its request.
pub fn any_sent() -> bool {
    SENT.load(Ordering::SeqCst)
}

/// Registers an exchange of `label` (`<pack>/<account>`); `None` when the
/// process is stopping (nothing may be sent any more).
pub fn begin(label: &str) -> Option<Hold> {
    let mut registry = REGISTRY.lock().ok()?;
    if registry.closing {
        return None;
    }
    let flight =
        Arc::new(Flight { label: label.to_string(), phase: Mutex::new(Phase::Preparing), holds: AtomicUsize::new(1) });
    registry.flights.push(flight.clone());
    Some(Hold(flight))
}

/// What golive prints about exchanges in flight when a signal arrives, before
/// it waits for them: empty when none is past sending.
pub fn busy() -> Vec<String> {
    let Ok(registry) = REGISTRY.lock() else { return Vec::new() };
    registry
        .flights
        .iter()
        .filter(|f| f.holds.load(Ordering::SeqCst) > 0)
        .filter_map(|f| match f.phase.lock().ok()?.clone() {
            Phase::Sending { .. } | Phase::Receiving { .. } => Some(format!(
                "the key exchange of {} is in flight: golive stops once the partner's answer is on disk (signal again to stop at once, keeping what has arrived)",
                f.label
            )),
            _ => None,
        })
        .collect()
}

/// Stops new exchanges, waits until no exchange is busy or `again` resolves
/// (the signal came again), and returns a sentence for every exchange of the
/// process: what was sent, what was kept and where. (Called only when a
/// signal stops a command, which then reports nothing else about them.)
pub async fn settle(again: impl std::future::Future<Output = ()>) -> Vec<String> {
    if let Ok(mut registry) = REGISTRY.lock() {
        registry.closing = true;
    }
    let idle = async {
        loop {
            let busy =
                REGISTRY.lock().map(|r| r.flights.iter().any(|f| f.holds.load(Ordering::SeqCst) > 0)).unwrap_or(false);
            if !busy {
                return;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    };
    tokio::select! {
        () = idle => {}
        () = again => ABANDONED.store(true, Ordering::SeqCst),
    }
    notes()
}

/// A sentence for every exchange of the process.
fn notes() -> Vec<String> {
    let Ok(registry) = REGISTRY.lock() else { return Vec::new() };
    let mut out = Vec::new();
    for f in &registry.flights {
        let Ok(phase) = f.phase.lock() else { continue };
        let label = &f.label;
        out.push(match &*phase {
            Phase::Preparing => format!("the key exchange of {label} was stopped before it sent anything"),
            Phase::Sending { request } => format!(
                "the key exchange of {label} was stopped after its request ({request}) was handed to the network and before any answer: the partner may have used the temporal key. Ask the partner before exchanging again"
            ),
            Phase::Receiving { request, status, answer, bytes } => {
                // The file is only ever appended to and synced: its size is what is on disk.
                let bytes = std::fs::metadata(answer).map_or(*bytes, |m| m.len().max(*bytes));
                format!(
                    "the key exchange of {label} was stopped while the partner's answer arrived: {request} was answered {status}, so the temporal key is used; the {bytes} bytes that had arrived are in {} (mode 0600) and may not hold the whole permanent key. Do not exchange again: look for the key in the file, and contact the partner",
                    answer.display()
                )
            }
            Phase::Ended(what) => format!("the key exchange of {label} finished before golive stopped: {what}"),
        });
    }
    out
}
