//! The default and required-context managers, and the multi-keyring's rules.

use std::collections::BTreeSet;
use std::sync::Arc;

use keyward_materials::{
    AlgorithmSuite, CommitmentPolicy, DecryptionMaterials, DecryptionRequest,
    DefaultMaterialsManager, EncryptionContext, EncryptionMaterials, EncryptionRequest, Error,
    Keyring, MaterialsManager, MultiKeyring, RawAesKeyring, RawRsaKeyring,
    RequiredContextMaterialsManager, RsaPadding, WrappingKey,
};

use super::support::{aes, rsa_pems, shared};

fn request(context: EncryptionContext, policy: CommitmentPolicy) -> EncryptionRequest {
    EncryptionRequest::new(context, policy)
}

async fn round_trip(
    manager: &dyn MaterialsManager,
    context: &EncryptionContext,
    reproduced: Option<EncryptionContext>,
) -> Result<(), Error> {
    let materials = manager
        .get_encryption_materials(request(
            context.clone(),
            CommitmentPolicy::RequireEncryptRequireDecrypt,
        ))
        .await?;
    let stored: EncryptionContext = materials
        .encryption_context()
        .iter()
        .filter(|(k, _)| !materials.required_encryption_context_keys().contains(*k))
        .collect();
    let mut decrypt = DecryptionRequest::new(
        materials.suite(),
        CommitmentPolicy::RequireEncryptRequireDecrypt,
        materials.encrypted_data_keys().to_vec(),
        stored,
    );
    decrypt.reproduced_encryption_context = reproduced;
    let decrypted = manager.decrypt_materials(decrypt).await?;
    assert_eq!(
        decrypted.data_key().unwrap().expose_secret(),
        materials.data_key().unwrap().expose_secret()
    );
    Ok(())
}

#[tokio::test]
async fn the_default_manager_picks_the_policy_suite_and_signs() {
    let manager = DefaultMaterialsManager::new(aes("k"));
    for (policy, suite) in [
        (
            CommitmentPolicy::RequireEncryptRequireDecrypt,
            AlgorithmSuite::Aes256GcmHkdfSha512CommitEcdsaP384,
        ),
        (
            CommitmentPolicy::ForbidEncryptAllowDecrypt,
            AlgorithmSuite::Aes256GcmHkdfSha384EcdsaP384,
        ),
    ] {
        let materials = manager
            .get_encryption_materials(request(EncryptionContext::new(), policy))
            .await
            .unwrap();
        assert_eq!(materials.suite(), suite);
        assert!(materials.signing_key().is_some());
        assert_eq!(
            materials
                .encryption_context()
                .get(EncryptionContext::PUBLIC_KEY),
            Some(materials.signing_key().unwrap().public_key_base64())
        );
    }
}

#[tokio::test]
async fn the_default_manager_enforces_the_commitment_policy() {
    let manager = DefaultMaterialsManager::new(aes("k"));
    let mut forbidden = request(
        EncryptionContext::new(),
        CommitmentPolicy::RequireEncryptAllowDecrypt,
    );
    forbidden.suite = Some(AlgorithmSuite::Aes256GcmHkdfSha256);
    assert!(matches!(
        manager.get_encryption_materials(forbidden).await,
        Err(Error::Format(
            keyward_format::Error::CommitmentPolicy { .. }
        ))
    ));
    let decrypt = DecryptionRequest::new(
        AlgorithmSuite::Aes256GcmHkdfSha256,
        CommitmentPolicy::RequireEncryptRequireDecrypt,
        Vec::new(),
        EncryptionContext::new(),
    );
    assert!(matches!(
        manager.decrypt_materials(decrypt).await,
        Err(Error::Format(
            keyward_format::Error::CommitmentPolicy { .. }
        ))
    ));
}

#[tokio::test]
async fn the_default_manager_refuses_a_caller_public_key() {
    let manager = DefaultMaterialsManager::new(aes("k"));
    let context = EncryptionContext::from([(EncryptionContext::PUBLIC_KEY, "x")]);
    let result = manager
        .get_encryption_materials(request(
            context,
            CommitmentPolicy::RequireEncryptRequireDecrypt,
        ))
        .await;
    assert!(matches!(
        result,
        Err(Error::Format(
            keyward_format::Error::ReservedEncryptionContextKey(_)
        ))
    ));
}

