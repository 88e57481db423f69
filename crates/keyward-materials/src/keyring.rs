//! The keyring and materials-manager traits.
//!
//! spec: framework/keyring-interface.md, framework/cmm-interface.md

use core::fmt;
use std::sync::Arc;

use async_trait::async_trait;
use keyward_format::EncryptedDataKey;

use crate::error::{DecryptAttempt, Error, Result};
use crate::materials::{
    DecryptionMaterials, DecryptionRequest, EncryptionMaterials, EncryptionRequest,
};
use crate::secret::DataKey;

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

/// The specification's decrypt loop, for keyring authors: tries the encrypted data keys in
/// order and returns the materials with the first data key that decrypts.
///
/// `attempt` answers `None` for an EDK the keyring does not own (it is skipped), or a future
/// of the EDK's plaintext data key. The first key that has the suite's length wins; otherwise
/// the error is [`Error::UnableToDecrypt`] with every failed attempt, each with its provider.
///
/// # Errors
/// [`Error::DataKeyAlreadyPresent`] when the materials hold a data key already;
/// [`Error::UnableToDecrypt`] when no EDK decrypts.
///
/// # Examples
/// ```
/// use std::sync::Arc;
/// use keyward_materials::{
///     AlgorithmSuite, DataKey, DecryptionMaterials, EncryptedDataKey, EncryptionContext, Error,
///     decrypt_first,
/// };
///
/// # async fn run() -> Result<(), Error> {
/// let materials = DecryptionMaterials::new(
///     AlgorithmSuite::Aes256GcmHkdfSha512Commit,
///     EncryptionContext::new(),
///     Default::default(),
///     None,
/// );
/// let edks = [EncryptedDataKey::new("mine", b"key-1".to_vec(), vec![0; 32])?];
/// let decrypted = decrypt_first(materials, &edks, |edk| {
///     (edk.provider_id() == "mine")
///         .then(|| async { Ok(Arc::new(DataKey::from_slice(&[7; 32]))) })
/// })
/// .await?;
/// assert!(decrypted.data_key().is_some());
/// # Ok(())
/// # }
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(run()).unwrap();
/// ```
pub async fn decrypt_first<'a, F, Fut>(
    materials: DecryptionMaterials,
    encrypted_data_keys: &'a [EncryptedDataKey],
    mut attempt: F,
) -> Result<DecryptionMaterials>
where
    F: FnMut(&'a EncryptedDataKey) -> Option<Fut>,
    Fut: Future<Output = Result<Arc<DataKey>>>,
{
    if materials.data_key().is_some() {
        return Err(Error::DataKeyAlreadyPresent);
    }
    let mut attempts = Vec::new();
    for edk in encrypted_data_keys {
        let Some(unwrapping) = attempt(edk) else {
            continue;
        };
        match unwrapping
            .await
            .and_then(|key| materials.clone().with_data_key(key))
        {
            Ok(materials) => return Ok(materials),
            Err(error) => attempts.push(DecryptAttempt::new(edk, error)),
        }
    }
    Err(Error::UnableToDecrypt { attempts })
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
