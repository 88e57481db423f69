//! The same behaviour tests, instantiated for every backend (one module tree per cache).

use std::sync::Arc;
use std::time::Duration;

use keyward_cache::{Clock, Lookup, ManualClock, MaterialsCache};

use super::support::{entry, id};

/// A fresh cache of 3 entries on a manual clock, per backend.
trait Backend {
    const STORES: bool;
    fn make(clock: &ManualClock) -> Arc<dyn MaterialsCache>;
}

macro_rules! backend_tests {
    ($module:ident, $backend:ty) => {
        mod $module {
            use super::*;

            type B = $backend;

            #[test]
            fn a_stored_entry_is_found_until_it_expires() {
                let clock = ManualClock::new();
                let cache = B::make(&clock);
                cache.put(
                    id(1),
                    entry(clock.now(), clock.now() + Duration::from_secs(10)),
                );
                assert_eq!(matches!(cache.get(&id(1)), Lookup::Hit(_)), B::STORES);
                clock.advance(Duration::from_secs(9));
                assert_eq!(
                    matches!(cache.get(&id(1)), Lookup::Hit(_)),
                    B::STORES,
                    "alive before its expiry time"
                );
                clock.advance(Duration::from_millis(1001));
                assert!(
                    !matches!(cache.get(&id(1)), Lookup::Hit(_)),
                    "never returned after expiry"
                );
                assert_eq!(cache.stats().entries, 0);
            }

            #[test]
            fn delete_and_retire_remove_entries() {
                let clock = ManualClock::new();
                let cache = B::make(&clock);
                cache.put(
                    id(1),
                    entry(clock.now(), clock.now() + Duration::from_secs(10)),
                );
                cache.delete(&id(1));
                assert!(!matches!(cache.get(&id(1)), Lookup::Hit(_)));
                cache.put(
                    id(2),
                    entry(clock.now(), clock.now() + Duration::from_secs(10)),
                );
                if let Lookup::Hit(old) = cache.get(&id(2)) {
                    cache.put(
                        id(2),
                        entry(clock.now(), clock.now() + Duration::from_secs(20)),
                    );
                    cache.retire(&id(2), &old);
                    match cache.get(&id(2)) {
                        Lookup::Hit(current) => assert_eq!(
                            current.expires(),
                            Duration::from_secs(20),
                            "a newer entry survives"
                        ),
                        other => panic!("expected the newer entry, found {other:?}"),
                    }
                    cache.retire(&id(2), &cache_hit(&*cache, 2));
                    assert!(!matches!(cache.get(&id(2)), Lookup::Hit(_)));
                }
            }

            #[test]
            fn the_least_recently_used_entry_makes_room() {
                let clock = ManualClock::new();
                let cache = B::make(&clock);
                let expires = Duration::from_secs(100);
                for n in 1..=3 {
                    cache.put(id(n), entry(clock.now(), expires));
                }
                let _ = cache.get(&id(1)); // 1 is now the most recently used; 2 the least.
                cache.put(id(4), entry(clock.now(), expires));
                if B::STORES {
                    assert!(matches!(cache.get(&id(1)), Lookup::Hit(_)));
                    assert!(!matches!(cache.get(&id(2)), Lookup::Hit(_)));
                    assert!(matches!(cache.get(&id(3)), Lookup::Hit(_)));
                    assert!(matches!(cache.get(&id(4)), Lookup::Hit(_)));
                    assert_eq!(cache.stats().evicted_for_capacity, 1);
                    assert_eq!(cache.stats().entries, 3);
                } else {
                    assert_eq!(cache.stats().entries, 0);
                }
            }
        }
    };
}

fn cache_hit(cache: &dyn MaterialsCache, n: u8) -> Arc<keyward_cache::Entry> {
    match cache.get(&id(n)) {
        Lookup::Hit(entry) => entry,
        other => panic!("expected a hit, found {other:?}"),
    }
}

struct Local;
impl Backend for Local {
    const STORES: bool = true;
    fn make(clock: &ManualClock) -> Arc<dyn MaterialsCache> {
        Arc::new(
            keyward_cache::LocalCache::builder(3)
                .clock(Arc::new(clock.clone()))
                .build(),
        )
    }
}

struct Storm;
impl Backend for Storm {
    const STORES: bool = true;
    fn make(clock: &ManualClock) -> Arc<dyn MaterialsCache> {
        let tick = Duration::from_millis(1);
        let settings = keyward_cache::StormSettings::new(3)
            .grace_period(tick)
            .grace_interval(tick)
            .in_flight_ttl(tick)
            .sleep(tick);
        Arc::new(
            keyward_cache::StormTrackingCache::builder(settings)
                .clock(Arc::new(clock.clone()))
                .build()
                .unwrap(),
        )
    }
}

struct Null;
impl Backend for Null {
    const STORES: bool = false;
    fn make(clock: &ManualClock) -> Arc<dyn MaterialsCache> {
        Arc::new(
            keyward_cache::NullCache::builder()
                .clock(Arc::new(clock.clone()))
                .build(),
        )
    }
}

backend_tests!(local, Local);
backend_tests!(storm, Storm);
backend_tests!(null, Null);

#[test]
fn capacity_zero_stores_nothing() {
    let cache = keyward_cache::LocalCache::new(0);
    cache.put(id(1), entry(Duration::ZERO, Duration::from_secs(10)));
    assert!(matches!(cache.get(&id(1)), Lookup::Fill));
    assert!(matches!(
        cache.fill_policy(),
        keyward_cache::FillPolicy::Independent
    ));
    let storm = keyward_cache::StormTrackingCache::new(0);
    storm.put(id(1), entry(Duration::ZERO, Duration::from_secs(10)));
    for _ in 0..3 {
        assert!(matches!(storm.get(&id(1)), Lookup::Fill));
    }
    assert!(matches!(
        storm.fill_policy(),
        keyward_cache::FillPolicy::Independent
    ));
}

#[test]
fn hits_prune_expired_entries_from_the_tail() {
    let clock = ManualClock::new();
    let cache = keyward_cache::LocalCache::builder(10)
        .pruning_tail_size(2)
        .clock(Arc::new(clock.clone()))
        .build();
    cache.put(id(1), entry(clock.now(), Duration::from_secs(1)));
    cache.put(id(2), entry(clock.now(), Duration::from_secs(1)));
    cache.put(id(3), entry(clock.now(), Duration::from_secs(100)));
    clock.advance(Duration::from_secs(2));
    assert!(matches!(cache.get(&id(3)), Lookup::Hit(_)));
    assert_eq!(
        cache.stats().entries,
        1,
        "both expired tail entries were pruned"
    );
    assert_eq!(cache.stats().evicted_expired, 2);
}

#[test]
fn storm_settings_are_validated() {
    use keyward_cache::{StormSettings, StormTrackingCache};
    let s = Duration::from_secs;
    for settings in [
        StormSettings::new(1).fan_out(0),
        StormSettings::new(1).grace_interval(s(11)),
        StormSettings::new(1).in_flight_ttl(s(11)),
        StormSettings::new(1)
            .grace_period(s(10))
            .in_flight_ttl(s(2))
            .grace_interval(s(3)),
        StormSettings::new(1).sleep(Duration::ZERO),
    ] {
        assert!(
            StormTrackingCache::builder(settings).build().is_err(),
            "{settings:?}"
        );
    }
    assert!(
        StormTrackingCache::builder(StormSettings::new(1))
            .build()
            .is_ok()
    );
}
