//! Cache-entry identifiers of the caching manager.
//!
//! spec: framework/caching-cmm.md#appendix-a-cache-entry-identifier-formulas (the current,
//! SHA-384 form, whose layout the hierarchical keyring shares so that one cache can serve both).

use keyward_format::{AlgorithmSuite, EncryptedDataKey, EncryptionContext};
use sha2::{Digest as _, Sha384};

use crate::cache::CacheId;

/// `01`: the caching materials manager (the hierarchical keyring is `02`).
const RESOURCE_CACHING_MANAGER: u8 = 0x01;
const SCOPE_ENCRYPT: u8 = 0x01;
const SCOPE_DECRYPT: u8 = 0x02;
const SEPARATOR: u8 = 0x00;

/// The identifier of encryption materials:
/// `SHA-384(01 ‖ 0 ‖ 01 ‖ 0 ‖ partition ‖ 0 ‖ (00 | 01 ‖ 0 ‖ suite) ‖ 0 ‖ serialize(context))`.
pub fn encrypt_id(
    partition: &[u8],
    suite: Option<AlgorithmSuite>,
    context: &EncryptionContext,
) -> CacheId {
    let mut hash = Sha384::new();
    hash.update([
        RESOURCE_CACHING_MANAGER,
        SEPARATOR,
        SCOPE_ENCRYPT,
        SEPARATOR,
    ]);
    hash.update(partition);
    hash.update([SEPARATOR]);
    match suite {
        None => hash.update([0x00]),
        Some(suite) => {
            hash.update([0x01, SEPARATOR]);
            hash.update(suite.id().to_be_bytes());
        }
    }
    hash.update([SEPARATOR]);
    hash.update(canonical(context));
    CacheId::new(hash.finalize().into())
}

/// The identifier of decryption materials:
/// `SHA-384(01 ‖ 0 ‖ 02 ‖ 0 ‖ partition ‖ 0 ‖ suite ‖ 0 ‖ sorted EDK entries ‖ 0 ‖ serialize(context))`.
///
/// When the request carries a non-empty reproduced context, `‖ 0 ‖ serialize(reproduced)`
/// follows: a reproduced context changes the materials (its pairs join the context and become
/// required), so two requests that differ only there must not share an entry. Identifiers are
/// local to a process; this extension does not touch the wire.
pub fn decrypt_id(
    partition: &[u8],
    suite: AlgorithmSuite,
    encrypted_data_keys: &[EncryptedDataKey],
    context: &EncryptionContext,
    reproduced: Option<&EncryptionContext>,
) -> CacheId {
    let mut hash = Sha384::new();
    hash.update([
        RESOURCE_CACHING_MANAGER,
        SEPARATOR,
        SCOPE_DECRYPT,
        SEPARATOR,
    ]);
    hash.update(partition);
    hash.update([SEPARATOR]);
    hash.update(suite.id().to_be_bytes());
    hash.update([SEPARATOR]);
    for edk in sorted_entries(encrypted_data_keys) {
        hash.update(edk);
    }
    hash.update([SEPARATOR]);
    hash.update(canonical(context));
    if let Some(reproduced) = reproduced.filter(|r| !r.is_empty()) {
        hash.update([SEPARATOR]);
        hash.update(canonical(reproduced));
    }
    CacheId::new(hash.finalize().into())
}

/// The identifiers of the caching managers shipped in the Python, Java, C and JavaScript SDKs
/// (SHA-512), kept to prove the hashing plumbing against their published values.
#[doc(hidden)]
pub mod legacy {
    use sha2::{Digest as _, Sha512};

    use super::{AlgorithmSuite, EncryptedDataKey, EncryptionContext, canonical, sorted_entries};

    /// `H(H(partition) ‖ 00 ‖ H(context))` or `H(H(partition) ‖ 01 ‖ suite ‖ H(context))`.
    pub fn encrypt_id(
        partition: &str,
        suite: Option<AlgorithmSuite>,
        context: &EncryptionContext,
    ) -> [u8; 64] {
        let mut hash = Sha512::new();
        hash.update(Sha512::digest(partition.as_bytes()));
        match suite {
            None => hash.update([0x00]),
            Some(suite) => {
                hash.update([0x01]);
                hash.update(suite.id().to_be_bytes());
            }
        }
        hash.update(Sha512::digest(canonical(context)));
        hash.finalize().into()
    }

    /// `H(H(partition) ‖ suite ‖ sorted(H(edk)…) ‖ 64 zero bytes ‖ H(context))`.
    pub fn decrypt_id(
        partition: &str,
        suite: AlgorithmSuite,
        encrypted_data_keys: &[EncryptedDataKey],
        context: &EncryptionContext,
    ) -> [u8; 64] {
        let mut hash = Sha512::new();
        hash.update(Sha512::digest(partition.as_bytes()));
        hash.update(suite.id().to_be_bytes());
        let mut digests: Vec<[u8; 64]> = sorted_entries(encrypted_data_keys)
            .iter()
            .map(|e| Sha512::digest(e).into())
            .collect();
        digests.sort_unstable();
        for digest in digests {
            hash.update(digest);
        }
        hash.update([0u8; 64]);
        hash.update(Sha512::digest(canonical(context)));
        hash.finalize().into()
    }
}

/// The canonical serialization, or its prefix when a context is too large to serialize (such a
/// context never reaches a message, so its identifier need only be deterministic).
fn canonical(context: &EncryptionContext) -> Vec<u8> {
    context.to_canonical_bytes().unwrap_or_else(|_| {
        let mut bytes = Vec::new();
        for (key, value) in context.iter() {
            bytes.extend_from_slice(key.as_bytes());
            bytes.push(0);
            bytes.extend_from_slice(value.as_bytes());
            bytes.push(0);
        }
        bytes
    })
}

/// Every EDK in its header serialization, sorted bytewise.
fn sorted_entries(encrypted_data_keys: &[EncryptedDataKey]) -> Vec<Vec<u8>> {
    let mut entries: Vec<Vec<u8>> = encrypted_data_keys
        .iter()
        .map(|edk| {
            let mut bytes = Vec::with_capacity(edk.serialized_len());
            // An EDK built by `EncryptedDataKey::new` always serializes.
            let _ = edk.write(&mut bytes);
            bytes
        })
        .collect();
    entries.sort_unstable();
    entries
}
