//! ECDSA signing and verification keys, and the footer's DER signatures.
//!
//! spec: data-format/message-footer.md, framework/algorithm-suites.md#signature-algorithm

use core::fmt;
use std::collections::VecDeque;
use std::sync::{Arc, Mutex, PoisonError};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;

use crate::crypto::{EcdsaPrivateKey, EcdsaPublicKey};
use crate::error::{Error, Result};
use crate::suite::SignatureAlgorithm;

/// A per-message ECDSA signing key.
///
/// The private scalar lives inside AWS-LC, which clears it on drop; it is never printed and
/// cannot be copied out. Share a key between messages (as the caching manager does) with an
/// `Arc`.
///
/// ```compile_fail
/// # use keyward_format::{SigningKey, SignatureAlgorithm};
/// let key = SigningKey::generate(SignatureAlgorithm::EcdsaP384Sha384).unwrap();
/// let copy = key.clone(); // Signing keys are not `Clone`.
/// ```
pub struct SigningKey {
    algorithm: SignatureAlgorithm,
    key: EcdsaPrivateKey,
    public_key_base64: String,
}

impl SigningKey {
    /// Generates a fresh key pair on the algorithm's curve.
    ///
    /// # Errors
    /// [`Error::Crypto`] when the random generator fails.
    pub fn generate(algorithm: SignatureAlgorithm) -> Result<Self> {
        let key = EcdsaPrivateKey::generate(algorithm)?;
        let public_key_base64 = BASE64.encode(key.compressed_public_key());
        Ok(Self {
            algorithm,
            key,
            public_key_base64,
        })
    }

    /// The signature algorithm.
    pub fn algorithm(&self) -> SignatureAlgorithm {
        self.algorithm
    }

    /// The verification key as it travels in the encryption context under
    /// `aws-crypto-public-key`: standard base64 of the compressed point.
    pub fn public_key_base64(&self) -> &str {
        &self.public_key_base64
    }

    /// The matching verification key.
    ///
    /// # Errors
    /// [`Error::InvalidVerificationKey`] never for a generated key; kept for safety.
    pub fn verification_key(&self) -> Result<VerificationKey> {
        VerificationKey::from_sec1(self.algorithm, self.key.compressed_public_key())
    }

    /// Signs a finished message hash. The DER signature has the fixed length the official
    /// writers emit (71 bytes for P-256, 103 for P-384): the low-S form when that has the
    /// length, otherwise the equally valid high-S form, otherwise a fresh signature.
    pub(crate) fn sign(&self, digest: &aws_lc_rs::digest::Digest) -> Result<Vec<u8>> {
        let order = curve_order(self.algorithm);
        let target = self.algorithm.fixed_signature_len();
        for _ in 0..MAX_SIGNING_ATTEMPTS {
            let fixed = self.key.sign_digest_fixed(digest)?;
            let (r, s) = fixed.split_at(order.len());
            let negated = negate_mod(order, s);
            let (low, high) = if s <= negated.as_slice() {
                (s, &negated[..])
            } else {
                (&negated[..], s)
            };
            for candidate in [low, high] {
                if der_len(r, candidate) == target {
                    return Ok(der_encode(r, candidate));
                }
            }
        }
        Err(Error::Crypto)
    }
}

impl fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SigningKey")
            .field("algorithm", &self.algorithm)
            .field("public_key", &self.public_key_base64)
            .finish_non_exhaustive()
    }
}

/// An ECDSA public key that verifies message footers. Cloning shares the parsed key.
#[derive(Clone)]
pub struct VerificationKey {
    algorithm: SignatureAlgorithm,
    key: Arc<EcdsaPublicKey>,
}

impl VerificationKey {
    /// Decodes the value of the `aws-crypto-public-key` context entry: standard base64 of a
    /// SEC1 point (compressed, as every writer emits it) on the algorithm's curve.
    ///
    /// # Errors
    /// [`Error::InvalidVerificationKey`] when the text is not base64 of a point on the curve.
    pub fn from_base64(algorithm: SignatureAlgorithm, encoded: &str) -> Result<Self> {
        let point = BASE64
            .decode(encoded)
            .map_err(|_| Error::InvalidVerificationKey)?;
        Self::from_sec1(algorithm, &point)
    }

    /// Parses a SEC1 point on the algorithm's curve.
    ///
    /// # Errors
    /// [`Error::InvalidVerificationKey`] when the bytes are not a valid point.
    pub fn from_sec1(algorithm: SignatureAlgorithm, point: &[u8]) -> Result<Self> {
        Ok(Self {
            algorithm,
            key: Arc::new(EcdsaPublicKey::from_sec1(algorithm, point)?),
        })
    }

    /// The signature algorithm.
    pub fn algorithm(&self) -> SignatureAlgorithm {
        self.algorithm
    }

    /// Verifies a DER signature of any valid length, high-S or low-S.
    pub(crate) fn verify(&self, digest: &aws_lc_rs::digest::Digest, signature: &[u8]) -> bool {
        self.key.verify_digest(digest, signature)
    }
}

