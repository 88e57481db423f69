//! The cache-type union of the official API, so configurations translate one to one.

use std::sync::Arc;

use crate::cache::MaterialsCache;
use crate::clock::{Clock, SystemClock};
use crate::error::{Error, Result};
use crate::local::LocalCache;
use crate::null::NullCache;
use crate::storm::{StormSettings, StormTrackingCache};

/// Which cache to build, in the vocabulary of the official `CacheType`.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub enum CacheType {
    /// A storm-tracking cache with the official defaults and this capacity (at least 1).
    Default {
        /// Entries.
        entry_capacity: usize,
    },
    /// No caching.
    No,
    /// A local LRU cache. keyward's local cache is always safe for many threads, so this is
    /// the same as [`CacheType::MultiThreaded`].
    SingleThreaded {
        /// Entries.
        entry_capacity: usize,
        /// Least recently used entries checked for expiry on each hit (default 1).
        entry_pruning_tail_size: Option<usize>,
    },
    /// A local LRU cache safe for many threads.
    MultiThreaded {
        /// Entries.
        entry_capacity: usize,
        /// Least recently used entries checked for expiry on each hit (default 1).
        entry_pruning_tail_size: Option<usize>,
    },
    /// A storm-tracking cache with these settings.
    StormTracking(StormSettings),
    /// An existing cache, shared with other users.
    Shared(Arc<dyn MaterialsCache>),
}

impl CacheType {
    /// Builds the cache on the system clock.
    ///
    /// # Errors
    /// [`Error::InvalidSetting`] for a zero `Default` capacity or invalid storm settings.
    pub fn build(self) -> Result<Arc<dyn MaterialsCache>> {
        self.build_with_clock(Arc::new(SystemClock::new()))
    }

    /// Builds the cache on the given clock (a shared cache keeps its own).
    ///
    /// # Errors
    /// As [`CacheType::build`].
    pub fn build_with_clock(self, clock: Arc<dyn Clock>) -> Result<Arc<dyn MaterialsCache>> {
        Ok(match self {
            Self::Default { entry_capacity } => {
                if entry_capacity == 0 {
                    return Err(Error::InvalidSetting {
                        setting: "entry capacity",
                        reason: "must be at least 1",
                    });
                }
                Arc::new(
                    StormTrackingCache::builder(StormSettings::new(entry_capacity))
                        .clock(clock)
                        .build()?,
                )
            }
            Self::No => Arc::new(NullCache::builder().clock(clock).build()),
            Self::SingleThreaded {
                entry_capacity,
                entry_pruning_tail_size,
            }
            | Self::MultiThreaded {
                entry_capacity,
                entry_pruning_tail_size,
            } => Arc::new(
                LocalCache::builder(entry_capacity)
                    .pruning_tail_size(entry_pruning_tail_size.unwrap_or(1))
                    .clock(clock)
                    .build(),
            ),
            Self::StormTracking(settings) => {
                if settings.capacity() == 0 {
                    return Err(Error::InvalidSetting {
                        setting: "entry capacity",
                        reason: "must be at least 1",
                    });
                }
                Arc::new(StormTrackingCache::builder(settings).clock(clock).build()?)
            }
            Self::Shared(cache) => cache,
        })
    }
}
