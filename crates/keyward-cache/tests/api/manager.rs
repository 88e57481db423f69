//! The caching manager's thresholds, bypasses and selection rules, on a manual clock.

use std::sync::Arc;
use std::time::Duration;

use keyward_cache::{CachingMaterialsManager, LocalCache, ManualClock, MaterialsCache, NullCache};
use keyward_format::AlgorithmSuite;
use keyward_materials::{EncryptionContext, MaterialsManager};

use super::support::{CountingKeyring, decrypt_request, encrypt_request, key_bytes};

fn manager(
    keyring: &Arc<CountingKeyring>,
    clock: &ManualClock,
    messages: u64,
    bytes: u64,
) -> CachingMaterialsManager {
    let cache = LocalCache::builder(10)
        .clock(Arc::new(clock.clone()))
        .build();
    CachingMaterialsManager::with_keyring(keyring.clone(), cache, Duration::from_secs(60))
        .max_messages(messages)
        .max_bytes(bytes)
        .partition("tests")
        .build()
        .unwrap()
}

#[tokio::test]
async fn a_data_key_protects_at_most_max_messages() {
    let keyring = CountingKeyring::new(Duration::ZERO);
    let manager = manager(&keyring, &ManualClock::new(), 3, u64::MAX >> 1);
    let context = EncryptionContext::from([("a", "1")]);
    let mut keys = Vec::new();
    for _ in 0..7 {
        keys.push(key_bytes(
            &manager
                .get_encryption_materials(encrypt_request(&context, Some(10)))
                .await
                .unwrap(),
        ));
    }
    assert_eq!(keyring.encrypts(), 3, "7 messages at 3 per key");
    assert!(keys[..3].iter().all(|k| *k == keys[0]));
    assert!(keys[3..6].iter().all(|k| *k == keys[3]));
    assert_ne!(keys[0], keys[3]);
    assert_ne!(keys[3], keys[6]);
    let stats = manager.stats().encrypt;
    assert_eq!(
        (stats.hits, stats.misses, stats.underlying_calls),
        (4, 3, 3)
    );
    assert_eq!(stats.retired, 2);
    assert_eq!(
        manager.stats().decrypt,
        keyward_cache::OperationStats::default()
    );
}

#[tokio::test]
async fn a_data_key_protects_at_most_max_bytes() {
    let keyring = CountingKeyring::new(Duration::ZERO);
    let manager = manager(&keyring, &ManualClock::new(), 100, 25);
    let context = EncryptionContext::new();
    for _ in 0..5 {
        manager
            .get_encryption_materials(encrypt_request(&context, Some(10)))
            .await
            .unwrap();
    }
    // 10 + 10 fit in 25 bytes, a third message of 10 does not: keys serve 2, 2 and 1 messages.
    assert_eq!(keyring.encrypts(), 3);
    // A plaintext longer than the limit is never cached; one of exactly the limit is, and
    // uses its key up.
    manager
        .get_encryption_materials(encrypt_request(&context, Some(26)))
        .await
        .unwrap();
    assert_eq!(manager.stats().encrypt.bypassed_too_large, 1);
    assert_eq!(keyring.encrypts(), 4);
    let whole = manager
        .get_encryption_materials(encrypt_request(&context, Some(25)))
        .await
        .unwrap();
    let next = manager
        .get_encryption_materials(encrypt_request(&context, Some(1)))
        .await
        .unwrap();
    assert_ne!(key_bytes(&whole), key_bytes(&next));
    assert_eq!(keyring.encrypts(), 6);
    assert_eq!(manager.stats().encrypt.bypassed_too_large, 1);
}

#[tokio::test]
async fn entries_retire_at_max_age() {
    let keyring = CountingKeyring::new(Duration::ZERO);
    let clock = ManualClock::new();
    let manager = manager(&keyring, &clock, 100, 1 << 40);
    let context = EncryptionContext::new();
    let first = manager
        .get_encryption_materials(encrypt_request(&context, Some(1)))
        .await
        .unwrap();
    clock.advance(Duration::from_secs(60));
    let same = manager
        .get_encryption_materials(encrypt_request(&context, Some(1)))
        .await
        .unwrap();
    assert_eq!(
        key_bytes(&first),
        key_bytes(&same),
        "usable at exactly max age"
    );
    clock.advance(Duration::from_millis(1));
    let fresh = manager
        .get_encryption_materials(encrypt_request(&context, Some(1)))
        .await
        .unwrap();
    assert_ne!(key_bytes(&first), key_bytes(&fresh));
    assert_eq!(keyring.encrypts(), 2);
}

