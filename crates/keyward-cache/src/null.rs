//! The null cache: stores nothing, always misses.

use core::time::Duration;
use std::sync::Arc;

use crate::cache::{CacheId, CacheStats, Counters, Entry, FillPolicy, Lookup, MaterialsCache};
use crate::clock::{Clock, SystemClock};

/// A cache that stores nothing: every lookup misses. Turns caching off without changing the
/// code around it.
#[derive(Clone, Debug)]
pub struct NullCache {
    counters: Arc<Counters>,
    clock: Arc<dyn Clock>,
}

impl NullCache {
    /// A null cache.
    pub fn new() -> Self {
        Self {
            counters: Arc::default(),
            clock: Arc::new(SystemClock::new()),
        }
    }
}

impl Default for NullCache {
    fn default() -> Self {
        Self::new()
    }
}

impl MaterialsCache for NullCache {
    fn get(&self, _: &CacheId) -> Lookup {
        Counters::add(&self.counters.misses);
        Lookup::Fill
    }

    fn put(&self, _: CacheId, _: Entry) {}

    fn delete(&self, _: &CacheId) {}

    fn retire(&self, _: &CacheId, _: &Arc<Entry>) {}

    fn now(&self) -> Duration {
        self.clock.now()
    }

    fn fill_policy(&self) -> FillPolicy {
        FillPolicy::Independent
    }

    fn stats(&self) -> CacheStats {
        self.counters.snapshot(0)
    }
}
