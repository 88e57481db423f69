//! The hierarchical keyring over the in-memory key store: wrap/unwrap layout, the branch-key
//! cache (TTL, separate encrypt and decrypt entries, rotation), multitenancy, storms, failures
//! and construction rules. The DynamoDB store is tested against moto in keyward-tests.

#![expect(clippy::unwrap_used, reason = "test helpers stop at the first failure")]

use std::collections::BTreeSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use keyward_cache::{
    LocalCache, ManualClock, MaterialsCache, NullCache, StormSettings, StormTrackingCache,
};
use keyward_format::{AlgorithmSuite, EncryptedDataKey, EncryptionContext};
use keyward_hierarchy::{
    ContextKeySupplier, Error, HierarchicalKeyring, KeyStore, KeyStoreAdmin, KeyStoreInfo,
    MemoryKeyStore, StaticKeyStore,
};
use keyward_materials::testing::{Expectations, check_keyring};
use keyward_materials::{
    BranchKey, BranchKeyMaterials, DecryptionMaterials, EncryptionMaterials, Keyring,
};

const SUITE: AlgorithmSuite = AlgorithmSuite::Aes256GcmHkdfSha512Commit;
const TTL: Duration = Duration::from_secs(600);

fn context(tenant: &str) -> EncryptionContext {
    EncryptionContext::from([("tenant", tenant), ("purpose", "hierarchy tests")])
}

async fn encrypt(keyring: &dyn Keyring, context: &EncryptionContext) -> EncryptionMaterials {
    keyring
        .on_encrypt(EncryptionMaterials::new(
            SUITE,
            context.clone(),
            BTreeSet::new(),
            None,
        ))
        .await
        .unwrap()
}

async fn decrypt(
    keyring: &dyn Keyring,
    context: &EncryptionContext,
    edks: &[EncryptedDataKey],
) -> keyward_materials::Result<DecryptionMaterials> {
    keyring
        .on_decrypt(
            DecryptionMaterials::new(SUITE, context.clone(), BTreeSet::new(), None),
            edks,
        )
        .await
}

fn hierarchy_error(error: &keyward_materials::Error) -> &Error {
    match error {
        keyward_materials::Error::Keyring(inner) => inner
            .downcast_ref::<Error>()
            .unwrap_or_else(|| panic!("not a hierarchy error: {inner:?}")),
        keyward_materials::Error::UnableToDecrypt { attempts } if attempts.len() == 1 => {
            hierarchy_error(&attempts[0].error)
        }
        other => panic!("not a keyring error: {other:?}"),
    }
}

/// The default branch-key cache, on a manual clock.
fn storm_cache(clock: &Arc<ManualClock>) -> StormTrackingCache {
    StormTrackingCache::builder(StormSettings::new(1000))
        .clock(clock.clone())
        .build()
        .unwrap()
}

async fn store_with_key() -> (MemoryKeyStore, String) {
    let store = MemoryKeyStore::new("tests");
    let id = store
        .create_key(None, &EncryptionContext::new())
        .await
        .unwrap()
        .branch_key_id;
    (store, id)
}

#[tokio::test]
async fn wraps_with_the_documented_layout_and_unwraps() {
    let (store, id) = store_with_key().await;
    let keyring = HierarchicalKeyring::builder(store.clone(), &id, TTL)
        .build()
        .unwrap();
    let materials = encrypt(&keyring, &context("a")).await;
    let edk = &materials.encrypted_data_keys()[0];
    assert_eq!(edk.provider_id(), "aws-kms-hierarchy");
    assert_eq!(edk.provider_info(), id.as_bytes());
    // salt 16 ‖ IV 12 ‖ version 16 ‖ wrapped key 32 ‖ tag 16
    assert_eq!(edk.ciphertext().len(), 92);
    let active = store.get_active_branch_key(&id).await.unwrap();
    let version: String = edk.ciphertext()[28..44]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    assert_eq!(version, active.branch_key_version().replace('-', ""));

    let decrypted = decrypt(&keyring, &context("a"), materials.encrypted_data_keys())
        .await
        .unwrap();
    assert_eq!(
        decrypted.data_key().unwrap().expose_secret(),
        materials.data_key().unwrap().expose_secret()
    );
    // The context is authenticated, and every bit of the EDK matters.
    let error = decrypt(&keyring, &context("b"), materials.encrypted_data_keys())
        .await
        .unwrap_err();
    assert!(matches!(
        hierarchy_error(&error),
        Error::UnwrapFailed { .. }
    ));
    for position in [0, 16, 44, 91] {
        let mut ciphertext = edk.ciphertext().to_vec();
        ciphertext[position] ^= 1;
        let tampered =
            EncryptedDataKey::new(edk.provider_id(), id.as_bytes().to_vec(), ciphertext).unwrap();
        assert!(
            decrypt(&keyring, &context("a"), &[tampered]).await.is_err(),
            "{position}"
        );
    }
    let short =
        EncryptedDataKey::new(edk.provider_id(), id.as_bytes().to_vec(), vec![0; 91]).unwrap();
    let error = decrypt(&keyring, &context("a"), &[short])
        .await
        .unwrap_err();
    assert!(matches!(
        hierarchy_error(&error),
        Error::InvalidEdkLength {
            len: 91,
            expected: 92
        }
    ));
}

