//! Cache-entry identifiers of the caching manager: the specification's formulas, extended so
//! that two requests share an entry only when a conforming manager could answer both with the
//! same materials.
//!
//! spec: framework/caching-cmm.md#appendix-a-cache-entry-identifier-formulas (the current,
//! SHA-384 form, whose layout the hierarchical keyring shares so that one cache can serve both;
//! and the SHA-512 form of spec version 0.3.0, which the shipped SDKs and the MPL use).
//!
//! # The identity extension
//! The specification's identifiers cover the partition, the requested suite, the encryption
//! context and (on decrypt) the encrypted data keys. Three more request inputs change the
//! materials a manager returns:
//!
//! - the **required encryption context keys** of an encrypt request (the materials carry
//!   them, and the message then authenticates those pairs without storing them);
//! - the **reproduced encryption context** of a decrypt request (its pairs join the context,
//!   and those absent from the header become required);
//! - the **commitment policy** when an encrypt request names no suite (the policy then picks
//!   the suite: 0x0578 under the two require policies, 0x0378 under forbid).
//!
//! When any of them is present (a non-empty key set or context, or a policy whose choice is not
//! the default policy's 0x0578), its encoding follows the specification's input, so the
//! identifiers of requests without them stay byte for byte the specification's. The policy's
//! other effect, refusing a suite, is checked by the caching manager before any lookup.
//!
//! The encodings are injective: in the current form the extension starts with `00 00` right
//! after the serialized context, which no canonical serialization continues with (a non-empty
//! context starts with a non-zero count and ends exactly where its last pair ends); in the
//! legacy form, whose fields have fixed lengths, the SHA-512 digest of the extension follows.

use std::collections::BTreeSet;

use keyward_format::{AlgorithmSuite, CommitmentPolicy, EncryptedDataKey, EncryptionContext};
use sha2::{Digest as _, Sha384, Sha512};

use crate::cache::{CacheId, CacheIdFormula};

/// `01`: the caching materials manager (the hierarchical keyring is `02`).
const RESOURCE_CACHING_MANAGER: u8 = 0x01;
const SCOPE_ENCRYPT: u8 = 0x01;
const SCOPE_DECRYPT: u8 = 0x02;
const SEPARATOR: u8 = 0x00;

/// Extension field tags, in the order the fields appear.
const TAG_POLICY_SUITE: u8 = 0x01;
const TAG_REQUIRED_KEYS: u8 = 0x02;
const TAG_REPRODUCED_CONTEXT: u8 = 0x03;

/// What an encrypt identifier covers.
#[derive(Clone, Copy, Debug)]
pub(crate) struct EncryptKey<'a> {
    pub(crate) suite: Option<AlgorithmSuite>,
    pub(crate) policy: CommitmentPolicy,
    pub(crate) context: &'a EncryptionContext,
    pub(crate) required_keys: &'a BTreeSet<String>,
}

/// What a decrypt identifier covers.
#[derive(Clone, Copy, Debug)]
pub(crate) struct DecryptKey<'a> {
    pub(crate) suite: AlgorithmSuite,
    pub(crate) encrypted_data_keys: &'a [EncryptedDataKey],
    pub(crate) context: &'a EncryptionContext,
    pub(crate) reproduced: Option<&'a EncryptionContext>,
}

/// The identifier of encryption materials, or `None` when the context cannot be serialized
/// (such a context never makes a message, and its materials are not cached).
///
/// Current: `SHA-384(01 ‖ 0 ‖ 01 ‖ 0 ‖ partition ‖ 0 ‖ (00 | 01 ‖ 0 ‖ suite) ‖ 0 ‖ context
/// [‖ 00 00 ‖ extension])`. Legacy: `SHA-512(H(partition) ‖ (00 | 01 ‖ suite) ‖ H(context)
/// [‖ H(extension)])`.
pub(crate) fn encrypt_id(
    formula: CacheIdFormula,
    partition: &[u8],
    key: EncryptKey<'_>,
) -> Option<CacheId> {
    let context = key.context.to_canonical_bytes().ok()?;
    let mut extension = Vec::new();
    if key.suite.is_none() {
        let chosen = key.policy.default_suite();
        if chosen != CommitmentPolicy::RequireEncryptRequireDecrypt.default_suite() {
            extension.push(TAG_POLICY_SUITE);
            extension.extend_from_slice(&chosen.id().to_be_bytes());
        }
    }
    if !key.required_keys.is_empty() {
        extension.push(TAG_REQUIRED_KEYS);
        put_len(&mut extension, key.required_keys.len());
        for required in key.required_keys {
            put_len(&mut extension, required.len());
            extension.extend_from_slice(required.as_bytes());
        }
    }
    Some(match formula {
        CacheIdFormula::Current => {
            let mut hash = Sha384::new();
            hash.update([
                RESOURCE_CACHING_MANAGER,
                SEPARATOR,
                SCOPE_ENCRYPT,
                SEPARATOR,
            ]);
            hash.update(partition);
            hash.update([SEPARATOR]);
            match key.suite {
                None => hash.update([0x00]),
                Some(suite) => {
                    hash.update([0x01, SEPARATOR]);
                    hash.update(suite.id().to_be_bytes());
                }
            }
            hash.update([SEPARATOR]);
            hash.update(&context);
            current_extension(&mut hash, &extension);
            CacheId::new(hash.finalize().into())
        }
        CacheIdFormula::Legacy => {
            let mut hash = Sha512::new();
            hash.update(Sha512::digest(partition));
            match key.suite {
                None => hash.update([0x00]),
                Some(suite) => {
                    hash.update([0x01]);
                    hash.update(suite.id().to_be_bytes());
                }
            }
            hash.update(Sha512::digest(&context));
            legacy_extension(&mut hash, &extension);
            CacheId::new_legacy(hash.finalize().into())
        }
    })
}

