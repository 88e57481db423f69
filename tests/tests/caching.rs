//! Data-key caching through the `Client`, and the cache identifiers of the shipped SDKs.

use std::collections::HashSet;
use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use keyward::cache::{CachingMaterialsManager, LocalCache, cache_id};
use keyward::format::{AlgorithmSuite, EncryptedDataKey, Header};
use keyward::materials::{RawAesKeyring, WrappingKey};
use keyward::{Client, EncryptionContext};
use keyward_tests::vectors::default_root;
use serde_json::Value;

#[test]
fn legacy_cache_ids_match_the_shipped_sdks() {
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
    let mut checked = 0;
    for case in file["encrypt_ids"].as_array().unwrap() {
        let id = cache_id::legacy::encrypt_id(
            partition,
            suite(&case["algorithm_suite_id"]),
            &context(case["encryption_context"].as_str().unwrap()),
        );
        assert_eq!(BASE64.encode(id), case["id"].as_str().unwrap(), "{case}");
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
        let id = cache_id::legacy::decrypt_id(
            partition,
            suite(&case["algorithm_suite_id"]).unwrap(),
            &edks,
            &context(case["encryption_context"].as_str().unwrap()),
        );
        assert_eq!(BASE64.encode(id), case["id"].as_str().unwrap(), "{case}");
        checked += 1;
    }
    assert_eq!(checked, 6);
}

#[test]
fn current_ids_separate_operations_partitions_suites_and_contexts() {
    let context = EncryptionContext::from([("a", "b")]);
    let edk = EncryptedDataKey::new("p", b"i".to_vec(), b"c".to_vec()).unwrap();
    let suite = AlgorithmSuite::Aes256GcmHkdfSha512Commit;
    let ids = [
        cache_id::encrypt_id(b"p1", None, &context),
        cache_id::encrypt_id(b"p1", Some(suite), &context),
        cache_id::encrypt_id(b"p2", None, &context),
        cache_id::encrypt_id(b"p1", None, &EncryptionContext::new()),
        cache_id::decrypt_id(b"p1", suite, std::slice::from_ref(&edk), &context, None),
        cache_id::decrypt_id(
            b"p1",
            suite,
            std::slice::from_ref(&edk),
            &context,
            Some(&EncryptionContext::from([("x", "y")])),
        ),
        cache_id::decrypt_id(
            b"p1",
            AlgorithmSuite::Aes256GcmHkdfSha512CommitEcdsaP384,
            std::slice::from_ref(&edk),
            &context,
            None,
        ),
    ];
    let unique: HashSet<_> = ids.iter().map(|id| *id.as_bytes()).collect();
    assert_eq!(unique.len(), ids.len());
    assert_eq!(
        cache_id::encrypt_id(b"p1", None, &context),
        ids[0],
        "deterministic"
    );
    let twice = cache_id::decrypt_id(b"p1", suite, &[edk.clone(), edk.clone()], &context, None);
    assert_ne!(twice, ids[4]);
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
    assert_eq!(stats.underlying_calls, 20);
    // Streams of unknown length are never cached.
    let mut out = Vec::new();
    client
        .encrypt_stream(&b"stream"[..], &mut out, &context, None)
        .await
        .unwrap();
    assert_eq!(manager.stats().bypassed_unknown_length, 1);
}
