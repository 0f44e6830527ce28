//! How to deliver alerts to your own backend: implement `AlertSink`.
//!
//! ```text
//! cargo run --example custom_sink
//! ```
//!
//! The sink below counts alerts per tenant and severity, as a stand-in for a
//! ticketing system or a database. The rules every sink follows:
//!
//! * `send` returns `Ok` only once the backend has accepted every record of
//!   the batch; the forwarder moves the checkpoint only then.
//! * On failure, say whether a retry can help (`SinkError::connection` is
//!   retryable, `SinkError::config` is not) and pass on `Retry-After`.
//! * A batch may be sent again after a crash or a retry; make delivery
//!   idempotent where you can (the alert `id` plus `lastUpdateTime` is a
//!   natural key).
//! * JSON backends should store `record.raw`, the exact bytes Defender sent.
//!
//! The `#[async_trait]` attribute comes from the crate
//! (`defender_siem::async_trait`), so a sink needs no dependency of its own.

#![allow(clippy::print_stdout)]

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use defender_siem::async_trait;
use defender_siem::auth::{ClientSecretCredential, TokenSource};
use defender_siem::checkpoint::MemoryCheckpointStore;
use defender_siem::client::DefenderClient;
use defender_siem::forward::Forwarder;
use defender_siem::models::Timestamp;
use defender_siem::simulator::Simulator;
use defender_siem::sink::{AlertRecord, AlertSink, SinkError};
use defender_siem::{Secret, TenantId, TenantInfo};

/// Counts alerts per (tenant, severity).
#[derive(Debug, Default)]
struct CountingSink {
    counts: Mutex<BTreeMap<(String, String), usize>>,
}

#[async_trait]
impl AlertSink for CountingSink {
    fn name(&self) -> &str {
        "counter"
    }

    async fn send(&self, batch: &[AlertRecord]) -> Result<(), SinkError> {
        let mut counts = self
            .counts
            .lock()
            .map_err(|_| SinkError::config("counter", "the counter lock was poisoned"))?;
        for record in batch {
            let severity = record.alert.severity.as_ref().map_or("?", |s| s.as_str());
            *counts
                .entry((record.tenant.name.clone(), severity.to_owned()))
                .or_default() += 1;
        }
        Ok(())
    }
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let sim = Simulator::builder()
        .tenants(2)
        .alerts_per_tenant(50)
        .manual_clock()
        .start()
        .await?;
    let endpoints = sim.endpoints();
    let tokens = ClientSecretCredential::new(sim.client_id(), Secret::new(sim.client_secret()))?
        .with_endpoints(&endpoints)
        .cached();
    let client = DefenderClient::builder()
        .token_provider(Arc::new(tokens))
        .endpoints(endpoints)
        .build()?;
    let tenants = sim
        .tenants()
        .iter()
        .map(|t| Ok(TenantInfo::new(TenantId::new(&t.id)?, t.name.clone())))
        .collect::<Result<Vec<_>, defender_siem::Error>>()?;
    let counter = Arc::new(CountingSink::default());
    let forwarder = Forwarder::builder()
        .source(Arc::new(client))
        .tenants(tenants)
        .sink(counter.clone())
        .checkpoint_store(Arc::new(MemoryCheckpointStore::new()))
        .start_from(Timestamp::from_datetime(
            sim.now() - chrono::Duration::days(30),
        ))
        .build()?;
    let report = forwarder.run_once().await;
    println!("forwarded {} alerts", report.forwarded());
    let counts = counter.counts.lock().map_err(|_| "poisoned")?.clone();
    for ((tenant, severity), n) in &counts {
        println!("{tenant:<12} {severity:<14} {n}");
    }
    sim.shutdown().await;
    Ok(())
}
