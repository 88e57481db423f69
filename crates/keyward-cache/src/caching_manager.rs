//! The caching materials manager: reuses data keys within exact thresholds.
//!
//! spec: framework/caching-cmm.md (behaviour as shipped in the Python and Java SDKs; see
//! docs/caching.md for where they differ and which keyward follows)

use core::fmt;
use core::time::Duration;
use std::sync::Arc;

use async_trait::async_trait;

use crate::trace::event;
use keyward_materials::{
    DecryptionMaterials, DecryptionRequest, DefaultMaterialsManager, EncryptionMaterials,
    EncryptionRequest, Keyring, Materials, MaterialsManager,
};

use crate::cache::{
    CacheId, CacheIdFormula, Entry, FillPolicy, MaterialsCache, Usage, UsageLimits,
};
use crate::cache_id::{self, DecryptKey, EncryptKey};
use crate::error::{Error, Result};
use crate::fill::CacheFiller;
use crate::sync::{AtomicU64, Ordering};

/// The default and largest message limit: 2^32 messages per data key.
pub const DEFAULT_MAX_MESSAGES: u64 = 1 << 32;
/// The default and largest byte limit: 2^63 - 1 bytes per data key.
pub const DEFAULT_MAX_BYTES: u64 = i64::MAX as u64;

/// Reuses materials from a cache for several messages, within a maximum age and optional
/// message and byte limits per data key, and asks the underlying manager only on a miss.
///
/// - Encrypt is cached only when the plaintext length is known, the suite has a key
///   derivation, and the plaintext alone is within the byte limit.
/// - Two requests share an entry only when a conforming manager could answer both with the
///   same materials: entries are selected by partition, requested suite, the exact encryption
///   context, and (beyond the specification's identifier, see docs/caching.md) the required
///   encryption context keys, the reproduced context, and the commitment policy's choice of
///   suite when none is requested. A suite the request's policy forbids is refused before any
///   lookup.
/// - Every hit counts its message and bytes through one atomic check-and-increment
///   ([`Entry::try_use`]): under any concurrency no data key protects more messages or bytes
///   than allowed, and none is used after its maximum age. Managers that share entries (one
///   cache and one partition) hold each entry to the tightest limits of all of them.
/// - Decrypt entries are selected by partition, suite, encrypted data keys, context and
///   reproduced context, and never collide with encrypt entries.
///
/// Cheap to clone: clones share the cache, the statistics and the underlying manager.
#[derive(Clone)]
pub struct CachingMaterialsManager {
    inner: Arc<Inner>,
}

struct Inner {
    underlying: Arc<dyn MaterialsManager>,
    filler: CacheFiller,
    limits: UsageLimits,
    partition: String,
    formula: CacheIdFormula,
    encrypt: OperationCounters,
    decrypt: OperationCounters,
}

/// Builds a [`CachingMaterialsManager`].
#[must_use]
pub struct CachingMaterialsManagerBuilder {
    underlying: Arc<dyn MaterialsManager>,
    cache: Arc<dyn MaterialsCache>,
    max_age: Duration,
    max_messages: u64,
    max_bytes: u64,
    partition: Option<String>,
    formula: CacheIdFormula,
}

impl CachingMaterialsManager {
    /// Starts a manager over `underlying`, with a cache and the required maximum age of an
    /// entry.
    pub fn builder(
        underlying: impl MaterialsManager + 'static,
        cache: impl MaterialsCache + 'static,
        max_age: Duration,
    ) -> CachingMaterialsManagerBuilder {
        CachingMaterialsManagerBuilder {
            underlying: Arc::new(underlying),
            cache: Arc::new(cache),
            max_age,
            max_messages: DEFAULT_MAX_MESSAGES,
            max_bytes: DEFAULT_MAX_BYTES,
            partition: None,
            formula: CacheIdFormula::Current,
        }
    }

    /// Starts a manager over a default manager for `keyring`.
    pub fn with_keyring(
        keyring: impl Keyring + 'static,
        cache: impl MaterialsCache + 'static,
        max_age: Duration,
    ) -> CachingMaterialsManagerBuilder {
        Self::builder(DefaultMaterialsManager::new(keyring), cache, max_age)
    }

    /// The partition name: managers with different partitions never share entries.
    pub fn partition(&self) -> &str {
        &self.inner.partition
    }

    /// The limits this manager holds every data key to.
    pub fn limits(&self) -> UsageLimits {
        self.inner.limits
    }

