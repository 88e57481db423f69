//! The local AWS services (moto) that the KMS and hierarchy examples talk to: `cargo xtask
//! test` starts one and sets `KEYWARD_MOTO_ENDPOINT`; `cargo xtask moto` starts one by hand.
//!
//! Against AWS, build the clients from the standard configuration instead
//! (`aws_config::load_from_env().await`) and use your own KMS key's ARN.

#![allow(dead_code, reason = "each example uses the part it needs")]

use aws_sdk_kms::config::{BehaviorVersion, Credentials, Region};

/// The region of every client.
const REGION: &str = "us-west-2";

/// The local endpoint. Panics (the example cannot run) without one, and for any address off
/// this machine: the examples create keys and tables.
pub(crate) fn endpoint() -> String {
    let endpoint = std::env::var("KEYWARD_MOTO_ENDPOINT")
        .expect("set KEYWARD_MOTO_ENDPOINT to a local moto server (cargo xtask moto)");
    assert!(
        endpoint.starts_with("http://127.0.0.1:"),
        "the examples create keys and tables: they only talk to a local server"
    );
    endpoint
}

fn credentials() -> Credentials {
    Credentials::new("example", "example", None, None, "example")
}

/// A KMS configuration for the local endpoint, to finish (interceptors, …) and build.
pub(crate) fn kms_config(endpoint: &str) -> aws_sdk_kms::config::Builder {
    aws_sdk_kms::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new(REGION))
        .endpoint_url(endpoint)
        .credentials_provider(credentials())
}

/// A DynamoDB client for the local endpoint.
pub(crate) fn dynamodb(endpoint: &str) -> aws_sdk_dynamodb::Client {
    aws_sdk_dynamodb::Client::from_conf(
        aws_sdk_dynamodb::Config::builder()
            .behavior_version(BehaviorVersion::latest())
            .region(Region::new(REGION))
            .endpoint_url(endpoint)
            .credentials_provider(credentials())
            .build(),
    )
}

/// A new symmetric KMS key; its ARN.
pub(crate) async fn create_kms_key(kms: &aws_sdk_kms::Client) -> String {
    kms.create_key()
        .send()
        .await
        .expect("the local KMS creates a key")
        .key_metadata()
        .and_then(|metadata| metadata.arn())
        .expect("a new key has an ARN")
        .to_owned()
}

/// A new asymmetric KMS key of `spec` and `usage`: its ARN and its public key
/// (`SubjectPublicKeyInfo` DER, as `GetPublicKey` returns it).
pub(crate) async fn create_asymmetric_key(
    kms: &aws_sdk_kms::Client,
    spec: aws_sdk_kms::types::KeySpec,
    usage: aws_sdk_kms::types::KeyUsageType,
) -> (String, Vec<u8>) {
    let arn = kms
        .create_key()
        .key_spec(spec)
        .key_usage(usage)
        .send()
        .await
        .expect("the local KMS creates a key")
        .key_metadata()
        .and_then(|metadata| metadata.arn())
        .expect("a new key has an ARN")
        .to_owned();
    let public = kms
        .get_public_key()
        .key_id(&arn)
        .send()
        .await
        .expect("the local KMS returns the public key");
    let der = public.public_key().expect("a public key").as_ref().to_vec();
    (arn, der)
}
