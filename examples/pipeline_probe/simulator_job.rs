//! `--mode simulator` and `--mode tenants`: the whole Forwarder against the
//! in-process simulator (polling, paging, parsing, dedup, checkpoints,
//! delivery). Simulator mode runs polls until every alert is delivered;
//! tenants mode times one poll cycle over many tenants.

use std::sync::Arc;

use defender_siem::checkpoint::{CheckpointStore, FileCheckpointStore, MemoryCheckpointStore};
use defender_siem::client::RateLimits;
use defender_siem::forward::Forwarder;
use defender_siem::simulator::Simulator;
use serde_json::{Value, json};

use crate::args::Args;
use crate::report::{Meter, round3};
use crate::{sim_setup, sinks};

fn forwarder(sim: &Simulator, args: &Args, limits: RateLimits) -> Result<Forwarder, String> {
    let (sink, _) = sinks::build(args)?;
    let start_from = "2000-01-01T00:00:00Z"
        .parse()
        .map_err(|e| format!("start: {e}"))?;
    // Checkpoints in memory unless a directory is given (then as in
    // production: one JSON file per tenant and sink, written after every
    // batch).
    let store: Arc<dyn CheckpointStore> = match &args.checkpoint_dir {
        Some(dir) => Arc::new(FileCheckpointStore::new(dir).map_err(|e| e.to_string())?),
        None => Arc::new(MemoryCheckpointStore::new()),
    };
    Forwarder::builder()
        .source(Arc::new(sim_setup::client(sim, limits)?))
        .tenants(sim_setup::tenants(sim)?)
        .sink(sink)
        .checkpoint_store(store)
        .start_from(start_from)
        .page_size(args.page_size)
        .batch_size(args.batch)
        .tenant_concurrency(args.concurrency)
        .build()
        .map_err(|e| e.to_string())
}

pub async fn run_simulator(args: &Args) -> Result<Value, String> {
    let setup = Meter::start();
    let sim = sim_setup::simulator(args.tenants, args.alerts).await?;
    let setup_s = setup.wall_s();
    let forwarder = forwarder(&sim, args, RateLimits::unlimited())?;
    let want = (args.tenants * args.alerts) as u64;
    let meter = Meter::start();
    let (mut delivered, mut cycles, mut failed_tenants) = (0u64, 0u32, 0usize);
    while delivered < want {
        let report = forwarder.run_once().await;
        cycles += 1;
        failed_tenants = report.tenants.iter().filter(|t| !t.is_success()).count();
        let forwarded = report.forwarded();
        delivered += forwarded;
        if forwarded == 0 {
            break;
        }
    }
    let mut out = meter.report("simulator", args, delivered, 0);
    out["tenants"] = json!(args.tenants);
    out["expected_alerts"] = json!(want);
    out["cycles"] = json!(cycles);
    out["failed_tenants"] = json!(failed_tenants);
    out["page_size"] = json!(args.page_size);
    out["checkpoints"] = json!(if args.checkpoint_dir.is_some() {
        "file"
    } else {
        "memory"
    });
    out["setup_s"] = json!(round3(setup_s));
    out["api_requests"] = json!(sim.stats().requests);
    out["token_requests"] = json!(sim_setup::token_requests(&sim));
    sim.shutdown().await;
    Ok(out)
}

pub async fn run_tenants(args: &Args) -> Result<Value, String> {
    let setup = Meter::start();
    let sim = sim_setup::simulator(args.tenants, args.alerts).await?;
    let setup_s = setup.wall_s();
    // The production rate budget per tenant; one page each stays inside it.
    let forwarder = forwarder(&sim, args, RateLimits::default())?;
    let meter = Meter::start();
    let report = forwarder.run_once().await;
    let cycle_s = meter.wall_s();
    let failed = report.tenants.iter().filter(|t| !t.is_success()).count();
    let mut out = meter.report("tenants", args, report.forwarded(), 0);
    out["tenants"] = json!(args.tenants);
    out["alerts_per_tenant"] = json!(args.alerts);
    out["concurrency"] = json!(args.concurrency);
    out["cycle_s"] = json!(round3(cycle_s));
    out["failed_tenants"] = json!(failed);
    out["setup_s"] = json!(round3(setup_s));
    out["api_requests"] = json!(sim.stats().requests);
    out["token_requests"] = json!(sim_setup::token_requests(&sim));
    sim.shutdown().await;
    Ok(out)
}
