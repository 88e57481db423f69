//! The default materials manager: suite choice, signing keys, and one keyring.
//!
//! spec: framework/default-cmm.md

use std::sync::Arc;

use async_trait::async_trait;
use keyward_format::{EncryptionContext, SigningKey, VerificationKeyCache};

use crate::error::{Error, Result};
use crate::keyring::{Keyring, MaterialsManager};
use crate::materials::{
    DecryptionMaterials, DecryptionRequest, EncryptionMaterials, EncryptionRequest,
};

/// Chooses the suite under the commitment policy, generates a signing key for signing suites,
/// merges a reproduced encryption context on decrypt, and asks its keyring for the data key.
///
/// Verification keys are parsed once per distinct key and kept (the last
/// [`VerificationKeyCache::DEFAULT_CAPACITY`], shared by clones of the manager): messages
/// signed with one key skip its point decompression.
#[derive(Debug, Clone)]
pub struct DefaultMaterialsManager {
    keyring: Arc<dyn Keyring>,
    verification_keys: Arc<VerificationKeyCache>,
}

impl DefaultMaterialsManager {
    /// A manager over `keyring`.
    pub fn new(keyring: impl Keyring + 'static) -> Self {
        Self {
            keyring: Arc::new(keyring),
            verification_keys: Arc::new(VerificationKeyCache::default()),
        }
    }

    /// The verification keys kept between messages.
    pub fn verification_keys(&self) -> &VerificationKeyCache {
        &self.verification_keys
    }
}

#[async_trait]
impl MaterialsManager for DefaultMaterialsManager {
    async fn get_encryption_materials(
        &self,
        request: EncryptionRequest,
    ) -> Result<EncryptionMaterials> {
        let policy = request.commitment_policy;
        let suite = request.suite.unwrap_or(policy.default_suite());
        if !policy.allows_encrypt(suite) {
            return Err(keyward_format::Error::CommitmentPolicy { policy, suite }.into());
        }
        let mut context = request.encryption_context;
        if context.contains_key(EncryptionContext::PUBLIC_KEY) {
            return Err(keyward_format::Error::ReservedEncryptionContextKey(
                EncryptionContext::PUBLIC_KEY.to_owned(),
            )
            .into());
        }
        let signing_key = match suite.signature() {
            Some(algorithm) => {
                let key = Arc::new(SigningKey::generate(algorithm)?);
                context.insert(EncryptionContext::PUBLIC_KEY, key.public_key_base64());
                Some(key)
            }
            None => None,
        };
        let required = request.required_encryption_context_keys;
        let materials = EncryptionMaterials::new(suite, context, required.clone(), signing_key);
        let materials = self.keyring.on_encrypt(materials).await?;

        let data_key = materials.data_key().ok_or(Error::MissingDataKey)?;
        if data_key.len() != suite.data_key_len() {
            return Err(Error::DataKeyLength {
                expected: suite.data_key_len(),
                actual: data_key.len(),
            });
        }
        if materials.encrypted_data_keys().is_empty() {
            return Err(Error::NoEncryptedDataKeys);
        }
        if let Some(missing) = required
            .iter()
            .find(|k| !materials.encryption_context().contains_key(k))
        {
            return Err(Error::MissingRequiredEncryptionContextKey(missing.clone()));
        }
        if materials.suite() != suite || materials.signing_key().is_some() != suite.is_signing() {
            return Err(Error::SignatureKey {
                suite: suite.id(),
                problem: "materials changed by the keyring",
            });
        }
        Ok(materials)
    }

    async fn decrypt_materials(&self, request: DecryptionRequest) -> Result<DecryptionMaterials> {
        let policy = request.commitment_policy;
        let suite = request.suite;
        if !policy.allows_decrypt(suite) {
            return Err(keyward_format::Error::CommitmentPolicy { policy, suite }.into());
        }
        let mut context = request.encryption_context;
        let mut required = std::collections::BTreeSet::new();
        if let Some(reproduced) = &request.reproduced_encryption_context {
            for (key, value) in reproduced.iter() {
                match context.get(key) {
                    Some(stored) if stored == value => {}
                    Some(_) => {
                        return Err(Error::EncryptionContextMismatch {
                            key: key.to_owned(),
                        });
                    }
                    None => {
                        context.insert(key, value);
                        required.insert(key.to_owned());
                    }
                }
            }
        }
        let verification_key = match (
            suite.signature(),
            context.get(EncryptionContext::PUBLIC_KEY),
        ) {
            (Some(algorithm), Some(encoded)) => {
                Some(self.verification_keys.get(algorithm, encoded)?)
            }
            (None, None) => None,
            (Some(_), None) => {
                return Err(Error::SignatureKey {
                    suite: suite.id(),
                    problem: "signs, but the context holds no verification key",
                });
            }
            (None, Some(_)) => {
                return Err(Error::SignatureKey {
                    suite: suite.id(),
                    problem: "does not sign, but the context holds a verification key",
                });
            }
        };
        let materials = DecryptionMaterials::new(suite, context, required, verification_key);
        let materials = self
            .keyring
            .on_decrypt(materials, &request.encrypted_data_keys)
            .await?;
        let data_key = materials.data_key().ok_or(Error::MissingDataKey)?;
        if data_key.len() != suite.data_key_len() {
            return Err(Error::DataKeyLength {
                expected: suite.data_key_len(),
                actual: data_key.len(),
            });
        }
        Ok(materials)
    }
}