#[tokio::test]
async fn keeps_the_keyring_contract() {
    let (store, id) = store_with_key().await;
    let keyring = HierarchicalKeyring::builder(store, &id, TTL)
        .build()
        .unwrap();
    check_keyring(&keyring, Expectations::new()).await.unwrap();
}

#[tokio::test]
async fn one_branch_key_fetch_serves_every_message_within_the_ttl() {
    let (store, id) = store_with_key().await;
    let keyring = HierarchicalKeyring::builder(store.clone(), &id, TTL)
        .build()
        .unwrap();
    let mut edks = Vec::new();
    for _ in 0..1000 {
        edks.push(
            encrypt(&keyring, &context("a"))
                .await
                .encrypted_data_keys()
                .to_vec(),
        );
    }
    assert_eq!((store.active_reads(), store.version_reads()), (1, 0));
    for edk in &edks {
        decrypt(&keyring, &context("a"), edk).await.unwrap();
    }
    // Decrypt entries are separate from the encrypt entry: one version read.
    assert_eq!((store.active_reads(), store.version_reads()), (1, 1));

    // A second keyring over the same store has its own cache (random partition) and
    // decrypts everything.
    let other = HierarchicalKeyring::builder(store.clone(), &id, TTL)
        .build()
        .unwrap();
    for edk in &edks {
        decrypt(&other, &context("a"), edk).await.unwrap();
    }
    assert_eq!(store.version_reads(), 2);
}

#[tokio::test]
async fn rotation_takes_effect_after_the_ttl_and_old_messages_still_decrypt() {
    let (store, id) = store_with_key().await;
    let clock = Arc::new(ManualClock::new());
    let keyring = HierarchicalKeyring::builder(store.clone(), &id, TTL)
        .cache(storm_cache(&clock))
        .build()
        .unwrap();
    let version_of = |materials: &EncryptionMaterials| {
        materials.encrypted_data_keys()[0].ciphertext()[28..44].to_vec()
    };
    let before = encrypt(&keyring, &context("a")).await;
    store.version_key(&id).await.unwrap();
    let cached = encrypt(&keyring, &context("a")).await;
    assert_eq!(
        version_of(&before),
        version_of(&cached),
        "the cached active version serves until the TTL"
    );
    clock.advance(TTL + Duration::from_secs(1));
    let after = encrypt(&keyring, &context("a")).await;
    assert_ne!(version_of(&before), version_of(&after));
    assert_eq!(store.active_reads(), 2);
    for materials in [&before, &cached, &after] {
        decrypt(&keyring, &context("a"), materials.encrypted_data_keys())
            .await
            .unwrap();
    }
    assert_eq!(store.version_reads(), 2, "one read per version");
}

