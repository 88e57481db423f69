//! The AWS KMS RSA and AWS KMS ECDH keyrings against moto server (started by `cargo xtask
//! test`, whose launcher makes RSA `Decrypt` and `DeriveSharedSecret` use the keys' real
//! private material): every key size and algorithm, every curve and scheme, messages crossed
//! with the raw ECDH keyring, the calls each operation makes, and the failures.

#![cfg(feature = "moto")]

use std::collections::BTreeSet;

use aws_sdk_kms::types::{KeySpec, KeyUsageType};
use base64::Engine as _;
use keyward::format::AlgorithmSuite;
use keyward::kms::{
    KmsCallCounter, KmsEcdhKeyring, KmsOperation, KmsRsaAlgorithm, KmsRsaKeyring, RSA_PROVIDER_ID,
};
use keyward::materials::{
    CommitmentPolicy, DecryptionMaterials, DefaultMaterialsManager, EcdhCurve, EncryptionMaterials,
    ErrorKind, Keyring, MultiKeyring, RawAesKeyring, RawEcdhKeyring, WrappingKey,
};
use keyward::{Client, EncryptionContext};
use keyward_tests::moto::{create_asymmetric_key, create_key, kms_client};

const REGION: &str = "us-west-2";
/// The committing suite without signatures: the RSA keyring refuses the signing ones.
const UNSIGNED: AlgorithmSuite = AlgorithmSuite::Aes256GcmHkdfSha512Commit;

fn context() -> EncryptionContext {
    EncryptionContext::from([("tenant", "acme"), ("purpose", "asymmetric kms tests")])
}

/// A client writing `suite`, with the commitment policy that allows it.
fn client_for(keyring: impl Keyring + 'static, suite: AlgorithmSuite) -> Client {
    let policy = if suite.is_committing() {
        CommitmentPolicy::RequireEncryptRequireDecrypt
    } else {
        CommitmentPolicy::ForbidEncryptAllowDecrypt
    };
    Client::builder(DefaultMaterialsManager::new(keyring))
        .commitment_policy(policy)
        .suite(suite)
        .build()
}

fn pem(der: &[u8]) -> String {
    let body = base64::engine::general_purpose::STANDARD.encode(der);
    let lines: Vec<String> = body
        .as_bytes()
        .chunks(64)
        .map(|chunk| String::from_utf8_lossy(chunk).into_owned())
        .collect();
    format!(
        "-----BEGIN PUBLIC KEY-----\n{}\n-----END PUBLIC KEY-----\n",
        lines.join("\n")
    )
}

fn kms_error(error: &keyward::materials::Error) -> &keyward::kms::Error {
    keyward_tests::errors::materials_keyring_error(error)
        .unwrap_or_else(|| panic!("not a KMS keyring error: {error:?}"))
}

fn curve_spec(curve: EcdhCurve) -> KeySpec {
    match curve {
        EcdhCurve::P256 => KeySpec::EccNistP256,
        EcdhCurve::P384 => KeySpec::EccNistP384,
        _ => KeySpec::EccNistP521,
    }
}

const CURVES: [EcdhCurve; 3] = [EcdhCurve::P256, EcdhCurve::P384, EcdhCurve::P521];

