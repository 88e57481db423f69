//! Whole-buffer encryption and decryption through the client.

use std::num::NonZeroU16;

use keyward::materials::{MultiKeyring, RequiredContextMaterialsManager};
use keyward::{AlgorithmSuite, Client, CommitmentPolicy, EncryptionContext, Error, FrameLength};

use super::support::{client, keyring, permissive_client};

#[tokio::test]
async fn every_suite_round_trips_through_the_client() {
    let context = EncryptionContext::from([("purpose", "test")]);
    for suite in AlgorithmSuite::ALL {
        let policy = if suite.is_committing() {
            CommitmentPolicy::RequireEncryptRequireDecrypt
        } else {
            CommitmentPolicy::ForbidEncryptAllowDecrypt
        };
        let client = permissive_client()
            .commitment_policy(policy)
            .suite(suite)
            .frame_length(FrameLength::new(100).unwrap())
            .build();
        for len in [0, 1, 100, 1000] {
            let plaintext = vec![0xa5; len];
            let ciphertext = client.encrypt(&plaintext, &context).await.unwrap();
            let decrypted = client.decrypt(&ciphertext).await.unwrap();
            assert_eq!(decrypted.plaintext(), plaintext);
            assert_eq!(decrypted.info().suite(), suite);
            assert_eq!(decrypted.info().frame_length(), 100);
            assert_eq!(
                decrypted.info().provider_ids().collect::<Vec<_>>(),
                ["keyward-tests"]
            );
            assert_eq!(
                decrypted.info().encryption_context().get("purpose"),
                Some("test")
            );
        }
    }
}

#[tokio::test]
async fn the_default_is_the_committing_signed_suite() {
    let ciphertext = client()
        .encrypt(b"x", &EncryptionContext::new())
        .await
        .unwrap();
    let decrypted = client().decrypt(&ciphertext).await.unwrap();
    assert_eq!(
        decrypted.info().suite(),
        AlgorithmSuite::Aes256GcmHkdfSha512CommitEcdsaP384
    );
}

#[tokio::test]
async fn reserved_context_keys_are_refused() {
    let context = EncryptionContext::from([("aws-crypto-anything", "x")]);
    let result = client().encrypt(b"x", &context).await;
    assert!(matches!(
        result,
        Err(Error::Format(keyward::format::Error::ReservedEncryptionContextKey(key)))
            if key == "aws-crypto-anything"
    ));
}

#[tokio::test]
async fn the_default_policy_refuses_non_committing_messages() {
    let legacy = permissive_client()
        .build()
        .encrypt(b"x", &EncryptionContext::new())
        .await
        .unwrap();
    let result = client().decrypt(&legacy).await;
    assert!(matches!(
        result,
        Err(Error::Format(
            keyward::format::Error::CommitmentPolicy { .. }
        ))
    ));
}

#[tokio::test]
async fn required_context_is_reproduced_on_decrypt() {
    let manager = RequiredContextMaterialsManager::with_keyring(["tenant"], keyring());
    let client = Client::builder(manager).build();
    let context = EncryptionContext::from([("tenant", "acme"), ("stored", "yes")]);
    let ciphertext = client.encrypt(b"secret", &context).await.unwrap();
    let missing = client.decrypt(&ciphertext).await;
    assert!(matches!(
        missing,
        Err(Error::Materials(
            keyward::materials::Error::MissingRequiredEncryptionContextKey(_)
        ))
    ));
    let wrong = client
        .decrypt_with_context(&ciphertext, &EncryptionContext::from([("tenant", "other")]))
        .await;
    assert!(wrong.is_err());
    let decrypted = client
        .decrypt_with_context(&ciphertext, &EncryptionContext::from([("tenant", "acme")]))
        .await
        .unwrap();
    assert_eq!(decrypted.plaintext(), b"secret");
    assert!(
        !decrypted.info().encryption_context().contains_key("tenant"),
        "required pairs are not stored"
    );
    // A plain client with the reproduced pair decrypts it too: the header tag binds the pair.
    let plain = super::support::client();
    assert!(
        plain
            .decrypt_with_context(&ciphertext, &EncryptionContext::from([("tenant", "acme")]))
            .await
            .is_ok()
    );
}

#[tokio::test]
async fn the_edk_limit_applies_on_both_sides() {
    let two = MultiKeyring::builder()
        .generator(keyring())
        .child(keyring())
        .build()
        .unwrap();
    let one = NonZeroU16::new(1).unwrap();
    let limited = Client::builder(keyward::materials::DefaultMaterialsManager::new(
        two.clone(),
    ))
    .max_encrypted_data_keys(one)
    .build();
    let result = limited.encrypt(b"x", &EncryptionContext::new()).await;
    assert!(matches!(
        result,
        Err(Error::Format(
            keyward::format::Error::TooManyEncryptedDataKeys { count: 2, max: 1 }
        ))
    ));
    let ciphertext = Client::new(two)
        .encrypt(b"x", &EncryptionContext::new())
        .await
        .unwrap();
    let result = limited.decrypt(&ciphertext).await;
    assert!(matches!(
        result,
        Err(Error::Format(
            keyward::format::Error::TooManyEncryptedDataKeys { count: 2, max: 1 }
        ))
    ));
}

#[tokio::test]
async fn tampered_messages_release_nothing() {
    let ciphertext = client()
        .encrypt(&[7; 10_000], &EncryptionContext::new())
        .await
        .unwrap();
    for position in [10, ciphertext.len() / 2, ciphertext.len() - 1] {
        let mut tampered = ciphertext.clone();
        tampered[position] ^= 1;
        assert!(client().decrypt(&tampered).await.is_err());
    }
    assert!(matches!(
        client().decrypt(&ciphertext[..ciphertext.len() - 1]).await,
        Err(Error::Format(keyward::format::Error::Truncated))
    ));
    let other_key = Client::new(
        keyward::materials::RawAesKeyring::new(
            "keyward-tests",
            "aes-256",
            keyward::materials::WrappingKey::new(vec![1; 32]),
        )
        .unwrap(),
    );
    assert!(matches!(
        other_key.decrypt(&ciphertext).await,
        Err(Error::Materials(
            keyward::materials::Error::UnableToDecrypt { .. }
        ))
    ));
}
