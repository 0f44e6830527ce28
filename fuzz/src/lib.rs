//! Input builders and reference checkers shared by the fuzz targets.
//!
//! The checkers are small, independent readers of each text format, written
//! here rather than reusing the crate's encoders, so that an encoder bug
//! cannot hide itself: they split a record back into its fields and compare
//! what they read with what went in.

pub mod alert;
pub mod cef;
pub mod check;
pub mod expect;
pub mod hostile;
pub mod json;
pub mod leef;
pub mod lines;
pub mod options;
pub mod syslog;

#[cfg(test)]
mod tests;
