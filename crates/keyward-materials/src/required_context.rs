//! The required-encryption-context manager.
//!
//! spec: framework/required-encryption-context-cmm.md

use std::collections::BTreeSet;
use std::sync::Arc;

use async_trait::async_trait;

use crate::default_manager::DefaultMaterialsManager;
use crate::error::{Error, Result};
use crate::keyring::{Keyring, MaterialsManager};
use crate::materials::{
    DecryptionMaterials, DecryptionRequest, EncryptionMaterials, EncryptionRequest,
};

/// Makes a set of encryption-context keys required: on encrypt they must be in the context and
/// are authenticated without being stored in the message; on decrypt the caller must supply
/// them again as the reproduced context.
#[derive(Debug, Clone)]
pub struct RequiredContextMaterialsManager {
    keys: BTreeSet<String>,
    underlying: Arc<dyn MaterialsManager>,
}

impl RequiredContextMaterialsManager {
    /// Requires `keys` on top of `underlying`.
    pub fn new(
        keys: impl IntoIterator<Item = impl Into<String>>,
        underlying: impl MaterialsManager + 'static,
    ) -> Self {
        Self {
            keys: keys.into_iter().map(Into::into).collect(),
            underlying: Arc::new(underlying),
        }
    }

    /// Requires `keys` on top of a default manager over `keyring`.
    pub fn with_keyring(
        keys: impl IntoIterator<Item = impl Into<String>>,
        keyring: impl Keyring + 'static,
    ) -> Self {
        Self::new(keys, DefaultMaterialsManager::new(keyring))
    }

    /// The required keys.
    pub fn keys(&self) -> &BTreeSet<String> {
        &self.keys
    }
}

#[async_trait]
impl MaterialsManager for RequiredContextMaterialsManager {
    async fn get_encryption_materials(
        &self,
        mut request: EncryptionRequest,
    ) -> Result<EncryptionMaterials> {
        if let Some(missing) = self
            .keys
            .iter()
            .find(|k| !request.encryption_context.contains_key(k))
        {
            return Err(Error::MissingRequiredEncryptionContextKey(missing.clone()));
        }
        request
            .required_encryption_context_keys
            .extend(self.keys.iter().cloned());
        let materials = self.underlying.get_encryption_materials(request).await?;
        if let Some(missing) = self
            .keys
            .iter()
            .find(|k| !materials.required_encryption_context_keys().contains(*k))
        {
            return Err(Error::MissingRequiredEncryptionContextKey(missing.clone()));
        }
        Ok(materials)
    }

    async fn decrypt_materials(&self, request: DecryptionRequest) -> Result<DecryptionMaterials> {
        let reproduced = request.reproduced_encryption_context.as_ref();
        if let Some(missing) = self
            .keys
            .iter()
            .find(|k| !reproduced.is_some_and(|r| r.contains_key(k)))
        {
            return Err(Error::MissingRequiredEncryptionContextKey(missing.clone()));
        }
        let materials = self.underlying.decrypt_materials(request).await?;
        if let Some(missing) = self
            .keys
            .iter()
            .find(|k| !materials.encryption_context().contains_key(k))
        {
            return Err(Error::MissingRequiredEncryptionContextKey(missing.clone()));
        }
        Ok(materials)
    }
}
