//! The AWS KMS Hierarchical keyring: data keys wrapped under keys derived from cached branch
//! keys, so KMS is called per branch key and TTL, not per message.
//!
//! spec: framework/aws-kms/aws-kms-hierarchical-keyring.md

use core::fmt;
use core::time::Duration;
use std::collections::HashSet;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use async_trait::async_trait;
use aws_lc_rs::aead::{AES_256_GCM, Aad, LessSafeKey, Nonce, UnboundKey};
use futures_util::StreamExt as _;
use futures_util::stream::FuturesUnordered;
use keyward_cache::{
    CacheFiller, CacheId, Entry, FillPolicy, MaterialsCache, StormTrackingCache, Usage,
};
use keyward_format::{EncryptedDataKey, EncryptionContext};
use keyward_materials::{
    BranchKeyMaterials, DataKey, DecryptionMaterials, EncryptionMaterials, Keyring, Materials,
    decrypt_first,
};
use sha2::{Digest, Sha384};
use tokio::sync::{Semaphore, SemaphorePermit};
use zeroize::Zeroizing;

use crate::error::{Error, Result};
use crate::kdf::{PROVIDER_ID, SALT_LEN, random, version_bytes, version_string, wrapping_key};
use crate::key_store::KeyStore;
use crate::supplier::BranchKeyIdSupplier;
use crate::trace::{event, traced};

/// Wraps each message's data key with AES-256-GCM under a key derived (HMAC-SHA256 counter
/// mode, fresh salt) from a branch key, which comes from a [`KeyStore`] through a cache that
/// keeps it for the configured TTL. Messages are byte-compatible with the official SDKs.
///
/// Build it with [`HierarchicalKeyring::builder`]: a key store, which branch key (one id, or a
/// [`BranchKeyIdSupplier`] per message for multitenancy), and the TTL. Cheap to clone.
#[derive(Clone)]
pub struct HierarchicalKeyring {
    inner: Arc<Inner>,
}

struct Inner {
    key_store: Arc<dyn KeyStore>,
    branch_key: BranchKeySelector,
    ttl: Duration,
    filler: CacheFiller,
    partition: Vec<u8>,
    logical_name: String,
    /// Key store reads in flight, at most `max_concurrent_fetches`.
    fetches: Semaphore,
    max_concurrent_fetches: usize,
}

/// Which branch key protects a message: one fixed id, or a supplier that names it from the
/// message's encryption context (one branch key per tenant). A `&str` or `String` converts to
/// a fixed id.
#[derive(Clone)]
#[non_exhaustive]
pub enum BranchKeySelector {
    /// Every message uses this branch key.
    Fixed(String),
    /// Each message's branch key comes from its encryption context.
    Supplier(Arc<dyn BranchKeyIdSupplier>),
}

impl BranchKeySelector {
    /// A selector that asks `supplier`.
    pub fn supplier(supplier: impl BranchKeyIdSupplier + 'static) -> Self {
        Self::Supplier(Arc::new(supplier))
    }
}

impl From<&str> for BranchKeySelector {
    fn from(id: &str) -> Self {
        Self::Fixed(id.to_owned())
    }
}

impl From<String> for BranchKeySelector {
    fn from(id: String) -> Self {
        Self::Fixed(id)
    }
}

impl From<&String> for BranchKeySelector {
    fn from(id: &String) -> Self {
        Self::Fixed(id.clone())
    }
}

impl<S: BranchKeyIdSupplier + 'static> From<S> for BranchKeySelector {
    fn from(supplier: S) -> Self {
        Self::supplier(supplier)
    }
}

impl fmt::Debug for BranchKeySelector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Fixed(id) => f.debug_tuple("Fixed").field(id).finish(),
            Self::Supplier(supplier) => f.debug_tuple("Supplier").field(supplier).finish(),
        }
    }
}

/// Builds a [`HierarchicalKeyring`].
#[must_use]
pub struct HierarchicalKeyringBuilder {
    key_store: Arc<dyn KeyStore>,
    branch_key: BranchKeySelector,
    ttl: Duration,
    cache: Option<Arc<dyn MaterialsCache>>,
    partition_id: Option<String>,
    max_concurrent_fetches: usize,
}

/// What [`HierarchicalKeyring::preload`] loaded, and what it could not.
#[derive(Debug, Default)]
#[non_exhaustive]
pub struct Preloaded {
    /// Branch keys whose active version is now cached (for encryption and decryption).
    pub branch_keys: usize,
    /// Older versions now cached for decryption.
    pub versions: usize,
    /// What could not be loaded, and why.
    pub failures: Vec<PreloadFailure>,
}

