//! The key store's administration: the table, creating and versioning branch keys, beacon
//! keys.
//!
//! spec: framework/branch-key-store.md (CreateKeyStore, CreateKey, VersionKey)

use core::time::Duration;
use std::collections::HashMap;

use async_trait::async_trait;
use aws_sdk_dynamodb::types::{
    AttributeDefinition, AttributeValue, BillingMode, KeySchemaElement, KeyType, Put,
    ScalarAttributeType, TableStatus, TransactWriteItem,
};
use aws_sdk_kms::primitives::Blob;
use keyward_format::EncryptionContext;
use keyward_kms::KmsOperation;

use super::item::{
    ACTIVE, BEACON, BRANCH_KEY_ID, CREATE_TIME, CUSTOM_PREFIX, HIERARCHY_VERSION, KMS_ARN,
    TABLE_NAME, TYPE, VERSION, VERSION_PREFIX, active_context, item_of, key_arn, strip_version,
};
use super::timestamp::timestamp;
use super::{DynamoDbKeyStore, kms_error, not_built};
use crate::error::{Error, Result, not_found};
use crate::kdf::random_uuid;
use crate::key_store::{
    BeaconKeyMaterials, CreatedBranchKey, KeyStoreAdmin, VersionedBranchKey, check_create_key,
};
use crate::trace::traced;

impl DynamoDbKeyStore {
    /// Creates the table (`branch-key-id` hash key, `type` range key, on-demand billing) or
    /// checks an existing one, waits until it is active, and returns its ARN.
    ///
    /// # Errors
    /// [`Error::InvalidConfiguration`] when an existing table has another key schema;
    /// [`Error::DynamoDb`] when DynamoDB fails.
    pub async fn create_key_store(&self) -> Result<String> {
        let table = &self.inner.table;
        let ddb = &self.inner.ddb;
        match traced!(
            ddb.describe_table().table_name(table).send(),
            "dynamodb",
            operation = "DescribeTable",
            table = %table
        )
        .await
        {
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
                let output = traced!(ddb
                    .create_table()
                    .table_name(table)
                    .attribute_definitions(attribute(BRANCH_KEY_ID).map_err(not_built)?)
                    .attribute_definitions(attribute(TYPE).map_err(not_built)?)
                    .key_schema(key(BRANCH_KEY_ID, KeyType::Hash).map_err(not_built)?)
                    .key_schema(key(TYPE, KeyType::Range).map_err(not_built)?)
                    .billing_mode(BillingMode::PayPerRequest)
                    .send(), "dynamodb", operation = "CreateTable", table = %table)
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
            let output = traced!(self
                .inner
                .ddb
                .describe_table()
                .table_name(&self.inner.table)
                .send(), "dynamodb", operation = "DescribeTable", table = %self.inner.table)
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
    /// `GenerateDataKeyWithoutPlaintext` of a 32-byte key under `context`.
    async fn generate(&self, arn: &str, context: &HashMap<String, String>) -> Result<Vec<u8>> {
        let operation = KmsOperation::GenerateDataKeyWithoutPlaintext;
        let output = traced!(self
            .inner
            .kms
            .generate_data_key_without_plaintext()
            .key_id(arn)
            .number_of_bytes(32)
            .set_encryption_context(Some(context.clone()))
            .set_grant_tokens(self.grant_tokens())
            .send(), "kms", operation = %operation, key_id = %arn)
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
        let output = traced!(self
            .inner
            .kms
            .re_encrypt()
            .ciphertext_blob(Blob::new(ciphertext))
            .source_key_id(arn)
            .set_source_encryption_context(Some(from.clone()))
            .destination_key_id(arn)
            .set_destination_encryption_context(Some(to.clone()))
            .set_grant_tokens(self.grant_tokens())
            .send(), "kms", operation = %operation, key_id = %arn)
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

    /// Writes items in one transaction; a failed condition is `conflict` (an existing key
    /// for creation, a concurrent rotation for versioning).
    async fn write(
        &self,
        id: &str,
        puts: Vec<Write<'_>>,
        conflict: fn(String) -> Error,
    ) -> Result<()> {
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
        match traced!(
            request.send(),
            "dynamodb",
            operation = "TransactWriteItems",
            table = %self.inner.table,
            branch_key_id = %id
        )
        .await
        {
            Ok(_) => Ok(()),
            Err(error)
                if error
                    .as_service_error()
                    .is_some_and(|e| e.is_transaction_canceled_exception()) =>
            {
                Err(conflict(id.to_owned()))
            }
            Err(error) => Err(self.ddb_error("TransactWriteItems")(error)),
        }
    }
}

#[async_trait]
impl KeyStoreAdmin for DynamoDbKeyStore {
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
    ) -> Result<CreatedBranchKey> {
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
            |id| Error::BranchKeyExists { id },
        )
        .await?;
        Ok(CreatedBranchKey::new(id, version))
    }

    async fn version_key(&self, branch_key_id: &str) -> Result<VersionedBranchKey> {
        let arn = self.writable_arn()?.to_owned();
        if branch_key_id.is_empty() {
            return Err(Error::InvalidConfiguration("the branch key id is empty"));
        }
        let item = self
            .get_item(branch_key_id, ACTIVE)
            .await?
            .ok_or_else(|| not_found(branch_key_id, None))?;
        let previous = match &item.version {
            Some(version) => strip_version(version).to_owned(),
            None => {
                return Err(Error::InvalidItem {
                    id: branch_key_id.to_owned(),
                    reason: "the active item has no version",
                });
            }
        };
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
            |id| Error::VersionConflict { id },
        )
        .await?;
        Ok(VersionedBranchKey::new(branch_key_id, previous, version))
    }
}

/// One conditional put of a write transaction.
struct Write<'a> {
    item: HashMap<String, AttributeValue>,
    condition: &'a str,
    /// The `enc` the active item must still hold (`:encOld`), for versioning.
    old_enc: Option<Vec<u8>>,
}
