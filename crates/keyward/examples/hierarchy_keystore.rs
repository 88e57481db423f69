//! The hierarchical keyring, as in the official guide: create the branch key store (a
//! DynamoDB table whose items are protected by a KMS key), create a branch key, encrypt and
//! decrypt with it, then rotate it.
//!
//! It runs against the local AWS services that `cargo xtask test` starts
//! (`KEYWARD_MOTO_ENDPOINT`). Against AWS, build both clients from the standard
//! configuration instead (`aws_config::load_from_env().await`) and give your KMS key's ARN.

#![expect(clippy::print_stdout, reason = "an example shows what it did")]

use std::time::Duration;

use aws_sdk_kms::config::{BehaviorVersion, Credentials, Region};
use keyward::hierarchy::{DynamoDbKeyStore, HierarchicalKeyring, KeyStore, KmsConfiguration};
use keyward::{Client, EncryptionContext};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    let endpoint = std::env::var("KEYWARD_MOTO_ENDPOINT")
        .map_err(|_| "set KEYWARD_MOTO_ENDPOINT to a local moto server (cargo xtask moto)")?;
    if !endpoint.starts_with("http://127.0.0.1:") {
        return Err(
            "this example creates a table and keys: it only talks to a local server".into(),
        );
    }
    let credentials = Credentials::new("example", "example", None, None, "example");
    let kms = aws_sdk_kms::Client::from_conf(
        aws_sdk_kms::Config::builder()
            .behavior_version(BehaviorVersion::latest())
            .region(Region::new("us-west-2"))
            .endpoint_url(&endpoint)
            .credentials_provider(credentials.clone())
            .build(),
    );
    let ddb = aws_sdk_dynamodb::Client::from_conf(
        aws_sdk_dynamodb::Config::builder()
            .behavior_version(BehaviorVersion::latest())
            .region(Region::new("us-west-2"))
            .endpoint_url(&endpoint)
            .credentials_provider(credentials)
            .build(),
    );
    let kms_key_arn = kms
        .create_key()
        .send()
        .await?
        .key_metadata()
        .and_then(|metadata| metadata.arn())
        .ok_or("no key ARN")?
        .to_owned();

    // 1. The key store: one table, one logical name, one KMS key.
    let table = format!("branch-keys-{}", &kms_key_arn[kms_key_arn.len() - 8..]);
    let store = DynamoDbKeyStore::builder(
        ddb,
        kms,
        &table,
        "example-key-store",
        KmsConfiguration::KeyArn(kms_key_arn),
    )
    .build()?;
    println!("key store table: {}", store.create_key_store().await?);

    // 2. A branch key.
    let branch_key_id = store.create_key(None, &EncryptionContext::new()).await?;
    println!("branch key: {branch_key_id}");

    // 3. The keyring: branch keys are cached for 10 minutes, so KMS is called once per branch
    //    key and TTL, not per message.
    let keyring = HierarchicalKeyring::builder(store.clone(), Duration::from_secs(600))
        .branch_key_id(&branch_key_id)
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
