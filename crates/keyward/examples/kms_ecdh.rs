//! The AWS KMS ECDH keyring: two parties whose private keys stay in KMS (ECC keys of usage
//! `KEY_AGREEMENT`) exchange messages; a discovery keyring reads whatever was sent to a key;
//! a party with a local key (the raw ECDH keyring) talks to a KMS key.
//!
//! It runs against the local KMS that `cargo xtask test` starts (`KEYWARD_MOTO_ENDPOINT`).
//! Against AWS, build the client from the standard configuration instead.

#![expect(clippy::print_stdout, reason = "an example shows what it did")]
#![expect(
    clippy::expect_used,
    reason = "the local services are the example's setup"
)]

#[path = "support/local_aws.rs"]
mod local_aws;

use aws_sdk_kms::types::{KeySpec, KeyUsageType};
use keyward::kms::{KmsCallCounter, KmsEcdhKeyring};
use keyward::materials::{EcdhCurve, RawEcdhKeyring};
use keyward::{Client, EncryptionContext};

#[tokio::main]
async fn main() -> Result<(), keyward::Error> {
    let calls = KmsCallCounter::new();
    let kms = aws_sdk_kms::Client::from_conf(
        local_aws::kms_config(&local_aws::endpoint())
            .interceptor(calls.clone())
            .build(),
    );
    let curve = EcdhCurve::P256;
    let (alice, _) =
        local_aws::create_asymmetric_key(&kms, KeySpec::EccNistP256, KeyUsageType::KeyAgreement)
            .await;
    let (bob, bob_public) =
        local_aws::create_asymmetric_key(&kms, KeySpec::EccNistP256, KeyUsageType::KeyAgreement)
            .await;
    let context = EncryptionContext::from([("channel", "alice-to-bob")]);
    let (public_keys, derives) = (calls.get_public_key(), calls.derive_shared_secret());

    // Alice's private key is in KMS; Bob's public key is all she needs of him. Building the
    // keyring fetches Alice's public key (GetPublicKey); each message costs one
    // DeriveSharedSecret.
    let alice_to_bob = KmsEcdhKeyring::builder(kms.clone(), curve)
        .build_static(&alice, &bob_public)
        .await?;
    let message = Client::new(alice_to_bob.clone())
        .encrypt(b"meet at noon", &context)
        .await?;
    println!(
        "Alice encrypted: {} GetPublicKey, {} DeriveSharedSecret",
        calls.get_public_key() - public_keys,
        calls.derive_shared_secret() - derives
    );

    // Bob decrypts anything sent to his key, from any sender (KmsPublicKeyDiscovery).
    let bob_discovery = KmsEcdhKeyring::builder(kms.clone(), curve)
        .build_discovery(&bob)
        .await?;
    let decrypted = Client::new(bob_discovery.clone()).decrypt(&message).await?;
    assert_eq!(decrypted.plaintext(), b"meet at noon");
    // Alice reads her own message back.
    let own = Client::new(alice_to_bob).decrypt(&message).await?;
    assert_eq!(own.plaintext(), b"meet at noon");

    // Carol keeps her key locally (the raw ECDH keyring) and writes to Bob's KMS key.
    let carol = curve.generate_private_key()?;
    let carol_to_bob = RawEcdhKeyring::static_keys(curve, &carol, &bob_public)?;
    let from_carol = Client::new(carol_to_bob)
        .encrypt(b"from carol", &context)
        .await?;
    let decrypted = Client::new(bob_discovery).decrypt(&from_carol).await?;
    assert_eq!(decrypted.plaintext(), b"from carol");
    println!(
        "Bob decrypted both messages; {} DeriveSharedSecret calls in all",
        calls.derive_shared_secret() - derives
    );
    assert_eq!(calls.derive_shared_secret() - derives, 4);
    Ok(())
}