#[tokio::test]
async fn unknown_lengths_and_suites_without_kdf_bypass_the_cache() {
    let keyring = CountingKeyring::new(Duration::ZERO);
    let manager = manager(&keyring, &ManualClock::new(), 100, 1 << 40);
    let context = EncryptionContext::new();
    for _ in 0..2 {
        manager
            .get_encryption_materials(encrypt_request(&context, None))
            .await
            .unwrap();
        let mut no_kdf = encrypt_request(&context, Some(1));
        no_kdf.suite = Some(AlgorithmSuite::Aes256GcmNoKdf);
        no_kdf.commitment_policy = keyward_format::CommitmentPolicy::ForbidEncryptAllowDecrypt;
        manager.get_encryption_materials(no_kdf).await.unwrap();
    }
    let stats = manager.stats().encrypt;
    assert_eq!(
        (
            stats.bypassed_unknown_length,
            stats.bypassed_no_kdf,
            stats.hits
        ),
        (2, 2, 0)
    );
    assert_eq!(keyring.encrypts(), 4);
    assert_eq!(manager.cache().stats().entries, 0);
}

#[tokio::test]
async fn the_exact_context_and_the_partition_select_entries() {
    let keyring = CountingKeyring::new(Duration::ZERO);
    let clock = ManualClock::new();
    let cache = LocalCache::builder(10)
        .clock(Arc::new(clock.clone()))
        .build();
    let build = |partition: &str| {
        CachingMaterialsManager::with_keyring(
            keyring.clone(),
            cache.clone(),
            Duration::from_secs(60),
        )
        .partition(partition)
        .build()
        .unwrap()
    };
    let (a, a_again, b) = (build("a"), build("a"), build("b"));
    for context in [
        EncryptionContext::new(),
        EncryptionContext::from([("k", "v")]),
        EncryptionContext::from([("k", "v"), ("k2", "v")]),
        EncryptionContext::from([("k", "w")]),
    ] {
        let first = a
            .get_encryption_materials(encrypt_request(&context, Some(1)))
            .await
            .unwrap();
        let shared = a_again
            .get_encryption_materials(encrypt_request(&context, Some(1)))
            .await
            .unwrap();
        let other = b
            .get_encryption_materials(encrypt_request(&context, Some(1)))
            .await
            .unwrap();
        assert_eq!(
            key_bytes(&first),
            key_bytes(&shared),
            "same partition, same context: one entry"
        );
        assert_ne!(
            key_bytes(&first),
            key_bytes(&other),
            "another partition never shares"
        );
    }
    assert_eq!(keyring.encrypts(), 8, "4 contexts × 2 partitions");
}

#[tokio::test]
async fn signing_keys_are_cached_with_their_entry() {
    let keyring = CountingKeyring::new(Duration::ZERO);
    let manager = manager(&keyring, &ManualClock::new(), 10, 1 << 40);
    let context = EncryptionContext::new();
    let first = manager
        .get_encryption_materials(encrypt_request(&context, Some(1)))
        .await
        .unwrap();
    let second = manager
        .get_encryption_materials(encrypt_request(&context, Some(1)))
        .await
        .unwrap();
    assert_eq!(
        first.suite(),
        AlgorithmSuite::Aes256GcmHkdfSha512CommitEcdsaP384
    );
    assert!(Arc::ptr_eq(
        first.signing_key().unwrap(),
        second.signing_key().unwrap()
    ));
    assert_eq!(first.encryption_context(), second.encryption_context());
}

#[tokio::test]
async fn decrypt_entries_are_separate_and_honour_max_age() {
    let keyring = CountingKeyring::new(Duration::ZERO);
    let clock = ManualClock::new();
    let manager = manager(&keyring, &clock, 10, 1 << 40);
    let context = EncryptionContext::from([("k", "v")]);
    let materials = manager
        .get_encryption_materials(encrypt_request(&context, Some(1)))
        .await
        .unwrap();
    let stored: EncryptionContext = materials.encryption_context().iter().collect();
    let mut request = decrypt_request(&materials);
    request.encryption_context = stored;
    for _ in 0..3 {
        let decrypted = manager.decrypt_materials(request.clone()).await.unwrap();
        assert_eq!(
            decrypted.data_key().unwrap().expose_secret(),
            materials.data_key().unwrap().expose_secret()
        );
    }
    assert_eq!(
        keyring.decrypts(),
        1,
        "decrypt entries are cached separately from encrypt entries"
    );
    clock.advance(Duration::from_secs(61));
    manager.decrypt_materials(request.clone()).await.unwrap();
    assert_eq!(keyring.decrypts(), 2);
    // A reproduced context selects its own entry: the default manager checks it again.
    let mut mismatched = request.clone();
    mismatched.reproduced_encryption_context = Some(EncryptionContext::from([("k", "other")]));
    assert!(manager.decrypt_materials(mismatched).await.is_err());
}

