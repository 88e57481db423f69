//! The error type of the hierarchical keyring and its key stores.

/// Everything the hierarchical keyring and the key stores can fail with.
///
/// The keyring hands these to its callers inside [`keyward_materials::Error::Keyring`]; find
/// the original with `downcast_ref::<keyward_hierarchy::Error>()`. No variant holds key
/// material.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The key store has no such branch key (or version).
    #[error("{}", match version {
        Some(version) => format!("version {version:?} of branch key {id:?} not found"),
        None => format!("branch key {id:?} not found"),
    })]
    BranchKeyNotFound {
        /// The branch key id.
        id: String,
        /// The version, for a version lookup; `None` for the active or beacon key.
        version: Option<String>,
    },

    /// A stored item is not a valid branch key store item.
    #[error("invalid key store item for branch key {id:?}: {reason}")]
    InvalidItem {
        /// The branch key id asked for.
        id: String,
        /// The rule it breaks.
        reason: &'static str,
    },

    /// A branch key version is not a UUID.
    #[error("branch key version {0:?} is not a UUID")]
    InvalidVersion(String),

    /// A hierarchical EDK's ciphertext does not have the layout of §f.2.
    #[error("hierarchical encrypted data key is {len} bytes, expected {expected}")]
    InvalidEdkLength {
        /// The ciphertext length.
        len: usize,
        /// The length the suite implies.
        expected: usize,
    },

    /// A wrapped data key did not authenticate under the derived wrapping key.
    #[error(
        "hierarchical encrypted data key for branch key {id:?} version {version} did not decrypt"
    )]
    UnwrapFailed {
        /// The branch key id.
        id: String,
        /// The version.
        version: String,
    },

    /// A key store or keyring setting is invalid.
    #[error("invalid configuration: {0}")]
    InvalidConfiguration(&'static str),

    /// The key store cannot do this (a static or discovery key store cannot create keys, …).
    #[error("the key store cannot {0}")]
    OperationNotSupported(&'static str),

    /// `VersionKey` lost a race: the active item changed between its read and its write.
    #[error("branch key {id:?} was versioned concurrently; retry")]
    VersionConflict {
        /// The branch key id.
        id: String,
    },

    /// `CreateKey` with a branch key id the store holds already.
    #[error("branch key {id:?} exists already")]
    BranchKeyExists {
        /// The branch key id.
        id: String,
    },

    /// An item's KMS key does not match the key store's KMS configuration.
    #[error(
        "branch key {id:?} is protected by {stored:?}, the key store is configured for {configured:?}"
    )]
    KmsKeyMismatch {
        /// The branch key id.
        id: String,
        /// The `kms-arn` of the item.
        stored: String,
        /// The configured key.
        configured: String,
    },

    /// A DynamoDB call failed. The SDK's error is the source.
    #[error("DynamoDB {operation} on table {table:?} failed")]
    DynamoDb {
        /// The DynamoDB operation.
        operation: &'static str,
        /// The table.
        table: String,
        /// Whether DynamoDB refused ([`ErrorKind::Refused`]) or could not be reached or did
        /// not answer in time ([`ErrorKind::Unavailable`]).
        kind: ErrorKind,
        /// The SDK's error; [`Error::service_error_code`] gives its error code.
        #[source]
        source: Box<aws_sdk_dynamodb::Error>,
    },

    /// A KMS response the key store must not accept (wrong key id, wrong plaintext length,
    /// missing field).
    #[error("AWS KMS {operation} answered unexpectedly: {reason}")]
    KmsResponse {
        /// The KMS operation.
        operation: keyward_kms::KmsOperation,
        /// What is wrong.
        reason: &'static str,
    },

    /// The cache refused (a storm-tracking cache kept the caller waiting too long).
    #[error(transparent)]
    Cache(#[from] keyward_cache::Error),

    /// A KMS call of the key store failed, or a KMS configuration is invalid (an invalid key
    /// ARN). [`keyward_kms::Error::kms_error_code`] gives a failed call's error code.
    #[error(transparent)]
    Kms(#[from] keyward_kms::Error),

    /// The supplier could not name a branch key for this encryption context.
    #[error("the branch key id supplier failed")]
    Supplier(#[source] Box<dyn std::error::Error + Send + Sync>),

    /// The cryptographic backend failed.
    #[error("cryptographic backend failure")]
    Crypto,
}

impl Error {
    /// What kind of failure this is.
    pub fn kind(&self) -> ErrorKind {
        match self {
            Self::DynamoDb { kind, .. } => *kind,
            Self::Kms(error) => error.kind(),
            Self::Cache(error) => error.kind(),
            Self::BranchKeyNotFound { .. } | Self::UnwrapFailed { .. } => ErrorKind::NoMatchingKey,
            Self::InvalidItem { .. } | Self::InvalidVersion(_) | Self::InvalidEdkLength { .. } => {
                ErrorKind::Tampered
            }
            Self::KmsResponse { .. } => ErrorKind::Refused,
            Self::VersionConflict { .. } => ErrorKind::Unavailable,
            Self::InvalidConfiguration(_)
            | Self::OperationNotSupported(_)
            | Self::KmsKeyMismatch { .. }
            | Self::BranchKeyExists { .. } => ErrorKind::Configuration,
            Self::Supplier(_) | Self::Crypto => ErrorKind::Other,
        }
    }

    /// The AWS error code of a failed DynamoDB or KMS call (`ResourceNotFoundException`,
    /// `AccessDeniedException`, `InvalidCiphertextException`, …), when the service answered
    /// with one.
    pub fn service_error_code(&self) -> Option<&str> {
        use aws_sdk_dynamodb::error::ProvideErrorMetadata as _;
        match self {
            Self::DynamoDb { source, .. } => source.code(),
            Self::Kms(error) => error.kms_error_code(),
            _ => None,
        }
    }
}

/// [`Error::BranchKeyNotFound`] for `id` (and `version`, for a version lookup).
pub(crate) fn not_found(id: &str, version: Option<&str>) -> Error {
    Error::BranchKeyNotFound {
        id: id.to_owned(),
        version: version.map(str::to_owned),
    }
}

impl From<Error> for keyward_materials::Error {
    fn from(error: Error) -> Self {
        Self::keyring(error.kind(), error)
    }
}

use keyward_materials::ErrorKind;

/// The result type of this crate.
pub type Result<T, E = Error> = core::result::Result<T, E>;