// ---------------------------------------------------------------------------------------------
// AWS KMS RSA
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn rsa_every_key_size_and_algorithm_encrypts_locally_and_decrypts_with_kms() {
    let counter = KmsCallCounter::new();
    let kms = kms_client(REGION, &counter);
    for spec in [KeySpec::Rsa2048, KeySpec::Rsa3072, KeySpec::Rsa4096] {
        let (arn, der) =
            create_asymmetric_key(&kms, spec.clone(), KeyUsageType::EncryptDecrypt).await;
        for algorithm in [
            KmsRsaAlgorithm::RsaesOaepSha1,
            KmsRsaAlgorithm::RsaesOaepSha256,
        ] {
            let plaintext = format!("{spec:?} {algorithm}").repeat(50);
            // Encrypt-only: the public key and no client.
            let encryptor = KmsRsaKeyring::builder(&arn, algorithm)
                .public_key_pem(&pem(&der))
                .build()
                .unwrap();
            assert!(encryptor.can_encrypt() && !encryptor.can_decrypt());
            let before = counter.total();
            let message = client_for(encryptor, UNSIGNED)
                .encrypt(plaintext.as_bytes(), &context())
                .await
                .unwrap();
            assert_eq!(counter.total(), before, "RSA encryption is local");

            // Decrypt-only: the client and no public key.
            let decryptor = KmsRsaKeyring::builder(&arn, algorithm)
                .client(kms.clone())
                .build()
                .unwrap();
            let decrypts = counter.decrypt();
            let decrypted = client_for(decryptor, UNSIGNED)
                .decrypt(&message)
                .await
                .unwrap();
            assert_eq!(decrypted.plaintext(), plaintext.as_bytes());
            assert_eq!(counter.decrypt(), decrypts + 1);
            let edks = decrypted.info().encrypted_data_keys();
            assert_eq!(edks.len(), 1);
            assert_eq!(edks[0].provider_id(), RSA_PROVIDER_ID);
            assert_eq!(edks[0].provider_info(), arn.as_bytes());
            let modulus_bytes = match spec {
                KeySpec::Rsa2048 => 256,
                KeySpec::Rsa3072 => 384,
                _ => 512,
            };
            assert_eq!(edks[0].ciphertext().len(), modulus_bytes);
        }
    }
}

#[tokio::test]
async fn rsa_public_key_fetched_from_kms_and_every_unsigned_suite() {
    let counter = KmsCallCounter::new();
    let kms = kms_client(REGION, &counter);
    let (arn, der) =
        create_asymmetric_key(&kms, KeySpec::Rsa2048, KeyUsageType::EncryptDecrypt).await;
    let calls = counter.get_public_key();
    let keyring = KmsRsaKeyring::builder(&arn, KmsRsaAlgorithm::RsaesOaepSha256)
        .client(kms.clone())
        .grant_tokens(["grant"])
        .fetch_public_key()
        .await
        .unwrap();
    assert_eq!(counter.get_public_key(), calls + 1);
    assert!(keyring.can_encrypt() && keyring.can_decrypt());
    let from_der = KmsRsaKeyring::builder(&arn, KmsRsaAlgorithm::RsaesOaepSha256)
        .public_key_der(&der)
        .build()
        .unwrap();
    for suite in AlgorithmSuite::ALL.into_iter().filter(|s| !s.is_signing()) {
        let message = client_for(from_der.clone(), suite)
            .encrypt(b"every unsigned suite", &context())
            .await
            .unwrap();
        let decrypted = client_for(keyring.clone(), suite)
            .decrypt(&message)
            .await
            .unwrap();
        assert_eq!(decrypted.plaintext(), b"every unsigned suite");
        assert_eq!(decrypted.info().suite(), suite);
    }
}

#[tokio::test]
async fn rsa_refuses_signing_suites_on_encrypt_and_decrypt() {
    let counter = KmsCallCounter::new();
    let kms = kms_client(REGION, &counter);
    let (arn, der) =
        create_asymmetric_key(&kms, KeySpec::Rsa2048, KeyUsageType::EncryptDecrypt).await;
    let keyring = KmsRsaKeyring::builder(&arn, KmsRsaAlgorithm::RsaesOaepSha1)
        .public_key_der(&der)
        .client(kms.clone())
        .build()
        .unwrap();
    // Through the client with the default (committing, signing) suite.
    let error = client_for(
        keyring.clone(),
        AlgorithmSuite::Aes256GcmHkdfSha512CommitEcdsaP384,
    )
    .encrypt(b"signed", &context())
    .await
    .unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Configuration, "{error}");
    assert!(error.to_string().contains("signing"), "{error}");
    for suite in AlgorithmSuite::ALL.into_iter().filter(|s| s.is_signing()) {
        let materials = EncryptionMaterials::new(suite, context(), BTreeSet::new(), None);
        let error = keyring.on_encrypt(materials).await.unwrap_err();
        assert!(matches!(
            kms_error(&error),
            keyward::kms::Error::UnsupportedSuite { suite: id, .. } if *id == suite.id()
        ));
        let materials = DecryptionMaterials::new(suite, context(), BTreeSet::new(), None);
        let error = keyring.on_decrypt(materials, &[]).await.unwrap_err();
        assert!(matches!(
            kms_error(&error),
            keyward::kms::Error::UnsupportedSuite { suite: id, .. } if *id == suite.id()
        ));
    }
    assert_eq!(counter.decrypt(), 0);
}