#[tokio::test]
async fn reproduced_context_must_agree_and_fills_in_missing_pairs() {
    let manager = DefaultMaterialsManager::new(aes("k"));
    let context = EncryptionContext::from([("a", "1")]);
    round_trip(
        &manager,
        &context,
        Some(EncryptionContext::from([("a", "1")])),
    )
    .await
    .unwrap();
    let mismatch = round_trip(
        &manager,
        &context,
        Some(EncryptionContext::from([("a", "2")])),
    )
    .await;
    assert!(matches!(mismatch, Err(Error::EncryptionContextMismatch { key }) if key == "a"));
    // An extra reproduced pair is bound into the keyring's AAD, so the raw AES unwrap fails.
    let extra = round_trip(
        &manager,
        &context,
        Some(EncryptionContext::from([("a", "1"), ("b", "2")])),
    )
    .await;
    assert!(matches!(extra, Err(Error::UnableToDecrypt { .. })));
}

#[tokio::test]
async fn required_keys_must_be_present_and_reproduced() {
    let manager = RequiredContextMaterialsManager::with_keyring(["tenant"], aes("k"));
    let missing = manager
        .get_encryption_materials(request(
            EncryptionContext::from([("other", "x")]),
            CommitmentPolicy::RequireEncryptRequireDecrypt,
        ))
        .await;
    assert!(
        matches!(missing, Err(Error::MissingRequiredEncryptionContextKey(key)) if key == "tenant")
    );

    let context = EncryptionContext::from([("tenant", "acme"), ("other", "x")]);
    let materials = manager
        .get_encryption_materials(request(
            context.clone(),
            CommitmentPolicy::RequireEncryptRequireDecrypt,
        ))
        .await
        .unwrap();
    assert_eq!(
        materials.required_encryption_context_keys(),
        &BTreeSet::from(["tenant".to_owned()])
    );
    let not_reproduced = round_trip(&manager, &context, None).await;
    assert!(matches!(
        not_reproduced,
        Err(Error::MissingRequiredEncryptionContextKey(_))
    ));
    round_trip(
        &manager,
        &context,
        Some(EncryptionContext::from([("tenant", "acme")])),
    )
    .await
    .unwrap();
}

#[tokio::test]
async fn multi_keyring_data_keys_decrypt_with_any_member() {
    let pems = rsa_pems();
    let rsa_decrypt_only: Arc<dyn Keyring> = Arc::new(
        RawRsaKeyring::builder("test-rsa", "rsa-key", RsaPadding::OaepSha256)
            .private_key_pem(&pems.0)
            .build()
            .unwrap(),
    );
    let rsa_encrypt_only: Arc<dyn Keyring> = Arc::new(
        RawRsaKeyring::builder("test-rsa", "rsa-key", RsaPadding::OaepSha256)
            .public_key_pem(&pems.1)
            .build()
            .unwrap(),
    );
    let multi = MultiKeyring::builder()
        .generator(aes("a"))
        .child(rsa_encrypt_only.clone())
        .build()
        .unwrap();
    let suite = AlgorithmSuite::Aes256GcmHkdfSha512Commit;
    let context = EncryptionContext::from([("k", "v")]);
    let materials = multi
        .on_encrypt(EncryptionMaterials::new(
            suite,
            context.clone(),
            BTreeSet::new(),
            None,
        ))
        .await
        .unwrap();
    assert_eq!(materials.encrypted_data_keys().len(), 2);
    let key = materials.data_key().unwrap().expose_secret().to_vec();
    for keyring in [shared(aes("a")), rsa_decrypt_only.clone()] {
        let empty = DecryptionMaterials::new(suite, context.clone(), BTreeSet::new(), None);
        let decrypted = keyring
            .on_decrypt(empty, materials.encrypted_data_keys())
            .await
            .unwrap();
        assert_eq!(decrypted.data_key().unwrap().expose_secret(), key);
    }
    // Without a generator the data key must already be there.
    let children_only = MultiKeyring::builder().child(aes("a")).build().unwrap();
    let fresh = EncryptionMaterials::new(suite, context.clone(), BTreeSet::new(), None);
    assert!(matches!(
        children_only.on_encrypt(fresh).await,
        Err(Error::MissingDataKey)
    ));
    // An RSA keyring without its public key cannot encrypt; without its private key it cannot decrypt.
    let fresh = EncryptionMaterials::new(suite, context.clone(), BTreeSet::new(), None);
    assert!(matches!(
        rsa_decrypt_only.on_encrypt(fresh).await,
        Err(Error::OperationNotSupported(_))
    ));
    let empty = DecryptionMaterials::new(suite, context, BTreeSet::new(), None);
    assert!(matches!(
        rsa_encrypt_only
            .on_decrypt(empty, materials.encrypted_data_keys())
            .await,
        Err(Error::OperationNotSupported(_))
    ));
}

