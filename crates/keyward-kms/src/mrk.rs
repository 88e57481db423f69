//! The multi-Region-key-aware keyrings: a strict keyring that decrypts with any replica of its
//! multi-Region key, and a discovery keyring bound to one region.
//!
//! spec: framework/aws-kms/aws-kms-mrk-aware-symmetric-keyring.md,
//! aws-kms-mrk-aware-symmetric-region-discovery-keyring.md

use core::fmt;

use async_trait::async_trait;
use keyward_format::EncryptedDataKey;
use keyward_materials::{DecryptionMaterials, EncryptionMaterials, Keyring};

use crate::arn::mrk_match_for_decrypt;
use crate::discovery::{DiscoveryFilter, KmsDiscoveryKeyring};
use crate::error::Error;
use crate::keyring::KmsKeyring;

/// A strict keyring for one KMS key that, on decrypt, also accepts encrypted data keys of the
/// same multi-Region key in other regions: `Decrypt` is then called on the configured
/// replica. For a single-Region key it behaves as [`crate::KmsKeyring`].
#[derive(Clone)]
pub struct KmsMrkKeyring {
    strict: KmsKeyring,
}

impl KmsMrkKeyring {
    /// A keyring for `key_id`, calling KMS with `client` (which should be in the key's
    /// region).
    ///
    /// # Errors
    /// [`Error::InvalidKeyIdentifier`] for an empty identifier or a malformed ARN.
    pub fn new(client: aws_sdk_kms::Client, key_id: impl Into<String>) -> Result<Self, Error> {
        Ok(Self {
            strict: KmsKeyring::new(client, key_id)?,
        })
    }

    /// Sends these grant tokens with every KMS call.
    #[must_use]
    pub fn with_grant_tokens<I, S>(self, grant_tokens: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        Self {
            strict: self.strict.with_grant_tokens(grant_tokens),
        }
    }

    /// The configured key identifier.
    pub fn key_id(&self) -> &str {
        self.strict.key_id()
    }
}

#[async_trait]
impl Keyring for KmsMrkKeyring {
    async fn on_encrypt(
        &self,
        materials: EncryptionMaterials,
    ) -> keyward_materials::Result<EncryptionMaterials> {
        self.strict.on_encrypt(materials).await
    }

    async fn on_decrypt(
        &self,
        materials: DecryptionMaterials,
        encrypted_data_keys: &[EncryptedDataKey],
    ) -> keyward_materials::Result<DecryptionMaterials> {
        self.strict
            .decrypt_matching(materials, encrypted_data_keys, |info| {
                mrk_match_for_decrypt(self.key_id(), info)
            })
            .await
    }
}

impl fmt::Debug for KmsMrkKeyring {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("KmsMrkKeyring").field(&self.strict).finish()
    }
}

/// A discovery keyring bound to one region: it decrypts single-Region keys of that region,
/// and multi-Region keys of any region through their replica in its own region.
#[derive(Clone)]
pub struct KmsMrkDiscoveryKeyring {
    discovery: KmsDiscoveryKeyring,
    region: String,
}

impl KmsMrkDiscoveryKeyring {
    /// A discovery keyring for `region`, calling KMS with `client`, which must be configured
    /// for the same region.
    ///
    /// # Errors
    /// [`Error::RegionMismatch`] when the client's region differs, or it has none.
    pub fn new(client: aws_sdk_kms::Client, region: impl Into<String>) -> Result<Self, Error> {
        let region = region.into();
        let discovery = KmsDiscoveryKeyring::new(client);
        let client_region = discovery.kms.region();
        if client_region != Some(region.as_str()) || region.is_empty() {
            return Err(Error::RegionMismatch {
                keyring: region,
                client: client_region.map(str::to_owned),
            });
        }
        Ok(Self { discovery, region })
    }

    /// Decrypts only with keys the filter admits.
    #[must_use]
    pub fn with_filter(self, filter: DiscoveryFilter) -> Self {
        Self {
            discovery: self.discovery.with_filter(filter),
            ..self
        }
    }

    /// Sends these grant tokens with every KMS call.
    #[must_use]
    pub fn with_grant_tokens<I, S>(self, grant_tokens: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        Self {
            discovery: self.discovery.with_grant_tokens(grant_tokens),
            ..self
        }
    }

    /// The region.
    pub fn region(&self) -> &str {
        &self.region
    }
}

#[async_trait]
impl Keyring for KmsMrkDiscoveryKeyring {
    async fn on_encrypt(
        &self,
        materials: EncryptionMaterials,
    ) -> keyward_materials::Result<EncryptionMaterials> {
        self.discovery.on_encrypt(materials).await
    }

    async fn on_decrypt(
        &self,
        materials: DecryptionMaterials,
        encrypted_data_keys: &[EncryptedDataKey],
    ) -> keyward_materials::Result<DecryptionMaterials> {
        let region = &self.region;
        let filter = self.discovery.filter();
        self.discovery
            .kms
            .unwrap_first(materials, encrypted_data_keys, |arn, info| {
                if filter.is_some_and(|filter| !filter.allows(arn)) {
                    None
                } else if arn.is_multi_region_key() {
                    Some(arn.with_region(region).to_string())
                } else {
                    (arn.region() == region).then(|| info.to_owned())
                }
            })
            .await
    }
}

impl fmt::Debug for KmsMrkDiscoveryKeyring {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KmsMrkDiscoveryKeyring")
            .field("region", &self.region)
            .field("discovery", &self.discovery)
            .finish()
    }
}
