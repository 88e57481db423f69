//! The branch key store on DynamoDB + AWS KMS, item for item and encryption context for
//! encryption context as the official implementations write it.
//!
//! spec: framework/branch-key-store.md

use core::fmt;
use std::sync::Arc;

use async_trait::async_trait;
use aws_sdk_dynamodb::types::AttributeValue;
use aws_sdk_kms::primitives::Blob;
use keyward_kms::{KmsOperation, mrk_match_for_decrypt};
use keyward_materials::{BranchKey, BranchKeyMaterials};
use zeroize::Zeroizing;

use crate::error::{Error, Result, not_found};
use crate::kdf::random_uuid;
use crate::key_store::{BranchKeyVersion, KeyStore, KeyStoreInfo, KmsConfiguration};
use crate::trace::traced;

mod admin;
mod item;
pub(crate) mod timestamp;

pub(crate) use self::item::parse_item_for_fuzzing;
use self::item::{
    ACTIVE, BRANCH_KEY_ID, CREATE_TIME, Item, TYPE, VERSION_PREFIX, key_arn, strip_version,
};

/// Branch keys in a DynamoDB table, each version wrapped by AWS KMS under an encryption
/// context that binds every attribute of its item and the logical key store name. Tables and
/// items are interchangeable with those of the official SDKs (Java, .NET, Python, Rust).
///
/// Cheap to clone. Both clients are used as given.
#[derive(Clone)]
pub struct DynamoDbKeyStore {
    inner: Arc<Inner>,
}

struct Inner {
    ddb: aws_sdk_dynamodb::Client,
    kms: aws_sdk_kms::Client,
    table: String,
    logical_name: String,
    kms_configuration: KmsConfiguration,
    grant_tokens: Vec<String>,
    id: String,
    consistent_reads: bool,
}

/// Builds a [`DynamoDbKeyStore`].
#[must_use]
pub struct DynamoDbKeyStoreBuilder {
    ddb: aws_sdk_dynamodb::Client,
    kms: aws_sdk_kms::Client,
    table: String,
    logical_name: String,
    kms_configuration: KmsConfiguration,
    grant_tokens: Vec<String>,
    id: Option<String>,
    consistent_reads: bool,
}

impl DynamoDbKeyStore {
    /// Starts a key store on `table`, with its logical name (bound into every item's KMS
    /// encryption context: keep one per physical table) and KMS configuration.
    pub fn builder(
        ddb: aws_sdk_dynamodb::Client,
        kms: aws_sdk_kms::Client,
        table: impl Into<String>,
        logical_key_store_name: impl Into<String>,
        kms_configuration: KmsConfiguration,
    ) -> DynamoDbKeyStoreBuilder {
        DynamoDbKeyStoreBuilder {
            ddb,
            kms,
            table: table.into(),
            logical_name: logical_key_store_name.into(),
            kms_configuration,
            grant_tokens: Vec::new(),
            id: None,
            consistent_reads: false,
        }
    }

    fn ddb_error<E, R>(
        &self,
        operation: &'static str,
    ) -> impl FnOnce(aws_sdk_dynamodb::error::SdkError<E, R>) -> Error + '_
    where
        E: aws_sdk_dynamodb::error::ProvideErrorMetadata,
        aws_sdk_dynamodb::Error: From<aws_sdk_dynamodb::error::SdkError<E, R>>,
    {
        move |error| Error::DynamoDb {
            operation,
            table: self.inner.table.clone(),
            kind: keyward_kms::classify_sdk_error(&error),
            source: Box::new(aws_sdk_dynamodb::Error::from(error)),
        }
    }

    /// The configured key ARN, for operations that write (not allowed under discovery).
    fn writable_arn(&self) -> Result<&str> {
        match &self.inner.kms_configuration {
            KmsConfiguration::KeyArn(arn) | KmsConfiguration::MrkKeyArn(arn) => Ok(arn),
            _ => Err(Error::OperationNotSupported(
                "create or version keys with a discovery KMS configuration",
            )),
        }
    }

    /// The key id to call `Decrypt` (or `ReEncrypt`) with for an item protected by
    /// `stored`, after checking that the configuration accepts it.
    fn kms_key_for(&self, id: &str, stored: &str) -> Result<String> {
        let mismatch = |configured: &str| Error::KmsKeyMismatch {
            id: id.to_owned(),
            stored: stored.to_owned(),
            configured: configured.to_owned(),
        };
        match &self.inner.kms_configuration {
            KmsConfiguration::KeyArn(arn) if arn == stored => Ok(arn.clone()),
            KmsConfiguration::MrkKeyArn(arn) if mrk_match_for_decrypt(arn, stored) => {
                Ok(arn.clone())
            }
            KmsConfiguration::KeyArn(arn) | KmsConfiguration::MrkKeyArn(arn) => Err(mismatch(arn)),
            KmsConfiguration::Discovery => {
                key_arn(stored).map_err(|_| mismatch("discovery"))?;
                Ok(stored.to_owned())
            }
            KmsConfiguration::MrkDiscovery { region } => {
                let arn = key_arn(stored).map_err(|_| mismatch("multi-Region discovery"))?;
                Ok(arn.with_region(region).to_string())
            }
        }
    }

