//! `--generate N --out FILE`: N alerts of the real-sample shape (~3.7 KB
//! each, three evidence items), one compact JSON object a line. The same N
//! always gives the same bytes.

use std::fs::File;
use std::io::{BufWriter, Write};

use serde_json::{Value, json};

use crate::args::Args;
use crate::sample::sample_alert;

pub fn run(args: &Args, count: usize) -> Result<Value, String> {
    let path = args.out.as_ref().ok_or("--generate needs --out")?;
    let fail = |e: std::io::Error| format!("{}: {e}", path.display());
    let mut out = BufWriter::with_capacity(1 << 20, File::create(path).map_err(fail)?);
    let mut bytes = 0u64;
    let mut line = Vec::with_capacity(8 << 10);
    for i in 0..count {
        line.clear();
        serde_json::to_writer(&mut line, &sample_alert(i)).map_err(|e| e.to_string())?;
        line.push(b'\n');
        out.write_all(&line).map_err(fail)?;
        bytes += line.len() as u64;
    }
    out.flush().map_err(fail)?;
    Ok(json!({
        "mode": "generate",
        "alerts": count,
        "bytes": bytes,
        "bytes_per_alert": if count > 0 { bytes / count as u64 } else { 0 },
        "out": path.display().to_string(),
    }))
}
