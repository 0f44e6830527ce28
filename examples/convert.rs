//! Convert alerts read from a file or stdin into one record per line.
//!
//! ```text
//! cargo run --example convert -- --format json [--input FILE] < page.json
//! cargo run --example convert -- --format cef --tenant-id contoso.com --tenant-name Contoso < page.json
//! ```
//!
//! Formats: `json`, `json-envelope`, `cef`, `leef`, `rfc5424`, `rfc3164`,
//! `ocsf`, `hec` (one Splunk HEC envelope per line) and `sentinel` (one
//! `DefenderAlerts_CL` row per line). `--tenant-id`/`--tenant-name` fill the
//! tenant fields of the envelopes; without them each alert's `aadTenantId`
//! is used.
//!
//! The input may be an OData page (`{"value": [...]}`), a bare JSON array
//! (the legacy SIEM API), a single alert, or JSON lines of any of these.
//! With `--format json` every alert is written as its exact JSON on one line,
//! malformed ones included (as they came). Problems go to stderr, one line
//! each.
//!
//! Exit status: 0 when every alert converted; 3 when some problems were
//! reported; 2 when the input could not be read at all (or bad arguments).

#![allow(clippy::print_stdout)]

use std::io::{self, BufWriter, Read, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use std::sync::Arc;

use defender_siem::format::Format;
use defender_siem::models::{Alert, compact_json_into, parse_records};
use defender_siem::sink::AlertRecord;
use defender_siem::{TenantId, TenantInfo};

const USAGE: &str = "usage: convert --format json|json-envelope|cef|leef|rfc5424|rfc3164|ocsf|hec|sentinel \
                     [--input FILE] [--tenant-id ID] [--tenant-name NAME]";

struct Args {
    input: Option<PathBuf>,
    format: Format,
    tenant_id: Option<TenantId>,
    tenant_name: String,
    unknown: TenantId,
}

/// The tenant of one alert: the one given on the command line, else the
/// alert's own `aadTenantId`.
fn tenant_of(args: &Args, alert: &Alert) -> Arc<TenantInfo> {
    let id = args.tenant_id.clone().unwrap_or_else(|| {
        let from_alert = alert
            .aad_tenant_id
            .as_deref()
            .and_then(|t| TenantId::new(t).ok());
        from_alert.unwrap_or_else(|| args.unknown.clone())
    });
    Arc::new(TenantInfo::new(id, args.tenant_name.clone()))
}

fn parse_args() -> Result<Args, String> {
    let mut format = None;
    let mut input = None;
    let mut tenant_id = None;
    let mut tenant_name = String::new();
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--format" => format = Some(args.next().ok_or("--format needs a value")?),
            "--input" => input = Some(PathBuf::from(args.next().ok_or("--input needs a path")?)),
            "--tenant-id" => {
                let id = args.next().ok_or("--tenant-id needs a value")?;
                tenant_id = Some(TenantId::new(&id).map_err(|e| e.to_string())?);
            }
            "--tenant-name" => tenant_name = args.next().ok_or("--tenant-name needs a value")?,
            "-h" | "--help" => return Err(USAGE.to_owned()),
            other => return Err(format!("unknown argument `{other}`\n{USAGE}")),
        }
    }
    let format = format
        .as_deref()
        .unwrap_or("json")
        .parse::<Format>()
        .map_err(|e| e.to_string())?;
    Ok(Args {
        input,
        format,
        tenant_id,
        tenant_name,
        unknown: TenantId::new("unknown").map_err(|e| e.to_string())?,
    })
}

fn read_input(args: &Args) -> io::Result<Vec<u8>> {
    match &args.input {
        Some(path) => std::fs::read(path),
        None => {
            let mut buf = Vec::new();
            io::stdin().lock().read_to_end(&mut buf)?;
            Ok(buf)
        }
    }
}

fn main() -> ExitCode {
    let args = match parse_args() {
        Ok(args) => args,
        Err(message) => {
            eprintln!("convert: {message}");
            return ExitCode::from(2);
        }
    };
    let bytes = match read_input(&args) {
        Ok(bytes) => bytes,
        Err(e) => {
            let source = args
                .input
                .as_ref()
                .map_or("stdin".to_owned(), |p| p.display().to_string());
            eprintln!("convert: cannot read {source}: {e}");
            return ExitCode::from(2);
        }
    };
    let page = match parse_records::<Alert>(&bytes) {
        Ok(page) => page,
        Err(e) => {
            eprintln!("convert: {e}");
            return ExitCode::from(2);
        }
    };

    let mut problems = 0usize;
    for skipped in &page.skipped {
        eprintln!("convert: skipped input: {skipped}");
        problems += 1;
    }
    let mut out = BufWriter::new(io::stdout().lock());
    let mut line = Vec::with_capacity(8 * 1024);
    let now = chrono::Utc::now();
    for result in page.alerts {
        line.clear();
        let record = match result {
            Ok(parsed) => AlertRecord::new(tenant_of(&args, &parsed.alert), parsed),
            Err(malformed) => {
                eprintln!("convert: {malformed}");
                problems += 1;
                // Written as it came (JSON formats) or with what can be read.
                AlertRecord::from_malformed(tenant_of(&args, &Alert::default()), malformed)
            }
        };
        if matches!(args.format, Format::Json) {
            compact_json_into(record.raw.get(), &mut line);
        } else {
            args.format.encode(&record, now, &mut line);
        }
        line.push(b'\n');
        if let Err(e) = out.write_all(&line) {
            eprintln!("convert: cannot write to stdout: {e}");
            return ExitCode::from(2);
        }
    }
    if let Err(e) = out.flush() {
        eprintln!("convert: cannot write to stdout: {e}");
        return ExitCode::from(2);
    }
    if problems > 0 {
        ExitCode::from(3)
    } else {
        ExitCode::SUCCESS
    }
}
