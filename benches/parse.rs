//! Parse throughput: a 1,000-alert page with evidence read into typed alerts,
//! next to `serde_json::from_slice::<IgnoredAny>` over the same bytes (the
//! floor: validating the JSON without building anything).
//!
//! Run with `cargo bench --bench parse`; criterion prints MB/s for both, so
//! the ratio is visible.

#![allow(missing_docs)]

mod support;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use defender_siem::models::{Alert, parse_page};
use serde::de::IgnoredAny;
use serde_json::{Value, json};
use std::hint::black_box;
use support::sample_alert;

fn page_bytes(alerts: usize) -> Vec<u8> {
    let value: Vec<Value> = (0..alerts).map(sample_alert).collect();
    serde_json::to_vec_pretty(&json!({
        "@odata.context": "https://api.security.microsoft.com/api/$metadata#Alerts",
        "value": value,
    }))
    .unwrap_or_default()
}

fn parse(c: &mut Criterion) {
    let bytes = page_bytes(1_000);
    let mut group = c.benchmark_group("parse_1000_alert_page");
    group.throughput(Throughput::Bytes(bytes.len() as u64));
    group.sample_size(20);
    group.bench_function("ignored_any", |b| {
        b.iter(|| serde_json::from_slice::<IgnoredAny>(black_box(&bytes)))
    });
    group.bench_function("typed_parse_page", |b| {
        b.iter(|| parse_page::<Alert>(black_box(&bytes)).map(|p| p.len()))
    });
    group.bench_function("serde_json_value", |b| {
        b.iter(|| serde_json::from_slice::<Value>(black_box(&bytes)).map(|v| v.is_object()))
    });
    group.finish();
}

criterion_group!(benches, parse);
criterion_main!(benches);