/// A branch key (or one of its versions) that [`HierarchicalKeyring::preload`] could not load.
#[derive(Debug)]
#[non_exhaustive]
pub struct PreloadFailure {
    /// The branch key id.
    pub branch_key_id: String,
    /// The version, or `None` for the active version or the list of versions.
    pub version: Option<String>,
    /// Why.
    pub error: Error,
}

impl HierarchicalKeyring {
    /// Starts a keyring over `key_store`, with the branch key of every message (an id, or a
    /// [`BranchKeySelector::supplier`]), keeping each branch key for `ttl` after it was
    /// fetched.
    pub fn builder(
        key_store: impl KeyStore + 'static,
        branch_key: impl Into<BranchKeySelector>,
        ttl: Duration,
    ) -> HierarchicalKeyringBuilder {
        HierarchicalKeyringBuilder {
            key_store: Arc::new(key_store),
            branch_key: branch_key.into(),
            ttl,
            cache: None,
            partition_id: None,
            max_concurrent_fetches: DEFAULT_MAX_CONCURRENT_FETCHES,
        }
    }

    /// Reads the active version of `branch_key_id` from the key store now, whatever the
    /// cache holds, and caches it for encryption (and for decrypting what it encrypts).
    /// Returns the version now in use. After [`crate::KeyStoreAdmin::version_key`], this
    /// makes the next message use the new version instead of the cached one; with an
    /// eventually consistent store read it may still see the old version for about a second
    /// ([`crate::DynamoDbKeyStoreBuilder::consistent_reads`]).
    ///
    /// # Errors
    /// The key store's failure; the cache keeps what it had.
    pub async fn refresh(&self, branch_key_id: &str) -> Result<String> {
        let materials = {
            let _permit = self.fetch_permit().await?;
            self.inner
                .key_store
                .get_active_branch_key(branch_key_id)
                .await?
        };
        let version = materials.branch_key_version().to_owned();
        self.store(self.cache_id(branch_key_id, Some(&version)), &materials);
        self.store(self.cache_id(branch_key_id, None), &materials);
        event!(info, branch_key_id, version = %version, "branch key refreshed");
        Ok(version)
    }