    /// What the manager has done so far, per operation.
    pub fn stats(&self) -> ManagerStats {
        ManagerStats {
            encrypt: self.inner.encrypt.snapshot(),
            decrypt: self.inner.decrypt.snapshot(),
        }
    }

    /// The cache.
    pub fn cache(&self) -> &Arc<dyn MaterialsCache> {
        self.inner.filler.cache()
    }

    async fn bypass_encrypt(
        &self,
        counter: &AtomicU64,
        request: EncryptionRequest,
    ) -> keyward_materials::Result<EncryptionMaterials> {
        count(counter);
        count(&self.inner.encrypt.underlying_calls);
        event!(debug, partition = %self.inner.partition, operation = "encrypt", "data key cache bypassed");
        self.inner
            .underlying
            .get_encryption_materials(request)
            .await
    }

    async fn bypass_decrypt(
        &self,
        counter: &AtomicU64,
        request: DecryptionRequest,
    ) -> keyward_materials::Result<DecryptionMaterials> {
        count(counter);
        count(&self.inner.decrypt.underlying_calls);
        event!(debug, partition = %self.inner.partition, operation = "decrypt", "data key cache bypassed");
        self.inner.underlying.decrypt_materials(request).await
    }

    fn put(&self, id: CacheId, materials: Materials, usage: Usage) {
        let cache = self.inner.filler.cache();
        let now = cache.now();
        let expires = now.saturating_add(self.inner.limits.max_age);
        cache.put(
            id,
            Entry::new(materials, now, expires, usage).with_limits(self.inner.limits),
        );
    }
}

#[async_trait]
impl MaterialsManager for CachingMaterialsManager {
    async fn get_encryption_materials(
        &self,
        request: EncryptionRequest,
    ) -> keyward_materials::Result<EncryptionMaterials> {
        let counters = &self.inner.encrypt;
        let policy = request.commitment_policy;
        if let Some(suite) = request.suite
            && !policy.allows_encrypt(suite)
        {
            // spec: framework/default-cmm.md: the request's policy decides, whatever the
            // cache holds.
            return Err(keyward_format::Error::CommitmentPolicy { policy, suite }.into());
        }
        let Some(length) = request.max_plaintext_length else {
            return self
                .bypass_encrypt(&counters.bypassed_unknown_length, request)
                .await;
        };
        if request.suite.is_some_and(|suite| !suite.has_kdf()) {
            return self
                .bypass_encrypt(&counters.bypassed_no_kdf, request)
                .await;
        }
        let limits = self.inner.limits;
        if length > limits.max_bytes {
            return self
                .bypass_encrypt(&counters.bypassed_too_large, request)
                .await;
        }
        let key = EncryptKey {
            suite: request.suite,
            policy,
            context: &request.encryption_context,
            required_keys: &request.required_encryption_context_keys,
        };
        let Some(id) =
            cache_id::encrypt_id(self.inner.formula, self.inner.partition.as_bytes(), key)
        else {
            return self
                .bypass_encrypt(&counters.bypassed_too_large, request)
                .await;
        };
        let cache = self.inner.filler.cache();
        let usable = |entry: &Arc<Entry>| match entry.materials() {
            Materials::Encryption(materials) => {
                if entry.try_use(cache.now(), length, limits) {
                    Some(Materials::Encryption(materials.clone()))
                } else {
                    count(&counters.retired);
                    event!(
                        info,
                        partition = %self.inner.partition,
                        operation = "encrypt",
                        "cached data key retired: this message would pass its message, byte or age limit"
                    );
                    None
                }
            }
            _ => None,
        };
        let (found, guard) = self.inner.filler.find_or_lock(&id, usable).await?;
        if let Some(Materials::Encryption(materials)) = found {
            count(&counters.hits);
            event!(debug, partition = %self.inner.partition, operation = "encrypt", "data key cache hit");
            return Ok(materials);
        }
        count(&counters.misses);
        event!(debug, partition = %self.inner.partition, operation = "encrypt", "data key cache miss");
        count(&counters.underlying_calls);
        let mut forwarded = request;
        // The materials may protect messages of other lengths: do not bind them to this one.
        forwarded.max_plaintext_length = None;
        let materials = self
            .inner
            .underlying
            .get_encryption_materials(forwarded)
            .await?;
        if materials.suite().has_kdf() {
            self.put(
                id,
                Materials::Encryption(materials.clone()),
                Usage::new(1, length),
            );
            if let Some(guard) = guard {
                guard.stored();
            }
        }
        Ok(materials)
    }

