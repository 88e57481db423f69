//! Every suite, body shape and chunking decrypts to what was encrypted.

use keyward_format::{AlgorithmSuite, EncryptionContext, Header};

use super::support::{decrypt, encrypt, permissive, plaintext};

#[test]
fn every_suite_round_trips_at_frame_boundaries_and_any_chunking() {
    let frame = 64;
    let context = EncryptionContext::from([("purpose", "test"), ("tenant", "a")]);
    for suite in AlgorithmSuite::ALL {
        for len in [0, 1, frame - 1, frame, frame + 1, 3 * frame, 3 * frame + 5] {
            let data = plaintext(len);
            for write_chunk in [0, 1, 13] {
                let message = encrypt(
                    suite,
                    &context,
                    &EncryptionContext::new(),
                    frame as u32,
                    &data,
                    write_chunk,
                )
                .unwrap();
                for read_chunk in [0, 1, 7, 100] {
                    let outcome = decrypt(
                        &message,
                        &EncryptionContext::new(),
                        permissive(),
                        read_chunk,
                    );
                    outcome.result.unwrap_or_else(|e| {
                        panic!("{suite:?} len {len} chunks {write_chunk}/{read_chunk}: {e}")
                    });
                    assert_eq!(outcome.released, data, "{suite:?} len {len}");
                }
            }
        }
    }
}

#[test]
fn headers_carry_what_the_writer_chose() {
    let context = EncryptionContext::from([("a", "1")]);
    for suite in AlgorithmSuite::ALL {
        let message = encrypt(suite, &context, &EncryptionContext::new(), 100, b"x", 0).unwrap();
        let (header, len) = Header::from_bytes(&message, None).unwrap();
        assert_eq!(header.suite(), suite);
        assert_eq!(header.frame_length(), 100);
        assert_eq!(header.message_id().len(), suite.message_id_len());
        assert_eq!(header.encryption_context().get("a"), Some("1"));
        assert_eq!(
            header
                .encryption_context()
                .contains_key(EncryptionContext::PUBLIC_KEY),
            suite.is_signing()
        );
        assert_eq!(header.commitment().is_some(), suite.is_committing());
        assert_eq!(header.as_bytes(), &message[..len]);
    }
}

#[test]
fn exact_multiples_end_with_an_empty_final_frame() {
    let suite = AlgorithmSuite::Aes256GcmHkdfSha512Commit;
    let message = encrypt(
        suite,
        &EncryptionContext::new(),
        &EncryptionContext::new(),
        16,
        &plaintext(48),
        0,
    )
    .unwrap();
    let (_, header_len) = Header::from_bytes(&message, None).unwrap();
    // Three regular frames (4 + 12 + 16 + 16 bytes each) and an empty final frame (as the
    // official Python SDK writes it; its readers before version 4 refuse a full one).
    let final_frame = &message[header_len + 3 * 48..];
    assert_eq!(&final_frame[..8], &[0xff, 0xff, 0xff, 0xff, 0, 0, 0, 4]);
    assert_eq!(&final_frame[20..24], &[0, 0, 0, 0]);
    assert_eq!(final_frame.len(), 24 + 16);
}

#[test]
fn required_context_is_authenticated_but_not_stored() {
    let suite = AlgorithmSuite::Aes256GcmHkdfSha512CommitEcdsaP384;
    let stored = EncryptionContext::from([("a", "1")]);
    let required = EncryptionContext::from([("b", "2")]);
    let message = encrypt(suite, &stored, &required, 32, &plaintext(100), 0).unwrap();
    let (header, _) = Header::from_bytes(&message, None).unwrap();
    assert!(!header.encryption_context().contains_key("b"));
    let outcome = decrypt(&message, &required, permissive(), 0);
    assert!(outcome.result.is_ok());
    assert_eq!(outcome.released, plaintext(100));
    for wrong in [
        EncryptionContext::new(),
        EncryptionContext::from([("b", "3")]),
    ] {
        let outcome = decrypt(&message, &wrong, permissive(), 0);
        assert!(matches!(
            outcome.result,
            Err(keyward_format::Error::HeaderAuthentication)
        ));
        assert!(outcome.released.is_empty());
    }
}

#[test]
fn streaming_buffers_at_most_one_frame() {
    let frame = 4096;
    for suite in [
        AlgorithmSuite::Aes256GcmHkdfSha512Commit,
        AlgorithmSuite::Aes256GcmHkdfSha512CommitEcdsaP384,
    ] {
        let data = plaintext(4 << 20);
        let message = encrypt(
            suite,
            &EncryptionContext::new(),
            &EncryptionContext::new(),
            frame as u32,
            &data,
            0,
        )
        .unwrap();
        for chunk in [1000, 65_536] {
            let outcome = decrypt(&message, &EncryptionContext::new(), permissive(), chunk);
            assert!(outcome.result.is_ok());
            assert_eq!(outcome.released.len(), data.len());
            assert!(
                outcome.max_buffered <= 2 * (frame + 64),
                "{suite:?} chunk {chunk}: buffered {} bytes",
                outcome.max_buffered
            );
        }
    }
}
