//! The raw ECDH keyring: every scheme on every curve, the pairings the schemes allow and
//! refuse, the EDK layout, tampering, and keys of the wrong shape. Byte compatibility with the
//! official keyring is checked by the vector runner (the `dafny-4.1.0` raw-ECDH vectors, and
//! the Dafny encrypt manifest's scenarios written and read back).

use std::collections::BTreeSet;

use aws_lc_rs::agreement::{self, ECDH_P256, ECDH_P384, ECDH_P521};
use aws_lc_rs::encoding::{AsDer as _, Pkcs8V1Der, PublicKeyX509Der};
use keyward_materials::testing::{Expectations, check_keyring};
use keyward_materials::{
    AlgorithmSuite, DecryptionMaterials, EcdhCurve, EncryptedDataKey, EncryptionContext,
    EncryptionMaterials, Error, ErrorKind, Keyring, MultiKeyring, RawEcdhKeyring,
};

use super::support::aes;

const CURVES: [EcdhCurve; 3] = [EcdhCurve::P256, EcdhCurve::P384, EcdhCurve::P521];

/// A fresh key pair: (PKCS #8 DER, SubjectPublicKeyInfo DER).
fn key_pair(curve: EcdhCurve) -> (Vec<u8>, Vec<u8>) {
    let algorithm = match curve {
        EcdhCurve::P256 => &ECDH_P256,
        EcdhCurve::P384 => &ECDH_P384,
        EcdhCurve::P521 => &ECDH_P521,
        _ => unreachable!(),
    };
    let key = agreement::PrivateKey::generate(algorithm).unwrap();
    let private: Pkcs8V1Der<'_> = key.as_der().unwrap();
    let public: PublicKeyX509Der<'_> = key.compute_public_key().unwrap().as_der().unwrap();
    (private.as_ref().to_vec(), public.as_ref().to_vec())
}

fn context() -> EncryptionContext {
    EncryptionContext::from([("purpose", "ecdh tests"), ("tenant", "acme")])
}

async fn encrypt(keyring: &dyn Keyring, suite: AlgorithmSuite) -> EncryptionMaterials {
    keyring
        .on_encrypt(EncryptionMaterials::new(
            suite,
            context(),
            BTreeSet::new(),
            None,
        ))
        .await
        .unwrap()
}

async fn decrypt(
    keyring: &dyn Keyring,
    suite: AlgorithmSuite,
    context: EncryptionContext,
    edks: &[EncryptedDataKey],
) -> Result<Vec<u8>, Error> {
    let materials = DecryptionMaterials::new(suite, context, BTreeSet::new(), None);
    let decrypted = keyring.on_decrypt(materials, edks).await?;
    Ok(decrypted.data_key().unwrap().expose_secret().to_vec())
}

struct Parties {
    curve: EcdhCurve,
    sender: (Vec<u8>, Vec<u8>),
    recipient: (Vec<u8>, Vec<u8>),
}

impl Parties {
    fn new(curve: EcdhCurve) -> Self {
        Self {
            curve,
            sender: key_pair(curve),
            recipient: key_pair(curve),
        }
    }

    fn sender_static(&self) -> RawEcdhKeyring {
        RawEcdhKeyring::static_keys(self.curve, &self.sender.0, &self.recipient.1).unwrap()
    }

    fn recipient_static(&self) -> RawEcdhKeyring {
        RawEcdhKeyring::static_keys(self.curve, &self.recipient.0, &self.sender.1).unwrap()
    }

    fn ephemeral(&self) -> RawEcdhKeyring {
        RawEcdhKeyring::ephemeral(self.curve, &self.recipient.1).unwrap()
    }

    fn discovery(&self) -> RawEcdhKeyring {
        RawEcdhKeyring::discovery(self.curve, &self.recipient.0).unwrap()
    }
}

