//! Storm tracking with tokio's paused time and a slow underlying keyring.

use std::sync::Arc;
use std::time::Duration;

use keyward_cache::{
    CachingMaterialsManager, Clock as _, Error, Lookup, ManualClock, MaterialsCache, StormSettings,
    StormTrackingCache, TokioClock,
};
use keyward_materials::{EncryptionContext, MaterialsManager};

use super::support::{CountingKeyring, encrypt_request, entry, id};

fn storm(settings: StormSettings) -> StormTrackingCache {
    StormTrackingCache::builder(settings)
        .clock(Arc::new(TokioClock::new()))
        .build()
        .unwrap()
}

async fn crowd(manager: &CachingMaterialsManager, n: usize) {
    let tasks: Vec<_> = (0..n)
        .map(|_| {
            let manager = manager.clone();
            tokio::spawn(async move {
                manager
                    .get_encryption_materials(encrypt_request(&EncryptionContext::new(), Some(1)))
                    .await
            })
        })
        .collect();
    for task in tasks {
        task.await.unwrap().unwrap();
    }
}

#[tokio::test(start_paused = true)]
async fn a_thousand_concurrent_misses_make_one_fetch() {
    let keyring = CountingKeyring::new(Duration::from_millis(200));
    let cache = storm(StormSettings::new(100));
    let manager = CachingMaterialsManager::with_keyring(
        keyring.clone(),
        cache.clone(),
        Duration::from_secs(60),
    )
    .build()
    .unwrap();
    crowd(&manager, 1000).await;
    assert_eq!(
        keyring.encrypts(),
        1,
        "one caller fetches, 999 wait for its entry"
    );
    assert_eq!(manager.stats().encrypt.hits, 999);
}

