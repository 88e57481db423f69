//! Model checks of the caching protocols with shuttle: under the `shuttle` feature the crate's
//! locks and atomics are shuttle's, and each check explores thousands of random schedules of
//! threads or tasks (`cargo xtask test` runs them; `SHUTTLE_ITERATIONS` sets the count).
//!
//! - the threshold counter (`Entry::try_use`): no schedule lets an entry exceed the limits of
//!   any manager that used it;
//! - the single-flight fill (`FillLocks` through the caching manager): one underlying call per
//!   identifier at a time, across several managers on one cache;
//! - the storm tracker: fills of one identifier start at least a grace interval apart while
//!   its entry lives, and never more than fan-out fills run at once.

#![expect(
    clippy::print_stdout,
    reason = "the checks print how many schedules they ran"
)]

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use keyward_cache::{
    CacheId, CachingMaterialsManager, Clock as _, Entry, FillGuard, FillLocks, LocalCache, Lookup,
    ManualClock, MaterialsCache, StormSettings, StormTrackingCache, Usage, UsageLimits,
};
use keyward_format::AlgorithmSuite;
use keyward_materials::{
    CommitmentPolicy, DecryptionMaterials, EncryptedDataKey, EncryptionContext,
    EncryptionMaterials, EncryptionRequest, Keyring, Materials, MaterialsManager, RawAesKeyring,
    Result, WrappingKey, async_trait,
};
use shuttle::sync::{Mutex, atomic};

