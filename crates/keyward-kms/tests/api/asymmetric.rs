//! The AWS KMS RSA and ECDH keyrings without KMS: the RSA plaintext layout checked with a
//! local key pair, construction rules, and the failures that come before any call.

#![expect(
    clippy::expect_used,
    reason = "test fixtures: a failure should stop the test"
)]

use aws_lc_rs::encoding::{AsDer as _, PublicKeyX509Der};
use aws_lc_rs::rsa::{
    KeySize, OAEP_SHA1_MGF1SHA1, OAEP_SHA256_MGF1SHA256, OaepAlgorithm, OaepPrivateDecryptingKey,
    PrivateDecryptingKey,
};
use keyward_format::{AlgorithmSuite, EncryptedDataKey, EncryptionContext};
use keyward_kms::{
    Error, KmsCallCounter, KmsEcdhKeyring, KmsOperation, KmsRsaAlgorithm, KmsRsaKeyring,
    RSA_PROVIDER_ID,
};
use keyward_materials::{
    DecryptionMaterials, EcdhCurve, EncryptionMaterials, ErrorKind, Keyring, RawEcdhKeyring,
};

use crate::{KEY, kms_error, unreachable_client};

const SUITE: AlgorithmSuite = AlgorithmSuite::Aes256GcmHkdfSha512Commit;

fn rsa_pair() -> (PrivateDecryptingKey, Vec<u8>) {
    let key = PrivateDecryptingKey::generate(KeySize::Rsa2048).expect("RSA key generation");
    let der: PublicKeyX509Der<'_> = key.public_key().as_der().expect("SPKI");
    let der = der.as_ref().to_vec();
    (key, der)
}

fn oaep_decrypt(
    key: &PrivateDecryptingKey,
    algorithm: &'static OaepAlgorithm,
    ct: &[u8],
) -> Vec<u8> {
    let key = OaepPrivateDecryptingKey::new(key.clone()).expect("OAEP key");
    let mut out = vec![0u8; 512];
    let len = key
        .decrypt(algorithm, ct, &mut out, None)
        .expect("OAEP decrypt")
        .len();
    out.truncate(len);
    out
}

#[tokio::test]
async fn rsa_plaintext_is_the_context_digest_then_the_data_key() {
    let (private, public) = rsa_pair();
    for (algorithm, oaep) in [
        (KmsRsaAlgorithm::RsaesOaepSha1, &OAEP_SHA1_MGF1SHA1),
        (KmsRsaAlgorithm::RsaesOaepSha256, &OAEP_SHA256_MGF1SHA256),
    ] {
        for context in [
            EncryptionContext::new(),
            EncryptionContext::from([("b", "2"), ("a", "1")]),
        ] {
            let keyring = KmsRsaKeyring::builder(KEY, algorithm)
                .public_key_der(&public)
                .build()
                .unwrap();
            let materials =
                EncryptionMaterials::new(SUITE, context.clone(), Default::default(), None);
            let encrypted = keyring.on_encrypt(materials).await.unwrap();
            let [edk] = encrypted.encrypted_data_keys() else {
                panic!("one EDK expected");
            };
            assert_eq!(edk.provider_id(), RSA_PROVIDER_ID);
            assert_eq!(edk.provider_info(), KEY.as_bytes());
            let plaintext = oaep_decrypt(&private, oaep, edk.ciphertext());
            let canonical = context.to_canonical_bytes().unwrap();
            let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA384, &canonical);
            assert_eq!(&plaintext[..48], digest.as_ref());
            assert_eq!(
                &plaintext[48..],
                encrypted.data_key().unwrap().expose_secret()
            );
        }
    }
}

#[tokio::test]
async fn rsa_construction_rules() {
    let counter = KmsCallCounter::new();
    let client = unreachable_client("us-west-2", &counter);
    let (_, public) = rsa_pair();
    for alias in [
        "alias/app",
        "arn:aws:kms:us-west-2:111122223333:alias/app",
        "",
    ] {
        let error = KmsRsaKeyring::builder(alias, KmsRsaAlgorithm::RsaesOaepSha256)
            .client(client.clone())
            .build()
            .unwrap_err();
        assert!(
            matches!(error, Error::InvalidKeyIdentifier { .. }),
            "{alias}: {error:?}"
        );
    }
    let error = KmsRsaKeyring::builder(KEY, KmsRsaAlgorithm::RsaesOaepSha256)
        .build()
        .unwrap_err();
    assert!(matches!(error, Error::InvalidConfiguration(_)));
    let error = KmsRsaKeyring::builder(KEY, KmsRsaAlgorithm::RsaesOaepSha256)
        .public_key_pem("-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n")
        .build()
        .unwrap_err();
    assert!(matches!(error, Error::InvalidPublicKey { .. }));
    let error = KmsRsaKeyring::builder(KEY, KmsRsaAlgorithm::RsaesOaepSha256)
        .public_key_der(b"not a key")
        .build()
        .unwrap_err();
    assert!(matches!(error, Error::InvalidPublicKey { .. }));
    // fetch_public_key needs a client.
    let error = KmsRsaKeyring::builder(KEY, KmsRsaAlgorithm::RsaesOaepSha256)
        .fetch_public_key()
        .await
        .unwrap_err();
    assert!(matches!(error, Error::InvalidConfiguration(_)));

    let keyring = KmsRsaKeyring::builder(KEY, KmsRsaAlgorithm::RsaesOaepSha1)
        .public_key_der(&public)
        .client(client)
        .grant_tokens(["secret-grant"])
        .build()
        .unwrap();
    let debug = format!("{keyring:?}");
    assert!(
        debug.contains(KEY) && debug.contains("RsaesOaepSha1"),
        "{debug}"
    );
    assert!(!debug.contains("secret-grant"), "{debug}");
    assert_eq!(counter.total(), 0);
}

