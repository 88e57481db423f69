//! A counting, optionally slow keyring, and request helpers.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use keyward_cache::{CacheId, Entry, Usage};
use keyward_format::{AlgorithmSuite, EncryptedDataKey};
use keyward_materials::{
    CommitmentPolicy, DecryptionMaterials, DecryptionRequest, EncryptionContext,
    EncryptionMaterials, EncryptionRequest, Keyring, Materials, RawAesKeyring, Result, WrappingKey,
    async_trait,
};

/// Counts the calls that reach it; sleeps `delay` (tokio time) in each.
#[derive(Debug)]
pub(crate) struct CountingKeyring {
    inner: RawAesKeyring,
    pub(crate) encrypts: AtomicU64,
    pub(crate) decrypts: AtomicU64,
    delay: Duration,
}

impl CountingKeyring {
    pub(crate) fn new(delay: Duration) -> Arc<Self> {
        Arc::new(Self {
            inner: RawAesKeyring::new("counting", "key", WrappingKey::new(vec![7; 32])).unwrap(),
            encrypts: AtomicU64::new(0),
            decrypts: AtomicU64::new(0),
            delay,
        })
    }

    pub(crate) fn encrypts(&self) -> u64 {
        self.encrypts.load(Ordering::SeqCst)
    }

    pub(crate) fn decrypts(&self) -> u64 {
        self.decrypts.load(Ordering::SeqCst)
    }
}

#[async_trait]
impl Keyring for CountingKeyring {
    async fn on_encrypt(&self, materials: EncryptionMaterials) -> Result<EncryptionMaterials> {
        self.encrypts.fetch_add(1, Ordering::SeqCst);
        if !self.delay.is_zero() {
            tokio::time::sleep(self.delay).await;
        }
        self.inner.on_encrypt(materials).await
    }

    async fn on_decrypt(
        &self,
        materials: DecryptionMaterials,
        edks: &[EncryptedDataKey],
    ) -> Result<DecryptionMaterials> {
        self.decrypts.fetch_add(1, Ordering::SeqCst);
        if !self.delay.is_zero() {
            tokio::time::sleep(self.delay).await;
        }
        self.inner.on_decrypt(materials, edks).await
    }
}

pub(crate) fn encrypt_request(
    context: &EncryptionContext,
    length: Option<u64>,
) -> EncryptionRequest {
    let mut request = EncryptionRequest::new(
        context.clone(),
        CommitmentPolicy::RequireEncryptRequireDecrypt,
    );
    request.max_plaintext_length = length;
    request
}

pub(crate) fn decrypt_request(materials: &EncryptionMaterials) -> DecryptionRequest {
    DecryptionRequest::new(
        materials.suite(),
        CommitmentPolicy::RequireEncryptRequireDecrypt,
        materials.encrypted_data_keys().to_vec(),
        materials.encryption_context().clone(),
    )
}

pub(crate) fn id(byte: u8) -> CacheId {
    CacheId::new([byte; 48])
}

/// An entry of encryption materials (no keyring involved), alive from `created` to `expires`.
pub(crate) fn entry(created: Duration, expires: Duration) -> Entry {
    let materials = EncryptionMaterials::new(
        AlgorithmSuite::Aes256GcmHkdfSha512Commit,
        EncryptionContext::new(),
        Default::default(),
        None,
    );
    Entry::new(
        Materials::Encryption(materials),
        created,
        expires,
        Usage::default(),
    )
}

/// The data key of some materials, as bytes (to tally keys across messages).
pub(crate) fn key_bytes(materials: &EncryptionMaterials) -> Vec<u8> {
    materials.data_key().unwrap().expose_secret().to_vec()
}