#[tokio::test]
async fn tenants_chosen_by_a_supplier_are_isolated() {
    let store = MemoryKeyStore::new("tenants");
    let a = store
        .create_key(Some("tenant-a-key"), &context("a"))
        .await
        .unwrap()
        .branch_key_id;
    let b = store
        .create_key(Some("tenant-b-key"), &context("b"))
        .await
        .unwrap()
        .branch_key_id;
    let supplier = ContextKeySupplier::new("tenant", [("a", a.as_str()), ("b", b.as_str())]);
    let keyring = HierarchicalKeyring::builder(store.clone(), supplier, TTL)
        .build()
        .unwrap();
    let for_a = encrypt(&keyring, &context("a")).await;
    let for_b = encrypt(&keyring, &context("b")).await;
    assert_eq!(for_a.encrypted_data_keys()[0].provider_info(), a.as_bytes());
    assert_eq!(for_b.encrypted_data_keys()[0].provider_info(), b.as_bytes());

    // A keyring configured for tenant A cannot decrypt tenant B's data.
    let only_a = HierarchicalKeyring::builder(store.clone(), &a, TTL)
        .build()
        .unwrap();
    decrypt(&only_a, &context("a"), for_a.encrypted_data_keys())
        .await
        .unwrap();
    let error = decrypt(&only_a, &context("b"), for_b.encrypted_data_keys())
        .await
        .unwrap_err();
    assert!(
        matches!(&error, keyward_materials::Error::UnableToDecrypt { attempts } if attempts.is_empty())
    );
    assert_eq!(error.kind(), keyward_materials::ErrorKind::NoMatchingKey);
    // The supplier answers for the message's context, so B's EDK relabelled as A's fails too.
    let relabelled = EncryptedDataKey::new(
        "aws-kms-hierarchy",
        a.as_bytes().to_vec(),
        for_b.encrypted_data_keys()[0].ciphertext().to_vec(),
    )
    .unwrap();
    assert!(
        decrypt(&keyring, &context("a"), &[relabelled])
            .await
            .is_err()
    );
    // An unknown tenant is a supplier error.
    let error = encrypt_error(&keyring, &context("c")).await;
    assert!(matches!(hierarchy_error(&error), Error::Supplier(_)));
}

async fn encrypt_error(
    keyring: &dyn Keyring,
    context: &EncryptionContext,
) -> keyward_materials::Error {
    keyring
        .on_encrypt(EncryptionMaterials::new(
            SUITE,
            context.clone(),
            BTreeSet::new(),
            None,
        ))
        .await
        .unwrap_err()
}

/// A key store that can be switched off, to see what the keyring does when the store fails.
#[derive(Debug, Clone)]
struct Flaky {
    inner: MemoryKeyStore,
    down: Arc<AtomicBool>,
}

impl Flaky {
    fn check(&self) -> keyward_hierarchy::Result<()> {
        if self.down.load(Ordering::SeqCst) {
            return Err(Error::OperationNotSupported("answer: the store is down"));
        }
        Ok(())
    }
}

#[keyward_materials::async_trait]
impl KeyStore for Flaky {
    fn info(&self) -> KeyStoreInfo {
        self.inner.info()
    }
    async fn get_active_branch_key(
        &self,
        id: &str,
    ) -> keyward_hierarchy::Result<BranchKeyMaterials> {
        self.check()?;
        self.inner.get_active_branch_key(id).await
    }
    async fn get_branch_key_version(
        &self,
        id: &str,
        version: &str,
    ) -> keyward_hierarchy::Result<BranchKeyMaterials> {
        self.check()?;
        self.inner.get_branch_key_version(id, version).await
    }
}

