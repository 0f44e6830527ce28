//! A minimal, fast local Splunk HEC endpoint for measurements: answers
//! `{"text":"Success","code":0}` to every POST on `/services/collector/event`
//! (and `/services/collector`), takes gzip bodies and keep-alive
//! connections, and counts events and bytes without keeping them.
//!
//! ```text
//! cargo run --release --example hec_null_receiver -- --listen 127.0.0.1:18088 [--expect N]
//! ```
//!
//! Prints `listening on ADDR` on stderr once it accepts connections. On
//! SIGINT/SIGTERM, or once `--expect N` events arrived, it prints one JSON
//! line on stdout (`events`, `bytes` as received, `bytes_decoded`,
//! `requests`, and its own `cpu_s` and `peak_rss_kb`) and exits.
//!
//! Events are counted exactly: every top-level JSON object in the body is
//! one event (HEC bodies are envelopes written back to back); strings are
//! skipped so braces inside them do not count.

#![allow(clippy::print_stdout)]

#[path = "pipeline_probe/usage.rs"]
mod usage;

use std::io::Read;
use std::net::SocketAddr;
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::routing::{get, post};
use tokio::sync::Notify;

const SUCCESS: &str = r#"{"text":"Success","code":0}"#;
const HEALTHY: &str = r#"{"text":"HEC is healthy","code":17}"#;

/// What has arrived so far.
#[derive(Debug, Default)]
struct Counters {
    events: AtomicU64,
    bytes: AtomicU64,
    bytes_decoded: AtomicU64,
    requests: AtomicU64,
    expect: Option<u64>,
    reached: Notify,
}

/// Top-level JSON objects in `body`, skipping over strings.
fn count_events(body: &[u8]) -> u64 {
    let mut events = 0;
    let mut depth = 0u32;
    let mut i = 0;
    while i < body.len() {
        match body[i] {
            b'"' => {
                // Jump to the closing quote, stepping over escapes.
                i += 1;
                loop {
                    i = next_quote_or_backslash(body, i);
                    match body.get(i) {
                        Some(b'\\') => i += 2,
                        _ => break,
                    }
                }
            }
            b'{' | b'[' => {
                if depth == 0 && body[i] == b'{' {
                    events += 1;
                }
                depth += 1;
            }
            b'}' | b']' => depth = depth.saturating_sub(1),
            _ => {}
        }
        i += 1;
    }
    events
}

/// The index of the first `"` or `\` at or after `from` (or the length),
/// eight bytes at a time: a byte equal to the one sought becomes zero
/// after the XOR, and `(x - 0x01…) & !x & 0x80…` flags zero bytes. Flags
/// above the first real match may be spurious, so only the lowest is used.
fn next_quote_or_backslash(body: &[u8], from: usize) -> usize {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGHS: u64 = 0x8080_8080_8080_8080;
    let zero_bytes = |x: u64| x.wrapping_sub(ONES) & !x & HIGHS;
    let mut i = from;
    while let Some(chunk) = body.get(i..i + 8) {
        let mut word = [0u8; 8];
        word.copy_from_slice(chunk);
        let w = u64::from_le_bytes(word);
        let hits =
            zero_bytes(w ^ (ONES * u64::from(b'"'))) | zero_bytes(w ^ (ONES * u64::from(b'\\')));
        if hits != 0 {
            return i + (hits.trailing_zeros() / 8) as usize;
        }
        i += 8;
    }
    while i < body.len() && body[i] != b'"' && body[i] != b'\\' {
        i += 1;
    }
    i
}