#[tokio::test]
async fn rsa_digest_binds_the_encryption_context() {
    let counter = KmsCallCounter::new();
    let kms = kms_client(REGION, &counter);
    let (arn, der) =
        create_asymmetric_key(&kms, KeySpec::Rsa3072, KeyUsageType::EncryptDecrypt).await;
    let keyring = KmsRsaKeyring::builder(&arn, KmsRsaAlgorithm::RsaesOaepSha256)
        .public_key_der(&der)
        .client(kms.clone())
        .build()
        .unwrap();
    let materials = EncryptionMaterials::new(UNSIGNED, context(), BTreeSet::new(), None);
    let encrypted = keyring.on_encrypt(materials).await.unwrap();
    let edks = encrypted.encrypted_data_keys();

    let mut other = context();
    other.insert("tenant", "someone else");
    let wrong = DecryptionMaterials::new(UNSIGNED, other, BTreeSet::new(), None);
    let error = keyring.on_decrypt(wrong, edks).await.unwrap_err();
    // KMS decrypted the key (one call); the digest inside it named another context.
    assert_eq!(counter.decrypt(), 1);
    assert!(matches!(
        kms_error(&error),
        keyward::kms::Error::EncryptionContextDigest
    ));
    assert_eq!(error.kind(), ErrorKind::Tampered);

    let right = DecryptionMaterials::new(UNSIGNED, context(), BTreeSet::new(), None);
    let decrypted = keyring.on_decrypt(right, edks).await.unwrap();
    assert_eq!(
        decrypted.data_key().unwrap().expose_secret(),
        encrypted.data_key().unwrap().expose_secret()
    );
}

#[tokio::test]
async fn rsa_failures_are_typed_and_skip_what_is_not_theirs() {
    let counter = KmsCallCounter::new();
    let kms = kms_client(REGION, &counter);
    let (arn, der) =
        create_asymmetric_key(&kms, KeySpec::Rsa2048, KeyUsageType::EncryptDecrypt).await;
    let (other_arn, _) =
        create_asymmetric_key(&kms, KeySpec::Rsa2048, KeyUsageType::EncryptDecrypt).await;
    let sha256 = KmsRsaKeyring::builder(&arn, KmsRsaAlgorithm::RsaesOaepSha256)
        .public_key_der(&der)
        .build()
        .unwrap();
    let materials = EncryptionMaterials::new(UNSIGNED, context(), BTreeSet::new(), None);
    let encrypted = sha256.on_encrypt(materials).await.unwrap();
    let edks = encrypted.encrypted_data_keys();
    let fresh = || DecryptionMaterials::new(UNSIGNED, context(), BTreeSet::new(), None);

    // The same key with the other algorithm: KMS refuses the ciphertext.
    let sha1 = KmsRsaKeyring::builder(&arn, KmsRsaAlgorithm::RsaesOaepSha1)
        .client(kms.clone())
        .build()
        .unwrap();
    let error = sha1.on_decrypt(fresh(), edks).await.unwrap_err();
    let kms_failure = kms_error(&error);
    assert!(matches!(
        kms_failure,
        keyward::kms::Error::Kms {
            operation: KmsOperation::Decrypt,
            ..
        }
    ));
    assert_eq!(
        kms_failure.kms_error_code(),
        Some("InvalidCiphertextException")
    );
    assert_eq!(error.kind(), ErrorKind::Refused);

    // Another key's keyring: no call, no attempt.
    let before = counter.decrypt();
    let stranger = KmsRsaKeyring::builder(&other_arn, KmsRsaAlgorithm::RsaesOaepSha256)
        .client(kms.clone())
        .build()
        .unwrap();
    let error = stranger.on_decrypt(fresh(), edks).await.unwrap_err();
    assert!(error.attempts().is_empty(), "{error}");
    assert_eq!(counter.decrypt(), before);

    // A provider info that is not a key ARN fails the decryption before any call.
    let forged = [keyward::format::EncryptedDataKey::new(
        RSA_PROVIDER_ID,
        b"alias/not-a-key".to_vec(),
        edks[0].ciphertext().to_vec(),
    )
    .unwrap()];
    let error = sha1.on_decrypt(fresh(), &forged).await.unwrap_err();
    assert!(matches!(
        kms_error(&error),
        keyward::kms::Error::InvalidProviderInfo { .. }
    ));
    assert_eq!(counter.decrypt(), before);

    // A keyring without a client cannot decrypt; one without a public key cannot encrypt.
    let error = sha256.on_decrypt(fresh(), edks).await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Configuration);
    let materials = EncryptionMaterials::new(UNSIGNED, context(), BTreeSet::new(), None);
    let error = sha1.on_encrypt(materials).await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Configuration);
}

