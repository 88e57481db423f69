//! Multi-keyrings of KMS keyrings across regions: a strict one (generator + children) and a
//! discovery one (one keyring per region), each key given a client for its region by a
//! [`ClientSupplier`].
//!
//! spec: framework/aws-kms/aws-kms-multi-keyrings.md, aws-kms-mrk-are-unique.md

use core::fmt;
use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};

use aws_sdk_kms::config::Region;
use keyward_materials::{Keyring, MultiKeyring};

use crate::arn::{KmsArn, is_multi_region_key, region_of, validate_identifier};
use crate::discovery::{DiscoveryFilter, KmsDiscoveryKeyring};
use crate::error::Error;
use crate::keyring::KmsKeyring;
use crate::mrk::{KmsMrkDiscoveryKeyring, KmsMrkKeyring};

/// Gives a KMS client for a region.
pub trait ClientSupplier: Send + Sync + fmt::Debug {
    /// The client for `region`, or for the supplier's default region when `None` (a key id
    /// or alias that names no region).
    ///
    /// # Errors
    /// [`Error::NoClientForRegion`] when the supplier has none.
    fn client(&self, region: Option<&str>) -> Result<aws_sdk_kms::Client, Error>;
}

/// The usual supplier: one client per region, all built from one KMS configuration (its
/// credentials, HTTP client, retry policy, interceptors and endpoint), with only the region
/// changed. Clients are built once and shared.
#[derive(Clone)]
pub struct RegionalClients {
    config: aws_sdk_kms::Config,
    clients: Arc<Mutex<HashMap<String, aws_sdk_kms::Client>>>,
}

impl RegionalClients {
    /// A supplier deriving every regional client from `config`; its region, if any, is the
    /// default region.
    pub fn new(config: aws_sdk_kms::Config) -> Self {
        Self {
            config,
            clients: Arc::default(),
        }
    }
}

impl ClientSupplier for RegionalClients {
    fn client(&self, region: Option<&str>) -> Result<aws_sdk_kms::Client, Error> {
        let region = match region {
            Some(region) => region.to_owned(),
            None => self
                .config
                .region()
                .map(|region| region.as_ref().to_owned())
                .ok_or(Error::NoClientForRegion {
                    region: None,
                    source: None,
                })?,
        };
        let mut clients = self
            .clients
            .lock()
            .unwrap_or_else(|poison| poison.into_inner());
        let client = clients.entry(region.clone()).or_insert_with(|| {
            let config = self.config.to_builder().region(Region::new(region)).build();
            aws_sdk_kms::Client::from_conf(config)
        });
        Ok(client.clone())
    }
}

impl fmt::Debug for RegionalClients {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RegionalClients")
            .field("default_region", &self.config.region())
            .finish_non_exhaustive()
    }
}

/// A multi-keyring of strict KMS keyrings: the generator generates the data key and every
/// child wraps it too; on decrypt any of them may unwrap. Each key gets the client of its
/// ARN's region (the default region for key ids and aliases).
///
/// # Errors
/// [`Error::InvalidConfiguration`] with neither a generator nor a child,
/// [`Error::InvalidKeyIdentifier`] for a malformed identifier, or the supplier's error.
pub fn strict_multi_keyring<S: AsRef<str>>(
    supplier: &dyn ClientSupplier,
    generator: Option<&str>,
    key_ids: &[S],
    grant_tokens: &[String],
) -> Result<MultiKeyring, Error> {
    build_strict(supplier, generator, key_ids, |client, key_id| {
        Ok(Arc::new(
            KmsKeyring::new(client, key_id)?.with_grant_tokens(grant_tokens.iter().cloned()),
        ))
    })
}

/// As [`strict_multi_keyring`] with multi-Region-key-aware keyrings; two multi-Region keys
/// that share a resource id are refused.
///
/// # Errors
/// As [`strict_multi_keyring`], and [`Error::DuplicateMultiRegionKey`].
pub fn mrk_multi_keyring<S: AsRef<str>>(
    supplier: &dyn ClientSupplier,
    generator: Option<&str>,
    key_ids: &[S],
    grant_tokens: &[String],
) -> Result<MultiKeyring, Error> {
    let all: Vec<&str> = generator
        .into_iter()
        .chain(key_ids.iter().map(AsRef::as_ref))
        .collect();
    check_unique_multi_region_keys(&all)?;
    build_strict(supplier, generator, key_ids, |client, key_id| {
        Ok(Arc::new(
            KmsMrkKeyring::new(client, key_id)?.with_grant_tokens(grant_tokens.iter().cloned()),
        ))
    })
}

