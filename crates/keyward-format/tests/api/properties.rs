//! Property tests: encode/decode round trips, and no panic on any input.

use proptest::collection::{btree_map, vec};
use proptest::prelude::*;

use keyward_format::{
    AlgorithmSuite, EncryptParams, EncryptedDataKey, EncryptionContext, Encryptor, FrameLength,
    Header,
};

use super::support::{data_key, decrypt, encrypt, permissive};

fn suite() -> impl Strategy<Value = AlgorithmSuite> {
    proptest::sample::select(AlgorithmSuite::ALL.to_vec())
}

fn context() -> impl Strategy<Value = EncryptionContext> {
    btree_map(".{0,12}", ".{0,12}", 0..6).prop_map(EncryptionContext::from)
}

fn edk() -> impl Strategy<Value = EncryptedDataKey> {
    (".{0,10}", vec(any::<u8>(), 0..40), vec(any::<u8>(), 0..80))
        .prop_map(|(id, info, ciphertext)| EncryptedDataKey::new(id, info, ciphertext).unwrap())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn contexts_round_trip(context in context()) {
        let bytes = context.to_canonical_bytes().unwrap();
        prop_assert_eq!(bytes.len(), context.serialized_len());
        prop_assert_eq!(EncryptionContext::from_canonical_bytes(&bytes).unwrap(), context);
    }

    #[test]
    fn headers_round_trip(
        suite in suite(),
        context in context(),
        edks in vec(edk(), 1..4),
        frame_length in 1u32..=u32::MAX,
    ) {
        let context: EncryptionContext = context.iter().filter(|(k, _)| !k.starts_with("aws-crypto-")).collect();
        prop_assume!(!suite.is_signing());
        let key = data_key(suite);
        let params = EncryptParams::new(suite, &key, &edks)
            .encryption_context(&context)
            .frame_length(FrameLength::new(u64::from(frame_length)).unwrap());
        let mut message = Vec::new();
        Encryptor::start(params, &mut message).unwrap();
        let (header, len) = Header::from_bytes(&message, None).unwrap();
        prop_assert_eq!(len, message.len());
        prop_assert_eq!(header.suite(), suite);
        prop_assert_eq!(header.encryption_context(), &context);
        prop_assert_eq!(header.encrypted_data_keys(), &edks[..]);
        prop_assert_eq!(header.frame_length(), frame_length);
    }

    #[test]
    fn frames_round_trip(
        suite in suite(),
        plaintext in vec(any::<u8>(), 0..600),
        frame_length in 1u32..200,
        write_chunk in 0usize..50,
        read_chunk in 0usize..50,
    ) {
        let message = encrypt(suite, &EncryptionContext::new(), &EncryptionContext::new(), frame_length, &plaintext, write_chunk).unwrap();
        let outcome = decrypt(&message, &EncryptionContext::new(), permissive(), read_chunk);
        prop_assert!(outcome.result.is_ok());
        prop_assert_eq!(outcome.released, plaintext);
    }

    #[test]
    fn any_bytes_give_a_header_or_a_typed_error(bytes in vec(any::<u8>(), 0..400)) {
        keyward_format::fuzzing::parse_header(&bytes);
        keyward_format::fuzzing::decrypt_message(&bytes);
        keyward_format::fuzzing::parse_context(&bytes);
        keyward_format::fuzzing::decrypt_stream(&bytes);
    }

    /// The streaming header scanner agrees with the whole-buffer parser on real headers cut
    /// anywhere and damaged anywhere (the fuzz target's check, on honest inputs).
    #[test]
    fn the_stream_scanner_agrees_with_the_parser(
        suite in suite(),
        seed in any::<[u8; 8]>(),
        cut in any::<prop::sample::Index>(),
        position in any::<prop::sample::Index>(),
        mask in any::<u8>(),
    ) {
        let context = EncryptionContext::from([("tenant", "fuzz")]);
        let message = encrypt(suite, &context, &EncryptionContext::new(), 64, &[1; 200], 0).unwrap();
        let mut bytes = message[..cut.index(message.len() + 1)].to_vec();
        if !bytes.is_empty() {
            let at = position.index(bytes.len());
            bytes[at] ^= mask;
        }
        let mut input = seed.to_vec();
        input.extend_from_slice(&bytes);
        keyward_format::fuzzing::decrypt_stream(&input);
    }

    #[test]
    fn damaged_messages_never_decrypt(
        suite in suite(),
        position in any::<prop::sample::Index>(),
        mask in 1u8..,
    ) {
        let plaintext = vec![0x5a; 300];
        let message = encrypt(suite, &EncryptionContext::new(), &EncryptionContext::new(), 64, &plaintext, 0).unwrap();
        let mut damaged = message.clone();
        damaged[position.index(message.len())] ^= mask;
        let outcome = decrypt(&damaged, &EncryptionContext::new(), permissive(), 0);
        prop_assert!(outcome.result.is_err());
        prop_assert!(outcome.released.len() < plaintext.len());
    }
}
