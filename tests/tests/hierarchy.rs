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
        .unwrap()
        .branch_key_id;
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
        .unwrap()
        .branch_key_id;
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
        .unwrap()
        .branch_key_id;
    let b = f
        .store
        .create_key(Some("tenant-b"), &context("b"))
        .await
        .unwrap()
        .branch_key_id;
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
        .unwrap()
        .branch_key_id;
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
        .unwrap()
        .branch_key_id;
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
        .unwrap()
        .branch_key_id;
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
        .unwrap()
        .branch_key_id;
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

/// The branch key version a message's first EDK names, as a UUID.
fn message_version(message: &[u8]) -> String {
    let (header, _) = keyward::format::Header::from_bytes(message, None).unwrap();
    let hex: String = header.encrypted_data_keys()[0].ciphertext()[28..44]
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

/// Records, per DynamoDB read request, whether it asked for a consistent read, and how many
/// requests were in flight at most.
#[derive(Debug, Clone, Default)]
struct Spy {
    reads: Arc<std::sync::Mutex<Vec<(String, bool)>>>,
    in_flight: Arc<std::sync::atomic::AtomicUsize>,
    max_in_flight: Arc<std::sync::atomic::AtomicUsize>,
}

impl Intercept for Spy {
    fn name(&self) -> &'static str {
        "Spy"
    }

    fn read_before_transmit(
        &self,
        context: &BeforeTransmitInterceptorContextRef<'_>,
        _runtime_components: &RuntimeComponents,
        _cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let now = self.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
        self.max_in_flight.fetch_max(now, Ordering::SeqCst);
        let request = context.request();
        let target = request
            .headers()
            .get("x-amz-target")
            .unwrap_or_default()
            .to_owned();
        if target.ends_with(".GetItem") || target.ends_with(".Query") {
            let body: serde_json::Value =
                serde_json::from_slice(request.body().bytes().unwrap_or_default()).unwrap();
            let consistent = body["ConsistentRead"] == true;
            self.reads.lock().unwrap().push((target, consistent));
        }
        Ok(())
    }

    fn read_before_deserialization(
        &self,
        _context: &aws_sdk_kms::config::interceptors::BeforeDeserializationInterceptorContextRef<
            '_,
        >,
        _runtime_components: &RuntimeComponents,
        _cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        self.in_flight.fetch_sub(1, Ordering::SeqCst);
        Ok(())
    }
}

impl Spy {
    fn reads(&self) -> Vec<(String, bool)> {
        std::mem::take(&mut self.reads.lock().unwrap())
    }
}