    async fn decrypt_materials(
        &self,
        request: DecryptionRequest,
    ) -> keyward_materials::Result<DecryptionMaterials> {
        let counters = &self.inner.decrypt;
        let (policy, suite) = (request.commitment_policy, request.suite);
        if !policy.allows_decrypt(suite) {
            return Err(keyward_format::Error::CommitmentPolicy { policy, suite }.into());
        }
        if !suite.has_kdf() {
            return self
                .bypass_decrypt(&counters.bypassed_no_kdf, request)
                .await;
        }
        let key = DecryptKey {
            suite,
            encrypted_data_keys: &request.encrypted_data_keys,
            context: &request.encryption_context,
            reproduced: request.reproduced_encryption_context.as_ref(),
        };
        let Some(id) =
            cache_id::decrypt_id(self.inner.formula, self.inner.partition.as_bytes(), key)
        else {
            return self
                .bypass_decrypt(&counters.bypassed_too_large, request)
                .await;
        };
        let cache = self.inner.filler.cache();
        let max_age = self.inner.limits.max_age;
        let usable = |entry: &Arc<Entry>| match entry.materials() {
            Materials::Decryption(materials) => {
                if entry.try_reuse(cache.now(), max_age) {
                    Some(Materials::Decryption(materials.clone()))
                } else {
                    count(&counters.retired);
                    event!(
                        info,
                        partition = %self.inner.partition,
                        operation = "decrypt",
                        "cached decryption materials retired: past their max age"
                    );
                    None
                }
            }
            _ => None,
        };
        let (found, guard) = self.inner.filler.find_or_lock(&id, usable).await?;
        if let Some(Materials::Decryption(materials)) = found {
            count(&counters.hits);
            event!(debug, partition = %self.inner.partition, operation = "decrypt", "data key cache hit");
            return Ok(materials);
        }
        count(&counters.misses);
        event!(debug, partition = %self.inner.partition, operation = "decrypt", "data key cache miss");
        count(&counters.underlying_calls);
        let materials = self.inner.underlying.decrypt_materials(request).await?;
        self.put(
            id,
            Materials::Decryption(materials.clone()),
            Usage::default(),
        );
        if let Some(guard) = guard {
            guard.stored();
        }
        Ok(materials)
    }
}

impl CachingMaterialsManagerBuilder {
    /// The most messages one data key may encrypt: 1 ..= 2^32. Default 2^32.
    pub fn max_messages(mut self, max: u64) -> Self {
        self.max_messages = max;
        self
    }

    /// The most plaintext bytes one data key may encrypt: 0 ..= 2^63 - 1. Default 2^63 - 1.
    /// A plaintext longer than this bypasses the cache.
    pub fn max_bytes(mut self, max: u64) -> Self {
        self.max_bytes = max;
        self
    }

    /// The partition name. Default: a random UUID, so that no two managers share entries
    /// unless they are given the same partition.
    ///
    /// # Security
    /// Managers that share a cache and a partition share entries: give them the same
    /// underlying manager (the same keyrings). Their limits combine (each entry obeys the
    /// tightest), but the cache cannot tell two keyrings apart.
    pub fn partition(mut self, partition: impl Into<String>) -> Self {
        self.partition = Some(partition.into());
        self
    }

    /// The identifier formula. Default: the current specification's
    /// ([`CacheIdFormula::Current`]).
    pub fn formula(mut self, formula: CacheIdFormula) -> Self {
        self.formula = formula;
        self
    }

    /// The manager.
    ///
    /// # Errors
    /// [`Error::InvalidSetting`] for a zero maximum age, a message limit outside
    /// 1 ..= 2^32, a byte limit above 2^63 - 1, or a partition with a NUL byte;
    /// [`Error::MaxAgeWithinGracePeriod`] when the cache refreshes entries early (storm
    /// tracking) and the maximum age is not longer than its grace period.
    pub fn build(self) -> Result<CachingMaterialsManager> {
        if self.max_age.is_zero() {
            return Err(Error::InvalidSetting {
                setting: "max age",
                reason: "must be positive",
            });
        }
        if !(1..=DEFAULT_MAX_MESSAGES).contains(&self.max_messages) {
            return Err(Error::InvalidSetting {
                setting: "max messages",
                reason: "must be between 1 and 2^32",
            });
        }
        if self.max_bytes > DEFAULT_MAX_BYTES {
            return Err(Error::InvalidSetting {
                setting: "max bytes",
                reason: "must be at most 2^63 - 1",
            });
        }
        if let FillPolicy::Coordinated { grace_period, .. } = self.cache.fill_policy()
            && self.max_age <= grace_period
        {
            return Err(Error::MaxAgeWithinGracePeriod {
                max_age: self.max_age,
                grace_period,
            });
        }
        let partition = match self.partition {
            Some(partition) => partition,
            None => random_uuid()?,
        };
        if partition.contains('\0') {
            return Err(Error::InvalidSetting {
                setting: "partition",
                reason: "must not contain a NUL character (the identifier separates its fields with NUL bytes)",
            });
        }
        Ok(CachingMaterialsManager {
            inner: Arc::new(Inner {
                underlying: self.underlying,
                filler: CacheFiller::new(self.cache),
                limits: UsageLimits::new(self.max_age, self.max_messages, self.max_bytes),
                partition,
                formula: self.formula,
                encrypt: OperationCounters::default(),
                decrypt: OperationCounters::default(),
            }),
        })
    }
}

