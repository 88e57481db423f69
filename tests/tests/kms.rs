//! AWS KMS keyrings against moto server (started by `cargo xtask test`): every keyring
//! variant, multi-keyrings, typed errors, the response checks, and data-key caching over KMS
//! counted call by call.

#![cfg(feature = "moto")]

use std::sync::Arc;
use std::time::Duration;

use aws_sdk_kms::config::interceptors::FinalizerInterceptorContextMut;
use aws_sdk_kms::config::{ConfigBag, Intercept, RuntimeComponents};
use aws_sdk_kms::error::BoxError;
use aws_sdk_kms::operation::decrypt::DecryptOutput;
use aws_sdk_kms::operation::generate_data_key::GenerateDataKeyOutput;
use aws_sdk_kms::primitives::Blob;
use keyward::cache::{CachingMaterialsManager, LocalCache};
use keyward::format::{AlgorithmSuite, EncryptedDataKey};
use keyward::kms::{
    DiscoveryFilter, KmsCallCounter, KmsDiscoveryKeyring, KmsDiscoveryMultiKeyringBuilder,
    KmsKeyring, KmsMrkDiscoveryKeyring, KmsMrkKeyring, KmsMultiKeyringBuilder, KmsOperation,
    RegionalClients,
};
use keyward::materials::{
    CommitmentPolicy, DecryptionMaterials, DecryptionRequest, DefaultMaterialsManager,
    EncryptionMaterials, EncryptionRequest, Keyring, MaterialsManager, MultiKeyring, RawAesKeyring,
    WrappingKey,
};
use keyward::{Client, EncryptionContext};
use keyward_tests::moto::{ACCOUNT, create_key, create_multi_region_key, kms_client, kms_config};

const REGION: &str = "us-west-2";

fn context() -> EncryptionContext {
    EncryptionContext::from([("tenant", "acme"), ("purpose", "kms tests")])
}

/// The KMS error behind a keyring failure, looking through `UnableToDecrypt`.
fn kms_error(error: &keyward::Error) -> &keyward::kms::Error {
    keyward_tests::errors::keyring_error(error)
        .unwrap_or_else(|| panic!("not a KMS keyring error: {error:?}"))
}

fn materials_kms_error(error: &keyward::materials::Error) -> &keyward::kms::Error {
    keyward_tests::errors::materials_keyring_error(error)
        .unwrap_or_else(|| panic!("not a KMS keyring error: {error:?}"))
}

/// The attempts of an unable-to-decrypt error.
fn error_attempts(error: &keyward::Error) -> &[keyward::materials::DecryptAttempt] {
    match error {
        keyward::Error::Materials(error) => error.attempts(),
        _ => &[],
    }
}

