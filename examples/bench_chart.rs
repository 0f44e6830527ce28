//! Draws the benchmark charts from the probe's JSON lines, as plain SVG
//! (no plotting dependency).
//!
//! ```text
//! cargo run --release --example bench_chart -- [--results docs/bench/results.jsonl] [--out-dir docs/bench]
//! ```
//!
//! * `throughput_vs_batch.svg`: alerts/s (wall) and alerts per CPU-second
//!   against the HEC batch size, from lines tagged `batch-sweep`.
//! * `rss_vs_alerts.svg`: peak RSS against the number of alerts forwarded,
//!   from lines tagged `rss-sweep`, with the 64 MB target.
//!
//! When a point was measured more than once, the last line wins.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;

use serde_json::Value;

const WIDTH: f64 = 760.0;
const HEIGHT: f64 = 420.0;
const LEFT: f64 = 90.0;
const RIGHT: f64 = 210.0;
const TOP: f64 = 40.0;
const BOTTOM: f64 = 60.0;
const COLOURS: [&str; 6] = [
    "#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b",
];

/// One line of the chart: its name and its (x, y) points.
type Series = BTreeMap<String, BTreeMap<u64, f64>>;

/// A chart: log-scale x, linear y from zero.
struct Chart<'a> {
    title: &'a str,
    x_label: &'a str,
    y_label: &'a str,
    series: Series,
    /// A dashed horizontal line: (y, label).
    target: Option<(f64, &'a str)>,
}

/// 1, 2 or 5 times a power of ten, near `raw`.
fn nice_step(raw: f64) -> f64 {
    let power = 10f64.powf(raw.log10().floor());
    [1.0, 2.0, 5.0, 10.0]
        .into_iter()
        .map(|m| m * power)
        .find(|step| *step >= raw)
        .unwrap_or(10.0 * power)
}

fn label(v: f64) -> String {
    match v {
        v if v >= 1e6 => format!("{}M", v / 1e6),
        v if v >= 1e3 => format!("{}k", v / 1e3),
        v => format!("{v}"),
    }
}

