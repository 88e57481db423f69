//! Multi-keyrings of KMS keyrings across regions: one of keys (a generator and more keys) and
//! a discovery one (one keyring per region), each keyring given a client for its region by a
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

impl<S: ClientSupplier + ?Sized> ClientSupplier for Arc<S> {
    fn client(&self, region: Option<&str>) -> Result<aws_sdk_kms::Client, Error> {
        (**self).client(region)
    }
}

/// Builds a multi-keyring of KMS keyrings, one per key, each with the client of its key's
/// region (the supplier's default region for key ids and aliases): the generator generates
/// the data key, every other key wraps it too; on decrypt any of them may unwrap.
///
/// ```no_run
/// # fn main() -> Result<(), keyward_kms::Error> {
/// # let config = aws_sdk_kms::Config::builder().build();
/// use keyward_kms::{KmsMultiKeyringBuilder, RegionalClients};
///
/// let keyring = KmsMultiKeyringBuilder::new(RegionalClients::new(config))
///     .generator("arn:aws:kms:us-west-2:111122223333:key/mrk-1234abcd")
///     .key("arn:aws:kms:eu-west-1:111122223333:key/0f1e2d3c-aaaa-bbbb-cccc-000011112222")
///     .mrk_aware(true)
///     .build()?;
/// # let _ = keyring;
/// # Ok(())
/// # }
/// ```
#[derive(Debug)]
#[must_use]
pub struct KmsMultiKeyringBuilder {
    supplier: Arc<dyn ClientSupplier>,
    generator: Option<String>,
    keys: Vec<String>,
    mrk_aware: bool,
    grant_tokens: Vec<String>,
}

impl KmsMultiKeyringBuilder {
    /// Starts a multi-keyring whose keyrings get their clients from `supplier`.
    pub fn new(supplier: impl ClientSupplier + 'static) -> Self {
        Self {
            supplier: Arc::new(supplier),
            generator: None,
            keys: Vec::new(),
            mrk_aware: false,
            grant_tokens: Vec::new(),
        }
    }

    /// The key that generates each data key. Without one, encrypting needs materials that
    /// already hold a data key (under another multi-keyring's generator, say).
    pub fn generator(mut self, key_id: impl Into<String>) -> Self {
        self.generator = Some(key_id.into());
        self
    }

    /// A key that wraps each data key too.
    pub fn key(mut self, key_id: impl Into<String>) -> Self {
        self.keys.push(key_id.into());
        self
    }

    /// Several keys that wrap each data key too, in order.
    pub fn keys<I: IntoIterator<Item = S>, S: Into<String>>(mut self, key_ids: I) -> Self {
        self.keys.extend(key_ids.into_iter().map(Into::into));
        self
    }

    /// Multi-Region-key-aware keyrings ([`KmsMrkKeyring`]): a message wrapped under a
    /// multi-Region key decrypts with any replica of it. Two multi-Region keys that share a
    /// resource id are then refused. Default: off ([`KmsKeyring`]).
    pub fn mrk_aware(mut self, mrk_aware: bool) -> Self {
        self.mrk_aware = mrk_aware;
        self
    }

    /// Grant tokens sent with every call.
    pub fn grant_tokens<I: IntoIterator<Item = S>, S: Into<String>>(mut self, tokens: I) -> Self {
        self.grant_tokens.extend(tokens.into_iter().map(Into::into));
        self
    }

    /// Builds the multi-keyring.
    ///
    /// # Errors
    /// [`Error::InvalidConfiguration`] with neither a generator nor a key,
    /// [`Error::InvalidKeyIdentifier`] for a malformed identifier,
    /// [`Error::DuplicateMultiRegionKey`] (multi-Region-key aware only), or the supplier's
    /// error.
    pub fn build(self) -> Result<MultiKeyring, Error> {
        if self.generator.is_none() && self.keys.is_empty() {
            return Err(Error::InvalidConfiguration(
                "a KMS multi-keyring needs a generator or a key",
            ));
        }
        if self.mrk_aware {
            let all: Vec<&str> = self
                .generator
                .iter()
                .chain(&self.keys)
                .map(String::as_str)
                .collect();
            check_unique_multi_region_keys(&all)?;
        }
        let one = |key_id: &str| -> Result<Arc<dyn Keyring>, Error> {
            validate_identifier(key_id)?;
            let client = self.supplier.client(region_of(key_id).as_deref())?;
            let tokens = self.grant_tokens.iter().cloned();
            Ok(if self.mrk_aware {
                Arc::new(KmsMrkKeyring::new(client, key_id)?.with_grant_tokens(tokens))
            } else {
                Arc::new(KmsKeyring::new(client, key_id)?.with_grant_tokens(tokens))
            })
        };
        let mut multi = MultiKeyring::builder();
        if let Some(generator) = &self.generator {
            multi = multi.generator(one(generator)?);
        }
        for key_id in &self.keys {
            multi = multi.child(one(key_id)?);
        }
        multi
            .build()
            .map_err(|_| Error::InvalidConfiguration("a multi-keyring needs a keyring"))
    }
}