    /// Warms the cache at start-up: the active version of every branch key in
    /// `branch_key_ids` and, for decryption, up to `recent_versions` of its newest older
    /// versions (from [`KeyStore::get_branch_key_versions`]; stores that cannot list load the
    /// active version only). Keys load concurrently, with at most
    /// [`HierarchicalKeyringBuilder::max_concurrent_fetches`] key store reads in flight.
    /// A failure is reported and the rest go on; messages still fetch what is missing.
    pub async fn preload<I, S>(&self, branch_key_ids: I, recent_versions: usize) -> Preloaded
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        // At most as many keys under way as reads may be in flight: a preload of a hundred
        // thousand ids holds that many futures, not a hundred thousand.
        let mut loads = futures_util::stream::iter(branch_key_ids)
            .map(|id| self.preload_one(id.into(), recent_versions))
            .buffer_unordered(self.inner.max_concurrent_fetches);
        let mut report = Preloaded::default();
        while let Some(one) = loads.next().await {
            report.branch_keys += usize::from(one.active);
            report.versions += one.versions;
            report.failures.extend(one.failures);
        }
        event!(
            info,
            branch_keys = report.branch_keys,
            versions = report.versions,
            failures = report.failures.len(),
            "branch key cache preloaded"
        );
        report
    }

    async fn preload_one(&self, id: String, recent_versions: usize) -> PreloadedOne {
        let mut one = PreloadedOne::default();
        let active = match self.refresh(&id).await {
            Ok(version) => {
                one.active = true;
                version
            }
            Err(error) => {
                // Its versions would fail the same way: one failure per key.
                one.fail(id, None, error);
                return one;
            }
        };
        if recent_versions == 0 {
            return one;
        }
        let listed = {
            let permit = self.fetch_permit().await;
            match permit {
                Ok(_permit) => self.inner.key_store.get_branch_key_versions(&id).await,
                Err(error) => Err(error),
            }
        };
        let versions = match listed {
            Ok(versions) => versions,
            Err(Error::OperationNotSupported(_)) => return one,
            Err(error) => {
                one.fail(id, None, error);
                return one;
            }
        };
        let older = versions
            .into_iter()
            .filter(|listed| !listed.active && listed.version != active)
            .take(recent_versions);
        let id = &id;
        let mut loads: FuturesUnordered<_> = older
            .map(|listed| async move {
                let failed = |error| (listed.version.clone(), error);
                let _permit = self.fetch_permit().await.map_err(failed)?;
                let materials = self
                    .inner
                    .key_store
                    .get_branch_key_version(&listed.branch_key_id, &listed.version)
                    .await
                    .map_err(failed)?;
                self.store(self.cache_id(id, Some(&listed.version)), &materials);
                Ok::<_, (String, Error)>(())
            })
            .collect();
        while let Some(loaded) = loads.next().await {
            match loaded {
                Ok(()) => one.versions += 1,
                Err((version, error)) => one.fail(id.clone(), Some(version), error),
            }
        }
        one
    }

    /// A permit for one key store read.
    async fn fetch_permit(&self) -> Result<SemaphorePermit<'_>> {
        self.inner
            .fetches
            .acquire()
            .await
            .map_err(|_| Error::InvalidConfiguration("the keyring's fetch limit is closed"))
    }

    /// Caches `materials` under `id` for the TTL from now.
    fn store(&self, id: CacheId, materials: &BranchKeyMaterials) {
        let cache = self.inner.filler.cache();
        let now = cache.now();
        cache.put(
            id,
            Entry::new(
                Materials::BranchKey(materials.clone()),
                now,
                now.saturating_add(self.inner.ttl),
                Usage::default(),
            ),
        );
    }

    /// The cache holding the branch keys.
    pub fn cache(&self) -> &Arc<dyn MaterialsCache> {
        self.inner.filler.cache()
    }

    /// The key store.
    pub fn key_store(&self) -> &Arc<dyn KeyStore> {
        &self.inner.key_store
    }

    async fn branch_key_id(&self, context: &EncryptionContext) -> Result<String> {
        match &self.inner.branch_key {
            BranchKeySelector::Fixed(id) => Ok(id.clone()),
            BranchKeySelector::Supplier(supplier) => supplier
                .branch_key_id(context)
                .await
                .map_err(Error::Supplier),
        }
    }

    /// The cache identifier of a branch key: encrypt entries (`version` = `None`) follow the
    /// active version, decrypt entries name theirs.
    fn cache_id(&self, branch_key_id: &str, version: Option<&str>) -> CacheId {
        let mut hash = Sha384::new();
        hash.update([
            0x02,
            0x00,
            if version.is_some() { 0x02 } else { 0x01 },
            0x00,
        ]);
        hash.update(&self.inner.partition);
        hash.update([0x00]);
        hash.update(self.inner.logical_name.as_bytes());
        hash.update([0x00]);
        hash.update(branch_key_id.as_bytes());
        if let Some(version) = version {
            hash.update([0x00]);
            hash.update(version.as_bytes());
        }
        CacheId::new(hash.finalize().into())
    }

    /// The branch key for `id` from the cache, or fetched with `fetch` and cached for the
    /// TTL. When the fetch fails while another caller's entry is still within its TTL (a
    /// storm-tracking cache hands one caller per interval the refresh), that entry serves.
    async fn branch_key<F>(
        &self,
        branch_key_id: &str,
        version: Option<&str>,
        fetch: F,
    ) -> Result<BranchKeyMaterials>
    where
        F: Future<Output = Result<BranchKeyMaterials>>,
    {
        let id = self.cache_id(branch_key_id, version);
        let cache = self.inner.filler.cache();
        let ttl = self.inner.ttl;
        let usable = |entry: &Arc<Entry>| match entry.materials() {
            Materials::BranchKey(materials)
                if cache.now().saturating_sub(entry.created()) <= ttl =>
            {
                Some(materials.clone())
            }
            _ => None,
        };
        let (found, guard) = self
            .inner
            .filler
            .find_or_lock(&id, |entry| usable(entry).map(Materials::BranchKey))
            .await?;
        if let Some(Materials::BranchKey(materials)) = found {
            event!(
                debug,
                branch_key_id,
                version = version.unwrap_or("active"),
                "branch key cache hit"
            );
            return Ok(materials);
        }
        event!(
            debug,
            branch_key_id,
            version = version.unwrap_or("active"),
            "branch key cache miss: fetching"
        );
        let fetched = match self.fetch_permit().await {
            Ok(_permit) => fetch.await,
            Err(error) => Err(error),
        };
        match fetched {
            Ok(materials) => {
                self.store(id, &materials);
                if let Some(guard) = guard {
                    guard.stored();
                }
                event!(
                    debug,
                    branch_key_id,
                    version = materials.branch_key_version(),
                    ttl_seconds = ttl.as_secs(),
                    "branch key fetched and cached"
                );
                Ok(materials)
            }
            // The failed fill ends when the guard drops; an entry that is still within its TTL
            // serves (looked at without starting another fill).
            Err(error) => match cache.peek(&id).and_then(|entry| usable(&entry)) {
                Some(materials) => {
                    event!(
                        warn,
                        branch_key_id,
                        version = version.unwrap_or("active"),
                        error = %error,
                        "branch key refresh failed: the cached key serves until its TTL"
                    );
                    Ok(materials)
                }
                None => {
                    event!(warn, branch_key_id, version = version.unwrap_or("active"), error = %error, "branch key fetch failed");
                    Err(error)
                }
            },
        }
    }

    /// Opens one EDK with its branch key version's key.
    fn open(
        branch_key_id: &str,
        parts: &EdkParts<'_>,
        branch: &BranchKeyMaterials,
        materials: &DecryptionMaterials,
    ) -> Result<Arc<DataKey>> {
        let key = wrapping_key(branch.branch_key().expose_secret(), parts.salt)?;
        let aad = aad(branch_key_id, parts.version, materials.encryption_context())?;
        let mut buffer = Zeroizing::new(parts.sealed.to_vec());
        let opened = aead_key(&key)?
            .open_in_place(
                Nonce::assume_unique_for_key(parts.iv),
                Aad::from(&aad),
                &mut buffer,
            )
            .map_err(|_| Error::UnwrapFailed {
                id: branch_key_id.to_owned(),
                version: version_string(parts.version),
            })?;
        Ok(Arc::new(DataKey::from_slice(opened)))
    }
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// The fields of a hierarchy EDK's ciphertext: salt, IV, branch key version, sealed key.
#[derive(Debug)]
pub(crate) struct EdkParts<'a> {
    pub(crate) salt: &'a [u8; SALT_LEN],
    pub(crate) iv: [u8; IV_LEN],
    pub(crate) version: &'a [u8; VERSION_LEN],
    pub(crate) sealed: &'a [u8],
}