    async fn get_item(&self, id: &str, sort_key: &str) -> Result<Option<Item>> {
        let output = traced!(self
            .inner
            .ddb
            .get_item()
            .table_name(&self.inner.table)
            .key(BRANCH_KEY_ID, AttributeValue::S(id.to_owned()))
            .key(TYPE, AttributeValue::S(sort_key.to_owned()))
            .consistent_read(self.inner.consistent_reads)
            .send(), "dynamodb", operation = "GetItem", table = %self.inner.table, branch_key_id = %id, sort_key = %sort_key)
            .await
            .map_err(self.ddb_error("GetItem"))?;
        output
            .item
            .map(|item| Item::parse(id, sort_key, item))
            .transpose()
    }

    /// Every item of a branch key (its versions, the active item and the beacon key), in
    /// pages of one `Query` each, parsed; unknown sort keys are refused.
    async fn query_items(&self, id: &str) -> Result<Vec<Item>> {
        let mut items = Vec::new();
        let mut start = None;
        loop {
            let output = traced!(self
                .inner
                .ddb
                .query()
                .table_name(&self.inner.table)
                .key_condition_expression("#id = :id")
                .expression_attribute_names("#id", BRANCH_KEY_ID)
                .expression_attribute_values(":id", AttributeValue::S(id.to_owned()))
                .consistent_read(self.inner.consistent_reads)
                .set_exclusive_start_key(start.take())
                .send(), "dynamodb", operation = "Query", table = %self.inner.table, branch_key_id = %id)
                .await
                .map_err(self.ddb_error("Query"))?;
            for item in output.items.unwrap_or_default() {
                let sort_key = match item.get(TYPE) {
                    Some(AttributeValue::S(kind)) => kind.clone(),
                    _ => {
                        return Err(Error::InvalidItem {
                            id: id.to_owned(),
                            reason: "an item has no string type",
                        });
                    }
                };
                items.push(Item::parse(id, &sort_key, item)?);
            }
            match output.last_evaluated_key {
                Some(key) if !key.is_empty() => start = Some(key),
                _ => return Ok(items),
            }
        }
    }

    /// Decrypts an item's key: checks its KMS key, rebuilds its encryption context, calls
    /// `Decrypt`, checks the 32-byte result.
    async fn unwrap_item(&self, item: &Item) -> Result<Arc<BranchKey>> {
        let key_id = self.kms_key_for(&item.branch_key_id, &item.kms_arn)?;
        let operation = KmsOperation::Decrypt;
        let mut output = traced!(self
            .inner
            .kms
            .decrypt()
            .key_id(&key_id)
            .ciphertext_blob(Blob::new(item.enc.clone()))
            .set_encryption_context(Some(item.kms_context(&self.inner.logical_name)))
            .set_grant_tokens(self.grant_tokens())
            .send(), "kms", operation = %operation, key_id = %key_id, branch_key_id = %item.branch_key_id)
            .await
            .map_err(|error| kms_error(operation, &key_id, error))?;
        // KMS must answer for the key it was asked to use.
        if output.key_id() != Some(key_id.as_str()) {
            return Err(Error::KmsResponse {
                operation,
                reason: "the response names another KMS key than the request",
            });
        }
        let plaintext = Zeroizing::new(
            output
                .plaintext
                .take()
                .ok_or(Error::KmsResponse {
                    operation,
                    reason: "no plaintext",
                })?
                .into_inner(),
        );
        if plaintext.len() != 32 {
            return Err(Error::KmsResponse {
                operation,
                reason: "the branch key is not 32 bytes",
            });
        }
        Ok(Arc::new(BranchKey::from_slice(&plaintext)))
    }

    fn grant_tokens(&self) -> Option<Vec<String>> {
        (!self.inner.grant_tokens.is_empty()).then(|| self.inner.grant_tokens.clone())
    }
}

#[async_trait]
impl KeyStore for DynamoDbKeyStore {
    fn info(&self) -> KeyStoreInfo {
        KeyStoreInfo {
            id: self.inner.id.clone(),
            table_name: Some(self.inner.table.clone()),
            logical_key_store_name: self.inner.logical_name.clone(),
            grant_tokens: self.inner.grant_tokens.clone(),
            kms_configuration: Some(self.inner.kms_configuration.clone()),
        }
    }

    async fn get_active_branch_key(&self, branch_key_id: &str) -> Result<BranchKeyMaterials> {
        let item = self
            .get_item(branch_key_id, ACTIVE)
            .await?
            .ok_or_else(|| not_found(branch_key_id, None))?;
        let version = item.version.clone().ok_or(Error::InvalidItem {
            id: branch_key_id.to_owned(),
            reason: "the active item has no version",
        })?;
        let key = self.unwrap_item(&item).await?;
        Ok(BranchKeyMaterials::new(
            branch_key_id,
            strip_version(&version),
            key,
            item.custom_context(),
        ))
    }

