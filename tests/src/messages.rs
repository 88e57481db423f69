//! Whole-message helpers over the sans-IO engine, for tests that bring their own data key.

use keyward_format::{DecryptOptions, Decryptor, EncryptionContext, Header};

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
