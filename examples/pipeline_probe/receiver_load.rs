//! `--mode receiver-load`: POSTs one pre-built HEC body over and over from
//! several connections, to show how many events a second the null
//! receiver takes (the receiver prints its own CPU time on exit).

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use defender_siem::format::HecEnvelope;
use defender_siem::sink::AlertRecord;
use defender_siem::sink::splunk_hec::{encode_batches, gzip};
use defender_siem::{TenantId, TenantInfo};
use serde_json::{Value, json};

use crate::args::Args;
use crate::report::Meter;
use crate::sample::sample_alert;

/// One body of `batch` envelopes (gzipped when asked).
fn body(batch: usize, gzipped: bool) -> Result<Vec<u8>, String> {
    let tenant = Arc::new(TenantInfo::new(
        TenantId::new("a839b112-1253-6432-9bf6-94542403f21c").map_err(|e| e.to_string())?,
        "Probe",
    ));
    let records = (0..batch)
        .map(|i| AlertRecord::from_json(tenant.clone(), &sample_alert(i).to_string()))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| e.to_string())?;
    let body = encode_batches(&records, &HecEnvelope::default(), usize::MAX, usize::MAX)
        .into_iter()
        .next()
        .map(|b| b.body)
        .unwrap_or_default();
    Ok(if gzipped { gzip(&body) } else { body })
}

pub async fn run(args: &Args) -> Result<Value, String> {
    let url = format!(
        "{}/services/collector/event",
        args.hec_url
            .as_deref()
            .unwrap_or_default()
            .trim_end_matches('/')
    );
    // Leaked once so every request sends it without a copy.
    let body: &'static [u8] = Box::leak(body(args.batch, args.gzip)?.into_boxed_slice());
    let requests = args.alerts.div_ceil(args.batch) as u64;
    let next = Arc::new(AtomicU64::new(0));
    let client = reqwest::Client::new();
    let meter = Meter::start();
    let mut tasks = Vec::new();
    for _ in 0..args.connections {
        let (client, url, next) = (client.clone(), url.clone(), next.clone());
        let gzipped = args.gzip;
        tasks.push(tokio::spawn(async move {
            while next.fetch_add(1, Ordering::Relaxed) < requests {
                let mut req = client.post(&url).body(body);
                if gzipped {
                    req = req.header("Content-Encoding", "gzip");
                }
                let resp = req.send().await.map_err(|e| e.to_string())?;
                if !resp.status().is_success() {
                    return Err(format!("receiver answered {}", resp.status()));
                }
                resp.bytes().await.map_err(|e| e.to_string())?;
            }
            Ok::<(), String>(())
        }));
    }
    for task in tasks {
        task.await.map_err(|e| e.to_string())??;
    }
    let events = requests * args.batch as u64;
    let mut out = meter.report("receiver-load", args, events, requests * body.len() as u64);
    out["requests"] = json!(requests);
    out["connections"] = json!(args.connections);
    Ok(out)
}