/// Parsed verification keys by the context value they came from, most recently used first:
/// messages signed with one key (all those a caching manager writes under one cached entry)
/// are verified without decompressing and checking its point again. Bounded: the least
/// recently used key leaves when a new one arrives at capacity.
pub struct VerificationKeyCache {
    capacity: usize,
    entries: Mutex<VecDeque<(SignatureAlgorithm, Box<str>, VerificationKey)>>,
}

impl VerificationKeyCache {
    /// The number of keys [`VerificationKeyCache::default`] holds.
    pub const DEFAULT_CAPACITY: usize = 16;

    /// A cache of at most `capacity` keys (0: parse every time).
    pub fn new(capacity: usize) -> Self {
        Self {
            capacity,
            entries: Mutex::new(VecDeque::with_capacity(capacity.min(64))),
        }
    }

    /// The key `encoded` names, as [`VerificationKey::from_base64`] parses it: from the cache
    /// when the same value was parsed for the same algorithm.
    ///
    /// # Errors
    /// As [`VerificationKey::from_base64`]; a value that fails is not kept.
    pub fn get(&self, algorithm: SignatureAlgorithm, encoded: &str) -> Result<VerificationKey> {
        if self.capacity == 0 {
            return VerificationKey::from_base64(algorithm, encoded);
        }
        {
            let mut entries = self.lock();
            if let Some(at) = entries
                .iter()
                .position(|(a, e, _)| *a == algorithm && &**e == encoded)
            {
                let entry = entries.remove(at).ok_or(Error::InvalidVerificationKey)?;
                let key = entry.2.clone();
                entries.push_front(entry);
                return Ok(key);
            }
        }
        let key = VerificationKey::from_base64(algorithm, encoded)?;
        let mut entries = self.lock();
        if entries.len() >= self.capacity {
            entries.pop_back();
        }
        entries.push_front((algorithm, encoded.into(), key.clone()));
        Ok(key)
    }

    /// How many keys are held.
    pub fn len(&self) -> usize {
        self.lock().len()
    }

    /// Whether none is held.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn lock(
        &self,
    ) -> std::sync::MutexGuard<'_, VecDeque<(SignatureAlgorithm, Box<str>, VerificationKey)>> {
        self.entries.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl Default for VerificationKeyCache {
    fn default() -> Self {
        Self::new(Self::DEFAULT_CAPACITY)
    }
}

impl fmt::Debug for VerificationKeyCache {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("VerificationKeyCache")
            .field("capacity", &self.capacity)
            .field("len", &self.len())
            .finish()
    }
}

impl fmt::Debug for VerificationKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("VerificationKey")
            .field("algorithm", &self.algorithm)
            .finish_non_exhaustive()
    }
}

/// `order - value` for a big-endian `value` in `1 .. order`.
fn negate_mod(order: &[u8], value: &[u8]) -> Vec<u8> {
    let mut out = vec![0u8; order.len()];
    let mut borrow = 0u16;
    for ((o, v), d) in order.iter().zip(value).zip(out.iter_mut()).rev() {
        let diff = u16::from(*o)
            .wrapping_sub(u16::from(*v))
            .wrapping_sub(borrow);
        *d = diff.to_be_bytes()[1];
        borrow = u16::from(diff > 0xff);
    }
    out
}

/// The minimal big-endian form of an unsigned integer: leading zero bytes removed.
fn strip(value: &[u8]) -> &[u8] {
    let first = value
        .iter()
        .position(|b| *b != 0)
        .unwrap_or(value.len().saturating_sub(1));
    value.get(first..).unwrap_or(value)
}

/// Length of the DER INTEGER content for an unsigned value.
fn der_int_len(value: &[u8]) -> usize {
    let stripped = strip(value);
    stripped.len() + usize::from(stripped.first().is_some_and(|b| b & 0x80 != 0))
}

fn der_len(r: &[u8], s: &[u8]) -> usize {
    6 + der_int_len(r) + der_int_len(s)
}

/// `SEQUENCE { INTEGER r, INTEGER s }`. Both contents are below 128 bytes for P-256 and P-384,
/// so every length is one byte.
fn der_encode(r: &[u8], s: &[u8]) -> Vec<u8> {
    let body = der_int_len(r) + der_int_len(s) + 4;
    let mut out = Vec::with_capacity(body + 2);
    out.push(0x30);
    out.push(short_len(body));
    for value in [r, s] {
        let stripped = strip(value);
        out.push(0x02);
        out.push(short_len(der_int_len(value)));
        if stripped.first().is_some_and(|b| b & 0x80 != 0) {
            out.push(0);
        }
        out.extend_from_slice(stripped);
    }
    out
}

fn short_len(len: usize) -> u8 {
    u8::try_from(len).unwrap_or(u8::MAX)
}

fn curve_order(algorithm: SignatureAlgorithm) -> &'static [u8] {
    match algorithm {
        SignatureAlgorithm::EcdsaP256Sha256 => &P256_ORDER,
        SignatureAlgorithm::EcdsaP384Sha384 => &P384_ORDER,
    }
}

