//! Counts the KMS calls a client makes, as an SDK interceptor: how a caching manager's
//! savings are seen and measured.

use core::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use aws_sdk_kms::config::interceptors::BeforeSerializationInterceptorContextRef;
use aws_sdk_kms::config::{ConfigBag, Intercept};
use aws_sdk_kms::error::BoxError;
use aws_sdk_kms::operation::decrypt::DecryptInput;
use aws_sdk_kms::operation::derive_shared_secret::DeriveSharedSecretInput;
use aws_sdk_kms::operation::encrypt::EncryptInput;
use aws_sdk_kms::operation::generate_data_key::GenerateDataKeyInput;
use aws_sdk_kms::operation::get_public_key::GetPublicKeyInput;

/// Counts `GenerateDataKey`, `Encrypt`, `Decrypt`, `DeriveSharedSecret`, `GetPublicKey` and
/// other operations started through every
/// client whose configuration holds it (retries of one operation count once). Clones share
/// the counts.
///
/// ```
/// let counter = keyward_kms::KmsCallCounter::new();
/// let config = aws_sdk_kms::Config::builder()
///     .behavior_version(aws_sdk_kms::config::BehaviorVersion::latest())
///     .interceptor(counter.clone())
///     .build();
/// # let _ = config;
/// assert_eq!(counter.generate_data_key(), 0);
/// ```
#[derive(Clone, Default)]
pub struct KmsCallCounter {
    counts: Arc<Counts>,
}

#[derive(Default)]
struct Counts {
    generate_data_key: AtomicU64,
    encrypt: AtomicU64,
    decrypt: AtomicU64,
    derive_shared_secret: AtomicU64,
    get_public_key: AtomicU64,
    other: AtomicU64,
}

impl KmsCallCounter {
    /// A counter at zero.
    pub fn new() -> Self {
        Self::default()
    }

    /// `GenerateDataKey` calls so far.
    pub fn generate_data_key(&self) -> u64 {
        self.counts.generate_data_key.load(Ordering::Relaxed)
    }

    /// `Encrypt` calls so far.
    pub fn encrypt(&self) -> u64 {
        self.counts.encrypt.load(Ordering::Relaxed)
    }

    /// `Decrypt` calls so far.
    pub fn decrypt(&self) -> u64 {
        self.counts.decrypt.load(Ordering::Relaxed)
    }

    /// `DeriveSharedSecret` calls so far.
    pub fn derive_shared_secret(&self) -> u64 {
        self.counts.derive_shared_secret.load(Ordering::Relaxed)
    }

    /// `GetPublicKey` calls so far.
    pub fn get_public_key(&self) -> u64 {
        self.counts.get_public_key.load(Ordering::Relaxed)
    }

    /// Calls of any other operation so far.
    pub fn other(&self) -> u64 {
        self.counts.other.load(Ordering::Relaxed)
    }

    /// All calls so far.
    pub fn total(&self) -> u64 {
        self.generate_data_key()
            + self.encrypt()
            + self.decrypt()
            + self.derive_shared_secret()
            + self.get_public_key()
            + self.other()
    }
}

impl Intercept for KmsCallCounter {
    fn name(&self) -> &'static str {
        "KmsCallCounter"
    }

    fn read_before_execution(
        &self,
        context: &BeforeSerializationInterceptorContextRef<'_>,
        _cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let input = context.input();
        let counter = if input.downcast_ref::<GenerateDataKeyInput>().is_some() {
            &self.counts.generate_data_key
        } else if input.downcast_ref::<EncryptInput>().is_some() {
            &self.counts.encrypt
        } else if input.downcast_ref::<DecryptInput>().is_some() {
            &self.counts.decrypt
        } else if input.downcast_ref::<DeriveSharedSecretInput>().is_some() {
            &self.counts.derive_shared_secret
        } else if input.downcast_ref::<GetPublicKeyInput>().is_some() {
            &self.counts.get_public_key
        } else {
            &self.counts.other
        };
        counter.fetch_add(1, Ordering::Relaxed);
        Ok(())
    }
}

impl fmt::Debug for KmsCallCounter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KmsCallCounter")
            .field("generate_data_key", &self.generate_data_key())
            .field("encrypt", &self.encrypt())
            .field("decrypt", &self.decrypt())
            .field("derive_shared_secret", &self.derive_shared_secret())
            .field("get_public_key", &self.get_public_key())
            .field("other", &self.other())
            .finish()
    }
}
