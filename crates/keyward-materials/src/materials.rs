//! Cryptographic materials and the requests for them.
//!
//! spec: framework/structures.md#encryption-materials, framework/cmm-interface.md

use std::collections::BTreeSet;
use std::sync::Arc;

use keyward_format::{
    AlgorithmSuite, CommitmentPolicy, EncryptedDataKey, EncryptionContext, SigningKey,
    VerificationKey,
};

use crate::error::{Error, Result};
use crate::secret::DataKey;

/// What a caller asks a materials manager for when it encrypts.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct EncryptionRequest {
    /// The caller's encryption context.
    pub encryption_context: EncryptionContext,
    /// The commitment policy in force.
    pub commitment_policy: CommitmentPolicy,
    /// The suite the caller asks for; the policy's default when `None`.
    pub suite: Option<AlgorithmSuite>,
    /// The plaintext length, when the caller knows a bound (the caching manager caches only
    /// then).
    pub max_plaintext_length: Option<u64>,
    /// Context keys to authenticate without storing them in the message.
    pub required_encryption_context_keys: BTreeSet<String>,
}

impl EncryptionRequest {
    /// A request with no suite, no length and no required keys.
    pub fn new(encryption_context: EncryptionContext, commitment_policy: CommitmentPolicy) -> Self {
        Self {
            encryption_context,
            commitment_policy,
            suite: None,
            max_plaintext_length: None,
            required_encryption_context_keys: BTreeSet::new(),
        }
    }
}

/// What a caller gives a materials manager when it decrypts.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct DecryptionRequest {
    /// The message's suite.
    pub suite: AlgorithmSuite,
    /// The commitment policy in force.
    pub commitment_policy: CommitmentPolicy,
    /// The message's encrypted data keys.
    pub encrypted_data_keys: Vec<EncryptedDataKey>,
    /// The encryption context stored in the message header.
    pub encryption_context: EncryptionContext,
    /// The context the caller expects, including pairs the writer did not store.
    pub reproduced_encryption_context: Option<EncryptionContext>,
}

impl DecryptionRequest {
    /// A request without a reproduced context.
    pub fn new(
        suite: AlgorithmSuite,
        commitment_policy: CommitmentPolicy,
        encrypted_data_keys: Vec<EncryptedDataKey>,
        encryption_context: EncryptionContext,
    ) -> Self {
        Self {
            suite,
            commitment_policy,
            encrypted_data_keys,
            encryption_context,
            reproduced_encryption_context: None,
        }
    }
}

/// Everything one message needs on the encrypt side: the suite, the context, the data key and
/// its encrypted copies, and for signing suites the signing key.
///
/// Cloning is cheap: keys are shared through `Arc`, never copied.
#[derive(Clone, Debug)]
pub struct EncryptionMaterials {
    suite: AlgorithmSuite,
    encryption_context: EncryptionContext,
    required_encryption_context_keys: BTreeSet<String>,
    data_key: Option<Arc<DataKey>>,
    encrypted_data_keys: Vec<EncryptedDataKey>,
    signing_key: Option<Arc<SigningKey>>,
}

impl EncryptionMaterials {
    /// Materials with no data key and no encrypted data key yet.
    pub fn new(
        suite: AlgorithmSuite,
        encryption_context: EncryptionContext,
        required_encryption_context_keys: BTreeSet<String>,
        signing_key: Option<Arc<SigningKey>>,
    ) -> Self {
        Self {
            suite,
            encryption_context,
            required_encryption_context_keys,
            data_key: None,
            encrypted_data_keys: Vec::new(),
            signing_key,
        }
    }

    /// The suite.
    pub fn suite(&self) -> AlgorithmSuite {
        self.suite
    }

    /// The encryption context every keyring binds (it includes the required pairs and, for
    /// signing suites, `aws-crypto-public-key`).
    pub fn encryption_context(&self) -> &EncryptionContext {
        &self.encryption_context
    }

    /// Keys of the context that are authenticated but not stored in the message.
    pub fn required_encryption_context_keys(&self) -> &BTreeSet<String> {
        &self.required_encryption_context_keys
    }

    /// The plaintext data key, once a keyring generated it.
    pub fn data_key(&self) -> Option<&Arc<DataKey>> {
        self.data_key.as_ref()
    }

    /// The encrypted copies of the data key.
    pub fn encrypted_data_keys(&self) -> &[EncryptedDataKey] {
        &self.encrypted_data_keys
    }

    /// The signing key, for signing suites.
    pub fn signing_key(&self) -> Option<&Arc<SigningKey>> {
        self.signing_key.as_ref()
    }

    /// Sets the data key (a generating keyring does this once).
    ///
    /// # Errors
    /// [`Error::DataKeyAlreadyPresent`], or [`Error::DataKeyLength`] when the key does not
    /// have the suite's length.
    pub fn with_data_key(mut self, data_key: Arc<DataKey>) -> Result<Self> {
        if self.data_key.is_some() {
            return Err(Error::DataKeyAlreadyPresent);
        }
        check_len(self.suite, &data_key)?;
        self.data_key = Some(data_key);
        Ok(self)
    }

