//! The hierarchical keyring at fleet scale, against the local moto server, with service
//! latency added by a delaying proxy on loopback: the p50 and p99 of one `Client::encrypt` of
//! 1 KiB (0x0478) for each of 1,000 tenants, for a cold cache (every tenant's first message: one `GetItem`
//! and one KMS `Decrypt`), a warm cache (no call), and no cache (both calls on every message),
//! with 0, 5 and 50 ms added to every DynamoDB and KMS request, in one run; and the calls each
//! path made.
//!
//! Not a criterion bench: the figures are latency percentiles over the tenants, printed as a
//! markdown table. `KEYWARD_MOTO_ENDPOINT=<url from cargo xtask moto> cargo bench -p
//! keyward-bench --bench fleet` (or `cargo xtask bench`, which starts moto and runs every bench).

#![expect(clippy::expect_used, reason = "a benchmark stops at its first failure")]
#![expect(clippy::print_stdout, reason = "the benchmark prints its table")]

use std::time::{Duration, Instant};

use aws_sdk_kms::config::{BehaviorVersion, Credentials, Region};
use keyward::cache::{NullCache, StormTrackingCache};
use keyward::hierarchy::{
    ContextKeySupplier, DynamoDbKeyStore, HierarchicalKeyring, KeyStoreAdmin as _, KmsConfiguration,
};
use keyward::kms::KmsCallCounter;
use keyward::materials::DefaultMaterialsManager;
use keyward::{AlgorithmSuite, Client, EncryptionContext};
use keyward_tests::moto::delaying_proxy;

const TENANTS: usize = 1000;
const REGION: &str = "us-west-2";

fn credentials() -> Credentials {
    Credentials::new("bench", "bench", None, None, "bench")
}

fn kms(endpoint: &str, counter: &KmsCallCounter) -> aws_sdk_kms::Client {
    aws_sdk_kms::Client::from_conf(
        aws_sdk_kms::Config::builder()
            .behavior_version(BehaviorVersion::latest())
            .region(Region::new(REGION))
            .endpoint_url(endpoint)
            .credentials_provider(credentials())
            .interceptor(counter.clone())
            .build(),
    )
}

fn ddb(endpoint: &str, counter: &KmsCallCounter) -> aws_sdk_dynamodb::Client {
    aws_sdk_dynamodb::Client::from_conf(
        aws_sdk_dynamodb::Config::builder()
            .behavior_version(BehaviorVersion::latest())
            .region(Region::new(REGION))
            .endpoint_url(endpoint)
            .credentials_provider(credentials())
            .interceptor(counter.clone())
            .build(),
    )
}

fn context(tenant: &str) -> EncryptionContext {
    EncryptionContext::from([("tenant", tenant)])
}

/// One encrypt per tenant, in order; each one's latency, sorted.
async fn encrypt_each(client: &Client, ids: &[String]) -> Vec<Duration> {
    let plaintext = vec![0x5a; 1024];
    let mut latencies = Vec::with_capacity(ids.len());
    for id in ids {
        let start = Instant::now();
        client
            .encrypt(&plaintext, &context(id))
            .await
            .expect("encrypt");
        latencies.push(start.elapsed());
    }
    latencies.sort();
    latencies
}

fn percentile(sorted: &[Duration], p: usize) -> String {
    let index = (sorted.len() * p / 100).min(sorted.len() - 1);
    format!("{:.2} ms", sorted[index].as_secs_f64() * 1e3)
}

fn main() {
    let endpoint = std::env::var("KEYWARD_MOTO_ENDPOINT")
        .expect("KEYWARD_MOTO_ENDPOINT: run this bench through `cargo xtask bench`");
    assert!(
        endpoint.starts_with("http://127.0.0.1:"),
        "not loopback: {endpoint}"
    );
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(run(endpoint));
}

async fn run(endpoint: String) {
    let setup = KmsCallCounter::new();
    let kms_setup = kms(&endpoint, &setup);
    let arn = kms_setup
        .create_key()
        .send()
        .await
        .expect("CreateKey")
        .key_metadata()
        .and_then(|metadata| metadata.arn())
        .expect("key ARN")
        .to_owned();
    let table = format!("keyward-fleet-bench-{}", &arn[arn.len() - 12..]);
    let store_over = |ddb: aws_sdk_dynamodb::Client, kms: aws_sdk_kms::Client| {
        DynamoDbKeyStore::builder(
            ddb,
            kms,
            &table,
            "keyward-bench",
            KmsConfiguration::KeyArn(arn.clone()),
        )
        .build()
        .expect("store")
    };
    let admin = store_over(ddb(&endpoint, &setup), kms_setup);
    admin.create_key_store().await.expect("table");
    let ids: Vec<String> = (0..TENANTS).map(|i| format!("tenant-{i:04}")).collect();
    for id in &ids {
        admin
            .create_key(Some(id), &context(id))
            .await
            .expect("branch key");
    }
    let upstream = endpoint
        .strip_prefix("http://")
        .expect("http endpoint")
        .to_owned();

    println!(
        "| added latency | path | p50 | p99 | GetItem | KMS Decrypt | messages |\n|---|---|---|---|---|---|---|"
    );
    for delay_ms in [0, 5, 50] {
        let proxied = delaying_proxy(upstream.clone(), Duration::from_millis(delay_ms)).await;
        let (kms_calls, ddb_calls) = (KmsCallCounter::new(), KmsCallCounter::new());
        let store = store_over(ddb(&proxied, &ddb_calls), kms(&proxied, &kms_calls));
        let supplier =
            || ContextKeySupplier::new("tenant", ids.iter().map(|id| (id.clone(), id.clone())));
        let cached =
            HierarchicalKeyring::builder(store.clone(), supplier(), Duration::from_secs(600))
                .cache(StormTrackingCache::new(2 * TENANTS))
                .build()
                .expect("keyring");
        let uncached = HierarchicalKeyring::builder(store, supplier(), Duration::from_secs(600))
            .cache(NullCache::new())
            .build()
            .expect("keyring");
        let client = |keyring: HierarchicalKeyring| {
            Client::builder(DefaultMaterialsManager::new(keyring))
                .suite(AlgorithmSuite::Aes256GcmHkdfSha512Commit)
                .build()
        };
        let cached = client(cached);
        let uncached = client(uncached);
        for (path, client) in [
            ("cold cache", &cached),
            ("warm cache", &cached),
            ("no cache", &uncached),
        ] {
            let (get_items, decrypts) = (ddb_calls.total(), kms_calls.decrypt());
            let latencies = encrypt_each(client, &ids).await;
            println!(
                "| {delay_ms} ms | {path} | {} | {} | {} | {} | {TENANTS} |",
                percentile(&latencies, 50),
                percentile(&latencies, 99),
                ddb_calls.total() - get_items,
                kms_calls.decrypt() - decrypts,
            );
        }
    }
}
