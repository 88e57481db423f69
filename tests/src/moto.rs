//! The moto server fixture: the endpoint `cargo xtask test` started, and SDK clients for it.
//!
//! A test that needs the server fails when it is missing; nothing here ever points at an
//! address that is not loopback.

#![expect(clippy::expect_used, reason = "fixtures panic with what moto refused")]

use aws_sdk_kms::config::{BehaviorVersion, Credentials, Region};
use keyward::kms::KmsCallCounter;

/// The environment variable holding the endpoint (`http://127.0.0.1:PORT`).
pub const ENDPOINT_VAR: &str = "KEYWARD_MOTO_ENDPOINT";

/// The account moto creates resources in.
pub const ACCOUNT: &str = "123456789012";

/// The endpoint of the running moto server.
///
/// # Panics
/// When the variable is unset (the tests were not started by `cargo xtask test`) or names a
/// host that is not loopback.
pub fn endpoint() -> String {
    let endpoint = std::env::var(ENDPOINT_VAR).unwrap_or_else(|_| {
        panic!("{ENDPOINT_VAR} is not set: run the tests with `cargo xtask test`, which starts moto server")
    });
    let host = endpoint
        .strip_prefix("http://")
        .and_then(|rest| rest.rsplit_once(':'))
        .map(|(host, _port)| host);
    assert!(
        matches!(host, Some("127.0.0.1" | "localhost" | "[::1]")),
        "{ENDPOINT_VAR}={endpoint:?} is not a loopback http endpoint"
    );
    endpoint
}

/// A KMS configuration for the moto server in `region`, counting calls with `counter`.
pub fn kms_config(region: &str, counter: &KmsCallCounter) -> aws_sdk_kms::Config {
    aws_sdk_kms::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new(region.to_owned()))
        .endpoint_url(endpoint())
        .credentials_provider(Credentials::new(
            "keyward-test",
            "keyward-test",
            None,
            None,
            "moto",
        ))
        .interceptor(counter.clone())
        .build()
}

/// A KMS client for the moto server in `region`, counting calls with `counter`.
pub fn kms_client(region: &str, counter: &KmsCallCounter) -> aws_sdk_kms::Client {
    aws_sdk_kms::Client::from_conf(kms_config(region, counter))
}

/// A DynamoDB client for the moto server in `region`, counting calls with `counter` (the
/// counter's interceptor counts any AWS operation; DynamoDB calls land in `other`).
pub fn ddb_client(region: &str, counter: &KmsCallCounter) -> aws_sdk_dynamodb::Client {
    let config = aws_sdk_dynamodb::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new(region.to_owned()))
        .endpoint_url(endpoint())
        .credentials_provider(Credentials::new(
            "keyward-test",
            "keyward-test",
            None,
            None,
            "moto",
        ))
        .interceptor(counter.clone())
        .build();
    aws_sdk_dynamodb::Client::from_conf(config)
}

/// Creates a symmetric KMS key and returns its ARN.
///
/// # Panics
/// When moto refuses.
pub async fn create_key(client: &aws_sdk_kms::Client) -> String {
    let output = client.create_key().send().await.expect("CreateKey");
    output
        .key_metadata()
        .and_then(|metadata| metadata.arn())
        .expect("key ARN")
        .to_owned()
}

/// Creates a multi-Region key and replicates it into `replica_region`; returns the primary
/// and the replica ARN.
///
/// # Panics
/// When moto refuses.
pub async fn create_multi_region_key(
    client: &aws_sdk_kms::Client,
    replica_region: &str,
) -> (String, String) {
    let output = client
        .create_key()
        .multi_region(true)
        .send()
        .await
        .expect("CreateKey");
    let metadata = output.key_metadata().expect("key metadata");
    let primary = metadata.arn().expect("key ARN").to_owned();
    let replica = client
        .replicate_key()
        .key_id(metadata.key_id())
        .replica_region(replica_region)
        .send()
        .await
        .expect("ReplicateKey");
    let replica = replica
        .replica_key_metadata()
        .and_then(|metadata| metadata.arn())
        .expect("replica ARN")
        .to_owned();
    (primary, replica)
}