#[tokio::test]
async fn unmatched_keys_collect_every_error() {
    let suite = AlgorithmSuite::Aes256GcmHkdfSha512Commit;
    let context = EncryptionContext::new();
    let materials = aes("a")
        .on_encrypt(EncryptionMaterials::new(
            suite,
            context.clone(),
            BTreeSet::new(),
            None,
        ))
        .await
        .unwrap();
    let wrong_key =
        RawAesKeyring::new("test-namespace", "a", WrappingKey::new(vec![0x22; 32])).unwrap();
    let multi = MultiKeyring::builder()
        .generator(wrong_key)
        .child(aes("other-name"))
        .build()
        .unwrap();
    let empty = DecryptionMaterials::new(suite, context, BTreeSet::new(), None);
    match multi
        .on_decrypt(empty, materials.encrypted_data_keys())
        .await
    {
        Err(error @ Error::UnableToDecrypt { .. }) => {
            // The children's attempts, flattened: the wrong key tried the one EDK named "a";
            // the other child had no EDK of its own.
            let attempts = error.attempts();
            assert_eq!(attempts.len(), 1);
            assert_eq!(attempts[0].provider_id, "test-namespace");
            assert_eq!(attempts[0].provider_info, "a");
            assert!(matches!(attempts[0].error, Error::UnwrapFailed { .. }));
            assert_eq!(error.kind(), keyward_materials::ErrorKind::NoMatchingKey);
            assert!(
                error.to_string().contains("test-namespace \"a\""),
                "{error}"
            );
        }
        other => panic!("expected UnableToDecrypt, got {other:?}"),
    }
}

#[test]
fn invalid_configurations_are_refused() {
    assert!(matches!(
        RawAesKeyring::new("ns", "k", WrappingKey::new(vec![0; 20])),
        Err(Error::InvalidKey { .. })
    ));
    assert!(matches!(
        RawAesKeyring::new("aws-kms", "k", WrappingKey::new(vec![0; 32])),
        Err(Error::InvalidConfiguration(_))
    ));
    assert!(matches!(
        MultiKeyring::builder().build(),
        Err(Error::InvalidConfiguration(_))
    ));
    assert!(matches!(
        RawRsaKeyring::builder("ns", "k", RsaPadding::Pkcs1).build(),
        Err(Error::InvalidConfiguration(_))
    ));
    assert!(matches!(
        RawRsaKeyring::builder("ns", "k", RsaPadding::Pkcs1)
            .public_key_pem("not a pem")
            .build(),
        Err(Error::InvalidKey { .. })
    ));
    // Decrypting PKCS #1 v1.5 is a legacy opt-in; encrypting with a public key alone is not.
    let (private, public) = rsa_pems();
    assert!(matches!(
        RawRsaKeyring::builder("ns", "k", RsaPadding::Pkcs1)
            .private_key_pem(&private)
            .build(),
        Err(Error::InvalidConfiguration(_))
    ));
    assert!(
        RawRsaKeyring::builder("ns", "k", RsaPadding::Pkcs1)
            .private_key_pem(&private)
            .legacy_pkcs1_decryption()
            .build()
            .is_ok()
    );
    assert!(
        RawRsaKeyring::builder("ns", "k", RsaPadding::Pkcs1)
            .public_key_pem(&public)
            .build()
            .is_ok()
    );
}
