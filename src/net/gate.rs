//! One connection set-up at a time per origin: a request that needs a new
//! connection while another to the same origin is being set up waits for it
//! (at most [`GRACE`]); if a kept-alive connection comes free meanwhile, the
//! request takes it and its own connection is never opened.
//!
//! Why: the probes of a pack start together (`--jobs`) and mostly talk to one
//! host. Without this, each opens its own connection at the start (HTTP/1.1
//! carries one request at a time, and hyper's pool only has what is already
//! up), so `--jobs 16` made 16 full TLS handshakes, each with the client
//! certificate's RSA signature, where a few connections serve them all in
//! less time. Set up one after another, the second and later handshakes
//! resume the first one's TLS 1.3 session (rustls' in-memory cache of the
//! run's HTTP client) and skip the signature, and a request that a freed
//! connection can serve opens none. The grace bounds what a far server
//! costs: no request waits more than [`GRACE`] before it connects as before.
//!
//! How: a layer around reqwest's connector (the service hyper calls when its
//! pool has no idle connection). hyper races that call against a pooled
//! connection coming free; when the pooled one wins, hyper moves the call to
//! a task of its own to finish it for the pool. A call still waiting for its
//! turn notices the move (it is polled from another tokio task) and ends
//! there, before it opens a socket ([`NotNeeded`]).
//!
//! Resumption never crosses environments: each target has its own HTTP
//! client, so its own rustls configuration and session cache
//! (`net::Clients`), and rustls resumes a session only with the verifier and
//! client-certificate resolver it was made with. The `mtls` probe, which
//! diagnoses the client certificate, makes a fresh full handshake with a
//! configuration of its own (`net::handshake::connect`).
//! `tests/it/resumption.rs` holds both.

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll};
use std::time::Duration;

use tokio::sync::{OwnedSemaphorePermit, Semaphore};

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// The longest a request waits for another connection's set-up before it
/// opens its own: a few times a TLS handshake with a client certificate to a
/// nearby server, and little next to a handshake across the internet.
pub const GRACE: Duration = Duration::from_millis(10);

/// The layer: one per HTTP client, shared by the clones of its service.
#[derive(Clone, Debug)]
pub struct OneSetUpAtATime {
    grace: Duration,
    origins: Arc<Mutex<HashMap<String, Arc<Semaphore>>>>,
}

impl OneSetUpAtATime {
    /// A layer whose requests wait up to `grace` for their origin's turn.
    pub fn new(grace: Duration) -> Self {
        OneSetUpAtATime { grace, origins: Arc::default() }
    }

    /// The turn of one origin: a semaphore of one permit.
    fn turn(&self, origin: &str) -> Arc<Semaphore> {
        let mut origins = self.origins.lock().unwrap_or_else(PoisonError::into_inner);
        Arc::clone(origins.entry(origin.to_string()).or_insert_with(|| Arc::new(Semaphore::new(1))))
    }

    /// Waits for the origin's turn, at most the grace: the permit, or none
    /// when the grace ran out (the set-up goes ahead without it).
    async fn wait_turn(&self, origin: &str) -> Result<Option<OwnedSemaphorePermit>, NotNeeded> {
        let turn = self.turn(origin);
        let wait = tokio::time::timeout(self.grace, turn.acquire_owned());
        match StaysInItsTask::new(wait).await? {
            Ok(Ok(permit)) => Ok(Some(permit)),
            // Ran out of grace (or the semaphore closed, which this layer never does).
            _ => Ok(None),
        }
    }
}

impl<S> tower_layer::Layer<S> for OneSetUpAtATime {
    type Service = OneSetUpAtATimeService<S>;

    fn layer(&self, inner: S) -> Self::Service {
        OneSetUpAtATimeService { inner, layer: self.clone() }
    }
}

/// The connector service with [`OneSetUpAtATime`] around it.
#[derive(Clone, Debug)]
pub struct OneSetUpAtATimeService<S> {
    inner: S,
    layer: OneSetUpAtATime,
}

