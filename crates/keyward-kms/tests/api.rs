//! The KMS keyrings' rules that need no KMS: construction, the decrypt filters that fail or
//! skip before any call, discovery keyrings refusing to encrypt, multi-keyring constructors.
//! The calls themselves are tested against moto server in keyward-tests (`tests/kms.rs`).

mod api {
    mod asymmetric;
}

use std::sync::Arc;

use aws_sdk_kms::config::{BehaviorVersion, Credentials, Region};
use keyward_format::{AlgorithmSuite, EncryptedDataKey, EncryptionContext};
use keyward_kms::{
    ClientSupplier, DiscoveryFilter, Error, KmsCallCounter, KmsDiscoveryKeyring,
    KmsDiscoveryMultiKeyringBuilder, KmsKeyring, KmsMrkDiscoveryKeyring, KmsMrkKeyring,
    KmsMultiKeyringBuilder, RegionalClients,
};
use keyward_materials::{DecryptionMaterials, EncryptionMaterials, Keyring};

const KEY: &str = "arn:aws:kms:us-west-2:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab";
const MRK_WEST: &str =
    "arn:aws:kms:us-west-2:111122223333:key/mrk-80bd8ecdcd4342aebd84b7dc9da498a7";
const MRK_EAST: &str =
    "arn:aws:kms:us-east-1:111122223333:key/mrk-80bd8ecdcd4342aebd84b7dc9da498a7";

/// A client whose every call would fail: nothing listens on the discard port. The counter
/// shows whether a call was attempted at all.
fn unreachable_config(region: Option<&str>, counter: &KmsCallCounter) -> aws_sdk_kms::Config {
    let mut builder = aws_sdk_kms::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .endpoint_url("http://127.0.0.1:9")
        .credentials_provider(Credentials::new(
            "test",
            "test",
            None,
            None,
            "keyward-tests",
        ))
        .interceptor(counter.clone());
    if let Some(region) = region {
        builder = builder.region(Region::new(region.to_owned()));
    }
    builder.build()
}

fn unreachable_client(region: &str, counter: &KmsCallCounter) -> aws_sdk_kms::Client {
    aws_sdk_kms::Client::from_conf(unreachable_config(Some(region), counter))
}

fn decryption_materials() -> DecryptionMaterials {
    DecryptionMaterials::new(
        AlgorithmSuite::Aes256GcmHkdfSha512Commit,
        EncryptionContext::new(),
        Default::default(),
        None,
    )
}

fn kms_error(error: &keyward_materials::Error) -> &Error {
    match error {
        keyward_materials::Error::Keyring(inner) => inner
            .downcast_ref::<Error>()
            .unwrap_or_else(|| panic!("not a KMS error: {inner:?}")),
        other => panic!("not a keyring error: {other:?}"),
    }
}

#[test]
fn constructors_validate_identifiers() {
    let counter = KmsCallCounter::new();
    let client = unreachable_client("us-west-2", &counter);
    for good in [
        KEY,
        "1234abcd-12ab-34cd-56ef-1234567890ab",
        "alias/app",
        MRK_WEST,
    ] {
        KmsKeyring::new(client.clone(), good).unwrap();
        KmsMrkKeyring::new(client.clone(), good).unwrap();
    }
    for bad in [
        "",
        "arn:aws:kms:us-west-2:111122223333:key/",
        "arn:aws:s3:::bucket",
    ] {
        assert!(matches!(
            KmsKeyring::new(client.clone(), bad),
            Err(Error::InvalidKeyIdentifier { .. })
        ));
        assert!(KmsMrkKeyring::new(client.clone(), bad).is_err());
    }
    assert!(DiscoveryFilter::new("", ["1"]).is_err());
    assert!(DiscoveryFilter::new("aws", Vec::<String>::new()).is_err());
    assert!(DiscoveryFilter::new("aws", [""]).is_err());
}

#[test]
fn mrk_discovery_keyring_needs_a_client_of_its_region() {
    let counter = KmsCallCounter::new();
    KmsMrkDiscoveryKeyring::new(unreachable_client("us-east-1", &counter), "us-east-1").unwrap();
    let error = KmsMrkDiscoveryKeyring::new(unreachable_client("us-east-1", &counter), "us-west-2")
        .unwrap_err();
    assert!(matches!(
        error,
        Error::RegionMismatch { ref keyring, client: Some(ref client) }
            if keyring == "us-west-2" && client == "us-east-1"
    ));
    let no_region = aws_sdk_kms::Client::from_conf(unreachable_config(None, &counter));
    assert!(matches!(
        KmsMrkDiscoveryKeyring::new(no_region, "us-west-2"),
        Err(Error::RegionMismatch { client: None, .. })
    ));
}