async fn collect(
    State(counters): State<Arc<Counters>>,
    headers: HeaderMap,
    body: Bytes,
) -> (
    StatusCode,
    [(header::HeaderName, &'static str); 1],
    &'static str,
) {
    let json = [(header::CONTENT_TYPE, "application/json")];
    let gzipped = headers
        .get(header::CONTENT_ENCODING)
        .is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"gzip"));
    let (events, decoded) = if gzipped {
        let mut plain = Vec::with_capacity(body.len() * 8);
        if flate2::read::GzDecoder::new(&body[..])
            .read_to_end(&mut plain)
            .is_err()
        {
            return (
                StatusCode::BAD_REQUEST,
                json,
                r#"{"text":"Invalid data format","code":6}"#,
            );
        }
        (count_events(&plain), plain.len())
    } else {
        (count_events(&body), body.len())
    };
    counters.requests.fetch_add(1, Ordering::Relaxed);
    counters
        .bytes
        .fetch_add(body.len() as u64, Ordering::Relaxed);
    counters
        .bytes_decoded
        .fetch_add(decoded as u64, Ordering::Relaxed);
    let total = counters.events.fetch_add(events, Ordering::Relaxed) + events;
    if counters.expect.is_some_and(|n| total >= n) {
        counters.reached.notify_one();
    }
    (StatusCode::OK, json, SUCCESS)
}

async fn health() -> (StatusCode, &'static str) {
    (StatusCode::OK, HEALTHY)
}

/// SIGINT or SIGTERM.
async fn signalled() {
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut term) => {
                term.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        () = term => {}
    }
}

fn parse_args() -> Result<(SocketAddr, Option<u64>), String> {
    let mut listen: SocketAddr = "127.0.0.1:18088".parse().map_err(|e| format!("{e}"))?;
    let mut expect = None;
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        let mut value = || args.next().ok_or_else(|| format!("{flag} needs a value"));
        match flag.as_str() {
            "--listen" => listen = value()?.parse().map_err(|e| format!("--listen: {e}"))?,
            "--expect" => expect = Some(value()?.parse().map_err(|e| format!("--expect: {e}"))?),
            other => return Err(format!("unknown argument {other}")),
        }
    }
    Ok((listen, expect))
}

#[tokio::main]
async fn main() -> ExitCode {
    let (listen, expect) = match parse_args() {
        Ok(args) => args,
        Err(e) => {
            eprintln!(
                "hec_null_receiver: {e}\nusage: hec_null_receiver [--listen ADDR] [--expect N]"
            );
            return ExitCode::from(2);
        }
    };
    let counters = Arc::new(Counters {
        expect,
        ..Counters::default()
    });
    let app = Router::new()
        .route("/services/collector/event", post(collect))
        .route("/services/collector/event/1.0", post(collect))
        .route("/services/collector", post(collect))
        .route("/services/collector/health", get(health))
        .layer(DefaultBodyLimit::disable())
        .with_state(counters.clone());
    let listener = match tokio::net::TcpListener::bind(listen).await {
        Ok(l) => l,
        Err(e) => {
            eprintln!("hec_null_receiver: cannot listen on {listen}: {e}");
            return ExitCode::FAILURE;
        }
    };
    let addr = listener.local_addr().unwrap_or(listen);
    eprintln!("listening on {addr}");
    let stop = Arc::new(Notify::new());
    let stop_server = stop.clone();
    let server = tokio::spawn(async move {
        axum::serve(listener, app)
            .with_graceful_shutdown(async move { stop_server.notified().await })
            .await
    });
    tokio::select! {
        () = signalled() => {}
        () = counters.reached.notified() => {}
    }
    // Let the last responses go out and idle keep-alive connections close.
    stop.notify_one();
    let _ = tokio::time::timeout(Duration::from_secs(2), server).await;
    let load = |c: &AtomicU64| c.load(Ordering::Relaxed);
    println!(
        "{}",
        serde_json::json!({
            "events": load(&counters.events),
            "bytes": load(&counters.bytes),
            "bytes_decoded": load(&counters.bytes_decoded),
            "requests": load(&counters.requests),
            "cpu_s": (usage::cpu_seconds() * 1000.0).round() / 1000.0,
            "peak_rss_kb": usage::peak_rss_kb(),
        })
    );
    ExitCode::SUCCESS
}