#[tokio::test]
async fn rsa_fetch_refuses_keys_that_do_not_fit() {
    let counter = KmsCallCounter::new();
    let kms = kms_client(REGION, &counter);
    let (signing, _) =
        create_asymmetric_key(&kms, KeySpec::Rsa2048, KeyUsageType::SignVerify).await;
    let error = KmsRsaKeyring::builder(&signing, KmsRsaAlgorithm::RsaesOaepSha256)
        .client(kms.clone())
        .fetch_public_key()
        .await
        .unwrap_err();
    assert!(
        matches!(error, keyward::kms::Error::InvalidPublicKey { .. }),
        "{error:?}"
    );
    let symmetric = create_key(&kms).await;
    let error = KmsRsaKeyring::builder(&symmetric, KmsRsaAlgorithm::RsaesOaepSha256)
        .client(kms.clone())
        .fetch_public_key()
        .await
        .unwrap_err();
    assert!(
        matches!(
            error,
            keyward::kms::Error::Kms {
                operation: KmsOperation::GetPublicKey,
                ..
            } | keyward::kms::Error::InvalidPublicKey { .. }
        ),
        "{error:?}"
    );
    // An EC public key is not an RSA key.
    let (_, ec) =
        create_asymmetric_key(&kms, KeySpec::EccNistP256, KeyUsageType::KeyAgreement).await;
    let error = KmsRsaKeyring::builder(&signing, KmsRsaAlgorithm::RsaesOaepSha256)
        .public_key_der(&ec)
        .build()
        .unwrap_err();
    assert!(matches!(
        error,
        keyward::kms::Error::InvalidPublicKey { .. }
    ));
}

#[tokio::test]
async fn rsa_keyring_keeps_the_keyring_contract() {
    use keyward::materials::testing::{Expectations, check_keyring};
    let counter = KmsCallCounter::new();
    let kms = kms_client(REGION, &counter);
    let (arn, der) =
        create_asymmetric_key(&kms, KeySpec::Rsa2048, KeyUsageType::EncryptDecrypt).await;
    let keyring = KmsRsaKeyring::builder(&arn, KmsRsaAlgorithm::RsaesOaepSha256)
        .public_key_der(&der)
        .client(kms.clone())
        .build()
        .unwrap();
    check_keyring(&keyring, Expectations::new().signing_suites(false))
        .await
        .unwrap();
    // The seven unsigned suites: the generated data key decrypted under the right context and
    // tried under a changed one (KMS decrypts it; the digest refuses it).
    assert_eq!(counter.decrypt(), 14);
}

