//! Sentinel Logs Ingestion request bodies for 1,000 records (the shape of
//! the real samples): `encode_chunks` alone and followed by gzip, and
//! `encode_chunks_reusing` with the buffers of the previous round given back.
//!
//! Run with `cargo bench --bench sentinel_chunk`.

#![allow(missing_docs)]

mod support;

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use defender_siem::format::SentinelRow;
use defender_siem::sink::sentinel::{encode_chunks, encode_chunks_reusing, gzip};
use support::records;

fn sentinel_chunk(c: &mut Criterion) {
    let records = records(1_000);
    let row = SentinelRow::default();
    let now = chrono::Utc::now();
    let mut group = c.benchmark_group("sentinel_chunk_1000_records");
    group.throughput(Throughput::Elements(records.len() as u64));
    group.sample_size(20);
    group.bench_function("encode", |b| {
        b.iter(|| {
            encode_chunks(black_box(&records), &row, now, 1 << 20)
                .iter()
                .map(|chunk| chunk.body.len())
                .sum::<usize>()
        })
    });
    group.bench_function("encode_reused_buffers", |b| {
        let mut spare = Vec::new();
        b.iter(|| {
            let chunks = encode_chunks_reusing(black_box(&records), &row, now, 1 << 20, &mut spare);
            let len = chunks.iter().map(|chunk| chunk.body.len()).sum::<usize>();
            spare.extend(chunks.into_iter().map(|chunk| chunk.body));
            len
        })
    });
    group.bench_function("encode_gzip", |b| {
        b.iter(|| {
            encode_chunks(black_box(&records), &row, now, 1 << 20)
                .iter()
                .map(|chunk| gzip(&chunk.body).len())
                .sum::<usize>()
        })
    });
    group.finish();
}

criterion_group!(benches, sentinel_chunk);
criterion_main!(benches);