const MAX_SIGNING_ATTEMPTS: usize = 64;

const P256_ORDER: [u8; 32] = [
    0xff, 0xff, 0xff, 0xff, 0x00, 0x00, 0x00, 0x00, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
    0xbc, 0xe6, 0xfa, 0xad, 0xa7, 0x17, 0x9e, 0x84, 0xf3, 0xb9, 0xca, 0xc2, 0xfc, 0x63, 0x25, 0x51,
];

const P384_ORDER: [u8; 48] = [
    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xc7, 0x63, 0x4d, 0x81, 0xf4, 0x37, 0x2d, 0xdf,
    0x58, 0x1a, 0x0d, 0xb2, 0x48, 0xb0, 0xa7, 0x7a, 0xec, 0xec, 0x19, 0x6a, 0xcc, 0xc5, 0x29, 0x73,
];

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crypto::MessageHash;

    #[test]
    fn verification_keys_are_kept_most_recent_first_within_capacity() {
        let algorithm = SignatureAlgorithm::EcdsaP384Sha384;
        let [a, b, c] = [(); 3].map(|()| SigningKey::generate(algorithm).unwrap());
        let cache = VerificationKeyCache::new(2);
        let first = cache.get(algorithm, a.public_key_base64()).unwrap();
        let again = cache.get(algorithm, a.public_key_base64()).unwrap();
        // A hit is the same parsed key, not a new parse.
        assert!(Arc::ptr_eq(&first.key, &again.key));
        assert_eq!(cache.len(), 1);
        cache.get(algorithm, b.public_key_base64()).unwrap();
        // a used again: b is now the least recent and leaves for c.
        cache.get(algorithm, a.public_key_base64()).unwrap();
        cache.get(algorithm, c.public_key_base64()).unwrap();
        assert_eq!(cache.len(), 2);
        let kept = cache.get(algorithm, a.public_key_base64()).unwrap();
        assert!(Arc::ptr_eq(&first.key, &kept.key));
        // The same text under another algorithm is another key (here: invalid, not kept).
        assert!(
            cache
                .get(SignatureAlgorithm::EcdsaP256Sha256, a.public_key_base64())
                .is_err()
        );
        assert!(cache.get(algorithm, "not a point").is_err());
        assert_eq!(cache.len(), 2);
        // Capacity 0 parses every time.
        let none = VerificationKeyCache::new(0);
        let once = none.get(algorithm, a.public_key_base64()).unwrap();
        let twice = none.get(algorithm, a.public_key_base64()).unwrap();
        assert!(!Arc::ptr_eq(&once.key, &twice.key));
        assert!(none.is_empty());
    }

    #[test]
    fn signatures_have_the_fixed_length_and_verify() {
        for algorithm in [
            SignatureAlgorithm::EcdsaP256Sha256,
            SignatureAlgorithm::EcdsaP384Sha384,
        ] {
            let key = SigningKey::generate(algorithm).unwrap();
            let verification =
                VerificationKey::from_base64(algorithm, key.public_key_base64()).unwrap();
            assert_eq!(
                key.public_key_base64().len(),
                algorithm.compressed_point_len().div_ceil(3) * 4
            );
            for round in 0..32u8 {
                let mut hash = MessageHash::new(algorithm);
                hash.update(&[round]);
                let digest = hash.finish();
                let signature = key.sign(&digest).unwrap();
                assert_eq!(signature.len(), algorithm.fixed_signature_len());
                assert!(verification.verify(&digest, &signature));
                let mut other = MessageHash::new(algorithm);
                other.update(&[round, 0]);
                assert!(!verification.verify(&other.finish(), &signature));
            }
        }
    }

    #[test]
    fn negation_is_subtraction_from_the_order() {
        let order = [0x10, 0x00];
        assert_eq!(negate_mod(&order, &[0x00, 0x01]), vec![0x0f, 0xff]);
        assert_eq!(negate_mod(&order, &[0x0f, 0xff]), vec![0x00, 0x01]);
    }

    #[test]
    fn der_integers_are_minimal_and_positive() {
        assert_eq!(
            der_encode(&[0, 0x7f], &[0x80]),
            vec![0x30, 0x07, 0x02, 0x01, 0x7f, 0x02, 0x02, 0x00, 0x80]
        );
        assert_eq!(der_len(&[0, 0x7f], &[0x80]), 9);
    }

    #[test]
    fn malformed_verification_keys_are_rejected() {
        let algorithm = SignatureAlgorithm::EcdsaP384Sha384;
        // A compressed point whose x coordinate (all ones) exceeds the field prime.
        let mut off_curve = [0xffu8; 49];
        off_curve[0] = 2;
        for text in ["", "not base64!", "AAAA", &BASE64.encode(off_curve)] {
            assert!(matches!(
                VerificationKey::from_base64(algorithm, text),
                Err(Error::InvalidVerificationKey)
            ));
        }
    }
}
