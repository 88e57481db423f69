//! Data-key caching (the official walkthrough): a local cache of 10 entries, a maximum age of
//! 60 seconds and at most 10 messages per data key, encrypting a string through the caching
//! materials manager.

#![expect(clippy::print_stdout, reason = "an example shows what it did")]

use std::time::Duration;

use keyward::cache::{CachingMaterialsManager, LocalCache};
use keyward::materials::{RawAesKeyring, WrappingKey};
use keyward::{Client, EncryptionContext};

#[tokio::main]
async fn main() -> Result<(), keyward::Error> {
    // With AWS KMS this would be a KMS keyring: each cache miss is one GenerateDataKey call.
    let keyring = RawAesKeyring::new("example", "aes-key", WrappingKey::generate(32)?)?;

    let cache = LocalCache::new(10);
    let manager =
        CachingMaterialsManager::with_keyring(keyring, cache.clone(), Duration::from_secs(60))
            .max_messages(10)
            .build()?;
    let client = Client::builder(manager.clone()).build();

    let context = EncryptionContext::from([("purpose", "caching example")]);
    for i in 0..25 {
        let message = format!("message {i}");
        let ciphertext = client.encrypt(message.as_bytes(), &context).await?;
        assert_eq!(
            client.decrypt(&ciphertext).await?.plaintext(),
            message.as_bytes()
        );
    }

    let stats = manager.stats();
    // 25 messages at 10 per data key: 3 data keys; each also decrypts after one miss.
    assert_eq!(stats.underlying_calls(), 6);
    println!(
        "25 messages: {} cache hits, {} calls to the keyring ({stats:?})",
        stats.hits(),
        stats.underlying_calls()
    );
    println!("cache: {:?}", keyward::cache::MaterialsCache::stats(&cache));
    Ok(())
}
