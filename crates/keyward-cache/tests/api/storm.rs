//! Storm tracking with tokio's paused time and a slow underlying keyring.

use std::sync::Arc;
use std::time::Duration;

use keyward_cache::{
    CachingMaterialsManager, MaterialsCache, StormSettings, StormTrackingCache, TokioClock,
};
use keyward_materials::{EncryptionContext, MaterialsManager};

use super::support::{CountingKeyring, encrypt_request};

fn storm(settings: StormSettings) -> StormTrackingCache {
    StormTrackingCache::with_clock(settings, Arc::new(TokioClock::new())).unwrap()
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
    assert_eq!(manager.stats().hits, 999);
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
