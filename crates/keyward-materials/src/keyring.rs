//! The keyring and materials-manager traits.
//!
//! spec: framework/keyring-interface.md, framework/cmm-interface.md

use core::fmt;
use std::sync::Arc;

use async_trait::async_trait;
use keyward_format::EncryptedDataKey;

use crate::error::Result;
use crate::materials::{
    DecryptionMaterials, DecryptionRequest, EncryptionMaterials, EncryptionRequest,
};

/// Generates, wraps and unwraps data keys.
///
/// On encrypt a keyring generates the data key when the materials hold none, and adds at
/// least one encrypted data key. On decrypt it must fail when the materials already hold a
/// data key, and otherwise sets the first data key it can decrypt from the list.
#[async_trait]
pub trait Keyring: Send + Sync + fmt::Debug {
    /// Generates (if needed) and wraps the data key.
    ///
    /// # Errors
    /// When the keyring cannot wrap the key.
    async fn on_encrypt(&self, materials: EncryptionMaterials) -> Result<EncryptionMaterials>;

    /// Decrypts the first encrypted data key it can.
    ///
    /// # Errors
    /// [`crate::Error::UnableToDecrypt`] with every attempt's error when none decrypts.
    async fn on_decrypt(
        &self,
        materials: DecryptionMaterials,
        encrypted_data_keys: &[EncryptedDataKey],
    ) -> Result<DecryptionMaterials>;
}

/// Assembles the materials of one message: the cryptographic materials manager (CMM).
#[async_trait]
pub trait MaterialsManager: Send + Sync + fmt::Debug {
    /// Materials to encrypt one message.
    ///
    /// # Errors
    /// When the request breaks a rule (commitment policy, reserved keys, required keys) or
    /// the keyring fails.
    async fn get_encryption_materials(
        &self,
        request: EncryptionRequest,
    ) -> Result<EncryptionMaterials>;

    /// Materials to decrypt one message.
    ///
    /// # Errors
    /// When the request breaks a rule or no data key can be decrypted.
    async fn decrypt_materials(&self, request: DecryptionRequest) -> Result<DecryptionMaterials>;
}

#[async_trait]
impl<K: Keyring + ?Sized> Keyring for Arc<K> {
    async fn on_encrypt(&self, materials: EncryptionMaterials) -> Result<EncryptionMaterials> {
        (**self).on_encrypt(materials).await
    }

    async fn on_decrypt(
        &self,
        materials: DecryptionMaterials,
        encrypted_data_keys: &[EncryptedDataKey],
    ) -> Result<DecryptionMaterials> {
        (**self).on_decrypt(materials, encrypted_data_keys).await
    }
}

#[async_trait]
impl<M: MaterialsManager + ?Sized> MaterialsManager for Arc<M> {
    async fn get_encryption_materials(
        &self,
        request: EncryptionRequest,
    ) -> Result<EncryptionMaterials> {
        (**self).get_encryption_materials(request).await
    }

    async fn decrypt_materials(&self, request: DecryptionRequest) -> Result<DecryptionMaterials> {
        (**self).decrypt_materials(request).await
    }
}