// ---------------------------------------------------------------------------------------------
// AWS KMS ECDH
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn ecdh_static_and_discovery_on_every_curve() {
    let counter = KmsCallCounter::new();
    let kms = kms_client(REGION, &counter);
    for curve in CURVES {
        let (sender, sender_der) =
            create_asymmetric_key(&kms, curve_spec(curve), KeyUsageType::KeyAgreement).await;
        let (recipient, recipient_der) =
            create_asymmetric_key(&kms, curve_spec(curve), KeyUsageType::KeyAgreement).await;

        let calls = counter.get_public_key();
        let static_keyring = KmsEcdhKeyring::builder(kms.clone(), curve)
            .build_static(&sender, &recipient_der)
            .await
            .unwrap();
        assert_eq!(
            counter.get_public_key(),
            calls + 1,
            "the sender's public key is fetched"
        );
        assert_eq!(
            static_keyring.sender_public_key().unwrap().der(),
            sender_der.as_slice()
        );
        let plaintext = format!("{curve:?} static to discovery").repeat(30);
        let derives = counter.derive_shared_secret();
        let message = Client::new(static_keyring.clone())
            .encrypt(plaintext.as_bytes(), &context())
            .await
            .unwrap();
        assert_eq!(counter.derive_shared_secret(), derives + 1);

        let decrypted = Client::new(static_keyring.clone())
            .decrypt(&message)
            .await
            .unwrap();
        assert_eq!(decrypted.plaintext(), plaintext.as_bytes());
        let edks = decrypted.info().encrypted_data_keys();
        assert_eq!(edks[0].provider_id(), "aws-kms-ecdh");
        let n = 1 + curve_field_len(curve);
        assert_eq!(edks[0].provider_info().len(), 9 + 2 * n);
        assert_eq!(edks[0].ciphertext().len(), 32 + 32 + 32 + 16);

        // Discovery on the recipient's KMS key, its public key given (no GetPublicKey).
        let calls = counter.get_public_key();
        let discovery = KmsEcdhKeyring::builder(kms.clone(), curve)
            .kms_public_key(&recipient_der)
            .build_discovery(&recipient)
            .await
            .unwrap();
        assert_eq!(counter.get_public_key(), calls);
        let decrypted = Client::new(discovery.clone())
            .decrypt(&message)
            .await
            .unwrap();
        assert_eq!(decrypted.plaintext(), plaintext.as_bytes());
        let error = Client::new(discovery)
            .encrypt(b"never", &context())
            .await
            .unwrap_err();
        assert_eq!(error.kind(), ErrorKind::Configuration);

        // The recipient writes back with its own static scheme; the sender's keyring reads it.
        let back = KmsEcdhKeyring::builder(kms.clone(), curve)
            .build_static(&recipient, &sender_der)
            .await
            .unwrap();
        let reply = Client::new(back)
            .encrypt(b"reply", &context())
            .await
            .unwrap();
        let decrypted = Client::new(static_keyring).decrypt(&reply).await.unwrap();
        assert_eq!(decrypted.plaintext(), b"reply");
    }
}

fn curve_field_len(curve: EcdhCurve) -> usize {
    match curve {
        EcdhCurve::P256 => 32,
        EcdhCurve::P384 => 48,
        _ => 66,
    }
}

#[tokio::test]
async fn ecdh_kms_and_raw_keyrings_read_each_other() {
    let counter = KmsCallCounter::new();
    let kms = kms_client(REGION, &counter);
    for curve in CURVES {
        let (kms_key, kms_der) =
            create_asymmetric_key(&kms, curve_spec(curve), KeyUsageType::KeyAgreement).await;
        let local_private = curve.generate_private_key().unwrap();
        let local_public = curve.public_key_of(&local_private).unwrap();

        // Raw sender (local key) to the KMS key: KMS discovery decrypts the raw-ecdh EDK.
        let raw_sender = RawEcdhKeyring::static_keys(curve, &local_private, &kms_der).unwrap();
        let message = Client::new(raw_sender.clone())
            .encrypt(b"raw to kms", &context())
            .await
            .unwrap();
        let discovery = KmsEcdhKeyring::builder(kms.clone(), curve)
            .build_discovery(&kms_key)
            .await
            .unwrap();
        let decrypted = Client::new(discovery).decrypt(&message).await.unwrap();
        assert_eq!(decrypted.plaintext(), b"raw to kms");
        assert_eq!(
            decrypted.info().encrypted_data_keys()[0].provider_id(),
            "raw-ecdh"
        );
        // An ephemeral raw sender too.
        let ephemeral = RawEcdhKeyring::ephemeral(curve, &kms_der).unwrap();
        let message = Client::new(ephemeral)
            .encrypt(b"ephemeral to kms", &context())
            .await
            .unwrap();
        let discovery = KmsEcdhKeyring::builder(kms.clone(), curve)
            .build_discovery(&kms_key)
            .await
            .unwrap();
        let decrypted = Client::new(discovery).decrypt(&message).await.unwrap();
        assert_eq!(decrypted.plaintext(), b"ephemeral to kms");

        // KMS sender to the local key: raw discovery and the raw static keyring decrypt.
        let kms_sender = KmsEcdhKeyring::builder(kms.clone(), curve)
            .build_static(&kms_key, local_public.der())
            .await
            .unwrap();
        let message = Client::new(kms_sender)
            .encrypt(b"kms to raw", &context())
            .await
            .unwrap();
        let raw_discovery = RawEcdhKeyring::discovery(curve, &local_private).unwrap();
        let decrypted = Client::new(raw_discovery).decrypt(&message).await.unwrap();
        assert_eq!(decrypted.plaintext(), b"kms to raw");
        let decrypted = Client::new(raw_sender).decrypt(&message).await.unwrap();
        assert_eq!(decrypted.plaintext(), b"kms to raw");
    }
}

