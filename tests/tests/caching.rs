//! Data-key caching through the `Client`, and the cache identifiers of the shipped SDKs.

#![expect(
    clippy::unwrap_used,
    reason = "test fixtures stop at the first failure"
)]

use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use keyward::cache::{
    CacheId, CacheIdFormula, CacheStats, CachingMaterialsManager, Entry, FillPolicy, LocalCache,
    Lookup, MaterialsCache,
};
use keyward::format::{AlgorithmSuite, CommitmentPolicy, EncryptedDataKey, Header};
use keyward::materials::{
    DecryptionRequest, EncryptionRequest, MaterialsManager, RawAesKeyring,
    RequiredContextMaterialsManager, WrappingKey,
};
use keyward::{Client, EncryptionContext};
use keyward_tests::vectors::default_root;
use serde_json::Value;

/// A cache that stores nothing and records the identifier of every lookup.
#[derive(Debug, Default)]
struct RecordingCache {
    gets: Mutex<Vec<CacheId>>,
}

impl MaterialsCache for RecordingCache {
    fn get(&self, id: &CacheId) -> Lookup {
        self.gets.lock().unwrap().push(*id);
        Lookup::Fill
    }
    fn put(&self, _: CacheId, _: Entry) {}
    fn delete(&self, _: &CacheId) {}
    fn retire(&self, _: &CacheId, _: &Arc<Entry>) {}
    fn now(&self) -> Duration {
        Duration::ZERO
    }
    fn fill_policy(&self) -> FillPolicy {
        FillPolicy::Independent
    }
    fn stats(&self) -> CacheStats {
        CacheStats::default()
    }
}

