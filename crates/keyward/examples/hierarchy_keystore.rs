//! The hierarchical keyring, as in the official guide: create the branch key store (a
//! DynamoDB table whose items are protected by a KMS key), create a branch key, encrypt and
//! decrypt with it, then rotate it.
//!
//! It runs against the local AWS services that `cargo xtask test` starts
//! (`KEYWARD_MOTO_ENDPOINT`). Against AWS, build both clients from the standard
//! configuration instead (`aws_config::load_from_env().await`) and give your KMS key's ARN.

#![expect(clippy::print_stdout, reason = "an example shows what it did")]
#![expect(
    clippy::expect_used,
    reason = "the local services are the example's setup"
)]

#[path = "support/local_aws.rs"]
mod local_aws;

use std::time::Duration;

use keyward::hierarchy::{
    DynamoDbKeyStore, HierarchicalKeyring, KeyStore as _, KeyStoreAdmin as _, KmsConfiguration,
};
use keyward::{Client, EncryptionContext};

#[tokio::main]
async fn main() -> Result<(), keyward::Error> {
    let endpoint = local_aws::endpoint();
    let kms = aws_sdk_kms::Client::from_conf(local_aws::kms_config(&endpoint).build());
    let kms_key_arn = local_aws::create_kms_key(&kms).await;

    // 1. The key store: one table, one logical name, one KMS key.
    let table = format!("branch-keys-{}", &kms_key_arn[kms_key_arn.len() - 8..]);
    let store = DynamoDbKeyStore::builder(
        local_aws::dynamodb(&endpoint),
        kms,
        &table,
        "example-key-store",
        KmsConfiguration::KeyArn(kms_key_arn),
    )
    .build()?;
    println!("key store table: {}", store.create_key_store().await?);

    // 2. A branch key.
    let branch_key_id = store
        .create_key(None, &EncryptionContext::new())
        .await?
        .branch_key_id;
    println!("branch key: {branch_key_id}");

    // 3. The keyring: branch keys are cached for 10 minutes, so KMS is called once per branch
    //    key and TTL, not per message.
    let keyring =
        HierarchicalKeyring::builder(store.clone(), &branch_key_id, Duration::from_secs(600))
            .build()?;
    let client = Client::new(keyring);
    let context = EncryptionContext::from([("purpose", "hierarchy example")]);
    let ciphertext = client
        .encrypt(b"protected by a branch key", &context)
        .await?;
    let decrypted = client.decrypt_with_context(&ciphertext, &context).await?;
    assert_eq!(decrypted.plaintext(), b"protected by a branch key");

    // 4. Rotation: a new version becomes active; messages under the old one still decrypt.
    let before = store.get_active_branch_key(&branch_key_id).await?;
    store.version_key(&branch_key_id).await?;
    let after = store.get_active_branch_key(&branch_key_id).await?;
    assert_ne!(before.branch_key_version(), after.branch_key_version());
    assert_eq!(
        client.decrypt(&ciphertext).await?.plaintext(),
        b"protected by a branch key"
    );
    println!(
        "rotated {} -> {}; the old message still decrypts",
        before.branch_key_version(),
        after.branch_key_version()
    );
    Ok(())
}
