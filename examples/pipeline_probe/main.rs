//! Measures whole jobs and prints exactly one JSON line on stdout: `mode`,
//! `alerts`, `bytes_in`, `wall_s`, `cpu_s`, `alerts_per_s`,
//! `alerts_per_cpu_s`, `peak_rss_kb` and keys of its own per mode. CPU time
//! and peak RSS are this process's, read from `/proc/self`. Build with
//! `--release`; `benches/run_probe.sh` runs every mode and BENCHMARKS.md
//! explains the figures.
//!
//! ```text
//! cargo run --release --example pipeline_probe -- --generate 100000 --out /tmp/alerts.jsonl
//! cargo run --release --example hec_null_receiver -- --listen 127.0.0.1:18088 &
//! cargo run --release --example pipeline_probe -- --mode file --input /tmp/alerts.jsonl \
//!     --sink hec --hec-url http://127.0.0.1:18088 [--gzip] [--batch 1000]
//! cargo run --release --example pipeline_probe -- --mode file --input /tmp/alerts.jsonl --sink null
//! cargo run --release --example pipeline_probe -- --mode simulator --tenants 4 --alerts 25000
//! cargo run --release --example pipeline_probe -- --mode tenants --tenants 10000 --alerts 5
//! cargo run --release --example pipeline_probe -- --mode tokens --fetches 100
//! cargo run --release --example pipeline_probe -- --mode receiver-load \
//!     --hec-url http://127.0.0.1:18088 --alerts 200000 --batch 1000
//! ```
//!
//! Exit codes: 0 done, 1 the job failed, 2 bad arguments.

#![allow(clippy::print_stdout)]

mod args;
mod file_job;
mod generate;
mod receiver_load;
mod report;
#[path = "../../benches/support/mod.rs"]
mod sample;
mod sim_setup;
mod simulator_job;
mod sinks;
mod tokens_job;
mod usage;

use std::process::ExitCode;

use args::{Args, USAGE};

#[tokio::main]
async fn main() -> ExitCode {
    let args = match Args::parse(std::env::args().skip(1)) {
        Ok(args) => args,
        Err(e) => {
            if !e.is_empty() {
                eprintln!("pipeline_probe: {e}");
            }
            eprintln!("{USAGE}");
            return ExitCode::from(2);
        }
    };
    let result = match (args.generate, args.mode.as_str()) {
        (Some(count), _) => generate::run(&args, count),
        (None, "file") => file_job::run(&args).await,
        (None, "simulator") => simulator_job::run_simulator(&args).await,
        (None, "tenants") => simulator_job::run_tenants(&args).await,
        (None, "tokens") => tokens_job::run(&args).await,
        (None, "receiver-load") => receiver_load::run(&args).await,
        (None, other) => {
            eprintln!("pipeline_probe: unknown --mode {other:?}\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    match result {
        Ok(line) => {
            println!("{line}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("pipeline_probe: {e}");
            ExitCode::FAILURE
        }
    }
}