/// The caching manager with the legacy formula computes the identifiers of the Python, Java,
/// C and JavaScript SDKs: the six published known answers, observed at the cache.
#[tokio::test]
async fn legacy_cache_ids_match_the_shipped_sdks() {
    let path = default_root().join("known-answer/caching-cmm-legacy-cache-ids.json");
    let file: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let partition = file["partition_name_utf8"].as_str().unwrap();
    let context = |name: &str| -> EncryptionContext {
        serde_json::from_value::<std::collections::BTreeMap<String, String>>(
            file["encryption_contexts"][name]["value"].clone(),
        )
        .unwrap()
        .into()
    };
    let suite = |value: &Value| {
        value
            .as_str()
            .map(|s| AlgorithmSuite::from_id(u16::from_str_radix(s, 16).unwrap()).unwrap())
    };
    let cache = Arc::new(RecordingCache::default());
    let keyring = RawAesKeyring::new("kat", "key", WrappingKey::new(vec![9; 32])).unwrap();
    let manager =
        CachingMaterialsManager::with_keyring(keyring, cache.clone(), Duration::from_secs(60))
            .partition(partition)
            .formula(CacheIdFormula::Legacy)
            .build()
            .unwrap();
    let observed = |cache: &RecordingCache| {
        BASE64.encode(cache.gets.lock().unwrap().pop().unwrap().as_bytes())
    };
    let mut checked = 0;
    for case in file["encrypt_ids"].as_array().unwrap() {
        let suite = suite(&case["algorithm_suite_id"]);
        // The policy that allows the named suite (0x0378 needs forbid); without a suite, the
        // default policy, whose choice the legacy identifier assumes.
        let policy = match suite {
            Some(_) => CommitmentPolicy::ForbidEncryptAllowDecrypt,
            None => CommitmentPolicy::RequireEncryptRequireDecrypt,
        };
        let mut request = EncryptionRequest::new(
            context(case["encryption_context"].as_str().unwrap()),
            policy,
        );
        request.suite = suite;
        request.max_plaintext_length = Some(1);
        manager.get_encryption_materials(request).await.unwrap();
        assert_eq!(observed(&cache), case["id"].as_str().unwrap(), "{case}");
        checked += 1;
    }
    for case in file["decrypt_ids"].as_array().unwrap() {
        let edks: Vec<EncryptedDataKey> = case["encrypted_data_keys"]
            .as_array()
            .unwrap()
            .iter()
            .map(|name| {
                let edk = &file["encrypted_data_keys"][name.as_str().unwrap()];
                EncryptedDataKey::new(
                    edk["provider_id_utf8"].as_str().unwrap(),
                    edk["provider_info_utf8"]
                        .as_str()
                        .unwrap()
                        .as_bytes()
                        .to_vec(),
                    edk["ciphertext_utf8"].as_str().unwrap().as_bytes().to_vec(),
                )
                .unwrap()
            })
            .collect();
        let request = DecryptionRequest::new(
            suite(&case["algorithm_suite_id"]).unwrap(),
            CommitmentPolicy::RequireEncryptAllowDecrypt,
            edks,
            context(case["encryption_context"].as_str().unwrap()),
        );
        // No keyring can open these EDKs: the lookup happened before the underlying call.
        assert!(manager.decrypt_materials(request).await.is_err());
        assert_eq!(observed(&cache), case["id"].as_str().unwrap(), "{case}");
        checked += 1;
    }
    assert_eq!(checked, 6);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_client_reuses_data_keys_within_the_limits() {
    let keyring = RawAesKeyring::new("caching", "key", WrappingKey::new(vec![9; 32])).unwrap();
    let manager = CachingMaterialsManager::with_keyring(
        keyring,
        LocalCache::new(10),
        Duration::from_secs(60),
    )
    .max_messages(10)
    .build()
    .unwrap();
    let client = Client::builder(manager.clone()).build();
    let context = EncryptionContext::from([("purpose", "caching")]);
    let mut wrapped_keys = HashSet::new();
    for i in 0..100u32 {
        let message = client.encrypt(&i.to_be_bytes(), &context).await.unwrap();
        let (header, _) = Header::from_bytes(&message, None).unwrap();
        wrapped_keys.insert(header.encrypted_data_keys()[0].ciphertext().to_vec());
        let decrypted = client.decrypt(&message).await.unwrap();
        assert_eq!(decrypted.plaintext(), i.to_be_bytes());
    }
    let stats = manager.stats();
    assert_eq!(wrapped_keys.len(), 10, "100 messages at 10 per data key");
    // 10 encrypt misses, and one decrypt miss per distinct data key.
    assert_eq!(stats.underlying_calls(), 20);
    assert_eq!(
        (
            stats.encrypt.underlying_calls,
            stats.decrypt.underlying_calls
        ),
        (10, 10)
    );
    // Streams of unknown length are never cached.
    let mut out = Vec::new();
    client
        .encrypt_stream(&b"stream"[..], &mut out, &context, None)
        .await
        .unwrap();
    assert_eq!(manager.stats().encrypt.bypassed_unknown_length, 1);
}

fn shared_manager() -> CachingMaterialsManager {
    let keyring = RawAesKeyring::new("caching", "key", WrappingKey::new(vec![3; 32])).unwrap();
    CachingMaterialsManager::with_keyring(keyring, LocalCache::new(10), Duration::from_secs(60))
        .build()
        .unwrap()
}

/// The pairs a message stores, without the signing suite's public key.
fn stored_context(message: &[u8]) -> EncryptionContext {
    Header::from_bytes(message, None)
        .unwrap()
        .0
        .encryption_context()
        .iter()
        .filter(|(key, _)| *key != EncryptionContext::PUBLIC_KEY)
        .collect()
}

fn wrapped_key(message: &[u8]) -> Vec<u8> {
    Header::from_bytes(message, None)
        .unwrap()
        .0
        .encrypted_data_keys()[0]
        .ciphertext()
        .to_vec()
}

/// Two clients share one caching manager; one of them requires the `tenant` key (a
/// required-context manager above the shared one). Whichever encrypts first, each message is
/// written the way its own client intends.
#[tokio::test]
async fn clients_that_differ_in_required_keys_never_share_materials() {
    let context = EncryptionContext::from([("tenant", "acme"), ("purpose", "report")]);
    for required_first in [true, false] {
        let manager = shared_manager();
        let requiring = Client::builder(RequiredContextMaterialsManager::new(
            ["tenant"],
            manager.clone(),
        ))
        .build();
        let plain = Client::builder(manager.clone()).build();
        let (required, stored) = if required_first {
            let required = requiring.encrypt(b"a", &context).await.unwrap();
            (required, plain.encrypt(b"b", &context).await.unwrap())
        } else {
            let stored = plain.encrypt(b"b", &context).await.unwrap();
            (requiring.encrypt(b"a", &context).await.unwrap(), stored)
        };
        assert_ne!(wrapped_key(&required), wrapped_key(&stored));
        assert_eq!(stored_context(&stored), context, "every pair stored");
        assert_eq!(plain.decrypt(&stored).await.unwrap().plaintext(), b"b");
        assert_eq!(
            stored_context(&required),
            EncryptionContext::from([("purpose", "report")]),
            "the required pair is authenticated, not stored"
        );
        assert!(plain.decrypt(&required).await.is_err());
        let decrypted = requiring
            .decrypt_with_context(&required, &EncryptionContext::from([("tenant", "acme")]))
            .await
            .unwrap();
        assert_eq!(decrypted.plaintext(), b"a");
        // Each client's second message reuses its own entry.
        assert_eq!(
            wrapped_key(&requiring.encrypt(b"c", &context).await.unwrap()),
            wrapped_key(&required)
        );
        assert_eq!(
            wrapped_key(&plain.encrypt(b"d", &context).await.unwrap()),
            wrapped_key(&stored)
        );
        assert_eq!(manager.stats().encrypt.underlying_calls, 2);
    }
}

/// Two clients with different commitment policies and no suite share one manager: each gets
/// its policy's default suite, whichever encrypts first.
#[tokio::test]
async fn clients_with_different_commitment_policies_never_share_materials() {
    let context = EncryptionContext::from([("purpose", "policy")]);
    for forbid_first in [true, false] {
        let manager = shared_manager();
        let forbid = Client::builder(manager.clone())
            .commitment_policy(CommitmentPolicy::ForbidEncryptAllowDecrypt)
            .build();
        let require = Client::builder(manager.clone()).build();
        let (a, b) = if forbid_first {
            let a = forbid.encrypt(b"a", &context).await.unwrap();
            (a, require.encrypt(b"b", &context).await.unwrap())
        } else {
            let b = require.encrypt(b"b", &context).await.unwrap();
            (forbid.encrypt(b"a", &context).await.unwrap(), b)
        };
        let suite = |message: &[u8]| Header::from_bytes(message, None).unwrap().0.suite();
        assert_eq!(suite(&a), AlgorithmSuite::Aes256GcmHkdfSha384EcdsaP384);
        assert_eq!(
            suite(&b),
            AlgorithmSuite::Aes256GcmHkdfSha512CommitEcdsaP384
        );
        assert_eq!(forbid.decrypt(&a).await.unwrap().plaintext(), b"a");
        assert_eq!(require.decrypt(&b).await.unwrap().plaintext(), b"b");
    }
}

/// A suite the request's policy forbids is refused even when another request cached materials
/// for it.
#[tokio::test]
async fn a_forbidden_suite_is_refused_even_when_cached() {
    let manager = shared_manager();
    let suite = AlgorithmSuite::Aes256GcmHkdfSha512Commit;
    let request = |policy| {
        let mut request = EncryptionRequest::new(EncryptionContext::new(), policy);
        request.suite = Some(suite);
        request.max_plaintext_length = Some(1);
        request
    };
    manager
        .get_encryption_materials(request(CommitmentPolicy::RequireEncryptAllowDecrypt))
        .await
        .unwrap();
    let refused = manager
        .get_encryption_materials(request(CommitmentPolicy::ForbidEncryptAllowDecrypt))
        .await
        .unwrap_err();
    assert!(matches!(
        refused,
        keyward::materials::Error::Format(keyward::format::Error::CommitmentPolicy { .. })
    ));
    assert_eq!(refused.kind(), keyward::ErrorKind::Policy);
    assert_eq!(manager.stats().encrypt.hits, 0);
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[tokio::test(flavor = "current_thread")]
async fn tracing_shows_hits_misses_retirements_fetches_and_evictions_and_no_secret() {
    use keyward::cache::{StormSettings, StormTrackingCache};
    use keyward::hierarchy::{
        HierarchicalKeyring, KeyStore as _, KeyStoreAdmin as _, MemoryKeyStore,
    };
    use keyward::materials::{EncryptionMaterials, Keyring as _};

    let captured = Arc::new(keyward_tests::capture::Captured::default());
    let _default = tracing::subscriber::set_default(captured.clone());
    let context = EncryptionContext::from([("tenant", "secret-tenant-value")]);
    let plaintext = b"plaintext that must never be logged";

    // The caching manager: a miss, hits, a retirement at the message limit, a miss again.
    let cmm = CachingMaterialsManager::with_keyring(
        RawAesKeyring::new("trace", "key", WrappingKey::new(vec![7; 32])).unwrap(),
        LocalCache::new(10),
        Duration::from_secs(60),
    )
    .max_messages(2)
    .partition("traced")
    .build()
    .unwrap();
    let client = Client::builder(cmm)
        .suite(AlgorithmSuite::Aes256GcmHkdfSha512Commit)
        .build();
    for _ in 0..3 {
        client.encrypt(plaintext, &context).await.unwrap();
    }
    let messages = captured.messages();
    assert_eq!(
        messages,
        [
            "data key cache miss",
            "data key cache hit",
            "cached data key retired: this message would pass its message, byte or age limit",
            "data key cache miss",
        ],
        "{messages:?}"
    );

    // The hierarchical keyring: a miss and a fetch inside its `on_encrypt` span, then a hit;
    // a refresh; a preload; a full cache evicting.
    let store = MemoryKeyStore::new("trace");
    let id = store
        .create_key(Some("traced-key"), &context)
        .await
        .unwrap()
        .branch_key_id;
    let keyring = HierarchicalKeyring::builder(store.clone(), &id, Duration::from_secs(600))
        .cache(
            StormTrackingCache::builder(StormSettings::new(1))
                .build()
                .unwrap(),
        )
        .build()
        .unwrap();
    let encrypt = || {
        keyring.on_encrypt(EncryptionMaterials::new(
            AlgorithmSuite::Aes256GcmHkdfSha512Commit,
            context.clone(),
            std::collections::BTreeSet::new(),
            None,
        ))
    };
    let first = encrypt().await.unwrap();
    encrypt().await.unwrap();
    let events = std::mem::take(&mut *captured.events.lock().unwrap());
    let seen: Vec<(&str, Option<&str>)> = events
        .iter()
        .map(|(_, message, _, span)| (message.as_str(), span.as_deref()))
        .collect();
    assert_eq!(
        seen,
        [
            ("branch key cache miss: fetching", Some("on_encrypt")),
            ("branch key fetched and cached", Some("on_encrypt")),
            ("branch key cache hit", Some("on_encrypt")),
        ]
    );
    assert!(
        events[1].2.contains("branch_key_id=\"traced-key\""),
        "{events:?}"
    );
    assert!(
        captured
            .spans
            .lock()
            .unwrap()
            .iter()
            .any(|(name, fields)| name == "on_encrypt" && fields.contains("aws-kms-hierarchy"))
    );
    keyring.refresh(&id).await.unwrap();
    keyring.preload([id.clone()], 0).await;
    let messages = captured.messages();
    assert!(
        messages.contains(&"branch key refreshed".to_owned()),
        "{messages:?}"
    );
    assert!(
        messages.contains(&"branch key cache preloaded".to_owned()),
        "{messages:?}"
    );
    assert!(
        messages.contains(&"cache full: least recently used entry evicted".to_owned()),
        "a one-entry cache holds the encrypt or the decrypt entry, not both: {messages:?}"
    );

    // No key, plaintext or context value in any span or event.
    let text = captured.all_text();
    let branch_key = store.get_active_branch_key(&id).await.unwrap();
    for secret in [
        hex(first.data_key().unwrap().expose_secret()),
        hex(branch_key.branch_key().expose_secret()),
        BASE64.encode(branch_key.branch_key().expose_secret()),
        String::from_utf8_lossy(plaintext).into_owned(),
        "secret-tenant-value".to_owned(),
    ] {
        assert!(!text.contains(&secret), "{secret} in\n{text}");
    }
    assert!(text.len() > 500, "{text}");
}
