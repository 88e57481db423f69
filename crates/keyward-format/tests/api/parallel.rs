//! The parallel path (runs of 1 MiB of frames or more) against the frame-by-frame one: the
//! same bytes, the same plaintext, the same errors, and nothing of a failed run released.

use std::num::NonZeroUsize;
use std::sync::Arc;

use keyward_format::{
    AlgorithmSuite, DecryptOptions, Decryptor, EncryptParams, EncryptionContext, Encryptor, Error,
    FrameLength, Header, SigningKey,
};

use super::support::{self, data_key, edks, permissive, plaintext};

const MESSAGE_ID: [u8; 32] = [0x5a; 32];

fn threads(n: usize) -> NonZeroUsize {
    NonZeroUsize::new(n).unwrap()
}

/// Encrypts `plaintext` in pieces of `chunk` bytes with at most `max_threads` threads, a fixed
/// message id and, for signing suites, `signing_key`.
fn encrypt(
    suite: AlgorithmSuite,
    frame_length: u32,
    plaintext: &[u8],
    chunk: usize,
    max_threads: usize,
    signing_key: Option<&Arc<SigningKey>>,
) -> Vec<u8> {
    let key = data_key(suite);
    let edks = edks();
    let mut context = EncryptionContext::new();
    if let Some(signing_key) = signing_key {
        context.insert(
            EncryptionContext::PUBLIC_KEY,
            signing_key.public_key_base64(),
        );
    }
    let message_id = &MESSAGE_ID[..suite.message_id_len()];
    let mut params = EncryptParams::new(suite, &key, &edks)
        .encryption_context(&context)
        .frame_length(FrameLength::new(u64::from(frame_length)).unwrap())
        .message_id(message_id)
        .max_threads(threads(max_threads));
    if let Some(signing_key) = signing_key {
        params = params.signing_key(signing_key.clone());
    }
    let mut out = Vec::new();
    let mut encryptor = Encryptor::start(params, &mut out).unwrap();
    for piece in plaintext.chunks(chunk) {
        encryptor.update(piece, &mut out).unwrap();
    }
    encryptor.finish(&mut out).unwrap();
    out
}

/// Decrypts with at most `max_threads` threads in pieces of `chunk` bytes: what was released,
/// and the outcome.
fn decrypt(message: &[u8], chunk: usize, max_threads: usize) -> (Vec<u8>, Result<(), Error>) {
    let options = permissive().max_threads(threads(max_threads));
    let outcome = support::decrypt(message, &EncryptionContext::new(), options, chunk);
    (outcome.released, outcome.result)
}

/// The suites that matter here: v2 unsigned, v2 signed, v1 without a KDF.
const SUITES: [AlgorithmSuite; 3] = [
    AlgorithmSuite::Aes256GcmHkdfSha512Commit,
    AlgorithmSuite::Aes256GcmHkdfSha512CommitEcdsaP384,
    AlgorithmSuite::Aes128GcmNoKdf,
];

#[test]
fn many_threads_write_the_bytes_one_thread_writes() {
    let data = plaintext(3 * (1 << 20) + 17);
    for suite in SUITES {
        let signing_key = suite
            .signature()
            .map(|algorithm| Arc::new(SigningKey::generate(algorithm).unwrap()));
        for frame_length in [4096, 1000, 1 << 20] {
            let one = encrypt(
                suite,
                frame_length,
                &data,
                data.len(),
                1,
                signing_key.as_ref(),
            );
            for (chunk, max_threads) in [(data.len(), 2), (data.len(), 7), (1_500_000, 3)] {
                let many = encrypt(
                    suite,
                    frame_length,
                    &data,
                    chunk,
                    max_threads,
                    signing_key.as_ref(),
                );
                assert_eq!(one.len(), many.len(), "{suite:?} frame {frame_length}");
                // ECDSA signatures are randomized: everything before the footer is equal.
                let footer = suite.signature().map_or(0, |a| 2 + a.fixed_signature_len());
                assert!(
                    one[..one.len() - footer] == many[..many.len() - footer],
                    "{suite:?} frame {frame_length} chunk {chunk} threads {max_threads}"
                );
                for (read_chunk, read_threads) in [(many.len(), 1), (many.len(), 4), (1 << 21, 2)] {
                    let (released, result) = decrypt(&many, read_chunk, read_threads);
                    result.unwrap();
                    assert!(released == data, "{suite:?} frame {frame_length}");
                }
            }
        }
    }
}

