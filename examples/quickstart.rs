//! Quick start: read a page of Defender alerts and summarise it.
//!
//! ```text
//! cargo run --example quickstart
//! ```
//!
//! Needs no credentials and no flags. It parses the sample page bundled in
//! `examples/data/`, exactly as the client parses a live `/api/alerts`
//! response, and prints how many alerts there are per severity and status.

#![allow(clippy::print_stdout)]

use std::collections::BTreeMap;
use std::process::ExitCode;

use defender_siem::models::{Alert, Severity, parse_page};

const SAMPLE_PAGE: &[u8] = include_bytes!("data/sample_alerts_page.json");

fn main() -> ExitCode {
    let page = match parse_page::<Alert>(SAMPLE_PAGE) {
        Ok(page) => page,
        Err(e) => {
            eprintln!("quickstart: the bundled sample page is unreadable: {e}");
            return ExitCode::from(2);
        }
    };

    let mut by_severity: BTreeMap<Severity, usize> = BTreeMap::new();
    let mut by_status: BTreeMap<String, usize> = BTreeMap::new();
    let mut tenants: BTreeMap<String, usize> = BTreeMap::new();
    for parsed in page.parsed() {
        let alert = &parsed.alert;
        let severity = alert.severity.clone().unwrap_or(Severity::UnSpecified);
        *by_severity.entry(severity).or_default() += 1;
        let status = alert.status.as_ref().map_or("(none)", |s| s.as_str());
        *by_status.entry(status.to_owned()).or_default() += 1;
        let tenant = alert.aad_tenant_id.as_deref().unwrap_or("(unknown)");
        *tenants.entry(tenant.to_owned()).or_default() += 1;
    }

    println!(
        "defender-siem quickstart: {} alerts in the sample page",
        page.len()
    );
    println!();
    println!("by severity (highest first):");
    for (severity, count) in by_severity.iter().rev() {
        println!("  {severity:<14} {count:>4}");
    }
    println!();
    println!("by status:");
    for (status, count) in &by_status {
        println!("  {status:<14} {count:>4}");
    }
    println!();
    for (tenant, count) in &tenants {
        println!("tenant {tenant}: {count} alerts");
    }
    let high: Vec<_> = page
        .parsed()
        .filter(|p| p.alert.severity >= Some(Severity::High))
        .collect();
    println!();
    println!("High severity alerts:");
    for parsed in high {
        let a = &parsed.alert;
        println!(
            "  {}  {}  {}",
            a.last_update_time
                .map(|t| t.to_string())
                .unwrap_or_default(),
            a.computer_dns_name.as_deref().unwrap_or("-"),
            a.title.as_deref().unwrap_or("-"),
        );
    }
    let malformed = page.malformed().count();
    if malformed > 0 {
        eprintln!("quickstart: {malformed} alerts could not be read");
        return ExitCode::from(3);
    }
    ExitCode::SUCCESS
}
