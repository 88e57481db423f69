//! Secrets never print, and every public handle and error crosses threads.

use std::collections::BTreeSet;
use std::sync::Arc;

use keyward_materials::{
    AlgorithmSuite, CommitmentPolicy, DataKey, DecryptionMaterials, DefaultMaterialsManager,
    EncryptionContext, EncryptionMaterials, EncryptionRequest, Error, MaterialsManager,
    MultiKeyring, RawAesKeyring, RawRsaKeyring, RequiredContextMaterialsManager, WrappingKey,
};

use super::support::{AES_KEY, aes};

/// Every rendering of the key a `Debug` output could contain: hex, decimal list, raw bytes.
fn renderings(key: &[u8]) -> Vec<String> {
    let hex: String = key.iter().map(|b| format!("{b:02x}")).collect();
    let decimal = format!("{key:?}");
    let decimal_inner = decimal.trim_matches(|c| c == '[' || c == ']').to_owned();
    vec![hex, decimal, decimal_inner]
}

#[tokio::test]
async fn materials_and_keyrings_redact_their_keys() {
    let manager = DefaultMaterialsManager::new(aes("k"));
    let materials = manager
        .get_encryption_materials(EncryptionRequest::new(
            EncryptionContext::new(),
            CommitmentPolicy::RequireEncryptRequireDecrypt,
        ))
        .await
        .unwrap();
    let data_key = materials.data_key().unwrap().expose_secret().to_vec();
    let printed = format!("{materials:?} {manager:?} {:?}", aes("k"));
    for rendering in renderings(&data_key)
        .into_iter()
        .chain(renderings(&AES_KEY))
    {
        assert!(
            !printed.contains(&rendering),
            "Debug output shows a key: {printed}"
        );
    }
    assert!(printed.contains("DataKey([REDACTED; 32 bytes])"));
    assert!(printed.contains("WrappingKey([REDACTED; 32 bytes])"));

    let known = DataKey::new((1..=32).collect());
    let decryption = DecryptionMaterials::new(
        AlgorithmSuite::Aes256GcmHkdfSha512Commit,
        EncryptionContext::new(),
        BTreeSet::new(),
        None,
    )
    .with_data_key(Arc::new(known))
    .unwrap();
    let printed = format!("{decryption:?}");
    for rendering in renderings(&(1..=32).collect::<Vec<u8>>()) {
        assert!(!printed.contains(&rendering), "{printed}");
    }
}

#[test]
fn data_keys_of_the_wrong_length_are_refused() {
    let materials = EncryptionMaterials::new(
        AlgorithmSuite::Aes128GcmHkdfSha256,
        EncryptionContext::new(),
        BTreeSet::new(),
        None,
    );
    assert!(matches!(
        materials.with_data_key(Arc::new(DataKey::new(vec![0; 32]))),
        Err(Error::DataKeyLength {
            expected: 16,
            actual: 32
        })
    ));
}

#[test]
fn public_types_are_send_sync_and_static() {
    fn check<T: Send + Sync + 'static>() {}
    check::<Error>();
    check::<DataKey>();
    check::<WrappingKey>();
    check::<EncryptionMaterials>();
    check::<DecryptionMaterials>();
    check::<RawAesKeyring>();
    check::<RawRsaKeyring>();
    check::<MultiKeyring>();
    check::<DefaultMaterialsManager>();
    check::<RequiredContextMaterialsManager>();
    let _ = WrappingKey::from_slice(&AES_KEY);
}