#[tokio::test(start_paused = true)]
async fn misses_for_many_entries_never_exceed_the_fan_out() {
    let keyring = CountingKeyring::new(Duration::from_millis(200));
    let cache = storm(StormSettings::new(1000).fan_out(5));
    let manager = CachingMaterialsManager::with_keyring(
        keyring.clone(),
        cache.clone(),
        Duration::from_secs(60),
    )
    .build()
    .unwrap();
    let observer = {
        let cache = cache.clone();
        tokio::spawn(async move {
            let mut most = 0;
            for _ in 0..200 {
                most = most.max(cache.in_flight());
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
            most
        })
    };
    let tasks: Vec<_> = (0..1000)
        .map(|i| {
            let manager = manager.clone();
            // 50 distinct entries, 20 callers each.
            let context = EncryptionContext::from([("entry", format!("{}", i % 50))]);
            tokio::spawn(async move {
                manager
                    .get_encryption_materials(encrypt_request(&context, Some(1)))
                    .await
            })
        })
        .collect();
    for task in tasks {
        task.await.unwrap().unwrap();
    }
    assert!(
        observer.await.unwrap() <= 5,
        "never more than fan-out fetches in flight"
    );
    assert_eq!(keyring.encrypts(), 50, "one fetch per entry");
}

#[tokio::test(start_paused = true)]
async fn entries_in_their_grace_period_are_refreshed_once_per_interval() {
    let keyring = CountingKeyring::new(Duration::from_millis(100));
    let settings = StormSettings::new(100)
        .grace_period(Duration::from_secs(10))
        .grace_interval(Duration::from_secs(1))
        .in_flight_ttl(Duration::from_secs(5));
    let cache = storm(settings);
    let manager = CachingMaterialsManager::with_keyring(
        keyring.clone(),
        cache.clone(),
        Duration::from_secs(60),
    )
    .build()
    .unwrap();
    crowd(&manager, 1).await;
    assert_eq!(keyring.encrypts(), 1);
    // 55 s in: the entry (60 s) is in its 10 s grace period.
    tokio::time::advance(Duration::from_secs(55)).await;
    crowd(&manager, 1000).await;
    assert_eq!(
        keyring.encrypts(),
        2,
        "1000 callers in the grace period: one refresh"
    );
    // The refreshed entry lives 60 s from its creation: well before its grace period nothing
    // is refreshed, however many callers come.
    tokio::time::advance(Duration::from_millis(1500)).await;
    crowd(&manager, 1000).await;
    assert_eq!(keyring.encrypts(), 2);
    assert_eq!(cache.in_flight(), 0);
    let _ = cache.stats();
}

#[test]
fn a_max_age_within_the_grace_period_is_refused() {
    let keyring = CountingKeyring::new(Duration::ZERO);
    for (max_age, grace_period) in [(5, 10), (10, 10), (1, 2)] {
        let cache = StormTrackingCache::builder(
            StormSettings::new(10)
                .grace_period(Duration::from_secs(grace_period))
                .grace_interval(Duration::from_millis(500))
                .in_flight_ttl(Duration::from_secs(1)),
        )
        .build()
        .unwrap();
        let refused = CachingMaterialsManager::with_keyring(
            keyring.clone(),
            cache,
            Duration::from_secs(max_age),
        )
        .build()
        .unwrap_err();
        assert!(
            matches!(
                refused,
                Error::MaxAgeWithinGracePeriod { max_age: a, grace_period: g }
                    if a == Duration::from_secs(max_age) && g == Duration::from_secs(grace_period)
            ),
            "{refused}"
        );
    }
    // The default storm cache (10 s grace period) takes any max age above 10 s.
    assert!(
        CachingMaterialsManager::with_keyring(
            keyring,
            StormTrackingCache::new(10),
            Duration::from_millis(10_001),
        )
        .build()
        .is_ok()
    );
}

/// Entries whose whole life lies within the grace period (as a shared cache may receive them
/// from any writer): a crowd of lookups every 10 ms for 10 s, each fill storing a fresh
/// entry of the same short life, starts at most one refresh per grace interval.
#[test]
fn entries_in_their_grace_period_from_birth_are_refreshed_once_per_interval() {
    let clock = ManualClock::new();
    let interval = Duration::from_secs(1);
    let cache = StormTrackingCache::builder(
        StormSettings::new(10)
            .grace_period(Duration::from_secs(10))
            .grace_interval(interval)
            .in_flight_ttl(Duration::from_secs(5)),
    )
    .clock(Arc::new(clock.clone()))
    .build()
    .unwrap();
    let life = Duration::from_secs(5);
    cache.put(id(1), entry(clock.now(), clock.now() + life));
    let mut fills = Vec::new();
    for _ in 0..1000 {
        for _ in 0..20 {
            match cache.get(&id(1)) {
                Lookup::Fill => {
                    fills.push(clock.now());
                    cache.put(id(1), entry(clock.now(), clock.now() + life));
                }
                Lookup::Hit(_) => {}
                Lookup::Wait => panic!("the entry is present"),
                other => panic!("{other:?}"),
            }
        }
        clock.advance(Duration::from_millis(10));
    }
    assert!(fills.len() <= 11, "{} refreshes in 10 s", fills.len());
    assert!(fills.len() >= 9, "still refreshed: {}", fills.len());
    assert!(
        fills.windows(2).all(|w| w[1] - w[0] >= interval),
        "no two refreshes within a grace interval: {fills:?}"
    );
}

/// A fill whose fetch fails (its guard dropped without a put) frees its fan-out slot at once,
/// and its identifier gets its next attempt a grace interval later, not at once.
#[test]
fn an_abandoned_fill_frees_its_slot_and_waits_a_grace_interval() {
    let clock = ManualClock::new();
    let cache = Arc::new(
        StormTrackingCache::builder(
            StormSettings::new(10)
                .fan_out(1)
                .grace_period(Duration::from_secs(10))
                .grace_interval(Duration::from_secs(1))
                .in_flight_ttl(Duration::from_secs(5)),
        )
        .clock(Arc::new(clock.clone()))
        .build()
        .unwrap(),
    );
    let shared: Arc<dyn MaterialsCache> = cache.clone();
    assert!(matches!(cache.get(&id(1)), Lookup::Fill));
    assert!(
        matches!(cache.get(&id(2)), Lookup::Wait),
        "fan-out 1 is taken"
    );
    drop(keyward_cache::FillGuard::coordinated(shared.clone(), id(1)));
    assert_eq!(cache.in_flight(), 0);
    assert!(
        matches!(cache.get(&id(2)), Lookup::Fill),
        "the slot is free again"
    );
    cache.put(
        id(2),
        entry(clock.now(), clock.now() + Duration::from_secs(60)),
    );
    assert!(
        matches!(cache.get(&id(1)), Lookup::Wait),
        "a failed identifier is retried once per grace interval"
    );
    clock.advance(Duration::from_secs(1));
    assert!(matches!(cache.get(&id(1)), Lookup::Fill));
    let stats = cache.stats();
    assert_eq!(stats.waits, 2);
}

/// A manager whose underlying calls fail never leaves fills behind: after more failures than
/// the fan-out, a new request fails fast with the keyring's error, not after waiting.
#[tokio::test(start_paused = true)]
async fn failed_fills_never_exhaust_the_fan_out() {
    use keyward_materials::{
        DecryptionMaterials, EncryptedDataKey, EncryptionMaterials, Keyring, async_trait,
    };
    #[derive(Debug)]
    struct Failing;
    #[async_trait]
    impl Keyring for Failing {
        async fn on_encrypt(
            &self,
            _: EncryptionMaterials,
        ) -> keyward_materials::Result<EncryptionMaterials> {
            Err(keyward_materials::Error::OperationNotSupported(
                "encrypt today",
            ))
        }
        async fn on_decrypt(
            &self,
            _: DecryptionMaterials,
            _: &[EncryptedDataKey],
        ) -> keyward_materials::Result<DecryptionMaterials> {
            Err(keyward_materials::Error::OperationNotSupported(
                "decrypt today",
            ))
        }
    }
    let cache = storm(StormSettings::new(100).fan_out(2));
    let manager =
        CachingMaterialsManager::with_keyring(Failing, cache.clone(), Duration::from_secs(60))
            .build()
            .unwrap();
    for i in 0..10 {
        let context = EncryptionContext::from([("n", format!("{i}"))]);
        let started = tokio::time::Instant::now();
        let error = manager
            .get_encryption_materials(encrypt_request(&context, Some(1)))
            .await
            .unwrap_err();
        assert!(
            matches!(error, keyward_materials::Error::OperationNotSupported(_)),
            "{error:?}"
        );
        assert_eq!(started.elapsed(), Duration::ZERO, "no wait");
        assert_eq!(cache.in_flight(), 0);
    }
}
