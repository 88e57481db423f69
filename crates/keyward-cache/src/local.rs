//! The local LRU cache (the specification's LocalCMC), safe for many threads.
//!
//! spec: framework/local-cryptographic-materials-cache.md

use core::time::Duration;
use std::collections::HashMap;
use std::sync::{Arc, PoisonError};

use crate::cache::{
    CacheId, CacheStats, Counters, Entry, FillLocks, FillPolicy, Lookup, MaterialsCache,
};
use crate::clock::{Clock, SystemClock};
use crate::sync::{Mutex, MutexGuard};
use crate::trace::event;

/// An in-memory LRU cache with a fixed capacity. Capacity 0 stores nothing. On every hit it
/// also checks up to `pruning_tail_size` least recently used entries and removes those that
/// expired. Cheap to clone: clones share the cache.
#[derive(Clone, Debug)]
pub struct LocalCache {
    inner: Arc<Shared>,
}

#[derive(Debug)]
struct Shared {
    state: Mutex<Lru>,
    counters: Counters,
    clock: Arc<dyn Clock>,
    fills: FillLocks,
}

/// Builds a [`LocalCache`].
#[derive(Debug)]
#[must_use]
pub struct LocalCacheBuilder {
    capacity: usize,
    pruning_tail_size: usize,
    clock: Arc<dyn Clock>,
}

impl LocalCache {
    /// A cache of `capacity` entries with the defaults (pruning tail 1, the system clock).
    pub fn new(capacity: usize) -> Self {
        Self::builder(capacity).build()
    }

    /// Starts a cache of `capacity` entries.
    pub fn builder(capacity: usize) -> LocalCacheBuilder {
        LocalCacheBuilder {
            capacity,
            pruning_tail_size: 1,
            clock: Arc::new(SystemClock::new()),
        }
    }

    fn lock(&self) -> MutexGuard<'_, Lru> {
        self.inner
            .state
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }
}

impl LocalCacheBuilder {
    /// How many least recently used entries a hit checks for expiry. Default 1; 0 means 1, as
    /// in the official implementation.
    pub fn pruning_tail_size(mut self, size: usize) -> Self {
        self.pruning_tail_size = size.max(1);
        self
    }

    /// The clock. Default: the system's monotonic clock.
    pub fn clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// The cache.
    pub fn build(self) -> LocalCache {
        LocalCache {
            inner: Arc::new(Shared {
                state: Mutex::new(Lru::new(self.capacity, self.pruning_tail_size)),
                counters: Counters::default(),
                clock: self.clock,
                fills: FillLocks::new(),
            }),
        }
    }
}

impl MaterialsCache for LocalCache {
    fn get(&self, id: &CacheId) -> Lookup {
        let now = self.now();
        let found = self.lock().get(id, now, &self.inner.counters);
        match found {
            Some((entry, _)) => {
                Counters::add(&self.inner.counters.hits);
                Lookup::Hit(entry)
            }
            None => {
                Counters::add(&self.inner.counters.misses);
                Lookup::Fill
            }
        }
    }

    fn put(&self, id: CacheId, entry: Entry) {
        self.lock()
            .put(id, Arc::new(entry), None, &self.inner.counters);
    }

    fn delete(&self, id: &CacheId) {
        if self.lock().remove(id).is_some() {
            Counters::add(&self.inner.counters.deleted);
        }
    }

    fn retire(&self, id: &CacheId, entry: &Arc<Entry>) {
        if self.lock().remove_if_same(id, entry) {
            Counters::add(&self.inner.counters.deleted);
        }
    }

    fn peek(&self, id: &CacheId) -> Option<Arc<Entry>> {
        let now = self.now();
        self.lock().peek(id, now)
    }

    fn now(&self) -> Duration {
        self.inner.clock.now()
    }

    fn fill_policy(&self) -> FillPolicy {
        if self.lock().capacity == 0 {
            FillPolicy::Independent
        } else {
            FillPolicy::SingleFlight(self.inner.fills.clone())
        }
    }

    fn stats(&self) -> CacheStats {
        let entries = self.lock().len();
        self.inner.counters.snapshot(entries)
    }
}

/// A hash map over a doubly linked list kept in a slab: the head is the most recently used
/// entry, the tail the least.
#[derive(Debug)]
pub(crate) struct Lru {
    pub(crate) capacity: usize,
    pruning_tail_size: usize,
    map: HashMap<CacheId, usize>,
    nodes: Vec<Option<Node>>,
    free: Vec<usize>,
    head: usize,
    tail: usize,
}

#[derive(Debug)]
struct Node {
    id: CacheId,
    entry: Arc<Entry>,
    /// When the fetch that produced the entry started (storm tracking).
    fill_started: Option<Duration>,
    prev: usize,
    next: usize,
}

const NIL: usize = usize::MAX;

