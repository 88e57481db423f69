//! Tampering: every bit flip, every truncation and an appended byte fail, and no plaintext of
//! the affected frame (nor, for signed suites, of the last frame) is ever released.

use keyward_format::{AlgorithmSuite, EncryptionContext, Error, Header};

use super::support::{decrypt, encrypt, permissive, plaintext};

const FRAME: usize = 16;
const PLAINTEXT_LEN: usize = 40; // Two regular frames and a final frame of 8 bytes.
const REGULAR_FRAME_LEN: usize = 4 + 12 + FRAME + 16;

/// The most plaintext a failed decryption may release when the damage starts at `offset`:
/// the regular frames that end before it.
fn allowed_release(header_len: usize, offset: usize) -> usize {
    let whole_frames = offset.saturating_sub(header_len) / REGULAR_FRAME_LEN;
    whole_frames.min(PLAINTEXT_LEN / FRAME) * FRAME
}

fn suites() -> [AlgorithmSuite; 4] {
    [
        AlgorithmSuite::Aes256GcmHkdfSha512Commit,
        AlgorithmSuite::Aes256GcmHkdfSha512CommitEcdsaP384,
        AlgorithmSuite::Aes128GcmHkdfSha256,
        AlgorithmSuite::Aes128GcmHkdfSha256EcdsaP256,
    ]
}

fn message(suite: AlgorithmSuite) -> (Vec<u8>, usize) {
    let context = EncryptionContext::from([("k", "v")]);
    let message = encrypt(
        suite,
        &context,
        &EncryptionContext::new(),
        FRAME as u32,
        &plaintext(PLAINTEXT_LEN),
        0,
    )
    .unwrap();
    let (_, header_len) = Header::from_bytes(&message, None).unwrap();
    (message, header_len)
}

#[test]
fn every_bit_flip_fails_without_releasing_the_damaged_frame() {
    let expected = plaintext(PLAINTEXT_LEN);
    for suite in suites() {
        let (message, header_len) = message(suite);
        assert!(
            decrypt(&message, &EncryptionContext::new(), permissive(), 0)
                .result
                .is_ok()
        );
        for offset in 0..message.len() {
            for bit in 0..8 {
                let mut tampered = message.clone();
                tampered[offset] ^= 1 << bit;
                let outcome = decrypt(&tampered, &EncryptionContext::new(), permissive(), 0);
                assert!(
                    outcome.result.is_err(),
                    "{suite:?}: flip at {offset}.{bit} went unnoticed"
                );
                assert!(
                    outcome.released.len() <= allowed_release(header_len, offset),
                    "{suite:?}: flip at {offset}.{bit} released {} bytes",
                    outcome.released.len()
                );
                assert_eq!(outcome.released[..], expected[..outcome.released.len()]);
            }
        }
    }
}

#[test]
fn every_truncation_fails_without_releasing_the_cut_frame() {
    let expected = plaintext(PLAINTEXT_LEN);
    for suite in suites() {
        let (message, header_len) = message(suite);
        for len in 0..message.len() {
            for chunk in [0, 5] {
                let outcome = decrypt(
                    &message[..len],
                    &EncryptionContext::new(),
                    permissive(),
                    chunk,
                );
                assert!(
                    matches!(outcome.result, Err(Error::Truncated)),
                    "{suite:?}: truncation to {len} gave {:?}",
                    outcome.result
                );
                assert!(outcome.released.len() <= allowed_release(header_len, len));
                assert_eq!(outcome.released[..], expected[..outcome.released.len()]);
            }
        }
    }
}

#[test]
fn appended_bytes_fail() {
    for suite in suites() {
        let (mut message, _) = message(suite);
        message.push(0);
        for chunk in [0, 1] {
            let outcome = decrypt(&message, &EncryptionContext::new(), permissive(), chunk);
            assert!(
                matches!(outcome.result, Err(Error::TrailingBytes)),
                "{suite:?}: {:?}",
                outcome.result
            );
        }
    }
}
