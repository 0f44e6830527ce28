//! Sinks (placeholder until the sinks branch lands).
#[cfg(feature = "email")]
pub mod email;
