//! A config-driven forwarder: the template MSSP teams start from.
//!
//! ```text
//! cargo run --example forwarder -- --config forwarder.toml [--once]
//! ```
//!
//! The configuration is checked before anything runs (errors name the line
//! and the key; see the README's configuration reference). With `--once` it
//! catches every tenant up and exits: 0 if every tenant and sink succeeded,
//! 1 if any failed or an alert that cannot be read was quarantined (the
//! summary names it and the quarantine file), 2 if the configuration is
//! wrong, 130 if Ctrl-C or SIGTERM cut a poll short; a summary goes to
//! stderr. Without it, it
//! polls until Ctrl-C or SIGTERM. The first signal ends every retry wait
//! at once, lets the requests under way finish and exits; a second one
//! exits at once. Checkpoints keep every acknowledged batch either way. Logs go to stderr (`RUST_LOG` sets the
//! level; default `info`).

use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use defender_siem::config::ForwarderConfig;
use defender_siem::forward::{CycleReport, Forwarder};

const USAGE: &str = "usage: forwarder --config FILE [--once]";

struct Args {
    config: PathBuf,
    once: bool,
}

fn parse_args() -> Result<Args, String> {
    let mut config = None;
    let mut once = false;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--config" => config = Some(PathBuf::from(args.next().ok_or("--config needs a file")?)),
            "--once" => once = true,
            "-h" | "--help" => return Err(USAGE.to_owned()),
            other => return Err(format!("unknown argument `{other}`\n{USAGE}")),
        }
    }
    Ok(Args {
        config: config.ok_or_else(|| format!("--config is required\n{USAGE}"))?,
        once,
    })
}

/// Writes the per-tenant, per-sink outcome of a poll to stderr (the
/// report's own `Display`: forwarded, filtered out, duplicates, errors,
/// and whether shutdown cut the poll short).
fn summarize(report: &CycleReport) {
    eprintln!("{report}");
}

/// While a poll runs, prints a progress line every few seconds when stderr
/// is a terminal (long backfills can take a while).
fn show_progress(forwarder: Forwarder) -> Option<tokio::task::JoinHandle<()>> {
    if !std::io::stderr().is_terminal() {
        return None;
    }
    Some(tokio::spawn(async move {
        loop {
            tokio::time::sleep(Duration::from_secs(5)).await;
            let status = forwarder.status();
            let fetched: u64 = status.iter().map(|t| t.fetched).sum();
            let forwarded: u64 = status
                .iter()
                .flat_map(|t| t.sinks.values())
                .map(|s| s.forwarded)
                .sum();
            eprint!("\rprogress: {fetched} alert versions fetched, {forwarded} deliveries   ");
        }
    }))
}

async fn shutdown_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = term.recv() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}

#[tokio::main]
async fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .init();
    let args = match parse_args() {
        Ok(args) => args,
        Err(message) => {
            eprintln!("forwarder: {message}");
            return ExitCode::from(2);
        }
    };
    let forwarder = match ForwarderConfig::from_file(&args.config).and_then(|c| c.build()) {
        Ok(forwarder) => forwarder,
        Err(e) => {
            eprintln!("forwarder: {e}");
            return ExitCode::from(2);
        }
    };
    let progress = show_progress(forwarder.clone());
    // The first Ctrl-C or SIGTERM stops the forwarder (retry waits end at
    // once, requests under way finish, checkpoints keep every
    // acknowledged batch); a second one exits at once.
    let stopper = forwarder.clone();
    tokio::spawn(async move {
        shutdown_signal().await;
        eprintln!("forwarder: stopping; press Ctrl-C again to exit at once");
        stopper.shutdown();
        shutdown_signal().await;
        eprintln!("forwarder: second signal: exiting now (nothing acknowledged is lost)");
        std::process::exit(130);
    });
    let report = if args.once {
        forwarder.run_once().await
    } else {
        eprintln!("forwarder: running; Ctrl-C stops it");
        forwarder.run(std::future::pending()).await
    };
    if let Some(task) = progress {
        task.abort();
        eprintln!();
    }
    summarize(&report);
    if report.interrupted() {
        ExitCode::from(130)
    } else if report.is_success() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}
