//! [`FileSink`] (JSON lines to a file, with rotation) and [`StdoutSink`].

mod config;
mod sink;
mod stdout;

pub use config::FileSinkBuilder;
pub use sink::FileSink;
pub use stdout::StdoutSink;