#[tokio::test(flavor = "current_thread")]
async fn consistent_reads_and_what_create_and_version_return_put_new_versions_to_use_at_once() {
    // Every DynamoDB and KMS request of the store runs in a span of its own.
    let captured = Arc::new(keyward_tests::capture::Captured::default());
    let _default = tracing::subscriber::set_default(captured.clone());
    let f = fixture("consistent").await;
    let spy = Spy::default();
    let ddb = aws_sdk_dynamodb::Client::from_conf(
        f.ddb.config().to_builder().interceptor(spy.clone()).build(),
    );
    let store = |consistent: bool| {
        DynamoDbKeyStore::builder(
            ddb.clone(),
            f.kms.clone(),
            &f.table,
            "keyward-tests",
            KmsConfiguration::KeyArn(f.arn.clone()),
        )
        .consistent_reads(consistent)
        .build()
        .unwrap()
    };
    let (eventual, consistent) = (store(false), store(true));

    let created = consistent
        .create_key(Some("fresh"), &context("fresh"))
        .await
        .unwrap();
    assert_eq!(created.branch_key_id, "fresh");
    let keyring = HierarchicalKeyring::builder(consistent.clone(), "fresh", TTL)
        .build()
        .unwrap();
    let client = client(keyring.clone());
    let first = client.encrypt(b"first", &context("fresh")).await.unwrap();
    assert_eq!(message_version(&first), created.version);

    let rotated = consistent.version_key("fresh").await.unwrap();
    assert_eq!(rotated.previous_version, created.version);
    assert_ne!(rotated.version, created.version);
    assert_eq!(keyring.refresh("fresh").await.unwrap(), rotated.version);
    let second = client.encrypt(b"second", &context("fresh")).await.unwrap();
    assert_eq!(message_version(&second), rotated.version);
    for (message, plaintext) in [(&first, &b"first"[..]), (&second, b"second")] {
        assert_eq!(
            client.decrypt(message).await.unwrap().plaintext(),
            plaintext
        );
    }
    // Every read of the consistent store asked for it; the default store's do not.
    let reads = spy.reads();
    assert!(reads.len() >= 3, "{reads:?}");
    assert!(reads.iter().all(|(_, consistent)| *consistent), "{reads:?}");
    eventual.get_active_branch_key("fresh").await.unwrap();
    eventual.get_branch_key_versions("fresh").await.unwrap();
    let reads = spy.reads();
    assert_eq!(reads.len(), 2, "{reads:?}");
    assert!(reads.iter().all(|(_, consistent)| !consistent), "{reads:?}");

    // The versions, newest first, from one Query, with their KMS key and context.
    let versions = consistent.get_branch_key_versions("fresh").await.unwrap();
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
    for version in &versions {
        assert_eq!(version.kms_key_arn.as_deref(), Some(f.arn.as_str()));
        assert_eq!(version.encryption_context, context("fresh"));
        assert!(
            version.create_time.ends_with('Z'),
            "{}",
            version.create_time
        );
    }
    assert_eq!(spy.reads(), [("DynamoDB_20120810.Query".to_owned(), true)]);
    let spans = captured.spans.lock().unwrap().clone();
    let seen = |name: &str, operation: &str| {
        spans
            .iter()
            .filter(|(span, fields)| {
                span == name && fields.contains(&format!("operation={operation}"))
            })
            .count()
    };
    assert!(seen("dynamodb", "\"GetItem\"") >= 3, "{spans:?}");
    assert!(seen("dynamodb", "\"Query\"") >= 2, "{spans:?}");
    assert!(seen("dynamodb", "\"TransactWriteItems\"") >= 2, "{spans:?}");
    assert!(
        seen("kms", "GenerateDataKeyWithoutPlaintext") >= 2,
        "{spans:?}"
    );
    assert!(seen("kms", "ReEncrypt") >= 3, "{spans:?}");
    assert!(seen("kms", "Decrypt") >= 2, "{spans:?}");
    let named = |name: &str| spans.iter().filter(|(span, _)| span == name).count();
    assert!(
        named("on_encrypt") >= 2 && named("on_decrypt") >= 2,
        "{spans:?}"
    );

    // Clear errors: an existing id, a missing key.
    let duplicate = consistent
        .create_key(Some("fresh"), &context("fresh"))
        .await
        .unwrap_err();
    assert!(
        matches!(&duplicate, Error::BranchKeyExists { id } if id == "fresh"),
        "{duplicate:?}"
    );
    let missing = consistent
        .get_branch_key_versions("nobody")
        .await
        .unwrap_err();
    assert!(
        matches!(missing, Error::BranchKeyNotFound { .. }),
        "{missing:?}"
    );
    assert!(matches!(
        consistent.version_key("nobody").await,
        Err(Error::BranchKeyNotFound { .. })
    ));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thousand_tenants_one_fetch_each_with_a_bounded_fan_out_and_a_warm_start() {
    const TENANTS: usize = 1000;
    let f = fixture("fleet").await;
    let ids: Vec<String> = (0..TENANTS).map(|i| format!("tenant-{i:04}")).collect();
    // One at a time: moto's DynamoDB does not take concurrent transactions.
    for id in &ids {
        f.store.create_key(Some(id), &context(id)).await.unwrap();
    }

    let spy = Spy::default();
    let ddb = aws_sdk_dynamodb::Client::from_conf(
        f.ddb.config().to_builder().interceptor(spy.clone()).build(),
    );
    let store = DynamoDbKeyStore::builder(
        ddb,
        f.kms.clone(),
        &f.table,
        "keyward-tests",
        KmsConfiguration::KeyArn(f.arn.clone()),
    )
    .build()
    .unwrap();
    let supplier =
        || ContextKeySupplier::new("tenant", ids.iter().map(|id| (id.clone(), id.clone())));
    // A storm-tracking cache fills at most `fan_out` entries at once and lets the other callers
    // wait up to its in-flight TTL: 1,000 cold tenants queue behind 8 fills, so the wait is
    // sized for a loaded moto (docs/caching.md: cold starts), and the fan-out matches the
    // keyring's fetch limit.
    let cold_start = || {
        StormTrackingCache::builder(
            StormSettings::new(2 * TENANTS)
                .fan_out(8)
                .grace_period(Duration::from_secs(120))
                .in_flight_ttl(Duration::from_secs(120)),
        )
        .build()
        .unwrap()
    };
    let keyring = HierarchicalKeyring::builder(store.clone(), supplier(), TTL)
        .cache(cold_start())
        .max_concurrent_fetches(8)
        .build()
        .unwrap();
    let shared = Arc::new(client(keyring));
    let (ddb_before, kms_before) = (f.ddb_calls.total(), f.kms_calls.decrypt());
    // Four messages per tenant at once, every tenant cold.
    let mut tasks = tokio::task::JoinSet::new();
    for round in 0..4 {
        for id in &ids {
            let (client, id) = (shared.clone(), id.clone());
            tasks.spawn(async move {
                let message = client
                    .encrypt(format!("{id} {round}").as_bytes(), &context(&id))
                    .await
                    .unwrap();
                (id, round, message)
            });
        }
    }
    let mut messages = Vec::with_capacity(4 * TENANTS);
    while let Some(done) = tasks.join_next().await {
        messages.push(done.unwrap());
    }
    assert_eq!(
        f.ddb_calls.total() - ddb_before,
        TENANTS as u64,
        "one GetItem per tenant"
    );
    assert_eq!(f.kms_calls.decrypt() - kms_before, TENANTS as u64);
    let max = spy.max_in_flight.load(Ordering::SeqCst);
    assert!(max <= 8, "at most 8 DynamoDB requests in flight, saw {max}");
    // Decrypting: one version read per tenant.
    for (id, round, message) in &messages {
        let decrypted = shared.decrypt(message).await.unwrap();
        assert_eq!(decrypted.plaintext(), format!("{id} {round}").as_bytes());
    }
    assert_eq!(f.ddb_calls.total() - ddb_before, 2 * TENANTS as u64);

    // A warm start: a new keyring pre-loads every tenant; then 1,000 encrypts and the
    // decryption of the 4,000 messages read nothing.
    let warm = HierarchicalKeyring::builder(store, supplier(), TTL)
        .cache(StormTrackingCache::new(2 * TENANTS))
        .max_concurrent_fetches(8)
        .build()
        .unwrap();
    let report = warm.preload(ids.iter().cloned(), 0).await;
    assert_eq!(report.branch_keys, TENANTS);
    assert!(report.failures.is_empty(), "{:?}", report.failures);
    let warm = client(warm);
    let (ddb_before, kms_before) = (f.ddb_calls.total(), f.kms_calls.decrypt());
    for id in &ids {
        warm.encrypt(b"warm", &context(id)).await.unwrap();
    }
    for (_, _, message) in &messages {
        warm.decrypt(message).await.unwrap();
    }
    assert_eq!(f.ddb_calls.total() - ddb_before, 0);
    assert_eq!(f.kms_calls.decrypt() - kms_before, 0);
}

/// Answers the first `remaining` attempts of every request with a throttling error, as
/// DynamoDB and KMS send it, before the SDK reads the response.
#[derive(Debug, Clone)]
struct Throttle {
    remaining: Arc<std::sync::atomic::AtomicU64>,
    throttled: Arc<std::sync::atomic::AtomicU64>,
    error_type: &'static str,
}

impl Throttle {
    fn new(attempts: u64, error_type: &'static str) -> Self {
        Self {
            remaining: Arc::new(attempts.into()),
            throttled: Arc::default(),
            error_type,
        }
    }

    fn throttled(&self) -> u64 {
        self.throttled.load(Ordering::SeqCst)
    }
}

impl Intercept for Throttle {
    fn name(&self) -> &'static str {
        "Throttle"
    }

    fn modify_before_deserialization(
        &self,
        context: &mut aws_sdk_kms::config::interceptors::BeforeDeserializationInterceptorContextMut<
            '_,
        >,
        _runtime_components: &RuntimeComponents,
        _cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let take = self
            .remaining
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1));
        if take.is_ok() {
            self.throttled.fetch_add(1, Ordering::SeqCst);
            let response = context.response_mut();
            *response.status_mut() = 400.try_into().unwrap();
            response
                .headers_mut()
                .insert("content-type", "application/x-amz-json-1.0");
            *response.body_mut() = format!(
                r#"{{"__type":"{}","message":"Rate exceeded (test)"}}"#,
                self.error_type
            )
            .into();
        }
        Ok(())
    }
}