#[tokio::test]
async fn rsa_decrypt_filters_before_calling() {
    let counter = KmsCallCounter::new();
    let client = unreachable_client("us-west-2", &counter);
    let keyring = KmsRsaKeyring::builder(KEY, KmsRsaAlgorithm::RsaesOaepSha256)
        .client(client)
        .build()
        .unwrap();
    let materials =
        || DecryptionMaterials::new(SUITE, EncryptionContext::new(), Default::default(), None);
    let other_key = "arn:aws:kms:us-west-2:111122223333:key/ffffffff-12ab-34cd-56ef-1234567890ab";
    let edks = [
        EncryptedDataKey::new(RSA_PROVIDER_ID, other_key.as_bytes().to_vec(), vec![1; 256])
            .unwrap(),
        EncryptedDataKey::new("aws-kms", KEY.as_bytes().to_vec(), vec![1; 256]).unwrap(),
    ];
    let error = keyring.on_decrypt(materials(), &edks).await.unwrap_err();
    assert!(error.attempts().is_empty(), "{error}");
    let forged = [EncryptedDataKey::new(RSA_PROVIDER_ID, b"1234".to_vec(), vec![1; 256]).unwrap()];
    let error = keyring.on_decrypt(materials(), &forged).await.unwrap_err();
    assert!(matches!(
        kms_error(&error),
        Error::InvalidProviderInfo { .. }
    ));
    assert_eq!(counter.total(), 0);

    // The matching EDK is tried: the unreachable endpoint makes it Unavailable.
    let ours =
        [EncryptedDataKey::new(RSA_PROVIDER_ID, KEY.as_bytes().to_vec(), vec![1; 256]).unwrap()];
    let error = keyring.on_decrypt(materials(), &ours).await.unwrap_err();
    assert_eq!(counter.decrypt(), 1);
    assert_eq!(error.kind(), ErrorKind::Unavailable);
}

#[tokio::test]
async fn ecdh_with_given_public_keys_calls_kms_only_to_derive() {
    let counter = KmsCallCounter::new();
    let client = unreachable_client("us-west-2", &counter);
    let curve = EcdhCurve::P384;
    let kms_side = curve
        .public_key_of(&curve.generate_private_key().unwrap())
        .unwrap();
    let peer_private = curve.generate_private_key().unwrap();
    let peer = curve.public_key_of(&peer_private).unwrap();

    let keyring = KmsEcdhKeyring::builder(client.clone(), curve)
        .kms_public_key(kms_side.der())
        .build_static(KEY, peer.der())
        .await
        .unwrap();
    assert_eq!(counter.total(), 0);
    assert_eq!(keyring.sender_public_key().unwrap(), &kms_side);
    assert_eq!(keyring.recipient_public_key(), &peer);
    let debug = format!("{keyring:?}");
    assert!(
        debug.contains("KmsPrivateKeyToStaticPublicKey") && debug.contains(KEY),
        "{debug}"
    );

    let materials =
        EncryptionMaterials::new(SUITE, EncryptionContext::new(), Default::default(), None);
    let error = keyring.on_encrypt(materials).await.unwrap_err();
    assert!(matches!(
        kms_error(&error),
        Error::Kms {
            operation: KmsOperation::DeriveSharedSecret,
            ..
        }
    ));
    assert_eq!(error.kind(), ErrorKind::Unavailable);
    assert_eq!(counter.derive_shared_secret(), 1);

    // A raw ECDH message between two other parties is not for it: no call.
    let third = curve.generate_private_key().unwrap();
    let raw = RawEcdhKeyring::static_keys(curve, &third, peer.der()).unwrap();
    let materials =
        EncryptionMaterials::new(SUITE, EncryptionContext::new(), Default::default(), None);
    let encrypted = raw.on_encrypt(materials).await.unwrap();
    let decrypt =
        DecryptionMaterials::new(SUITE, EncryptionContext::new(), Default::default(), None);
    let error = keyring
        .on_decrypt(decrypt, encrypted.encrypted_data_keys())
        .await
        .unwrap_err();
    assert!(error.attempts().is_empty());
    assert_eq!(counter.derive_shared_secret(), 1);

    // Discovery never encrypts, and a public key off the curve is refused when building.
    let discovery = KmsEcdhKeyring::builder(client.clone(), curve)
        .kms_public_key(kms_side.der())
        .build_discovery(KEY)
        .await
        .unwrap();
    let materials =
        EncryptionMaterials::new(SUITE, EncryptionContext::new(), Default::default(), None);
    assert_eq!(
        discovery.on_encrypt(materials).await.unwrap_err().kind(),
        ErrorKind::Configuration
    );
    let p256 = EcdhCurve::P256
        .public_key_of(&EcdhCurve::P256.generate_private_key().unwrap())
        .unwrap();
    let error = KmsEcdhKeyring::builder(client, curve)
        .kms_public_key(p256.der())
        .build_discovery(KEY)
        .await
        .unwrap_err();
    assert!(matches!(error, Error::InvalidPublicKey { .. }));
    assert_eq!(counter.total(), 1);
}
