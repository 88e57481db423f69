//! The AWS KMS discovery keyring: decrypts with whatever KMS key an encrypted data key names,
//! optionally limited to a partition and a set of accounts.
//!
//! spec: framework/aws-kms/aws-kms-discovery-keyring.md

use core::fmt;
use std::collections::BTreeSet;

use async_trait::async_trait;
use keyward_format::EncryptedDataKey;
use keyward_materials::{DecryptionMaterials, EncryptionMaterials, Keyring};

use crate::arn::KmsArn;
use crate::calls::Kms;
use crate::error::Error;

/// Limits discovery keyrings to KMS keys of one partition and a set of accounts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DiscoveryFilter {
    partition: String,
    account_ids: BTreeSet<String>,
}

impl DiscoveryFilter {
    /// A filter for `partition` (`aws`, `aws-cn`, …) and these account ids.
    ///
    /// # Errors
    /// [`Error::InvalidConfiguration`] for an empty partition, no accounts, or an empty
    /// account id.
    pub fn new<I, S>(partition: impl Into<String>, account_ids: I) -> Result<Self, Error>
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        let partition = partition.into();
        let account_ids: BTreeSet<String> = account_ids.into_iter().map(Into::into).collect();
        if partition.is_empty() {
            return Err(Error::InvalidConfiguration(
                "a discovery filter needs a partition",
            ));
        }
        if account_ids.is_empty() || account_ids.iter().any(String::is_empty) {
            return Err(Error::InvalidConfiguration(
                "a discovery filter needs non-empty account ids",
            ));
        }
        Ok(Self {
            partition,
            account_ids,
        })
    }

    /// The partition.
    pub fn partition(&self) -> &str {
        &self.partition
    }

    /// The account ids.
    pub fn account_ids(&self) -> &BTreeSet<String> {
        &self.account_ids
    }

    /// Whether the filter admits the key.
    pub fn allows(&self, arn: &KmsArn) -> bool {
        arn.partition() == self.partition && self.account_ids.contains(arn.account())
    }
}

/// Decrypts any `aws-kms` encrypted data key its client can, calling `Decrypt` with the key
/// ARN the EDK names. It never encrypts. Without a [`DiscoveryFilter`] it trusts every key
/// the caller's credentials can use; prefer a filter.
#[derive(Clone)]
pub struct KmsDiscoveryKeyring {
    pub(crate) kms: Kms,
    filter: Option<DiscoveryFilter>,
}

impl KmsDiscoveryKeyring {
    /// A discovery keyring calling KMS with `client`.
    pub fn new(client: aws_sdk_kms::Client) -> Self {
        Self {
            kms: Kms::new(client),
            filter: None,
        }
    }

    /// Decrypts only with keys the filter admits.
    #[must_use]
    pub fn with_filter(mut self, filter: DiscoveryFilter) -> Self {
        self.filter = Some(filter);
        self
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

    /// The filter, if any.
    pub fn filter(&self) -> Option<&DiscoveryFilter> {
        self.filter.as_ref()
    }
}

#[async_trait]
impl Keyring for KmsDiscoveryKeyring {
    async fn on_encrypt(
        &self,
        _materials: EncryptionMaterials,
    ) -> keyward_materials::Result<EncryptionMaterials> {
        Err(keyward_materials::Error::OperationNotSupported(
            "encrypt: an AWS KMS discovery keyring only decrypts",
        ))
    }

    async fn on_decrypt(
        &self,
        materials: DecryptionMaterials,
        encrypted_data_keys: &[EncryptedDataKey],
    ) -> keyward_materials::Result<DecryptionMaterials> {
        self.kms
            .unwrap_first(materials, encrypted_data_keys, |arn, info| {
                self.filter
                    .as_ref()
                    .is_none_or(|filter| filter.allows(arn))
                    .then(|| info.to_owned())
            })
            .await
    }
}

impl fmt::Debug for KmsDiscoveryKeyring {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KmsDiscoveryKeyring")
            .field("client_region", &self.kms.region())
            .field("filter", &self.filter)
            .field("grant_tokens", &self.kms.grant_tokens.len())
            .finish()
    }
}
