//! [`Wiremock`]: a wiremock server that is safe to drop inside a tokio task.
//!
//! wiremock's `MockServer` verifies its mocks when dropped by blocking on an
//! async lock with `futures::executor::block_on`. Inside a tokio task whose
//! cooperative budget is spent, that lock answers "yield" forever and the
//! drop spins at 100 % CPU without end (seen as a hung test run in CI). The
//! wrapper drops the server on a plain thread, where tokio's budget does not
//! apply, and waits for it; a failed verification still panics the caller.

use std::ops::Deref;

use wiremock::MockServer;

/// A started wiremock server; derefs to [`MockServer`].
pub struct Wiremock(Option<MockServer>);

impl Wiremock {
    /// Starts a server on 127.0.0.1 with a random port (from wiremock's pool).
    pub async fn start() -> Wiremock {
        Wiremock(Some(MockServer::start().await))
    }
}

impl Deref for Wiremock {
    type Target = MockServer;

    fn deref(&self) -> &MockServer {
        // Only `drop` takes the server out.
        self.0.as_ref().unwrap_or_else(|| unreachable!("a Wiremock holds its server until dropped"))
    }
}

impl Drop for Wiremock {
    fn drop(&mut self) {
        let Some(server) = self.0.take() else { return };
        // Should no thread start, the closure is dropped here with the server
        // inside: `ManuallyDrop` leaks it rather than risk the spin.
        let server = std::mem::ManuallyDrop::new(server);
        let dropped = std::thread::Builder::new()
            .name("wiremock-drop".into())
            .spawn(move || drop(std::mem::ManuallyDrop::into_inner(server)));
        match dropped.map(std::thread::JoinHandle::join) {
            Ok(Ok(())) => {}
            // The mocks' expectations were not met: report it like wiremock does,
            // unless this thread is already unwinding.
            Ok(Err(panic)) if !std::thread::panicking() => std::panic::resume_unwind(panic),
            Ok(Err(_)) => {}
            Err(e) => tracing::warn!(error = %e, "a fake server could not be stopped cleanly"),
        }
    }
}
