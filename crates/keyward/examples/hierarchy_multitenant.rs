//! Multitenancy with the hierarchical keyring, as in the official guide: one branch key per
//! tenant in one key store, and a branch key id supplier that picks the key from the `tenant`
//! entry of each message's encryption context.
//!
//! It runs against the local AWS services that `cargo xtask test` starts
//! (`KEYWARD_MOTO_ENDPOINT`); see `hierarchy_keystore.rs` for the key store itself.

#![expect(clippy::print_stdout, reason = "an example shows what it did")]
#![expect(
    clippy::expect_used,
    reason = "the local services are the example's setup"
)]

#[path = "support/local_aws.rs"]
mod local_aws;

use std::time::Duration;

use keyward::ErrorKind;
use keyward::hierarchy::{
    ContextKeySupplier, DynamoDbKeyStore, HierarchicalKeyring, KeyStoreAdmin as _, KmsConfiguration,
};
use keyward::kms::KmsCallCounter;
use keyward::{Client, EncryptionContext};

#[tokio::main]
async fn main() -> Result<(), keyward::Error> {
    let endpoint = local_aws::endpoint();
    let calls = KmsCallCounter::new();
    let kms = aws_sdk_kms::Client::from_conf(
        local_aws::kms_config(&endpoint)
            .interceptor(calls.clone())
            .build(),
    );
    let kms_key_arn = local_aws::create_kms_key(&kms).await;
    let table = format!("tenants-{}", &kms_key_arn[kms_key_arn.len() - 8..]);
    let store = DynamoDbKeyStore::builder(
        local_aws::dynamodb(&endpoint),
        kms,
        &table,
        "tenants",
        KmsConfiguration::KeyArn(kms_key_arn),
    )
    .build()?;
    store.create_key_store().await?;

    let acme = EncryptionContext::from([("tenant", "acme")]);
    let globex = EncryptionContext::from([("tenant", "globex")]);
    let acme_key = store
        .create_key(Some("acme-key"), &acme)
        .await?
        .branch_key_id;
    let globex_key = store
        .create_key(Some("globex-key"), &globex)
        .await?
        .branch_key_id;

    let supplier = ContextKeySupplier::new(
        "tenant",
        [("acme", acme_key.as_str()), ("globex", globex_key.as_str())],
    );
    let ttl = Duration::from_secs(600);
    let keyring = HierarchicalKeyring::builder(store.clone(), supplier, ttl).build()?;
    let client = Client::new(keyring);

    let before = calls.decrypt();
    let mut for_acme = Vec::new();
    for i in 0..100 {
        let record = format!("acme's record {i}");
        for_acme.push(client.encrypt(record.as_bytes(), &acme).await?);
    }
    let for_globex = client.encrypt(b"globex's record", &globex).await?;
    assert_eq!(
        client.decrypt(&for_globex).await?.plaintext(),
        b"globex's record"
    );
    // One KMS Decrypt per branch key fetched, not per message: each tenant's active key for
    // encrypting, and globex's version (a cache entry of its own) for decrypting.
    assert_eq!(calls.decrypt() - before, 3);

    // A keyring bound to acme's branch key cannot read globex's data.
    let acme_only = Client::new(HierarchicalKeyring::builder(store, &acme_key, ttl).build()?);
    assert_eq!(
        acme_only.decrypt(&for_acme[99]).await?.plaintext(),
        b"acme's record 99"
    );
    let refused = acme_only
        .decrypt(&for_globex)
        .await
        .expect_err("acme's keyring holds no key of globex's");
    assert_eq!(refused.kind(), ErrorKind::NoMatchingKey);
    println!(
        "101 messages for two tenants with {} KMS Decrypt calls; acme's keyring cannot read \
         globex's data ({refused})",
        calls.decrypt() - before
    );
    Ok(())
}
