//! The cryptographic materials cache: entries, lookups, and the trait every backend implements.
//!
//! spec: framework/cryptographic-materials-cache.md

use core::fmt;
use core::time::Duration;
use std::collections::HashMap;
use std::sync::{Arc, PoisonError};

use keyward_materials::Materials;

use crate::sync::{AtomicU64, Mutex, MutexGuard, Ordering};

/// A cache entry's identifier: a SHA-384 digest, or a SHA-512 one for the legacy formula
/// (see [`CacheIdFormula`]).
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct CacheId {
    bytes: [u8; 64],
    len: u8,
}

impl CacheId {
    /// Wraps a SHA-384 digest.
    pub const fn new(digest: [u8; 48]) -> Self {
        let mut bytes = [0u8; 64];
        let mut i = 0;
        while i < 48 {
            bytes[i] = digest[i];
            i += 1;
        }
        Self { bytes, len: 48 }
    }

    /// Wraps a SHA-512 digest (the legacy formula).
    pub const fn new_legacy(digest: [u8; 64]) -> Self {
        Self {
            bytes: digest,
            len: 64,
        }
    }

    /// The digest bytes: 48, or 64 for a legacy identifier.
    pub fn as_bytes(&self) -> &[u8] {
        self.bytes
            .get(..usize::from(self.len))
            .unwrap_or(&self.bytes)
    }
}

impl fmt::Debug for CacheId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "CacheId(")?;
        for byte in self.bytes.iter().take(8) {
            write!(f, "{byte:02x}")?;
        }
        write!(f, "…)")
    }
}

/// Which formula a caching manager computes its entry identifiers with. Identifiers never
/// leave the process, so the choice has no effect on messages; it matters only when a cache's
/// identifiers are compared with another implementation's.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum CacheIdFormula {
    /// The current specification's SHA-384 layout, shared with the hierarchical keyring so
    /// that one cache can serve both (spec: framework/caching-cmm.md, version 0.4.0).
    #[default]
    Current,
    /// The SHA-512 formula of the Python, Java, C and JavaScript SDKs and of the MPL's caching
    /// manager and its keyring test vectors (spec version 0.3.0).
    Legacy,
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

/// The most one entry may protect, as one caching manager allows.
///
/// Several managers may share an entry (one cache, one partition): the entry then obeys the
/// tightest limits of every manager that has used it (see [`Entry::try_use`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct UsageLimits {
    /// The longest time after its creation the entry may be used.
    pub max_age: Duration,
    /// Messages.
    pub max_messages: u64,
    /// Plaintext bytes.
    pub max_bytes: u64,
}

impl UsageLimits {
    /// Limits.
    pub const fn new(max_age: Duration, max_messages: u64, max_bytes: u64) -> Self {
        Self {
            max_age,
            max_messages,
            max_bytes,
        }
    }

    /// The tighter of two limits, field by field.
    #[must_use]
    pub fn tightest(self, other: Self) -> Self {
        Self {
            max_age: self.max_age.min(other.max_age),
            max_messages: self.max_messages.min(other.max_messages),
            max_bytes: self.max_bytes.min(other.max_bytes),
        }
    }
}

/// Cached materials with their creation and expiry times, their usage, and the tightest
/// limits of every user so far.
///
/// Materials hold their keys in `Arc`s: a hit clones pointers, never key bytes.
pub struct Entry {
    materials: Materials,
    created: Duration,
    expires: Duration,
    state: Mutex<UseState>,
}

#[derive(Clone, Copy, Debug)]
struct UseState {
    usage: Usage,
    limits: Option<UsageLimits>,
}

impl Entry {
    /// An entry created at `created` that no lookup returns after `expires`.
    pub fn new(materials: Materials, created: Duration, expires: Duration, usage: Usage) -> Self {
        Self {
            materials,
            created,
            expires,
            state: Mutex::new(UseState {
                usage,
                limits: None,
            }),
        }
    }

