//! `Client::encrypt` / `decrypt` of 1 KiB with an AWS KMS keyring against the local moto
//! server that `cargo xtask bench` starts: KMS on every message, beside the caching manager
//! over the same keyring (one `GenerateDataKey` per 100 messages, and on a pure hit).

#![expect(clippy::expect_used, reason = "a benchmark stops at its first failure")]

use std::hint::black_box;
use std::time::Duration;

use aws_sdk_kms::config::{BehaviorVersion, Credentials, Region};
use criterion::{Criterion, criterion_group, criterion_main};
use keyward::cache::{CachingMaterialsManager, LocalCache};
use keyward::kms::{KmsDiscoveryKeyring, KmsKeyring};
use keyward::materials::DefaultMaterialsManager;
use keyward::{AlgorithmSuite, Client, EncryptionContext};

fn kms_client() -> aws_sdk_kms::Client {
    let endpoint = std::env::var("KEYWARD_MOTO_ENDPOINT")
        .expect("KEYWARD_MOTO_ENDPOINT: run this bench through `cargo xtask bench`");
    assert!(
        endpoint.starts_with("http://127.0.0.1:"),
        "not loopback: {endpoint}"
    );
    aws_sdk_kms::Client::from_conf(
        aws_sdk_kms::Config::builder()
            .behavior_version(BehaviorVersion::latest())
            .region(Region::new("us-west-2"))
            .endpoint_url(endpoint)
            .credentials_provider(Credentials::new("bench", "bench", None, None, "bench"))
            .build(),
    )
}

fn kms(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let client = kms_client();
    let arn = runtime.block_on(async {
        let key = client.create_key().send().await.expect("CreateKey");
        key.key_metadata()
            .and_then(|metadata| metadata.arn())
            .expect("key ARN")
            .to_owned()
    });
    let keyring = KmsKeyring::new(client.clone(), &arn).expect("keyring");
    let suite = AlgorithmSuite::Aes256GcmHkdfSha512Commit;
    let context = EncryptionContext::from([("purpose", "bench")]);
    let plaintext = vec![0x5a; 1024];
    let uncached = Client::builder(DefaultMaterialsManager::new(keyring.clone()))
        .suite(suite)
        .build();
    let cached = |max_messages: u64| {
        let manager = CachingMaterialsManager::with_keyring(
            keyring.clone(),
            LocalCache::new(10),
            Duration::from_secs(3600),
        )
        .max_messages(max_messages)
        .build()
        .expect("manager");
        Client::builder(manager).suite(suite).build()
    };
    let per_100 = cached(100);
    let hit = cached(u64::from(u32::MAX));
    let message = runtime
        .block_on(uncached.encrypt(&plaintext, &context))
        .expect("encrypt");
    let decryptor = Client::new(KmsDiscoveryKeyring::new(client));

    let mut group = c.benchmark_group("kms-0478-1KiB");
    group.sample_size(20);
    for (name, client) in [
        ("encrypt-kms-every-message", &uncached),
        ("encrypt-cached-100-per-key", &per_100),
        ("encrypt-cache-hit", &hit),
    ] {
        group.bench_function(name, |b| {
            b.iter(|| {
                runtime
                    .block_on(client.encrypt(black_box(&plaintext), &context))
                    .expect("encrypt")
            });
        });
    }
    group.bench_function("decrypt-kms-every-message", |b| {
        b.iter(|| {
            runtime
                .block_on(decryptor.decrypt(black_box(&message)))
                .expect("decrypt")
        });
    });
    group.finish();
}

criterion_group!(benches, kms);
criterion_main!(benches);
