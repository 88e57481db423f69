//! AWS KMS key identifiers: ARN parsing, multi-Region key (MRK) detection and the MRK match.
//!
//! spec: framework/aws-kms/aws-kms-key-arn.md, aws-kms-mrk-match-for-decrypt.md

use core::fmt;

use crate::error::Error;

/// A parsed AWS KMS ARN: `arn:partition:kms:region:account:type/id`.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct KmsArn {
    partition: String,
    region: String,
    account: String,
    resource_type: ResourceType,
    resource_id: String,
}

impl KmsArn {
    /// Parses an ARN by the rules of the specification: six `:`-separated parts, the literal
    /// `arn`, a non-empty partition, the service `kms`, non-empty region and account, and a
    /// `key/…` or `alias/…` resource with a non-empty id.
    ///
    /// # Errors
    /// [`Error::InvalidKeyIdentifier`] naming the first rule the input breaks.
    pub fn parse(arn: &str) -> Result<Self, Error> {
        let invalid = |reason| Error::InvalidKeyIdentifier {
            identifier: arn.to_owned(),
            reason,
        };
        let mut parts = arn.splitn(6, ':');
        let mut next = || parts.next().unwrap_or_default();
        let (prefix, partition, service, region, account, resource) =
            (next(), next(), next(), next(), next(), next());
        if prefix != "arn" {
            return Err(invalid("an ARN starts with \"arn:\""));
        }
        if partition.is_empty() {
            return Err(invalid("the partition is empty"));
        }
        if service != "kms" {
            return Err(invalid("the service is not \"kms\""));
        }
        if region.is_empty() {
            return Err(invalid("the region is empty"));
        }
        if account.is_empty() {
            return Err(invalid("the account is empty"));
        }
        if resource.is_empty() {
            return Err(invalid("the resource is empty"));
        }
        let (kind, id) = resource
            .split_once('/')
            .ok_or_else(|| invalid("the resource is not \"type/id\""))?;
        let resource_type = match kind {
            "key" => ResourceType::Key,
            "alias" => ResourceType::Alias,
            _ => {
                return Err(invalid(
                    "the resource type is neither \"key\" nor \"alias\"",
                ));
            }
        };
        if id.is_empty() {
            return Err(invalid("the resource id is empty"));
        }
        Ok(Self {
            partition: partition.to_owned(),
            region: region.to_owned(),
            account: account.to_owned(),
            resource_type,
            resource_id: id.to_owned(),
        })
    }

    /// The partition (`aws`, `aws-cn`, `aws-us-gov`, …).
    pub fn partition(&self) -> &str {
        &self.partition
    }

    /// The region.
    pub fn region(&self) -> &str {
        &self.region
    }

    /// The account id.
    pub fn account(&self) -> &str {
        &self.account
    }

    /// The resource type.
    pub fn resource_type(&self) -> ResourceType {
        self.resource_type
    }

    /// The resource id (the key id, or the alias name without `alias/`).
    pub fn resource_id(&self) -> &str {
        &self.resource_id
    }

    /// Whether the ARN names a multi-Region key: a `key` whose id starts with `mrk-`. Aliases
    /// are never multi-Region keys.
    pub fn is_multi_region_key(&self) -> bool {
        self.resource_type == ResourceType::Key && self.resource_id.starts_with("mrk-")
    }

    /// The same ARN in another region.
    #[must_use]
    pub fn with_region(&self, region: &str) -> Self {
        Self {
            region: region.to_owned(),
            ..self.clone()
        }
    }
}

impl fmt::Display for KmsArn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let kind = match self.resource_type {
            ResourceType::Key => "key",
            ResourceType::Alias => "alias",
        };
        write!(
            f,
            "arn:{}:kms:{}:{}:{kind}/{}",
            self.partition, self.region, self.account, self.resource_id
        )
    }
}

/// The resource type of a KMS ARN.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ResourceType {
    /// `key/…`: a KMS key.
    Key,
    /// `alias/…`: an alias.
    Alias,
}

/// Checks a key identifier as a keyring accepts it: a valid ARN when it starts with `arn:`,
/// otherwise a non-empty key id, multi-Region key id or `alias/…` name.
///
/// # Errors
/// [`Error::InvalidKeyIdentifier`].
pub(crate) fn validate_identifier(identifier: &str) -> Result<(), Error> {
    if identifier.is_empty() {
        return Err(Error::InvalidKeyIdentifier {
            identifier: String::new(),
            reason: "the key identifier is empty",
        });
    }
    if identifier.starts_with("arn:") {
        KmsArn::parse(identifier)?;
    } else if identifier == "alias/" {
        return Err(Error::InvalidKeyIdentifier {
            identifier: identifier.to_owned(),
            reason: "the alias name is empty",
        });
    }
    Ok(())
}

/// Whether a key identifier names a multi-Region key: an ARN of an MRK, or a bare key id
/// starting with `mrk-`. Aliases and ARNs that do not parse are not.
pub(crate) fn is_multi_region_key(identifier: &str) -> bool {
    if identifier.starts_with("arn:") {
        KmsArn::parse(identifier).is_ok_and(|arn| arn.is_multi_region_key())
    } else {
        identifier.starts_with("mrk-")
    }
}

/// The match a multi-Region-key-aware keyring applies on decrypt: identical identifiers
/// match; otherwise both must be ARNs of multi-Region keys that agree on everything but the
/// region.
pub fn mrk_match_for_decrypt(configured: &str, candidate: &str) -> bool {
    if configured == candidate {
        return true;
    }
    let (Ok(a), Ok(b)) = (KmsArn::parse(configured), KmsArn::parse(candidate)) else {
        return false;
    };
    a.is_multi_region_key()
        && b.is_multi_region_key()
        && a.partition == b.partition
        && a.account == b.account
        && a.resource_type == b.resource_type
        && a.resource_id == b.resource_id
}

/// The region of an identifier, when it is an ARN.
pub(crate) fn region_of(identifier: &str) -> Option<String> {
    KmsArn::parse(identifier)
        .ok()
        .map(|arn| arn.region().to_owned())
}

/// Parses the provider info of an `aws-kms` encrypted data key: it must be a UTF-8 ARN of a
/// `key` resource.
pub(crate) fn parse_provider_info(info: &[u8]) -> Result<(KmsArn, &str), Error> {
    let text = core::str::from_utf8(info).map_err(|_| Error::InvalidProviderInfo {
        provider_info: String::from_utf8_lossy(info).into_owned(),
        reason: "not UTF-8",
    })?;
    let arn = KmsArn::parse(text).map_err(|error| Error::InvalidProviderInfo {
        provider_info: text.to_owned(),
        reason: match error {
            Error::InvalidKeyIdentifier { reason, .. } => reason,
            _ => "not a key ARN",
        },
    })?;
    if arn.resource_type != ResourceType::Key {
        return Err(Error::InvalidProviderInfo {
            provider_info: text.to_owned(),
            reason: "the ARN names an alias, not a key",
        });
    }
    Ok((arn, text))
}

#[cfg(test)]
mod tests;
