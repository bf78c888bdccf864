//! Throughput of `Detector::detect` on the labelled contact texts.
//!
//! `cargo bench -p voltdesk-text --bench detect`: one figure per text (the mean over the
//! whole labelled set, a realistic mix of lengths and cues) and one for a long text.

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use voltdesk_text::Detector;

const SET: &str = include_str!("../data/tendency.tsv");

fn texts() -> Vec<&'static str> {
    SET.lines()
        .filter(|l| !l.starts_with('#') && !l.starts_with("label\t"))
        .filter_map(|l| l.split_once('\t').map(|(_, text)| text))
        .collect()
}

fn detect(c: &mut Criterion) {
    let detector = Detector::bundled();
    let texts = texts();
    let mut group = c.benchmark_group("detect");
    group.throughput(Throughput::Elements(texts.len() as u64));
    group.bench_function("labelled_set", |b| {
        b.iter(|| {
            let mut escalating = 0;
            for text in &texts {
                escalating += usize::from(detector.detect(black_box(text)).escalating);
            }
            escalating
        })
    });
    group.throughput(Throughput::Elements(1));
    let long = texts.concat();
    group.bench_function("one_long_text", |b| {
        b.iter(|| detector.detect(black_box(&long)))
    });
    let short = "客户来电反映家中停电，请尽快处理。";
    group.bench_function("one_short_text", |b| {
        b.iter(|| detector.detect(black_box(short)))
    });
    group.finish();
}

criterion_group!(benches, detect);
criterion_main!(benches);