#[tokio::test]
async fn throttling_is_retried_then_typed_and_cached_keys_serve_through_it() {
    use aws_sdk_kms::config::retry::RetryConfig;
    let f = fixture("throttle").await;
    let id = f
        .store
        .create_key(None, &EncryptionContext::new())
        .await
        .unwrap()
        .branch_key_id;
    // The SDK's standard retry mode, three attempts, short backoff for the test.
    let retry = RetryConfig::standard()
        .with_max_attempts(3)
        .with_initial_backoff(Duration::from_millis(5))
        .with_max_backoff(Duration::from_millis(20));
    let ddb_throttle = Throttle::new(0, "com.amazonaws.dynamodb.v20120810#ThrottlingException");
    let kms_throttle = Throttle::new(0, "ThrottlingException");
    let ddb = aws_sdk_dynamodb::Client::from_conf(
        f.ddb
            .config()
            .to_builder()
            .retry_config(retry.clone())
            .interceptor(ddb_throttle.clone())
            .build(),
    );
    let kms = aws_sdk_kms::Client::from_conf(
        f.kms
            .config()
            .to_builder()
            .retry_config(retry)
            .interceptor(kms_throttle.clone())
            .build(),
    );
    let store = DynamoDbKeyStore::builder(
        ddb,
        kms,
        &f.table,
        "keyward-tests",
        KmsConfiguration::KeyArn(f.arn.clone()),
    )
    .build()
    .unwrap();

    // Two throttled attempts of each service: retried, and the read succeeds.
    ddb_throttle.remaining.store(2, Ordering::SeqCst);
    kms_throttle.remaining.store(2, Ordering::SeqCst);
    store.get_active_branch_key(&id).await.unwrap();
    assert_eq!((ddb_throttle.throttled(), kms_throttle.throttled()), (2, 2));

    // Throttled past the retries: typed errors naming the throttling.
    ddb_throttle.remaining.store(u64::MAX, Ordering::SeqCst);
    let error = store.get_active_branch_key(&id).await.unwrap_err();
    assert!(
        matches!(&error, Error::DynamoDb { operation: "GetItem", kind, .. } if *kind == keyward::materials::ErrorKind::Unavailable),
        "{error:?}"
    );
    assert_eq!(error.service_error_code(), Some("ThrottlingException"));
    assert_eq!(ddb_throttle.throttled(), 2 + 3, "three attempts");
    ddb_throttle.remaining.store(0, Ordering::SeqCst);
    kms_throttle.remaining.store(u64::MAX, Ordering::SeqCst);
    let error = store.get_active_branch_key(&id).await.unwrap_err();
    assert_eq!(error.kind(), keyward::materials::ErrorKind::Unavailable);
    assert_eq!(error.service_error_code(), Some("ThrottlingException"));
    kms_throttle.remaining.store(0, Ordering::SeqCst);

    // A keyring whose refresh is throttled keeps serving its cached key within the TTL, and
    // fails typed once the TTL is over.
    let clock = Arc::new(ManualClock::new());
    let ttl = Duration::from_secs(60);
    let client = client(
        HierarchicalKeyring::builder(store, &id, ttl)
            .cache(storm_cache(&clock))
            .build()
            .unwrap(),
    );
    client.encrypt(b"warm", &context("a")).await.unwrap();
    ddb_throttle.remaining.store(u64::MAX, Ordering::SeqCst);
    clock.advance(Duration::from_secs(55));
    client
        .encrypt(b"in the grace period", &context("a"))
        .await
        .unwrap();
    clock.advance(Duration::from_secs(10));
    let error = client.encrypt(b"expired", &context("a")).await.unwrap_err();
    let inner = find(&error).unwrap_or_else(|| panic!("{error:?}"));
    assert_eq!(inner.service_error_code(), Some("ThrottlingException"));
    // Throttling ends: the keyring recovers after the grace interval of the failed fetch.
    ddb_throttle.remaining.store(0, Ordering::SeqCst);
    clock.advance(Duration::from_secs(2));
    client.encrypt(b"recovered", &context("a")).await.unwrap();
}

