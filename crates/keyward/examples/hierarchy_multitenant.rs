//! Multitenancy with the hierarchical keyring, as in the official guide: one branch key per
//! tenant, and a branch key id supplier that picks it from the `tenant` entry of each
//! message's encryption context. Offline, on the in-memory key store (for tests and demos
//! only; production uses `DynamoDbKeyStore`, see `hierarchy_keystore.rs`).

#![expect(clippy::print_stdout, reason = "an example shows what it did")]

use std::time::Duration;

use keyward::hierarchy::{ContextKeySupplier, HierarchicalKeyring, KeyStore, MemoryKeyStore};
use keyward::{Client, EncryptionContext};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    let store = MemoryKeyStore::new("tenants");
    let acme = EncryptionContext::from([("tenant", "acme")]);
    let globex = EncryptionContext::from([("tenant", "globex")]);
    let acme_key = store.create_key(Some("acme-key"), &acme).await?;
    let globex_key = store.create_key(Some("globex-key"), &globex).await?;

    let supplier = ContextKeySupplier::new(
        "tenant",
        [("acme", acme_key.as_str()), ("globex", globex_key.as_str())],
    );
    let keyring = HierarchicalKeyring::builder(store.clone(), Duration::from_secs(600))
        .branch_key_id_supplier(supplier)
        .build()?;
    let client = Client::new(keyring);

    let for_acme = client.encrypt(b"acme's record", &acme).await?;
    let for_globex = client.encrypt(b"globex's record", &globex).await?;
    assert_eq!(
        client.decrypt(&for_globex).await?.plaintext(),
        b"globex's record"
    );

    // A keyring bound to acme's branch key cannot read globex's data.
    let acme_only = Client::new(
        HierarchicalKeyring::builder(store.clone(), Duration::from_secs(600))
            .branch_key_id(&acme_key)
            .build()?,
    );
    assert_eq!(
        acme_only.decrypt(&for_acme).await?.plaintext(),
        b"acme's record"
    );
    assert!(acme_only.decrypt(&for_globex).await.is_err());
    println!(
        "two tenants, two branch keys ({} fetches); acme's keyring cannot read globex's data",
        store.active_reads() + store.version_reads()
    );
    Ok(())
}
