//! Key store items: their validation (§g.8), their KMS encryption contexts, their layout.

use std::collections::HashMap;

use aws_sdk_dynamodb::primitives::Blob;
use aws_sdk_dynamodb::types::AttributeValue;
use keyward_format::EncryptionContext;
use keyward_kms::{KmsArn, ResourceType};

use crate::error::{Error, Result};

/// A validated key store item (§g.8).
pub(super) struct Item {
    pub(super) branch_key_id: String,
    pub(super) version: Option<String>,
    pub(super) kms_arn: String,
    pub(super) enc: Vec<u8>,
    /// Every string attribute but `enc`, as the KMS encryption context takes them.
    pub(super) strings: HashMap<String, String>,
}

impl Item {
    /// Validates an item read for branch key `requested` under sort key `sort_key`.
    pub(super) fn parse(
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
    pub(super) fn kms_context(&self, logical_name: &str) -> HashMap<String, String> {
        let mut context = self.strings.clone();
        context.insert(TABLE_NAME.to_owned(), logical_name.to_owned());
        context
    }

    /// The custom encryption context: the `aws-crypto-ec:` attributes without the prefix.
    pub(super) fn custom_context(&self) -> EncryptionContext {
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
pub(super) fn active_context(
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
pub(super) fn item_of(
    context: &HashMap<String, String>,
    enc: Vec<u8>,
) -> HashMap<String, AttributeValue> {
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

pub(super) fn strip_version(version: &str) -> &str {
    version.strip_prefix(VERSION_PREFIX).unwrap_or(version)
}

/// A KMS key ARN (not an alias).
pub(super) fn key_arn(text: &str) -> Result<KmsArn> {
    let arn = KmsArn::parse(text)?;
    if arn.resource_type() != ResourceType::Key {
        return Err(Error::InvalidConfiguration(
            "an alias cannot protect branch keys",
        ));
    }
    Ok(arn)
}

pub(super) const BRANCH_KEY_ID: &str = "branch-key-id";
pub(super) const TYPE: &str = "type";
pub(super) const ENC: &str = "enc";
pub(super) const VERSION: &str = "version";
pub(super) const CREATE_TIME: &str = "create-time";
pub(super) const KMS_ARN: &str = "kms-arn";
pub(super) const HIERARCHY_VERSION: &str = "hierarchy-version";
pub(super) const TABLE_NAME: &str = "tablename";
pub(super) const ACTIVE: &str = "branch:ACTIVE";
pub(super) const BEACON: &str = "beacon:ACTIVE";
pub(super) const VERSION_PREFIX: &str = "branch:version:";
pub(super) const CUSTOM_PREFIX: &str = "aws-crypto-ec:";

#[cfg(test)]
mod tests {
    use super::*;

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