#[tokio::test]
async fn discovery_keyrings_never_encrypt() {
    let counter = KmsCallCounter::new();
    let client = unreachable_client("us-west-2", &counter);
    let materials = EncryptionMaterials::new(
        AlgorithmSuite::Aes256GcmHkdfSha512Commit,
        EncryptionContext::new(),
        Default::default(),
        None,
    );
    let keyrings: [Arc<dyn Keyring>; 2] = [
        Arc::new(KmsDiscoveryKeyring::new(client.clone())),
        Arc::new(KmsMrkDiscoveryKeyring::new(client, "us-west-2").unwrap()),
    ];
    for keyring in keyrings {
        let error = keyring.on_encrypt(materials.clone()).await.unwrap_err();
        assert!(matches!(
            error,
            keyward_materials::Error::OperationNotSupported(_)
        ));
    }
    assert_eq!(counter.total(), 0);
}

#[tokio::test]
async fn decrypt_filters_skip_foreign_keys_and_fail_on_malformed_ones_without_calling_kms() {
    let counter = KmsCallCounter::new();
    let client = unreachable_client("us-west-2", &counter);
    let edk = |provider: &str, info: &str| {
        EncryptedDataKey::new(provider, info.as_bytes().to_vec(), vec![1; 16]).unwrap()
    };
    let foreign = [
        edk("aws-kms-hierarchy", "branch"),
        edk("raw", "arn:aws:kms:us-west-2:111122223333:alias/x"),
        edk("aws-kms", &KEY.replace("111122223333", "444455556666")),
        edk("aws-kms", &MRK_EAST.replace("111122223333", "444455556666")),
    ];
    let strict = KmsKeyring::new(client.clone(), KEY).unwrap();
    let mrk = KmsMrkKeyring::new(client.clone(), MRK_WEST).unwrap();
    let filtered = KmsDiscoveryKeyring::new(client.clone())
        .with_filter(DiscoveryFilter::new("aws-cn", ["111122223333"]).unwrap());
    let mrk_discovery = KmsMrkDiscoveryKeyring::new(client.clone(), "us-west-2")
        .unwrap()
        .with_filter(DiscoveryFilter::new("aws", ["111122223333"]).unwrap());
    let keyrings: [&dyn Keyring; 4] = [&strict, &mrk, &filtered, &mrk_discovery];
    for keyring in keyrings {
        let error = keyring
            .on_decrypt(decryption_materials(), &foreign)
            .await
            .unwrap_err();
        assert!(
            matches!(&error, keyward_materials::Error::UnableToDecrypt { attempts } if attempts.is_empty()),
            "{keyring:?}: {error:?}"
        );
    }
    // The MRK discovery keyring skips single-Region keys of other regions.
    let other_region = [edk("aws-kms", &KEY.replace("us-west-2", "eu-west-1"))];
    let error = mrk_discovery
        .on_decrypt(decryption_materials(), &other_region)
        .await
        .unwrap_err();
    assert!(
        matches!(&error, keyward_materials::Error::UnableToDecrypt { attempts } if attempts.is_empty())
    );
    assert_eq!(error.kind(), keyward_materials::ErrorKind::NoMatchingKey);
    assert_eq!(counter.total(), 0);

    for info in [
        "alias/app",
        "arn:aws:kms:us-west-2:111122223333:alias/app",
        "",
        "arn:aws",
    ] {
        let malformed = [edk("aws-kms", info)];
        for keyring in keyrings {
            let error = keyring
                .on_decrypt(decryption_materials(), &malformed)
                .await
                .unwrap_err();
            assert!(
                matches!(kms_error(&error), Error::InvalidProviderInfo { .. }),
                "{info:?} {keyring:?}: {error:?}"
            );
        }
    }
    assert_eq!(counter.total(), 0);
}

