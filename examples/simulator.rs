//! Runs the Defender API + Entra simulator until it is killed.
//!
//! ```text
//! cargo run --example simulator -- --listen 127.0.0.1:0 --tenants 3 --alerts 500 --seed 1 \
//!     [--tls] [--rate-per-minute 100] [--rate-per-hour 1500] [--fault-rate 0.0] \
//!     [--late-rate 0.05] [--token-lifetime-secs 3600]
//! ```
//!
//! Prints exactly one JSON line on stdout (`authority_host`, `api_base`,
//! `graph_base`, `client_id`, `client_secret`, `ca_cert` with `--tls`, and
//! `tenants` with `id`, `name`, `alerts`), then serves. Logs go to stderr
//! (`RUST_LOG=debug` for more).

use std::io::Write as _;
use std::net::SocketAddr;
use std::process::ExitCode;
use std::str::FromStr;
use std::time::Duration;

use defender_siem::simulator::{Simulator, SimulatorBuilder};

const USAGE: &str = "usage: simulator [--listen ADDR] [--tenants N] [--alerts N] [--seed N] [--tls] \
[--rate-per-minute N] [--rate-per-hour N] [--fault-rate F] [--late-rate F] [--token-lifetime-secs N]";

fn value<T: FromStr>(flag: &str, args: &mut impl Iterator<Item = String>) -> Result<T, String>
where
    T::Err: std::fmt::Display,
{
    let raw = args.next().ok_or_else(|| format!("{flag} needs a value"))?;
    raw.parse().map_err(|e| format!("{flag} {raw}: {e}"))
}

fn rate(flag: &str, args: &mut impl Iterator<Item = String>) -> Result<f64, String> {
    let rate: f64 = value(flag, args)?;
    if (0.0..=1.0).contains(&rate) {
        Ok(rate)
    } else {
        Err(format!("{flag} {rate}: must be between 0 and 1"))
    }
}

fn parse_args(mut args: impl Iterator<Item = String>) -> Result<SimulatorBuilder, String> {
    let mut builder = Simulator::builder();
    while let Some(flag) = args.next() {
        builder = match flag.as_str() {
            "--listen" => builder.listen(value::<SocketAddr>(&flag, &mut args)?),
            "--tenants" => builder.tenants(value(&flag, &mut args)?),
            "--alerts" => builder.alerts_per_tenant(value(&flag, &mut args)?),
            "--seed" => builder.seed(value(&flag, &mut args)?),
            "--tls" => builder.tls(true),
            "--rate-per-minute" => builder.rate_per_minute(value(&flag, &mut args)?),
            "--rate-per-hour" => builder.rate_per_hour(value(&flag, &mut args)?),
            "--fault-rate" => builder.fault_rate(rate(&flag, &mut args)?),
            "--late-rate" => builder.late_rate(rate(&flag, &mut args)?),
            "--token-lifetime-secs" => {
                builder.token_lifetime(Duration::from_secs(value(&flag, &mut args)?))
            }
            "-h" | "--help" => return Err(USAGE.to_owned()),
            other => return Err(format!("unknown argument `{other}`\n{USAGE}")),
        };
    }
    Ok(builder)
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
    let builder = match parse_args(std::env::args().skip(1)) {
        Ok(builder) => builder,
        Err(message) => {
            eprintln!("{message}");
            return ExitCode::from(2);
        }
    };
    let sim = match builder.start().await {
        Ok(sim) => sim,
        Err(e) => {
            eprintln!("simulator failed to start: {e}");
            return ExitCode::FAILURE;
        }
    };
    let mut stdout = std::io::stdout().lock();
    if writeln!(stdout, "{}", sim.info())
        .and_then(|()| stdout.flush())
        .is_err()
    {
        return ExitCode::FAILURE;
    }
    drop(stdout);
    tracing::info!(base = %sim.api_base(), "serving until killed (Ctrl-C)");
    let _ = tokio::signal::ctrl_c().await;
    sim.shutdown().await;
    ExitCode::SUCCESS
}