impl Chart<'_> {
    fn svg(&self) -> String {
        let points = self.series.values().flat_map(|s| s.iter());
        let (mut x_min, mut x_max, mut y_max) =
            (f64::MAX, f64::MIN, self.target.map_or(0.0, |t| t.0));
        for (&x, &y) in points {
            x_min = x_min.min(x as f64);
            x_max = x_max.max(x as f64);
            y_max = y_max.max(y);
        }
        if x_min > x_max {
            (x_min, x_max) = (1.0, 10.0);
        }
        let (lo, hi) = (
            x_min.log10().floor(),
            x_max.log10().ceil().max(x_min.log10().floor() + 1.0),
        );
        let y_step = nice_step((y_max * 1.1).max(1e-9) / 5.0);
        let y_top = (y_max * 1.1 / y_step).ceil() * y_step;
        let plot_w = WIDTH - LEFT - RIGHT;
        let plot_h = HEIGHT - TOP - BOTTOM;
        let px = |x: f64| LEFT + (x.log10() - lo) / (hi - lo) * plot_w;
        let py = |y: f64| TOP + plot_h - y / y_top * plot_h;
        let mut s = String::new();
        let _ = writeln!(
            s,
            r#"<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT}" font-family="sans-serif" font-size="12">"#
        );
        let _ = writeln!(s, r#"<rect width="100%" height="100%" fill="white"/>"#);
        let _ = writeln!(
            s,
            r#"<text x="{}" y="22" text-anchor="middle" font-size="15">{}</text>"#,
            LEFT + plot_w / 2.0,
            self.title
        );
        // Grid and ticks.
        let mut y = 0.0;
        while y <= y_top + y_step / 2.0 {
            let _ = writeln!(
                s,
                r##"<line x1="{LEFT}" x2="{}" y1="{py:.1}" y2="{py:.1}" stroke="#ddd"/><text x="{}" y="{:.1}" text-anchor="end">{}</text>"##,
                LEFT + plot_w,
                LEFT - 6.0,
                py(y) + 4.0,
                label(y),
                py = py(y)
            );
            y += y_step;
        }
        for decade in lo as i32..=hi as i32 {
            for m in [1.0, 2.0, 5.0] {
                let x = m * 10f64.powi(decade);
                if x.log10() > hi + 1e-9 {
                    break;
                }
                let _ = writeln!(
                    s,
                    r##"<line x1="{px:.1}" x2="{px:.1}" y1="{TOP}" y2="{}" stroke="#eee"/><text x="{px:.1}" y="{}" text-anchor="middle">{}</text>"##,
                    TOP + plot_h,
                    TOP + plot_h + 18.0,
                    label(x),
                    px = px(x)
                );
            }
        }
        let _ = writeln!(
            s,
            r##"<rect x="{LEFT}" y="{TOP}" width="{plot_w}" height="{plot_h}" fill="none" stroke="#333"/>"##
        );
        let _ = writeln!(
            s,
            r#"<text x="{}" y="{}" text-anchor="middle">{}</text>"#,
            LEFT + plot_w / 2.0,
            HEIGHT - 18.0,
            self.x_label
        );
        let _ = writeln!(
            s,
            r#"<text transform="translate(22 {}) rotate(-90)" text-anchor="middle">{}</text>"#,
            TOP + plot_h / 2.0,
            self.y_label
        );
        if let Some((y, name)) = self.target {
            let _ = writeln!(
                s,
                r##"<line x1="{LEFT}" x2="{}" y1="{py:.1}" y2="{py:.1}" stroke="#555" stroke-dasharray="6 4"/><text x="{}" y="{:.1}">{name}</text>"##,
                LEFT + plot_w,
                LEFT + 6.0,
                py(y) - 5.0,
                py = py(y)
            );
        }
        // Series and legend.
        for (i, (name, points)) in self.series.iter().enumerate() {
            let colour = COLOURS[i % COLOURS.len()];
            let path: Vec<String> = points
                .iter()
                .map(|(&x, &y)| format!("{:.1},{:.1}", px(x as f64), py(y)))
                .collect();
            let _ = writeln!(
                s,
                r#"<polyline points="{}" fill="none" stroke="{colour}" stroke-width="2"/>"#,
                path.join(" ")
            );
            for p in &path {
                let (cx, cy) = p.split_once(',').unwrap_or(("0", "0"));
                let _ = writeln!(s, r#"<circle cx="{cx}" cy="{cy}" r="3" fill="{colour}"/>"#);
            }
            let ly = TOP + 10.0 + i as f64 * 20.0;
            let lx = WIDTH - RIGHT + 14.0;
            let _ = writeln!(
                s,
                r#"<line x1="{lx}" x2="{}" y1="{ly}" y2="{ly}" stroke="{colour}" stroke-width="2"/><text x="{}" y="{}">{name}</text>"#,
                lx + 20.0,
                lx + 26.0,
                ly + 4.0
            );
        }
        s.push_str("</svg>\n");
        s
    }
}

fn series_name(line: &Value) -> String {
    let sink = line["sink"].as_str().unwrap_or("?");
    let gzip = if line["gzip"].as_bool() == Some(true) {
        " gzip"
    } else {
        ""
    };
    format!("{sink}{gzip}")
}

fn main() -> ExitCode {
    let mut results = PathBuf::from("docs/bench/results.jsonl");
    let mut out_dir = PathBuf::from("docs/bench");
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        match (flag.as_str(), args.next()) {
            ("--results", Some(v)) => results = v.into(),
            ("--out-dir", Some(v)) => out_dir = v.into(),
            _ => {
                eprintln!("usage: bench_chart [--results FILE] [--out-dir DIR]");
                return ExitCode::from(2);
            }
        }
    }
    let text = match std::fs::read_to_string(&results) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("bench_chart: {}: {e}", results.display());
            return ExitCode::FAILURE;
        }
    };
    let (mut throughput, mut rss) = (Series::new(), Series::new());
    for line in text
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
    {
        let num = |key: &str| line[key].as_f64().unwrap_or(0.0);
        match line["tag"].as_str() {
            Some("batch-sweep") => {
                let batch = num("batch_size") as u64;
                let name = series_name(&line);
                throughput
                    .entry(format!("{name}, per wall-s"))
                    .or_default()
                    .insert(batch, num("alerts_per_s"));
                throughput
                    .entry(format!("{name}, per CPU-s"))
                    .or_default()
                    .insert(batch, num("alerts_per_cpu_s"));
            }
            Some("rss-sweep") => {
                rss.entry(series_name(&line))
                    .or_default()
                    .insert(num("alerts") as u64, num("peak_rss_kb") / 1024.0);
            }
            _ => {}
        }
    }
    let charts = [
        (
            "throughput_vs_batch.svg",
            Chart {
                title: "File to Splunk HEC: throughput vs batch size",
                x_label: "HEC batch size (events per request)",
                y_label: "alerts per second",
                series: throughput,
                target: Some((150_000.0, "target 150k / CPU-s")),
            },
        ),
        (
            "rss_vs_alerts.svg",
            Chart {
                title: "File to Splunk HEC: peak RSS vs alerts forwarded",
                x_label: "alerts forwarded",
                y_label: "peak RSS (MB)",
                series: rss,
                target: Some((64.0, "target 64 MB")),
            },
        ),
    ];
    for (file, chart) in charts {
        let path = out_dir.join(file);
        if let Err(e) = std::fs::write(&path, chart.svg()) {
            eprintln!("bench_chart: {}: {e}", path.display());
            return ExitCode::FAILURE;
        }
        eprintln!("wrote {}", path.display());
    }
    ExitCode::SUCCESS
}