#[tokio::test]
async fn every_scheme_on_every_curve_reaches_the_keyrings_it_should() {
    for curve in CURVES {
        let parties = Parties::new(curve);
        for suite in [
            AlgorithmSuite::Aes128GcmHkdfSha256,
            AlgorithmSuite::Aes192GcmNoKdf,
            AlgorithmSuite::Aes256GcmHkdfSha512CommitEcdsaP384,
        ] {
            // Static: the sender reads its own message, the recipient's discovery keyring and
            // the recipient's reciprocal static keyring read it too.
            let sent = encrypt(&parties.sender_static(), suite).await;
            let key = sent.data_key().unwrap().expose_secret().to_vec();
            let edks = sent.encrypted_data_keys();
            for reader in [
                parties.sender_static(),
                parties.discovery(),
                parties.recipient_static(),
            ] {
                assert_eq!(
                    decrypt(&reader, suite, context(), edks).await.unwrap(),
                    key,
                    "{curve:?} {suite:?} {reader:?}"
                );
            }
            // A reply from the recipient's static keyring reaches the sender's.
            let reply = encrypt(&parties.recipient_static(), suite).await;
            assert_eq!(
                decrypt(
                    &parties.sender_static(),
                    suite,
                    context(),
                    reply.encrypted_data_keys()
                )
                .await
                .unwrap(),
                reply.data_key().unwrap().expose_secret()
            );
            // Ephemeral: only the recipient's private key reads it.
            let ephemeral = encrypt(&parties.ephemeral(), suite).await;
            assert_eq!(
                decrypt(
                    &parties.discovery(),
                    suite,
                    context(),
                    ephemeral.encrypted_data_keys()
                )
                .await
                .unwrap(),
                ephemeral.data_key().unwrap().expose_secret()
            );
            let error = decrypt(
                &parties.sender_static(),
                suite,
                context(),
                ephemeral.encrypted_data_keys(),
            )
            .await
            .unwrap_err();
            assert_eq!(error.kind(), ErrorKind::NoMatchingKey, "{error}");
        }
    }
}

#[tokio::test]
async fn the_schemes_refuse_what_they_cannot_do() {
    let parties = Parties::new(EcdhCurve::P256);
    let suite = AlgorithmSuite::Aes256GcmHkdfSha512Commit;
    let materials = EncryptionMaterials::new(suite, context(), BTreeSet::new(), None);
    assert!(matches!(
        parties.discovery().on_encrypt(materials).await,
        Err(Error::OperationNotSupported(_))
    ));
    let sent = encrypt(&parties.sender_static(), suite).await;
    assert!(matches!(
        decrypt(
            &parties.ephemeral(),
            suite,
            context(),
            sent.encrypted_data_keys()
        )
        .await,
        Err(Error::OperationNotSupported(_))
    ));
    // A third party's discovery keyring, and a sender to someone else, match nothing.
    let stranger = Parties::new(EcdhCurve::P256);
    for keyring in [stranger.discovery(), stranger.sender_static()] {
        let error = decrypt(&keyring, suite, context(), sent.encrypted_data_keys())
            .await
            .unwrap_err();
        assert!(error.attempts().is_empty(), "{error}");
        assert_eq!(error.kind(), ErrorKind::NoMatchingKey);
    }
    // A keyring of another curve skips the EDK rather than calling it malformed.
    let error = decrypt(
        &Parties::new(EcdhCurve::P384).discovery(),
        suite,
        context(),
        sent.encrypted_data_keys(),
    )
    .await
    .unwrap_err();
    assert!(error.attempts().is_empty(), "{error}");
}

