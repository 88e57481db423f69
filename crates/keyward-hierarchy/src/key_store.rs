//! The branch key store interface: where the hierarchical keyring gets its branch keys.
//!
//! spec: framework/branch-key-store.md

use core::fmt;
use std::sync::Arc;

use async_trait::async_trait;
use keyward_format::EncryptionContext;
use keyward_materials::{BranchKey, BranchKeyMaterials};

use crate::error::Result;

/// Where the hierarchical keyring reads branch keys: the active version of a branch key
/// (encrypt) and any version of it (decrypt). Administration (creating and rotating keys,
/// beacon keys) is [`KeyStoreAdmin`].
///
/// [`crate::DynamoDbKeyStore`] is the production store (DynamoDB items wrapped by AWS KMS,
/// byte-compatible with the official SDKs). The `testing` feature adds in-memory and static
/// stores for tests and demonstrations.
#[async_trait]
pub trait KeyStore: Send + Sync + fmt::Debug {
    /// The store's identity and configuration (`GetKeyStoreInfo`).
    fn info(&self) -> KeyStoreInfo;

    /// The active version of a branch key (what encryption uses).
    ///
    /// # Errors
    /// [`crate::Error::BranchKeyNotFound`], or the store's own failure.
    async fn get_active_branch_key(&self, branch_key_id: &str) -> Result<BranchKeyMaterials>;

    /// One version of a branch key (what decryption uses).
    ///
    /// # Errors
    /// [`crate::Error::BranchKeyNotFound`], or the store's own failure.
    async fn get_branch_key_version(
        &self,
        branch_key_id: &str,
        version: &str,
    ) -> Result<BranchKeyMaterials>;

    /// Every version of a branch key, newest first, without decrypting any: what a warm
    /// start pre-loads and what an operator audits. The active version is marked.
    ///
    /// # Errors
    /// [`crate::Error::BranchKeyNotFound`] when the store holds no version of the key;
    /// [`crate::Error::OperationNotSupported`] for stores that cannot list (the default).
    async fn get_branch_key_versions(&self, branch_key_id: &str) -> Result<Vec<BranchKeyVersion>> {
        let _ = branch_key_id;
        Err(crate::Error::OperationNotSupported(
            "list branch key versions",
        ))
    }
}

/// A key store's administration: creating and rotating branch keys, and beacon keys. Apart
/// from [`KeyStore`] so that a process that only encrypts and decrypts can be given a store
/// that cannot change keys (and credentials to match).
#[async_trait]
pub trait KeyStoreAdmin: KeyStore {
    /// The beacon key of a branch key (for searchable encryption).
    ///
    /// # Errors
    /// [`crate::Error::BranchKeyNotFound`], or the store's own failure.
    async fn get_beacon_key(&self, branch_key_id: &str) -> Result<BeaconKeyMaterials>;

    /// Creates a branch key (its first version, active item and beacon key) and returns its
    /// id: `branch_key_id` if given (then a non-empty `encryption_context` is required), or a
    /// fresh UUID. The context is stored with every version.
    ///
    /// # Errors
    /// [`crate::Error::InvalidConfiguration`] for a given id with an empty context;
    /// [`crate::Error::OperationNotSupported`] for stores that cannot create keys.
    async fn create_key(
        &self,
        branch_key_id: Option<&str>,
        encryption_context: &EncryptionContext,
    ) -> Result<CreatedBranchKey>;

    /// Rotates a branch key: a new version becomes active; old versions still decrypt.
    /// Returns the version that was active and the one that is now, so that a process can
    /// start using the new version at once ([`crate::HierarchicalKeyring::refresh`]).
    ///
    /// # Errors
    /// [`crate::Error::BranchKeyNotFound`], [`crate::Error::VersionConflict`] when another
    /// rotation won the race, or the store's own failure.
    async fn version_key(&self, branch_key_id: &str) -> Result<VersionedBranchKey>;
}

#[async_trait]
impl<S: KeyStore + ?Sized> KeyStore for Arc<S> {
    fn info(&self) -> KeyStoreInfo {
        (**self).info()
    }

    async fn get_active_branch_key(&self, branch_key_id: &str) -> Result<BranchKeyMaterials> {
        (**self).get_active_branch_key(branch_key_id).await
    }

    async fn get_branch_key_version(
        &self,
        branch_key_id: &str,
        version: &str,
    ) -> Result<BranchKeyMaterials> {
        (**self)
            .get_branch_key_version(branch_key_id, version)
            .await
    }

    async fn get_branch_key_versions(&self, branch_key_id: &str) -> Result<Vec<BranchKeyVersion>> {
        (**self).get_branch_key_versions(branch_key_id).await
    }
}

#[async_trait]
impl<S: KeyStoreAdmin + ?Sized> KeyStoreAdmin for Arc<S> {
    async fn get_beacon_key(&self, branch_key_id: &str) -> Result<BeaconKeyMaterials> {
        (**self).get_beacon_key(branch_key_id).await
    }

    async fn create_key(
        &self,
        branch_key_id: Option<&str>,
        encryption_context: &EncryptionContext,
    ) -> Result<CreatedBranchKey> {
        (**self).create_key(branch_key_id, encryption_context).await
    }

    async fn version_key(&self, branch_key_id: &str) -> Result<VersionedBranchKey> {
        (**self).version_key(branch_key_id).await
    }
}

