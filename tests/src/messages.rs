//! Whole-message helpers over the sans-IO engine, for tests that bring their own data key.

use keyward_format::{
    AlgorithmSuite, DecryptOptions, Decryptor, EncryptParams, EncryptedDataKey, EncryptionContext,
    Encryptor, FrameLength, Header, SigningKey,
};
use std::sync::Arc;

/// What a decryption released, and how it ended.
#[derive(Debug)]
#[non_exhaustive]
pub struct Outcome {
    /// Every plaintext byte the decryptor released, in order.
    pub released: Vec<u8>,
    /// `Ok` when the whole message authenticated.
    pub result: keyward_format::Result<()>,
}

/// Decrypts `message` with a known data key, feeding it in chunks of `chunk` bytes (0 = all
/// at once). The verification key comes from the header's encryption context.
pub fn decrypt_with_key(
    message: &[u8],
    data_key: impl Fn(&Header) -> Vec<u8>,
    required: &EncryptionContext,
    options: DecryptOptions,
    chunk: usize,
) -> Outcome {
    let mut decryptor = Decryptor::new(options);
    let mut released = Vec::new();
    let chunk = if chunk == 0 {
        message.len().max(1)
    } else {
        chunk
    };
    let mut result = (|| {
        let mut started = false;
        for piece in message.chunks(chunk) {
            let mut input = piece;
            if !started {
                let Some(header) = decryptor.read_header(&mut input)? else {
                    continue;
                };
                let key = data_key(header);
                let verification_key = header.verification_key()?;
                decryptor.begin_body(&key, required, verification_key)?;
                started = true;
            }
            decryptor.decrypt(&mut input, &mut released)?;
        }
        if !started {
            return Err(keyward_format::Error::Truncated);
        }
        decryptor.finish()
    })();
    if result.is_ok() && !decryptor.is_complete() {
        result = Err(keyward_format::Error::Truncated);
    }
    Outcome { released, result }
}

/// Decrypts a whole message under `policy`-free defaults for tests: every suite allowed.
pub fn decrypt_all(message: &[u8], data_key: &[u8]) -> keyward_format::Result<Vec<u8>> {
    let options = DecryptOptions::new()
        .commitment_policy(keyward_format::CommitmentPolicy::ForbidEncryptAllowDecrypt);
    let outcome = decrypt_with_key(
        message,
        |_| data_key.to_vec(),
        &EncryptionContext::new(),
        options,
        0,
    );
    outcome.result.map(|()| outcome.released)
}

/// Encrypts `plaintext` with a known data key and one placeholder EDK; signing suites get a
/// fresh signing key whose public key goes into the context.
pub fn encrypt_with_key(
    suite: AlgorithmSuite,
    data_key: &[u8],
    context: &EncryptionContext,
    frame_length: u32,
    plaintext: &[u8],
) -> keyward_format::Result<Vec<u8>> {
    let edks = [EncryptedDataKey::new(
        "test",
        b"info".to_vec(),
        b"wrapped".to_vec(),
    )?];
    let mut context = context.clone();
    let signing_key = match suite.signature() {
        Some(algorithm) => {
            let key = Arc::new(SigningKey::generate(algorithm)?);
            context.insert(EncryptionContext::PUBLIC_KEY, key.public_key_base64());
            Some(key)
        }
        None => None,
    };
    let mut params = EncryptParams::new(suite, data_key, &edks)
        .encryption_context(&context)
        .frame_length(FrameLength::new(u64::from(frame_length))?);
    if let Some(key) = signing_key {
        params = params.signing_key(key);
    }
    let mut out = Vec::new();
    let mut encryptor = Encryptor::start(params, &mut out)?;
    encryptor.update(plaintext, &mut out)?;
    encryptor.finish(&mut out)?;
    Ok(out)
}
