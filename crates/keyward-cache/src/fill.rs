//! Looking entries up and coordinating their refills: the step every user of a cache shares
//! (the caching materials manager for data keys, the hierarchical keyring for branch keys).

use core::fmt;
use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use keyward_materials::Materials;

use crate::cache::{CacheId, Entry, FillPolicy, Lookup, MaterialsCache};
use crate::error::{Error, Result};

/// A cache with the refill coordination its [`FillPolicy`] asks of its callers: waiting while
/// a storm-tracking cache says another caller is fetching, and one fetch per identifier at a
/// time for caches that leave single-flight to their callers.
pub struct CacheFiller {
    cache: Arc<dyn MaterialsCache>,
    fills: Mutex<HashMap<CacheId, Arc<tokio::sync::Mutex<()>>>>,
}

impl CacheFiller {
    /// Coordinates refills of `cache`.
    pub fn new(cache: Arc<dyn MaterialsCache>) -> Self {
        Self {
            cache,
            fills: Mutex::new(HashMap::new()),
        }
    }

    /// The cache.
    pub fn cache(&self) -> &Arc<dyn MaterialsCache> {
        &self.cache
    }

    /// Usable materials from the cache, or, when this caller must fetch them, the fetch lock
    /// for `id` to hold while fetching and storing them (`None` for caches that coordinate
    /// fetches themselves). Under the lock the cache is consulted again: another caller may
    /// have filled the entry meanwhile. `usable` decides whether an entry serves this caller
    /// (and may count the use); an entry it refuses is retired.
    ///
    /// # Errors
    /// [`Error::InFlightTtlExceeded`] when a storm-tracking cache kept this caller waiting
    /// longer than its in-flight TTL.
    pub async fn find_or_lock(
        &self,
        id: &CacheId,
        mut usable: impl FnMut(&Arc<Entry>) -> Option<Materials>,
    ) -> Result<(Option<Materials>, Option<FillGuard<'_>>)> {
        if let Some(found) = self.lookup(id, &mut usable).await? {
            return Ok((Some(found), None));
        }
        let guard = self.fill_guard(id).await;
        let found = match guard {
            Some(_) => self.lookup(id, &mut usable).await?,
            None => None,
        };
        Ok((found, guard))
    }

    /// Looks `id` up until there is a usable entry (`Some`) or this caller should fill it
    /// (`None`), waiting for another caller's fetch when the cache says so.
    async fn lookup(
        &self,
        id: &CacheId,
        mut usable: impl FnMut(&Arc<Entry>) -> Option<Materials>,
    ) -> Result<Option<Materials>> {
        let cache = &self.cache;
        let start = cache.now();
        loop {
            match cache.get(id) {
                Lookup::Hit(entry) => {
                    if let Some(materials) = usable(&entry) {
                        return Ok(Some(materials));
                    }
                    cache.retire(id, &entry);
                }
                Lookup::Fill => return Ok(None),
                Lookup::Wait => {
                    let FillPolicy::Coordinated {
                        sleep,
                        in_flight_ttl,
                    } = cache.fill_policy()
                    else {
                        return Ok(None);
                    };
                    if cache.now().saturating_sub(start) > in_flight_ttl {
                        return Err(Error::InFlightTtlExceeded);
                    }
                    tokio::time::sleep(sleep).await;
                }
            }
        }
    }

    /// One fetch per identifier at a time, for caches that leave that to their callers.
    async fn fill_guard(&self, id: &CacheId) -> Option<FillGuard<'_>> {
        if self.cache.fill_policy() != FillPolicy::SingleFlight {
            return None;
        }
        let lock = {
            let mut fills = self.fills.lock().unwrap_or_else(PoisonError::into_inner);
            fills.entry(*id).or_default().clone()
        };
        let guard = lock.clone().lock_owned().await;
        Some(FillGuard {
            filler: self,
            id: *id,
            lock,
            _guard: guard,
        })
    }
}

impl fmt::Debug for CacheFiller {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CacheFiller")
            .field("cache", &self.cache)
            .finish_non_exhaustive()
    }
}

/// Holds the per-identifier fetch lock; removes the lock from the map when no one else uses
/// it.
pub struct FillGuard<'a> {
    filler: &'a CacheFiller,
    id: CacheId,
    lock: Arc<tokio::sync::Mutex<()>>,
    _guard: tokio::sync::OwnedMutexGuard<()>,
}

impl Drop for FillGuard<'_> {
    fn drop(&mut self) {
        let mut fills = self
            .filler
            .fills
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        // The map, this guard's `lock` and the owned guard hold three references when no other
        // caller waits.
        if Arc::strong_count(&self.lock) <= 3 {
            fills.remove(&self.id);
        }
    }
}

impl fmt::Debug for FillGuard<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FillGuard").field("id", &self.id).finish()
    }
}
