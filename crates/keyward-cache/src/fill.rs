//! Looking entries up and coordinating their refills: the step every user of a cache shares
//! (the caching materials manager for data keys, the hierarchical keyring for branch keys).

use core::fmt;
use std::sync::Arc;

use keyward_materials::Materials;

use crate::cache::{CacheId, Entry, FillGuard, FillPolicy, Lookup, MaterialsCache};
use crate::error::{Error, Result};
use crate::trace::event;

/// A cache with the refill coordination its [`FillPolicy`] asks of its callers: waiting while
/// a storm-tracking cache says another caller is fetching, and one fetch per identifier at a
/// time (through the cache's own [`crate::FillLocks`]) for caches that leave single-flight to
/// their callers.
#[doc(hidden)]
pub struct CacheFiller {
    cache: Arc<dyn MaterialsCache>,
}

impl CacheFiller {
    /// Coordinates refills of `cache`.
    pub fn new(cache: Arc<dyn MaterialsCache>) -> Self {
        Self { cache }
    }

    /// The cache.
    pub fn cache(&self) -> &Arc<dyn MaterialsCache> {
        &self.cache
    }

    /// Usable materials from the cache, or, when this caller must fetch them, the guard to
    /// hold while fetching and storing them: the fetch lock of `id` for caches that leave
    /// single-flight to their callers (under it the cache is consulted again: another caller
    /// may have filled the entry meanwhile), the fill in flight for caches that coordinate
    /// fills themselves (call [`FillGuard::stored`] after the put; dropping it otherwise ends
    /// the fill), `None` for caches that store nothing. `usable` decides whether an entry
    /// serves this caller (and may count the use); an entry it refuses is retired.
    ///
    /// # Errors
    /// [`Error::InFlightTtlExceeded`] when a storm-tracking cache kept this caller waiting
    /// longer than its in-flight TTL.
    pub async fn find_or_lock(
        &self,
        id: &CacheId,
        mut usable: impl FnMut(&Arc<Entry>) -> Option<Materials>,
    ) -> Result<(Option<Materials>, Option<FillGuard>)> {
        match self.lookup(id, &mut usable).await? {
            Outcome::Found(found) => return Ok((Some(found), None)),
            Outcome::Fill { coordinated: true } => {
                return Ok((None, Some(FillGuard::coordinated(self.cache.clone(), *id))));
            }
            Outcome::Fill { coordinated: false } => {}
        }
        let FillPolicy::SingleFlight(locks) = self.cache.fill_policy() else {
            return Ok((None, None));
        };
        let guard = locks.lock(id).await;
        match self.lookup(id, &mut usable).await? {
            Outcome::Found(found) => Ok((Some(found), None)),
            Outcome::Fill { .. } => Ok((None, Some(guard))),
        }
    }

    /// Looks `id` up until there is a usable entry or this caller should fill it, waiting for
    /// another caller's fill when the cache says so.
    async fn lookup(
        &self,
        id: &CacheId,
        mut usable: impl FnMut(&Arc<Entry>) -> Option<Materials>,
    ) -> Result<Outcome> {
        let cache = &self.cache;
        let start = cache.now();
        let mut refused: Option<Arc<Entry>> = None;
        loop {
            match cache.get(id) {
                Lookup::Hit(entry) => {
                    // A cache that keeps an entry this caller retired answers with it again:
                    // that is a miss, not a reason to look forever.
                    if refused.as_ref().is_some_and(|r| Arc::ptr_eq(r, &entry)) {
                        return Ok(Outcome::Fill { coordinated: false });
                    }
                    if let Some(materials) = usable(&entry) {
                        return Ok(Outcome::Found(materials));
                    }
                    cache.retire(id, &entry);
                    refused = Some(entry);
                }
                Lookup::Fill => {
                    let coordinated = matches!(cache.fill_policy(), FillPolicy::Coordinated { .. });
                    return Ok(Outcome::Fill { coordinated });
                }
                Lookup::Wait => {
                    let FillPolicy::Coordinated {
                        sleep,
                        in_flight_ttl,
                        ..
                    } = cache.fill_policy()
                    else {
                        return Ok(Outcome::Fill { coordinated: false });
                    };
                    if cache.now().saturating_sub(start) > in_flight_ttl {
                        event!(
                            warn,
                            "waited past the in-flight TTL for another caller's fill"
                        );
                        return Err(Error::InFlightTtlExceeded);
                    }
                    event!(trace, "waiting for another caller's fill");
                    pause(sleep).await;
                }
            }
        }
    }
}

/// How a lookup ended.
enum Outcome {
    Found(Materials),
    /// This caller fills the entry; `coordinated`: the cache counts the fill in flight.
    Fill {
        coordinated: bool,
    },
}

/// Waits between looks at a storm-tracking cache. Under the model checker, a yield to another
/// task instead of a timer.
#[cfg(not(feature = "shuttle"))]
async fn pause(sleep: core::time::Duration) {
    tokio::time::sleep(sleep).await;
}

#[cfg(feature = "shuttle")]
async fn pause(_: core::time::Duration) {
    shuttle::future::yield_now().await;
}

impl fmt::Debug for CacheFiller {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CacheFiller")
            .field("cache", &self.cache)
            .finish()
    }
}