/// The identifier of decryption materials, or `None` when a context cannot be serialized.
///
/// Current: `SHA-384(01 ‖ 0 ‖ 02 ‖ 0 ‖ partition ‖ 0 ‖ suite ‖ 0 ‖ sorted EDK entries ‖ 0 ‖
/// context [‖ 00 00 ‖ extension])`. Legacy: `SHA-512(H(partition) ‖ suite ‖ sorted(H(EDK
/// entry)…) ‖ 64 zero bytes ‖ H(context) [‖ H(extension)])`.
pub(crate) fn decrypt_id(
    formula: CacheIdFormula,
    partition: &[u8],
    key: DecryptKey<'_>,
) -> Option<CacheId> {
    let context = key.context.to_canonical_bytes().ok()?;
    let mut extension = Vec::new();
    if let Some(reproduced) = key.reproduced.filter(|r| !r.is_empty()) {
        extension.push(TAG_REPRODUCED_CONTEXT);
        extension.extend_from_slice(&reproduced.to_canonical_bytes().ok()?);
    }
    let entries = sorted_entries(key.encrypted_data_keys);
    Some(match formula {
        CacheIdFormula::Current => {
            let mut hash = Sha384::new();
            hash.update([
                RESOURCE_CACHING_MANAGER,
                SEPARATOR,
                SCOPE_DECRYPT,
                SEPARATOR,
            ]);
            hash.update(partition);
            hash.update([SEPARATOR]);
            hash.update(key.suite.id().to_be_bytes());
            hash.update([SEPARATOR]);
            for entry in &entries {
                hash.update(entry);
            }
            hash.update([SEPARATOR]);
            hash.update(&context);
            current_extension(&mut hash, &extension);
            CacheId::new(hash.finalize().into())
        }
        CacheIdFormula::Legacy => {
            let mut hash = Sha512::new();
            hash.update(Sha512::digest(partition));
            hash.update(key.suite.id().to_be_bytes());
            let mut digests: Vec<[u8; 64]> =
                entries.iter().map(|e| Sha512::digest(e).into()).collect();
            digests.sort_unstable();
            for digest in digests {
                hash.update(digest);
            }
            hash.update([0u8; 64]);
            hash.update(Sha512::digest(&context));
            legacy_extension(&mut hash, &extension);
            CacheId::new_legacy(hash.finalize().into())
        }
    })
}

fn current_extension(hash: &mut Sha384, extension: &[u8]) {
    if !extension.is_empty() {
        hash.update([0x00, 0x00]);
        hash.update(extension);
    }
}

fn legacy_extension(hash: &mut Sha512, extension: &[u8]) {
    if !extension.is_empty() {
        hash.update(Sha512::digest(extension));
    }
}

/// A length as 8 big-endian bytes (wide enough for any in-memory length).
fn put_len(out: &mut Vec<u8>, len: usize) {
    out.extend_from_slice(&u64::try_from(len).unwrap_or(u64::MAX).to_be_bytes());
}

/// Every EDK in its header serialization, sorted bytewise.
fn sorted_entries(encrypted_data_keys: &[EncryptedDataKey]) -> Vec<Vec<u8>> {
    let mut entries: Vec<Vec<u8>> = encrypted_data_keys
        .iter()
        .map(EncryptedDataKey::to_bytes)
        .collect();
    entries.sort_unstable();
    entries
}

#[cfg(test)]
mod tests;
