//! Thresholds hold exactly under concurrency: many tasks on a multi-thread runtime, small
//! limits, and a tally of every data key handed out.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use keyward_cache::{CachingMaterialsManager, LocalCache, MaterialsCache, StormTrackingCache};
use keyward_materials::{EncryptionContext, MaterialsManager};

use super::support::{CountingKeyring, encrypt_request, key_bytes};

const TASKS: u64 = 400;
const MESSAGE: u64 = 1000;

async fn run(
    cache: Arc<dyn MaterialsCache>,
    max_messages: u64,
    max_bytes: u64,
) -> (HashMap<Vec<u8>, (u64, u64)>, u64) {
    let keyring = CountingKeyring::new(Duration::ZERO);
    let manager =
        CachingMaterialsManager::with_keyring(keyring.clone(), cache, Duration::from_secs(600))
            .max_messages(max_messages)
            .max_bytes(max_bytes)
            .build()
            .unwrap();
    let context = EncryptionContext::from([("tenant", "concurrent")]);
    let tasks: Vec<_> = (0..TASKS)
        .map(|_| {
            let manager = manager.clone();
            let context = context.clone();
            tokio::spawn(async move {
                manager
                    .get_encryption_materials(encrypt_request(&context, Some(MESSAGE)))
                    .await
            })
        })
        .collect();
    let mut tally: HashMap<Vec<u8>, (u64, u64)> = HashMap::new();
    for task in tasks {
        let materials = task.await.unwrap().unwrap();
        let usage = tally.entry(key_bytes(&materials)).or_default();
        usage.0 += 1;
        usage.1 += MESSAGE;
    }
    (tally, keyring.encrypts())
}

fn caches() -> Vec<(&'static str, Arc<dyn MaterialsCache>)> {
    vec![
        ("local", Arc::new(LocalCache::new(100))),
        ("storm", Arc::new(StormTrackingCache::new(100))),
    ]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn no_key_exceeds_max_messages_and_calls_are_exact() {
    for (name, cache) in caches() {
        let (tally, calls) = run(cache, 7, u64::MAX >> 1).await;
        assert!(
            tally.values().all(|(messages, _)| *messages <= 7),
            "{name}: {tally:?}"
        );
        assert_eq!(tally.values().map(|(m, _)| m).sum::<u64>(), TASKS);
        assert_eq!(
            calls,
            TASKS.div_ceil(7),
            "{name}: one underlying call per 7 messages"
        );
        assert_eq!(tally.len() as u64, calls);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn no_key_exceeds_max_bytes_and_calls_are_exact() {
    for (name, cache) in caches() {
        // Just above one message: every key protects exactly one message.
        let (tally, calls) = run(cache, 1 << 32, MESSAGE + 1).await;
        assert!(
            tally
                .values()
                .all(|(messages, bytes)| *messages == 1 && *bytes <= MESSAGE + 1),
            "{name}"
        );
        assert_eq!(calls, TASKS, "{name}");
    }
}

/// Fetch locks leave nothing behind: not when their holders finish, not when waiters give up.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fill_locks_are_removed_when_waiters_give_up() {
    let locks = keyward_cache::FillLocks::new();
    let id = keyward_cache::CacheId::new([9; 48]);
    let held = locks.lock(&id).await;
    let waiters: Vec<_> = (0..8)
        .map(|_| {
            let locks = locks.clone();
            tokio::spawn(async move {
                let _guard = locks.lock(&id).await;
            })
        })
        .collect();
    tokio::time::sleep(Duration::from_millis(20)).await;
    assert_eq!(locks.len(), 1);
    for waiter in &waiters {
        waiter.abort();
    }
    for waiter in waiters {
        let _ = waiter.await;
    }
    drop(held);
    assert!(locks.is_empty(), "a cancelled waiter kept the lock entry");
    // And with waiters that do get the lock.
    let held = locks.lock(&id).await;
    let waiter = {
        let locks = locks.clone();
        tokio::spawn(async move { drop(locks.lock(&id).await) })
    };
    tokio::time::sleep(Duration::from_millis(20)).await;
    drop(held);
    waiter.await.unwrap();
    assert!(locks.is_empty());
}