/// The byte offset of frame `number` (from 1) of a message with `frame_length` frames.
fn frame_offset(message: &[u8], frame_length: usize, number: usize) -> usize {
    let (_, header_len) = Header::from_bytes(message, None).unwrap();
    header_len + (number - 1) * (4 + 12 + frame_length + 16)
}

#[test]
fn a_damaged_frame_fails_the_run_and_is_named_and_nothing_of_the_run_is_released() {
    let frame_length = 4096;
    let data = plaintext(4 << 20);
    for suite in SUITES {
        let signing_key = suite
            .signature()
            .map(|algorithm| Arc::new(SigningKey::generate(algorithm).unwrap()));
        let message = encrypt(
            suite,
            frame_length as u32,
            &data,
            data.len(),
            1,
            signing_key.as_ref(),
        );
        // Frames 300 and 700 damaged: the earlier one is named, whatever the threads.
        let mut damaged = message.clone();
        for number in [700, 300] {
            damaged[frame_offset(&message, frame_length, number) + 40] ^= 1;
        }
        for max_threads in [1, 2, 5] {
            let (released, result) = decrypt(&damaged, damaged.len(), max_threads);
            assert!(
                matches!(
                    result,
                    Err(Error::FrameAuthentication {
                        sequence_number: 300
                    })
                ),
                "{suite:?} {max_threads}: {result:?}"
            );
            // The whole message was one run: none of it is released.
            assert!(
                released.is_empty(),
                "{suite:?}: {} bytes released",
                released.len()
            );
            // Fed in 1.5 MiB pieces, only runs that verified are released.
            let (released, result) = decrypt(&damaged, 1_500_000, max_threads);
            assert!(matches!(
                result,
                Err(Error::FrameAuthentication {
                    sequence_number: 300
                })
            ));
            assert!(released.len() < 299 * frame_length);
            assert!(released == data[..released.len()]);
        }
    }
}

#[test]
fn frames_out_of_sequence_are_left_to_the_frame_by_frame_path() {
    let frame_length = 4096;
    let suite = AlgorithmSuite::Aes256GcmHkdfSha512Commit;
    let data = plaintext(3 << 20);
    let message = encrypt(suite, frame_length as u32, &data, data.len(), 1, None);
    // Frames 400 and 401 swapped: the run stops before them, the next frame is out of order.
    let unit = 4 + 12 + frame_length + 16;
    let at = frame_offset(&message, frame_length, 400);
    let mut swapped = message.clone();
    swapped[at..at + unit].copy_from_slice(&message[at + unit..at + 2 * unit]);
    swapped[at + unit..at + 2 * unit].copy_from_slice(&message[at..at + unit]);
    for max_threads in [1, 2] {
        let (released, result) = decrypt(&swapped, swapped.len(), max_threads);
        assert!(
            matches!(
                result,
                Err(Error::SequenceNumber {
                    expected: 400,
                    found: 401
                })
            ),
            "{result:?}"
        );
        // The 399 frames before it verified and were released.
        assert!(released == data[..399 * frame_length]);
    }
}

#[test]
fn the_default_thread_count_writes_and_reads_the_same_bytes() {
    // Whatever the default thread count, the bytes are those of one thread.
    let suite = AlgorithmSuite::Aes256GcmHkdfSha512Commit;
    let data = plaintext((2 << 20) + 5);
    let key = data_key(suite);
    let edks = edks();
    let mut out = Vec::new();
    let params = EncryptParams::new(suite, &key, &edks).message_id(&MESSAGE_ID);
    let mut encryptor = Encryptor::start(params, &mut out).unwrap();
    encryptor.update(&data, &mut out).unwrap();
    encryptor.finish(&mut out).unwrap();
    assert_eq!(out, encrypt(suite, 4096, &data, data.len(), 1, None));
    let mut decryptor = Decryptor::new(DecryptOptions::new());
    let mut input = &out[..];
    decryptor.read_header(&mut input).unwrap().unwrap();
    decryptor
        .begin_body(&key, &EncryptionContext::new(), None)
        .unwrap();
    let mut released = Vec::new();
    decryptor.decrypt(&mut input, &mut released).unwrap();
    decryptor.finish().unwrap();
    assert!(released == data);
}
