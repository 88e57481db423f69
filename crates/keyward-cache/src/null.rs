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

/// Builds a [`NullCache`].
#[derive(Debug)]
#[must_use]
pub struct NullCacheBuilder {
    clock: Arc<dyn Clock>,
}

impl NullCache {
    /// A null cache on the system clock.
    pub fn new() -> Self {
        Self::builder().build()
    }

    /// Starts a null cache.
    pub fn builder() -> NullCacheBuilder {
        NullCacheBuilder {
            clock: Arc::new(SystemClock::new()),
        }
    }
}

impl Default for NullCache {
    fn default() -> Self {
        Self::new()
    }
}

impl NullCacheBuilder {
    /// The clock (the times the cache reports to its users). Default: the system's monotonic
    /// clock.
    pub fn clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// The cache.
    pub fn build(self) -> NullCache {
        NullCache {
            counters: Arc::default(),
            clock: self.clock,
        }
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