#[tokio::test]
async fn settings_are_validated() {
    let keyring = CountingKeyring::new(Duration::ZERO);
    let build = |age: Duration, messages: u64, bytes: u64| {
        CachingMaterialsManager::with_keyring(keyring.clone(), NullCache::new(), age)
            .max_messages(messages)
            .max_bytes(bytes)
            .build()
    };
    let minute = Duration::from_secs(60);
    assert!(build(Duration::ZERO, 1, 1).is_err());
    assert!(build(minute, 0, 1).is_err());
    assert!(build(minute, (1 << 32) + 1, 1).is_err());
    assert!(build(minute, 1, 1 << 63).is_err());
    assert!(build(minute, 1 << 32, (1 << 63) - 1).is_ok());
    assert!(
        CachingMaterialsManager::with_keyring(keyring.clone(), NullCache::new(), minute)
            .partition("a\0b")
            .build()
            .is_err()
    );
    let generated = build(minute, 1, 0).unwrap();
    assert_eq!(generated.partition().len(), 36, "a random UUID");
    assert_ne!(
        generated.partition(),
        build(minute, 1, 0).unwrap().partition()
    );
}

#[tokio::test]
async fn the_null_cache_turns_caching_off() {
    let keyring = CountingKeyring::new(Duration::ZERO);
    let manager = CachingMaterialsManager::with_keyring(
        keyring.clone(),
        NullCache::new(),
        Duration::from_secs(60),
    )
    .build()
    .unwrap();
    for _ in 0..4 {
        manager
            .get_encryption_materials(encrypt_request(&EncryptionContext::new(), Some(1)))
            .await
            .unwrap();
    }
    assert_eq!(keyring.encrypts(), 4);
    assert_eq!(manager.stats().encrypt.misses, 4);
}

#[tokio::test]
async fn managers_sharing_entries_hold_them_to_the_tightest_limits() {
    let keyring = CountingKeyring::new(Duration::ZERO);
    let clock = ManualClock::new();
    let cache = LocalCache::builder(10)
        .clock(Arc::new(clock.clone()))
        .build();
    let build = |age: u64, messages: u64| {
        CachingMaterialsManager::with_keyring(
            keyring.clone(),
            cache.clone(),
            Duration::from_secs(age),
        )
        .max_messages(messages)
        .partition("shared")
        .build()
        .unwrap()
    };
    let (loose, strict) = (build(600, 100), build(60, 3));
    let context = EncryptionContext::new();
    let mut tally: std::collections::HashMap<Vec<u8>, u64> = Default::default();
    let mut use_key = async |manager: &CachingMaterialsManager| {
        let materials = manager
            .get_encryption_materials(encrypt_request(&context, Some(1)))
            .await
            .unwrap();
        *tally.entry(key_bytes(&materials)).or_default() += 1;
    };
    // The loose manager makes the entry; once the strict one has used it, it holds at most
    // three messages in all, whoever asks.
    use_key(&loose).await;
    use_key(&strict).await;
    for _ in 0..10 {
        use_key(&loose).await;
    }
    let mut counts: Vec<u64> = tally.values().copied().collect();
    counts.sort_unstable();
    assert_eq!(
        counts,
        vec![3, 9],
        "first key: 3 messages; then the loose manager's own"
    );
    // Age: the strict manager's 60 s bind an entry it has used, for both.
    let key = key_bytes(
        &strict
            .get_encryption_materials(encrypt_request(
                &EncryptionContext::from([("k", "v")]),
                Some(1),
            ))
            .await
            .unwrap(),
    );
    clock.advance(Duration::from_secs(61));
    let later = loose
        .get_encryption_materials(encrypt_request(
            &EncryptionContext::from([("k", "v")]),
            Some(1),
        ))
        .await
        .unwrap();
    assert_ne!(key_bytes(&later), key);
}
