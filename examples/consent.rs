//! Onboard a customer tenant: print the admin-consent URLs to send the
//! customer, and with `--check` verify that a token for their tenant can
//! read alerts.
//!
//! ```text
//! cargo run --example consent -- --tenant <customer-tenant-id> --client-id <app-id> \
//!     [--redirect-uri https://portal.azure.com] [--check]
//! ```
//!
//! `--tenant` and `--client-id` default to `DEFENDER_TENANT_ID` and
//! `DEFENDER_CLIENT_ID`. `--check` also needs `DEFENDER_CLIENT_SECRET`;
//! `DEFENDER_CLOUD` and `DEFENDER_AUTHORITY_HOST` pick the cloud.

mod defender_env;

use std::io::Write;
use std::process::ExitCode;

use defender_env::{BoxError, Settings, init_logging};
use defender_siem::TenantId;
use defender_siem::auth::consent::{admin_consent_url, mssp_consent_url, verify_access};
use defender_siem::auth::{ClientSecretCredential, TokenSource};
use url::Url;

const USAGE: &str =
    "usage: consent --tenant <id> --client-id <id> [--redirect-uri <url>] [--check]";

struct Args {
    tenant: Option<String>,
    client_id: Option<String>,
    redirect_uri: Option<String>,
    check: bool,
}

fn parse_args() -> Result<Args, BoxError> {
    let mut args = Args {
        tenant: None,
        client_id: None,
        redirect_uri: None,
        check: false,
    };
    let mut it = std::env::args().skip(1);
    while let Some(arg) = it.next() {
        let mut value = |name: &str| {
            it.next()
                .ok_or_else(|| format!("{name} needs a value\n{USAGE}"))
        };
        match arg.as_str() {
            "--tenant" => args.tenant = Some(value("--tenant")?),
            "--client-id" => args.client_id = Some(value("--client-id")?),
            "--redirect-uri" => args.redirect_uri = Some(value("--redirect-uri")?),
            "--check" => args.check = true,
            "-h" | "--help" => return Err(USAGE.into()),
            other => return Err(format!("unknown argument `{other}`\n{USAGE}").into()),
        }
    }
    Ok(args)
}

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
    let args = parse_args()?;
    let settings = Settings::from_env()?;
    let tenant = match args.tenant {
        Some(t) => TenantId::new(t)?,
        None => settings.tenant.clone().ok_or(format!(
            "--tenant (or DEFENDER_TENANT_ID) is required\n{USAGE}"
        ))?,
    };
    let client_id = args
        .client_id
        .or(settings.client_id.clone())
        .ok_or(format!(
            "--client-id (or DEFENDER_CLIENT_ID) is required\n{USAGE}"
        ))?;
    let redirect: Url = args
        .redirect_uri
        .as_deref()
        .unwrap_or("https://portal.azure.com")
        .parse()
        .map_err(|e| format!("--redirect-uri: {e}"))?;

    let endpoints = &settings.endpoints;
    let mut out = std::io::stdout().lock();
    writeln!(out, "Send the customer's admin one of these links:")?;
    writeln!(out, "  {}", mssp_consent_url(endpoints, &client_id)?)?;
    writeln!(
        out,
        "  {}",
        admin_consent_url(endpoints, &tenant, &client_id, &redirect, tenant.as_str())?
    )?;
    if !args.check {
        writeln!(out, "Once they have consented, run again with --check.")?;
        return Ok(());
    }
    let secret = settings
        .client_secret
        .clone()
        .ok_or("--check needs DEFENDER_CLIENT_SECRET")?;
    let provider = ClientSecretCredential::new(&client_id, secret)?
        .with_endpoints(endpoints)
        .cached();
    let report = verify_access(&provider, &tenant, endpoints).await?;
    write!(out, "\n{report}")?;
    if report.is_ok() {
        Ok(())
    } else {
        Err("the access check found problems (see above)".into())
    }
}