#[tokio::test]
async fn strict_encrypt_then_decrypt_with_every_keyring_variant() {
    let counter = KmsCallCounter::new();
    let client = kms_client(REGION, &counter);
    let arn = create_key(&client).await;
    let plaintext = b"kms strict round trip".repeat(40);

    let encryptor = Client::new(KmsKeyring::new(client.clone(), &arn).unwrap());
    let ciphertext = encryptor.encrypt(&plaintext, &context()).await.unwrap();
    assert_eq!(counter.generate_data_key(), 1);

    let decrypted = encryptor.decrypt(&ciphertext).await.unwrap();
    assert_eq!(decrypted.plaintext(), plaintext.as_slice());
    let edks = decrypted.info().encrypted_data_keys();
    assert_eq!(edks.len(), 1);
    assert_eq!(edks[0].provider_id(), "aws-kms");
    assert_eq!(edks[0].provider_info(), arn.as_bytes());

    let allowing = DiscoveryFilter::new("aws", [ACCOUNT]).unwrap();
    let keyrings: Vec<Arc<dyn Keyring>> = vec![
        Arc::new(KmsDiscoveryKeyring::new(client.clone())),
        Arc::new(KmsDiscoveryKeyring::new(client.clone()).with_filter(allowing.clone())),
        Arc::new(KmsMrkKeyring::new(client.clone(), &arn).unwrap()),
        Arc::new(
            KmsMrkDiscoveryKeyring::new(client.clone(), REGION)
                .unwrap()
                .with_filter(allowing),
        ),
        Arc::new(
            KmsKeyring::new(client.clone(), &arn)
                .unwrap()
                .with_grant_tokens(["token"]),
        ),
    ];
    for keyring in keyrings {
        let decrypted = Client::new(keyring.clone()).decrypt(&ciphertext).await;
        assert_eq!(
            decrypted
                .unwrap_or_else(|e| panic!("{keyring:?}: {e}"))
                .plaintext(),
            plaintext.as_slice()
        );
    }
    assert_eq!(counter.decrypt(), 6);

    // Filters that exclude the key: no Decrypt call is made at all.
    for filter in [
        DiscoveryFilter::new("aws", ["111122223333"]).unwrap(),
        DiscoveryFilter::new("aws-cn", [ACCOUNT]).unwrap(),
    ] {
        let keyring = KmsDiscoveryKeyring::new(client.clone()).with_filter(filter);
        let error = Client::new(keyring).decrypt(&ciphertext).await.unwrap_err();
        assert_eq!(error.kind(), keyward::ErrorKind::NoMatchingKey, "{error:?}");
        assert!(error_attempts(&error).is_empty(), "{error:?}");
    }
    // A strict keyring for another key skips the EDK.
    let other = create_key(&client).await;
    let error = Client::new(KmsKeyring::new(client.clone(), &other).unwrap())
        .decrypt(&ciphertext)
        .await
        .unwrap_err();
    assert_eq!(error.kind(), keyward::ErrorKind::NoMatchingKey);
    assert!(error_attempts(&error).is_empty());
    assert_eq!(counter.decrypt(), 6);
}

#[tokio::test]
async fn aliases_and_key_ids_encrypt_and_the_edk_names_the_key_arn() {
    let counter = KmsCallCounter::new();
    let client = kms_client(REGION, &counter);
    let arn = create_key(&client).await;
    let key_id = arn.rsplit_once('/').unwrap().1.to_owned();
    let alias = format!("alias/keyward-{key_id}");
    client
        .create_alias()
        .alias_name(&alias)
        .target_key_id(&key_id)
        .send()
        .await
        .unwrap();
    for identifier in [key_id.clone(), alias.clone()] {
        let client_for = Client::new(KmsKeyring::new(client.clone(), &identifier).unwrap());
        let ciphertext = client_for.encrypt(b"x", &context()).await.unwrap();
        let strict = Client::new(KmsKeyring::new(client.clone(), &arn).unwrap());
        let decrypted = strict.decrypt(&ciphertext).await.unwrap();
        assert_eq!(
            decrypted.info().encrypted_data_keys()[0].provider_info(),
            arn.as_bytes()
        );
        // Configured with the alias or key id, the strict keyring cannot match the ARN.
        assert!(client_for.decrypt(&ciphertext).await.is_err());
    }
}

#[tokio::test]
async fn multi_keyring_with_kms_generator_and_raw_aes_child_decrypts_with_either() {
    let counter = KmsCallCounter::new();
    let client = kms_client(REGION, &counter);
    let arn = create_key(&client).await;
    let aes = || RawAesKeyring::new("keyward-tests", "aes-child", WrappingKey::new(vec![7; 32]));
    let multi = MultiKeyring::builder()
        .generator(KmsKeyring::new(client.clone(), &arn).unwrap())
        .child(aes().unwrap())
        .build()
        .unwrap();
    let ciphertext = Client::new(multi)
        .encrypt(b"both", &context())
        .await
        .unwrap();
    assert_eq!(counter.generate_data_key(), 1);
    for keyring in [
        Arc::new(KmsKeyring::new(client.clone(), &arn).unwrap()) as Arc<dyn Keyring>,
        Arc::new(aes().unwrap()),
    ] {
        let decrypted = Client::new(keyring).decrypt(&ciphertext).await.unwrap();
        assert_eq!(decrypted.plaintext(), b"both");
    }

    // The other way round: raw AES generates, KMS wraps the given key with Encrypt.
    let multi = MultiKeyring::builder()
        .generator(aes().unwrap())
        .child(KmsKeyring::new(client.clone(), &arn).unwrap())
        .build()
        .unwrap();
    let ciphertext = Client::new(multi)
        .encrypt(b"wrapped", &context())
        .await
        .unwrap();
    assert_eq!((counter.generate_data_key(), counter.encrypt()), (1, 1));
    let decrypted = Client::new(KmsDiscoveryKeyring::new(client.clone()))
        .decrypt(&ciphertext)
        .await
        .unwrap();
    assert_eq!(decrypted.plaintext(), b"wrapped");
}

