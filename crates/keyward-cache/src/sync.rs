//! The synchronisation primitives of the caches and the caching manager. Under the `shuttle`
//! feature they are shuttle's, so that its model checker controls every interleaving of the
//! threshold counter, the storm tracker and the fetch locks (`tests/shuttle.rs`).

#[cfg(feature = "shuttle")]
pub(crate) use shuttle::sync::atomic::{AtomicU64, Ordering};
#[cfg(feature = "shuttle")]
pub(crate) use shuttle::sync::{Mutex, MutexGuard};
#[cfg(not(feature = "shuttle"))]
pub(crate) use std::sync::atomic::{AtomicU64, Ordering};
#[cfg(not(feature = "shuttle"))]
pub(crate) use std::sync::{Mutex, MutexGuard};
