//! What attackers send: headers that never end, too many keys, frames too large to hold, and
//! any chunking of honest messages. Limits apply before the bytes that break them are
//! buffered; the header scanner takes exactly the header's bytes, whatever the chunking.

use aws_lc_rs::aead::{AES_128_GCM, Aad, LessSafeKey, Nonce, UnboundKey};
use core::num::NonZeroU16;
use keyward_format::{AlgorithmSuite, DecryptOptions, Decryptor, EncryptionContext, Error, Header};
use proptest::prelude::*;

use super::support::{data_key, decrypt, encrypt, permissive, plaintext};

/// A version 2 header body that declares `count` encrypted data keys of `len` bytes each
/// (the bytes after the count are the keys, as many as `keys` says; no tail).
fn hostile_header(count: u16, len: u16, keys: usize) -> Vec<u8> {
    let mut out = vec![2];
    out.extend_from_slice(&0x0478u16.to_be_bytes());
    out.extend_from_slice(&[7; 32]);
    out.extend_from_slice(&0u16.to_be_bytes());
    out.extend_from_slice(&count.to_be_bytes());
    for _ in 0..keys {
        out.extend_from_slice(&[0, 1, b'p', 0, 0]);
        out.extend_from_slice(&len.to_be_bytes());
        out.resize(out.len() + usize::from(len), 0xab);
    }
    out
}

/// Feeds `bytes` in `chunk`-byte pieces until the header is read or refused; returns the
/// outcome, the bytes the decryptor took, and the most it buffered.
fn feed_header(
    bytes: &[u8],
    chunk: usize,
    options: DecryptOptions,
) -> (Result<Option<Header>, Error>, usize, usize) {
    let mut decryptor = Decryptor::new(options);
    let (mut taken, mut buffered) = (0, 0);
    for piece in bytes.chunks(chunk) {
        let mut input = piece;
        let outcome = decryptor.read_header(&mut input).map(|h| h.cloned());
        taken += piece.len() - input.len();
        buffered = buffered.max(decryptor.buffered_len());
        match outcome {
            Ok(None) => {}
            other => return (other, taken, buffered),
        }
    }
    (Ok(None), taken, buffered)
}

#[test]
fn a_header_longer_than_the_limit_is_refused_before_it_is_buffered() {
    let max = 1 << 20;
    // 65,535 keys of 64 KiB would make a 4 GiB header; 40 of them are enough to cross 1 MiB.
    let bytes = hostile_header(u16::MAX, u16::MAX, 40);
    let options = permissive().max_header_len(max);
    // Byte by byte over 2.6 MB too: the scanner's work per byte is constant.
    for chunk in [1, 4096, 65_536, bytes.len()] {
        let (outcome, taken, buffered) = feed_header(&bytes, chunk, options);
        assert!(
            matches!(outcome, Err(Error::HeaderTooLong { max: m }) if m == max),
            "{outcome:?}"
        );
        assert!(taken <= max, "took {taken} bytes");
        assert!(buffered <= max, "buffered {buffered} bytes");
    }
}

#[test]
fn too_many_keys_are_refused_before_any_key_is_read() {
    let bytes = hostile_header(300, 16, 300);
    let prefix = 1 + 2 + 32 + 2 + 2;
    let options = permissive().max_encrypted_data_keys(NonZeroU16::new(256).unwrap());
    let (outcome, taken, _) = feed_header(&bytes, 1, options);
    assert!(matches!(
        outcome,
        Err(Error::TooManyEncryptedDataKeys {
            count: 300,
            max: 256
        })
    ));
    assert_eq!(taken, prefix, "refused at the count, before the keys");
}

#[test]
fn frames_longer_than_the_body_limit_are_refused_with_the_header() {
    let empty = EncryptionContext::new();
    let suite = AlgorithmSuite::Aes256GcmHkdfSha512Commit;
    let message = encrypt(suite, &empty, &empty, 1 << 20, &plaintext(3 << 20), 0).unwrap();
    let (header, header_len) = Header::from_bytes(&message, None).unwrap();
    assert_eq!(header.frame_length(), 1 << 20);
    let options = permissive().max_body_len(64 << 10);
    let (outcome, taken, _) = feed_header(&message, 4096, options);
    assert!(matches!(
        outcome,
        Err(Error::BodyTooLong { len, max }) if len == 1 << 20 && max == 64 << 10
    ));
    assert_eq!(taken, header_len, "nothing of the body was taken");
    // At the limit it decrypts, holding at most one frame.
    let outcome = decrypt(&message, &empty, permissive().max_body_len(1 << 20), 65_536);
    assert!(outcome.result.is_ok());
    assert!(outcome.max_buffered <= (1 << 20) + 64);
}

