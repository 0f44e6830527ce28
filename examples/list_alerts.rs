//! List one customer tenant's alerts: id, severity, title, lastUpdateTime.
//!
//! ```text
//! DEFENDER_TENANT_ID=… DEFENDER_CLIENT_ID=… DEFENDER_CLIENT_SECRET=… \
//!     cargo run --example list_alerts
//! ```
//!
//! Optional: `DEFENDER_CLOUD` (public|gcc|gcc-high|dod),
//! `DEFENDER_AUTHORITY_HOST`, `DEFENDER_API_BASE` (a regional host or a
//! simulator), `DEFENDER_SINCE` (RFC 3339; default 24 hours ago).

mod defender_env;

use std::io::Write;
use std::process::ExitCode;
use std::sync::Arc;

use defender_env::{BoxError, Settings, init_logging};
use defender_siem::auth::{ClientSecretCredential, TokenSource};
use defender_siem::client::DefenderClient;
use defender_siem::models::Timestamp;
use futures_util::StreamExt;

#[tokio::main]
async fn main() -> ExitCode {
    init_logging();
    match run().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn run() -> Result<(), BoxError> {
    if std::env::args().len() > 1 {
        return Err("list_alerts takes no arguments; it reads DEFENDER_* variables".into());
    }
    let settings = Settings::from_env()?;
    let tenant = settings
        .tenant
        .clone()
        .ok_or("DEFENDER_TENANT_ID is required")?;
    let client_id = settings
        .client_id
        .clone()
        .ok_or("DEFENDER_CLIENT_ID is required")?;
    let secret = settings
        .client_secret
        .clone()
        .ok_or("DEFENDER_CLIENT_SECRET is required")?;
    let since = settings.since.unwrap_or_else(|| {
        Timestamp::from_datetime(chrono::Utc::now() - chrono::Duration::hours(24))
    });

    let provider = ClientSecretCredential::new(&client_id, secret)?
        .with_endpoints(&settings.endpoints)
        .cached();
    let client = DefenderClient::builder()
        .token_provider(Arc::new(provider))
        .endpoints(settings.endpoints)
        .build()?;

    let mut out = std::io::stdout().lock();
    let (mut listed, mut malformed) = (0usize, 0usize);
    let mut alerts = client.alerts(&tenant).updated_since(since).stream();
    while let Some(item) = alerts.next().await {
        match item {
            Ok(parsed) => {
                let a = &parsed.alert;
                writeln!(
                    out,
                    "{}\t{}\t{}\t{}",
                    a.id.as_deref().unwrap_or("-"),
                    a.severity.as_ref().map_or("-", |s| s.as_str()),
                    a.last_update_time
                        .map(|t| t.to_string())
                        .unwrap_or_else(|| "-".into()),
                    a.title.as_deref().unwrap_or("-"),
                )?;
                listed += 1;
            }
            Err(defender_siem::Error::MalformedAlert(m)) => {
                eprintln!("skipping a malformed alert: {m}");
                malformed += 1;
            }
            Err(e) => return Err(e.into()),
        }
    }
    eprintln!("{listed} alerts updated since {since} ({malformed} malformed)");
    Ok(())
}
