//! Whole-message helpers over the sans-IO engine.

use std::sync::Arc;

use keyward_format::{
    AlgorithmSuite, CommitmentPolicy, DecryptOptions, Decryptor, EncryptParams, EncryptedDataKey,
    EncryptionContext, Encryptor, FrameLength, Result, SigningKey,
};

/// A data key of the suite's length, different for every suite.
pub(crate) fn data_key(suite: AlgorithmSuite) -> Vec<u8> {
    (0..suite.data_key_len())
        .map(|i| (i as u8).wrapping_mul(31) ^ (suite.id() as u8))
        .collect()
}

pub(crate) fn edks() -> Vec<EncryptedDataKey> {
    vec![EncryptedDataKey::new("test-provider", b"key-1".to_vec(), vec![9; 40]).unwrap()]
}

/// Encrypts with the engine, feeding plaintext in `chunk`-byte pieces (0 = one piece).
pub(crate) fn encrypt(
    suite: AlgorithmSuite,
    context: &EncryptionContext,
    required: &EncryptionContext,
    frame_length: u32,
    plaintext: &[u8],
    chunk: usize,
) -> Result<Vec<u8>> {
    let key = data_key(suite);
    let edks = edks();
    let mut context = context.clone();
    let signing_key = match suite.signature() {
        Some(algorithm) => {
            let key = Arc::new(SigningKey::generate(algorithm)?);
            context.insert(EncryptionContext::PUBLIC_KEY, key.public_key_base64());
            Some(key)
        }
        None => None,
    };
    let mut params = EncryptParams::new(suite, &key, &edks)
        .encryption_context(&context)
        .required_encryption_context(required)
        .frame_length(FrameLength::new(u64::from(frame_length))?);
    if let Some(signing_key) = signing_key {
        params = params.signing_key(signing_key);
    }
    let mut out = Vec::new();
    let mut encryptor = Encryptor::start(params, &mut out)?;
    let header_len = out.len();
    let chunk = if chunk == 0 {
        plaintext.len().max(1)
    } else {
        chunk
    };
    for piece in plaintext.chunks(chunk) {
        encryptor.update(piece, &mut out)?;
    }
    let expected_len = encryptor.message_len(header_len, plaintext.len());
    encryptor.finish(&mut out)?;
    assert_eq!(
        out.len(),
        expected_len,
        "message_len predicts the message length"
    );
    Ok(out)
}

/// What a decryption released, and how it ended.
pub(crate) struct Outcome {
    pub(crate) released: Vec<u8>,
    pub(crate) result: Result<()>,
    pub(crate) max_buffered: usize,
}

pub(crate) fn permissive() -> DecryptOptions {
    DecryptOptions::new().commitment_policy(CommitmentPolicy::RequireEncryptAllowDecrypt)
}

/// Decrypts with the suite's test key, feeding `chunk`-byte pieces (0 = one piece).
pub(crate) fn decrypt(
    message: &[u8],
    required: &EncryptionContext,
    options: DecryptOptions,
    chunk: usize,
) -> Outcome {
    let mut decryptor = Decryptor::new(options);
    let mut released = Vec::new();
    let mut max_buffered = 0;
    let chunk = if chunk == 0 {
        message.len().max(1)
    } else {
        chunk
    };
    let result = (|| {
        let mut started = false;
        for piece in message.chunks(chunk) {
            let mut input = piece;
            if !started {
                let Some(header) = decryptor.read_header(&mut input)? else {
                    continue;
                };
                let key = data_key(header.suite());
                let verification_key = header.verification_key()?;
                decryptor.begin_body(&key, required, verification_key)?;
                started = true;
            }
            decryptor.decrypt(&mut input, &mut released)?;
            max_buffered = max_buffered.max(decryptor.buffered_len());
        }
        decryptor.finish()
    })();
    Outcome {
        released,
        result,
        max_buffered,
    }
}

pub(crate) fn plaintext(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i * 7 + 3) as u8).collect()
}
