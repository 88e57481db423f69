//! The AWS KMS RSA keyring: anyone with the KMS key's public key encrypts, offline; only
//! principals allowed to call KMS `Decrypt` on the key decrypt.
//!
//! It runs against the local KMS that `cargo xtask test` starts (`KEYWARD_MOTO_ENDPOINT`).
//! Against AWS, build the client from the standard configuration instead, and take the public
//! key from `aws kms get-public-key` (or let `fetch_public_key` ask KMS for it).

#![expect(clippy::print_stdout, reason = "an example shows what it did")]
#![expect(
    clippy::expect_used,
    reason = "the local services are the example's setup"
)]

#[path = "support/local_aws.rs"]
mod local_aws;

use aws_sdk_kms::types::{KeySpec, KeyUsageType};
use keyward::kms::{KmsCallCounter, KmsRsaAlgorithm, KmsRsaKeyring};
use keyward::materials::DefaultMaterialsManager;
use keyward::{AlgorithmSuite, Client, EncryptionContext};

#[tokio::main]
async fn main() -> Result<(), keyward::Error> {
    let calls = KmsCallCounter::new();
    let kms = aws_sdk_kms::Client::from_conf(
        local_aws::kms_config(&local_aws::endpoint())
            .interceptor(calls.clone())
            .build(),
    );
    let (key_arn, public_key) =
        local_aws::create_asymmetric_key(&kms, KeySpec::Rsa2048, KeyUsageType::EncryptDecrypt)
            .await;
    let before = calls.total();

    // The writer holds the public key only: no KMS client, no KMS call. The RSA keyring binds
    // the encryption context by a digest inside the encrypted data key, and refuses the
    // signing suites (the public key could sign for anyone): choose an unsigned suite.
    let writer = KmsRsaKeyring::builder(&key_arn, KmsRsaAlgorithm::RsaesOaepSha256)
        .public_key_der(&public_key)
        .build()?;
    let suite = AlgorithmSuite::Aes256GcmHkdfSha512Commit;
    let encryptor = Client::builder(DefaultMaterialsManager::new(writer))
        .suite(suite)
        .build();
    let context = EncryptionContext::from([("department", "payroll")]);
    let message = encryptor.encrypt(b"salary report", &context).await?;
    assert_eq!(calls.total(), before, "encrypting made no KMS call");
    println!(
        "encrypted {} bytes with the public key alone",
        message.len()
    );

    // The reader holds a KMS client: one Decrypt call per message.
    let reader = KmsRsaKeyring::builder(&key_arn, KmsRsaAlgorithm::RsaesOaepSha256)
        .client(kms)
        .build()?;
    let decryptor = Client::builder(DefaultMaterialsManager::new(reader))
        .suite(suite)
        .build();
    let decrypted = decryptor.decrypt(&message).await?;
    assert_eq!(decrypted.plaintext(), b"salary report");
    assert_eq!(calls.decrypt(), 1);
    println!(
        "decrypted with one KMS Decrypt call: {:?}",
        String::from_utf8_lossy(decrypted.plaintext())
    );
    Ok(())
}
