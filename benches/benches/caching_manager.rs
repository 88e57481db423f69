//! `Client::encrypt` of 1 KiB through the caching manager on a hit, beside the same encrypt
//! without caching, with a raw AES-256 keyring.

#![expect(clippy::expect_used, reason = "a benchmark stops at its first failure")]

use std::hint::black_box;
use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};
use keyward::cache::{CachingMaterialsManager, LocalCache};
use keyward::materials::{DefaultMaterialsManager, RawAesKeyring, WrappingKey};
use keyward::{AlgorithmSuite, Client, EncryptionContext};

fn keyring() -> RawAesKeyring {
    RawAesKeyring::new("bench", "aes-256", WrappingKey::new(vec![0x42; 32])).expect("keyring")
}

fn encrypts(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .expect("runtime");
    let context = EncryptionContext::from([("purpose", "bench")]);
    let plaintext = vec![0x5a; 1024];
    for suite in [
        AlgorithmSuite::Aes256GcmHkdfSha512Commit,
        AlgorithmSuite::Aes256GcmHkdfSha512CommitEcdsaP384,
    ] {
        let mut group = c.benchmark_group(format!("caching-{:04x}-1KiB", suite.id()));
        let uncached = Client::builder(DefaultMaterialsManager::new(keyring()))
            .suite(suite)
            .build();
        let manager = CachingMaterialsManager::with_keyring(
            keyring(),
            LocalCache::new(10),
            Duration::from_secs(3600),
        )
        .build()
        .expect("manager");
        let cached = Client::builder(manager).suite(suite).build();
        group.bench_function("encrypt-uncached", |b| {
            b.iter(|| {
                runtime
                    .block_on(uncached.encrypt(black_box(&plaintext), &context))
                    .expect("encrypt")
            });
        });
        group.bench_function("encrypt-cache-hit", |b| {
            b.iter(|| {
                runtime
                    .block_on(cached.encrypt(black_box(&plaintext), &context))
                    .expect("encrypt")
            });
        });
        group.finish();
    }
}

criterion_group!(benches, encrypts);
criterion_main!(benches);
