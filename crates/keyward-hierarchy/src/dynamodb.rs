//! The branch key store on DynamoDB + AWS KMS, item for item and encryption context for
//! encryption context as the official implementations write it.
//!
//! spec: framework/branch-key-store.md

use core::fmt;
use core::time::Duration;
use std::collections::HashMap;
use std::sync::Arc;

use async_trait::async_trait;
use aws_sdk_dynamodb::types::{
    AttributeDefinition, AttributeValue, BillingMode, KeySchemaElement, KeyType, Put,
    ScalarAttributeType, TableStatus, TransactWriteItem,
};
use aws_sdk_kms::primitives::Blob;
use keyward_format::EncryptionContext;
use keyward_kms::{KmsArn, KmsOperation, ResourceType, mrk_match_for_decrypt};
use keyward_materials::{BranchKey, BranchKeyMaterials};
use zeroize::Zeroizing;

use crate::error::{Error, Result};
use crate::kdf::random_uuid;
use crate::key_store::{
    BeaconKeyMaterials, KeyStore, KeyStoreInfo, KmsConfiguration, check_create_key,
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
        }
    }

    /// Creates the table (`branch-key-id` hash key, `type` range key, on-demand billing) or
    /// checks an existing one, waits until it is active, and returns its ARN.
    ///
    /// # Errors
    /// [`Error::InvalidConfiguration`] when an existing table has another key schema;
    /// [`Error::DynamoDb`] when DynamoDB fails.
    pub async fn create_key_store(&self) -> Result<String> {
        let table = &self.inner.table;
        let ddb = &self.inner.ddb;
        match ddb.describe_table().table_name(table).send().await {
            Ok(output) => {
                let description = output.table.ok_or(Error::InvalidConfiguration(
                    "DescribeTable returned no table",
                ))?;
                let has_attribute = |name: &str| {
                    description.attribute_definitions().iter().any(|a| {
                        a.attribute_name() == name && *a.attribute_type() == ScalarAttributeType::S
                    })
                };
                let has_key = |name: &str, kind: KeyType| {
                    description
                        .key_schema()
                        .iter()
                        .any(|k| k.attribute_name() == name && *k.key_type() == kind)
                };
                if !(has_attribute(BRANCH_KEY_ID)
                    && has_attribute(TYPE)
                    && has_key(BRANCH_KEY_ID, KeyType::Hash)
                    && has_key(TYPE, KeyType::Range))
                {
                    return Err(Error::InvalidConfiguration(
                        "the table exists without the key store's key schema",
                    ));
                }
                description
                    .table_arn
                    .ok_or(Error::InvalidConfiguration("DescribeTable returned no ARN"))
            }
            Err(error)
                if error
                    .as_service_error()
                    .is_some_and(|e| e.is_resource_not_found_exception()) =>
            {
                let attribute = |name: &str| {
                    AttributeDefinition::builder()
                        .attribute_name(name)
                        .attribute_type(ScalarAttributeType::S)
                        .build()
                };
                let key = |name: &str, kind| {
                    KeySchemaElement::builder()
                        .attribute_name(name)
                        .key_type(kind)
                        .build()
                };
                let output = ddb
                    .create_table()
                    .table_name(table)
                    .attribute_definitions(attribute(BRANCH_KEY_ID).map_err(not_built)?)
                    .attribute_definitions(attribute(TYPE).map_err(not_built)?)
                    .key_schema(key(BRANCH_KEY_ID, KeyType::Hash).map_err(not_built)?)
                    .key_schema(key(TYPE, KeyType::Range).map_err(not_built)?)
                    .billing_mode(BillingMode::PayPerRequest)
                    .send()
                    .await
                    .map_err(self.ddb_error("CreateTable"))?;
                let arn = output
                    .table_description
                    .and_then(|t| t.table_arn)
                    .ok_or(Error::InvalidConfiguration("CreateTable returned no ARN"))?;
                self.wait_active().await?;
                Ok(arn)
            }
            Err(error) => Err(self.ddb_error("DescribeTable")(error)),
        }
    }

    async fn wait_active(&self) -> Result<()> {
        for _ in 0..120 {
            let output = self
                .inner
                .ddb
                .describe_table()
                .table_name(&self.inner.table)
                .send()
                .await
                .map_err(self.ddb_error("DescribeTable"))?;
            if output.table().and_then(|t| t.table_status()) == Some(&TableStatus::Active) {
                return Ok(());
            }
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
        Err(Error::InvalidConfiguration(
            "the table did not become active within 60 s",
        ))
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
        let output = self
            .inner
            .ddb
            .get_item()
            .table_name(&self.inner.table)
            .key(BRANCH_KEY_ID, AttributeValue::S(id.to_owned()))
            .key(TYPE, AttributeValue::S(sort_key.to_owned()))
            .send()
            .await
            .map_err(self.ddb_error("GetItem"))?;
        output
            .item
            .map(|item| Item::parse(id, sort_key, item))
            .transpose()
    }

    /// Decrypts an item's key: checks its KMS key, rebuilds its encryption context, calls
    /// `Decrypt`, checks the 32-byte result.
    async fn unwrap_item(&self, item: &Item) -> Result<Arc<BranchKey>> {
        let key_id = self.kms_key_for(&item.branch_key_id, &item.kms_arn)?;
        let operation = KmsOperation::Decrypt;
        let mut output = self
            .inner
            .kms
            .decrypt()
            .key_id(&key_id)
            .ciphertext_blob(Blob::new(item.enc.clone()))
            .set_encryption_context(Some(item.kms_context(&self.inner.logical_name)))
            .set_grant_tokens(self.grant_tokens())
            .send()
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

    /// `GenerateDataKeyWithoutPlaintext` of a 32-byte key under `context`.
    async fn generate(&self, arn: &str, context: &HashMap<String, String>) -> Result<Vec<u8>> {
        let operation = KmsOperation::GenerateDataKeyWithoutPlaintext;
        let output = self
            .inner
            .kms
            .generate_data_key_without_plaintext()
            .key_id(arn)
            .number_of_bytes(32)
            .set_encryption_context(Some(context.clone()))
            .set_grant_tokens(self.grant_tokens())
            .send()
            .await
            .map_err(|error| kms_error(operation, arn, error))?;
        if output.key_id().is_none_or(|id| key_arn(id).is_err()) {
            return Err(Error::KmsResponse {
                operation,
                reason: "the response key id is not a key ARN",
            });
        }
        Ok(output
            .ciphertext_blob
            .ok_or(Error::KmsResponse {
                operation,
                reason: "no ciphertext",
            })?
            .into_inner())
    }

    /// `ReEncrypt` from one context to another under the same key.
    async fn re_encrypt(
        &self,
        arn: &str,
        ciphertext: &[u8],
        from: &HashMap<String, String>,
        to: &HashMap<String, String>,
    ) -> Result<Vec<u8>> {
        let operation = KmsOperation::ReEncrypt;
        let output = self
            .inner
            .kms
            .re_encrypt()
            .ciphertext_blob(Blob::new(ciphertext))
            .source_key_id(arn)
            .set_source_encryption_context(Some(from.clone()))
            .destination_key_id(arn)
            .set_destination_encryption_context(Some(to.clone()))
            .set_grant_tokens(self.grant_tokens())
            .send()
            .await
            .map_err(|error| kms_error(operation, arn, error))?;
        Ok(output
            .ciphertext_blob
            .ok_or(Error::KmsResponse {
                operation,
                reason: "no ciphertext",
            })?
            .into_inner())
    }

    /// Writes items in one transaction; a failed condition is a [`Error::VersionConflict`]
    /// (or an existing key, for creation).
    async fn write(&self, id: &str, puts: Vec<Write<'_>>) -> Result<()> {
        let mut request = self.inner.ddb.transact_write_items();
        for Write {
            item,
            condition,
            old_enc,
        } in puts
        {
            let mut put = Put::builder()
                .table_name(&self.inner.table)
                .set_item(Some(item))
                .condition_expression(condition)
                .expression_attribute_names("#BranchKeyIdentifierField", BRANCH_KEY_ID);
            if let Some(old) = old_enc {
                put = put.expression_attribute_values(":encOld", AttributeValue::B(Blob::new(old)));
            }
            let put = put.build().map_err(not_built)?;
            request = request.transact_items(TransactWriteItem::builder().put(put).build());
        }
        match request.send().await {
            Ok(_) => Ok(()),
            Err(error)
                if error
                    .as_service_error()
                    .is_some_and(|e| e.is_transaction_canceled_exception()) =>
            {
                Err(Error::VersionConflict { id: id.to_owned() })
            }
            Err(error) => Err(self.ddb_error("TransactWriteItems")(error)),
        }
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

    async fn get_beacon_key(&self, branch_key_id: &str) -> Result<BeaconKeyMaterials> {
        let item = self
            .get_item(branch_key_id, BEACON)
            .await?
            .ok_or_else(|| not_found(branch_key_id, None))?;
        let key = self.unwrap_item(&item).await?;
        Ok(BeaconKeyMaterials::new(
            branch_key_id,
            key,
            item.custom_context(),
        ))
    }

    async fn create_key(
        &self,
        branch_key_id: Option<&str>,
        encryption_context: &EncryptionContext,
    ) -> Result<String> {
        let arn = self.writable_arn()?.to_owned();
        let id = check_create_key(branch_key_id, encryption_context)?;
        if encryption_context.keys().any(str::is_empty) {
            return Err(Error::InvalidConfiguration(
                "encryption context keys must be non-empty",
            ));
        }
        let version = random_uuid()?;
        let mut decrypt_only = HashMap::from([
            (BRANCH_KEY_ID.to_owned(), id.clone()),
            (TYPE.to_owned(), format!("{VERSION_PREFIX}{version}")),
            (CREATE_TIME.to_owned(), timestamp()),
            (KMS_ARN.to_owned(), arn.clone()),
            (HIERARCHY_VERSION.to_owned(), "1".to_owned()),
            (TABLE_NAME.to_owned(), self.inner.logical_name.clone()),
        ]);
        for (key, value) in encryption_context.iter() {
            decrypt_only.insert(format!("{CUSTOM_PREFIX}{key}"), value.to_owned());
        }
        let active = active_context(&decrypt_only, &version);
        let mut beacon = decrypt_only.clone();
        beacon.insert(TYPE.to_owned(), BEACON.to_owned());

        let version_enc = self.generate(&arn, &decrypt_only).await?;
        let active_enc = self
            .re_encrypt(&arn, &version_enc, &decrypt_only, &active)
            .await?;
        let beacon_enc = self.generate(&arn, &beacon).await?;
        let create = "attribute_not_exists(#BranchKeyIdentifierField)";
        self.write(
            &id,
            vec![
                Write {
                    item: item_of(&decrypt_only, version_enc),
                    condition: create,
                    old_enc: None,
                },
                Write {
                    item: item_of(&active, active_enc),
                    condition: create,
                    old_enc: None,
                },
                Write {
                    item: item_of(&beacon, beacon_enc),
                    condition: create,
                    old_enc: None,
                },
            ],
        )
        .await?;
        Ok(id)
    }

    async fn version_key(&self, branch_key_id: &str) -> Result<()> {
        let arn = self.writable_arn()?.to_owned();
        if branch_key_id.is_empty() {
            return Err(Error::InvalidConfiguration("the branch key id is empty"));
        }
        let item = self
            .get_item(branch_key_id, ACTIVE)
            .await?
            .ok_or_else(|| not_found(branch_key_id, None))?;
        if item.version.is_none() {
            return Err(Error::InvalidItem {
                id: branch_key_id.to_owned(),
                reason: "the active item has no version",
            });
        }
        let key_id = self.kms_key_for(branch_key_id, &item.kms_arn)?;
        let context = item.kms_context(&self.inner.logical_name);
        // Authenticate the active item before building on it; the result is discarded.
        self.re_encrypt(&key_id, &item.enc, &context, &context)
            .await?;

        let version = random_uuid()?;
        let mut decrypt_only = context.clone();
        decrypt_only.remove(VERSION);
        decrypt_only.insert(TYPE.to_owned(), format!("{VERSION_PREFIX}{version}"));
        decrypt_only.insert(CREATE_TIME.to_owned(), timestamp());
        let active = active_context(&decrypt_only, &version);
        let version_enc = self.generate(&arn, &decrypt_only).await?;
        let active_enc = self
            .re_encrypt(&arn, &version_enc, &decrypt_only, &active)
            .await?;
        self.write(
            branch_key_id,
            vec![
                Write {
                    item: item_of(&decrypt_only, version_enc),
                    condition: "attribute_not_exists(#BranchKeyIdentifierField)",
                    old_enc: None,
                },
                Write {
                    item: item_of(&active, active_enc),
                    condition: "attribute_exists(#BranchKeyIdentifierField) AND enc = :encOld",
                    old_enc: Some(item.enc.clone()),
                },
            ],
        )
        .await
    }
}

impl fmt::Debug for DynamoDbKeyStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DynamoDbKeyStore")
            .field("table", &self.inner.table)
            .field("logical_key_store_name", &self.inner.logical_name)
            .field("kms_configuration", &self.inner.kms_configuration)
            .field("grant_tokens", &self.inner.grant_tokens.len())
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

/// One conditional put of a write transaction.
struct Write<'a> {
    item: HashMap<String, AttributeValue>,
    condition: &'a str,
    /// The `enc` the active item must still hold (`:encOld`), for versioning.
    old_enc: Option<Vec<u8>>,
}

/// A validated key store item (§g.8).
struct Item {
    branch_key_id: String,
    version: Option<String>,
    kms_arn: String,
    enc: Vec<u8>,
    /// Every string attribute but `enc`, as the KMS encryption context takes them.
    strings: HashMap<String, String>,
}

impl Item {
    /// Validates an item read for branch key `requested` under sort key `sort_key`.
    fn parse(
        requested: &str,
        sort_key: &str,
        mut item: HashMap<String, AttributeValue>,
    ) -> Result<Self> {
        let invalid = |reason| Error::InvalidItem {
            id: requested.to_owned(),
            reason,
        };
        let enc = match item.remove(ENC) {
            Some(AttributeValue::B(blob)) => blob.into_inner(),
            _ => return Err(invalid("enc is not a binary attribute")),
        };
        match item.remove(HIERARCHY_VERSION) {
            Some(AttributeValue::N(n)) if n == "1" => {}
            _ => return Err(invalid("hierarchy-version is not the number 1")),
        }
        if item.contains_key(TABLE_NAME) {
            return Err(invalid("tablename is stored in the item"));
        }
        let mut strings = HashMap::with_capacity(item.len() + 2);
        for (name, value) in item {
            match value {
                AttributeValue::S(text) => {
                    strings.insert(name, text);
                }
                _ => {
                    return Err(invalid(
                        "an attribute other than enc and hierarchy-version is not a string",
                    ));
                }
            }
        }
        for required in [BRANCH_KEY_ID, TYPE, CREATE_TIME, KMS_ARN] {
            if strings.get(required).is_none_or(String::is_empty) {
                return Err(invalid("a required attribute is missing or empty"));
            }
        }
        let branch_key_id = strings.get(BRANCH_KEY_ID).cloned().unwrap_or_default();
        if branch_key_id != requested {
            return Err(invalid("the item is for another branch key"));
        }
        let kind = strings.get(TYPE).cloned().unwrap_or_default();
        if kind != sort_key {
            return Err(invalid("the item is of another type than the one read"));
        }
        let version = strings.get(VERSION).cloned();
        match (&version, kind.as_str()) {
            (Some(version), ACTIVE) if version.starts_with(VERSION_PREFIX) => {}
            (None, kind) if kind == BEACON || kind.starts_with(VERSION_PREFIX) => {}
            _ => return Err(invalid("the type and version attributes disagree")),
        }
        let kms_arn = strings.get(KMS_ARN).cloned().unwrap_or_default();
        key_arn(&kms_arn).map_err(|_| invalid("kms-arn is not a key ARN"))?;
        strings.insert(HIERARCHY_VERSION.to_owned(), "1".to_owned());
        Ok(Self {
            branch_key_id,
            version,
            kms_arn,
            enc,
            strings,
        })
    }

    /// The KMS encryption context: every attribute but `enc`, plus `tablename`.
    fn kms_context(&self, logical_name: &str) -> HashMap<String, String> {
        let mut context = self.strings.clone();
        context.insert(TABLE_NAME.to_owned(), logical_name.to_owned());
        context
    }

    /// The custom encryption context: the `aws-crypto-ec:` attributes without the prefix.
    fn custom_context(&self) -> EncryptionContext {
        self.strings
            .iter()
            .filter_map(|(k, v)| Some((k.strip_prefix(CUSTOM_PREFIX)?, v.as_str())))
            .collect()
    }
}

/// [`Item::parse`] for the fuzz target: an accepted item keeps the rules.
pub(crate) fn parse_item_for_fuzzing(
    requested: &str,
    sort_key: &str,
    item: HashMap<String, AttributeValue>,
) {
    if let Ok(parsed) = Item::parse(requested, sort_key, item) {
        assert_eq!(parsed.branch_key_id, requested);
        assert_eq!(parsed.strings.get(TYPE).map(String::as_str), Some(sort_key));
        assert!(key_arn(&parsed.kms_arn).is_ok());
        let context = parsed.kms_context("logical");
        assert_eq!(context.get(TABLE_NAME).map(String::as_str), Some("logical"));
        assert!(!context.contains_key(ENC));
    }
}

/// The active item's context: the version's with `type = branch:ACTIVE` and `version` set.
fn active_context(
    decrypt_only: &HashMap<String, String>,
    version: &str,
) -> HashMap<String, String> {
    let mut active = decrypt_only.clone();
    active.insert(TYPE.to_owned(), ACTIVE.to_owned());
    active.insert(VERSION.to_owned(), format!("{VERSION_PREFIX}{version}"));
    active
}

/// The DynamoDB item of a KMS context: every pair but `tablename` as a string, except
/// `hierarchy-version` as a number, plus `enc`.
fn item_of(context: &HashMap<String, String>, enc: Vec<u8>) -> HashMap<String, AttributeValue> {
    let mut item: HashMap<String, AttributeValue> = context
        .iter()
        .filter(|(k, _)| k.as_str() != TABLE_NAME)
        .map(|(k, v)| {
            let value = if k == HIERARCHY_VERSION {
                AttributeValue::N(v.clone())
            } else {
                AttributeValue::S(v.clone())
            };
            (k.clone(), value)
        })
        .collect();
    item.insert(ENC.to_owned(), AttributeValue::B(Blob::new(enc)));
    item
}

fn strip_version(version: &str) -> &str {
    version.strip_prefix(VERSION_PREFIX).unwrap_or(version)
}

fn not_found(id: &str, version: Option<&str>) -> Error {
    Error::BranchKeyNotFound {
        id: id.to_owned(),
        version: version.map(str::to_owned),
    }
}

/// A KMS key ARN (not an alias).
fn key_arn(text: &str) -> Result<KmsArn> {
    let arn = KmsArn::parse(text)?;
    if arn.resource_type() != ResourceType::Key {
        return Err(Error::InvalidConfiguration(
            "an alias cannot protect branch keys",
        ));
    }
    Ok(arn)
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

/// UTC now as `YYYY-MM-DDTHH:MM:SS.ffffffZ`, the official timestamp format.
fn timestamp() -> String {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    format_timestamp(now)
}

pub(crate) fn format_timestamp(since_epoch: Duration) -> String {
    let seconds = since_epoch.as_secs();
    let (days, rest) = (seconds / 86_400, seconds % 86_400);
    let (hour, minute, second) = (rest / 3600, rest / 60 % 60, rest % 60);
    // Civil date from days since 1970-01-01 (H. Hinnant's algorithm).
    let z = days + 719_468;
    let era = z / 146_097;
    let doe = z % 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + u64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{hour:02}:{minute:02}:{second:02}.{:06}Z",
        since_epoch.subsec_micros()
    )
}

const BRANCH_KEY_ID: &str = "branch-key-id";
const TYPE: &str = "type";
const ENC: &str = "enc";
const VERSION: &str = "version";
const CREATE_TIME: &str = "create-time";
const KMS_ARN: &str = "kms-arn";
const HIERARCHY_VERSION: &str = "hierarchy-version";
const TABLE_NAME: &str = "tablename";
const ACTIVE: &str = "branch:ACTIVE";
const BEACON: &str = "beacon:ACTIVE";
const VERSION_PREFIX: &str = "branch:version:";
const CUSTOM_PREFIX: &str = "aws-crypto-ec:";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_have_the_official_layout() {
        assert_eq!(
            format_timestamp(Duration::ZERO),
            "1970-01-01T00:00:00.000000Z"
        );
        assert_eq!(
            format_timestamp(Duration::new(1_700_000_000, 123_456_789)),
            "2023-11-14T22:13:20.123456Z"
        );
        assert_eq!(
            format_timestamp(Duration::from_secs(951_782_400)),
            "2000-02-29T00:00:00.000000Z"
        );
    }

    #[test]
    fn items_and_contexts_follow_the_specification() {
        let mut context = HashMap::from([
            (BRANCH_KEY_ID.to_owned(), "id".to_owned()),
            (TYPE.to_owned(), format!("{VERSION_PREFIX}v1")),
            (CREATE_TIME.to_owned(), "t".to_owned()),
            (
                KMS_ARN.to_owned(),
                "arn:aws:kms:us-west-2:111122223333:key/k".to_owned(),
            ),
            (HIERARCHY_VERSION.to_owned(), "1".to_owned()),
            (TABLE_NAME.to_owned(), "logical".to_owned()),
            (format!("{CUSTOM_PREFIX}tenant"), "acme".to_owned()),
        ]);
        let active = active_context(&context, "v1");
        assert_eq!(active[TYPE], ACTIVE);
        assert_eq!(active[VERSION], "branch:version:v1");
        let item = item_of(&active, vec![1, 2, 3]);
        assert!(!item.contains_key(TABLE_NAME));
        assert_eq!(item[HIERARCHY_VERSION], AttributeValue::N("1".to_owned()));
        assert_eq!(item[ENC], AttributeValue::B(Blob::new(vec![1, 2, 3])));
        let parsed = Item::parse("id", ACTIVE, item.clone()).unwrap();
        assert!(
            Item::parse("id", "branch:version:v1", item).is_err(),
            "an active item under a version's sort key"
        );
        assert_eq!(parsed.kms_context("logical"), active);
        assert_eq!(
            parsed.custom_context(),
            EncryptionContext::from([("tenant", "acme")])
        );
        assert_eq!(parsed.version.as_deref(), Some("branch:version:v1"));

        context.remove(TABLE_NAME);
        let mut bad = item_of(&context, vec![1]);
        bad.insert(
            VERSION.to_owned(),
            AttributeValue::S("branch:version:v1".to_owned()),
        );
        assert!(
            Item::parse("id", "branch:version:v1", bad).is_err(),
            "a version item with a version attribute"
        );
        let mut bad = item_of(&context, vec![1]);
        bad.insert(
            HIERARCHY_VERSION.to_owned(),
            AttributeValue::S("1".to_owned()),
        );
        assert!(
            Item::parse("id", "branch:version:v1", bad).is_err(),
            "hierarchy-version as a string"
        );
        assert!(Item::parse("id", "branch:version:v1", item_of(&context, vec![1])).is_ok());
        assert!(
            Item::parse("other", "branch:version:v1", item_of(&context, vec![1])).is_err(),
            "another id"
        );
        let mut bad = item_of(&context, vec![1]);
        bad.insert(TABLE_NAME.to_owned(), AttributeValue::S("x".to_owned()));
        assert!(
            Item::parse("id", "branch:version:v1", bad).is_err(),
            "tablename stored"
        );
    }
}
