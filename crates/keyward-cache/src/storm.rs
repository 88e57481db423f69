//! The storm-tracking cache: a local LRU that also tracks fetches in flight, so that a crowd of
//! callers does not fetch the same materials at once.
//!
//! spec: framework/storm-tracking-cryptographic-materials-cache.md

use core::time::Duration;
use std::collections::HashMap;
use std::sync::{Arc, PoisonError};

use crate::cache::{CacheId, CacheStats, Counters, Entry, FillPolicy, Lookup, MaterialsCache};
use crate::clock::{Clock, SystemClock};
use crate::error::{Error, Result};
use crate::local::Lru;
use crate::sync::{Mutex, MutexGuard};
use crate::trace::event;

/// The settings of a storm-tracking cache, with the official defaults ("DefaultStorm").
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[must_use]
pub struct StormSettings {
    capacity: usize,
    pruning_tail_size: usize,
    grace_period: Duration,
    grace_interval: Duration,
    fan_out: usize,
    in_flight_ttl: Duration,
    sleep: Duration,
}

impl StormSettings {
    /// The official defaults with `capacity` entries (0 stores nothing): grace period 10 s,
    /// grace interval 1 s, fan-out 20, in-flight TTL 10 s, sleep 20 ms, pruning tail 1.
    pub const fn new(capacity: usize) -> Self {
        Self {
            capacity,
            pruning_tail_size: 1,
            grace_period: Duration::from_secs(10),
            grace_interval: Duration::from_secs(1),
            fan_out: 20,
            in_flight_ttl: Duration::from_secs(10),
            sleep: Duration::from_millis(20),
        }
    }

    /// How long before expiry one caller per grace interval refreshes an entry.
    pub const fn grace_period(mut self, period: Duration) -> Self {
        self.grace_period = period;
        self
    }

    /// How often a refresh (or a fetch of a missing entry) may start.
    pub const fn grace_interval(mut self, interval: Duration) -> Self {
        self.grace_interval = interval;
        self
    }

    /// The most fetches in flight at once.
    pub const fn fan_out(mut self, fan_out: usize) -> Self {
        self.fan_out = fan_out;
        self
    }

    /// How long a caller waits for another caller's fetch.
    pub const fn in_flight_ttl(mut self, ttl: Duration) -> Self {
        self.in_flight_ttl = ttl;
        self
    }

    /// The pause between looks while waiting.
    pub const fn sleep(mut self, sleep: Duration) -> Self {
        self.sleep = sleep;
        self
    }

    /// How many least recently used entries a hit checks for expiry.
    pub const fn pruning_tail_size(mut self, size: usize) -> Self {
        self.pruning_tail_size = if size == 0 { 1 } else { size };
        self
    }

    /// The entry capacity.
    pub const fn capacity(&self) -> usize {
        self.capacity
    }

    /// The grace period.
    pub const fn grace_period_value(&self) -> Duration {
        self.grace_period
    }

    /// The grace interval.
    pub const fn grace_interval_value(&self) -> Duration {
        self.grace_interval
    }

    /// The fan-out.
    pub const fn fan_out_value(&self) -> usize {
        self.fan_out
    }

    /// The in-flight TTL.
    pub const fn in_flight_ttl_value(&self) -> Duration {
        self.in_flight_ttl
    }

    /// Checks the rules between the settings.
    ///
    /// # Errors
    /// [`Error::InvalidSetting`] when a setting is zero, or when it breaks
    /// `grace interval ≤ in-flight TTL ≤ grace period`.
    pub fn validate(&self) -> Result<()> {
        let invalid = |setting, reason| Err(Error::InvalidSetting { setting, reason });
        if self.fan_out == 0 {
            return invalid("fan-out", "must be at least 1");
        }
        if self.grace_period.is_zero()
            || self.grace_interval.is_zero()
            || self.in_flight_ttl.is_zero()
            || self.sleep.is_zero()
        {
            return invalid(
                "storm timing",
                "grace period, grace interval, in-flight TTL and sleep must be positive",
            );
        }
        if self.grace_interval > self.grace_period {
            return invalid("grace interval", "must not exceed the grace period");
        }
        if self.in_flight_ttl > self.grace_period {
            return invalid("in-flight TTL", "must not exceed the grace period");
        }
        if self.grace_interval > self.in_flight_ttl {
            return invalid("grace interval", "must not exceed the in-flight TTL");
        }
        Ok(())
    }
}