/// Splits an EDK ciphertext for a data key of `key_len` bytes; its length must be exact.
pub(crate) fn parse_edk(ciphertext: &[u8], key_len: usize) -> Result<EdkParts<'_>> {
    let expected = SALT_LEN + IV_LEN + VERSION_LEN + key_len + TAG_LEN;
    if ciphertext.len() != expected {
        return Err(Error::InvalidEdkLength {
            len: ciphertext.len(),
            expected,
        });
    }
    let (salt, rest) = ciphertext.split_at(SALT_LEN);
    let (iv, rest) = rest.split_at(IV_LEN);
    let (version, sealed) = rest.split_at(VERSION_LEN);
    Ok(EdkParts {
        salt: salt.try_into().map_err(|_| Error::Crypto)?,
        iv: iv.try_into().map_err(|_| Error::Crypto)?,
        version: version.try_into().map_err(|_| Error::Crypto)?,
        sealed,
    })
}

#[async_trait]
impl Keyring for HierarchicalKeyring {
    async fn on_encrypt(
        &self,
        materials: EncryptionMaterials,
    ) -> keyward_materials::Result<EncryptionMaterials> {
        traced!(
            self.wrap_data_key(materials),
            "on_encrypt",
            keyring = "aws-kms-hierarchy"
        )
        .await
    }

    async fn on_decrypt(
        &self,
        materials: DecryptionMaterials,
        encrypted_data_keys: &[EncryptedDataKey],
    ) -> keyward_materials::Result<DecryptionMaterials> {
        traced!(
            self.unwrap_data_key(materials, encrypted_data_keys),
            "on_decrypt",
            keyring = "aws-kms-hierarchy",
            edks = encrypted_data_keys.len()
        )
        .await
    }
}

