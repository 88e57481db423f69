//! Message encryption and decryption with a given data key, beside raw AES-256-GCM over the
//! same bytes in the same run.

#![expect(clippy::expect_used, reason = "a benchmark stops at its first failure")]

use std::hint::black_box;

use aws_lc_rs::aead::{AES_256_GCM, Aad, LessSafeKey, Nonce, UnboundKey};
use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use keyward_bench::EngineFixture;
use keyward_format::{AlgorithmSuite, FrameLength};

const SIZES: [usize; 3] = [1024, 16 * 1024, 1024 * 1024];
const SUITES: [AlgorithmSuite; 3] = [
    AlgorithmSuite::Aes256GcmHkdfSha256,
    AlgorithmSuite::Aes256GcmHkdfSha512Commit,
    AlgorithmSuite::Aes256GcmHkdfSha512CommitEcdsaP384,
];

fn raw_aes_gcm(c: &mut Criterion) {
    let key = LessSafeKey::new(UnboundKey::new(&AES_256_GCM, &[0x42; 32]).expect("key"));
    let mut group = c.benchmark_group("raw-aes-256-gcm");
    for size in SIZES {
        group.throughput(Throughput::Bytes(size as u64));
        let mut buffer = vec![0u8; size];
        group.bench_function(BenchmarkId::new("seal", size), |b| {
            b.iter(|| {
                let nonce = Nonce::assume_unique_for_key([0; 12]);
                black_box(
                    key.seal_in_place_separate_tag(nonce, Aad::empty(), &mut buffer)
                        .expect("seal"),
                )
            });
        });
        group.bench_function(BenchmarkId::new("seal-4096-byte-calls", size), |b| {
            b.iter(|| {
                for chunk in buffer.chunks_mut(4096) {
                    let nonce = Nonce::assume_unique_for_key([0; 12]);
                    let tag = key.seal_in_place_separate_tag(nonce, Aad::from(&[0u8; 80]), chunk);
                    let _sealed = black_box(tag.expect("seal"));
                }
            });
        });
        let mut sealed = vec![0u8; size];
        let tag = key
            .seal_in_place_separate_tag(
                Nonce::assume_unique_for_key([0; 12]),
                Aad::empty(),
                &mut sealed,
            )
            .expect("seal");
        let mut out = vec![0u8; size];
        group.bench_function(BenchmarkId::new("open", size), |b| {
            b.iter(|| {
                let nonce = Nonce::assume_unique_for_key([0; 12]);
                key.open_separate_gather(nonce, Aad::empty(), &sealed, tag.as_ref(), &mut out)
                    .expect("open");
                black_box(&out);
            });
        });
    }
    group.finish();
}

fn messages(c: &mut Criterion) {
    for suite in SUITES {
        let fixture = EngineFixture::new(suite);
        let mut group = c.benchmark_group(format!("{:04x}", suite.id()));
        for size in SIZES {
            group.throughput(Throughput::Bytes(size as u64));
            if size >= 1 << 20 {
                group.sample_size(20);
            }
            let plaintext = vec![0x5a; size];
            let mut message = Vec::with_capacity(size * 2);
            group.bench_function(BenchmarkId::new("encrypt", size), |b| {
                b.iter(|| fixture.encrypt(black_box(&plaintext), &mut message));
            });
            fixture.encrypt(&plaintext, &mut message);
            let mut out = Vec::with_capacity(size);
            fixture.decrypt(&message, &mut out);
            assert_eq!(out, plaintext, "the benchmarked message decrypts");
            group.bench_function(BenchmarkId::new("decrypt", size), |b| {
                b.iter(|| fixture.decrypt(black_box(&message), &mut out));
            });
        }
        group.finish();
    }
}

/// The same 1 MiB message with 64 KiB frames: how much of the gap to one-shot AES-GCM is the
/// per-frame cost of 4096-byte frames.
fn large_frames(c: &mut Criterion) {
    let size = 1024 * 1024;
    let mut fixture = EngineFixture::new(AlgorithmSuite::Aes256GcmHkdfSha512Commit);
    fixture.frame_length = FrameLength::new(65_536).expect("a valid frame length");
    let mut group = c.benchmark_group("0478-frame-65536");
    group.throughput(Throughput::Bytes(size as u64));
    group.sample_size(20);
    let plaintext = vec![0x5a; size];
    let mut message = Vec::with_capacity(size * 2);
    group.bench_function(BenchmarkId::new("encrypt", size), |b| {
        b.iter(|| fixture.encrypt(black_box(&plaintext), &mut message));
    });
    let mut out = Vec::with_capacity(size);
    fixture.decrypt(&message, &mut out);
    assert_eq!(out, plaintext, "the benchmarked message decrypts");
    group.bench_function(BenchmarkId::new("decrypt", size), |b| {
        b.iter(|| fixture.decrypt(black_box(&message), &mut out));
    });
    group.finish();
}

criterion_group!(benches, raw_aes_gcm, messages, large_frames);
criterion_main!(benches);
