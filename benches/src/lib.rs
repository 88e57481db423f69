//! Benchmarks live in `benches/`; this library holds what several of them share.

use std::num::NonZeroUsize;
use std::sync::Arc;

use keyward_format::{
    AlgorithmSuite, CommitmentPolicy, DecryptOptions, Decryptor, EncryptParams, EncryptedDataKey,
    EncryptionContext, Encryptor, FrameLength, SigningKey,
};

/// Whole messages through the engine with a given data key (no keyring): one EDK, a one-pair
/// encryption context, and for signing suites a pre-generated key (the materials layer makes
/// one per message).
#[derive(Debug)]
pub struct EngineFixture {
    suite: AlgorithmSuite,
    data_key: [u8; 32],
    edks: Vec<EncryptedDataKey>,
    context: EncryptionContext,
    signing_key: Option<Arc<SigningKey>>,
    /// The frame length (default 4096).
    pub frame_length: FrameLength,
    /// The thread cap (default: the engine's, the machine's parallelism).
    pub max_threads: Option<NonZeroUsize>,
}

impl EngineFixture {
    /// A fixture for `suite`.
    ///
    /// # Panics
    /// When a key cannot be made.
    #[expect(clippy::expect_used, reason = "a benchmark stops at its first failure")]
    pub fn new(suite: AlgorithmSuite) -> Self {
        let edks = vec![
            EncryptedDataKey::new("bench", b"key".to_vec(), vec![7; 48]).expect("a small EDK"),
        ];
        let mut context = EncryptionContext::from([("purpose", "bench")]);
        let signing_key = suite.signature().map(|algorithm| {
            let key = Arc::new(SigningKey::generate(algorithm).expect("key generation"));
            context.insert(EncryptionContext::PUBLIC_KEY, key.public_key_base64());
            key
        });
        Self {
            suite,
            data_key: [0x42; 32],
            edks,
            context,
            signing_key,
            frame_length: FrameLength::DEFAULT,
            max_threads: None,
        }
    }

    /// Encrypts `plaintext` into `out` (cleared first), in one update.
    ///
    /// # Panics
    /// When the engine fails.
    #[expect(clippy::expect_used, reason = "a benchmark stops at its first failure")]
    pub fn encrypt(&self, plaintext: &[u8], out: &mut Vec<u8>) {
        out.clear();
        let mut params = EncryptParams::new(self.suite, &self.data_key, &self.edks)
            .encryption_context(&self.context)
            .frame_length(self.frame_length);
        if let Some(key) = &self.signing_key {
            params = params.signing_key(key.clone());
        }
        if let Some(threads) = self.max_threads {
            params = params.max_threads(threads);
        }
        let mut encryptor = Encryptor::start(params, out).expect("start");
        encryptor.update(plaintext, out).expect("update");
        encryptor.finish(out).expect("finish");
    }

    /// Decrypts a whole `message` into `out` (cleared first), in one call.
    ///
    /// # Panics
    /// When the engine fails.
    #[expect(clippy::expect_used, reason = "a benchmark stops at its first failure")]
    pub fn decrypt(&self, message: &[u8], out: &mut Vec<u8>) {
        out.clear();
        let mut options =
            DecryptOptions::new().commitment_policy(CommitmentPolicy::RequireEncryptAllowDecrypt);
        if let Some(threads) = self.max_threads {
            options = options.max_threads(threads);
        }
        let mut decryptor = Decryptor::new(options);
        let mut input = message;
        let header = decryptor
            .read_header(&mut input)
            .expect("header")
            .expect("whole message");
        let verification_key = header.verification_key().expect("verification key");
        decryptor
            .begin_body(&self.data_key, &EncryptionContext::new(), verification_key)
            .expect("begin");
        decryptor.decrypt(&mut input, out).expect("decrypt");
        decryptor.finish().expect("finish");
    }
}
