//! [`FileSink`] (JSON lines to a file, with rotation) and [`StdoutSink`].

mod config;
mod open;
mod sink;
mod stdout;
mod torn;

pub use config::{FileSinkBuilder, FileSinkSettings};
pub use sink::FileSink;
pub use stdout::StdoutSink;
