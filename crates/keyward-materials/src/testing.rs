//! The keyring contract kit: checks the rules of the keyring interface against any keyring.
//!
//! spec: framework/keyring-interface.md

use std::collections::BTreeSet;
use std::sync::Arc;

use keyward_format::{AlgorithmSuite, EncryptedDataKey, EncryptionContext, SigningKey};

use crate::keyring::Keyring;
use crate::materials::{DecryptionMaterials, EncryptionMaterials};
use crate::secret::DataKey;

/// A broken rule, with the suite it was found under.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ContractViolation {
    /// The suite of the materials.
    pub suite: AlgorithmSuite,
    /// The rule that does not hold.
    pub rule: &'static str,
}

impl core::fmt::Display for ContractViolation {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "{:?}: {}", self.suite, self.rule)
    }
}

impl std::error::Error for ContractViolation {}

/// What a keyring is expected to do beyond the rules every keyring follows.
#[derive(Debug, Clone, Copy)]
#[non_exhaustive]
pub struct Expectations {
    /// The keyring binds the encryption context (AES-GCM wrapping does, RSA does not).
    pub binds_context: bool,
    /// The keyring wraps a data key it is given (a multi-keyring with a generator refuses).
    pub wraps_given_data_key: bool,
    /// The keyring accepts the signing suites (the AWS KMS RSA keyring refuses them: its
    /// public key can write messages, so a signature would prove nothing).
    pub signing_suites: bool,
}

impl Expectations {
    /// Binds the context, wraps a given data key, accepts every suite.
    pub const fn new() -> Self {
        Self {
            binds_context: true,
            wraps_given_data_key: true,
            signing_suites: true,
        }
    }

    /// Whether the keyring accepts the signing suites; one that does not must refuse to
    /// encrypt under them, with a data key or without.
    pub const fn signing_suites(mut self, accepts: bool) -> Self {
        self.signing_suites = accepts;
        self
    }

    /// Whether the keyring binds the encryption context.
    pub const fn binds_context(mut self, binds: bool) -> Self {
        self.binds_context = binds;
        self
    }

    /// Whether the keyring wraps a data key it is given.
    pub const fn wraps_given_data_key(mut self, wraps: bool) -> Self {
        self.wraps_given_data_key = wraps;
        self
    }
}

impl Default for Expectations {
    fn default() -> Self {
        Self::new()
    }
}