#[tokio::test]
async fn a_failing_store_gives_typed_errors_cached_keys_serve_until_the_ttl_and_it_recovers() {
    let (inner, id) = store_with_key().await;
    let store = Flaky {
        inner: inner.clone(),
        down: Arc::new(AtomicBool::new(false)),
    };
    let clock = Arc::new(ManualClock::new());
    let keyring = HierarchicalKeyring::builder(store.clone(), &id, TTL)
        .cache(storm_cache(&clock))
        .build()
        .unwrap();
    let first = encrypt(&keyring, &context("a")).await;
    store.down.store(true, Ordering::SeqCst);
    // Within the TTL (and through the grace period) the cached key serves.
    for _ in 0..20 {
        clock.advance(Duration::from_secs(29));
        encrypt(&keyring, &context("a")).await;
    }
    // Decrypting needs the version entry, which was never fetched: a typed error.
    let error = decrypt(&keyring, &context("a"), first.encrypted_data_keys())
        .await
        .unwrap_err();
    assert!(matches!(
        hierarchy_error(&error),
        Error::OperationNotSupported(_)
    ));
    // Past the TTL, encrypt fails too.
    clock.advance(Duration::from_secs(21));
    let error = encrypt_error(&keyring, &context("a")).await;
    assert!(matches!(
        hierarchy_error(&error),
        Error::OperationNotSupported(_)
    ));
    // And recovers with the store, from the next grace interval on (until then other callers
    // wait for the failed fetch, as the storm-tracking cache prescribes).
    store.down.store(false, Ordering::SeqCst);
    clock.advance(Duration::from_secs(1));
    encrypt(&keyring, &context("a")).await;
    decrypt(&keyring, &context("a"), first.encrypted_data_keys())
        .await
        .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_encrypts_in_the_grace_period_refresh_once_per_interval() {
    let (store, id) = store_with_key().await;
    let clock = Arc::new(ManualClock::new());
    let keyring = HierarchicalKeyring::builder(store.clone(), &id, Duration::from_secs(60))
        .cache(storm_cache(&clock))
        .build()
        .unwrap();
    encrypt(&keyring, &context("a")).await;
    assert_eq!(store.active_reads(), 1);
    // 55 s: inside the default 10 s grace period before the 60 s expiry.
    clock.advance(Duration::from_secs(55));
    let tasks: Vec<_> = (0..1000)
        .map(|_| {
            let keyring = keyring.clone();
            tokio::spawn(async move { encrypt(&keyring, &context("a")).await })
        })
        .collect();
    for task in tasks {
        task.await.unwrap();
    }
    assert_eq!(
        store.active_reads(),
        2,
        "one refresh for the grace interval, not 1,000"
    );
    // The next grace interval allows one more.
    clock.advance(Duration::from_secs(2));
    for _ in 0..100 {
        encrypt(&keyring, &context("a")).await;
    }
    assert!(store.active_reads() <= 3);
}

#[tokio::test]
async fn the_static_store_answers_any_id_with_its_one_key() {
    let version = "e9ce18a3-edb5-4272-9f86-1cacb7997ff6";
    let store = StaticKeyStore::new(
        version,
        BranchKey::new(vec![1; 32]),
        BranchKey::new(vec![2; 32]),
    )
    .unwrap();
    assert_eq!(
        store.info().logical_key_store_name,
        "logical-key-store-name"
    );
    let materials = store.get_active_branch_key("anything").await.unwrap();
    assert_eq!(materials.branch_key_version(), version);
    assert!(
        store
            .get_branch_key_version("x", "00000000-0000-0000-0000-000000000000")
            .await
            .is_err()
    );
    assert!(
        store
            .create_key(None, &EncryptionContext::new())
            .await
            .is_err()
    );
    assert!(store.version_key("x").await.is_err());
    assert!(
        StaticKeyStore::new(
            "not-a-uuid",
            BranchKey::new(vec![1; 32]),
            BranchKey::new(vec![2; 32])
        )
        .is_err()
    );
}

#[tokio::test]
async fn construction_rules() {
    let (store, id) = store_with_key().await;
    let build =
        |builder: keyward_hierarchy::HierarchicalKeyringBuilder| builder.build().map(|_| ());
    assert!(
        build(HierarchicalKeyring::builder(
            store.clone(),
            &id,
            Duration::ZERO
        ))
        .is_err()
    );
    assert!(build(HierarchicalKeyring::builder(store.clone(), "", TTL)).is_err());
    assert!(
        build(HierarchicalKeyring::builder(store.clone(), "k", TTL).max_concurrent_fetches(0))
            .is_err()
    );
    assert!(
        build(HierarchicalKeyring::builder(store.clone(), "k", TTL).max_concurrent_fetches(1))
            .is_ok()
    );
    assert!(
        build(HierarchicalKeyring::builder(
            store.clone(),
            String::new(),
            TTL
        ))
        .is_err()
    );
    // The TTL must exceed the grace period of every cache that refreshes early: the default
    // cache (10 s), an explicit storm-tracking cache, a shared one; not of other caches.
    assert!(
        build(HierarchicalKeyring::builder(
            store.clone(),
            &id,
            Duration::from_secs(10)
        ))
        .is_err()
    );
    assert!(
        build(HierarchicalKeyring::builder(
            store.clone(),
            &id,
            Duration::from_secs(11)
        ))
        .is_ok()
    );
    let storm = StormSettings::new(100)
        .grace_period(Duration::from_secs(30))
        .in_flight_ttl(Duration::from_secs(10));
    assert!(
        build(
            HierarchicalKeyring::builder(store.clone(), &id, Duration::from_secs(30))
                .cache(StormTrackingCache::builder(storm).build().unwrap())
        )
        .is_err()
    );
    let shared: Arc<dyn MaterialsCache> = Arc::new(StormTrackingCache::new(10));
    assert!(
        build(
            HierarchicalKeyring::builder(store.clone(), &id, Duration::from_secs(5))
                .cache(StormTrackingCache::new(10))
        )
        .is_err()
    );
    assert!(
        build(
            HierarchicalKeyring::builder(store.clone(), &id, Duration::from_secs(5))
                .cache(shared.clone())
        )
        .is_err()
    );
    assert!(
        build(
            HierarchicalKeyring::builder(store.clone(), &id, Duration::from_secs(5))
                .cache(NullCache::new())
        )
        .is_ok()
    );
    assert!(
        build(
            HierarchicalKeyring::builder(store.clone(), &id, Duration::from_secs(5))
                .cache(LocalCache::new(10))
        )
        .is_ok()
    );
}

#[tokio::test]
async fn no_cache_fetches_every_time_and_a_shared_cache_is_shared_by_partition() {
    let (store, id) = store_with_key().await;
    let uncached = HierarchicalKeyring::builder(store.clone(), &id, TTL)
        .cache(NullCache::new())
        .build()
        .unwrap();
    for _ in 0..5 {
        encrypt(&uncached, &context("a")).await;
    }
    assert_eq!(store.active_reads(), 5);

    // Sharing is cloning the handle.
    let shared = StormTrackingCache::new(10);
    let keyring = |partition: &str| {
        HierarchicalKeyring::builder(store.clone(), &id, TTL)
            .cache(shared.clone())
            .partition_id(partition)
            .build()
            .unwrap()
    };
    encrypt(&keyring("p1"), &context("a")).await;
    encrypt(&keyring("p1"), &context("a")).await;
    assert_eq!(store.active_reads(), 6, "same partition: one fetch");
    encrypt(&keyring("p2"), &context("a")).await;
    assert_eq!(store.active_reads(), 7, "another partition: its own entry");
}

#[tokio::test]
async fn debug_output_holds_no_key_bytes() {
    let store = StaticKeyStore::new(
        "e9ce18a3-edb5-4272-9f86-1cacb7997ff6",
        BranchKey::new(vec![0xab; 32]),
        BranchKey::new(vec![0xcd; 32]),
    )
    .unwrap();
    let keyring = HierarchicalKeyring::builder(store, "id", TTL)
        .build()
        .unwrap();
    encrypt(&keyring, &context("a")).await;
    let shown = format!("{keyring:?}");
    // The branch and beacon keys are 0xab and 0xcd bytes: no hex or decimal run of them.
    for rendering in ["abababab", "171, 171", "cdcdcdcd", "205, 205"] {
        assert!(!shown.contains(rendering), "{shown}");
    }
}

/// A message that names one missing branch key version in a thousand EDKs makes one store
/// read for it, not a thousand, and still decrypts with its real EDK.
#[tokio::test]
async fn a_missing_version_is_read_once_per_message() {
    let (store, id) = store_with_key().await;
    let keyring = HierarchicalKeyring::builder(store.clone(), &id, TTL)
        .build()
        .unwrap();
    let context = context("a");
    let materials = encrypt(&keyring, &context).await;
    let real = materials.encrypted_data_keys()[0].clone();
    let mut forged = real.ciphertext().to_vec();
    // Another version: bytes 28..44 of the ciphertext (after the salt and the IV).
    forged[28..44].copy_from_slice(&[0x11; 16]);
    let fake =
        EncryptedDataKey::new(real.provider_id(), real.provider_info().to_vec(), forged).unwrap();
    let mut edks = vec![fake; 1000];
    edks.push(real);
    let reads = store.version_reads();
    let decrypted = keyring
        .on_decrypt(
            DecryptionMaterials::new(SUITE, context.clone(), BTreeSet::new(), None),
            &edks,
        )
        .await
        .unwrap();
    assert_eq!(
        decrypted.data_key().unwrap().expose_secret(),
        materials.data_key().unwrap().expose_secret()
    );
    assert_eq!(
        store.version_reads() - reads,
        2,
        "one read of the missing version, one of the real one"
    );
}

/// Distinct forged versions cost one read each (the EDK limit bounds them), and their failed
/// fetches leave no fill behind in a storm-tracking cache.
#[tokio::test]
async fn distinct_missing_versions_leave_no_fills_behind() {
    let (store, id) = store_with_key().await;
    let storm = StormTrackingCache::new(100);
    let keyring = HierarchicalKeyring::builder(store.clone(), &id, TTL)
        .cache(storm.clone())
        .build()
        .unwrap();
    let context = context("a");
    let materials = encrypt(&keyring, &context).await;
    let real = materials.encrypted_data_keys()[0].clone();
    let mut edks: Vec<EncryptedDataKey> = (0..50u8)
        .map(|n| {
            let mut forged = real.ciphertext().to_vec();
            forged[28..44].copy_from_slice(&[n; 16]);
            EncryptedDataKey::new(real.provider_id(), real.provider_info().to_vec(), forged)
                .unwrap()
        })
        .collect();
    edks.push(real);
    let reads = store.version_reads();
    let decrypted = decrypt(&keyring, &context, &edks).await.unwrap();
    assert!(decrypted.data_key().is_some());
    assert_eq!(store.version_reads() - reads, 51);
    // 50 failed fetches, more than the default fan-out of 20: none is left in flight.
    assert_eq!(storm.in_flight(), 0, "failed fetches left fills in flight");
}

/// A key store in front of another that takes `delay` per read and records how many reads
/// were in flight at most.
#[derive(Debug, Clone)]
struct Gauge {
    store: MemoryKeyStore,
    delay: Duration,
    in_flight: Arc<std::sync::atomic::AtomicUsize>,
    max_in_flight: Arc<std::sync::atomic::AtomicUsize>,
}

impl Gauge {
    fn new(store: MemoryKeyStore, delay: Duration) -> Self {
        Self {
            store,
            delay,
            in_flight: Arc::default(),
            max_in_flight: Arc::default(),
        }
    }

    async fn read<T>(&self, read: impl Future<Output = T>) -> T {
        let now = self.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
        self.max_in_flight.fetch_max(now, Ordering::SeqCst);
        tokio::time::sleep(self.delay).await;
        let result = read.await;
        self.in_flight.fetch_sub(1, Ordering::SeqCst);
        result
    }

    fn max_in_flight(&self) -> usize {
        self.max_in_flight.load(Ordering::SeqCst)
    }
}

#[async_trait::async_trait]
impl KeyStore for Gauge {
    fn info(&self) -> KeyStoreInfo {
        self.store.info()
    }

    async fn get_active_branch_key(
        &self,
        branch_key_id: &str,
    ) -> keyward_hierarchy::Result<BranchKeyMaterials> {
        self.read(self.store.get_active_branch_key(branch_key_id))
            .await
    }

    async fn get_branch_key_version(
        &self,
        branch_key_id: &str,
        version: &str,
    ) -> keyward_hierarchy::Result<BranchKeyMaterials> {
        self.read(self.store.get_branch_key_version(branch_key_id, version))
            .await
    }

    async fn get_branch_key_versions(
        &self,
        branch_key_id: &str,
    ) -> keyward_hierarchy::Result<Vec<keyward_hierarchy::BranchKeyVersion>> {
        self.read(self.store.get_branch_key_versions(branch_key_id))
            .await
    }
}

fn version_of_edk(edk: &EncryptedDataKey) -> String {
    let hex: String = edk.ciphertext()[28..44]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    format!(
        "{}-{}-{}-{}-{}",
        &hex[..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..]
    )
}

#[tokio::test]
async fn rotation_returns_its_versions_and_refresh_puts_the_new_one_to_use_at_once() {
    let store = MemoryKeyStore::new("tests");
    let created = store
        .create_key(Some("tenant-a"), &context("a"))
        .await
        .unwrap();
    assert_eq!(created.branch_key_id, "tenant-a");
    let active = store.get_active_branch_key("tenant-a").await.unwrap();
    assert_eq!(active.branch_key_version(), created.version);
    let keyring = HierarchicalKeyring::builder(store.clone(), "tenant-a", TTL)
        .build()
        .unwrap();
    let first = encrypt(&keyring, &context("a")).await;
    assert_eq!(
        version_of_edk(&first.encrypted_data_keys()[0]),
        created.version
    );

    let rotated = store.version_key("tenant-a").await.unwrap();
    assert_eq!(rotated.branch_key_id, "tenant-a");
    assert_eq!(rotated.previous_version, created.version);
    assert_ne!(rotated.version, created.version);
    // The cache still holds the old version for its TTL...
    let cached = encrypt(&keyring, &context("a")).await;
    assert_eq!(
        version_of_edk(&cached.encrypted_data_keys()[0]),
        created.version
    );
    // ...until the process refreshes it.
    let reads = store.active_reads();
    assert_eq!(keyring.refresh("tenant-a").await.unwrap(), rotated.version);
    assert_eq!(store.active_reads(), reads + 1);
    let fresh = encrypt(&keyring, &context("a")).await;
    assert_eq!(
        version_of_edk(&fresh.encrypted_data_keys()[0]),
        rotated.version
    );
    assert_eq!(
        store.active_reads(),
        reads + 1,
        "the refreshed entry serves"
    );
    // What the refreshed version encrypts decrypts without a version read; the old version
    // still decrypts (one read).
    let version_reads = store.version_reads();
    for materials in [&fresh, &first] {
        let decrypted = decrypt(&keyring, &context("a"), materials.encrypted_data_keys())
            .await
            .unwrap();
        assert_eq!(
            decrypted.data_key().unwrap().expose_secret(),
            materials.data_key().unwrap().expose_secret()
        );
    }
    assert_eq!(store.version_reads(), version_reads + 1);

    // The store lists both versions, newest first, the active one marked.
    let versions = store.get_branch_key_versions("tenant-a").await.unwrap();
    let listed: Vec<(&str, bool)> = versions
        .iter()
        .map(|v| (v.version.as_str(), v.active))
        .collect();
    assert_eq!(
        listed,
        [
            (rotated.version.as_str(), true),
            (created.version.as_str(), false)
        ]
    );
    assert!(
        versions
            .iter()
            .all(|v| v.encryption_context == context("a"))
    );
    assert!(versions[0].create_time >= versions[1].create_time);

    // Clear errors: a duplicate id, a missing key, a refresh of a missing key.
    let duplicate = store
        .create_key(Some("tenant-a"), &context("a"))
        .await
        .unwrap_err();
    assert!(matches!(&duplicate, Error::BranchKeyExists { id } if id == "tenant-a"));
    assert_eq!(
        duplicate.to_string(),
        "branch key \"tenant-a\" exists already"
    );
    let missing = store.get_branch_key_versions("nobody").await.unwrap_err();
    assert_eq!(missing.to_string(), "branch key \"nobody\" not found");
    let missing = store
        .get_branch_key_version("tenant-a", "v0")
        .await
        .unwrap_err();
    assert_eq!(
        missing.to_string(),
        "version \"v0\" of branch key \"tenant-a\" not found"
    );
    assert!(matches!(
        keyring.refresh("nobody").await,
        Err(Error::BranchKeyNotFound { .. })
    ));
    // A store that cannot list says so.
    let fixed = StaticKeyStore::new(
        "00000000-0000-0000-0000-000000000001",
        BranchKey::new(vec![1; 32]),
        BranchKey::new(vec![2; 32]),
    )
    .unwrap();
    assert!(matches!(
        fixed.get_branch_key_versions("x").await,
        Err(Error::OperationNotSupported(_))
    ));
}

#[tokio::test(start_paused = true)]
async fn preload_warms_active_and_recent_versions_with_bounded_reads() {
    let store = MemoryKeyStore::new("tests");
    let ids: Vec<String> = (0..50).map(|i| format!("tenant-{i}")).collect();
    let mut old_messages = Vec::new();
    let writer = HierarchicalKeyring::builder(
        store.clone(),
        ContextKeySupplier::new("tenant", ids.iter().map(|id| (id.clone(), id.clone()))),
        TTL,
    )
    .build()
    .unwrap();
    for id in &ids {
        store.create_key(Some(id), &context(id)).await.unwrap();
        old_messages.push((id.clone(), encrypt(&writer, &context(id)).await));
        store.version_key(id).await.unwrap();
        writer.refresh(id).await.unwrap();
    }
    // A second message per tenant under its second version; then a third version.
    for id in &ids {
        let messages = (id.clone(), encrypt(&writer, &context(id)).await);
        store.version_key(id).await.unwrap();
        old_messages.push(messages);
    }

    for (i, id) in ids.iter().enumerate() {
        let versions = store.get_branch_key_versions(id).await.unwrap();
        let of = |n: usize| version_of_edk(&old_messages[n].1.encrypted_data_keys()[0]);
        assert_eq!(
            (of(i), of(50 + i)),
            (versions[2].version.clone(), versions[1].version.clone())
        );
    }

    let gauge = Gauge::new(store.clone(), Duration::from_millis(5));
    let keyring = HierarchicalKeyring::builder(
        gauge.clone(),
        ContextKeySupplier::new("tenant", ids.iter().map(|id| (id.clone(), id.clone()))),
        TTL,
    )
    .max_concurrent_fetches(4)
    .build()
    .unwrap();
    let mut requested = ids.clone();
    requested.push("missing".to_owned());
    let report = keyring.preload(requested, 1).await;
    assert_eq!(report.branch_keys, 50);
    assert_eq!(report.versions, 50, "the newest older version of each");
    assert_eq!(report.failures.len(), 1);
    assert_eq!(report.failures[0].branch_key_id, "missing");
    assert_eq!(report.failures[0].version, None);
    assert!(matches!(
        report.failures[0].error,
        Error::BranchKeyNotFound { .. }
    ));
    assert_eq!(
        gauge.max_in_flight(),
        4,
        "concurrent, and never more than 4"
    );

    // Warm: encrypting for every tenant and decrypting what the newest older version
    // encrypted read nothing; the oldest version (not pre-loaded) costs one read each.
    let (active, versions) = (store.active_reads(), store.version_reads());
    for id in &ids {
        encrypt(&keyring, &context(id)).await;
    }
    for (id, materials) in &old_messages[50..] {
        decrypt(&keyring, &context(id), materials.encrypted_data_keys())
            .await
            .unwrap();
    }
    assert_eq!(store.active_reads(), active);
    assert_eq!(store.version_reads(), versions);
    for (id, materials) in &old_messages[..50] {
        decrypt(&keyring, &context(id), materials.encrypted_data_keys())
            .await
            .unwrap();
    }
    assert_eq!(store.version_reads(), versions + 50);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thousand_cold_tenants_fan_out_within_the_fetch_limit_one_read_each() {
    let store = MemoryKeyStore::new("tests");
    let ids: Vec<String> = (0..1000).map(|i| format!("tenant-{i}")).collect();
    for id in &ids {
        store.create_key(Some(id), &context(id)).await.unwrap();
    }
    let gauge = Gauge::new(store.clone(), Duration::from_millis(2));
    let keyring = HierarchicalKeyring::builder(
        gauge.clone(),
        ContextKeySupplier::new("tenant", ids.iter().map(|id| (id.clone(), id.clone()))),
        TTL,
    )
    .cache(StormTrackingCache::new(4000))
    .max_concurrent_fetches(16)
    .build()
    .unwrap();
    // Four messages per tenant at once, all cold.
    let mut tasks = tokio::task::JoinSet::new();
    for round in 0..4 {
        for id in &ids {
            let (keyring, id) = (keyring.clone(), id.clone());
            tasks.spawn(async move {
                let materials = encrypt(&keyring, &context(&id)).await;
                (round, id, materials)
            });
        }
    }
    let mut messages = Vec::new();
    while let Some(done) = tasks.join_next().await {
        messages.push(done.unwrap());
    }
    assert_eq!(messages.len(), 4000);
    assert_eq!(
        store.active_reads(),
        1000,
        "one read per tenant, no stampede"
    );
    assert!(gauge.max_in_flight() <= 16, "{}", gauge.max_in_flight());
    for (_, id, materials) in &messages {
        decrypt(&keyring, &context(id), materials.encrypted_data_keys())
            .await
            .unwrap();
    }
    assert_eq!(store.version_reads(), 1000, "one version read per tenant");
}

#[tokio::test]
async fn a_cache_smaller_than_two_entries_per_tenant_reads_the_store_on_every_message() {
    const TENANTS: usize = 1000;
    let store = MemoryKeyStore::new("tests");
    let ids: Vec<String> = (0..TENANTS).map(|i| format!("tenant-{i}")).collect();
    for id in &ids {
        store.create_key(Some(id), &context(id)).await.unwrap();
    }
    // Each tenant needs two entries (its active version for encryption, the version for
    // decryption): 2,000 fit; the default 1,000 do not, and a round over every tenant then
    // evicts each entry before it is used again.
    for (capacity, reads_per_round) in [(2 * TENANTS, 0), (TENANTS, 2 * TENANTS as u64)] {
        let keyring = HierarchicalKeyring::builder(
            store.clone(),
            ContextKeySupplier::new("tenant", ids.iter().map(|id| (id.clone(), id.clone()))),
            TTL,
        )
        .cache(StormTrackingCache::new(capacity))
        .build()
        .unwrap();
        let mut rounds = Vec::new();
        for _ in 0..3 {
            let before = store.active_reads() + store.version_reads();
            for id in &ids {
                let materials = encrypt(&keyring, &context(id)).await;
                decrypt(&keyring, &context(id), materials.encrypted_data_keys())
                    .await
                    .unwrap();
            }
            rounds.push(store.active_reads() + store.version_reads() - before);
        }
        assert_eq!(
            rounds,
            [2 * TENANTS as u64, reads_per_round, reads_per_round],
            "capacity {capacity}"
        );
    }
}