    /// Generates a data key of the suite's length unless the materials hold one already (a
    /// keyring's first step on encrypt).
    ///
    /// # Errors
    /// [`Error::Crypto`] when the random generator fails.
    pub fn with_generated_data_key(self) -> Result<Self> {
        if self.data_key.is_some() {
            return Ok(self);
        }
        let key = DataKey::generate(self.suite.data_key_len())?;
        self.with_data_key(Arc::new(key))
    }

    /// Adds an encrypted copy of the data key.
    pub fn with_encrypted_data_key(mut self, edk: EncryptedDataKey) -> Self {
        self.encrypted_data_keys.push(edk);
        self
    }

    /// Replaces the required keys (the required-context manager adds its own).
    pub fn with_required_encryption_context_keys(mut self, keys: BTreeSet<String>) -> Self {
        self.required_encryption_context_keys = keys;
        self
    }
}

/// Everything one message needs on the decrypt side.
#[derive(Clone, Debug)]
pub struct DecryptionMaterials {
    suite: AlgorithmSuite,
    encryption_context: EncryptionContext,
    required_encryption_context_keys: BTreeSet<String>,
    data_key: Option<Arc<DataKey>>,
    verification_key: Option<VerificationKey>,
}

impl DecryptionMaterials {
    /// Materials with no data key yet.
    pub fn new(
        suite: AlgorithmSuite,
        encryption_context: EncryptionContext,
        required_encryption_context_keys: BTreeSet<String>,
        verification_key: Option<VerificationKey>,
    ) -> Self {
        Self {
            suite,
            encryption_context,
            required_encryption_context_keys,
            data_key: None,
            verification_key,
        }
    }

    /// The suite.
    pub fn suite(&self) -> AlgorithmSuite {
        self.suite
    }

    /// The encryption context keyrings bind: the header's merged with the reproduced pairs.
    pub fn encryption_context(&self) -> &EncryptionContext {
        &self.encryption_context
    }

    /// Keys of the context that the writer authenticated without storing them.
    pub fn required_encryption_context_keys(&self) -> &BTreeSet<String> {
        &self.required_encryption_context_keys
    }

    /// The plaintext data key, once a keyring decrypted it.
    pub fn data_key(&self) -> Option<&Arc<DataKey>> {
        self.data_key.as_ref()
    }

    /// The verification key, for signing suites.
    pub fn verification_key(&self) -> Option<&VerificationKey> {
        self.verification_key.as_ref()
    }

    /// The pairs the header tag authenticates beyond the stored context.
    pub fn required_encryption_context(&self) -> EncryptionContext {
        self.encryption_context
            .iter()
            .filter(|(k, _)| self.required_encryption_context_keys.contains(*k))
            .collect()
    }

    /// Sets the decrypted data key.
    ///
    /// # Errors
    /// [`Error::DataKeyAlreadyPresent`] or [`Error::DataKeyLength`].
    pub fn with_data_key(mut self, data_key: Arc<DataKey>) -> Result<Self> {
        if self.data_key.is_some() {
            return Err(Error::DataKeyAlreadyPresent);
        }
        check_len(self.suite, &data_key)?;
        self.data_key = Some(data_key);
        Ok(self)
    }
}

/// A branch key with its identity, as the hierarchical keyring's key store returns it and a
/// shared cache holds it.
///
/// spec: framework/structures.md#branch-key-materials
#[derive(Clone, Debug)]
pub struct BranchKeyMaterials {
    branch_key_identifier: String,
    branch_key_version: String,
    branch_key: Arc<crate::secret::BranchKey>,
    encryption_context: EncryptionContext,
}

impl BranchKeyMaterials {
    /// Branch-key materials.
    pub fn new(
        branch_key_identifier: impl Into<String>,
        branch_key_version: impl Into<String>,
        branch_key: Arc<crate::secret::BranchKey>,
        encryption_context: EncryptionContext,
    ) -> Self {
        Self {
            branch_key_identifier: branch_key_identifier.into(),
            branch_key_version: branch_key_version.into(),
            branch_key,
            encryption_context,
        }
    }

    /// The branch key id.
    pub fn branch_key_identifier(&self) -> &str {
        &self.branch_key_identifier
    }

    /// The version (a UUID string).
    pub fn branch_key_version(&self) -> &str {
        &self.branch_key_version
    }

    /// The branch key.
    pub fn branch_key(&self) -> &Arc<crate::secret::BranchKey> {
        &self.branch_key
    }

    /// The custom encryption context stored with the branch key.
    pub fn encryption_context(&self) -> &EncryptionContext {
        &self.encryption_context
    }
}

/// Materials of any kind, as a shared cache stores them.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub enum Materials {
    /// Materials to encrypt messages.
    Encryption(EncryptionMaterials),
    /// Materials to decrypt messages.
    Decryption(DecryptionMaterials),
    /// A branch key of the hierarchical keyring.
    BranchKey(BranchKeyMaterials),
}

fn check_len(suite: AlgorithmSuite, key: &DataKey) -> Result<()> {
    if key.len() == suite.data_key_len() {
        Ok(())
    } else {
        Err(Error::DataKeyLength {
            expected: suite.data_key_len(),
            actual: key.len(),
        })
    }
}
