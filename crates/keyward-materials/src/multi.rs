//! The multi-keyring: one generator and any number of children.
//!
//! spec: framework/multi-keyring.md

use std::sync::Arc;

use async_trait::async_trait;
use keyward_format::EncryptedDataKey;

use crate::error::{DecryptAttempt, Error, Result};
use crate::keyring::Keyring;
use crate::materials::{DecryptionMaterials, EncryptionMaterials};

/// Encrypts with every keyring (the generator makes the data key, each child wraps it too);
/// decrypts with the first keyring that can.
#[derive(Debug, Clone)]
pub struct MultiKeyring {
    generator: Option<Arc<dyn Keyring>>,
    children: Vec<Arc<dyn Keyring>>,
}

impl MultiKeyring {
    /// A multi-keyring. Without a generator, encrypting needs materials that already hold a
    /// data key.
    ///
    /// # Errors
    /// [`Error::InvalidConfiguration`] with neither a generator nor a child.
    pub fn new(
        generator: Option<Arc<dyn Keyring>>,
        children: Vec<Arc<dyn Keyring>>,
    ) -> Result<Self> {
        if generator.is_none() && children.is_empty() {
            return Err(Error::InvalidConfiguration(
                "a multi-keyring needs a generator or a child",
            ));
        }
        Ok(Self {
            generator,
            children,
        })
    }

    /// A multi-keyring whose first keyring generates and the rest wrap.
    ///
    /// # Errors
    /// [`Error::InvalidConfiguration`] for an empty list.
    pub fn from_keyrings(keyrings: Vec<Arc<dyn Keyring>>) -> Result<Self> {
        let mut keyrings = keyrings.into_iter();
        let generator = keyrings.next();
        Self::new(generator, keyrings.collect())
    }
}

#[async_trait]
impl Keyring for MultiKeyring {
    async fn on_encrypt(&self, mut materials: EncryptionMaterials) -> Result<EncryptionMaterials> {
        if let Some(generator) = &self.generator {
            if materials.data_key().is_some() {
                return Err(Error::DataKeyAlreadyPresent);
            }
            materials = generator.on_encrypt(materials).await?;
            if materials.data_key().is_none() {
                return Err(Error::MissingDataKey);
            }
        } else if materials.data_key().is_none() {
            return Err(Error::MissingDataKey);
        }
        for child in &self.children {
            materials = child.on_encrypt(materials).await?;
        }
        Ok(materials)
    }

    async fn on_decrypt(
        &self,
        materials: DecryptionMaterials,
        encrypted_data_keys: &[EncryptedDataKey],
    ) -> Result<DecryptionMaterials> {
        if materials.data_key().is_some() {
            return Err(Error::DataKeyAlreadyPresent);
        }
        let mut attempts = Vec::new();
        for keyring in self.generator.iter().chain(&self.children) {
            match keyring
                .on_decrypt(materials.clone(), encrypted_data_keys)
                .await
            {
                Ok(decrypted) => return Ok(decrypted),
                Err(Error::UnableToDecrypt { attempts: tried }) => attempts.extend(tried),
                Err(error) => attempts.push(DecryptAttempt::before_any_key(error)),
            }
        }
        Err(Error::UnableToDecrypt { attempts })
    }
}
