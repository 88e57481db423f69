//! Messages assembled by hand with the backend's AES-GCM, for the shapes other writers emit:
//! an empty final frame after an exact multiple of the frame length (Python, and our writer
//! too), a full final frame there instead (the Dafny-based SDKs), and the header tag of
//! ESDK-NET 4.0.0 (`00 00` authenticated for an empty required context).

use aws_lc_rs::aead::{AES_128_GCM, Aad, LessSafeKey, Nonce, UnboundKey};
use keyward_format::{AlgorithmSuite, EncryptionContext, Error, Header};

use super::support::{data_key, decrypt, encrypt, permissive, plaintext};

/// Suite 0x0014 has the identity KDF: the data key is the AES key, so a test can seal frames
/// itself.
const SUITE: AlgorithmSuite = AlgorithmSuite::Aes128GcmNoKdf;
const FRAME: usize = 32;

fn key() -> LessSafeKey {
    LessSafeKey::new(UnboundKey::new(&AES_128_GCM, &data_key(SUITE)).unwrap())
}

fn body_aad(message_id: &[u8], content: &str, sequence_number: u32, len: u64) -> Vec<u8> {
    let mut aad = message_id.to_vec();
    aad.extend_from_slice(content.as_bytes());
    aad.extend_from_slice(&sequence_number.to_be_bytes());
    aad.extend_from_slice(&len.to_be_bytes());
    aad
}

fn seal(
    message_id: &[u8],
    content: &str,
    sequence_number: u32,
    plaintext: &[u8],
) -> (Vec<u8>, Vec<u8>) {
    let mut iv = [0u8; 12];
    iv[8..].copy_from_slice(&sequence_number.to_be_bytes());
    let aad = body_aad(message_id, content, sequence_number, plaintext.len() as u64);
    let mut data = plaintext.to_vec();
    let tag = key()
        .seal_in_place_separate_tag(Nonce::assume_unique_for_key(iv), Aad::from(&aad), &mut data)
        .unwrap();
    let mut frame = iv.to_vec();
    frame.extend_from_slice(&data);
    frame.extend_from_slice(tag.as_ref());
    (frame, iv.to_vec())
}

/// A message from our writer, with its parsed header and the header's length.
fn our_message(data: &[u8]) -> (Vec<u8>, Header, usize) {
    let empty = EncryptionContext::new();
    let message = encrypt(SUITE, &empty, &empty, FRAME as u32, data, 0).unwrap();
    let (header, header_len) = Header::from_bytes(&message, None).unwrap();
    (message, header, header_len)
}

#[test]
fn exact_multiples_end_with_an_empty_final_frame_and_a_full_final_frame_is_read() {
    let data = plaintext(2 * FRAME);
    let (ours, header, header_len) = our_message(&data);
    let id = header.message_id();

    let mut message = ours[..header_len].to_vec();
    for (index, chunk) in data.chunks(FRAME).enumerate() {
        let sequence_number = index as u32 + 1;
        let (frame, _) = seal(id, "AWSKMSEncryptionClient Frame", sequence_number, chunk);
        message.extend_from_slice(&sequence_number.to_be_bytes());
        message.extend_from_slice(&frame);
    }
    let (sealed, iv) = seal(id, "AWSKMSEncryptionClient Final Frame", 3, &[]);
    message.extend_from_slice(&[0xff; 4]);
    message.extend_from_slice(&3u32.to_be_bytes());
    message.extend_from_slice(&iv);
    message.extend_from_slice(&0u32.to_be_bytes());
    message.extend_from_slice(&sealed[12..]);

    for chunk in [0, 1, 9] {
        let outcome = decrypt(&message, &EncryptionContext::new(), permissive(), chunk);
        assert!(
            outcome.result.is_ok(),
            "chunk {chunk}: {:?}",
            outcome.result
        );
        assert_eq!(outcome.released, data);
    }
    // Our writer ends the same way, byte for byte (as the Python SDK writes it).
    assert_eq!(message, ours);

    // The other style, a full final frame (as the Dafny-based SDKs write it), reads too.
    let mut full = ours[..header_len].to_vec();
    let (first, second) = data.split_at(FRAME);
    let (frame, _) = seal(id, "AWSKMSEncryptionClient Frame", 1, first);
    full.extend_from_slice(&1u32.to_be_bytes());
    full.extend_from_slice(&frame);
    let (sealed, iv) = seal(id, "AWSKMSEncryptionClient Final Frame", 2, second);
    full.extend_from_slice(&[0xff; 4]);
    full.extend_from_slice(&2u32.to_be_bytes());
    full.extend_from_slice(&iv);
    full.extend_from_slice(&(FRAME as u32).to_be_bytes());
    full.extend_from_slice(&sealed[12..]);
    assert_ne!(full, ours);
    for chunk in [0, 1, 9] {
        let outcome = decrypt(&full, &EncryptionContext::new(), permissive(), chunk);
        assert!(
            outcome.result.is_ok(),
            "chunk {chunk}: {:?}",
            outcome.result
        );
        assert_eq!(outcome.released, data);
    }
}

#[test]
fn the_net_v4_0_0_header_tag_needs_the_retry() {
    let data = plaintext(50);
    let (ours, header, header_len) = our_message(&data);
    let body_len = header.body_bytes().len();

    let mut aad = header.body_bytes().to_vec();
    aad.extend_from_slice(&[0, 0]);
    let mut empty = [];
    let tag = key()
        .seal_in_place_separate_tag(
            Nonce::assume_unique_for_key([0; 12]),
            Aad::from(&aad),
            &mut empty,
        )
        .unwrap();
    let mut message = ours.clone();
    message[body_len + 12..header_len].copy_from_slice(tag.as_ref());

    let without = decrypt(
        &message,
        &EncryptionContext::new(),
        permissive().net_v4_0_0_retry(false),
        0,
    );
    assert!(matches!(without.result, Err(Error::HeaderAuthentication)));
    assert!(without.released.is_empty());
    let with = decrypt(&message, &EncryptionContext::new(), permissive(), 0);
    assert!(with.result.is_ok(), "{:?}", with.result);
    assert_eq!(with.released, data);
    // A message that needs no retry is read the same with the retry off.
    let plain = decrypt(
        &ours,
        &EncryptionContext::new(),
        permissive().net_v4_0_0_retry(false),
        0,
    );
    assert!(plain.result.is_ok());
}

#[test]
fn an_encrypted_data_key_serializes_as_in_the_header() {
    let edk = keyward_format::EncryptedDataKey::new("p", vec![1, 2], vec![3]).unwrap();
    let bytes = edk.to_bytes();
    assert_eq!(bytes, [0, 1, b'p', 0, 2, 1, 2, 0, 1, 3]);
    assert_eq!(bytes.len(), edk.serialized_len());
    // Our writer's header holds each of its EDKs in exactly this form, after their count.
    let (message, header, header_len) = our_message(b"x");
    let first = header.encrypted_data_keys()[0].to_bytes();
    let count = u16::try_from(header.encrypted_data_keys().len()).unwrap();
    let mut expected = count.to_be_bytes().to_vec();
    expected.extend_from_slice(&first);
    assert!(
        message[..header_len]
            .windows(expected.len())
            .any(|window| window == expected.as_slice())
    );
}