/// A local LRU cache that coordinates fetches: near expiry exactly one caller per grace interval
/// refreshes an entry while the others keep using it; on a miss one caller fetches and the
/// others wait (holding no lock) until the entry arrives or their in-flight TTL runs out; never
/// more than `fan_out` fetches are in flight. Cheap to clone: clones share the cache.
///
/// # Refreshes whatever the entries' lifetimes
/// The time a fetch started stays with the entry it stored, so an entry that is in its grace
/// period from the moment it is stored (its lifetime is at most the grace period) is still
/// refreshed at most once per grace interval. The caching manager and the hierarchical
/// keyring refuse such lifetimes anyway (a maximum age or TTL not longer than the grace period),
/// since early refresh would then start with the first use.
#[derive(Clone, Debug)]
pub struct StormTrackingCache {
    inner: Arc<Shared>,
}

/// Builds a [`StormTrackingCache`].
#[derive(Debug)]
#[must_use]
pub struct StormTrackingCacheBuilder {
    settings: StormSettings,
    clock: Arc<dyn Clock>,
}

#[derive(Debug)]
struct Shared {
    state: Mutex<State>,
    counters: Counters,
    clock: Arc<dyn Clock>,
    settings: StormSettings,
}

#[derive(Debug)]
struct State {
    lru: Lru,
    /// When each fill in flight started, per identifier, oldest first. A fill counts against
    /// the fan-out until it stores an entry, is abandoned (its guard dropped), or outlives the
    /// in-flight TTL; one that another caller took over (after a grace interval) still counts.
    in_flight: HashMap<CacheId, Vec<Duration>>,
    /// All fills in flight.
    fills: usize,
    /// When the last abandoned fill of an identifier started: no new fill for it within a
    /// grace interval of that, so a failing service sees one attempt per interval.
    failed: HashMap<CacheId, Duration>,
    last_prune: Option<Duration>,
}

impl StormTrackingCache {
    /// A cache of `capacity` entries with the official defaults (see [`StormSettings::new`])
    /// on the system clock. Capacity 0 stores nothing.
    pub fn new(capacity: usize) -> Self {
        Self::from_settings(StormSettings::new(capacity), Arc::new(SystemClock::new()))
    }

    /// Starts a cache with these settings.
    pub fn builder(settings: StormSettings) -> StormTrackingCacheBuilder {
        StormTrackingCacheBuilder {
            settings,
            clock: Arc::new(SystemClock::new()),
        }
    }

    fn from_settings(settings: StormSettings, clock: Arc<dyn Clock>) -> Self {
        Self {
            inner: Arc::new(Shared {
                state: Mutex::new(State {
                    lru: Lru::new(settings.capacity, settings.pruning_tail_size),
                    in_flight: HashMap::new(),
                    fills: 0,
                    failed: HashMap::new(),
                    last_prune: None,
                }),
                counters: Counters::default(),
                clock,
                settings,
            }),
        }
    }

    /// The settings.
    pub fn settings(&self) -> &StormSettings {
        &self.inner.settings
    }

    /// How many fetches are in flight.
    pub fn in_flight(&self) -> usize {
        self.lock().fills
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.inner
            .state
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }
}

impl StormTrackingCacheBuilder {
    /// The clock. Default: the system's monotonic clock.
    pub fn clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// The cache.
    ///
    /// # Errors
    /// [`Error::InvalidSetting`] (see [`StormSettings::validate`]).
    pub fn build(self) -> Result<StormTrackingCache> {
        self.settings.validate()?;
        Ok(StormTrackingCache::from_settings(self.settings, self.clock))
    }
}

impl State {
    fn fan_out_reached(&mut self, now: Duration, settings: &StormSettings) -> bool {
        let due = self.last_prune.is_none_or(|last| now >= last + PRUNE_EVERY);
        if self.fills >= settings.fan_out && due {
            self.last_prune = Some(now);
            self.in_flight.retain(|_, starts| {
                starts.retain(|since| now < *since + settings.in_flight_ttl);
                !starts.is_empty()
            });
            self.fills = self.in_flight.values().map(Vec::len).sum();
        }
        self.fills >= settings.fan_out
    }

    fn start_fill(&mut self, id: &CacheId, now: Duration) {
        self.in_flight.entry(*id).or_default().push(now);
        self.fills += 1;
    }

    /// Ends one fill of `id` (an entry arrived), returning the latest start of its fills.
    fn end_fill(&mut self, id: &CacheId) -> Option<Duration> {
        let starts = self.in_flight.get_mut(id)?;
        let latest = starts.last().copied();
        if !starts.is_empty() {
            starts.remove(0);
            self.fills = self.fills.saturating_sub(1);
        }
        if starts.is_empty() {
            self.in_flight.remove(id);
        }
        latest
    }

    fn end_all_fills(&mut self, id: &CacheId) {
        if let Some(starts) = self.in_flight.remove(id) {
            self.fills = self.fills.saturating_sub(starts.len());
        }
    }

