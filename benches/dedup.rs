//! The forwarder's dedup window ([`SeenWindow`]) at 100,000 versions:
//! inserting them, looking each up, and cutting off the older half; and a
//! burst of 20,000 versions sharing one timestamp (a bulk update), which
//! must not be quadratic.
//!
//! Run with `cargo bench --bench dedup`.

#![allow(missing_docs)]

use std::hint::black_box;

use chrono::{DateTime, Duration, Utc};
use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use defender_siem::checkpoint::SeenWindow;
use defender_siem::models::Timestamp;

const VERSIONS: usize = 100_000;

/// Alert ids of the real shape, with a few alerts sharing each timestamp
/// (a page of alerts updated in the same second, as bulk changes make).
fn versions() -> Vec<(String, Timestamp)> {
    let start = DateTime::<Utc>::from_timestamp(1_767_225_600, 0).unwrap_or_default();
    (0..VERSIONS)
        .map(|i| {
            let at = start + Duration::milliseconds((i / 4) as i64 * 250);
            (
                format!("da63747290038{i:07}_1364969609"),
                Timestamp::from(at),
            )
        })
        .collect()
}

fn filled(versions: &[(String, Timestamp)]) -> SeenWindow {
    let mut window = SeenWindow::default();
    for (id, at) in versions {
        window.insert(id, *at);
    }
    window
}

fn dedup(c: &mut Criterion) {
    let versions = versions();
    let window = filled(&versions);
    let middle = versions[VERSIONS / 2].1;
    let mut group = c.benchmark_group("seen_window_100k");
    group.throughput(Throughput::Elements(VERSIONS as u64));
    group.sample_size(10);
    group.bench_function("insert", |b| b.iter(|| filled(black_box(&versions)).len()));
    group.bench_function("contains", |b| {
        b.iter(|| {
            versions
                .iter()
                .filter(|(id, at)| window.contains(black_box(id), *at))
                .count()
        })
    });
    group.bench_function("forget_before_half", |b| {
        b.iter_batched(
            || window.clone(),
            |mut w| {
                w.forget_before(middle);
                w.len()
            },
            BatchSize::LargeInput,
        )
    });
    group.finish();
}

/// 20,000 versions with one `lastUpdateTime`: a linear scan per insert
/// made this 2×10⁸ comparisons.
fn burst(c: &mut Criterion) {
    const BURST: usize = 20_000;
    let at = Timestamp::from(DateTime::<Utc>::from_timestamp(1_767_225_600, 0).unwrap_or_default());
    let versions: Vec<(String, Timestamp)> = (0..BURST)
        .map(|i| (format!("da63747290038{i:07}_1364969609"), at))
        .collect();
    let mut group = c.benchmark_group("seen_window_burst_20k_one_timestamp");
    group.throughput(Throughput::Elements(BURST as u64));
    group.sample_size(10);
    group.bench_function("insert", |b| b.iter(|| filled(black_box(&versions)).len()));
    group.finish();
}

criterion_group!(benches, dedup, burst);
criterion_main!(benches);
