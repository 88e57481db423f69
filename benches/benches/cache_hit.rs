//! A cache hit: the local LRU cache on one thread and on two contended threads, and moka's
//! synchronous cache doing the same lookups (the measurement behind the choice of a
//! hand-written LRU in docs/dependencies.md).

#![expect(clippy::expect_used, reason = "a benchmark stops at its first failure")]

use std::hint::black_box;
use std::sync::Arc;
use std::time::{Duration, Instant};

use criterion::{Criterion, criterion_group, criterion_main};
use keyward::cache::{CacheId, Entry, LocalCache, Lookup, MaterialsCache, Usage, UsageLimits};
use keyward::format::AlgorithmSuite;
use keyward::materials::{EncryptionContext, EncryptionMaterials, Materials};

const ENTRIES: u8 = 64;

fn entry() -> Entry {
    let materials = EncryptionMaterials::new(
        AlgorithmSuite::Aes256GcmHkdfSha512Commit,
        EncryptionContext::new(),
        Default::default(),
        None,
    );
    Entry::new(
        Materials::Encryption(materials),
        Duration::ZERO,
        Duration::from_secs(3600),
        Usage::default(),
    )
}

fn ids() -> Vec<CacheId> {
    (0..ENTRIES).map(|n| CacheId::new([n; 48])).collect()
}

/// A hit as the caching manager does it: look up, then count the message.
fn local_hit(cache: &LocalCache, id: &CacheId) {
    let limits = UsageLimits::new(Duration::MAX, u64::MAX, u64::MAX);
    match cache.get(id) {
        Lookup::Hit(entry) => assert!(entry.try_use(cache.now(), 1024, limits)),
        _ => panic!("miss"),
    }
}

fn moka_hit(cache: &moka::sync::Cache<CacheId, Arc<Entry>>, id: &CacheId) {
    let limits = UsageLimits::new(Duration::MAX, u64::MAX, u64::MAX);
    let entry = cache.get(id).expect("hit");
    assert!(entry.try_use(Duration::ZERO, 1024, limits));
}

fn hits(c: &mut Criterion) {
    let ids = ids();
    let local = LocalCache::new(1000);
    let moka: moka::sync::Cache<CacheId, Arc<Entry>> = moka::sync::Cache::builder()
        .max_capacity(1000)
        .eviction_policy(moka::policy::EvictionPolicy::lru())
        .build();
    for id in &ids {
        local.put(*id, entry());
        moka.insert(*id, Arc::new(entry()));
    }
    let mut group = c.benchmark_group("cache-hit");
    group.bench_function("local", |b| {
        let mut n = 0;
        b.iter(|| {
            n = (n + 1) % ids.len();
            local_hit(&local, black_box(&ids[n]));
        });
    });
    group.bench_function("moka", |b| {
        let mut n = 0;
        b.iter(|| {
            n = (n + 1) % ids.len();
            moka_hit(&moka, black_box(&ids[n]));
        });
    });
    // Two threads hitting the same cache at once; the figure is the time one hit takes on a
    // thread while the other thread hits too.
    group.bench_function("local-2-threads", |b| {
        b.iter_custom(|iterations| {
            contended(iterations, |n| local_hit(&local, &ids[n % ids.len()]))
        });
    });
    group.bench_function("moka-2-threads", |b| {
        b.iter_custom(|iterations| contended(iterations, |n| moka_hit(&moka, &ids[n % ids.len()])));
    });
    group.finish();
}

fn contended(iterations: u64, hit: impl Fn(usize) + Sync) -> Duration {
    let per_thread = usize::try_from(iterations.div_ceil(2)).expect("iterations");
    let start = Instant::now();
    std::thread::scope(|scope| {
        for thread in 0..2 {
            let hit = &hit;
            scope.spawn(move || {
                for n in 0..per_thread {
                    hit(n * 2 + thread);
                }
            });
        }
    });
    // Each thread made half the hits in the elapsed time.
    start.elapsed() * 2
}

criterion_group!(benches, hits);
criterion_main!(benches);