    /// Ends one fill of `id` that stored nothing, and remembers when it started.
    fn abandon_fill(&mut self, id: &CacheId, now: Duration, settings: &StormSettings) {
        let Some(starts) = self.in_flight.get_mut(id) else {
            return;
        };
        if !starts.is_empty() {
            let started = starts.remove(0);
            self.fills = self.fills.saturating_sub(1);
            let failed = self.failed.entry(*id).or_insert(started);
            *failed = (*failed).max(started);
        }
        if starts.is_empty() {
            self.in_flight.remove(id);
        }
        // Only recent failures matter: keep the map to those.
        if self.failed.len() > FAILED_PRUNE_AT {
            self.failed
                .retain(|_, since| now < *since + settings.grace_interval);
        }
    }

    /// Whether a fill for `id` started less than a grace interval ago and is still in
    /// flight, or failed.
    fn fetching(&self, id: &CacheId, now: Duration, settings: &StormSettings) -> bool {
        let recent = |since: &Duration| now < *since + settings.grace_interval;
        self.in_flight
            .get(id)
            .and_then(|starts| starts.last())
            .is_some_and(recent)
            || self.failed.get(id).is_some_and(recent)
    }
}

impl MaterialsCache for StormTrackingCache {
    fn get(&self, id: &CacheId) -> Lookup {
        let now = self.now();
        let settings = &self.inner.settings;
        let counters = &self.inner.counters;
        if settings.capacity == 0 {
            Counters::add(&counters.misses);
            return Lookup::Fill;
        }
        let mut state = self.lock();
        let lookup = match state.lru.get(id, now, counters) {
            Some((entry, fill_started)) => {
                let in_grace = entry.expires().saturating_sub(settings.grace_period) <= now;
                // spec: storm-tracking-cryptographic-materials-cache.md#getcacheentry; the
                // start of the fetch that stored the entry counts as a refresh, so that no
                // entry is refreshed twice within a grace interval, however short its life.
                let refreshed =
                    fill_started.is_some_and(|since| now < since + settings.grace_interval);
                if !in_grace
                    || refreshed
                    || state.fan_out_reached(now, settings)
                    || state.fetching(id, now, settings)
                {
                    Lookup::Hit(entry)
                } else {
                    state.start_fill(id, now);
                    event!(debug, "entry in its grace period: this caller refreshes it");
                    Lookup::Fill
                }
            }
            None => {
                if state.fan_out_reached(now, settings) || state.fetching(id, now, settings) {
                    Lookup::Wait
                } else {
                    state.start_fill(id, now);
                    Lookup::Fill
                }
            }
        };
        drop(state);
        match lookup {
            Lookup::Hit(_) => Counters::add(&counters.hits),
            Lookup::Wait => Counters::add(&counters.waits),
            _ => Counters::add(&counters.misses),
        }
        lookup
    }

    fn put(&self, id: CacheId, entry: Entry) {
        let mut state = self.lock();
        // The latest fill start stays with the entry, also when a slower, superseded fill
        // stores its entry after the fill that took over from it.
        let fill_started = state.end_fill(&id).max(state.lru.fill_started(&id));
        state.failed.remove(&id);
        state
            .lru
            .put(id, Arc::new(entry), fill_started, &self.inner.counters);
    }

    fn delete(&self, id: &CacheId) {
        let mut state = self.lock();
        state.end_all_fills(id);
        if state.lru.remove(id).is_some() {
            Counters::add(&self.inner.counters.deleted);
        }
    }

    fn retire(&self, id: &CacheId, entry: &Arc<Entry>) {
        let mut state = self.lock();
        if state.lru.remove_if_same(id, entry) {
            Counters::add(&self.inner.counters.deleted);
        }
    }

    fn abandon(&self, id: &CacheId) {
        let now = self.now();
        self.lock().abandon_fill(id, now, &self.inner.settings);
    }

    fn peek(&self, id: &CacheId) -> Option<Arc<Entry>> {
        let now = self.now();
        self.lock().lru.peek(id, now)
    }

    fn now(&self) -> Duration {
        self.inner.clock.now()
    }

    fn fill_policy(&self) -> FillPolicy {
        let settings = &self.inner.settings;
        if settings.capacity == 0 {
            return FillPolicy::Independent;
        }
        FillPolicy::Coordinated {
            sleep: settings.sleep,
            in_flight_ttl: settings.in_flight_ttl,
            grace_period: settings.grace_period,
        }
    }

    fn stats(&self) -> CacheStats {
        let entries = self.lock().lru.len();
        self.inner.counters.snapshot(entries)
    }
}

/// The in-flight map is pruned at most this often.
const PRUNE_EVERY: Duration = Duration::from_secs(1);
/// The failed-fill map is pruned of old failures when it grows past this.
const FAILED_PRUNE_AT: usize = 1024;
