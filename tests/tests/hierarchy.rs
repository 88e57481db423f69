//! The hierarchical keyring over the DynamoDB branch key store, against moto server (KMS +
//! DynamoDB, started by `cargo xtask test`): KMS and DynamoDB calls counted at the clients.

#![cfg(feature = "moto")]
#![expect(clippy::unwrap_used, reason = "the fixture stops at the first failure")]

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use aws_sdk_dynamodb::types::AttributeValue;
use aws_sdk_kms::config::interceptors::BeforeTransmitInterceptorContextRef;
use aws_sdk_kms::config::{ConfigBag, Intercept, RuntimeComponents};
use aws_sdk_kms::error::BoxError;
use keyward::cache::{ManualClock, StormSettings, StormTrackingCache};
use keyward::hierarchy::{
    ContextKeySupplier, DynamoDbKeyStore, Error, HierarchicalKeyring, KeyStore, KeyStoreAdmin,
    KmsConfiguration,
};
use keyward::kms::KmsCallCounter;
use keyward::materials::DefaultMaterialsManager;
use keyward::{AlgorithmSuite, Client, EncryptionContext};
use keyward_tests::moto::{create_key, ddb_client, kms_client};

const REGION: &str = "us-west-2";
const TTL: Duration = Duration::from_secs(600);

/// Fails every request while switched on: the service is unreachable for this client.
#[derive(Debug, Clone, Default)]
struct Outage(Arc<AtomicBool>);

impl Intercept for Outage {
    fn name(&self) -> &'static str {
        "Outage"
    }

    fn read_before_transmit(
        &self,
        _context: &BeforeTransmitInterceptorContextRef<'_>,
        _runtime_components: &RuntimeComponents,
        _cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        if self.0.load(Ordering::SeqCst) {
            return Err("service unavailable (test outage)".into());
        }
        Ok(())
    }
}

struct Fixture {
    store: DynamoDbKeyStore,
    kms_calls: KmsCallCounter,
    ddb_calls: KmsCallCounter,
    kms: aws_sdk_kms::Client,
    ddb: aws_sdk_dynamodb::Client,
    arn: String,
    table: String,
    outage: Outage,
}

async fn fixture(name: &str) -> Fixture {
    let kms_calls = KmsCallCounter::new();
    let ddb_calls = KmsCallCounter::new();
    let outage = Outage::default();
    let kms = aws_sdk_kms::Client::from_conf(
        kms_client(REGION, &kms_calls)
            .config()
            .to_builder()
            .interceptor(outage.clone())
            .build(),
    );
    let ddb = aws_sdk_dynamodb::Client::from_conf(
        ddb_client(REGION, &ddb_calls)
            .config()
            .to_builder()
            .interceptor(outage.clone())
            .build(),
    );
    let arn = create_key(&kms).await;
    let table = format!("keyward-{name}-{}", &arn[arn.len() - 12..]);
    let store = DynamoDbKeyStore::builder(
        ddb.clone(),
        kms.clone(),
        &table,
        "keyward-tests",
        KmsConfiguration::KeyArn(arn.clone()),
    )
    .build()
    .unwrap();
    let table_arn = store.create_key_store().await.unwrap();
    assert!(table_arn.ends_with(&table), "{table_arn}");
    Fixture {
        store,
        kms_calls,
        ddb_calls,
        kms,
        ddb,
        arn,
        table,
        outage,
    }
}

fn client(keyring: HierarchicalKeyring) -> Client {
    Client::builder(DefaultMaterialsManager::new(keyring))
        .suite(AlgorithmSuite::Aes256GcmHkdfSha512Commit)
        .build()
}

fn context(tenant: &str) -> EncryptionContext {
    EncryptionContext::from([("tenant", tenant)])
}

/// The default branch-key cache, on a manual clock.
fn storm_cache(clock: &Arc<ManualClock>) -> StormTrackingCache {
    StormTrackingCache::builder(StormSettings::new(1000))
        .clock(clock.clone())
        .build()
        .unwrap()
}

