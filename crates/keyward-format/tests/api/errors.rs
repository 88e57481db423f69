//! Bad input and misuse give the typed error that names the problem.

use core::num::NonZeroU16;
use std::sync::Arc;

use base64::Engine as _;
use keyward_format::{
    AlgorithmSuite, CommitmentPolicy, DecryptOptions, Decryptor, EncryptParams, EncryptedDataKey,
    EncryptionContext, Encryptor, Error, Header, SignatureAlgorithm, SigningKey,
};

use super::support::{data_key, decrypt, edks, encrypt, permissive, plaintext};

fn sample(suite: AlgorithmSuite) -> Vec<u8> {
    encrypt(
        suite,
        &EncryptionContext::from([("k", "v")]),
        &EncryptionContext::new(),
        64,
        &plaintext(100),
        0,
    )
    .unwrap()
}

#[test]
fn base64_text_is_recognised() {
    for suite in [
        AlgorithmSuite::Aes256GcmHkdfSha256,
        AlgorithmSuite::Aes256GcmHkdfSha512Commit,
    ] {
        let text = base64::engine::general_purpose::STANDARD.encode(sample(suite));
        assert!(text.starts_with("AY") || text.starts_with("Ag"));
        assert!(matches!(
            Header::from_bytes(text.as_bytes(), None),
            Err(Error::Base64Encoded)
        ));
    }
}

#[test]
fn unknown_versions_types_and_suites_are_refused() {
    let mut message = sample(AlgorithmSuite::Aes256GcmHkdfSha256);
    message[0] = 3;
    assert!(matches!(
        Header::from_bytes(&message, None),
        Err(Error::UnsupportedVersion(3))
    ));
    let mut message = sample(AlgorithmSuite::Aes256GcmHkdfSha256);
    message[1] = 0x81;
    assert!(matches!(
        Header::from_bytes(&message, None),
        Err(Error::UnsupportedMessageType(0x81))
    ));
    let mut message = sample(AlgorithmSuite::Aes256GcmHkdfSha256);
    message[2..4].copy_from_slice(&[0x00, 0x72]);
    assert!(matches!(
        Header::from_bytes(&message, None),
        Err(Error::UnsupportedSuite(0x0072))
    ));
    let mut message = sample(AlgorithmSuite::Aes256GcmHkdfSha256);
    message[2..4].copy_from_slice(&[0x04, 0x78]);
    assert!(matches!(
        Header::from_bytes(&message, None),
        Err(Error::SuiteVersionMismatch {
            suite: 0x0478,
            version: 1
        })
    ));
}

#[test]
fn the_commitment_policy_is_applied_right_after_the_header() {
    let message = sample(AlgorithmSuite::Aes256GcmHkdfSha384EcdsaP384);
    let mut decryptor = Decryptor::new(DecryptOptions::new());
    let mut input = &message[..];
    assert!(matches!(
        decryptor.read_header(&mut input),
        Err(Error::CommitmentPolicy {
            policy: CommitmentPolicy::RequireEncryptRequireDecrypt,
            ..
        })
    ));
    assert!(
        decryptor.read_header(&mut input).is_err(),
        "a failed decryptor stays failed"
    );
}

#[test]
fn unsigned_only_refuses_signed_messages_before_any_key_is_needed() {
    let options = permissive().unsigned_only(true);
    let signed = sample(AlgorithmSuite::Aes256GcmHkdfSha512CommitEcdsaP384);
    let mut decryptor = Decryptor::new(options);
    assert!(matches!(
        decryptor.read_header(&mut &signed[..]),
        Err(Error::SignedMessageRefused)
    ));
    let unsigned = sample(AlgorithmSuite::Aes256GcmHkdfSha512Commit);
    assert!(
        decrypt(&unsigned, &EncryptionContext::new(), options, 0)
            .result
            .is_ok()
    );
}

#[test]
fn the_edk_limit_applies_before_the_entries_arrive() {
    let suite = AlgorithmSuite::Aes256GcmHkdfSha512Commit;
    let key = data_key(suite);
    let three: Vec<_> = (0..3)
        .map(|i| EncryptedDataKey::new("p", vec![i], vec![1; 300]).unwrap())
        .collect();
    let mut message = Vec::new();
    Encryptor::start(EncryptParams::new(suite, &key, &three), &mut message)
        .unwrap()
        .finish(&mut message)
        .unwrap();
    // Version, suite, message id, empty context, then the EDK count: stop right after it.
    let count_end = 1 + 2 + 32 + 2 + 2;
    let two = NonZeroU16::new(2).unwrap();
    let mut decryptor = Decryptor::new(DecryptOptions::new().max_encrypted_data_keys(two));
    assert!(matches!(
        decryptor.read_header(&mut &message[..count_end]),
        Err(Error::TooManyEncryptedDataKeys { count: 3, max: 2 })
    ));
    let options = DecryptOptions::new().max_encrypted_data_keys(NonZeroU16::new(3).unwrap());
    assert!(
        Decryptor::new(options)
            .read_header(&mut &message[..])
            .unwrap()
            .is_some()
    );
}

