//! The raw AES keyring: wraps data keys with a local AES-GCM key.
//!
//! spec: framework/raw-aes-keyring.md

use core::fmt;
use std::sync::Arc;

use async_trait::async_trait;
use keyward_format::EncryptedDataKey;

use crate::crypto::{IV_LEN, aes_gcm_unwrap, aes_gcm_wrap, random_array};
use crate::error::{Error, Result};
use crate::keyring::{Keyring, decrypt_first};
use crate::materials::{DecryptionMaterials, EncryptionMaterials};
use crate::secret::{DataKey, WrappingKey};

/// Wraps data keys with AES-GCM under a local 128-, 192- or 256-bit key, binding the
/// encryption context as AAD. Interoperates with every official raw AES keyring.
pub struct RawAesKeyring {
    namespace: String,
    name: String,
    key: WrappingKey,
}

impl RawAesKeyring {
    /// A keyring with a key namespace (the EDK provider id), a key name and the wrapping key.
    ///
    /// # Errors
    /// [`Error::InvalidKey`] for a key that is not 16, 24 or 32 bytes;
    /// [`Error::InvalidConfiguration`] for a namespace reserved for AWS KMS keyrings.
    pub fn new(
        namespace: impl Into<String>,
        name: impl Into<String>,
        key: WrappingKey,
    ) -> Result<Self> {
        let namespace = namespace.into();
        if !matches!(key.len(), 16 | 24 | 32) {
            return Err(Error::InvalidKey {
                kind: "AES wrapping",
                reason: "must be 16, 24 or 32 bytes",
            });
        }
        if namespace.starts_with("aws-kms") {
            return Err(Error::InvalidConfiguration(
                "the key namespace may not start with \"aws-kms\"",
            ));
        }
        Ok(Self {
            namespace,
            name: name.into(),
            key,
        })
    }

    /// The key namespace.
    pub fn namespace(&self) -> &str {
        &self.namespace
    }

    /// The key name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Provider info: `name ‖ u32 tag bits (128) ‖ u32 IV length (12) ‖ IV`.
    fn provider_info(&self, iv: &[u8; IV_LEN]) -> Vec<u8> {
        let mut info = Vec::with_capacity(self.name.len() + 8 + IV_LEN);
        info.extend_from_slice(self.name.as_bytes());
        info.extend_from_slice(&TAG_BITS_FIELD);
        info.extend_from_slice(&IV_LEN_FIELD);
        info.extend_from_slice(iv);
        info
    }

    /// The IV of an EDK this keyring wrote, or `None` to skip the EDK.
    fn iv_of(&self, edk: &EncryptedDataKey) -> Option<[u8; IV_LEN]> {
        let info = edk.provider_info();
        let rest = info.strip_prefix(self.name.as_bytes())?;
        if edk.provider_id() != self.namespace || rest.len() != 8 + IV_LEN {
            return None;
        }
        let (lengths, iv) = rest.split_at(8);
        if lengths.get(..4) != Some(&TAG_BITS_FIELD[..])
            || lengths.get(4..) != Some(&IV_LEN_FIELD[..])
        {
            return None;
        }
        iv.try_into().ok()
    }
}

#[async_trait]
impl Keyring for RawAesKeyring {
    async fn on_encrypt(&self, materials: EncryptionMaterials) -> Result<EncryptionMaterials> {
        let materials = materials.with_generated_data_key()?;
        let data_key = materials.data_key().ok_or(Error::MissingDataKey)?;
        let aad = materials.encryption_context().to_canonical_bytes()?;
        let iv = random_array::<IV_LEN>()?;
        let wrapped = aes_gcm_wrap(self.key.expose_secret(), iv, &aad, data_key.expose_secret())?;
        let edk = EncryptedDataKey::new(self.namespace.clone(), self.provider_info(&iv), wrapped)?;
        Ok(materials.with_encrypted_data_key(edk))
    }

    async fn on_decrypt(
        &self,
        materials: DecryptionMaterials,
        encrypted_data_keys: &[EncryptedDataKey],
    ) -> Result<DecryptionMaterials> {
        let aad = materials.encryption_context().to_canonical_bytes()?;
        decrypt_first(materials, encrypted_data_keys, |edk| {
            let iv = self.iv_of(edk)?;
            let unwrapped = aes_gcm_unwrap(self.key.expose_secret(), iv, &aad, edk.ciphertext())
                .and_then(|key| {
                    key.ok_or_else(|| Error::UnwrapFailed {
                        provider_id: edk.provider_id().to_owned(),
                    })
                })
                .map(|key| Arc::new(DataKey::from_slice(&key)));
            Some(core::future::ready(unwrapped))
        })
        .await
        .map_err(|mut error| {
            // Every EDK tried is this key's: its provider info is the key name followed by
            // the IV's description, which says nothing to a reader.
            if let Error::UnableToDecrypt { attempts } = &mut error {
                for attempt in attempts {
                    attempt.provider_info.clone_from(&self.name);
                }
            }
            error
        })
    }
}

impl fmt::Debug for RawAesKeyring {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RawAesKeyring")
            .field("namespace", &self.namespace)
            .field("name", &self.name)
            .field("key", &self.key)
            .finish()
    }
}

/// The tag length in bits (128), as the provider info writes it.
const TAG_BITS_FIELD: [u8; 4] = 128u32.to_be_bytes();
/// The IV length in bytes (12), as the provider info writes it.
const IV_LEN_FIELD: [u8; 4] = 12u32.to_be_bytes();