#[tokio::test]
async fn ten_thousand_encrypts_cost_one_kms_decrypt_and_decrypting_them_one_more() {
    let f = fixture("count").await;
    let id = f
        .store
        .create_key(None, &EncryptionContext::new())
        .await
        .unwrap();
    let keyring = HierarchicalKeyring::builder(f.store.clone(), &id, TTL)
        .build()
        .unwrap();
    let client = client(keyring);
    let (kms_before, ddb_before) = (f.kms_calls.decrypt(), f.ddb_calls.total());
    let plaintext = vec![0x42; 1024];
    let mut messages = Vec::with_capacity(10_000);
    for _ in 0..10_000 {
        messages.push(client.encrypt(&plaintext, &context("a")).await.unwrap());
    }
    assert_eq!(
        f.kms_calls.decrypt() - kms_before,
        1,
        "one KMS Decrypt for the branch key"
    );
    assert_eq!(f.ddb_calls.total() - ddb_before, 1, "one GetItem");
    for message in &messages {
        assert_eq!(
            client.decrypt(message).await.unwrap().plaintext(),
            plaintext
        );
    }
    assert_eq!(
        f.kms_calls.decrypt() - kms_before,
        2,
        "one more for the version"
    );
    assert_eq!(f.kms_calls.generate_data_key() + f.kms_calls.encrypt(), 0);
}

#[tokio::test]
async fn rotation_after_the_ttl_and_a_second_keyring_over_the_same_table() {
    let f = fixture("rotate").await;
    let id = f
        .store
        .create_key(None, &EncryptionContext::new())
        .await
        .unwrap();
    let clock = Arc::new(ManualClock::new());
    let keyring = HierarchicalKeyring::builder(f.store.clone(), &id, TTL)
        .cache(storm_cache(&clock))
        .build()
        .unwrap();
    let client = client(keyring);
    let version_of = |message: &[u8]| {
        let (header, _) = keyward::format::Header::from_bytes(message, None).unwrap();
        header.encrypted_data_keys()[0].ciphertext()[28..44].to_vec()
    };
    let first = client.encrypt(b"v1", &context("a")).await.unwrap();
    f.store.version_key(&id).await.unwrap();
    let still_first = client.encrypt(b"v1 again", &context("a")).await.unwrap();
    assert_eq!(version_of(&first), version_of(&still_first));
    clock.advance(TTL + Duration::from_secs(1));
    let second = client.encrypt(b"v2", &context("a")).await.unwrap();
    assert_ne!(version_of(&first), version_of(&second));
    let active = f.store.get_active_branch_key(&id).await.unwrap();
    assert_eq!(
        version_of(&second),
        active
            .branch_key_version()
            .replace('-', "")
            .as_bytes()
            .chunks(2)
            .map(|pair| u8::from_str_radix(std::str::from_utf8(pair).unwrap(), 16).unwrap())
            .collect::<Vec<_>>()
    );

    // Another keyring over another store object on the same table decrypts everything.
    let other_store = DynamoDbKeyStore::builder(
        f.ddb.clone(),
        f.kms.clone(),
        &f.table,
        "keyward-tests",
        KmsConfiguration::KeyArn(f.arn.clone()),
    )
    .build()
    .unwrap();
    let other = self::client(
        HierarchicalKeyring::builder(other_store, &id, TTL)
            .build()
            .unwrap(),
    );
    for (message, plaintext) in [
        (&first, &b"v1"[..]),
        (&still_first, b"v1 again"),
        (&second, b"v2"),
    ] {
        assert_eq!(other.decrypt(message).await.unwrap().plaintext(), plaintext);
        assert_eq!(
            client.decrypt(message).await.unwrap().plaintext(),
            plaintext
        );
    }
}