    /// The same entry, bound from the start to `limits` (its creator's).
    #[must_use]
    pub fn with_limits(self, limits: UsageLimits) -> Self {
        let mut state = self.lock();
        state.limits = Some(limits);
        drop(state);
        self
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
        self.lock().usage
    }

    /// The tightest limits of every user so far (`None` until one states its limits).
    pub fn limits(&self) -> Option<UsageLimits> {
        self.lock().limits
    }

    /// The one check-and-increment of the usage thresholds: at time `now`, counts one more
    /// message of `bytes` bytes if, and only if, the entry then stays within `limits` and
    /// within the limits of every earlier user, whose tightest limits it then keeps. Atomic:
    /// however many callers race, no entry ever exceeds the limits of any manager that used
    /// it, in messages, bytes or age.
    ///
    /// # Security
    /// This is the only place where an entry's usage grows; the caching manager calls it on
    /// every encrypt hit before handing the materials out.
    pub fn try_use(&self, now: Duration, bytes: u64, limits: UsageLimits) -> bool {
        let mut state = self.lock();
        let limits = state.limits.map_or(limits, |held| held.tightest(limits));
        if now.saturating_sub(self.created) > limits.max_age {
            return false;
        }
        let messages = state.usage.messages.saturating_add(1);
        let total = state.usage.bytes.saturating_add(bytes);
        if messages > limits.max_messages || total > limits.max_bytes {
            return false;
        }
        *state = UseState {
            usage: Usage {
                messages,
                bytes: total,
            },
            limits: Some(limits),
        };
        true
    }

    /// The age check of a decrypt hit: whether the entry, at time `now`, is within `max_age`
    /// and within the age limit of every earlier user, whose tightest age it then keeps.
    pub fn try_reuse(&self, now: Duration, max_age: Duration) -> bool {
        let mut state = self.lock();
        let max_age = state
            .limits
            .map_or(max_age, |held| held.max_age.min(max_age));
        if now.saturating_sub(self.created) > max_age {
            return false;
        }
        let held = state
            .limits
            .unwrap_or(UsageLimits::new(max_age, u64::MAX, u64::MAX));
        state.limits = Some(UsageLimits { max_age, ..held });
        true
    }

    fn lock(&self) -> MutexGuard<'_, UseState> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl fmt::Debug for Entry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = *self.lock();
        f.debug_struct("Entry")
            .field("materials", &self.materials)
            .field("created", &self.created)
            .field("expires", &self.expires)
            .field("usage", &state.usage)
            .field("limits", &state.limits)
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
#[derive(Clone, Debug)]
#[non_exhaustive]
pub enum FillPolicy {
    /// The cache stores nothing: every caller fetches for itself.
    Independent,
    /// One fetch per identifier at a time, through these locks. They belong to the cache, so
    /// every caller of the cache (several managers, keyrings) shares them.
    SingleFlight(FillLocks),
    /// The cache answers [`Lookup::Wait`] itself; waiters look again every `sleep` and give up
    /// after `in_flight_ttl`. Within `grace_period` of its expiry an entry is refreshed early.
    Coordinated {
        /// Pause between looks.
        sleep: Duration,
        /// The longest a caller waits.
        in_flight_ttl: Duration,
        /// How long before its expiry an entry is refreshed.
        grace_period: Duration,
    },
}

/// Per-identifier fetch locks, for caches whose callers keep to one fetch per entry at a time
/// ([`FillPolicy::SingleFlight`]). Cheap to clone: clones share the locks.
#[derive(Clone, Debug, Default)]
pub struct FillLocks {
    locks: Arc<Mutex<HashMap<CacheId, LockEntry>>>,
}

/// A lock and how many callers hold or await it.
#[derive(Debug, Default)]
struct LockEntry {
    lock: Arc<tokio::sync::Mutex<()>>,
    users: usize,
}

impl FillLocks {
    /// No locks yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Waits for the fetch lock of `id`; the lock is released when the guard drops. A caller
    /// that stops waiting (its future dropped) leaves nothing behind.
    pub async fn lock(&self, id: &CacheId) -> FillGuard {
        let (lock, member) = {
            let mut locks = self.locks.lock().unwrap_or_else(PoisonError::into_inner);
            let entry = locks.entry(*id).or_default();
            entry.users += 1;
            (
                entry.lock.clone(),
                Member {
                    locks: self.clone(),
                    id: *id,
                },
            )
        };
        let guard = lock.lock_owned().await;
        FillGuard {
            held: Some(guard),
            _member: Some(member),
            fill: None,
        }
    }