/// What a caching manager has done, per operation: how many calls to the underlying manager
/// (for a KMS keyring, KMS calls) the cache saved.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct ManagerStats {
    /// Encrypt requests.
    pub encrypt: OperationStats,
    /// Decrypt requests.
    pub decrypt: OperationStats,
}

impl ManagerStats {
    /// Requests of both operations served from the cache.
    pub fn hits(&self) -> u64 {
        self.encrypt.hits + self.decrypt.hits
    }

    /// Requests of both operations that looked in the cache and found nothing usable.
    pub fn misses(&self) -> u64 {
        self.encrypt.misses + self.decrypt.misses
    }

    /// Calls to the underlying manager, both operations.
    pub fn underlying_calls(&self) -> u64 {
        self.encrypt.underlying_calls + self.decrypt.underlying_calls
    }
}

/// What a caching manager has done for one operation.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct OperationStats {
    /// Requests served from the cache.
    pub hits: u64,
    /// Requests that looked in the cache and found nothing usable.
    pub misses: u64,
    /// Encrypt requests that bypassed the cache because the plaintext length was unknown.
    pub bypassed_unknown_length: u64,
    /// Requests that bypassed the cache because the suite has no key derivation.
    pub bypassed_no_kdf: u64,
    /// Requests that bypassed the cache because the plaintext alone exceeds the byte limit, or
    /// a context is too large to serialize.
    pub bypassed_too_large: u64,
    /// Calls to the underlying manager.
    pub underlying_calls: u64,
    /// Entries this manager retired: a message would have exceeded their limits, or they
    /// were older than the maximum age.
    pub retired: u64,
}

#[derive(Debug, Default)]
struct OperationCounters {
    hits: AtomicU64,
    misses: AtomicU64,
    bypassed_unknown_length: AtomicU64,
    bypassed_no_kdf: AtomicU64,
    bypassed_too_large: AtomicU64,
    underlying_calls: AtomicU64,
    retired: AtomicU64,
}

impl OperationCounters {
    fn snapshot(&self) -> OperationStats {
        let load = |counter: &AtomicU64| counter.load(Ordering::Relaxed);
        OperationStats {
            hits: load(&self.hits),
            misses: load(&self.misses),
            bypassed_unknown_length: load(&self.bypassed_unknown_length),
            bypassed_no_kdf: load(&self.bypassed_no_kdf),
            bypassed_too_large: load(&self.bypassed_too_large),
            underlying_calls: load(&self.underlying_calls),
            retired: load(&self.retired),
        }
    }
}

fn count(counter: &AtomicU64) {
    counter.fetch_add(1, Ordering::Relaxed);
}

/// A random version 4 UUID string.
fn random_uuid() -> Result<String> {
    keyward_format::random::uuid_v4().map_err(|_| Error::InvalidSetting {
        setting: "partition",
        reason: "the random generator failed",
    })
}

impl fmt::Debug for CachingMaterialsManager {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CachingMaterialsManager")
            .field("underlying", &self.inner.underlying)
            .field("cache", self.inner.filler.cache())
            .field("limits", &self.inner.limits)
            .field("partition", &self.inner.partition)
            .field("stats", &self.stats())
            .finish()
    }
}

impl fmt::Debug for CachingMaterialsManagerBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CachingMaterialsManagerBuilder")
            .field("max_age", &self.max_age)
            .field("max_messages", &self.max_messages)
            .field("max_bytes", &self.max_bytes)
            .field("partition", &self.partition)
            .field("formula", &self.formula)
            .finish_non_exhaustive()
    }
}