#[tokio::test]
async fn ecdh_build_refuses_keys_that_do_not_fit() {
    let counter = KmsCallCounter::new();
    let kms = kms_client(REGION, &counter);
    let (p384, p384_der) =
        create_asymmetric_key(&kms, KeySpec::EccNistP384, KeyUsageType::KeyAgreement).await;
    let (_, p256_der) =
        create_asymmetric_key(&kms, KeySpec::EccNistP256, KeyUsageType::KeyAgreement).await;
    // A P-384 KMS key for a P-256 keyring.
    let error = KmsEcdhKeyring::builder(kms.clone(), EcdhCurve::P256)
        .build_static(&p384, &p256_der)
        .await
        .unwrap_err();
    assert!(
        matches!(error, keyward::kms::Error::InvalidPublicKey { .. }),
        "{error:?}"
    );
    // A recipient key of another curve.
    let error = KmsEcdhKeyring::builder(kms.clone(), EcdhCurve::P384)
        .build_static(&p384, &p256_der)
        .await
        .unwrap_err();
    assert!(
        matches!(error, keyward::kms::Error::InvalidPublicKey { .. }),
        "{error:?}"
    );
    // A signing key.
    let (signing, _) =
        create_asymmetric_key(&kms, KeySpec::EccNistP384, KeyUsageType::SignVerify).await;
    let error = KmsEcdhKeyring::builder(kms.clone(), EcdhCurve::P384)
        .build_discovery(&signing)
        .await
        .unwrap_err();
    assert!(
        matches!(error, keyward::kms::Error::InvalidPublicKey { .. }),
        "{error:?}"
    );
    // A key that does not exist.
    let missing = "arn:aws:kms:us-west-2:123456789012:key/00000000-0000-0000-0000-000000000000";
    let error = KmsEcdhKeyring::builder(kms.clone(), EcdhCurve::P384)
        .build_discovery(missing)
        .await
        .unwrap_err();
    assert!(matches!(
        error,
        keyward::kms::Error::Kms {
            operation: KmsOperation::GetPublicKey,
            ..
        }
    ));
    assert_eq!(error.kms_error_code(), Some("NotFoundException"));
    // Built from a given public key, DeriveSharedSecret is where a missing key shows.
    let keyring = KmsEcdhKeyring::builder(kms.clone(), EcdhCurve::P384)
        .kms_public_key(&p384_der)
        .build_static(missing, &p384_der)
        .await
        .unwrap();
    let materials = EncryptionMaterials::new(UNSIGNED, context(), BTreeSet::new(), None);
    let error = keyring.on_encrypt(materials).await.unwrap_err();
    let failure = kms_error(&error);
    assert!(matches!(
        failure,
        keyward::kms::Error::Kms {
            operation: KmsOperation::DeriveSharedSecret,
            ..
        }
    ));
    assert_eq!(failure.kms_error_code(), Some("NotFoundException"));
}

