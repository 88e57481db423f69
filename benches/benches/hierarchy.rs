//! `Client::encrypt` / `decrypt` of 1 KiB (0x0478) with the hierarchical keyring and a cached
//! branch key (in-memory key store, so the figures are the keyring's own work: one HMAC-SHA256
//! derivation and one AES-GCM wrap or unwrap per message, beside the message itself), next to
//! the raw AES keyring on the same path as the baseline.

#![expect(clippy::expect_used, reason = "a benchmark stops at its first failure")]

use std::hint::black_box;
use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};
use keyward::hierarchy::{HierarchicalKeyring, KeyStoreAdmin as _, MemoryKeyStore};
use keyward::materials::{DefaultMaterialsManager, RawAesKeyring, WrappingKey};
use keyward::{AlgorithmSuite, Client, EncryptionContext};

fn hierarchy(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .expect("runtime");
    let store = MemoryKeyStore::new("bench");
    let id = runtime
        .block_on(store.create_key(None, &EncryptionContext::new()))
        .expect("branch key")
        .branch_key_id;
    let keyring = HierarchicalKeyring::builder(store, id, Duration::from_secs(600))
        .build()
        .expect("keyring");
    let suite = AlgorithmSuite::Aes256GcmHkdfSha512Commit;
    let hierarchical = Client::builder(DefaultMaterialsManager::new(keyring))
        .suite(suite)
        .build();
    let raw = Client::builder(DefaultMaterialsManager::new(
        RawAesKeyring::new("bench", "aes-256", WrappingKey::new(vec![0x42; 32])).expect("keyring"),
    ))
    .suite(suite)
    .build();
    let context = EncryptionContext::from([("tenant", "bench")]);
    let plaintext = vec![0x5a; 1024];
    let mut group = c.benchmark_group("hierarchy-0478-1KiB");
    for (name, client) in [("hierarchical", &hierarchical), ("raw-aes", &raw)] {
        let message = runtime
            .block_on(client.encrypt(&plaintext, &context))
            .expect("encrypt");
        group.bench_function(format!("encrypt-{name}"), |b| {
            b.iter(|| {
                runtime
                    .block_on(client.encrypt(black_box(&plaintext), &context))
                    .expect("encrypt")
            });
        });
        group.bench_function(format!("decrypt-{name}"), |b| {
            b.iter(|| {
                runtime
                    .block_on(client.decrypt(black_box(&message)))
                    .expect("decrypt")
            });
        });
    }
    group.finish();
}

criterion_group!(benches, hierarchy);
criterion_main!(benches);