#[tokio::test]
async fn a_wrong_encryption_context_fails_in_kms() {
    let counter = KmsCallCounter::new();
    let client = kms_client(REGION, &counter);
    let arn = create_key(&client).await;
    let keyring = KmsKeyring::new(client.clone(), &arn).unwrap();
    let suite = AlgorithmSuite::Aes256GcmHkdfSha512Commit;
    let materials = keyring
        .on_encrypt(EncryptionMaterials::new(
            suite,
            context(),
            Default::default(),
            None,
        ))
        .await
        .unwrap();
    let edks = materials.encrypted_data_keys().to_vec();

    let mut wrong = context();
    wrong.insert("tenant", "someone-else");
    let error = keyring
        .on_decrypt(
            DecryptionMaterials::new(suite, wrong, Default::default(), None),
            &edks,
        )
        .await
        .unwrap_err();
    let kms = materials_kms_error(&error);
    assert!(
        matches!(kms, keyward::kms::Error::Kms { operation: KmsOperation::Decrypt, key_id, .. } if *key_id == arn),
        "{kms:?}"
    );
    assert_eq!(kms.kms_error_code(), Some("InvalidCiphertextException"));
    assert!(std::error::Error::source(kms).is_some());

    let right = keyring
        .on_decrypt(
            DecryptionMaterials::new(suite, context(), Default::default(), None),
            &edks,
        )
        .await
        .unwrap();
    assert_eq!(
        right.data_key().unwrap().expose_secret(),
        materials.data_key().unwrap().expose_secret()
    );
}

#[tokio::test]
async fn an_unknown_key_fails_with_a_typed_error() {
    let counter = KmsCallCounter::new();
    let client = kms_client(REGION, &counter);
    let missing =
        format!("arn:aws:kms:{REGION}:{ACCOUNT}:key/00000000-0000-4000-8000-000000000000");
    let error = Client::new(KmsKeyring::new(client.clone(), &missing).unwrap())
        .encrypt(b"x", &context())
        .await
        .unwrap_err();
    let kms = kms_error(&error);
    assert!(matches!(
        kms,
        keyward::kms::Error::Kms { operation: KmsOperation::GenerateDataKey, key_id, .. } if *key_id == missing
    ));
    assert_eq!(kms.kms_error_code(), Some("NotFoundException"));
    let shown = error.to_string();
    assert!(
        shown.contains("GenerateDataKey") && shown.contains(&missing),
        "{shown}"
    );
}

#[tokio::test]
async fn multi_region_keys_decrypt_through_the_replica() {
    let counter = KmsCallCounter::new();
    let west = kms_client(REGION, &counter);
    let east = kms_client("us-east-1", &counter);
    let (primary, replica) = create_multi_region_key(&west, "us-east-1").await;
    assert!(replica.contains(":us-east-1:") && primary.contains(":us-west-2:"));

    let ciphertext = Client::new(KmsMrkKeyring::new(west.clone(), &primary).unwrap())
        .encrypt(b"mrk", &context())
        .await
        .unwrap();
    let keyrings: Vec<Arc<dyn Keyring>> = vec![
        Arc::new(KmsMrkKeyring::new(east.clone(), &replica).unwrap()),
        Arc::new(KmsMrkDiscoveryKeyring::new(east.clone(), "us-east-1").unwrap()),
        Arc::new(KmsMrkKeyring::new(west.clone(), &primary).unwrap()),
    ];
    for keyring in keyrings {
        let decrypted = Client::new(keyring).decrypt(&ciphertext).await.unwrap();
        assert_eq!(decrypted.plaintext(), b"mrk");
    }
    // The strict keyring is not multi-Region aware, and the plain discovery keyring calls the
    // primary's region with an east client, which KMS refuses.
    assert!(
        Client::new(KmsKeyring::new(east.clone(), &replica).unwrap())
            .decrypt(&ciphertext)
            .await
            .is_err()
    );
    // An MRK discovery keyring in a third region has no replica there.
    let eu = kms_client("eu-west-1", &counter);
    assert!(
        Client::new(KmsMrkDiscoveryKeyring::new(eu, "eu-west-1").unwrap())
            .decrypt(&ciphertext)
            .await
            .is_err()
    );
}