#[tokio::test]
async fn the_edk_has_the_official_layout() {
    for (curve, compressed) in [
        (EcdhCurve::P256, 33),
        (EcdhCurve::P384, 49),
        (EcdhCurve::P521, 67),
    ] {
        let parties = Parties::new(curve);
        for (suite, key_len) in [
            (AlgorithmSuite::Aes128GcmHkdfSha256, 16),
            (AlgorithmSuite::Aes192GcmHkdfSha256, 24),
            (AlgorithmSuite::Aes256GcmHkdfSha512Commit, 32),
        ] {
            let keyring = parties.sender_static();
            let materials = encrypt(&keyring, suite).await;
            let edk = &materials.encrypted_data_keys()[0];
            assert_eq!(edk.provider_id(), "raw-ecdh");
            // 01 ‖ u32 len ‖ recipient ‖ u32 len ‖ sender, both compressed.
            let info = edk.provider_info();
            assert_eq!(info.len(), 1 + 2 * (4 + compressed));
            assert_eq!(info[0], 1);
            let len = u32::try_from(compressed).unwrap().to_be_bytes();
            assert_eq!(info[1..5], len);
            assert_eq!(
                &info[5..5 + compressed],
                keyring.recipient_public_key().compressed()
            );
            assert_eq!(info[5 + compressed..9 + compressed], len);
            assert_eq!(
                &info[9 + compressed..],
                keyring.sender_public_key().unwrap().compressed()
            );
            // nonce 32 ‖ commitment key 32 ‖ wrapped key ‖ tag 16.
            assert_eq!(edk.ciphertext().len(), 64 + key_len + 16);
        }
    }
}

#[tokio::test]
async fn each_data_key_gets_a_fresh_nonce_and_an_ephemeral_keyring_a_fresh_key_pair() {
    let parties = Parties::new(EcdhCurve::P256);
    let suite = AlgorithmSuite::Aes256GcmHkdfSha512Commit;
    let mut nonces = BTreeSet::new();
    let mut senders = BTreeSet::new();
    for _ in 0..20 {
        let materials = encrypt(&parties.ephemeral(), suite).await;
        let edk = &materials.encrypted_data_keys()[0];
        nonces.insert(edk.ciphertext()[..32].to_vec());
        senders.insert(edk.provider_info()[42..].to_vec());
    }
    assert_eq!(nonces.len(), 20);
    assert_eq!(senders.len(), 20);
}

#[tokio::test]
async fn tampering_and_the_wrong_context_fail_typed() {
    let parties = Parties::new(EcdhCurve::P384);
    let suite = AlgorithmSuite::Aes256GcmHkdfSha512Commit;
    let sent = encrypt(&parties.sender_static(), suite).await;
    let edk = sent.encrypted_data_keys()[0].clone();
    let with = |info: Vec<u8>, ciphertext: Vec<u8>| {
        vec![EncryptedDataKey::new(edk.provider_id(), info, ciphertext).unwrap()]
    };
    let flip = |bytes: &[u8], at: usize| {
        let mut bytes = bytes.to_vec();
        bytes[at] ^= 0x01;
        bytes
    };
    let info = edk.provider_info().to_vec();
    let ciphertext = edk.ciphertext().to_vec();
    // The nonce, the commitment key, the wrapped key, the tag: each fails the unwrap.
    for at in [0, 40, 70, ciphertext.len() - 1] {
        let error = decrypt(
            &parties.discovery(),
            suite,
            context(),
            &with(info.clone(), flip(&ciphertext, at)),
        )
        .await
        .unwrap_err();
        assert!(
            matches!(error.attempts(), [attempt] if matches!(attempt.error, Error::UnwrapFailed { .. })),
            "byte {at}: {error}"
        );
    }
    // A shorter or longer ciphertext.
    for ciphertext in [
        ciphertext[..ciphertext.len() - 1].to_vec(),
        [&ciphertext[..], &[0]].concat(),
    ] {
        assert!(
            decrypt(
                &parties.discovery(),
                suite,
                context(),
                &with(info.clone(), ciphertext)
            )
            .await
            .is_err()
        );
    }
    // Another version, another length, a sender point off the curve: malformed, tampered.
    let mut version = info.clone();
    version[0] = 2;
    let mut off_curve = info.clone();
    let last = off_curve.len() - 1;
    // An x-coordinate with no point above it (about half of them).
    off_curve[last] = (0..=255u8)
        .find(|byte| {
            let mut point = info[info.len() - 49..].to_vec();
            point[48] = *byte;
            agreement::ParsedPublicKey::try_from(agreement::UnparsedPublicKey::new(
                &ECDH_P384, &point,
            ))
            .is_err()
        })
        .unwrap();
    for bad in [version, info[..info.len() - 1].to_vec(), off_curve] {
        let error = decrypt(
            &parties.discovery(),
            suite,
            context(),
            &with(bad, ciphertext.clone()),
        )
        .await
        .unwrap_err();
        assert_eq!(error.kind(), ErrorKind::Tampered, "{error}");
    }
    // The encryption context is bound: another one fails.
    let error = decrypt(
        &parties.discovery(),
        suite,
        EncryptionContext::from([("purpose", "other")]),
        sent.encrypted_data_keys(),
    )
    .await
    .unwrap_err();
    assert!(matches!(error, Error::UnableToDecrypt { .. }), "{error}");
}

