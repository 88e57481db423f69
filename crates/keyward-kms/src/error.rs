//! The error type of the KMS keyrings.

use core::fmt;

use keyward_materials::ErrorKind;

/// Everything a KMS keyring can fail with.
///
/// Keyrings hand these to their callers inside [`keyward_materials::Error::Keyring`]; the
/// original is found again with `downcast_ref::<keyward_kms::Error>()`. No variant holds key
/// material: KMS plaintext never leaves the keyring except as a [`keyward_materials::DataKey`].
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A configured key identifier is not a valid ARN, key id or alias.
    #[error("invalid AWS KMS key identifier {identifier:?}: {reason}")]
    InvalidKeyIdentifier {
        /// The identifier as given.
        identifier: String,
        /// The rule it breaks.
        reason: &'static str,
    },

    /// An `aws-kms` encrypted data key whose provider info is not a key ARN. Decryption fails
    /// on such a key rather than skipping it.
    #[error("aws-kms encrypted data key has provider info {provider_info:?}: {reason}")]
    InvalidProviderInfo {
        /// The provider info (lossy UTF-8).
        provider_info: String,
        /// The rule it breaks.
        reason: &'static str,
    },

    /// The KMS call failed. The SDK's error is the source; [`Error::kms_error_code`] gives the
    /// service's error code (`NotFoundException`, `AccessDeniedException`, …).
    #[error("AWS KMS {operation} with key {key_id:?} failed")]
    Kms {
        /// The KMS operation.
        operation: KmsOperation,
        /// The key id of the request.
        key_id: String,
        /// Whether KMS refused ([`ErrorKind::Refused`]) or could not be reached or did not
        /// answer in time ([`ErrorKind::Unavailable`]).
        kind: ErrorKind,
        /// The SDK's error (its `source()` chain reaches the transport error, if any).
        #[source]
        source: Box<aws_sdk_kms::Error>,
    },

    /// KMS answered with a key id the keyring must not accept.
    #[error("AWS KMS {operation} answered with key id {actual:?}, expected {expected}")]
    UnexpectedKeyId {
        /// The KMS operation.
        operation: KmsOperation,
        /// What the keyring expects: the requested ARN, or "a valid key ARN".
        expected: String,
        /// What KMS answered.
        actual: Option<String>,
    },

    /// KMS returned a plaintext data key of the wrong length.
    #[error("AWS KMS {operation} returned a {actual}-byte data key, the suite needs {expected}")]
    PlaintextLength {
        /// The KMS operation.
        operation: KmsOperation,
        /// The suite's key-derivation input length.
        expected: usize,
        /// The length returned.
        actual: usize,
    },

    /// A KMS response lacks a field the keyring needs.
    #[error("AWS KMS {operation} response has no {field}")]
    MissingResponseField {
        /// The KMS operation.
        operation: KmsOperation,
        /// The missing field.
        field: &'static str,
    },

    /// A keyring configured for one region was given a client of another.
    #[error("the keyring's region is {keyring:?} but its KMS client's is {client:?}")]
    RegionMismatch {
        /// The configured region.
        keyring: String,
        /// The client's region, if it has one.
        client: Option<String>,
    },

    /// Two multi-Region keys of one keyring configuration share a resource id.
    #[error("multi-Region keys {first:?} and {second:?} share a resource id")]
    DuplicateMultiRegionKey {
        /// The first identifier.
        first: String,
        /// The second identifier.
        second: String,
    },

    /// A public key given to an asymmetric keyring, or the answer of KMS `GetPublicKey`, does
    /// not fit the keyring (another key type, curve, usage or algorithm, too short a key).
    #[error("public key of AWS KMS key {key_id:?}: {reason}")]
    InvalidPublicKey {
        /// The configured key identifier.
        key_id: String,
        /// What does not fit.
        reason: &'static str,
    },

    /// The keyring cannot protect data keys of this algorithm suite.
    #[error("algorithm suite {suite:#06x}: {reason}")]
    UnsupportedSuite {
        /// The suite id.
        suite: u16,
        /// Why.
        reason: &'static str,
    },

    /// The encryption-context digest inside an RSA-encrypted data key is not that of the
    /// decryption's encryption context: another context, or a data key written for it.
    #[error("the encrypted data key was written for another encryption context")]
    EncryptionContextDigest,

    /// An ECDH shared secret from KMS `DeriveSharedSecret` is not a coordinate of the curve.
    #[error(
        "AWS KMS DeriveSharedSecret returned a {actual}-byte secret, the curve needs {expected}"
    )]
    SharedSecretLength {
        /// The curve's coordinate length.
        expected: usize,
        /// The length returned.
        actual: usize,
    },

    /// A discovery filter or multi-keyring configuration is incomplete.
    #[error("invalid AWS KMS keyring configuration: {0}")]
    InvalidConfiguration(&'static str),

    /// The client supplier has no client for a region.
    #[error("no AWS KMS client for region {region:?}")]
    NoClientForRegion {
        /// The region asked for (`None`: the supplier's default region).
        region: Option<String>,
        /// Why, when the supplier says.
        #[source]
        source: Option<Box<dyn std::error::Error + Send + Sync>>,
    },
}

