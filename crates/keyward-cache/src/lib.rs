#![doc = include_str!("../README.md")]
#![doc(test(attr(deny(warnings))))]

mod cache;
mod cache_id;
mod caching_manager;
mod clock;
mod error;
mod fill;
mod local;
mod null;
mod storm;
mod sync;
mod trace;

pub use crate::cache::{
    CacheId, CacheIdFormula, CacheStats, Entry, FillGuard, FillLocks, FillPolicy, Lookup,
    MaterialsCache, Usage, UsageLimits,
};
pub use crate::caching_manager::{
    CachingMaterialsManager, CachingMaterialsManagerBuilder, DEFAULT_MAX_BYTES,
    DEFAULT_MAX_MESSAGES, ManagerStats, OperationStats,
};
pub use crate::clock::{Clock, ManualClock, SystemClock, TokioClock};
pub use crate::error::{Error, Result};
#[doc(hidden)]
pub use crate::fill::CacheFiller;
pub use crate::local::{LocalCache, LocalCacheBuilder};
pub use crate::null::{NullCache, NullCacheBuilder};
pub use crate::storm::{StormSettings, StormTrackingCache, StormTrackingCacheBuilder};