/// Checks a keyring that can both encrypt and decrypt, under every suite:
///
/// - without a data key, encrypt generates one of the suite's length and adds an EDK;
/// - with a data key, encrypt keeps it and adds an EDK (or refuses, per `expectations`);
/// - decrypt of those EDKs returns the same data key;
/// - decrypt fails when the materials already hold a data key;
/// - decrypt fails (and returns no materials) for EDKs of an unknown provider, and for no EDK;
/// - decrypt with a different encryption context fails for keyrings that bind the context;
/// - a keyring that refuses the signing suites fails to encrypt under each of them.
///
/// # Errors
/// The first [`ContractViolation`].
pub async fn check_keyring(
    keyring: &dyn Keyring,
    expectations: Expectations,
) -> Result<(), ContractViolation> {
    for suite in AlgorithmSuite::ALL {
        let violation = |rule| ContractViolation { suite, rule };
        let mut context = EncryptionContext::from([("contract", "kit")]);
        let signing_key = match suite.signature() {
            Some(algorithm) => Some(Arc::new(
                SigningKey::generate(algorithm).map_err(|_| violation("key generation"))?,
            )),
            None => None,
        };
        if let Some(key) = &signing_key {
            context.insert(EncryptionContext::PUBLIC_KEY, key.public_key_base64());
        }
        let fresh =
            EncryptionMaterials::new(suite, context.clone(), BTreeSet::new(), signing_key.clone());
        if suite.is_signing() && !expectations.signing_suites {
            if keyring.on_encrypt(fresh).await.is_ok() {
                return Err(violation("encrypt accepted a signing suite it must refuse"));
            }
            let given = Arc::new(DataKey::new(vec![0x5a; suite.data_key_len()]));
            let with_key = EncryptionMaterials::new(suite, context, BTreeSet::new(), signing_key)
                .with_data_key(given)
                .map_err(|_| violation("materials refuse a data key"))?;
            if keyring.on_encrypt(with_key).await.is_ok() {
                return Err(violation("encrypt accepted a signing suite it must refuse"));
            }
            continue;
        }
        let generated = keyring
            .on_encrypt(fresh)
            .await
            .map_err(|_| violation("encrypt without a data key fails"))?;
        let data_key = generated
            .data_key()
            .ok_or(violation("encrypt generates no data key"))?
            .clone();
        if data_key.len() != suite.data_key_len() {
            return Err(violation("the generated data key has the wrong length"));
        }
        if generated.encrypted_data_keys().is_empty() {
            return Err(violation("encrypt adds no encrypted data key"));
        }

        let given = Arc::new(DataKey::new(vec![0x5a; suite.data_key_len()]));
        let with_key =
            EncryptionMaterials::new(suite, context.clone(), BTreeSet::new(), signing_key.clone())
                .with_data_key(given.clone())
                .map_err(|_| violation("materials refuse a data key"))?;
        let wrapped = keyring.on_encrypt(with_key).await;
        match (wrapped, expectations.wraps_given_data_key) {
            (Ok(wrapped), true) => {
                if wrapped.data_key().map(|k| k.expose_secret()) != Some(given.expose_secret()) {
                    return Err(violation("encrypt replaced an existing data key"));
                }
                if wrapped.encrypted_data_keys().is_empty() {
                    return Err(violation("encrypt with a data key added no EDK"));
                }
            }
            (Err(_), true) => return Err(violation("encrypt with a data key fails")),
            (Ok(_), false) => return Err(violation("encrypt accepted a data key it must refuse")),
            (Err(_), false) => {}
        }

        let verification_key = signing_key
            .as_ref()
            .map(|k| k.verification_key())
            .transpose()
            .map_err(|_| violation("verification key"))?;
        let empty = DecryptionMaterials::new(
            suite,
            context.clone(),
            BTreeSet::new(),
            verification_key.clone(),
        );
        let decrypted = keyring
            .on_decrypt(empty.clone(), generated.encrypted_data_keys())
            .await
            .map_err(|_| violation("decrypt of its own EDK fails"))?;
        if decrypted.data_key().map(|k| k.expose_secret()) != Some(data_key.expose_secret()) {
            return Err(violation("decrypt returns a different data key"));
        }
        let full = empty
            .clone()
            .with_data_key(data_key.clone())
            .map_err(|_| violation("materials refuse a data key"))?;
        if keyring
            .on_decrypt(full, generated.encrypted_data_keys())
            .await
            .is_ok()
        {
            return Err(violation(
                "decrypt must fail when the materials hold a data key",
            ));
        }
        let foreign =
            [
                EncryptedDataKey::new("keyward-contract-kit", b"unknown".to_vec(), vec![1; 48])
                    .map_err(|_| violation("foreign EDK"))?,
            ];
        if keyring.on_decrypt(empty.clone(), &foreign).await.is_ok() {
            return Err(violation("decrypt of a foreign EDK succeeded"));
        }
        if keyring.on_decrypt(empty.clone(), &[]).await.is_ok() {
            return Err(violation("decrypt without EDKs succeeded"));
        }
        if expectations.binds_context {
            let mut other = context.clone();
            other.insert("contract", "changed");
            let changed = DecryptionMaterials::new(suite, other, BTreeSet::new(), verification_key);
            if keyring
                .on_decrypt(changed, generated.encrypted_data_keys())
                .await
                .is_ok()
            {
                return Err(violation(
                    "decrypt under a different encryption context succeeded",
                ));
            }
        }
    }
    Ok(())
}