/// A multi-keyring of discovery keyrings, one per region, each with its region's client and
/// the same optional filter.
///
/// # Errors
/// [`Error::InvalidConfiguration`] for no region or an empty one, or the supplier's error.
pub fn discovery_multi_keyring<S: AsRef<str>>(
    supplier: &dyn ClientSupplier,
    regions: &[S],
    filter: Option<DiscoveryFilter>,
    grant_tokens: &[String],
) -> Result<MultiKeyring, Error> {
    build_discovery(regions, |region| {
        let mut keyring = KmsDiscoveryKeyring::new(supplier.client(Some(region))?)
            .with_grant_tokens(grant_tokens.iter().cloned());
        if let Some(filter) = &filter {
            keyring = keyring.with_filter(filter.clone());
        }
        Ok(Arc::new(keyring))
    })
}

/// As [`discovery_multi_keyring`] with multi-Region-key-aware discovery keyrings.
///
/// # Errors
/// As [`discovery_multi_keyring`].
pub fn mrk_discovery_multi_keyring<S: AsRef<str>>(
    supplier: &dyn ClientSupplier,
    regions: &[S],
    filter: Option<DiscoveryFilter>,
    grant_tokens: &[String],
) -> Result<MultiKeyring, Error> {
    build_discovery(regions, |region| {
        let mut keyring = KmsMrkDiscoveryKeyring::new(supplier.client(Some(region))?, region)?
            .with_grant_tokens(grant_tokens.iter().cloned());
        if let Some(filter) = &filter {
            keyring = keyring.with_filter(filter.clone());
        }
        Ok(Arc::new(keyring))
    })
}

/// Refuses two multi-Region keys that share a resource id (even the same identifier twice),
/// naming every identifier involved.
///
/// # Errors
/// [`Error::DuplicateMultiRegionKey`].
pub fn check_unique_multi_region_keys(identifiers: &[&str]) -> Result<(), Error> {
    let mut seen: BTreeMap<String, &str> = BTreeMap::new();
    for &identifier in identifiers.iter().filter(|id| is_multi_region_key(id)) {
        let resource_id = KmsArn::parse(identifier)
            .map(|arn| arn.resource_id().to_owned())
            .unwrap_or_else(|_| identifier.to_owned());
        if let Some(first) = seen.insert(resource_id, identifier) {
            return Err(Error::DuplicateMultiRegionKey {
                first: first.to_owned(),
                second: identifier.to_owned(),
            });
        }
    }
    Ok(())
}

fn build_strict<S: AsRef<str>>(
    supplier: &dyn ClientSupplier,
    generator: Option<&str>,
    key_ids: &[S],
    build: impl Fn(aws_sdk_kms::Client, &str) -> Result<Arc<dyn Keyring>, Error>,
) -> Result<MultiKeyring, Error> {
    if generator.is_none() && key_ids.is_empty() {
        return Err(Error::InvalidConfiguration(
            "a strict multi-keyring needs a generator or a key",
        ));
    }
    let one = |key_id: &str| -> Result<Arc<dyn Keyring>, Error> {
        validate_identifier(key_id)?;
        build(supplier.client(region_of(key_id).as_deref())?, key_id)
    };
    let generator = generator.map(one).transpose()?;
    let children = key_ids
        .iter()
        .map(|key_id| one(key_id.as_ref()))
        .collect::<Result<Vec<_>, _>>()?;
    MultiKeyring::new(generator, children)
        .map_err(|_| Error::InvalidConfiguration("a multi-keyring needs a keyring"))
}

fn build_discovery<S: AsRef<str>>(
    regions: &[S],
    build: impl Fn(&str) -> Result<Arc<dyn Keyring>, Error>,
) -> Result<MultiKeyring, Error> {
    if regions.is_empty() || regions.iter().any(|region| region.as_ref().is_empty()) {
        return Err(Error::InvalidConfiguration(
            "a discovery multi-keyring needs non-empty regions",
        ));
    }
    let children = regions
        .iter()
        .map(|region| build(region.as_ref()))
        .collect::<Result<Vec<_>, _>>()?;
    MultiKeyring::new(None, children)
        .map_err(|_| Error::InvalidConfiguration("a multi-keyring needs a keyring"))
}
