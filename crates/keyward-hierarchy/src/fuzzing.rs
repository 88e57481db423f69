//! Entry points for the fuzz targets (one line each in `fuzz/`): the key store's item
//! validation and the hierarchy EDK layout, on arbitrary bytes.

use std::collections::HashMap;

use aws_sdk_dynamodb::primitives::Blob;
use aws_sdk_dynamodb::types::AttributeValue;

use crate::dynamodb::parse_item_for_fuzzing;
use crate::kdf::{version_bytes, version_string};
use crate::keyring::parse_edk;

/// Builds a DynamoDB item from `data` (records separated by `0xff`: a type byte `S`, `N`,
/// `B` or other, the attribute name up to a `0x00`, then the value) and validates it as a
/// key store item read for `branch-key-id` under the sort key its first record names. Must
/// never panic; an accepted item must be one the rules allow.
///
/// # Panics
/// When the check it exists for fails: that is the finding.
pub fn parse_item(data: &[u8]) {
    let mut item = HashMap::new();
    let mut sort_key = String::from("branch:ACTIVE");
    for (index, record) in data.split(|b| *b == 0xff).enumerate() {
        let Some((&kind, rest)) = record.split_first() else {
            continue;
        };
        let (name, value) = match rest.iter().position(|b| *b == 0) {
            Some(at) => (&rest[..at], &rest[at + 1..]),
            None => (rest, &[][..]),
        };
        let name = String::from_utf8_lossy(name).into_owned();
        let text = String::from_utf8_lossy(value).into_owned();
        if index == 0 {
            sort_key.clone_from(&text);
        }
        let value = match kind {
            b'S' => AttributeValue::S(text),
            b'N' => AttributeValue::N(text),
            b'B' => AttributeValue::B(Blob::new(value.to_vec())),
            _ => AttributeValue::Bool(kind % 2 == 0),
        };
        item.insert(name, value);
    }
    parse_item_for_fuzzing("branch-key-id", &sort_key, item);
}

/// Splits `data` (after a first byte choosing the data key length) as a hierarchy EDK
/// ciphertext; an accepted one's version must round-trip through its string form. Must never
/// panic.
///
/// # Panics
/// When the check it exists for fails: that is the finding.
pub fn parse_edk_ciphertext(data: &[u8]) {
    let Some((&choice, ciphertext)) = data.split_first() else {
        return;
    };
    let key_len = [16, 24, 32][usize::from(choice % 3)];
    if let Ok(parts) = parse_edk(ciphertext, key_len) {
        assert_eq!(parts.sealed.len(), key_len + 16);
        let version = version_string(parts.version);
        assert_eq!(version_bytes(&version).ok().as_ref(), Some(parts.version));
    }
}
