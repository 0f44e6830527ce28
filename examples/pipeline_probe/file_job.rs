//! `--mode file`: stream a JSON-lines file of alerts (or of API pages)
//! through `parse_page` into `AlertRecord`s and a sink, one batch at a
//! time, so memory stays the same whatever the file's length.

use std::fs::File;
use std::io::{BufRead, BufReader};
use std::sync::Arc;
use std::sync::atomic::Ordering;

use defender_siem::models::{Alert, parse_page};
use defender_siem::sink::{AlertRecord, AlertSink};
use defender_siem::{TenantId, TenantInfo};
use serde_json::{Value, json};

use crate::args::Args;
use crate::report::Meter;
use crate::sinks;

const PAGE_OPEN: &[u8] = b"{\"value\":[";

/// What one run read and delivered.
#[derive(Default)]
struct Totals {
    alerts: u64,
    malformed: u64,
    bytes_in: u64,
    batches: u64,
}

/// One batch of alert lines, gathered into an API-page body so the same
/// `parse_page` the forwarder runs reads them.
struct Pending {
    page: Vec<u8>,
    count: usize,
}

impl Pending {
    fn new(capacity: usize) -> Self {
        let mut page = Vec::with_capacity(capacity);
        page.extend_from_slice(PAGE_OPEN);
        Pending { page, count: 0 }
    }

    fn push(&mut self, alert: &[u8]) {
        if self.count > 0 {
            self.page.push(b',');
        }
        self.page.extend_from_slice(alert);
        self.count += 1;
    }

    fn close(&mut self) -> &[u8] {
        self.page.extend_from_slice(b"]}");
        &self.page
    }

    fn reset(&mut self) {
        self.page.truncate(PAGE_OPEN.len());
        self.count = 0;
    }
}

/// A line holds a whole API page rather than one alert.
fn is_page(line: &[u8]) -> bool {
    let head = &line[..line.len().min(96)];
    head.windows(8).any(|w| w == b"\"value\":") || head.windows(7).any(|w| w == b"\"@odata")
}

fn trim(line: &[u8]) -> &[u8] {
    let start = line
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .unwrap_or(line.len());
    let end = line
        .iter()
        .rposition(|b| !b.is_ascii_whitespace())
        .map_or(start, |i| i + 1);
    &line[start..end]
}

async fn deliver(
    page: &[u8],
    tenant: &Arc<TenantInfo>,
    sink: &dyn AlertSink,
    totals: &mut Totals,
) -> Result<(), String> {
    let parsed = parse_page::<Alert>(page).map_err(|e| format!("input page: {e}"))?;
    let records: Vec<AlertRecord> = parsed
        .alerts
        .into_iter()
        .map(|alert| match alert {
            Ok(good) => AlertRecord::new(tenant.clone(), good),
            Err(bad) => {
                totals.malformed += 1;
                AlertRecord::from_malformed(tenant.clone(), bad)
            }
        })
        .collect();
    if records.is_empty() {
        return Ok(());
    }
    sink.send(&records).await.map_err(|e| e.to_string())?;
    totals.alerts += records.len() as u64;
    totals.batches += 1;
    Ok(())
}

pub async fn run(args: &Args) -> Result<Value, String> {
    let path = args.input.as_ref().ok_or("--mode file needs --input")?;
    let file = File::open(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let (sink, null) = sinks::build(args)?;
    let tenant = Arc::new(TenantInfo::new(
        TenantId::new("a839b112-1253-6432-9bf6-94542403f21c").map_err(|e| e.to_string())?,
        "Probe",
    ));
    let meter = Meter::start();
    let mut reader = BufReader::with_capacity(1 << 20, file);
    let mut line = Vec::with_capacity(16 << 10);
    let mut pending = Pending::new(args.batch.min(10_000) * 4_096);
    let mut totals = Totals::default();
    loop {
        line.clear();
        let n = reader
            .read_until(b'\n', &mut line)
            .map_err(|e| format!("{}: {e}", path.display()))?;
        if n == 0 {
            break;
        }
        totals.bytes_in += n as u64;
        let item = trim(&line);
        if item.is_empty() {
            continue;
        }
        if is_page(item) {
            deliver(item, &tenant, sink.as_ref(), &mut totals).await?;
            continue;
        }
        pending.push(item);
        if pending.count >= args.batch {
            deliver(pending.close(), &tenant, sink.as_ref(), &mut totals).await?;
            pending.reset();
        }
    }
    if pending.count > 0 {
        deliver(pending.close(), &tenant, sink.as_ref(), &mut totals).await?;
    }
    let mut out = meter.report("file", args, totals.alerts, totals.bytes_in);
    out["malformed"] = json!(totals.malformed);
    out["sink_batches"] = json!(totals.batches);
    if let Some(null) = null {
        out["bytes_out"] = json!(null.bytes.load(Ordering::Relaxed));
        out["requests"] = json!(null.bodies.load(Ordering::Relaxed));
    }
    Ok(out)
}
