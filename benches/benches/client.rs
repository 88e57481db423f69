//! `Client::encrypt` and `Client::decrypt` with a raw AES-256 keyring: the whole per-message
//! path (materials, key wrap, derivation, header, frames, footer).

#![expect(clippy::expect_used, reason = "a benchmark stops at its first failure")]

use std::hint::black_box;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use keyward::materials::{DefaultMaterialsManager, RawAesKeyring, WrappingKey};
use keyward::{AlgorithmSuite, Client, EncryptionContext};

fn client(suite: AlgorithmSuite) -> Client {
    let keyring =
        RawAesKeyring::new("bench", "aes-256", WrappingKey::new(vec![0x42; 32])).expect("keyring");
    Client::builder(DefaultMaterialsManager::new(keyring))
        .suite(suite)
        .build()
}

fn round_trips(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("runtime");
    let context = EncryptionContext::from([("purpose", "bench")]);
    for suite in [
        AlgorithmSuite::Aes256GcmHkdfSha512Commit,
        AlgorithmSuite::Aes256GcmHkdfSha512CommitEcdsaP384,
    ] {
        let client = client(suite);
        let mut group = c.benchmark_group(format!("client-{:04x}", suite.id()));
        for size in [1024usize, 64 * 1024, 1024 * 1024] {
            group.throughput(Throughput::Bytes(size as u64));
            if size >= 1 << 20 {
                group.sample_size(20);
            }
            let plaintext = vec![0x5a; size];
            group.bench_function(BenchmarkId::new("encrypt", size), |b| {
                b.iter(|| {
                    runtime
                        .block_on(client.encrypt(black_box(&plaintext), &context))
                        .expect("encrypt")
                });
            });
            let message = runtime
                .block_on(client.encrypt(&plaintext, &context))
                .expect("encrypt");
            group.bench_function(BenchmarkId::new("decrypt", size), |b| {
                b.iter(|| {
                    runtime
                        .block_on(client.decrypt(black_box(&message)))
                        .expect("decrypt")
                });
            });
        }
        group.finish();
    }
}

criterion_group!(benches, round_trips);
criterion_main!(benches);