#[tokio::test]
async fn multi_region_constructors_use_one_client_per_region() {
    let counter = KmsCallCounter::new();
    let supplier = RegionalClients::new(kms_config(REGION, &counter));
    let west = create_key(&kms_client(REGION, &counter)).await;
    let eu = create_key(&kms_client("eu-west-1", &counter)).await;

    let keyring = KmsMultiKeyringBuilder::new(supplier.clone())
        .generator(&west)
        .key(&eu)
        .build()
        .unwrap();
    let ciphertext = Client::new(keyring)
        .encrypt(b"regions", &context())
        .await
        .unwrap();
    assert_eq!((counter.generate_data_key(), counter.encrypt()), (1, 1));

    for region in [REGION, "eu-west-1"] {
        let discovery = KmsDiscoveryMultiKeyringBuilder::new(supplier.clone())
            .region(region)
            .filter(DiscoveryFilter::new("aws", [ACCOUNT]).unwrap())
            .build()
            .unwrap();
        let decrypted = Client::new(discovery).decrypt(&ciphertext).await.unwrap();
        assert_eq!(decrypted.plaintext(), b"regions");
        let mrk_discovery = KmsDiscoveryMultiKeyringBuilder::new(supplier.clone())
            .region(region)
            .mrk_aware(true)
            .build()
            .unwrap();
        let decrypted = Client::new(mrk_discovery)
            .decrypt(&ciphertext)
            .await
            .unwrap();
        assert_eq!(decrypted.plaintext(), b"regions");
    }
    let only_eu = KmsMultiKeyringBuilder::new(supplier)
        .key(&eu)
        .build()
        .unwrap();
    assert_eq!(
        Client::new(only_eu)
            .decrypt(&ciphertext)
            .await
            .unwrap()
            .plaintext(),
        b"regions"
    );
}

/// Rewrites KMS responses, to show the keyring's checks on what KMS answers.
#[derive(Debug)]
enum Lie {
    KeyId(Option<&'static str>),
    PlaintextLength(usize),
}

impl Intercept for Lie {
    fn name(&self) -> &'static str {
        "Lie"
    }

    fn modify_before_completion(
        &self,
        context: &mut FinalizerInterceptorContextMut<'_>,
        _runtime_components: &RuntimeComponents,
        _cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let Some(Ok(output)) = context.output_or_error_mut() else {
            return Ok(());
        };
        if let Some(output) = output.downcast_mut::<GenerateDataKeyOutput>() {
            match self {
                Self::KeyId(id) => output.key_id = id.map(str::to_owned),
                Self::PlaintextLength(len) => output.plaintext = Some(Blob::new(vec![1; *len])),
            }
        } else if let Some(output) = output.downcast_mut::<DecryptOutput>() {
            match self {
                Self::KeyId(id) => output.key_id = id.map(str::to_owned),
                Self::PlaintextLength(len) => output.plaintext = Some(Blob::new(vec![1; *len])),
            }
        }
        Ok(())
    }
}

