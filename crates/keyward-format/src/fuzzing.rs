//! Entry points for the fuzz targets (one line each in `fuzz/`), kept in the library so that
//! they build with the crate and stay in step with it.

use core::num::NonZeroU16;

use crate::context::EncryptionContext;
use crate::decrypt::{DecryptOptions, Decryptor};
use crate::error::Error;
use crate::header::Header;
use crate::policy::CommitmentPolicy;

/// Parses `data` as a header. Must never panic.
pub fn parse_header(data: &[u8]) {
    let _ = Header::from_bytes(data, None);
}

/// Parses `data` as an encryption context. Must never panic.
pub fn parse_context(data: &[u8]) {
    if let Ok(context) = EncryptionContext::from_canonical_bytes(data) {
        let bytes = context.to_canonical_bytes();
        assert!(bytes.is_ok(), "a parsed context must serialize");
    }
}

/// Decrypts `data` as a whole message with the all-zero data key (the key the public
/// "null" vectors use, so seeds from them reach the body), feeding it in two pieces split at
/// a position chosen by the input. Must never panic, and must release plaintext only for a
/// message that completes.
///
/// # Panics
/// When the check it exists for fails: that is the finding.
pub fn decrypt_message(data: &[u8]) {
    let split = data.first().map_or(0, |b| usize::from(*b)).min(data.len());
    let (first, second) = data.split_at(split);
    let mut decryptor = Decryptor::new(
        DecryptOptions::new().commitment_policy(CommitmentPolicy::ForbidEncryptAllowDecrypt),
    );
    let mut out = Vec::new();
    let mut run = || -> crate::Result<()> {
        let mut started = false;
        for piece in [first, second] {
            let mut input = piece;
            if !started {
                let Some(header) = decryptor.read_header(&mut input)? else {
                    continue;
                };
                let key = vec![0u8; header.suite().data_key_len()];
                let verification_key = header.verification_key()?;
                decryptor.begin_body(&key, &EncryptionContext::new(), verification_key)?;
                started = true;
            }
            decryptor.decrypt(&mut input, &mut out)?;
        }
        decryptor.finish()
    };
    let complete = run().is_ok();
    assert!(
        complete || out.len() <= data.len(),
        "plaintext cannot exceed the ciphertext"
    );
}

/// Feeds `data` to a decryptor in pieces whose sizes its first eight bytes choose (as input
/// arrives from a pipe), with and without limits; the streaming header scanner must find the
/// same header, of the same length, as the whole-buffer parser, must take no byte after it,
/// and must respect the limits. Must never panic.
///
/// # Panics
/// When the check it exists for fails: that is the finding.
pub fn decrypt_stream(data: &[u8]) {
    let (seed, message) = data.split_at(data.len().min(8));
    let mut state = seed.iter().fold(0x9e37_79b9_7f4a_7c15_u64, |acc, b| {
        (acc ^ u64::from(*b)).wrapping_mul(0x100_0000_01b3)
    }) | 1;
    let mut sizes = core::iter::from_fn(move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        Some(usize::try_from(state % 600).unwrap_or(0) + 1)
    });
    let whole = Header::from_bytes(message, None);
    let plain =
        DecryptOptions::new().commitment_policy(CommitmentPolicy::ForbidEncryptAllowDecrypt);
    let limited = plain
        .max_header_len(4096)
        .max_encrypted_data_keys(NonZeroU16::MIN.saturating_add(3))
        .max_body_len(1 << 16);
    for options in [plain, limited] {
        let mut decryptor = Decryptor::new(options);
        let mut rest = message;
        let mut taken = 0usize;
        let found = loop {
            let take = sizes.next().unwrap_or(1).min(rest.len());
            let (piece, after) = rest.split_at(take);
            let mut input = piece;
            let outcome = decryptor.read_header(&mut input).map(|h| h.cloned());
            taken += piece.len() - input.len();
            // The scanner holds what it took, with doubling room; nothing for lengths claimed.
            assert!(decryptor.buffered_len() <= 2 * taken.max(32));
            match outcome {
                Ok(Some(header)) => break Ok(header),
                Ok(None) if after.is_empty() => break Err(Error::Truncated),
                Ok(None) => rest = after,
                Err(error) => break Err(error),
            }
        };
        match (&found, &whole, options == limited) {
            (Ok(streamed), Ok((parsed, len)), _) => {
                assert_eq!(streamed, parsed, "the stream found another header");
                assert_eq!(taken, *len, "the stream took bytes after the header");
            }
            (Err(_), Err(_), _) | (Err(_), Ok(_), true) => {}
            (Ok(_), Err(error), _) => panic!("only the stream accepted the header: {error}"),
            (Err(error), Ok(_), false) => panic!("only the whole parse accepted it: {error}"),
        }
        if let (Ok(header), true) = (&found, options == limited) {
            assert!(header.as_bytes().len() <= 4096);
            assert!(header.encrypted_data_keys().len() <= 4);
        }
    }
}
