//! Quick start: the whole job on the built-in simulator, with no
//! credentials and no flags.
//!
//! ```text
//! cargo run --example quickstart
//! ```
//!
//! It starts a local Defender API and Entra token endpoint with three
//! customer tenants, onboards them with the MSSP app's client credentials,
//! runs the forwarder once (every tenant caught up, with evidence) into
//! `./quickstart-out/alerts.jsonl` (the exact JSON the API sent, one alert
//! per line) and, for High severity alerts, the console as CEF lines, then
//! prints a summary per tenant and severity.

#![allow(clippy::print_stdout)]

use std::collections::BTreeMap;
use std::path::Path;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Instant;

use defender_siem::auth::{ClientSecretCredential, TokenSource};
use defender_siem::checkpoint::MemoryCheckpointStore;
use defender_siem::client::DefenderClient;
use defender_siem::format::{CefOptions, Format};
use defender_siem::forward::Forwarder;
use defender_siem::models::{Alert, Severity, Timestamp, parse_records};
use defender_siem::simulator::Simulator;
use defender_siem::sink::{FileSink, Filter, Named, StdoutSink};
use defender_siem::{Secret, TenantId, TenantInfo};

const OUT_DIR: &str = "quickstart-out";

#[tokio::main]
async fn main() -> ExitCode {
    match run().await {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::from(1),
        Err(e) => {
            eprintln!("quickstart: {e}");
            ExitCode::from(2)
        }
    }
}

async fn run() -> Result<bool, Box<dyn std::error::Error>> {
    let started = Instant::now();
    // 1. A local Defender API + Entra ID with three customer tenants.
    let sim = Simulator::builder()
        .tenants(3)
        .alerts_per_tenant(300)
        .seed(7)
        .manual_clock()
        .start()
        .await?;

    // 2. The MSSP's multi-tenant app: one credential, a token per tenant.
    let endpoints = sim.endpoints();
    let tokens = ClientSecretCredential::new(sim.client_id(), Secret::new(sim.client_secret()))?
        .with_endpoints(&endpoints)
        .cached();
    let client = DefenderClient::builder()
        .token_provider(Arc::new(tokens))
        .endpoints(endpoints)
        .user_agent("MdatpPartner-DefenderSiem-Quickstart/1.0.0")
        .build()?;

    // 3. Sinks: every alert to a JSON-lines file; High ones to the console.
    std::fs::create_dir_all(OUT_DIR)?;
    let out_file = Path::new(OUT_DIR).join("alerts.jsonl");
    if out_file.exists() {
        std::fs::remove_file(&out_file)?;
    }
    let file = Arc::new(Named::new("archive", FileSink::builder(&out_file).build()?));
    let console = Arc::new(Filter::new().min_severity(Severity::High).wrap(Named::new(
        "console",
        StdoutSink::new(Format::Cef(CefOptions::default())),
    )));

    // 4. The forwarder: every tenant, from 30 days back.
    let tenants: Vec<TenantInfo> = sim
        .tenants()
        .iter()
        .map(|t| Ok(TenantInfo::new(TenantId::new(&t.id)?, t.name.clone())))
        .collect::<Result<_, defender_siem::Error>>()?;
    let since = Timestamp::from_datetime(sim.now() - chrono::Duration::days(30));
    let forwarder = Forwarder::builder()
        .source(Arc::new(client))
        .tenants(tenants)
        .sink(file)
        .sink(console)
        .checkpoint_store(Arc::new(MemoryCheckpointStore::new()))
        .start_from(since)
        .build()?;
    println!("--- High severity alerts, as CEF on the console ---");
    let report = forwarder.run_once().await;
    println!("--- end of console output ---\n");

    // 5. Summary, read back from the file the forwarder wrote.
    let written = std::fs::read(&out_file)?;
    let page = parse_records::<Alert>(&written)?;
    let mut per_tenant: BTreeMap<String, usize> = BTreeMap::new();
    let mut per_severity: BTreeMap<Severity, usize> = BTreeMap::new();
    for parsed in page.parsed() {
        let tenant = parsed.alert.aad_tenant_id.clone().unwrap_or_default();
        *per_tenant.entry(tenant).or_default() += 1;
        let severity = parsed
            .alert
            .severity
            .clone()
            .unwrap_or(Severity::UnSpecified);
        *per_severity.entry(severity).or_default() += 1;
    }
    println!(
        "defender-siem quickstart: {} alerts forwarded from {} tenants",
        page.len(),
        report.tenants.len()
    );
    for tenant in &report.tenants {
        let count = per_tenant
            .get(tenant.tenant.id.as_str())
            .copied()
            .unwrap_or(0);
        let state = match &tenant.error {
            None => "ok".to_owned(),
            Some(e) => format!("FAILED: {}", e.message),
        };
        println!(
            "  {:<18} {:>5} alerts  {}",
            tenant.tenant.name, count, state
        );
    }
    println!("by severity:");
    for (severity, count) in per_severity.iter().rev() {
        println!("  {severity:<14} {count:>5}");
    }
    println!("output:");
    println!(
        "  {}  (the exact JSON each alert came with, one per line)",
        out_file.display()
    );
    println!("  the console above (High severity, CEF)");
    println!("done in {:.2} s", started.elapsed().as_secs_f64());
    sim.shutdown().await;
    Ok(report.is_success())
}
