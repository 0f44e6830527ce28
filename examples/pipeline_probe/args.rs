//! The probe's command line.

use std::path::PathBuf;
use std::str::FromStr;

pub const USAGE: &str = "usage:
  pipeline_probe --generate N --out FILE
  pipeline_probe --mode file --input FILE --sink null|hec [--hec-url URL] [--gzip] [--batch N] [--max-bytes N]
  pipeline_probe --mode simulator --tenants N --alerts M [--sink null|hec] [--hec-url URL] [--gzip] [--batch N] [--page-size N] [--concurrency N] [--checkpoint-dir DIR]
  pipeline_probe --mode tenants [--tenants 10000] [--alerts 5] [--concurrency N]
  pipeline_probe --mode tokens [--fetches 100]
  pipeline_probe --mode receiver-load --hec-url URL --alerts N [--batch N] [--gzip] [--connections N]
common: [--tag TEXT] (echoed as \"tag\" in the JSON line)";

/// Where the probe sends what it reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SinkKind {
    /// Encode HEC bodies (and gzip them) and drop them.
    Null,
    /// The real `SplunkHecSink`.
    Hec,
}

/// Everything the modes read.
#[derive(Debug, Clone)]
pub struct Args {
    pub mode: String,
    pub generate: Option<usize>,
    pub out: Option<PathBuf>,
    pub input: Option<PathBuf>,
    pub sink: SinkKind,
    pub hec_url: Option<String>,
    pub gzip: bool,
    pub batch: usize,
    pub max_bytes: usize,
    pub tenants: usize,
    pub alerts: usize,
    pub page_size: u32,
    pub concurrency: usize,
    pub fetches: usize,
    pub connections: usize,
    pub checkpoint_dir: Option<PathBuf>,
    pub tag: Option<String>,
}

fn value<T: FromStr>(flag: &str, args: &mut impl Iterator<Item = String>) -> Result<T, String>
where
    T::Err: std::fmt::Display,
{
    let raw = args.next().ok_or_else(|| format!("{flag} needs a value"))?;
    raw.parse().map_err(|e| format!("{flag} {raw}: {e}"))
}

impl Args {
    pub fn parse(mut args: impl Iterator<Item = String>) -> Result<Args, String> {
        let mut a = Args {
            mode: String::new(),
            generate: None,
            out: None,
            input: None,
            sink: SinkKind::Null,
            hec_url: None,
            gzip: false,
            batch: 1_000,
            max_bytes: 1_000_000,
            tenants: 1,
            alerts: 1_000,
            page_size: 1_000,
            concurrency: 8,
            fetches: 100,
            connections: 2,
            checkpoint_dir: None,
            tag: None,
        };
        while let Some(flag) = args.next() {
            match flag.as_str() {
                "--mode" => a.mode = value(&flag, &mut args)?,
                "--generate" => a.generate = Some(value(&flag, &mut args)?),
                "--out" => a.out = Some(value(&flag, &mut args)?),
                "--input" => a.input = Some(value(&flag, &mut args)?),
                "--sink" => {
                    a.sink = match value::<String>(&flag, &mut args)?.as_str() {
                        "null" => SinkKind::Null,
                        "hec" => SinkKind::Hec,
                        other => return Err(format!("--sink {other}: null or hec")),
                    }
                }
                "--hec-url" => a.hec_url = Some(value(&flag, &mut args)?),
                "--gzip" => a.gzip = true,
                "--batch" => a.batch = value(&flag, &mut args)?,
                "--max-bytes" => a.max_bytes = value(&flag, &mut args)?,
                "--tenants" => a.tenants = value(&flag, &mut args)?,
                "--alerts" => a.alerts = value(&flag, &mut args)?,
                "--page-size" => a.page_size = value(&flag, &mut args)?,
                "--concurrency" => a.concurrency = value(&flag, &mut args)?,
                "--fetches" => a.fetches = value(&flag, &mut args)?,
                "--connections" => a.connections = value(&flag, &mut args)?,
                "--checkpoint-dir" => a.checkpoint_dir = Some(value(&flag, &mut args)?),
                "--tag" => a.tag = Some(value(&flag, &mut args)?),
                "-h" | "--help" => return Err(String::new()),
                other => return Err(format!("unknown argument {other}")),
            }
        }
        if a.batch == 0 || a.connections == 0 || a.concurrency == 0 {
            return Err("--batch, --connections and --concurrency must be at least 1".into());
        }
        if a.sink == SinkKind::Hec && a.hec_url.is_none() {
            return Err("--sink hec needs --hec-url".into());
        }
        Ok(a)
    }

    /// The name the JSON line gives the sink.
    pub fn sink_name(&self) -> &'static str {
        match self.sink {
            SinkKind::Null => "null",
            SinkKind::Hec => "hec",
        }
    }
}
