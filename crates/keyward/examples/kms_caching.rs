//! Data-key caching over AWS KMS: a KMS keyring under a caching manager that reuses each data
//! key for 100 messages, then decryption with a discovery keyring limited to one account.
//!
//! It runs against the local KMS that `cargo xtask test` starts (`KEYWARD_MOTO_ENDPOINT`).
//! Against AWS, build the client from the standard configuration instead:
//! `aws_sdk_kms::Client::new(&aws_config::load_from_env().await)`, and use your key's ARN.

#![expect(clippy::print_stdout, reason = "an example shows what it did")]

use std::time::Duration;

use aws_sdk_kms::config::{BehaviorVersion, Credentials, Region};
use keyward::cache::{CachingMaterialsManager, LocalCache};
use keyward::kms::{DiscoveryFilter, KmsCallCounter, KmsDiscoveryKeyring, KmsKeyring};
use keyward::{Client, EncryptionContext};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    let endpoint = std::env::var("KEYWARD_MOTO_ENDPOINT")
        .map_err(|_| "set KEYWARD_MOTO_ENDPOINT to a local KMS (cargo xtask moto starts one)")?;
    if !endpoint.starts_with("http://127.0.0.1:") {
        return Err("this example creates a key: it only talks to a local KMS".into());
    }
    // The counter is an SDK interceptor: every KMS call made through this client is counted.
    let calls = KmsCallCounter::new();
    let config = aws_sdk_kms::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("us-west-2"))
        .endpoint_url(endpoint)
        .credentials_provider(Credentials::new(
            "example", "example", None, None, "example",
        ))
        .interceptor(calls.clone())
        .build();
    let kms = aws_sdk_kms::Client::from_conf(config);
    let key = kms.create_key().send().await?;
    let key_arn = key
        .key_metadata()
        .and_then(|metadata| metadata.arn())
        .ok_or("no key ARN")?
        .to_owned();

    let keyring = KmsKeyring::new(kms.clone(), &key_arn)?;
    let manager = CachingMaterialsManager::with_keyring(
        keyring,
        LocalCache::new(10),
        Duration::from_secs(300),
    )
    .max_messages(100)
    .build()?;
    let client = Client::builder(manager).build();

    let context = EncryptionContext::from([("tenant", "acme")]);
    let mut messages = Vec::new();
    for i in 0..1000 {
        let record = format!("record {i}");
        messages.push(client.encrypt(record.as_bytes(), &context).await?);
    }
    println!(
        "1000 messages encrypted with {} GenerateDataKey calls",
        calls.generate_data_key()
    );
    assert_eq!(calls.generate_data_key(), 10);

    // Any KMS key of this account, whichever the message names.
    let account = key_arn.split(':').nth(4).ok_or("no account in the ARN")?;
    let discovery =
        KmsDiscoveryKeyring::new(kms).with_filter(DiscoveryFilter::new("aws", [account])?);
    let reader = Client::new(discovery);
    let decrypted = reader
        .decrypt_with_context(&messages[999], &context)
        .await?;
    assert_eq!(decrypted.plaintext(), b"record 999");
    println!(
        "decrypted with a discovery keyring for account {account}: {:?}",
        String::from_utf8_lossy(decrypted.plaintext())
    );
    Ok(())
}
