//! The one JSON line every mode prints.

use std::time::Instant;

use serde_json::{Value, json};

use crate::args::Args;
use crate::usage;

/// Wall and CPU time from the moment a job starts.
pub struct Meter {
    wall: Instant,
    cpu: f64,
}

impl Meter {
    pub fn start() -> Meter {
        Meter {
            wall: Instant::now(),
            cpu: usage::cpu_seconds(),
        }
    }

    /// Seconds since the start.
    pub fn wall_s(&self) -> f64 {
        self.wall.elapsed().as_secs_f64()
    }

    /// The common keys; modes add their own.
    pub fn report(&self, mode: &str, args: &Args, alerts: u64, bytes_in: u64) -> Value {
        let wall_s = self.wall_s();
        let cpu_s = usage::cpu_seconds() - self.cpu;
        let per = |secs: f64| {
            if secs > 0.0 {
                (alerts as f64 / secs).round()
            } else {
                0.0
            }
        };
        let mut out = json!({
            "mode": mode,
            "sink": args.sink_name(),
            "gzip": args.gzip,
            "batch_size": args.batch,
            "max_batch_bytes": args.max_bytes,
            "alerts": alerts,
            "bytes_in": bytes_in,
            "wall_s": round3(wall_s),
            "cpu_s": round3(cpu_s),
            "alerts_per_s": per(wall_s),
            "alerts_per_cpu_s": per(cpu_s),
            "mb_per_cpu_s": if cpu_s > 0.0 { round3(bytes_in as f64 / 1e6 / cpu_s) } else { 0.0 },
            "peak_rss_kb": usage::peak_rss_kb(),
        });
        if let Some(tag) = &args.tag {
            out["tag"] = json!(tag);
        }
        out
    }
}

/// Three decimals are plenty for seconds.
pub fn round3(x: f64) -> f64 {
    (x * 1000.0).round() / 1000.0
}
