//! Entry points for the fuzz targets (one line each in `fuzz/`), kept in the library so that
//! they build with the crate and stay in step with it.

use crate::context::EncryptionContext;
use crate::decrypt::{DecryptOptions, Decryptor};
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