impl HierarchicalKeyring {
    async fn wrap_data_key(
        &self,
        materials: EncryptionMaterials,
    ) -> keyward_materials::Result<EncryptionMaterials> {
        let branch_key_id = self.branch_key_id(materials.encryption_context()).await?;
        let branch = self
            .branch_key(
                &branch_key_id,
                None,
                self.inner.key_store.get_active_branch_key(&branch_key_id),
            )
            .await?;
        let materials = materials.with_generated_data_key()?;
        let data_key = materials
            .data_key()
            .ok_or(keyward_materials::Error::MissingDataKey)?;
        let version = version_bytes(branch.branch_key_version())?;
        let salt = random::<SALT_LEN>()?;
        let iv = random::<IV_LEN>()?;
        let key = wrapping_key(branch.branch_key().expose_secret(), &salt)?;
        let aad = aad(&branch_key_id, &version, materials.encryption_context())?;
        let mut ciphertext =
            Vec::with_capacity(SALT_LEN + IV_LEN + VERSION_LEN + data_key.len() + TAG_LEN);
        ciphertext.extend_from_slice(&salt);
        ciphertext.extend_from_slice(&iv);
        ciphertext.extend_from_slice(&version);
        let start = ciphertext.len();
        ciphertext.extend_from_slice(data_key.expose_secret());
        let tag = aead_key(&key)?
            .seal_in_place_separate_tag(
                Nonce::assume_unique_for_key(iv),
                Aad::from(&aad),
                ciphertext.get_mut(start..).ok_or(Error::Crypto)?,
            )
            .map_err(|_| Error::Crypto)?;
        ciphertext.extend_from_slice(tag.as_ref());
        let edk = EncryptedDataKey::new(PROVIDER_ID, branch_key_id.into_bytes(), ciphertext)?;
        Ok(materials.with_encrypted_data_key(edk))
    }

    async fn unwrap_data_key(
        &self,
        materials: DecryptionMaterials,
        encrypted_data_keys: &[EncryptedDataKey],
    ) -> keyward_materials::Result<DecryptionMaterials> {
        if materials.data_key().is_some() {
            return Err(keyward_materials::Error::DataKeyAlreadyPresent);
        }
        let branch_key_id = self.branch_key_id(materials.encryption_context()).await?;
        let key_len = materials.suite().data_key_len();
        // Versions whose fetch failed for this message: one read each, however many EDKs
        // name them (an attacker's message may carry thousands).
        let unavailable: Mutex<HashSet<[u8; VERSION_LEN]>> = Mutex::new(HashSet::new());
        let template = materials.clone();
        let (branch_key_id, unavailable, template) = (&branch_key_id, &unavailable, &template);
        decrypt_first(materials, encrypted_data_keys, |edk| {
            if edk.provider_id() != PROVIDER_ID || edk.provider_info() != branch_key_id.as_bytes() {
                return None;
            }
            let parts = parse_edk(edk.ciphertext(), key_len);
            if let Ok(parts) = &parts
                && lock(unavailable).contains(parts.version)
            {
                return None;
            }
            Some(async move {
                let parts = parts?;
                let version = version_string(parts.version);
                let branch = self
                    .branch_key(
                        branch_key_id,
                        Some(&version),
                        self.inner
                            .key_store
                            .get_branch_key_version(branch_key_id, &version),
                    )
                    .await
                    .inspect_err(|_| {
                        lock(unavailable).insert(*parts.version);
                    })?;
                Ok(Self::open(branch_key_id, &parts, &branch, template)?)
            })
        })
        .await
    }
}

impl fmt::Debug for HierarchicalKeyring {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HierarchicalKeyring")
            .field("key_store", &self.inner.key_store)
            .field("branch_key", &self.inner.branch_key)
            .field("ttl", &self.inner.ttl)
            .field("cache", self.inner.filler.cache())
            .field("max_concurrent_fetches", &self.inner.max_concurrent_fetches)
            .finish_non_exhaustive()
    }
}

impl HierarchicalKeyringBuilder {
    /// The branch-key cache: any cache, shared with other keyrings and caching managers by
    /// passing a clone of its handle. Default: a storm-tracking cache of 1,000 entries with the
    /// official settings, of this keyring's own.
    pub fn cache(mut self, cache: impl MaterialsCache + 'static) -> Self {
        self.cache = Some(Arc::new(cache));
        self
    }

    /// The partition id: keyrings with the same partition id (and logical key store) share
    /// branch keys through a shared cache. Default: a random one per keyring.
    pub fn partition_id(mut self, partition_id: impl Into<String>) -> Self {
        self.partition_id = Some(partition_id.into());
        self
    }

