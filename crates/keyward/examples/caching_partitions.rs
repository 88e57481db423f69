//! Cache partitions and encryption contexts: two managers share one cache but not its entries,
//! and within a partition each distinct encryption context selects its own entry.

#![expect(clippy::print_stdout, reason = "an example shows what it did")]

use std::sync::Arc;
use std::time::Duration;

use keyward::cache::{CachingMaterialsManager, LocalCache};
use keyward::format::Header;
use keyward::materials::{RawAesKeyring, WrappingKey};
use keyward::{Client, EncryptionContext};

#[tokio::main]
async fn main() -> Result<(), keyward::Error> {
    // One keyring for both managers.
    let keyring = Arc::new(RawAesKeyring::new(
        "example",
        "aes-key",
        WrappingKey::generate(32)?,
    )?);
    let shared_cache = LocalCache::new(100);
    let orders = CachingMaterialsManager::with_keyring(
        keyring.clone(),
        shared_cache.clone(),
        Duration::from_secs(300),
    )
    .partition("orders")
    .max_messages(1000)
    .build()?;
    let invoices = CachingMaterialsManager::with_keyring(
        keyring.clone(),
        shared_cache.clone(),
        Duration::from_secs(300),
    )
    .partition("invoices")
    .build()?;
    let (orders_client, invoices_client) = (
        Client::builder(orders.clone()).build(),
        Client::builder(invoices).build(),
    );

    let eu = EncryptionContext::from([("region", "eu")]);
    let us = EncryptionContext::from([("region", "us")]);
    let wrapped = |message: &[u8]| -> Result<Vec<u8>, keyward::format::Error> {
        Ok(
            Header::from_bytes(message, None)?.0.encrypted_data_keys()[0]
                .ciphertext()
                .to_vec(),
        )
    };

    let eu_1 = wrapped(&orders_client.encrypt(b"order 1", &eu).await?)?;
    let eu_2 = wrapped(&orders_client.encrypt(b"order 2", &eu).await?)?;
    let us_1 = wrapped(&orders_client.encrypt(b"order 3", &us).await?)?;
    let invoice = wrapped(&invoices_client.encrypt(b"invoice 1", &eu).await?)?;

    assert_eq!(
        eu_1, eu_2,
        "same partition and context: the data key is reused"
    );
    assert_ne!(eu_1, us_1, "another context selects another entry");
    assert_ne!(eu_1, invoice, "another partition never shares an entry");
    println!("orders: {:?}", orders.stats());
    println!(
        "shared cache: {:?}",
        keyward::cache::MaterialsCache::stats(&shared_cache)
    );
    Ok(())
}