impl Lru {
    pub(crate) fn new(capacity: usize, pruning_tail_size: usize) -> Self {
        Self {
            capacity,
            pruning_tail_size: pruning_tail_size.max(1),
            map: HashMap::new(),
            nodes: Vec::new(),
            free: Vec::new(),
            head: NIL,
            tail: NIL,
        }
    }

    pub(crate) fn len(&self) -> usize {
        self.map.len()
    }

    /// Looks up an entry, with the time its fetch started when known: an expired one is
    /// removed, a live one becomes the most recently used, and the tail is pruned of expired
    /// entries.
    pub(crate) fn get(
        &mut self,
        id: &CacheId,
        now: Duration,
        counters: &Counters,
    ) -> Option<(Arc<Entry>, Option<Duration>)> {
        let index = *self.map.get(id)?;
        let node = self.nodes.get(index)?.as_ref()?;
        let (entry, fill_started) = (node.entry.clone(), node.fill_started);
        if now > entry.expires() {
            self.remove(id);
            Counters::add(&counters.evicted_expired);
            event!(debug, "cache entry expired and removed");
            return None;
        }
        self.unlink(index);
        self.push_front(index);
        self.prune(now, counters);
        Some((entry, fill_started))
    }

    /// The live entry under `id`, changing nothing.
    pub(crate) fn peek(&self, id: &CacheId, now: Duration) -> Option<Arc<Entry>> {
        let index = *self.map.get(id)?;
        let entry = &self.node(index)?.entry;
        (now <= entry.expires()).then(|| entry.clone())
    }

    /// When the fetch that produced the entry under `id` started, if known.
    pub(crate) fn fill_started(&self, id: &CacheId) -> Option<Duration> {
        let index = *self.map.get(id)?;
        self.node(index)?.fill_started
    }

    pub(crate) fn put(
        &mut self,
        id: CacheId,
        entry: Arc<Entry>,
        fill_started: Option<Duration>,
        counters: &Counters,
    ) {
        if self.capacity == 0 {
            return;
        }
        self.remove(&id);
        if self.map.len() >= self.capacity
            && let Some(tail_id) = self.node(self.tail).map(|n| n.id)
        {
            self.remove(&tail_id);
            Counters::add(&counters.evicted_for_capacity);
            event!(
                debug,
                capacity = self.capacity,
                "cache full: least recently used entry evicted"
            );
        }
        let node = Node {
            id,
            entry,
            fill_started,
            prev: NIL,
            next: NIL,
        };
        let index = match self.free.pop() {
            Some(index) => {
                if let Some(slot) = self.nodes.get_mut(index) {
                    *slot = Some(node);
                }
                index
            }
            None => {
                self.nodes.push(Some(node));
                self.nodes.len() - 1
            }
        };
        self.push_front(index);
        self.map.insert(id, index);
    }

    pub(crate) fn remove(&mut self, id: &CacheId) -> Option<Arc<Entry>> {
        let index = self.map.remove(id)?;
        self.unlink(index);
        let node = self.nodes.get_mut(index)?.take()?;
        self.free.push(index);
        Some(node.entry)
    }

    /// Removes the entry under `id` if it is `entry`.
    pub(crate) fn remove_if_same(&mut self, id: &CacheId, entry: &Arc<Entry>) -> bool {
        let same = self
            .map
            .get(id)
            .and_then(|index| self.node(*index))
            .is_some_and(|node| Arc::ptr_eq(&node.entry, entry));
        same && self.remove(id).is_some()
    }

    /// Removes expired entries from the tail, checking at most the pruning tail size.
    fn prune(&mut self, now: Duration, counters: &Counters) {
        for _ in 0..self.pruning_tail_size {
            let Some(node) = self.node(self.tail) else {
                return;
            };
            if node.entry.expires() >= now {
                return;
            }
            let id = node.id;
            self.remove(&id);
            Counters::add(&counters.evicted_expired);
        }
    }

    fn node(&self, index: usize) -> Option<&Node> {
        self.nodes.get(index)?.as_ref()
    }

    fn node_mut(&mut self, index: usize) -> Option<&mut Node> {
        self.nodes.get_mut(index)?.as_mut()
    }

    fn unlink(&mut self, index: usize) {
        let Some((prev, next)) = self.node(index).map(|n| (n.prev, n.next)) else {
            return;
        };
        match self.node_mut(prev) {
            Some(node) => node.next = next,
            None => self.head = next,
        }
        match self.node_mut(next) {
            Some(node) => node.prev = prev,
            None => self.tail = prev,
        }
        if let Some(node) = self.node_mut(index) {
            node.prev = NIL;
            node.next = NIL;
        }
    }

    fn push_front(&mut self, index: usize) {
        let old_head = self.head;
        if let Some(node) = self.node_mut(index) {
            node.prev = NIL;
            node.next = old_head;
        }
        match self.node_mut(old_head) {
            Some(node) => node.prev = index,
            None => self.tail = index,
        }
        self.head = index;
    }
}
