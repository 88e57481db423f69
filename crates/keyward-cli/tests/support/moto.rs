//! The moto server `cargo xtask test` starts, for the CLI's test binaries that use it
//! (included by path: each integration test is a crate of its own).

/// The region of the tests' keys.
pub(crate) const REGION: &str = "us-west-2";

/// The moto server's loopback endpoint.
pub(crate) fn endpoint() -> String {
    let endpoint = std::env::var("KEYWARD_MOTO_ENDPOINT").unwrap_or_else(|_| {
        panic!("KEYWARD_MOTO_ENDPOINT is not set: run the tests with `cargo xtask test`")
    });
    assert!(endpoint.starts_with("http://127.0.0.1:"), "{endpoint}");
    endpoint
}

/// A KMS client for moto in [`REGION`].
pub(crate) fn kms_client() -> aws_sdk_kms::Client {
    let config = aws_sdk_kms::Config::builder()
        .behavior_version(aws_sdk_kms::config::BehaviorVersion::latest())
        .region(aws_sdk_kms::config::Region::new(REGION))
        .endpoint_url(endpoint())
        .credentials_provider(aws_sdk_kms::config::Credentials::new(
            "keyward-test",
            "keyward-test",
            None,
            None,
            "test",
        ))
        .build();
    aws_sdk_kms::Client::from_conf(config)
}

/// A new symmetric key: its ARN.
pub(crate) async fn create_key() -> String {
    let output = kms_client().create_key().send().await.unwrap();
    output.key_metadata().unwrap().arn().unwrap().to_owned()
}