#[tokio::test]
async fn ecdh_decrypt_failures_are_collected_and_strangers_skipped() {
    let counter = KmsCallCounter::new();
    let kms = kms_client(REGION, &counter);
    let curve = EcdhCurve::P256;
    let (sender, _) =
        create_asymmetric_key(&kms, curve_spec(curve), KeyUsageType::KeyAgreement).await;
    let (recipient, recipient_der) =
        create_asymmetric_key(&kms, curve_spec(curve), KeyUsageType::KeyAgreement).await;
    let (stranger, _) =
        create_asymmetric_key(&kms, curve_spec(curve), KeyUsageType::KeyAgreement).await;
    let keyring = KmsEcdhKeyring::builder(kms.clone(), curve)
        .build_static(&sender, &recipient_der)
        .await
        .unwrap();
    let materials = EncryptionMaterials::new(UNSIGNED, context(), BTreeSet::new(), None);
    let encrypted = keyring.on_encrypt(materials).await.unwrap();
    let edks = encrypted.encrypted_data_keys();
    let fresh = |ctx| DecryptionMaterials::new(UNSIGNED, ctx, BTreeSet::new(), None);

    // Another recipient's discovery keyring: nothing for it, no call.
    let other = KmsEcdhKeyring::builder(kms.clone(), curve)
        .build_discovery(&stranger)
        .await
        .unwrap();
    let derives = counter.derive_shared_secret();
    let error = other.on_decrypt(fresh(context()), edks).await.unwrap_err();
    assert!(error.attempts().is_empty());
    assert_eq!(counter.derive_shared_secret(), derives);

    // Another context: KMS derives, the commitment key differs.
    let discovery = KmsEcdhKeyring::builder(kms.clone(), curve)
        .build_discovery(&recipient)
        .await
        .unwrap();
    let mut changed = context();
    changed.insert("tenant", "other");
    let error = discovery
        .on_decrypt(fresh(changed), edks)
        .await
        .unwrap_err();
    assert_eq!(counter.derive_shared_secret(), derives + 1);
    assert_eq!(error.attempts().len(), 1);
    assert_eq!(error.kind(), ErrorKind::NoMatchingKey);
    assert!(
        error.to_string().contains("recipient 02") || error.to_string().contains("recipient 03"),
        "{error}"
    );

    // A malformed EDK before the good one: its failure is collected, the good one decrypts.
    let mut info = edks[0].provider_info().to_vec();
    info[0] = 2;
    let broken =
        keyward::format::EncryptedDataKey::new("aws-kms-ecdh", info, edks[0].ciphertext().to_vec())
            .unwrap();
    let both = [broken, edks[0].clone()];
    let decrypted = discovery.on_decrypt(fresh(context()), &both).await.unwrap();
    assert_eq!(
        decrypted.data_key().unwrap().expose_secret(),
        encrypted.data_key().unwrap().expose_secret()
    );
}

#[tokio::test]
async fn ecdh_in_a_multi_keyring_and_the_contract() {
    use keyward::materials::testing::{Expectations, check_keyring};
    let counter = KmsCallCounter::new();
    let kms = kms_client(REGION, &counter);
    let (sender, _) =
        create_asymmetric_key(&kms, KeySpec::EccNistP521, KeyUsageType::KeyAgreement).await;
    let (_, recipient_der) =
        create_asymmetric_key(&kms, KeySpec::EccNistP521, KeyUsageType::KeyAgreement).await;
    let keyring = KmsEcdhKeyring::builder(kms.clone(), EcdhCurve::P521)
        .build_static(&sender, &recipient_der)
        .await
        .unwrap();
    check_keyring(&keyring, Expectations::new()).await.unwrap();

    // A raw AES generator with the ECDH keyring as a child: either decrypts alone.
    let aes = std::sync::Arc::new(
        RawAesKeyring::new("ns", "aes", WrappingKey::generate(32).unwrap()).unwrap(),
    );
    let multi = MultiKeyring::builder()
        .generator(aes.clone())
        .child(keyring.clone())
        .build()
        .unwrap();
    let message = Client::new(multi)
        .encrypt(b"multi", &context())
        .await
        .unwrap();
    assert_eq!(
        Client::new(keyring)
            .decrypt(&message)
            .await
            .unwrap()
            .plaintext(),
        b"multi"
    );
    assert_eq!(
        Client::new(aes)
            .decrypt(&message)
            .await
            .unwrap()
            .plaintext(),
        b"multi"
    );
}
