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
    #[error("branch key {id:?} (version {version:?}) not found")]
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
        /// The SDK's error.
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },

    /// A KMS call of the key store failed. The SDK's error is the source.
    #[error("AWS KMS {operation} with key {key_id:?} failed")]
    Kms {
        /// The KMS operation.
        operation: &'static str,
        /// The key id of the request.
        key_id: String,
        /// The SDK's error.
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },

    /// A KMS response the key store must not accept (wrong key id, wrong plaintext length,
    /// missing field).
    #[error("AWS KMS {operation} answered unexpectedly: {reason}")]
    KmsResponse {
        /// The KMS operation.
        operation: &'static str,
        /// What is wrong.
        reason: &'static str,
    },

    /// The cache refused (a storm-tracking cache kept the caller waiting too long).
    #[error(transparent)]
    Cache(#[from] keyward_cache::Error),

    /// A KMS configuration error (an invalid key ARN).
    #[error(transparent)]
    KmsConfiguration(#[from] keyward_kms::Error),

    /// The supplier could not name a branch key for this encryption context.
    #[error("the branch key id supplier failed")]
    Supplier(#[source] Box<dyn std::error::Error + Send + Sync>),

    /// The cryptographic backend failed.
    #[error("cryptographic backend failure")]
    Crypto,
}

impl From<Error> for keyward_materials::Error {
    fn from(error: Error) -> Self {
        Self::Keyring(Box::new(error))
    }
}

/// The result type of this crate.
pub type Result<T, E = Error> = core::result::Result<T, E>;
