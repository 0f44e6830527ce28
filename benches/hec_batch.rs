//! Splunk HEC request bodies for 1,000 records (the shape of the real
//! samples, ~3.7 KB each): `encode_batches` alone and followed by gzip, and
//! `encode_batches_reusing` with the buffers of the previous round given back
//! (what the sink does between batches).
//!
//! Run with `cargo bench --bench hec_batch`.

#![allow(missing_docs)]

mod support;

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use defender_siem::format::HecEnvelope;
use defender_siem::sink::splunk_hec::{encode_batches, encode_batches_reusing, gzip};
use support::records;

fn hec_batch(c: &mut Criterion) {
    let records = records(1_000);
    let bytes: usize = records.iter().map(|r| r.raw.get().len()).sum();
    let envelope = HecEnvelope::default();
    let mut group = c.benchmark_group("hec_batch_1000_records");
    group.throughput(Throughput::Elements(records.len() as u64));
    group.sample_size(20);
    group.bench_function("encode", |b| {
        b.iter(|| {
            encode_batches(black_box(&records), &envelope, 1_000_000, 10_000)
                .iter()
                .map(|batch| batch.body.len())
                .sum::<usize>()
        })
    });
    group.bench_function("encode_reused_buffers", |b| {
        let mut spare = Vec::new();
        b.iter(|| {
            let batches = encode_batches_reusing(
                black_box(&records),
                &envelope,
                1_000_000,
                10_000,
                &mut spare,
            );
            let len = batches.iter().map(|batch| batch.body.len()).sum::<usize>();
            spare.extend(batches.into_iter().map(|batch| batch.body));
            len
        })
    });
    group.bench_function("encode_gzip", |b| {
        b.iter(|| {
            encode_batches(black_box(&records), &envelope, 1_000_000, 10_000)
                .iter()
                .map(|batch| gzip(&batch.body).len())
                .sum::<usize>()
        })
    });
    group.finish();
    let mut group = c.benchmark_group("hec_batch_1000_records_bytes");
    group.throughput(Throughput::Bytes(bytes as u64));
    group.sample_size(20);
    group.bench_function("encode", |b| {
        b.iter(|| encode_batches(black_box(&records), &envelope, 1_000_000, 10_000).len())
    });
    group.finish();
}

criterion_group!(benches, hec_batch);
criterion_main!(benches);
