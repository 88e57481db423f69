//! Data-key caching over AWS KMS: a KMS keyring under a caching manager that reuses each data
//! key for 100 messages, then decryption with a discovery keyring limited to one account.
//!
//! It runs against the local KMS that `cargo xtask test` starts (`KEYWARD_MOTO_ENDPOINT`).
//! Against AWS, build the client from the standard configuration instead:
//! `aws_sdk_kms::Client::new(&aws_config::load_from_env().await)`, and use your key's ARN.

#![expect(clippy::print_stdout, reason = "an example shows what it did")]
#![expect(
    clippy::expect_used,
    reason = "the local services are the example's setup"
)]

#[path = "support/local_aws.rs"]
mod local_aws;

use std::time::Duration;

use keyward::cache::{CachingMaterialsManager, LocalCache};
use keyward::kms::{DiscoveryFilter, KmsArn, KmsCallCounter, KmsDiscoveryKeyring, KmsKeyring};
use keyward::{Client, EncryptionContext};

#[tokio::main]
async fn main() -> Result<(), keyward::Error> {
    // The counter is an SDK interceptor: every KMS call made through this client is counted.
    let calls = KmsCallCounter::new();
    let config = local_aws::kms_config(&local_aws::endpoint())
        .interceptor(calls.clone())
        .build();
    let kms = aws_sdk_kms::Client::from_conf(config);
    let key_arn = local_aws::create_kms_key(&kms).await;

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
    let account = KmsArn::parse(&key_arn)?.account().to_owned();
    let discovery =
        KmsDiscoveryKeyring::new(kms).with_filter(DiscoveryFilter::new("aws", [&account])?);
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