/// A branch key just created: its id and first (active) version.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct CreatedBranchKey {
    /// The branch key id (the one asked for, or a fresh UUID).
    pub branch_key_id: String,
    /// The first version, active from now on.
    pub version: String,
}

impl CreatedBranchKey {
    /// A created key's description.
    pub fn new(branch_key_id: impl Into<String>, version: impl Into<String>) -> Self {
        Self {
            branch_key_id: branch_key_id.into(),
            version: version.into(),
        }
    }
}

/// A branch key just rotated: the version that was active and the one that is now.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct VersionedBranchKey {
    /// The branch key id.
    pub branch_key_id: String,
    /// The version that was active (it still decrypts).
    pub previous_version: String,
    /// The new active version.
    pub version: String,
}

impl VersionedBranchKey {
    /// A rotation's description.
    pub fn new(
        branch_key_id: impl Into<String>,
        previous_version: impl Into<String>,
        version: impl Into<String>,
    ) -> Self {
        Self {
            branch_key_id: branch_key_id.into(),
            previous_version: previous_version.into(),
            version: version.into(),
        }
    }
}

/// One version of a branch key as the store lists it: what it is, not its key.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct BranchKeyVersion {
    /// The branch key id.
    pub branch_key_id: String,
    /// The version (a UUID).
    pub version: String,
    /// When it was created (ISO 8601, as stored).
    pub create_time: String,
    /// The KMS key that protects it, for KMS-backed stores.
    pub kms_key_arn: Option<String>,
    /// The custom encryption context stored with it.
    pub encryption_context: EncryptionContext,
    /// Whether it is the active version (the one encryption uses).
    pub active: bool,
}

impl BranchKeyVersion {
    /// A listed version, not active, without a KMS key.
    pub fn new(
        branch_key_id: impl Into<String>,
        version: impl Into<String>,
        create_time: impl Into<String>,
        encryption_context: EncryptionContext,
    ) -> Self {
        Self {
            branch_key_id: branch_key_id.into(),
            version: version.into(),
            create_time: create_time.into(),
            kms_key_arn: None,
            encryption_context,
            active: false,
        }
    }
}

/// What a key store is (`GetKeyStoreInfo`).
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct KeyStoreInfo {
    /// The store's id (a UUID unless configured).
    pub id: String,
    /// The DynamoDB table, for DynamoDB stores.
    pub table_name: Option<String>,
    /// The logical key store name, bound into every item's KMS encryption context and into
    /// the hierarchical keyring's cache identifiers.
    pub logical_key_store_name: String,
    /// Grant tokens sent with KMS calls.
    pub grant_tokens: Vec<String>,
    /// How the store calls KMS, for KMS-backed stores.
    pub kms_configuration: Option<KmsConfiguration>,
}

impl KeyStoreInfo {
    /// Information for a store without table or KMS.
    pub fn new(id: impl Into<String>, logical_key_store_name: impl Into<String>) -> Self {
        Self {
            id: id.into(),
            table_name: None,
            logical_key_store_name: logical_key_store_name.into(),
            grant_tokens: Vec::new(),
            kms_configuration: None,
        }
    }
}

/// Which KMS key protects the branch keys of a DynamoDB key store.
///
/// spec: framework/branch-key-store.md (AWS KMS configuration)
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum KmsConfiguration {
    /// One key ARN: items must name exactly this key. Creates and versions keys.
    KeyArn(String),
    /// A multi-Region key ARN: items may name any replica; calls go to this one. Creates and
    /// versions keys.
    MrkKeyArn(String),
    /// Read-only: decrypt each item with the key ARN it names.
    Discovery,
    /// Read-only: decrypt each item with its key, multi-Region keys through their replica in
    /// this region.
    MrkDiscovery {
        /// The region whose replicas are used.
        region: String,
    },
}

/// A beacon key with its identity.
#[derive(Clone)]
#[non_exhaustive]
pub struct BeaconKeyMaterials {
    /// The branch key id the beacon key belongs to.
    pub beacon_key_identifier: String,
    /// The 32-byte beacon key.
    pub beacon_key: Arc<BranchKey>,
    /// The custom encryption context stored with the branch key.
    pub encryption_context: EncryptionContext,
}

impl BeaconKeyMaterials {
    /// Beacon key materials.
    pub fn new(
        beacon_key_identifier: impl Into<String>,
        beacon_key: Arc<BranchKey>,
        encryption_context: EncryptionContext,
    ) -> Self {
        Self {
            beacon_key_identifier: beacon_key_identifier.into(),
            beacon_key,
            encryption_context,
        }
    }
}

impl fmt::Debug for BeaconKeyMaterials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BeaconKeyMaterials")
            .field("beacon_key_identifier", &self.beacon_key_identifier)
            .field("beacon_key", &self.beacon_key)
            .field("encryption_context", &self.encryption_context)
            .finish()
    }
}

/// The `CreateKey` input rules: a given id must be non-empty and come with a non-empty
/// context; without one, a fresh UUID.
pub(crate) fn check_create_key(
    branch_key_id: Option<&str>,
    encryption_context: &EncryptionContext,
) -> Result<String> {
    match branch_key_id {
        Some("") => Err(crate::Error::InvalidConfiguration(
            "the branch key id is empty",
        )),
        Some(_) if encryption_context.is_empty() => Err(crate::Error::InvalidConfiguration(
            "a custom branch key id needs a non-empty encryption context",
        )),
        Some(id) => Ok(id.to_owned()),
        None => crate::kdf::random_uuid(),
    }
}
