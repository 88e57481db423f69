//! The cryptographic materials cache: entries, lookups, and the trait every backend implements.
//!
//! spec: framework/cryptographic-materials-cache.md

use core::fmt;
use core::time::Duration;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use keyward_materials::Materials;

/// A cache entry's identifier: a SHA-384 digest (see [`crate::cache_id`]).
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct CacheId([u8; 48]);

impl CacheId {
    /// Wraps a digest.
    pub const fn new(digest: [u8; 48]) -> Self {
        Self(digest)
    }

    /// The digest bytes.
    pub fn as_bytes(&self) -> &[u8; 48] {
        &self.0
    }
}

impl fmt::Debug for CacheId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "CacheId(")?;
        for byte in self.0.iter().take(8) {
            write!(f, "{byte:02x}")?;
        }
        write!(f, "…)")
    }
}

/// How many messages and bytes an entry's materials have protected.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Usage {
    /// Messages.
    pub messages: u64,
    /// Plaintext bytes.
    pub bytes: u64,
}

impl Usage {
    /// A usage record.
    pub const fn new(messages: u64, bytes: u64) -> Self {
        Self { messages, bytes }
    }
}

/// The most one entry may protect.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct UsageLimits {
    /// Messages.
    pub max_messages: u64,
    /// Plaintext bytes.
    pub max_bytes: u64,
}

impl UsageLimits {
    /// Limits.
    pub const fn new(max_messages: u64, max_bytes: u64) -> Self {
        Self {
            max_messages,
            max_bytes,
        }
    }
}

/// Cached materials with their creation and expiry times and their usage.
///
/// Materials hold their keys in `Arc`s: a hit clones pointers, never key bytes.
pub struct Entry {
    materials: Materials,
    created: Duration,
    expires: Duration,
    usage: Mutex<Usage>,
}

impl Entry {
    /// An entry created at `created` that no lookup returns after `expires`.
    pub fn new(materials: Materials, created: Duration, expires: Duration, usage: Usage) -> Self {
        Self {
            materials,
            created,
            expires,
            usage: Mutex::new(usage),
        }
    }

    /// The materials.
    pub fn materials(&self) -> &Materials {
        &self.materials
    }

    /// When the entry was created (on its cache's clock).
    pub fn created(&self) -> Duration {
        self.created
    }

    /// After when the entry is never returned.
    pub fn expires(&self) -> Duration {
        self.expires
    }

    /// The usage so far.
    pub fn usage(&self) -> Usage {
        *self.usage.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The one check-and-increment of the usage thresholds: counts one more message of `bytes`
    /// bytes if, and only if, the entry then stays within `limits`. Atomic: however many
    /// callers race, no entry ever exceeds its limits.
    ///
    /// # Security
    /// This is the only place where an entry's usage grows; the caching manager calls it on
    /// every hit before handing the materials out.
    pub fn try_use(&self, bytes: u64, limits: UsageLimits) -> bool {
        let mut usage = self.usage.lock().unwrap_or_else(PoisonError::into_inner);
        let messages = usage.messages.saturating_add(1);
        let total = usage.bytes.saturating_add(bytes);
        if messages > limits.max_messages || total > limits.max_bytes {
            return false;
        }
        *usage = Usage {
            messages,
            bytes: total,
        };
        true
    }
}

impl fmt::Debug for Entry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Entry")
            .field("materials", &self.materials)
            .field("created", &self.created)
            .field("expires", &self.expires)
            .field("usage", &self.usage())
            .finish()
    }
}

/// What a lookup found.
#[derive(Debug)]
#[non_exhaustive]
pub enum Lookup {
    /// A live entry.
    Hit(Arc<Entry>),
    /// No usable entry: this caller should fetch the materials and put them.
    Fill,
    /// Another caller is fetching (storm tracking): wait and look again.
    Wait,
}

/// How callers of a cache should coordinate their fetches on a miss.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum FillPolicy {
    /// The cache stores nothing: every caller fetches for itself.
    Independent,
    /// The caller makes sure only one fetch per entry is under way (the caching manager keeps
    /// a lock per identifier).
    SingleFlight,
    /// The cache answers [`Lookup::Wait`] itself; waiters look again every `sleep` and give up
    /// after `in_flight_ttl`.
    Coordinated {
        /// Pause between looks.
        sleep: Duration,
        /// The longest a caller waits.
        in_flight_ttl: Duration,
    },
}

/// A cache of cryptographic materials. Synchronous and in memory; callers that must wait do
/// so themselves, holding no lock.
pub trait MaterialsCache: Send + Sync + fmt::Debug {
    /// Looks an entry up. Expired entries are never returned.
    fn get(&self, id: &CacheId) -> Lookup;

    /// Stores an entry, replacing any entry with the same identifier.
    fn put(&self, id: CacheId, entry: Entry);

    /// Removes an entry, if present.
    fn delete(&self, id: &CacheId);

    /// Removes the entry under `id` only if it is `entry` (and not a newer one that another
    /// caller put in the meantime).
    fn retire(&self, id: &CacheId, entry: &Arc<Entry>);

    /// The cache's clock reading: entry times are on this clock.
    fn now(&self) -> Duration;

    /// How callers should coordinate fetches.
    fn fill_policy(&self) -> FillPolicy;

    /// Counters since the cache was made.
    fn stats(&self) -> CacheStats;
}

/// A cache's counters.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct CacheStats {
    /// Lookups that returned an entry.
    pub hits: u64,
    /// Lookups that returned none.
    pub misses: u64,
    /// Entries stored now.
    pub entries: u64,
    /// Entries evicted to make room.
    pub evicted_for_capacity: u64,
    /// Entries removed because they expired.
    pub evicted_expired: u64,
    /// Entries removed by `delete` (for example, used up).
    pub deleted: u64,
}

/// Atomic counters behind [`CacheStats`].
#[derive(Debug, Default)]
pub(crate) struct Counters {
    pub(crate) hits: AtomicU64,
    pub(crate) misses: AtomicU64,
    pub(crate) evicted_for_capacity: AtomicU64,
    pub(crate) evicted_expired: AtomicU64,
    pub(crate) deleted: AtomicU64,
}

impl Counters {
    pub(crate) fn add(counter: &AtomicU64) {
        counter.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn snapshot(&self, entries: usize) -> CacheStats {
        CacheStats {
            hits: self.hits.load(Ordering::Relaxed),
            misses: self.misses.load(Ordering::Relaxed),
            entries: entries as u64,
            evicted_for_capacity: self.evicted_for_capacity.load(Ordering::Relaxed),
            evicted_expired: self.evicted_expired.load(Ordering::Relaxed),
            deleted: self.deleted.load(Ordering::Relaxed),
        }
    }
}

impl<C: MaterialsCache + ?Sized> MaterialsCache for Arc<C> {
    fn get(&self, id: &CacheId) -> Lookup {
        (**self).get(id)
    }

    fn put(&self, id: CacheId, entry: Entry) {
        (**self).put(id, entry);
    }

    fn delete(&self, id: &CacheId) {
        (**self).delete(id);
    }

    fn retire(&self, id: &CacheId, entry: &Arc<Entry>) {
        (**self).retire(id, entry);
    }

    fn now(&self) -> Duration {
        (**self).now()
    }

    fn fill_policy(&self) -> FillPolicy {
        (**self).fill_policy()
    }

    fn stats(&self) -> CacheStats {
        (**self).stats()
    }
}