/// Builds a multi-keyring of discovery keyrings, one per region, each with its region's
/// client and the same optional filter: it decrypts a message under any KMS key the caller
/// may use (and the filter allows) in those regions.
#[derive(Debug)]
#[must_use]
pub struct KmsDiscoveryMultiKeyringBuilder {
    supplier: Arc<dyn ClientSupplier>,
    regions: Vec<String>,
    filter: Option<DiscoveryFilter>,
    mrk_aware: bool,
    grant_tokens: Vec<String>,
}

impl KmsDiscoveryMultiKeyringBuilder {
    /// Starts a discovery multi-keyring whose keyrings get their clients from `supplier`.
    pub fn new(supplier: impl ClientSupplier + 'static) -> Self {
        Self {
            supplier: Arc::new(supplier),
            regions: Vec::new(),
            filter: None,
            mrk_aware: false,
            grant_tokens: Vec::new(),
        }
    }

    /// A region to discover in.
    pub fn region(mut self, region: impl Into<String>) -> Self {
        self.regions.push(region.into());
        self
    }

    /// Several regions, in order.
    pub fn regions<I: IntoIterator<Item = S>, S: Into<String>>(mut self, regions: I) -> Self {
        self.regions.extend(regions.into_iter().map(Into::into));
        self
    }

    /// Only keys of this partition and these accounts.
    pub fn filter(mut self, filter: DiscoveryFilter) -> Self {
        self.filter = Some(filter);
        self
    }

    /// Multi-Region-key-aware discovery ([`KmsMrkDiscoveryKeyring`]): a multi-Region key's
    /// message is decrypted with the replica in each keyring's own region. Default: off
    /// ([`KmsDiscoveryKeyring`]).
    pub fn mrk_aware(mut self, mrk_aware: bool) -> Self {
        self.mrk_aware = mrk_aware;
        self
    }

    /// Grant tokens sent with every call.
    pub fn grant_tokens<I: IntoIterator<Item = S>, S: Into<String>>(mut self, tokens: I) -> Self {
        self.grant_tokens.extend(tokens.into_iter().map(Into::into));
        self
    }

    /// Builds the multi-keyring.
    ///
    /// # Errors
    /// [`Error::InvalidConfiguration`] for no region or an empty one, or the supplier's error.
    pub fn build(self) -> Result<MultiKeyring, Error> {
        if self.regions.is_empty() || self.regions.iter().any(String::is_empty) {
            return Err(Error::InvalidConfiguration(
                "a discovery multi-keyring needs non-empty regions",
            ));
        }
        let mut multi = MultiKeyring::builder();
        for region in &self.regions {
            let client = self.supplier.client(Some(region))?;
            let tokens = self.grant_tokens.iter().cloned();
            let keyring: Arc<dyn Keyring> = if self.mrk_aware {
                let mut keyring =
                    KmsMrkDiscoveryKeyring::new(client, region)?.with_grant_tokens(tokens);
                if let Some(filter) = &self.filter {
                    keyring = keyring.with_filter(filter.clone());
                }
                Arc::new(keyring)
            } else {
                let mut keyring = KmsDiscoveryKeyring::new(client).with_grant_tokens(tokens);
                if let Some(filter) = &self.filter {
                    keyring = keyring.with_filter(filter.clone());
                }
                Arc::new(keyring)
            };
            multi = multi.child(keyring);
        }
        multi
            .build()
            .map_err(|_| Error::InvalidConfiguration("a multi-keyring needs a keyring"))
    }
}

/// Refuses two multi-Region keys that share a resource id (even the same identifier twice),
/// naming every identifier involved.
fn check_unique_multi_region_keys(identifiers: &[&str]) -> Result<(), Error> {
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