#[tokio::test]
async fn tenants_through_a_supplier_are_isolated() {
    let f = fixture("tenants").await;
    let a = f
        .store
        .create_key(Some("tenant-a"), &context("a"))
        .await
        .unwrap();
    let b = f
        .store
        .create_key(Some("tenant-b"), &context("b"))
        .await
        .unwrap();
    assert_eq!(a, "tenant-a");
    let supplier = ContextKeySupplier::new("tenant", [("a", "tenant-a"), ("b", "tenant-b")]);
    let shared = client(
        HierarchicalKeyring::builder(f.store.clone(), supplier, TTL)
            .build()
            .unwrap(),
    );
    let for_a = shared.encrypt(b"A's data", &context("a")).await.unwrap();
    let for_b = shared.encrypt(b"B's data", &context("b")).await.unwrap();
    assert_eq!(
        shared.decrypt(&for_b).await.unwrap().plaintext(),
        b"B's data"
    );

    let only_a = client(
        HierarchicalKeyring::builder(f.store.clone(), &a, TTL)
            .build()
            .unwrap(),
    );
    assert_eq!(
        only_a.decrypt(&for_a).await.unwrap().plaintext(),
        b"A's data"
    );
    assert!(
        only_a.decrypt(&for_b).await.is_err(),
        "A's keyring decrypts B's data"
    );
    // The branch key carries its tenant's custom context.
    let branch = f.store.get_active_branch_key(&b).await.unwrap();
    assert_eq!(branch.encryption_context(), &context("b"));
    let beacon = f.store.get_beacon_key(&b).await.unwrap();
    assert_eq!(beacon.beacon_key.len(), 32);
    // A custom id needs a context; ids are unique.
    assert!(
        f.store
            .create_key(Some("tenant-c"), &EncryptionContext::new())
            .await
            .is_err()
    );
    assert!(
        f.store
            .create_key(Some("tenant-a"), &context("a"))
            .await
            .is_err()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_thousand_concurrent_encrypts_in_the_grace_period_refresh_once() {
    let f = fixture("storm").await;
    let id = f
        .store
        .create_key(None, &EncryptionContext::new())
        .await
        .unwrap();
    let clock = Arc::new(ManualClock::new());
    let ttl = Duration::from_secs(60);
    let client = Arc::new(client(
        HierarchicalKeyring::builder(f.store.clone(), &id, ttl)
            .cache(storm_cache(&clock))
            .build()
            .unwrap(),
    ));
    client.encrypt(b"warm", &context("a")).await.unwrap();
    let (kms, ddb) = (f.kms_calls.decrypt(), f.ddb_calls.total());
    // 55 s: inside the 10 s grace period before the 60 s expiry.
    clock.advance(Duration::from_secs(55));
    let tasks: Vec<_> = (0..1000)
        .map(|_| {
            let client = client.clone();
            tokio::spawn(async move { client.encrypt(b"storm", &context("a")).await })
        })
        .collect();
    for task in tasks {
        task.await.unwrap().unwrap();
    }
    assert_eq!(
        f.kms_calls.decrypt() - kms,
        1,
        "one KMS Decrypt per grace interval"
    );
    assert_eq!(
        f.ddb_calls.total() - ddb,
        1,
        "one GetItem per grace interval"
    );
}

#[tokio::test]
async fn outages_give_typed_errors_cached_keys_serve_and_the_keyring_recovers() {
    let f = fixture("outage").await;
    let id = f
        .store
        .create_key(None, &EncryptionContext::new())
        .await
        .unwrap();
    let clock = Arc::new(ManualClock::new());
    let client = client(
        HierarchicalKeyring::builder(f.store.clone(), &id, TTL)
            .cache(storm_cache(&clock))
            .build()
            .unwrap(),
    );
    let before = client.encrypt(b"before", &context("a")).await.unwrap();
    f.outage.0.store(true, Ordering::SeqCst);
    // The cached branch key keeps serving encryption within the TTL.
    for _ in 0..10 {
        clock.advance(Duration::from_secs(50));
        client.encrypt(b"during", &context("a")).await.unwrap();
    }
    // Decryption needs the version, never fetched: DynamoDB is unreachable.
    let error = client.decrypt(&before).await.unwrap_err();
    assert_eq!(error.kind(), keyward::ErrorKind::Unavailable, "{error}");
    assert!(
        find(&error).is_some_and(|e| matches!(
            e,
            Error::DynamoDb {
                operation: "GetItem",
                ..
            }
        )),
        "{error:?}"
    );
    // Past the TTL encryption fails the same way.
    clock.advance(Duration::from_secs(101));
    let error = client.encrypt(b"after", &context("a")).await.unwrap_err();
    assert_eq!(error.kind(), keyward::ErrorKind::Unavailable, "{error}");
    assert!(
        find(&error).is_some_and(|e| matches!(e, Error::DynamoDb { .. })),
        "{error:?}"
    );
    // The services return: the keyring recovers (after the grace interval of the failed fetch).
    f.outage.0.store(false, Ordering::SeqCst);
    clock.advance(Duration::from_secs(2));
    client.encrypt(b"after", &context("a")).await.unwrap();
    assert_eq!(
        client.decrypt(&before).await.unwrap().plaintext(),
        b"before"
    );
}

fn find(error: &keyward::Error) -> Option<&Error> {
    keyward_tests::errors::keyring_error::<Error>(error)
}

/// The items as the specification lays them out, and their KMS encryption contexts, checked
/// independently of the key store: each `enc` decrypts with KMS under a context built here
/// from the item's attributes plus `tablename`.
#[tokio::test]
async fn items_and_kms_contexts_have_the_official_layout() {
    let f = fixture("items").await;
    let id = f
        .store
        .create_key(Some("layout"), &context("acme"))
        .await
        .unwrap();
    f.store.version_key(&id).await.unwrap();
    let items = f
        .ddb
        .query()
        .table_name(&f.table)
        .key_condition_expression("#id = :id")
        .expression_attribute_names("#id", "branch-key-id")
        .expression_attribute_values(":id", AttributeValue::S(id.clone()))
        .send()
        .await
        .unwrap()
        .items
        .unwrap();
    assert_eq!(items.len(), 4, "two versions, the active item, the beacon");
    let mut types: Vec<String> = Vec::new();
    for item in &items {
        let text = |name: &str| item.get(name).and_then(|v| v.as_s().ok()).cloned();
        let kind = text("type").unwrap();
        types.push(kind.split(':').take(2).collect::<Vec<_>>().join(":"));
        assert_eq!(item["hierarchy-version"], AttributeValue::N("1".to_owned()));
        assert_eq!(text("kms-arn").unwrap(), f.arn);
        assert_eq!(text("aws-crypto-ec:tenant").as_deref(), Some("acme"));
        assert!(!item.contains_key("tablename"));
        let created = text("create-time").unwrap();
        assert_eq!(created.len(), 27, "{created}");
        assert!(
            created.ends_with('Z') && created.as_bytes()[10] == b'T',
            "{created}"
        );
        assert_eq!(item.contains_key("version"), kind == "branch:ACTIVE");
        let mut kms_context: HashMap<String, String> = item
            .iter()
            .filter(|(name, _)| name.as_str() != "enc")
            .map(|(name, value)| {
                let value = match value {
                    AttributeValue::S(s) | AttributeValue::N(s) => s.clone(),
                    other => panic!("{name}: {other:?}"),
                };
                (name.clone(), value)
            })
            .collect();
        kms_context.insert("tablename".to_owned(), "keyward-tests".to_owned());
        let enc = item["enc"].as_b().unwrap().clone();
        let plaintext = f
            .kms
            .decrypt()
            .key_id(&f.arn)
            .ciphertext_blob(enc)
            .set_encryption_context(Some(kms_context))
            .send()
            .await
            .unwrap()
            .plaintext
            .unwrap();
        assert_eq!(plaintext.as_ref().len(), 32);
    }
    types.sort();
    assert_eq!(
        types,
        [
            "beacon:ACTIVE",
            "branch:ACTIVE",
            "branch:version",
            "branch:version"
        ]
    );
}

/// A branch key written here by hand, as another implementation would write it (items and
/// KMS contexts from the specification), is read by the keyward store.
#[tokio::test]
async fn a_branch_key_written_by_another_implementation_is_read() {
    let f = fixture("foreign").await;
    let id = "written-elsewhere";
    let version = "0b5e5bf1-5f3c-4a26-8c0a-1b9d3a7e2c11";
    let mut decrypt_only = HashMap::from([
        ("branch-key-id".to_owned(), id.to_owned()),
        ("type".to_owned(), format!("branch:version:{version}")),
        (
            "create-time".to_owned(),
            "2024-01-02T03:04:05.000006Z".to_owned(),
        ),
        ("kms-arn".to_owned(), f.arn.clone()),
        ("hierarchy-version".to_owned(), "1".to_owned()),
        ("tablename".to_owned(), "keyward-tests".to_owned()),
        ("aws-crypto-ec:app".to_owned(), "elsewhere".to_owned()),
    ]);
    let generated = f
        .kms
        .generate_data_key()
        .key_id(&f.arn)
        .number_of_bytes(32)
        .set_encryption_context(Some(decrypt_only.clone()))
        .send()
        .await
        .unwrap();
    let branch_key = generated.plaintext.unwrap();
    let version_enc = generated.ciphertext_blob.unwrap();
    let mut active = decrypt_only.clone();
    active.insert("type".to_owned(), "branch:ACTIVE".to_owned());
    active.insert("version".to_owned(), format!("branch:version:{version}"));
    let active_enc = f
        .kms
        .encrypt()
        .key_id(&f.arn)
        .plaintext(branch_key.clone())
        .set_encryption_context(Some(active.clone()))
        .send()
        .await
        .unwrap()
        .ciphertext_blob
        .unwrap();
    for (context, enc) in [(&mut decrypt_only, version_enc), (&mut active, active_enc)] {
        context.remove("tablename");
        let mut item: HashMap<String, AttributeValue> = context
            .iter()
            .map(|(k, v)| {
                let value = if k == "hierarchy-version" {
                    AttributeValue::N(v.clone())
                } else {
                    AttributeValue::S(v.clone())
                };
                (k.clone(), value)
            })
            .collect();
        item.insert("enc".to_owned(), AttributeValue::B(enc));
        f.ddb
            .put_item()
            .table_name(&f.table)
            .set_item(Some(item))
            .send()
            .await
            .unwrap();
    }
    let read = f.store.get_active_branch_key(id).await.unwrap();
    assert_eq!(read.branch_key_version(), version);
    assert_eq!(read.branch_key().expose_secret(), branch_key.as_ref());
    assert_eq!(
        read.encryption_context(),
        &EncryptionContext::from([("app", "elsewhere")])
    );
    let by_version = f.store.get_branch_key_version(id, version).await.unwrap();
    assert_eq!(by_version.branch_key().expose_secret(), branch_key.as_ref());
    // And the keyward keyring encrypts and decrypts with it.
    let client = client(
        HierarchicalKeyring::builder(f.store.clone(), id, TTL)
            .build()
            .unwrap(),
    );
    let message = client.encrypt(b"interop", &context("a")).await.unwrap();
    assert_eq!(
        client.decrypt(&message).await.unwrap().plaintext(),
        b"interop"
    );
}

#[tokio::test]
async fn discovery_stores_read_but_never_write_and_tables_are_checked() {
    let f = fixture("discovery").await;
    let id = f
        .store
        .create_key(None, &EncryptionContext::new())
        .await
        .unwrap();
    for configuration in [
        KmsConfiguration::Discovery,
        KmsConfiguration::MrkDiscovery {
            region: REGION.to_owned(),
        },
        KmsConfiguration::MrkKeyArn(f.arn.clone()),
    ] {
        let store = DynamoDbKeyStore::builder(
            f.ddb.clone(),
            f.kms.clone(),
            &f.table,
            "keyward-tests",
            configuration.clone(),
        )
        .build()
        .unwrap();
        let key = store.get_active_branch_key(&id).await.unwrap();
        assert_eq!(key.branch_key_identifier(), id);
        let writable = matches!(configuration, KmsConfiguration::MrkKeyArn(_));
        assert_eq!(
            store
                .create_key(None, &EncryptionContext::new())
                .await
                .is_ok(),
            writable,
            "{configuration:?}"
        );
    }
    // Another KMS key: the stored ARN does not match.
    let other = create_key(&f.kms).await;
    let store = DynamoDbKeyStore::builder(
        f.ddb.clone(),
        f.kms.clone(),
        &f.table,
        "keyward-tests",
        KmsConfiguration::KeyArn(other),
    )
    .build()
    .unwrap();
    assert!(matches!(
        store.get_active_branch_key(&id).await,
        Err(Error::KmsKeyMismatch { .. })
    ));
    // Another logical name: KMS refuses, since the name is bound into every context.
    let renamed = DynamoDbKeyStore::builder(
        f.ddb.clone(),
        f.kms.clone(),
        &f.table,
        "another-name",
        KmsConfiguration::KeyArn(f.arn.clone()),
    )
    .build()
    .unwrap();
    assert!(matches!(
        renamed.get_active_branch_key(&id).await,
        Err(Error::Kms(keyward::kms::Error::Kms {
            operation: keyward::kms::KmsOperation::Decrypt,
            ..
        }))
    ));
    assert!(matches!(
        f.store.get_active_branch_key("no-such-key").await,
        Err(Error::BranchKeyNotFound { .. })
    ));
    // The table exists with the right schema: creating the store again only checks it.
    f.store.create_key_store().await.unwrap();
    f.ddb
        .create_table()
        .table_name(format!("{}-wrong", f.table))
        .attribute_definitions(
            aws_sdk_dynamodb::types::AttributeDefinition::builder()
                .attribute_name("pk")
                .attribute_type(aws_sdk_dynamodb::types::ScalarAttributeType::S)
                .build()
                .unwrap(),
        )
        .key_schema(
            aws_sdk_dynamodb::types::KeySchemaElement::builder()
                .attribute_name("pk")
                .key_type(aws_sdk_dynamodb::types::KeyType::Hash)
                .build()
                .unwrap(),
        )
        .billing_mode(aws_sdk_dynamodb::types::BillingMode::PayPerRequest)
        .send()
        .await
        .unwrap();
    let wrong = DynamoDbKeyStore::builder(
        f.ddb.clone(),
        f.kms.clone(),
        format!("{}-wrong", f.table),
        "keyward-tests",
        KmsConfiguration::KeyArn(f.arn.clone()),
    )
    .build()
    .unwrap();
    assert!(matches!(
        wrong.create_key_store().await,
        Err(Error::InvalidConfiguration(_))
    ));
}
