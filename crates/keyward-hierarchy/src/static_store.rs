//! The static key store of the test vectors: one branch key and one beacon key, answered for
//! any branch key id. For tests only.
//!
//! spec: the MPL test vectors' `static-branch-key` key description

use core::fmt;
use std::sync::Arc;

use async_trait::async_trait;
use keyward_format::EncryptionContext;
use keyward_materials::{BranchKey, BranchKeyMaterials};

use crate::error::{Error, Result};
use crate::kdf::version_bytes;
use crate::key_store::{
    BeaconKeyMaterials, CreatedBranchKey, KeyStore, KeyStoreAdmin, KeyStoreInfo, VersionedBranchKey,
};

/// Answers every branch key id with one fixed branch key version and beacon key, with an
/// empty custom context; cannot create or version keys. Its logical name is
/// `logical-key-store-name`, as in the official test vectors. Not a production store.
#[derive(Clone)]
pub struct StaticKeyStore {
    version: String,
    branch_key: Arc<BranchKey>,
    beacon_key: Arc<BranchKey>,
}

impl StaticKeyStore {
    /// A store answering with this branch key `version` (a UUID string) and keys.
    ///
    /// # Errors
    /// [`Error::InvalidVersion`] for a version that is not a UUID;
    /// [`Error::InvalidConfiguration`] for keys that are not 32 bytes.
    pub fn new(
        version: impl Into<String>,
        branch_key: BranchKey,
        beacon_key: BranchKey,
    ) -> Result<Self> {
        let version = version.into();
        version_bytes(&version)?;
        if branch_key.len() != 32 || beacon_key.len() != 32 {
            return Err(Error::InvalidConfiguration(
                "branch and beacon keys are 32 bytes",
            ));
        }
        Ok(Self {
            version,
            branch_key: Arc::new(branch_key),
            beacon_key: Arc::new(beacon_key),
        })
    }

    fn materials(&self, branch_key_id: &str) -> BranchKeyMaterials {
        BranchKeyMaterials::new(
            branch_key_id,
            self.version.clone(),
            self.branch_key.clone(),
            EncryptionContext::new(),
        )
    }
}

#[async_trait]
impl KeyStore for StaticKeyStore {
    fn info(&self) -> KeyStoreInfo {
        KeyStoreInfo::new("static", LOGICAL_NAME)
    }

    async fn get_active_branch_key(&self, branch_key_id: &str) -> Result<BranchKeyMaterials> {
        Ok(self.materials(branch_key_id))
    }

    async fn get_branch_key_version(
        &self,
        branch_key_id: &str,
        version: &str,
    ) -> Result<BranchKeyMaterials> {
        if version != self.version {
            return Err(Error::BranchKeyNotFound {
                id: branch_key_id.to_owned(),
                version: Some(version.to_owned()),
            });
        }
        Ok(self.materials(branch_key_id))
    }
}

#[async_trait]
impl KeyStoreAdmin for StaticKeyStore {
    async fn get_beacon_key(&self, branch_key_id: &str) -> Result<BeaconKeyMaterials> {
        Ok(BeaconKeyMaterials::new(
            branch_key_id,
            self.beacon_key.clone(),
            EncryptionContext::new(),
        ))
    }

    async fn create_key(
        &self,
        _branch_key_id: Option<&str>,
        _encryption_context: &EncryptionContext,
    ) -> Result<CreatedBranchKey> {
        Err(Error::OperationNotSupported(
            "create keys: the static key store is fixed",
        ))
    }

    async fn version_key(&self, _branch_key_id: &str) -> Result<VersionedBranchKey> {
        Err(Error::OperationNotSupported(
            "version keys: the static key store is fixed",
        ))
    }
}

impl fmt::Debug for StaticKeyStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StaticKeyStore")
            .field("version", &self.version)
            .field("branch_key", &self.branch_key)
            .field("beacon_key", &self.beacon_key)
            .finish()
    }
}

/// The logical key store name of the official static key stores.
const LOGICAL_NAME: &str = "logical-key-store-name";
