//! The integration tests that run the example programs as child processes
//! (`target/<profile>/examples/`, built by `cargo test`), one binary. Their
//! helpers are shared with `tests/it`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "../it/sink_support/mod.rs"]
mod sink_support;
#[path = "../it/support/mod.rs"]
mod support;

mod convert_formats;
mod examples_cli;
mod forwarder_cli;
mod forwarder_crash;
mod forwarder_quarantine_cli;
mod forwarder_receivers;
mod forwarder_shutdown;
mod probe_cli;