/// A non-framed message (suite 0x0014: the data key is the AES key, so the test seals the
/// header and the body itself), as the Python 1.x SDK wrote them.
fn non_framed_message(content: &[u8]) -> Vec<u8> {
    let suite = AlgorithmSuite::Aes128GcmNoKdf;
    let empty = EncryptionContext::new();
    let framed = encrypt(suite, &empty, &empty, 4096, b"", 0).unwrap();
    let (header, header_len) = Header::from_bytes(&framed, None).unwrap();
    // Version 1 tail: content type, reserved, IV length, frame length, IV, tag.
    let body_len = header_len - 12 - 16;
    let mut bytes = header.as_bytes()[..body_len].to_vec();
    let tail = body_len - (1 + 4 + 1 + 4);
    bytes[tail] = 1;
    bytes[body_len - 4..body_len].copy_from_slice(&0u32.to_be_bytes());
    let key = LessSafeKey::new(UnboundKey::new(&AES_128_GCM, &data_key(suite)).unwrap());
    let iv = [9u8; 12];
    let mut empty_text = Vec::new();
    let tag = key
        .seal_in_place_separate_tag(
            Nonce::assume_unique_for_key(iv),
            Aad::from(&bytes),
            &mut empty_text,
        )
        .unwrap();
    bytes.extend_from_slice(&iv);
    bytes.extend_from_slice(tag.as_ref());
    let mut aad = header.message_id().to_vec();
    aad.extend_from_slice(b"AWSKMSEncryptionClient Single Block");
    aad.extend_from_slice(&1u32.to_be_bytes());
    aad.extend_from_slice(&(content.len() as u64).to_be_bytes());
    let body_iv = [5u8; 12];
    let mut sealed = content.to_vec();
    let tag = key
        .seal_in_place_separate_tag(
            Nonce::assume_unique_for_key(body_iv),
            Aad::from(&aad),
            &mut sealed,
        )
        .unwrap();
    bytes.extend_from_slice(&body_iv);
    bytes.extend_from_slice(&(content.len() as u64).to_be_bytes());
    bytes.extend_from_slice(&sealed);
    bytes.extend_from_slice(tag.as_ref());
    bytes
}

#[test]
fn a_non_framed_body_longer_than_the_limit_is_refused_before_it_is_buffered() {
    let content = plaintext(1 << 20);
    let message = non_framed_message(&content);
    let empty = EncryptionContext::new();
    let whole = decrypt(&message, &empty, permissive(), 0);
    assert!(whole.result.is_ok(), "{:?}", whole.result);
    assert_eq!(whole.released, content);
    let capped = decrypt(&message, &empty, permissive().max_body_len(64 << 10), 4096);
    assert!(matches!(
        capped.result,
        Err(Error::BodyTooLong { len, max }) if len == 1 << 20 && max == 64 << 10
    ));
    assert!(capped.released.is_empty());
    assert!(capped.max_buffered < 64 << 10, "{}", capped.max_buffered);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// Any chunking finds the same header and leaves the body in the input.
    #[test]
    fn any_chunking_takes_exactly_the_header(
        size in 0usize..20_000,
        chunks in proptest::collection::vec(1usize..3000, 1..64),
        pairs in proptest::collection::btree_map("[a-z]{1,8}", "[a-z]{0,16}", 0..6),
    ) {
        let empty = EncryptionContext::new();
        let context: EncryptionContext = pairs.into();
        let message = encrypt(
            AlgorithmSuite::Aes256GcmHkdfSha512CommitEcdsaP384,
            &context,
            &empty,
            1024,
            &plaintext(size),
            0,
        )
        .unwrap();
        let (expected, header_len) = Header::from_bytes(&message, None).unwrap();
        let mut decryptor = Decryptor::new(permissive());
        let mut rest: &[u8] = &message;
        let mut sizes = chunks.iter().cycle();
        let header = loop {
            let take = (*sizes.next().unwrap()).min(rest.len());
            let (piece, after) = rest.split_at(take);
            let mut input = piece;
            let found = decryptor.read_header(&mut input).unwrap().cloned();
            if let Some(header) = found {
                // The bytes after the header stay in the input.
                prop_assert_eq!(message.len() - after.len() - input.len(), header_len);
                break header;
            }
            prop_assert!(input.is_empty());
            rest = after;
        };
        prop_assert_eq!(header, expected);
    }
}

/// An authenticated header may declare frames of 2^32 - 1 bytes; the bytes of such a frame
/// that actually arrive, not its declared length, size the buffer.
#[test]
fn a_declared_frame_length_never_sizes_the_buffer() {
    let empty = EncryptionContext::new();
    let suite = AlgorithmSuite::Aes256GcmHkdfSha512Commit;
    let message = encrypt(suite, &empty, &empty, u32::MAX, b"small", 0).unwrap();
    let (_, header_len) = Header::from_bytes(&message, None).unwrap();
    let mut hostile = message[..header_len].to_vec();
    hostile.extend_from_slice(&1u32.to_be_bytes()); // a regular frame, sequence number 1
    hostile.resize(hostile.len() + 4000, 0x77);
    let mut decryptor = Decryptor::new(permissive());
    let mut input: &[u8] = &hostile;
    decryptor.read_header(&mut input).unwrap().unwrap();
    decryptor
        .begin_body(&data_key(suite), &empty, None)
        .unwrap();
    let mut out = Vec::new();
    for piece in input.chunks(100) {
        let mut piece = piece;
        decryptor.decrypt(&mut piece, &mut out).unwrap();
        assert!(
            decryptor.buffered_len() <= 2 * 4004 + 64,
            "buffered {} bytes for 4,004 received",
            decryptor.buffered_len()
        );
    }
    assert!(out.is_empty());
}