    async fn get_branch_key_version(
        &self,
        branch_key_id: &str,
        version: &str,
    ) -> Result<BranchKeyMaterials> {
        let sort_key = format!("{VERSION_PREFIX}{version}");
        let item = self
            .get_item(branch_key_id, &sort_key)
            .await?
            .ok_or_else(|| not_found(branch_key_id, Some(version)))?;
        let key = self.unwrap_item(&item).await?;
        Ok(BranchKeyMaterials::new(
            branch_key_id,
            version,
            key,
            item.custom_context(),
        ))
    }

    async fn get_branch_key_versions(&self, branch_key_id: &str) -> Result<Vec<BranchKeyVersion>> {
        let items = self.query_items(branch_key_id).await?;
        let active = items
            .iter()
            .find_map(|item| item.version.as_deref().map(strip_version))
            .map(str::to_owned);
        let mut versions: Vec<BranchKeyVersion> = items
            .iter()
            .filter_map(|item| {
                let version = item.strings.get(TYPE)?.strip_prefix(VERSION_PREFIX)?;
                let mut listed = BranchKeyVersion::new(
                    branch_key_id,
                    version,
                    item.strings.get(CREATE_TIME).cloned().unwrap_or_default(),
                    item.custom_context(),
                );
                listed.kms_key_arn = Some(item.kms_arn.clone());
                listed.active = active.as_deref() == Some(version);
                Some(listed)
            })
            .collect();
        if versions.is_empty() {
            return Err(not_found(branch_key_id, None));
        }
        // Newest first; the timestamps sort as text (fixed width, UTC).
        versions.sort_by(|a, b| {
            b.create_time
                .cmp(&a.create_time)
                .then_with(|| a.version.cmp(&b.version))
        });
        Ok(versions)
    }
}

impl fmt::Debug for DynamoDbKeyStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DynamoDbKeyStore")
            .field("table", &self.inner.table)
            .field("logical_key_store_name", &self.inner.logical_name)
            .field("kms_configuration", &self.inner.kms_configuration)
            .field("grant_tokens", &self.inner.grant_tokens.len())
            .field("consistent_reads", &self.inner.consistent_reads)
            .finish_non_exhaustive()
    }
}

impl DynamoDbKeyStoreBuilder {
    /// Grant tokens for every KMS call.
    pub fn grant_tokens<I, S>(mut self, grant_tokens: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.grant_tokens = grant_tokens.into_iter().map(Into::into).collect();
        self
    }

    /// Strongly consistent DynamoDB reads (default: eventually consistent, as the official
    /// SDKs read). With them a process sees a branch key or version right after it was
    /// created or rotated, anywhere, at twice the read cost; without them a read within about
    /// a second of the write may miss it.
    pub fn consistent_reads(mut self, consistent_reads: bool) -> Self {
        self.consistent_reads = consistent_reads;
        self
    }

    /// The store's id (default: a random UUID).
    pub fn id(mut self, id: impl Into<String>) -> Self {
        self.id = Some(id.into());
        self
    }

    /// Builds the store.
    ///
    /// # Errors
    /// [`Error::InvalidConfiguration`] for an empty table or logical name, or a configured
    /// KMS key that is not a key ARN (aliases cannot protect branch keys).
    pub fn build(self) -> Result<DynamoDbKeyStore> {
        if self.table.is_empty() || self.logical_name.is_empty() {
            return Err(Error::InvalidConfiguration(
                "the table and the logical key store name must be non-empty",
            ));
        }
        match &self.kms_configuration {
            KmsConfiguration::KeyArn(arn) | KmsConfiguration::MrkKeyArn(arn) => {
                key_arn(arn)?;
            }
            KmsConfiguration::MrkDiscovery { region } if region.is_empty() => {
                return Err(Error::InvalidConfiguration("the discovery region is empty"));
            }
            _ => {}
        }
        let id = match self.id {
            Some(id) => id,
            None => random_uuid()?,
        };
        Ok(DynamoDbKeyStore {
            inner: Arc::new(Inner {
                ddb: self.ddb,
                kms: self.kms,
                table: self.table,
                logical_name: self.logical_name,
                kms_configuration: self.kms_configuration,
                grant_tokens: self.grant_tokens,
                id,
                consistent_reads: self.consistent_reads,
            }),
        })
    }
}

impl fmt::Debug for DynamoDbKeyStoreBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DynamoDbKeyStoreBuilder")
            .field("table", &self.table)
            .field("logical_key_store_name", &self.logical_name)
            .field("kms_configuration", &self.kms_configuration)
            .finish_non_exhaustive()
    }
}

/// A DynamoDB request that its builder refused (a required field the code did not set).
fn not_built(_: aws_sdk_dynamodb::error::BuildError) -> Error {
    Error::InvalidConfiguration("a DynamoDB request could not be built")
}

fn kms_error<E, R>(
    operation: KmsOperation,
    key_id: &str,
    error: aws_sdk_kms::error::SdkError<E, R>,
) -> Error
where
    E: aws_sdk_kms::error::ProvideErrorMetadata,
    aws_sdk_kms::Error: From<aws_sdk_kms::error::SdkError<E, R>>,
{
    Error::Kms(keyward_kms::Error::from_sdk(operation, key_id, error))
}