#[tokio::test]
async fn kms_responses_are_checked() {
    let counter = KmsCallCounter::new();
    let honest = kms_client(REGION, &counter);
    let arn = create_key(&honest).await;
    let ciphertext = Client::new(KmsKeyring::new(honest.clone(), &arn).unwrap())
        .encrypt(b"checked", &context())
        .await
        .unwrap();
    let lying = |lie: Lie| {
        let config = kms_config(REGION, &counter)
            .to_builder()
            .interceptor(lie)
            .build();
        aws_sdk_kms::Client::from_conf(config)
    };
    let alias_arn = "arn:aws:kms:us-west-2:123456789012:alias/not-a-key";
    for (lie, encrypt_detail) in [
        (Lie::KeyId(None), "answered with key id None"),
        (Lie::KeyId(Some("not-an-arn")), "\"not-an-arn\""),
        (Lie::KeyId(Some(alias_arn)), "alias/not-a-key"),
        (Lie::PlaintextLength(31), "31-byte data key"),
    ] {
        let client = lying(lie);
        let error = Client::new(KmsKeyring::new(client.clone(), &arn).unwrap())
            .encrypt(b"x", &context())
            .await
            .unwrap_err();
        let shown = error.to_string();
        assert!(shown.contains(encrypt_detail), "{shown}");
        assert!(shown.contains("GenerateDataKey"), "{shown}");

        let error = Client::new(KmsKeyring::new(client, &arn).unwrap())
            .decrypt(&ciphertext)
            .await
            .unwrap_err();
        assert!(
            matches!(
                kms_error(&error),
                keyward::kms::Error::UnexpectedKeyId {
                    operation: KmsOperation::Decrypt,
                    ..
                } | keyward::kms::Error::PlaintextLength {
                    operation: KmsOperation::Decrypt,
                    expected: 32,
                    actual: 31
                }
            ),
            "{error:?}"
        );
    }
}

#[tokio::test]
async fn malformed_aws_kms_provider_info_fails_decrypt_instead_of_skipping() {
    let counter = KmsCallCounter::new();
    let client = kms_client(REGION, &counter);
    let arn = create_key(&client).await;
    let suite = AlgorithmSuite::Aes256GcmHkdfSha512Commit;
    let materials = DecryptionMaterials::new(suite, context(), Default::default(), None);
    let bad = EncryptedDataKey::new("aws-kms", b"alias/app".to_vec(), vec![0; 8]).unwrap();
    let keyrings: Vec<Arc<dyn Keyring>> = vec![
        Arc::new(KmsKeyring::new(client.clone(), &arn).unwrap()),
        Arc::new(KmsMrkKeyring::new(client.clone(), &arn).unwrap()),
        Arc::new(KmsDiscoveryKeyring::new(client.clone())),
        Arc::new(KmsMrkDiscoveryKeyring::new(client.clone(), REGION).unwrap()),
    ];
    for keyring in keyrings {
        let error = keyring
            .on_decrypt(materials.clone(), std::slice::from_ref(&bad))
            .await
            .unwrap_err();
        assert!(
            matches!(
                materials_kms_error(&error),
                keyward::kms::Error::InvalidProviderInfo { .. }
            ),
            "{keyring:?}: {error:?}"
        );
    }
    assert_eq!(counter.total(), 1, "only CreateKey was called");
}

/// The headline: 10,000 encrypts of 1 KiB through a caching manager with at most 100
/// messages per data key cost exactly 100 `GenerateDataKey` calls; without the cache, one per
/// message.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn caching_over_kms_makes_one_generate_data_key_call_per_100_messages() {
    const MESSAGES: usize = 10_000;
    let counter = KmsCallCounter::new();
    let client = kms_client(REGION, &counter);
    let arn = create_key(&client).await;
    let keyring = KmsKeyring::new(client.clone(), &arn).unwrap();
    let manager = CachingMaterialsManager::with_keyring(
        keyring.clone(),
        LocalCache::new(10),
        Duration::from_secs(300),
    )
    .max_messages(100)
    .build()
    .unwrap();
    let cached = Client::builder(manager.clone()).build();
    let plaintext = vec![0x5a; 1024];
    let created = counter.total();
    let mut sample = Vec::new();
    for i in 0..MESSAGES {
        let ciphertext = cached.encrypt(&plaintext, &context()).await.unwrap();
        if i % 1000 == 0 {
            sample.push(ciphertext);
        }
    }
    assert_eq!(counter.generate_data_key(), 100);
    assert_eq!(counter.total() - created, 100);
    assert_eq!(manager.stats().encrypt.misses, 100);

    let decryptor = Client::new(KmsDiscoveryKeyring::new(client.clone()));
    for ciphertext in &sample {
        assert_eq!(
            decryptor.decrypt(ciphertext).await.unwrap().plaintext(),
            plaintext
        );
    }

    // Without the cache: one GenerateDataKey per message (16 messages in flight).
    let uncached = Arc::new(Client::builder(DefaultMaterialsManager::new(keyring)).build());
    let before = counter.generate_data_key();
    let tasks: Vec<_> = (0..16)
        .map(|_| {
            let client = uncached.clone();
            let plaintext = plaintext.clone();
            tokio::spawn(async move {
                for _ in 0..MESSAGES / 16 {
                    client.encrypt(&plaintext, &context()).await.unwrap();
                }
            })
        })
        .collect();
    for task in tasks {
        task.await.unwrap();
    }
    assert_eq!(counter.generate_data_key() - before, MESSAGES as u64);
}