#[test]
fn a_wrong_data_key_fails_the_commitment_or_the_header_tag() {
    for (suite, expected) in [
        (AlgorithmSuite::Aes256GcmHkdfSha512Commit, "commitment"),
        (AlgorithmSuite::Aes256GcmHkdfSha256, "header"),
        (AlgorithmSuite::Aes128GcmNoKdf, "header"),
    ] {
        let message = sample(suite);
        let mut decryptor = Decryptor::new(permissive());
        let mut input = &message[..];
        decryptor.read_header(&mut input).unwrap().unwrap();
        let wrong = vec![0xaa; suite.data_key_len()];
        let error = decryptor
            .begin_body(&wrong, &EncryptionContext::new(), None)
            .unwrap_err();
        match expected {
            "commitment" => assert!(matches!(error, Error::CommitmentMismatch)),
            _ => assert!(matches!(error, Error::HeaderAuthentication)),
        }
        let mut out = Vec::new();
        assert!(decryptor.decrypt(&mut input, &mut out).is_err());
        assert!(out.is_empty());
    }
}

#[test]
fn data_keys_of_the_wrong_length_are_refused() {
    let suite = AlgorithmSuite::Aes192GcmHkdfSha256;
    let edks = edks();
    let result = Encryptor::start(EncryptParams::new(suite, &[0; 32], &edks), &mut Vec::new());
    assert!(matches!(
        result,
        Err(Error::DataKeyLength {
            expected: 24,
            actual: 32
        })
    ));
}

#[test]
fn signing_keys_must_match_the_suite_and_the_context() {
    let suite = AlgorithmSuite::Aes256GcmHkdfSha512CommitEcdsaP384;
    let key = data_key(suite);
    let edks = edks();
    let no_key = Encryptor::start(EncryptParams::new(suite, &key, &edks), &mut Vec::new());
    assert!(matches!(
        no_key,
        Err(Error::SignatureKeyMismatch { suite: 0x0578, .. })
    ));

    let signing = Arc::new(SigningKey::generate(SignatureAlgorithm::EcdsaP384Sha384).unwrap());
    let not_in_context = EncryptParams::new(suite, &key, &edks).signing_key(signing.clone());
    assert!(matches!(
        Encryptor::start(not_in_context, &mut Vec::new()),
        Err(Error::SignatureKeyMismatch { .. })
    ));

    let other = SigningKey::generate(SignatureAlgorithm::EcdsaP384Sha384).unwrap();
    let context =
        EncryptionContext::from([(EncryptionContext::PUBLIC_KEY, other.public_key_base64())]);
    let mismatched = EncryptParams::new(suite, &key, &edks)
        .encryption_context(&context)
        .signing_key(signing);
    assert!(matches!(
        Encryptor::start(mismatched, &mut Vec::new()),
        Err(Error::SignatureKeyMismatch { .. })
    ));

    let unsigned = AlgorithmSuite::Aes256GcmHkdfSha512Commit;
    let with_key = EncryptParams::new(unsigned, &key, &edks).encryption_context(&context);
    assert!(matches!(
        Encryptor::start(with_key, &mut Vec::new()),
        Err(Error::SignatureKeyMismatch { .. })
    ));
}

#[test]
fn encrypting_needs_an_encrypted_data_key() {
    let suite = AlgorithmSuite::Aes256GcmHkdfSha512Commit;
    let key = data_key(suite);
    let result = Encryptor::start(EncryptParams::new(suite, &key, &[]), &mut Vec::new());
    assert!(matches!(result, Err(Error::NoEncryptedDataKeys)));
}

#[test]
fn out_of_order_calls_are_typed_errors() {
    let mut decryptor = Decryptor::new(permissive());
    assert!(matches!(
        decryptor.begin_body(&[0; 32], &EncryptionContext::new(), None),
        Err(Error::OutOfOrder(_))
    ));
    let mut decryptor = Decryptor::new(permissive());
    assert!(matches!(
        decryptor.decrypt(&mut &[1u8, 2][..], &mut Vec::new()),
        Err(Error::OutOfOrder(_))
    ));
}

#[test]
fn a_final_frame_longer_than_the_frame_length_is_refused_before_its_body_arrives() {
    let suite = AlgorithmSuite::Aes256GcmHkdfSha512Commit;
    let message = sample(suite);
    let (_, header_len) = Header::from_bytes(&message, None).unwrap();
    // One regular frame of 64 bytes, then the final frame: raise its length field.
    let final_start = header_len + 4 + 12 + 64 + 16;
    let mut tampered = message[..final_start + 24].to_vec();
    tampered[final_start + 20..final_start + 24].copy_from_slice(&65u32.to_be_bytes());
    let outcome = decrypt(&tampered, &EncryptionContext::new(), permissive(), 0);
    assert!(matches!(
        outcome.result,
        Err(Error::FinalFrameTooLong {
            len: 65,
            frame_length: 64
        })
    ));
}

#[test]
fn frames_out_of_sequence_are_refused() {
    let suite = AlgorithmSuite::Aes256GcmHkdfSha512Commit;
    let message = sample(suite);
    let (_, header_len) = Header::from_bytes(&message, None).unwrap();
    let mut tampered = message.clone();
    tampered[header_len..header_len + 4].copy_from_slice(&2u32.to_be_bytes());
    let outcome = decrypt(&tampered, &EncryptionContext::new(), permissive(), 0);
    assert!(matches!(
        outcome.result,
        Err(Error::SequenceNumber {
            expected: 1,
            found: 2
        })
    ));
}

#[test]
fn errors_are_send_sync_and_static() {
    fn check<T: Send + Sync + 'static>() {}
    check::<Error>();
    check::<Decryptor>();
    check::<Encryptor>();
    check::<Header>();
    check::<SigningKey>();
}
