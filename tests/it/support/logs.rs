//! Capturing the crate's log lines in a test, through a subscriber scoped
//! to the current thread (the default tokio test runtime runs every task
//! on it).

use std::io::Write;
use std::sync::{Arc, Mutex};

use tracing::Level;
use tracing::subscriber::DefaultGuard;

/// The log lines written while its guard lives.
#[derive(Clone, Default)]
pub struct Logs(Arc<Mutex<Vec<u8>>>);

impl Write for Logs {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Logs {
    /// Captures the lines at `level` and above on this thread until the
    /// guard is dropped.
    pub fn capture(level: Level) -> (Logs, DefaultGuard) {
        let logs = Logs::default();
        let writer = logs.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_writer(move || writer.clone())
            .with_ansi(false)
            .with_max_level(level)
            .finish();
        (logs, tracing::subscriber::set_default(subscriber))
    }

    /// What was written so far.
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap()).into_owned()
    }
}

/// The warnings (and errors) logged while `f` runs.
pub fn warnings_of<R>(f: impl FnOnce() -> R) -> (R, String) {
    let (logs, guard) = Logs::capture(Level::WARN);
    let result = f();
    drop(guard);
    (result, logs.text())
}