#[tokio::test]
async fn materials_managers_over_kms_pass_the_context_kms_binds() {
    let counter = KmsCallCounter::new();
    let client = kms_client(REGION, &counter);
    let arn = create_key(&client).await;
    let manager = DefaultMaterialsManager::new(KmsKeyring::new(client.clone(), &arn).unwrap());
    let materials = manager
        .get_encryption_materials(EncryptionRequest::new(
            context(),
            CommitmentPolicy::RequireEncryptRequireDecrypt,
        ))
        .await
        .unwrap();
    // A signing suite adds the public key to the context; KMS bound it, so decryption needs
    // the same context back.
    assert!(
        materials
            .encryption_context()
            .contains_key("aws-crypto-public-key")
    );
    let decrypted = manager
        .decrypt_materials(DecryptionRequest::new(
            materials.suite(),
            CommitmentPolicy::RequireEncryptRequireDecrypt,
            materials.encrypted_data_keys().to_vec(),
            materials.encryption_context().clone(),
        ))
        .await
        .unwrap();
    assert_eq!(
        decrypted.data_key().unwrap().expose_secret(),
        materials.data_key().unwrap().expose_secret()
    );
}

#[tokio::test]
async fn kms_keyrings_keep_the_keyring_contract() {
    use keyward::materials::testing::{Expectations, check_keyring};
    let counter = KmsCallCounter::new();
    let client = kms_client(REGION, &counter);
    let arn = create_key(&client).await;
    check_keyring(
        &KmsKeyring::new(client.clone(), &arn).unwrap(),
        Expectations::new(),
    )
    .await
    .unwrap();
    check_keyring(
        &KmsMrkKeyring::new(client.clone(), &arn).unwrap(),
        Expectations::new(),
    )
    .await
    .unwrap();
    // Every suite: a GenerateDataKey and an Encrypt for each.
    assert_eq!(counter.generate_data_key(), 2 * 11);
}

/// KMS refusing is `Refused`, with the service's code reachable from the facade's error; the
/// message's plaintext is never released.
#[tokio::test]
async fn kms_refusing_an_encrypted_data_key_is_refused_with_its_code() {
    let counter = KmsCallCounter::new();
    let client = kms_client(REGION, &counter);
    let arn = create_key(&client).await;
    let keyring = || KmsKeyring::new(client.clone(), &arn).unwrap();
    let mut message = Client::new(keyring())
        .encrypt(b"refused", &context())
        .await
        .unwrap();
    // A flipped byte in the middle of the EDK's ciphertext: KMS cannot decrypt it.
    let header = keyward::read_header(&message).unwrap();
    let edk = header.encrypted_data_keys()[0].ciphertext().to_vec();
    let at = message
        .windows(edk.len())
        .position(|window| window == edk.as_slice())
        .unwrap();
    message[at + edk.len() / 2] ^= 0x01;
    let error = Client::new(keyring()).decrypt(&message).await.unwrap_err();
    assert_eq!(error.kind(), keyward::ErrorKind::Refused, "{error}");
    let code = error.service_error_code();
    assert!(
        matches!(
            code,
            Some("InvalidCiphertextException" | "NotFoundException")
        ),
        "{code:?}: {error}"
    );
    assert_eq!(counter.decrypt(), 1);

    // A key that does not exist: refused when encrypting too.
    let missing =
        format!("arn:aws:kms:{REGION}:{ACCOUNT}:key/00000000-0000-0000-0000-000000000000");
    let error = Client::new(KmsKeyring::new(client.clone(), &missing).unwrap())
        .encrypt(b"x", &context())
        .await
        .unwrap_err();
    assert_eq!(error.kind(), keyward::ErrorKind::Refused, "{error}");
    assert_eq!(
        error.service_error_code(),
        Some("NotFoundException"),
        "{error}"
    );
}
