//! [`Cancel`]: ends every retry wait at once.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use tokio::sync::Notify;

/// A cancellation signal, shared by cheap clones. Once [`Cancel::cancel`]
/// is called, every [`Retrier::wait`](super::Retrier::wait) under way or to
/// come returns at once with [`Stop::Cancelled`](super::Stop::Cancelled).
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// use defender_siem::retry::Cancel;
///
/// let cancel = Cancel::new();
/// let waiter = cancel.clone();
/// cancel.cancel();
/// waiter.cancelled().await; // returns at once
/// assert!(waiter.is_cancelled());
/// # }
/// ```
#[derive(Debug, Clone, Default)]
pub struct Cancel(Arc<Inner>);

#[derive(Debug, Default)]
struct Inner {
    cancelled: AtomicBool,
    notify: Notify,
}

impl Cancel {
    /// A signal that has not fired.
    pub fn new() -> Self {
        Cancel::default()
    }

    /// Fires the signal. Idempotent.
    pub fn cancel(&self) {
        self.0.cancelled.store(true, Ordering::SeqCst);
        self.0.notify.notify_waiters();
    }

    /// Whether the signal has fired.
    pub fn is_cancelled(&self) -> bool {
        self.0.cancelled.load(Ordering::SeqCst)
    }

    /// Completes when the signal fires (at once if it already has).
    pub async fn cancelled(&self) {
        loop {
            let notified = self.0.notify.notified();
            tokio::pin!(notified);
            // Registered before the flag is read, so a `cancel` between the
            // two cannot be missed.
            notified.as_mut().enable();
            if self.is_cancelled() {
                return;
            }
            notified.await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[tokio::test]
    async fn wakes_a_waiter_that_started_first() {
        let cancel = Cancel::new();
        let waiter = cancel.clone();
        let task = tokio::spawn(async move { waiter.cancelled().await });
        tokio::time::sleep(Duration::from_millis(10)).await;
        assert!(!task.is_finished());
        cancel.cancel();
        tokio::time::timeout(Duration::from_secs(2), task)
            .await
            .unwrap()
            .unwrap();
    }
}
