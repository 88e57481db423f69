//! The strict AWS KMS keyring: one KMS key, used to generate, wrap and unwrap data keys.
//!
//! spec: framework/aws-kms/aws-kms-keyring.md

use core::fmt;

use async_trait::async_trait;
use keyward_format::EncryptedDataKey;
use keyward_materials::{DecryptionMaterials, EncryptionMaterials, Keyring};

use crate::arn::validate_identifier;
use crate::calls::Kms;
use crate::error::Error;
use crate::trace::traced;

/// Protects data keys with one AWS KMS key.
///
/// On encrypt it calls `GenerateDataKey` (or `Encrypt` when another keyring generated the
/// data key) with the materials' encryption context. On decrypt it calls `Decrypt` for the
/// encrypted data keys whose provider info is exactly its key identifier: give it a key ARN
/// to decrypt, since EDKs always name the key by ARN. A key id or alias works for encrypt
/// only.
///
/// ```
/// # fn main() -> Result<(), keyward_kms::Error> {
/// # let client = aws_sdk_kms::Client::from_conf(aws_sdk_kms::Config::builder()
/// #     .behavior_version(aws_sdk_kms::config::BehaviorVersion::latest()).build());
/// let arn = "arn:aws:kms:us-west-2:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab";
/// let keyring = keyward_kms::KmsKeyring::new(client, arn)?.with_grant_tokens(["token"]);
/// assert_eq!(keyring.key_id(), arn);
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct KmsKeyring {
    kms: Kms,
    key_id: String,
}

impl KmsKeyring {
    /// A keyring for `key_id` (key ARN, key id, alias name or alias ARN), calling KMS with
    /// `client` as given.
    ///
    /// # Errors
    /// [`Error::InvalidKeyIdentifier`] for an empty identifier or a malformed ARN.
    pub fn new(client: aws_sdk_kms::Client, key_id: impl Into<String>) -> Result<Self, Error> {
        let key_id = key_id.into();
        validate_identifier(&key_id)?;
        Ok(Self {
            kms: Kms::new(client),
            key_id,
        })
    }

    /// Sends these grant tokens with every KMS call.
    #[must_use]
    pub fn with_grant_tokens<I, S>(mut self, grant_tokens: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.kms.grant_tokens = grant_tokens.into_iter().map(Into::into).collect();
        self
    }

    /// The configured key identifier.
    pub fn key_id(&self) -> &str {
        &self.key_id
    }

    /// Calls `Decrypt` with the configured key for each `aws-kms` EDK whose provider info
    /// `matches` (after failing on any malformed one).
    pub(crate) async fn decrypt_matching(
        &self,
        materials: DecryptionMaterials,
        encrypted_data_keys: &[EncryptedDataKey],
        matches: impl Fn(&str) -> bool,
    ) -> keyward_materials::Result<DecryptionMaterials> {
        self.kms
            .unwrap_first(materials, encrypted_data_keys, |_, info| {
                matches(info).then(|| self.key_id.clone())
            })
            .await
    }
}

#[async_trait]
impl Keyring for KmsKeyring {
    async fn on_encrypt(
        &self,
        materials: EncryptionMaterials,
    ) -> keyward_materials::Result<EncryptionMaterials> {
        traced!(
            self.kms.wrap(&self.key_id, materials),
            "on_encrypt",
            keyring = "aws-kms",
            key_id = %self.key_id
        )
        .await
    }

    async fn on_decrypt(
        &self,
        materials: DecryptionMaterials,
        encrypted_data_keys: &[EncryptedDataKey],
    ) -> keyward_materials::Result<DecryptionMaterials> {
        traced!(
            self.decrypt_matching(materials, encrypted_data_keys, |info| info == self.key_id),
            "on_decrypt",
            keyring = "aws-kms",
            key_id = %self.key_id,
            edks = encrypted_data_keys.len()
        )
        .await
    }
}

impl fmt::Debug for KmsKeyring {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KmsKeyring")
            .field("key_id", &self.key_id)
            .field("client_region", &self.kms.region())
            .field("grant_tokens", &self.kms.grant_tokens.len())
            .finish()
    }
}
