//! Encode throughput per format over the same 1,000 alerts (the shape of
//! the real samples, ~3.7 KB each with three evidence items), plus building
//! Splunk HEC and Sentinel request bodies with and without gzip.
//!
//! Run with `cargo bench --bench encode`; criterion prints the time per
//! 1,000 alerts and MB/s of alert JSON consumed.

#![allow(missing_docs)]

use std::hint::black_box;

mod support;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use defender_siem::format::Format;
use support::records;

fn encode(c: &mut Criterion) {
    let records = records(1_000);
    let bytes: usize = records.iter().map(|r| r.raw.get().len()).sum();
    let now = chrono::Utc::now();
    let mut group = c.benchmark_group("encode_1000_alerts");
    group.throughput(Throughput::Bytes(bytes as u64));
    group.sample_size(20);
    let mut out = Vec::with_capacity(8 << 20);
    for name in Format::NAMES {
        let Ok(format) = name.parse::<Format>() else {
            continue;
        };
        group.bench_function(*name, |b| {
            b.iter(|| {
                out.clear();
                for r in &records {
                    format.encode_line(black_box(r), now, &mut out);
                }
                out.len()
            })
        });
    }
    #[cfg(feature = "splunk")]
    {
        use defender_siem::format::HecEnvelope;
        use defender_siem::sink::splunk_hec::{encode_batches, gzip};
        let env = HecEnvelope::default();
        group.bench_function("hec_bodies", |b| {
            b.iter(|| encode_batches(black_box(&records), &env, 1_000_000, 10_000).len())
        });
        group.bench_function("hec_bodies_gzip", |b| {
            b.iter(|| {
                encode_batches(black_box(&records), &env, 1_000_000, 10_000)
                    .iter()
                    .map(|batch| gzip(&batch.body).len())
                    .sum::<usize>()
            })
        });
    }
    #[cfg(feature = "sentinel")]
    {
        use defender_siem::format::SentinelRow;
        use defender_siem::sink::sentinel::{encode_chunks, gzip};
        let row = SentinelRow::default();
        group.bench_function("sentinel_bodies", |b| {
            b.iter(|| encode_chunks(black_box(&records), &row, now, 1 << 20).len())
        });
        group.bench_function("sentinel_bodies_gzip", |b| {
            b.iter(|| {
                encode_chunks(black_box(&records), &row, now, 1 << 20)
                    .iter()
                    .map(|chunk| gzip(&chunk.body).len())
                    .sum::<usize>()
            })
        });
    }
    group.finish();
}

criterion_group!(benches, encode);
criterion_main!(benches);