/// Counts the attempts of every request (retries included).
#[derive(Debug, Clone, Default)]
struct Attempts(Arc<std::sync::atomic::AtomicU64>);

impl Intercept for Attempts {
    fn name(&self) -> &'static str {
        "Attempts"
    }

    fn read_before_attempt(
        &self,
        _context: &BeforeTransmitInterceptorContextRef<'_>,
        _runtime_components: &RuntimeComponents,
        _cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        self.0.fetch_add(1, Ordering::SeqCst);
        Ok(())
    }
}

#[tokio::test]
async fn slow_answers_past_the_attempt_timeout_are_retried_then_fail_typed() {
    use aws_sdk_kms::config::retry::RetryConfig;
    use aws_sdk_kms::config::timeout::TimeoutConfig;
    let f = fixture("slow").await;
    let id = f
        .store
        .create_key(None, &EncryptionContext::new())
        .await
        .unwrap()
        .branch_key_id;
    // DynamoDB answers 300 ms late, through a delaying proxy on loopback.
    let upstream = keyward_tests::moto::endpoint()
        .strip_prefix("http://")
        .unwrap()
        .to_owned();
    let slow = keyward_tests::moto::delaying_proxy(upstream, Duration::from_millis(300)).await;
    let attempts = Attempts::default();
    let store = |attempt_timeout: Duration| {
        let ddb = aws_sdk_dynamodb::Client::from_conf(
            f.ddb
                .config()
                .to_builder()
                .endpoint_url(&slow)
                .retry_config(
                    RetryConfig::standard()
                        .with_max_attempts(3)
                        .with_initial_backoff(Duration::from_millis(5))
                        .with_max_backoff(Duration::from_millis(20)),
                )
                .timeout_config(
                    TimeoutConfig::builder()
                        .operation_attempt_timeout(attempt_timeout)
                        .build(),
                )
                .interceptor(attempts.clone())
                .build(),
        );
        DynamoDbKeyStore::builder(
            ddb,
            f.kms.clone(),
            &f.table,
            "keyward-tests",
            KmsConfiguration::KeyArn(f.arn.clone()),
        )
        .build()
        .unwrap()
    };
    // Within a 5 s attempt timeout the slow answer serves, in one attempt.
    let key = store(Duration::from_secs(5))
        .get_active_branch_key(&id)
        .await
        .unwrap();
    assert_eq!(key.branch_key_identifier(), id);
    assert_eq!(attempts.0.swap(0, Ordering::SeqCst), 1);
    // Past a 100 ms attempt timeout: three attempts, then a typed error of kind Unavailable
    // with no service error code (the service never answered in time).
    let error = store(Duration::from_millis(100))
        .get_active_branch_key(&id)
        .await
        .unwrap_err();
    assert!(
        matches!(&error, Error::DynamoDb { operation: "GetItem", kind, .. } if *kind == keyward::materials::ErrorKind::Unavailable),
        "{error:?}"
    );
    assert_eq!(error.service_error_code(), None);
    assert_eq!(attempts.0.load(Ordering::SeqCst), 3);
}