    /// How many identifiers have a lock (held or awaited) now.
    pub fn len(&self) -> usize {
        self.locks
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .len()
    }

    /// Whether no identifier has a lock now.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// One caller's share of a lock entry: counted under the map's mutex, and on drop (the
/// caller is done, or stopped waiting) uncounted there, the entry removed with its last user.
#[derive(Debug)]
struct Member {
    locks: FillLocks,
    id: CacheId,
}

impl Drop for Member {
    fn drop(&mut self) {
        let mut locks = self
            .locks
            .locks
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if let Some(entry) = locks.get_mut(&self.id) {
            entry.users = entry.users.saturating_sub(1);
            if entry.users == 0 {
                locks.remove(&self.id);
            }
        }
    }
}

/// What a caller that must fill an entry holds while it fetches: the identifier's fetch lock
/// (single-flight caches), or its fill in flight (coordinating caches). Dropped without
/// [`FillGuard::stored`] (the fetch failed, or the caller gave up), it tells a coordinating
/// cache the fill ended, so a failed fill never holds a fan-out slot.
pub struct FillGuard {
    // Fields drop in order: the lock is released before the membership is counted out.
    held: Option<tokio::sync::OwnedMutexGuard<()>>,
    _member: Option<Member>,
    fill: Option<(Arc<dyn MaterialsCache>, CacheId)>,
}

impl FillGuard {
    /// The guard of a fill a coordinating cache handed out.
    pub fn coordinated(cache: Arc<dyn MaterialsCache>, id: CacheId) -> Self {
        Self {
            held: None,
            _member: None,
            fill: Some((cache, id)),
        }
    }

    /// The entry was stored (the cache's `put` ended the fill): nothing to abandon.
    pub fn stored(mut self) {
        self.fill = None;
    }
}

impl Drop for FillGuard {
    fn drop(&mut self) {
        if let Some((cache, id)) = self.fill.take() {
            cache.abandon(&id);
        }
    }
}

impl fmt::Debug for FillGuard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FillGuard")
            .field("locked", &self.held.is_some())
            .field("coordinated", &self.fill.is_some())
            .finish()
    }
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

    /// Ends a fill that stored nothing (its fetch failed, or its caller gave up): a cache that
    /// counts fills in flight frees the slot. Default: nothing to do.
    fn abandon(&self, id: &CacheId) {
        let _ = id;
    }

    /// The entry under `id`, if live, with no side effect: no recency update, no fill started.
    /// Default: `None` (a cache that cannot look without effects says nothing).
    fn peek(&self, id: &CacheId) -> Option<Arc<Entry>> {
        let _ = id;
        None
    }

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
    /// Lookups told to wait for another caller's fill (storm tracking; one per look).
    pub waits: u64,
}

/// Atomic counters behind [`CacheStats`].
#[derive(Debug, Default)]
pub(crate) struct Counters {
    pub(crate) hits: AtomicU64,
    pub(crate) misses: AtomicU64,
    pub(crate) waits: AtomicU64,
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
            waits: self.waits.load(Ordering::Relaxed),
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

    fn abandon(&self, id: &CacheId) {
        (**self).abandon(id);
    }

    fn peek(&self, id: &CacheId) -> Option<Arc<Entry>> {
        (**self).peek(id)
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
