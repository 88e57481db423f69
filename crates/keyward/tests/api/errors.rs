//! Every error kind a caller can meet offline, matched on `Error::kind` through the facade:
//! no downcast, no variant walk.

use std::num::NonZeroU16;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use keyward::cache::{CachingMaterialsManager, LocalCache};
use keyward::hierarchy::{HierarchicalKeyring, MemoryKeyStore};
use keyward::materials::{
    DefaultMaterialsManager, MultiKeyring, RawAesKeyring, RequiredContextMaterialsManager,
    WrappingKey,
};
use keyward::{
    AlgorithmSuite, Client, CommitmentPolicy, EncryptionContext, ErrorKind, StreamOptions,
};
use tokio::io::{AsyncRead, ReadBuf};

use super::support::{client, keyring, permissive_client};

fn context() -> EncryptionContext {
    EncryptionContext::from([("purpose", "error kinds")])
}

async fn message() -> Vec<u8> {
    client().encrypt(b"kinds", &context()).await.unwrap()
}

#[tokio::test]
async fn tampered_and_malformed_messages() {
    let message = message().await;
    // A flipped bit in the last frame's tag, in the header, a truncation, garbage.
    let mut flipped = message.clone();
    *flipped.last_mut().unwrap() ^= 1;
    let mut header = message.clone();
    header[30] ^= 0x80;
    for (name, bad) in [
        ("flipped tag", flipped),
        ("flipped header", header),
        ("truncated", message[..message.len() - 1].to_vec()),
        ("garbage", b"not a message at all".to_vec()),
    ] {
        let error = client().decrypt(&bad).await.unwrap_err();
        assert_eq!(error.kind(), ErrorKind::Tampered, "{name}: {error}");
    }
}

#[tokio::test]
async fn a_message_for_another_key() {
    let message = message().await;
    let other = Client::new(
        RawAesKeyring::new("keyward-tests", "other", WrappingKey::generate(32).unwrap()).unwrap(),
    );
    let error = other.decrypt(&message).await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::NoMatchingKey, "{error}");
    // The same key under another name matches no EDK either.
    let renamed = Client::new(
        RawAesKeyring::new("keyward-tests", "renamed", WrappingKey::new(vec![0x42; 32])).unwrap(),
    );
    let error = renamed.decrypt(&message).await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::NoMatchingKey, "{error}");
}

#[tokio::test]
async fn policy_refusals_on_both_sides() {
    // Encrypting with a non-committing suite under the default (strictest) policy.
    let strict = Client::builder(DefaultMaterialsManager::new(keyring()))
        .suite(AlgorithmSuite::Aes256GcmHkdfSha384EcdsaP384)
        .build();
    let error = strict.encrypt(b"x", &context()).await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Policy, "{error}");
    // Decrypting a non-committing message under it.
    let legacy = permissive_client()
        .suite(AlgorithmSuite::Aes256GcmHkdfSha384EcdsaP384)
        .build()
        .encrypt(b"x", &context())
        .await
        .unwrap();
    let error = client().decrypt(&legacy).await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Policy, "{error}");
    // A context that disagrees with the message's.
    let message = message().await;
    let other = EncryptionContext::from([("purpose", "something else")]);
    let error = client()
        .decrypt_with_context(&message, &other)
        .await
        .unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Policy, "{error}");
    // A required context key that is missing.
    let required = Client::builder(RequiredContextMaterialsManager::new(
        ["tenant"],
        DefaultMaterialsManager::new(keyring()),
    ))
    .build();
    let error = required.encrypt(b"x", &context()).await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Policy, "{error}");
    // A signed message where only unsigned ones are accepted.
    let signed = client().encrypt(b"x", &context()).await.unwrap();
    let mut out = Vec::new();
    let error = client()
        .decrypt_stream(
            &signed[..],
            &mut out,
            StreamOptions::default().unsigned_only(),
        )
        .await
        .unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Policy, "{error}");
    assert!(out.is_empty());
}

#[tokio::test]
async fn limits() {
    let two_keys = Client::new(
        MultiKeyring::builder()
            .generator(keyring())
            .child(
                RawAesKeyring::new(
                    "keyward-tests",
                    "second",
                    WrappingKey::generate(32).unwrap(),
                )
                .unwrap(),
            )
            .build()
            .unwrap(),
    );
    let message = two_keys.encrypt(b"x", &context()).await.unwrap();
    let one = Client::builder(DefaultMaterialsManager::new(keyring()))
        .max_encrypted_data_keys(NonZeroU16::MIN)
        .build();
    let error = one.decrypt(&message).await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Limit, "{error}");
    let short = Client::builder(DefaultMaterialsManager::new(keyring()))
        .max_header_length(64)
        .build();
    let error = short.decrypt(&message).await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Limit, "{error}");
}

#[tokio::test]
async fn bad_configurations_of_every_layer() {
    // Materials: a wrapping key of an AES length that does not exist.
    let error: keyward::Error = RawAesKeyring::new("ns", "k", WrappingKey::new(vec![0; 17]))
        .unwrap_err()
        .into();
    assert_eq!(error.kind(), ErrorKind::Configuration, "{error}");
    // Cache: a caching manager whose entries never live.
    let error: keyward::Error =
        CachingMaterialsManager::with_keyring(keyring(), LocalCache::new(1), Duration::ZERO)
            .build()
            .unwrap_err()
            .into();
    assert_eq!(error.kind(), ErrorKind::Configuration, "{error}");
    // Hierarchy: a TTL inside the default cache's grace period.
    let error: keyward::Error =
        HierarchicalKeyring::builder(MemoryKeyStore::new("kinds"), "id", Duration::from_secs(1))
            .build()
            .unwrap_err()
            .into();
    assert_eq!(error.kind(), ErrorKind::Configuration, "{error}");
    // A stream longer than the length its caller declared.
    let mut out = Vec::new();
    let error = client()
        .encrypt_stream(&b"four"[..], &mut out, &context(), Some(3))
        .await
        .unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Configuration, "{error}");
    // A committing suite under a policy that forbids commitment.
    let forbid = Client::builder(DefaultMaterialsManager::new(keyring()))
        .commitment_policy(CommitmentPolicy::ForbidEncryptAllowDecrypt)
        .suite(AlgorithmSuite::Aes256GcmHkdfSha512CommitEcdsaP384)
        .build();
    let error = forbid.encrypt(b"x", &context()).await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Policy, "{error}");
}

/// Fails every read.
struct Broken;

impl AsyncRead for Broken {
    fn poll_read(
        self: Pin<&mut Self>,
        _: &mut Context<'_>,
        _: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        Poll::Ready(Err(std::io::Error::other("the disk went away")))
    }
}

#[tokio::test]
async fn input_and_output_failures() {
    let mut out = Vec::new();
    let error = client()
        .decrypt_stream(Broken, &mut out, StreamOptions::default())
        .await
        .unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Io, "{error}");
    let error = client()
        .encrypt_stream(Broken, &mut out, &context(), None)
        .await
        .unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Io, "{error}");
}