impl<S, R> tower_service::Service<R> for OneSetUpAtATimeService<S>
where
    S: tower_service::Service<R> + Clone + Send + 'static,
    S::Future: Send + 'static,
    S::Error: Into<BoxError>,
    R: std::fmt::Debug + Send + 'static,
{
    type Response = S::Response;
    type Error = BoxError;
    type Future = Pin<Box<dyn Future<Output = Result<S::Response, BoxError>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), BoxError>> {
        self.inner.poll_ready(cx).map_err(Into::into)
    }

    fn call(&mut self, dst: R) -> Self::Future {
        // reqwest hands the destination over as a type it does not name; its
        // Debug form holds the URI (scheme, host and port): the origin.
        let origin = format!("{dst:?}");
        // The service that was made ready goes into the future (tower's rule).
        let fresh = self.inner.clone();
        let mut ready = std::mem::replace(&mut self.inner, fresh);
        let layer = self.layer.clone();
        Box::pin(async move {
            let permit = layer.wait_turn(&origin).await?;
            let connected = ready.call(dst).await.map_err(Into::into);
            // The next set-up of this origin may start (and resume this session).
            drop(permit);
            connected
        })
    }
}

/// Why a connection was not opened: a kept-alive one served its request first.
#[derive(Debug)]
pub struct NotNeeded;

impl std::fmt::Display for NotNeeded {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a kept-alive connection served the request first; this one was not opened")
    }
}

impl std::error::Error for NotNeeded {}

/// Runs `inner` while it is polled from the tokio task it was first polled
/// from; polled from another one, it ends with [`NotNeeded`] (hyper moved it
/// to a background task: no request waits for it any more).
struct StaysInItsTask<F> {
    home: Option<Option<tokio::task::Id>>,
    inner: Pin<Box<F>>,
}

impl<F: Future> StaysInItsTask<F> {
    fn new(inner: F) -> Self {
        StaysInItsTask { home: None, inner: Box::pin(inner) }
    }
}

impl<F: Future> Future for StaysInItsTask<F> {
    type Output = Result<F::Output, NotNeeded>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let here = tokio::task::try_id();
        match self.home {
            None => self.home = Some(here),
            Some(home) if home != here => return Poll::Ready(Err(NotNeeded)),
            Some(_) => {}
        }
        self.inner.as_mut().poll(cx).map(Ok)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_wait_moved_to_another_task_ends_before_connecting() {
        let mut wait = Box::pin(StaysInItsTask::new(std::future::pending::<()>()));
        // First polled here, in this test's task...
        let first = tokio::spawn(async move {
            let polled = futures::poll!(wait.as_mut());
            (polled.is_pending(), wait)
        });
        let (pending, mut wait) = first.await.expect("first task");
        assert!(pending, "it waits while in its own task");
        // ... then from another task, as hyper's pool does when a kept-alive
        // connection won the race.
        let moved = tokio::spawn(async move { futures::poll!(wait.as_mut()) }).await.expect("second task");
        assert!(matches!(moved, Poll::Ready(Err(NotNeeded))), "{moved:?}");
    }

    #[tokio::test]
    async fn a_wait_in_its_own_task_runs_to_its_end() {
        let done = StaysInItsTask::new(async { 7 }).await;
        assert_eq!(done.ok(), Some(7));
    }

    #[tokio::test(start_paused = true)]
    async fn the_second_set_up_of_an_origin_waits_for_the_first() {
        let layer = OneSetUpAtATime::new(Duration::from_secs(3600));
        let first = layer.wait_turn("https://a.example/").await.expect("own task");
        assert!(first.is_some(), "the first set-up has its turn at once");
        let second = tokio::spawn({
            let layer = layer.clone();
            async move { layer.wait_turn("https://a.example/").await.map(|p| p.is_some()) }
        });
        tokio::task::yield_now().await;
        assert!(!second.is_finished(), "the second waits while the first sets up");
        // Another origin does not wait for this one.
        let other = layer.wait_turn("https://b.example/").await.expect("own task");
        assert!(other.is_some());
        drop(first);
        assert!(second.await.expect("joined").expect("own task"), "the second gets its turn after the first");
    }

    #[tokio::test(start_paused = true)]
    async fn a_set_up_goes_ahead_without_its_turn_after_the_grace() {
        let layer = OneSetUpAtATime::new(GRACE);
        let _first = layer.wait_turn("https://a.example/").await.expect("own task");
        // Time is paused: the wait ends by the grace's timer, not by the clock.
        let second = layer.wait_turn("https://a.example/").await.expect("own task");
        assert!(second.is_none(), "past the grace it connects without waiting longer");
    }
}
