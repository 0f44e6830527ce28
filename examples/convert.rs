//! Convert alerts read from a file or stdin into one record per line.
//!
//! ```text
//! cargo run --example convert -- --format json [--input FILE] < page.json
//! ```
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

use defender_siem::models::{Alert, compact_json_into, parse_records};

const USAGE: &str = "usage: convert --format json [--input FILE]";

struct Args {
    input: Option<PathBuf>,
}

fn parse_args() -> Result<Args, String> {
    let mut format = None;
    let mut input = None;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--format" => format = Some(args.next().ok_or("--format needs a value")?),
            "--input" => input = Some(PathBuf::from(args.next().ok_or("--input needs a path")?)),
            "-h" | "--help" => return Err(USAGE.to_owned()),
            other => return Err(format!("unknown argument `{other}`\n{USAGE}")),
        }
    }
    match format.as_deref() {
        None | Some("json") => Ok(Args { input }),
        Some(other) => Err(format!("unknown format `{other}` (supported: json)")),
    }
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
    for result in &page.alerts {
        line.clear();
        match result {
            Ok(parsed) => compact_json_into(parsed.raw.get(), &mut line),
            Err(malformed) => {
                eprintln!("convert: {malformed}");
                problems += 1;
                compact_json_into(malformed.raw().get(), &mut line);
            }
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
