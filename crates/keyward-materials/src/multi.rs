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

/// Builds a [`MultiKeyring`]: a generator, children, or both.
#[derive(Debug, Default)]
#[must_use]
pub struct MultiKeyringBuilder {
    generator: Option<Arc<dyn Keyring>>,
    children: Vec<Arc<dyn Keyring>>,
}

impl MultiKeyring {
    /// Starts a multi-keyring with no keyring.
    pub fn builder() -> MultiKeyringBuilder {
        MultiKeyringBuilder::default()
    }
}

impl MultiKeyringBuilder {
    /// The keyring that generates the data key (and wraps it first). Without one, encrypting
    /// needs materials that already hold a data key.
    pub fn generator(mut self, keyring: impl Keyring + 'static) -> Self {
        self.generator = Some(Arc::new(keyring));
        self
    }

    /// A keyring that wraps the data key too; on decrypt, tried after the generator and the
    /// children added before it.
    pub fn child(mut self, keyring: impl Keyring + 'static) -> Self {
        self.children.push(Arc::new(keyring));
        self
    }

    /// Several children, in order.
    pub fn children<K: Keyring + 'static>(mut self, keyrings: impl IntoIterator<Item = K>) -> Self {
        self.children.extend(
            keyrings
                .into_iter()
                .map(|keyring| Arc::new(keyring) as Arc<dyn Keyring>),
        );
        self
    }

    /// Builds the multi-keyring.
    ///
    /// # Errors
    /// [`Error::InvalidConfiguration`] with neither a generator nor a child.
    pub fn build(self) -> Result<MultiKeyring> {
        if self.generator.is_none() && self.children.is_empty() {
            return Err(Error::InvalidConfiguration(
                "a multi-keyring needs a generator or a child",
            ));
        }
        Ok(MultiKeyring {
            generator: self.generator,
            children: self.children,
        })
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
