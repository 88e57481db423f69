//! Per-message key derivation and key commitment.
//!
//! spec: framework/algorithm-suites.md#key-derivation, client-apis/encrypt.md

use zeroize::Zeroizing;

use crate::crypto::{AeadKey, HkdfHash, HkdfPrk, constant_time_eq};
use crate::error::{Error, Result};
use crate::suite::{AlgorithmSuite, Kdf};

/// The length of a key-commitment value.
pub(crate) const COMMITMENT_LEN: usize = 32;

/// The keys of one message: the AEAD key for the header tag and the body, and the key
/// commitment for committing suites.
pub(crate) struct MessageKey {
    pub(crate) aead: AeadKey,
    pub(crate) commitment: Option<[u8; COMMITMENT_LEN]>,
}

/// Whether to reproduce the key-derivation deviation of ESDK-NET 4.0.0 (HKDF `info` without
/// the message id, for the non-committing HKDF suites).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum InfoStyle {
    Standard,
    NetV4_0_0,
}

/// Derives the message key from the plaintext data key.
pub(crate) fn derive(
    suite: AlgorithmSuite,
    data_key: &[u8],
    message_id: &[u8],
    style: InfoStyle,
) -> Result<MessageKey> {
    if data_key.len() != suite.data_key_len() {
        return Err(Error::DataKeyLength {
            expected: suite.data_key_len(),
            actual: data_key.len(),
        });
    }
    let suite_id = suite.id().to_be_bytes();
    let mut key = Zeroizing::new([0u8; 32]);
    let key = key
        .get_mut(..suite.encryption_key_len())
        .ok_or(Error::Crypto)?;
    let commitment = match suite.kdf() {
        Kdf::Identity => {
            key.copy_from_slice(data_key);
            None
        }
        Kdf::HkdfSha256 | Kdf::HkdfSha384 => {
            let hash = if suite.kdf() == Kdf::HkdfSha256 {
                HkdfHash::Sha256
            } else {
                HkdfHash::Sha384
            };
            let prk = HkdfPrk::extract(hash, &[], data_key);
            match style {
                InfoStyle::Standard => prk.expand(&[&suite_id, message_id], key)?,
                InfoStyle::NetV4_0_0 => prk.expand(&[&suite_id], key)?,
            }
            None
        }
        Kdf::HkdfSha512Commit => {
            let prk = HkdfPrk::extract(HkdfHash::Sha512, message_id, data_key);
            prk.expand(&[&suite_id, DERIVE_KEY_LABEL], key)?;
            let mut commitment = [0u8; COMMITMENT_LEN];
            prk.expand(&[COMMIT_KEY_LABEL], &mut commitment)?;
            Some(commitment)
        }
    };
    Ok(MessageKey {
        aead: AeadKey::new(key)?,
        commitment,
    })
}

/// Compares a derived commitment with the header's, in constant time.
pub(crate) fn commitment_matches(
    derived: &[u8; COMMITMENT_LEN],
    stored: &[u8; COMMITMENT_LEN],
) -> bool {
    constant_time_eq(derived, stored)
}

const DERIVE_KEY_LABEL: &[u8] = b"DERIVEKEY";
const COMMIT_KEY_LABEL: &[u8] = b"COMMITKEY";