    /// At most this many key store reads in flight at once (default 64): when a thousand
    /// tenants go cold together, DynamoDB and KMS see a bounded fan-out, not a stampede.
    /// Readers of one branch key already share one read through the cache.
    pub fn max_concurrent_fetches(mut self, limit: usize) -> Self {
        self.max_concurrent_fetches = limit;
        self
    }

    /// Builds the keyring.
    ///
    /// # Errors
    /// [`Error::InvalidConfiguration`] for an empty branch key id, a zero TTL or fetch limit,
    /// or a TTL not
    /// longer than the grace period of a cache that refreshes early (checked for every such
    /// cache, a shared one included: the official SDKs check their default and an explicit
    /// storm-tracking cache).
    pub fn build(self) -> Result<HierarchicalKeyring> {
        if matches!(&self.branch_key, BranchKeySelector::Fixed(id) if id.is_empty()) {
            return Err(Error::InvalidConfiguration("the branch key id is empty"));
        }
        if self.ttl.is_zero() {
            return Err(Error::InvalidConfiguration(
                "the cache TTL must be positive",
            ));
        }
        let cache = self
            .cache
            .unwrap_or_else(|| Arc::new(StormTrackingCache::new(DEFAULT_CAPACITY)));
        if let FillPolicy::Coordinated { grace_period, .. } = cache.fill_policy()
            && self.ttl <= grace_period
        {
            return Err(Error::InvalidConfiguration(
                "the cache TTL must be longer than the storm-tracking grace period",
            ));
        }
        let partition = match self.partition_id {
            Some(id) => id.into_bytes(),
            None => random::<16>()?.to_vec(),
        };
        if self.max_concurrent_fetches == 0 || self.max_concurrent_fetches > Semaphore::MAX_PERMITS
        {
            return Err(Error::InvalidConfiguration(
                "the concurrent fetch limit must be positive",
            ));
        }
        let logical_name = self.key_store.info().logical_key_store_name;
        Ok(HierarchicalKeyring {
            inner: Arc::new(Inner {
                key_store: self.key_store,
                branch_key: self.branch_key,
                ttl: self.ttl,
                filler: CacheFiller::new(cache),
                partition,
                logical_name,
                fetches: Semaphore::new(self.max_concurrent_fetches),
                max_concurrent_fetches: self.max_concurrent_fetches,
            }),
        })
    }
}

impl fmt::Debug for HierarchicalKeyringBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HierarchicalKeyringBuilder")
            .field("key_store", &self.key_store)
            .field("ttl", &self.ttl)
            .field("branch_key", &self.branch_key)
            .field("cache", &self.cache)
            .finish_non_exhaustive()
    }
}

/// `"aws-kms-hierarchy" ‖ branch key id ‖ version (16 bytes) ‖ serialized context`.
fn aad(
    branch_key_id: &str,
    version: &[u8; VERSION_LEN],
    context: &EncryptionContext,
) -> Result<Vec<u8>> {
    let context = context
        .to_canonical_bytes()
        .map_err(|_| Error::InvalidConfiguration("the encryption context is too large"))?;
    let mut aad =
        Vec::with_capacity(PROVIDER_ID.len() + branch_key_id.len() + VERSION_LEN + context.len());
    aad.extend_from_slice(PROVIDER_ID.as_bytes());
    aad.extend_from_slice(branch_key_id.as_bytes());
    aad.extend_from_slice(version);
    aad.extend_from_slice(&context);
    Ok(aad)
}

fn aead_key(key: &[u8; 32]) -> Result<LessSafeKey> {
    Ok(LessSafeKey::new(
        UnboundKey::new(&AES_256_GCM, key).map_err(|_| Error::Crypto)?,
    ))
}

/// The default cache's entry capacity.
const DEFAULT_CAPACITY: usize = 1000;
/// The default bound on key store reads in flight.
const DEFAULT_MAX_CONCURRENT_FETCHES: usize = 64;

#[derive(Default)]
struct PreloadedOne {
    active: bool,
    versions: usize,
    failures: Vec<PreloadFailure>,
}

impl PreloadedOne {
    fn fail(&mut self, branch_key_id: String, version: Option<String>, error: Error) {
        self.failures.push(PreloadFailure {
            branch_key_id,
            version,
            error,
        });
    }
}
pub(crate) const IV_LEN: usize = 12;
pub(crate) const VERSION_LEN: usize = 16;
const TAG_LEN: usize = 16;