#[test]
fn keys_of_the_wrong_shape_or_curve_are_refused() {
    let (p256_private, p256_public) = key_pair(EcdhCurve::P256);
    let (p384_private, p384_public) = key_pair(EcdhCurve::P384);
    let invalid =
        |result: Result<RawEcdhKeyring, Error>| matches!(result, Err(Error::InvalidKey { .. }));
    assert!(invalid(RawEcdhKeyring::static_keys(
        EcdhCurve::P256,
        &p384_private,
        &p256_public
    )));
    assert!(invalid(RawEcdhKeyring::static_keys(
        EcdhCurve::P256,
        &p256_private,
        &p384_public
    )));
    assert!(invalid(RawEcdhKeyring::ephemeral(
        EcdhCurve::P384,
        &p256_public
    )));
    assert!(invalid(RawEcdhKeyring::discovery(
        EcdhCurve::P521,
        &p384_private
    )));
    assert!(invalid(RawEcdhKeyring::discovery(
        EcdhCurve::P256,
        b"not a key"
    )));
    // A point off the curve inside a well-formed SubjectPublicKeyInfo.
    let mut off_curve = p256_public.clone();
    let last = off_curve.len() - 1;
    off_curve[last] ^= 0x01;
    assert!(invalid(RawEcdhKeyring::ephemeral(
        EcdhCurve::P256,
        &off_curve
    )));
    // PEM works as well as DER.
    let pem = |label: &str, der: &[u8]| {
        use base64::Engine as _;
        let body = base64::engine::general_purpose::STANDARD.encode(der);
        format!("-----BEGIN {label}-----\n{body}\n-----END {label}-----\n")
    };
    assert!(
        RawEcdhKeyring::static_keys(
            EcdhCurve::P256,
            pem("PRIVATE KEY", &p256_private).as_bytes(),
            pem("PUBLIC KEY", &p256_public).as_bytes(),
        )
        .is_ok()
    );
    assert!(invalid(RawEcdhKeyring::static_keys(
        EcdhCurve::P256,
        pem("PUBLIC KEY", &p256_private).as_bytes(),
        &p256_public,
    )));
}

#[tokio::test]
async fn the_keyrings_obey_the_contract_and_serve_in_a_multi_keyring() {
    let parties = Parties::new(EcdhCurve::P521);
    check_keyring(&parties.sender_static(), Expectations::new())
        .await
        .unwrap();
    check_keyring(&parties.ephemeral(), Expectations::new())
        .await
        .unwrap_err();
    // An AES generator and an ECDH child: the child wraps the given key, either decrypts.
    let multi = MultiKeyring::builder()
        .generator(aes("a"))
        .child(parties.ephemeral())
        .build()
        .unwrap();
    let suite = AlgorithmSuite::Aes256GcmHkdfSha512Commit;
    let materials = encrypt(&multi, suite).await;
    assert_eq!(materials.encrypted_data_keys().len(), 2);
    let key = materials.data_key().unwrap().expose_secret().to_vec();
    for reader in [&aes("a") as &dyn Keyring, &parties.discovery()] {
        assert_eq!(
            decrypt(reader, suite, context(), materials.encrypted_data_keys())
                .await
                .unwrap(),
            key
        );
    }
    // No key material in the debug output.
    let shown = format!("{:?}", parties.sender_static());
    assert!(shown.contains("RawPrivateKeyToStaticPublicKey"), "{shown}");
    assert!(!shown.contains("private_key"), "{shown}");
}