fn iterations() -> usize {
    std::env::var("SHUTTLE_ITERATIONS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(2_000)
}

/// Runs `check` over random schedules and prints how many it ran.
fn explore(name: &str, check: impl Fn() + Send + Sync + 'static) {
    let runs = Arc::new(AtomicUsize::new(0));
    let iterations = iterations();
    let counted = runs.clone();
    shuttle::check_random(
        move || {
            counted.fetch_add(1, Ordering::SeqCst);
            check();
        },
        iterations,
    );
    let ran = runs.load(Ordering::SeqCst);
    assert_eq!(ran, iterations);
    println!("shuttle: {name}: {ran} schedules explored");
}

fn materials() -> Materials {
    Materials::Encryption(EncryptionMaterials::new(
        AlgorithmSuite::Aes256GcmHkdfSha512Commit,
        EncryptionContext::new(),
        Default::default(),
        None,
    ))
}

fn id(n: u8) -> CacheId {
    CacheId::new([n; 48])
}

#[test]
fn the_threshold_counter_never_exceeds_any_users_limits() {
    explore("threshold counter", || {
        let entry = Arc::new(Entry::new(
            materials(),
            Duration::ZERO,
            Duration::from_secs(60),
            Usage::new(0, 0),
        ));
        let minute = Duration::from_secs(60);
        // Three users with different limits race for the entry: 100 bytes per message.
        let users = [
            UsageLimits::new(minute, 5, 1_000),
            UsageLimits::new(minute, 2, 1_000),
            UsageLimits::new(minute, 5, 350),
        ];
        let handles: Vec<_> = users
            .into_iter()
            .map(|limits| {
                let entry = entry.clone();
                shuttle::thread::spawn(move || {
                    let mut taken = Vec::new();
                    for _ in 0..3 {
                        if entry.try_use(Duration::ZERO, 100, limits) {
                            taken.push(entry.usage());
                        }
                    }
                    (limits, taken)
                })
            })
            .collect();
        let outcomes: Vec<_> = handles.into_iter().map(|h| h.join().unwrap()).collect();
        let usage = entry.usage();
        let successes: usize = outcomes.iter().map(|(_, taken)| taken.len()).sum();
        assert_eq!(usage.messages, successes as u64);
        assert_eq!(usage.bytes, 100 * successes as u64);
        for (limits, taken) in &outcomes {
            // Every use a user made left the entry within that user's limits, and once it
            // used the entry, the entry never went past them.
            for seen in taken {
                assert!(seen.messages <= limits.max_messages);
                assert!(seen.bytes <= limits.max_bytes);
            }
            if !taken.is_empty() {
                assert!(
                    usage.messages <= limits.max_messages,
                    "{usage:?} {limits:?}"
                );
                assert!(usage.bytes <= limits.max_bytes, "{usage:?} {limits:?}");
            }
        }
        assert!(
            successes >= 2,
            "the entry serves while the tightest limits allow"
        );
    });
}

/// Counts the keyring calls in flight and fails if two overlap.
#[derive(Debug)]
struct OneAtATime {
    inner: RawAesKeyring,
    running: atomic::AtomicUsize,
    calls: atomic::AtomicUsize,
}

#[async_trait]
impl Keyring for OneAtATime {
    async fn on_encrypt(&self, materials: EncryptionMaterials) -> Result<EncryptionMaterials> {
        use atomic::Ordering::SeqCst;
        assert_eq!(self.running.fetch_add(1, SeqCst), 0, "two fills at once");
        self.calls.fetch_add(1, SeqCst);
        shuttle::future::yield_now().await;
        let result = self.inner.on_encrypt(materials).await;
        self.running.fetch_sub(1, SeqCst);
        result
    }

    async fn on_decrypt(
        &self,
        materials: DecryptionMaterials,
        encrypted_data_keys: &[EncryptedDataKey],
    ) -> Result<DecryptionMaterials> {
        self.inner.on_decrypt(materials, encrypted_data_keys).await
    }
}

#[test]
fn one_fill_per_identifier_across_managers_on_one_cache() {
    explore("single-flight fill", || {
        let keyring = Arc::new(OneAtATime {
            inner: RawAesKeyring::new("model", "key", WrappingKey::new(vec![1; 32])).unwrap(),
            running: Default::default(),
            calls: Default::default(),
        });
        let cache = LocalCache::new(4);
        // Two managers share the cache and the partition; each runs two tasks.
        let managers: Vec<_> = (0..2)
            .map(|_| {
                CachingMaterialsManager::with_keyring(
                    keyring.clone(),
                    cache.clone(),
                    Duration::from_secs(60),
                )
                .max_messages(3)
                .partition("model")
                .build()
                .unwrap()
            })
            .collect();
        let keys = shuttle::future::block_on(async move {
            let tasks: Vec<_> = (0..4)
                .map(|i| {
                    let manager = managers[i % 2].clone();
                    shuttle::future::spawn(async move {
                        let mut request = EncryptionRequest::new(
                            EncryptionContext::new(),
                            CommitmentPolicy::RequireEncryptRequireDecrypt,
                        );
                        request.max_plaintext_length = Some(1);
                        let materials = manager.get_encryption_materials(request).await.unwrap();
                        materials.data_key().unwrap().expose_secret().to_vec()
                    })
                })
                .collect();
            let mut keys = Vec::new();
            for task in tasks {
                keys.push(task.await.unwrap());
            }
            keys
        });
        let mut tally: HashMap<Vec<u8>, u64> = HashMap::new();
        for key in keys {
            *tally.entry(key).or_default() += 1;
        }
        assert!(tally.values().all(|&n| n <= 3), "{tally:?}");
        // Four messages at three per key: exactly two keys, two keyring calls.
        assert_eq!(tally.len(), 2);
        assert_eq!(keyring.calls.load(Ordering::SeqCst), 2);
    });
}

#[test]
fn storm_fills_respect_the_grace_interval_and_the_fan_out() {
    explore("storm tracker", || {
        let clock = ManualClock::new();
        let interval = Duration::from_millis(100);
        let settings = StormSettings::new(10)
            .grace_period(Duration::from_secs(1))
            .grace_interval(interval)
            .in_flight_ttl(Duration::from_secs(1))
            .fan_out(2);
        let cache = StormTrackingCache::builder(settings)
            .clock(Arc::new(clock.clone()))
            .build()
            .unwrap();
        // Entries live 150 ms: in their grace period from birth, longer than the interval.
        let life = Duration::from_millis(150);
        let fills: Arc<Mutex<Vec<(u8, Duration)>>> = Arc::default();
        let running: Arc<Mutex<usize>> = Arc::default();
        // Held while the clock moves, and while a lookup reads the time it decided at.
        let time: Arc<Mutex<()>> = Arc::default();
        let mut handles = Vec::new();
        for worker in 0..3u8 {
            let shared: Arc<dyn MaterialsCache> = Arc::new(cache.clone());
            let (cache, clock, fills, running, time) = (
                cache.clone(),
                clock.clone(),
                fills.clone(),
                running.clone(),
                time.clone(),
            );
            handles.push(shuttle::thread::spawn(move || {
                for round in 0..4u8 {
                    let which = (worker + round) % 3;
                    let (lookup, now) = {
                        let _time = time.lock().unwrap();
                        (cache.get(&id(which)), clock.now())
                    };
                    if let Lookup::Fill = lookup {
                        fills.lock().unwrap().push((which, now));
                        {
                            let mut running = running.lock().unwrap();
                            *running += 1;
                            assert!(*running <= 2, "more fills in flight than the fan-out");
                        }
                        shuttle::thread::yield_now();
                        *running.lock().unwrap() -= 1;
                        let guard = FillGuard::coordinated(shared.clone(), id(which));
                        // Every third fill fails: its guard drops without a put.
                        if (worker + round) % 3 != 0 {
                            cache.put(
                                id(which),
                                Entry::new(materials(), now, now + life, Usage::default()),
                            );
                            guard.stored();
                        }
                    }
                }
            }));
        }
        let ticker = {
            let clock = clock.clone();
            shuttle::thread::spawn(move || {
                for _ in 0..6 {
                    {
                        let _time = time.lock().unwrap();
                        clock.advance(Duration::from_millis(20));
                    }
                    shuttle::thread::yield_now();
                }
            })
        };
        for handle in handles {
            handle.join().unwrap();
        }
        ticker.join().unwrap();
        assert_eq!(cache.in_flight(), 0, "a fill was left in flight");
        let fills = fills.lock().unwrap();
        for which in 0..3 {
            let starts: Vec<Duration> = fills
                .iter()
                .filter(|(id, _)| *id == which)
                .map(|(_, at)| *at)
                .collect();
            // The clock moves 120 ms in all and entries live 150 ms: no entry expires, so every
            // fill after the first is a refresh, or a retry after a failure, and needs a full
            // grace interval.
            assert!(
                starts.windows(2).all(|w| w[1] >= w[0] + interval),
                "entry {which}: fills at {starts:?}"
            );
        }
    });
}

#[test]
fn fetch_locks_leave_nothing_behind_when_waiters_give_up() {
    explore("fetch locks under cancellation", || {
        let locks = FillLocks::new();
        let id = id(3);
        shuttle::future::block_on(async move {
            let holder = {
                let locks = locks.clone();
                shuttle::future::spawn(async move {
                    let _guard = locks.lock(&id).await;
                    shuttle::future::yield_now().await;
                })
            };
            let waiters: Vec<_> = (0..3)
                .map(|_| {
                    let locks = locks.clone();
                    shuttle::future::spawn(async move {
                        let _guard = locks.lock(&id).await;
                        shuttle::future::yield_now().await;
                    })
                })
                .collect();
            shuttle::future::yield_now().await;
            waiters[0].abort();
            waiters[1].abort();
            holder.await.unwrap();
            for waiter in waiters {
                let _ = waiter.await;
            }
            assert!(locks.is_empty(), "{} lock entries left", locks.len());
        });
    });
}