#[tokio::test]
async fn a_matching_key_is_tried_and_the_transport_error_is_typed() {
    let counter = KmsCallCounter::new();
    let client = aws_sdk_kms::Client::from_conf(
        unreachable_config(Some("us-east-1"), &counter)
            .to_builder()
            .retry_config(aws_sdk_kms::config::retry::RetryConfig::disabled())
            .build(),
    );
    let keyring = KmsMrkKeyring::new(client, MRK_EAST).unwrap();
    let edks =
        [EncryptedDataKey::new("aws-kms", MRK_WEST.as_bytes().to_vec(), vec![1; 16]).unwrap()];
    let error = keyring
        .on_decrypt(decryption_materials(), &edks)
        .await
        .unwrap_err();
    let attempts = error.attempts();
    assert_eq!(attempts.len(), 1);
    assert_eq!(attempts[0].provider_id, "aws-kms");
    assert_eq!(attempts[0].provider_info, MRK_WEST);
    // The replica in the keyring's region is asked, not the EDK's key.
    assert!(matches!(
        kms_error(&attempts[0].error),
        Error::Kms { key_id, .. } if key_id == MRK_EAST
    ));
    assert!(std::error::Error::source(kms_error(&attempts[0].error)).is_some());
    // An unreachable endpoint is a service that is unavailable, not a refusal.
    assert_eq!(error.kind(), keyward_materials::ErrorKind::Unavailable);
    assert_eq!(counter.decrypt(), 1);
}

#[test]
fn multi_constructors_check_their_configuration() {
    let counter = KmsCallCounter::new();
    let supplier = RegionalClients::new(unreachable_config(Some("us-west-2"), &counter));
    let keys = || KmsMultiKeyringBuilder::new(supplier.clone());
    let regions = || KmsDiscoveryMultiKeyringBuilder::new(supplier.clone());
    assert!(matches!(
        keys().build(),
        Err(Error::InvalidConfiguration(_))
    ));
    assert!(
        keys()
            .generator(KEY)
            .keys([MRK_WEST, MRK_EAST])
            .build()
            .is_ok()
    );
    assert!(matches!(
        keys().generator(KEY).keys([MRK_WEST, MRK_EAST]).mrk_aware(true).build(),
        Err(Error::DuplicateMultiRegionKey { ref first, ref second })
            if first == MRK_WEST && second == MRK_EAST
    ));
    assert!(
        keys()
            .generator(MRK_WEST)
            .key(KEY)
            .key(KEY)
            .mrk_aware(true)
            .build()
            .is_ok()
    );
    assert!(matches!(
        keys()
            .generator("mrk-1")
            .key("mrk-1")
            .mrk_aware(true)
            .build(),
        Err(Error::DuplicateMultiRegionKey { .. })
    ));
    assert!(keys().key(KEY).build().is_ok(), "keys without a generator");
    assert!(keys().generator("bad:arn").key(KEY).build().is_ok());
    assert!(matches!(
        keys().generator("arn:bad").key(KEY).build(),
        Err(Error::InvalidKeyIdentifier { .. })
    ));
    assert!(matches!(
        regions().build(),
        Err(Error::InvalidConfiguration(_))
    ));
    assert!(regions().region("").build().is_err());
    assert!(
        regions()
            .regions(["us-east-1", "eu-west-1"])
            .mrk_aware(true)
            .grant_tokens(["token"])
            .build()
            .is_ok()
    );

    // Clients per region, from the one configuration, built once.
    let east = supplier.client(Some("us-east-1")).unwrap();
    assert_eq!(east.config().region().unwrap().as_ref(), "us-east-1");
    assert_eq!(
        supplier
            .client(None)
            .unwrap()
            .config()
            .region()
            .unwrap()
            .as_ref(),
        "us-west-2"
    );
    let no_default = RegionalClients::new(unreachable_config(None, &counter));
    assert!(matches!(
        no_default.client(None),
        Err(Error::NoClientForRegion { region: None, .. })
    ));
    assert!(
        KmsMultiKeyringBuilder::new(no_default)
            .generator("alias/app")
            .key(KEY)
            .build()
            .is_err()
    );
    assert_eq!(counter.total(), 0);
}

#[test]
fn debug_output_names_keys_not_tokens() {
    let counter = KmsCallCounter::new();
    let keyring = KmsKeyring::new(unreachable_client("us-west-2", &counter), KEY)
        .unwrap()
        .with_grant_tokens(["secret-grant-token"]);
    let shown = format!("{keyring:?}");
    assert!(
        shown.contains(KEY) && shown.contains("us-west-2"),
        "{shown}"
    );
    assert!(!shown.contains("secret-grant-token"), "{shown}");
}
