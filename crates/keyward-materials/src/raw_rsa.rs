//! The raw RSA keyring: wraps data keys with a local RSA key pair.
//!
//! spec: framework/raw-rsa-keyring.md

use core::fmt;
use std::sync::Arc;

use async_trait::async_trait;
use keyward_format::EncryptedDataKey;

use crate::crypto::{RsaPadding, RsaPrivateKey, RsaPublicKey};
use crate::error::{Error, Result};
use crate::keyring::{Keyring, decrypt_first};
use crate::materials::{DecryptionMaterials, EncryptionMaterials};
use crate::pem;
use crate::secret::DataKey;

/// Wraps data keys with RSA (PKCS #1 v1.5 or OAEP). Encrypting needs the public key, decrypting
/// the private key; RSA binds no encryption context.
pub struct RawRsaKeyring {
    namespace: String,
    name: String,
    padding: RsaPadding,
    public_key: Option<RsaPublicKey>,
    private_key: Option<RsaPrivateKey>,
}

/// Builds a [`RawRsaKeyring`] from PEM keys.
#[derive(Debug)]
#[must_use]
pub struct RawRsaKeyringBuilder {
    namespace: String,
    name: String,
    padding: RsaPadding,
    public_key: Option<Vec<u8>>,
    private_key: Option<zeroize::Zeroizing<Vec<u8>>>,
    legacy_pkcs1_decryption: bool,
    error: Option<Error>,
}

impl RawRsaKeyring {
    /// Starts a keyring with its key namespace (the EDK provider id), key name and padding.
    pub fn builder(
        namespace: impl Into<String>,
        name: impl Into<String>,
        padding: RsaPadding,
    ) -> RawRsaKeyringBuilder {
        RawRsaKeyringBuilder {
            namespace: namespace.into(),
            name: name.into(),
            padding,
            public_key: None,
            private_key: None,
            legacy_pkcs1_decryption: false,
            error: None,
        }
    }
}

impl RawRsaKeyringBuilder {
    /// The public key (needed to encrypt), as a `PUBLIC KEY` (SPKI) or `RSA PUBLIC KEY`
    /// (PKCS #1) PEM block.
    pub fn public_key_pem(mut self, pem: &str) -> Self {
        match pem::public_key_der(pem) {
            Ok(der) => self.public_key = Some(der),
            Err(error) => self.error = Some(error),
        }
        self
    }

    /// The private key (needed to decrypt), as a `PRIVATE KEY` (PKCS #8) or `RSA PRIVATE KEY`
    /// (PKCS #1) PEM block. The public key is never derived from it: encrypting needs
    /// [`RawRsaKeyringBuilder::public_key_pem`].
    pub fn private_key_pem(mut self, pem: &str) -> Self {
        match pem::private_key_der(pem) {
            Ok(der) => self.private_key = Some(der),
            Err(error) => self.error = Some(error),
        }
        self
    }

    /// Allows decrypting with PKCS #1 v1.5 padding, which only old messages need (every
    /// official SDK can write OAEP; the specification keeps PKCS #1 v1.5 for compatibility).
    ///
    /// # Security
    /// PKCS #1 v1.5 decryption is Bleichenbacher's padding oracle wherever a failure can be
    /// told apart. keyward decrypts it with implicit rejection: any failure (bad padding, a
    /// wrong length) yields a pseudo-random key derived from the ciphertext and the private
    /// key, after the same work, so it fails later at the message's key commitment or header
    /// tag, with the same error as a well-formed key that is simply wrong. The cost: an
    /// encrypted data key that names this keyring but does not open with it is not skipped in
    /// favour of the message's next encrypted data key.
    pub fn legacy_pkcs1_decryption(mut self) -> Self {
        self.legacy_pkcs1_decryption = true;
        self
    }

    /// Parses the keys.
    ///
    /// # Errors
    /// [`Error::InvalidKey`] for a key that does not parse, [`Error::InvalidConfiguration`]
    /// without any key, with a namespace reserved for AWS KMS keyrings, or for PKCS #1 v1.5
    /// with a private key but without [`RawRsaKeyringBuilder::legacy_pkcs1_decryption`].
    pub fn build(self) -> Result<RawRsaKeyring> {
        if let Some(error) = self.error {
            return Err(error);
        }
        if self.padding == RsaPadding::Pkcs1
            && self.private_key.is_some()
            && !self.legacy_pkcs1_decryption
        {
            return Err(Error::InvalidConfiguration(
                "decrypting PKCS #1 v1.5 is a legacy opt-in: call legacy_pkcs1_decryption()",
            ));
        }
        if self.public_key.is_none() && self.private_key.is_none() {
            return Err(Error::InvalidConfiguration(
                "a raw RSA keyring needs a public or a private key",
            ));
        }
        if self.namespace.starts_with("aws-kms") {
            return Err(Error::InvalidConfiguration(
                "the key namespace may not start with \"aws-kms\"",
            ));
        }
        Ok(RawRsaKeyring {
            public_key: self
                .public_key
                .as_deref()
                .map(RsaPublicKey::from_spki_der)
                .transpose()?,
            private_key: self
                .private_key
                .as_deref()
                .map(|der| RsaPrivateKey::from_pkcs8_der(der))
                .transpose()?,
            namespace: self.namespace,
            name: self.name,
            padding: self.padding,
        })
    }
}

#[async_trait]
impl Keyring for RawRsaKeyring {
    async fn on_encrypt(&self, materials: EncryptionMaterials) -> Result<EncryptionMaterials> {
        let public_key = self
            .public_key
            .as_ref()
            .ok_or(Error::OperationNotSupported("encrypt without a public key"))?;
        let materials = materials.with_generated_data_key()?;
        let data_key = materials.data_key().ok_or(Error::MissingDataKey)?;
        let wrapped = public_key.encrypt(self.padding, data_key.expose_secret())?;
        let edk = EncryptedDataKey::new(
            self.namespace.clone(),
            self.name.as_bytes().to_vec(),
            wrapped,
        )?;
        Ok(materials.with_encrypted_data_key(edk))
    }

    async fn on_decrypt(
        &self,
        materials: DecryptionMaterials,
        encrypted_data_keys: &[EncryptedDataKey],
    ) -> Result<DecryptionMaterials> {
        if materials.data_key().is_some() {
            return Err(Error::DataKeyAlreadyPresent);
        }
        let private_key = self
            .private_key
            .as_ref()
            .ok_or(Error::OperationNotSupported(
                "decrypt without a private key",
            ))?;
        let key_len = materials.suite().data_key_len();
        decrypt_first(materials, encrypted_data_keys, |edk| {
            if edk.provider_id() != self.namespace || edk.provider_info() != self.name.as_bytes() {
                return None;
            }
            let unwrapped = match self.padding {
                RsaPadding::Pkcs1 => private_key.decrypt_pkcs1_implicit(edk.ciphertext(), key_len),
                _ => private_key
                    .decrypt_oaep(self.padding, edk.ciphertext())
                    .ok_or_else(|| Error::UnwrapFailed {
                        provider_id: edk.provider_id().to_owned(),
                    }),
            };
            Some(core::future::ready(
                unwrapped.map(|key| Arc::new(DataKey::from_slice(&key))),
            ))
        })
        .await
    }
}

impl fmt::Debug for RawRsaKeyring {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RawRsaKeyring")
            .field("namespace", &self.namespace)
            .field("name", &self.name)
            .field("padding", &self.padding)
            .field("can_encrypt", &self.public_key.is_some())
            .field("can_decrypt", &self.private_key.is_some())
            .finish()
    }
}
