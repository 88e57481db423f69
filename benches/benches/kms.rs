//! `Client::encrypt` / `decrypt` of 1 KiB with an AWS KMS keyring against the local moto
//! server that `cargo xtask bench` starts: KMS on every message, beside the caching manager
//! over the same keyring (one `GenerateDataKey` per 100 messages, and on a pure hit); and the
//! asymmetric KMS keyrings (RSA: local encrypt, KMS `Decrypt`; ECDH: `DeriveSharedSecret` each
//! way) beside the raw AES keyring, all in the same run.

#![expect(clippy::expect_used, reason = "a benchmark stops at its first failure")]

use std::hint::black_box;
use std::sync::Arc;
use std::time::Duration;

use aws_sdk_kms::config::{BehaviorVersion, Credentials, Region};
use aws_sdk_kms::types::{KeySpec, KeyUsageType};
use criterion::{Criterion, criterion_group, criterion_main};
use keyward::cache::{CachingMaterialsManager, LocalCache};
use keyward::kms::{
    KmsDiscoveryKeyring, KmsEcdhKeyring, KmsKeyring, KmsRsaAlgorithm, KmsRsaKeyring,
};
use keyward::materials::{DefaultMaterialsManager, EcdhCurve, Keyring, RawAesKeyring, WrappingKey};
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

/// An asymmetric key's ARN and public key (DER).
async fn asymmetric_key(
    client: &aws_sdk_kms::Client,
    spec: KeySpec,
    usage: KeyUsageType,
) -> (String, Vec<u8>) {
    let key = client
        .create_key()
        .key_spec(spec)
        .key_usage(usage)
        .send()
        .await
        .expect("CreateKey");
    let arn = key
        .key_metadata()
        .and_then(|metadata| metadata.arn())
        .expect("key ARN")
        .to_owned();
    let public = client
        .get_public_key()
        .key_id(&arn)
        .send()
        .await
        .expect("GetPublicKey");
    let der = public.public_key().expect("public key").as_ref().to_vec();
    (arn, der)
}

/// A benchmark's name, the keyring that writes, the keyring that reads.
type Pair = (&'static str, Arc<dyn Keyring>, Arc<dyn Keyring>);

/// The asymmetric KMS keyrings beside raw AES: `Client::encrypt` and `decrypt` of 1 KiB.
fn asymmetric(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let client = kms_client();
    let suite = AlgorithmSuite::Aes256GcmHkdfSha512Commit;
    let context = EncryptionContext::from([("purpose", "bench")]);
    let plaintext = vec![0x5a; 1024];
    let (rsa, rsa_der) = runtime.block_on(asymmetric_key(
        &client,
        KeySpec::Rsa3072,
        KeyUsageType::EncryptDecrypt,
    ));
    let (sender, _) = runtime.block_on(asymmetric_key(
        &client,
        KeySpec::EccNistP256,
        KeyUsageType::KeyAgreement,
    ));
    let (recipient, recipient_der) = runtime.block_on(asymmetric_key(
        &client,
        KeySpec::EccNistP256,
        KeyUsageType::KeyAgreement,
    ));
    let aes: Arc<dyn Keyring> = Arc::new(
        RawAesKeyring::new("bench", "aes-256", WrappingKey::new(vec![0x42; 32])).expect("aes"),
    );
    let rsa = KmsRsaKeyring::builder(&rsa, KmsRsaAlgorithm::RsaesOaepSha256)
        .public_key_der(&rsa_der)
        .client(client.clone())
        .build()
        .expect("rsa keyring");
    let ecdh = runtime
        .block_on(
            KmsEcdhKeyring::builder(client.clone(), EcdhCurve::P256)
                .build_static(&sender, &recipient_der),
        )
        .expect("ecdh keyring");
    let discovery = runtime
        .block_on(KmsEcdhKeyring::builder(client, EcdhCurve::P256).build_discovery(&recipient))
        .expect("ecdh discovery");
    let keyrings: Vec<Pair> = vec![
        ("raw-aes-256", aes.clone(), aes),
        (
            "kms-rsa-3072-oaep-sha256",
            Arc::new(rsa.clone()),
            Arc::new(rsa),
        ),
        (
            "kms-ecdh-p256-static-to-discovery",
            Arc::new(ecdh),
            Arc::new(discovery),
        ),
    ];
    let mut group = c.benchmark_group("kms-asymmetric-0478-1KiB");
    group.sample_size(20);
    for (name, writer, reader) in keyrings {
        let writer = Client::builder(DefaultMaterialsManager::new(writer))
            .suite(suite)
            .build();
        let reader = Client::builder(DefaultMaterialsManager::new(reader))
            .suite(suite)
            .build();
        group.bench_function(format!("encrypt/{name}"), |b| {
            b.iter(|| {
                runtime
                    .block_on(writer.encrypt(black_box(&plaintext), &context))
                    .expect("encrypt")
            });
        });
        let message = runtime
            .block_on(writer.encrypt(&plaintext, &context))
            .expect("encrypt");
        group.bench_function(format!("decrypt/{name}"), |b| {
            b.iter(|| {
                runtime
                    .block_on(reader.decrypt(black_box(&message)))
                    .expect("decrypt")
            });
        });
    }
    group.finish();
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

criterion_group!(benches, kms, asymmetric);
criterion_main!(benches);
