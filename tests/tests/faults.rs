//! Faults for real: a moto server of the test's own is killed in the middle of a run and
//! started again on the same port. Calls made during the outage fail with typed errors, cached
//! data keys keep serving within their limits, and the keyrings recover when the service
//! returns (with the same seed the restarted server holds the same key: see
//! `xtask/moto/serve.py`).

#![cfg(feature = "moto")]
#![expect(clippy::unwrap_used, reason = "the fixture stops at the first failure")]

use std::time::Duration;

use keyward::cache::{CachingMaterialsManager, LocalCache};
use keyward::kms::{KmsCallCounter, KmsKeyring, KmsOperation};
use keyward::{Client, EncryptionContext, ErrorKind};
use keyward_tests::errors::keyring_error;
use keyward_tests::moto::OwnMoto;

const REGION: &str = "us-west-2";

/// The KMS operation behind a failed client call, which must be unavailable.
fn kms_operation(error: &keyward::Error) -> KmsOperation {
    assert_eq!(error.kind(), ErrorKind::Unavailable, "{error}");
    match keyring_error::<keyward::kms::Error>(error) {
        Some(keyward::kms::Error::Kms { operation, .. }) => *operation,
        other => panic!("not a KMS call error: {other:?} in {error:?}"),
    }
}

async fn create_key(client: &aws_sdk_kms::Client) -> String {
    let output = client.create_key().send().await.unwrap();
    output.key_metadata().unwrap().arn().unwrap().to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_outage_fails_typed_serves_from_cache_and_recovers() {
    let mut moto = OwnMoto::start();
    let counter = KmsCallCounter::new();
    let kms = moto.kms_client(REGION, &counter);
    let arn = create_key(&kms).await;
    let manager = CachingMaterialsManager::with_keyring(
        KmsKeyring::new(kms.clone(), &arn).unwrap(),
        LocalCache::new(10),
        Duration::from_secs(600),
    )
    .max_messages(20)
    .build()
    .unwrap();
    let client = Client::builder(manager.clone()).build();
    let cached = EncryptionContext::from([("purpose", "cached")]);
    let mut messages = Vec::new();
    for i in 0..10u8 {
        messages.push(client.encrypt(&[i; 100], &cached).await.unwrap());
    }
    assert_eq!(
        client.decrypt(&messages[0]).await.unwrap().plaintext(),
        [0; 100]
    );
    assert_eq!(
        manager.stats().underlying_calls(),
        2,
        "one GenerateDataKey, one Decrypt"
    );

    // The outage: requests in flight when the process dies, and those after, fail typed.
    let in_flight: Vec<_> = (0..4)
        .map(|i| {
            let client = client.clone();
            tokio::spawn(async move {
                let context = EncryptionContext::from([("purpose", format!("fresh {i}"))]);
                client.encrypt(b"x", &context).await
            })
        })
        .collect();
    moto.stop();
    for task in in_flight {
        if let Err(error) = task.await.unwrap() {
            assert_eq!(kms_operation(&error), KmsOperation::GenerateDataKey);
        }
    }
    let fresh = EncryptionContext::from([("purpose", "during the outage")]);
    let error = client.encrypt(b"x", &fresh).await.unwrap_err();
    assert_eq!(kms_operation(&error), KmsOperation::GenerateDataKey);

    // Cached keys keep serving, within their limits: 10 more messages under the cached data
    // key (20 in all), and decrypts of messages under the cached decrypt entry.
    for i in 10..20u8 {
        messages.push(client.encrypt(&[i; 100], &cached).await.unwrap());
    }
    for (i, message) in messages.iter().enumerate() {
        let decrypted = client.decrypt(message).await.unwrap();
        assert_eq!(decrypted.plaintext(), [u8::try_from(i).unwrap(); 100]);
    }
    // The 21st message needs a new data key: it fails while KMS is away.
    let error = client.encrypt(b"21st", &cached).await.unwrap_err();
    assert_eq!(kms_operation(&error), KmsOperation::GenerateDataKey);
    let uncached = Client::new(KmsKeyring::new(kms.clone(), &arn).unwrap());
    let error = uncached.decrypt(&messages[0]).await.unwrap_err();
    assert_eq!(kms_operation(&error), KmsOperation::Decrypt);

    // The service returns on the same port, with the same key: everything recovers.
    moto.restart();
    assert_eq!(
        create_key(&kms).await,
        arn,
        "the same key after the restart"
    );
    let recovered = client.encrypt(b"after", &fresh).await.unwrap();
    assert_eq!(
        client.decrypt(&recovered).await.unwrap().plaintext(),
        b"after"
    );
    client.encrypt(b"21st", &cached).await.unwrap();
    for (i, message) in messages.iter().enumerate() {
        let decrypted = uncached.decrypt(message).await.unwrap();
        assert_eq!(decrypted.plaintext(), [u8::try_from(i).unwrap(); 100]);
    }
}