impl Error {
    /// What kind of failure this is.
    pub fn kind(&self) -> ErrorKind {
        match self {
            Self::Kms { kind, .. } => *kind,
            Self::InvalidProviderInfo { .. } | Self::EncryptionContextDigest => ErrorKind::Tampered,
            Self::UnexpectedKeyId { .. }
            | Self::PlaintextLength { .. }
            | Self::MissingResponseField { .. }
            | Self::SharedSecretLength { .. } => ErrorKind::Refused,
            Self::InvalidKeyIdentifier { .. }
            | Self::RegionMismatch { .. }
            | Self::DuplicateMultiRegionKey { .. }
            | Self::InvalidConfiguration(_)
            | Self::InvalidPublicKey { .. }
            | Self::UnsupportedSuite { .. }
            | Self::NoClientForRegion { .. } => ErrorKind::Configuration,
        }
    }

    /// The AWS error code of a failed KMS call (`NotFoundException`, `AccessDeniedException`,
    /// `InvalidCiphertextException`, …), when KMS answered with one.
    pub fn kms_error_code(&self) -> Option<&str> {
        use aws_sdk_kms::error::ProvideErrorMetadata;
        match self {
            Self::Kms { source, .. } => source.code(),
            _ => None,
        }
    }

    /// The error of a failed KMS call, classified (for the key store of the hierarchical
    /// keyring, which calls KMS too).
    #[doc(hidden)]
    pub fn from_sdk<E, R>(
        operation: KmsOperation,
        key_id: &str,
        error: aws_sdk_kms::error::SdkError<E, R>,
    ) -> Self
    where
        E: aws_sdk_kms::error::ProvideErrorMetadata,
        aws_sdk_kms::Error: From<aws_sdk_kms::error::SdkError<E, R>>,
    {
        Self::Kms {
            operation,
            key_id: key_id.to_owned(),
            kind: classify(&error),
            source: Box::new(aws_sdk_kms::Error::from(error)),
        }
    }
}

/// Whether an AWS SDK call failed because the service refused it ([`ErrorKind::Refused`]:
/// an answer such as access denied, not found, disabled, invalid ciphertext) or because it
/// could not be had ([`ErrorKind::Unavailable`]: no connection, a timeout, throttling or a
/// server error once the SDK's retries ran out). For any AWS SDK client's errors (KMS and
/// DynamoDB alike); the hierarchical keyring's key store uses it too.
#[doc(hidden)]
pub fn classify<E: aws_sdk_kms::error::ProvideErrorMetadata, R>(
    error: &aws_sdk_kms::error::SdkError<E, R>,
) -> ErrorKind {
    use aws_sdk_kms::error::SdkError;
    match error {
        SdkError::ServiceError(service) => match service.err().code() {
            Some(
                "ThrottlingException"
                | "Throttling"
                | "ThrottledException"
                | "RequestLimitExceeded"
                | "ProvisionedThroughputExceededException"
                | "LimitExceededException"
                | "KMSInternalException"
                | "DependencyTimeoutException"
                | "InternalServerError"
                | "InternalFailure"
                | "ServiceUnavailable"
                | "ServiceUnavailableException",
            ) => ErrorKind::Unavailable,
            _ => ErrorKind::Refused,
        },
        SdkError::ConstructionFailure(_) => ErrorKind::Configuration,
        _ => ErrorKind::Unavailable,
    }
}

impl From<Error> for keyward_materials::Error {
    fn from(error: Error) -> Self {
        Self::keyring(error.kind(), error)
    }
}

/// The KMS operations the keyrings call.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum KmsOperation {
    /// `GenerateDataKey`.
    GenerateDataKey,
    /// `Encrypt`.
    Encrypt,
    /// `Decrypt`.
    Decrypt,
    /// `GenerateDataKeyWithoutPlaintext` (the branch key store).
    GenerateDataKeyWithoutPlaintext,
    /// `ReEncrypt` (the branch key store).
    ReEncrypt,
    /// `GetPublicKey` (the RSA and ECDH keyrings, when built).
    GetPublicKey,
    /// `DeriveSharedSecret` (the ECDH keyring).
    DeriveSharedSecret,
}

impl fmt::Display for KmsOperation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::GenerateDataKey => "GenerateDataKey",
            Self::Encrypt => "Encrypt",
            Self::Decrypt => "Decrypt",
            Self::GenerateDataKeyWithoutPlaintext => "GenerateDataKeyWithoutPlaintext",
            Self::ReEncrypt => "ReEncrypt",
            Self::GetPublicKey => "GetPublicKey",
            Self::DeriveSharedSecret => "DeriveSharedSecret",
        })
    }
}
