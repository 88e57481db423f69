//! The encryption context and its canonical serialization.
//!
//! spec: framework/structures.md#encryption-context, data-format/message-header.md#aad

use core::fmt;
use std::collections::BTreeMap;

use crate::codec::{ParseError, Reader};
use crate::error::{Error, Result};

/// A map of non-secret UTF-8 key-value pairs bound to a message as authenticated data.
///
/// Pairs are kept in the order of their keys' UTF-8 bytes, which is the order the canonical
/// serialization requires (and is code-point order, not UTF-16 order).
#[derive(Clone, Default, PartialEq, Eq, Hash)]
pub struct EncryptionContext(BTreeMap<String, String>);

impl EncryptionContext {
    /// Keys with this prefix are reserved for the SDK itself.
    pub const RESERVED_PREFIX: &'static str = "aws-crypto-";

    /// The key under which signing suites store the verification key.
    pub const PUBLIC_KEY: &'static str = "aws-crypto-public-key";

    /// The largest canonical serialization that fits the header's 16-bit AAD length.
    pub const MAX_SERIALIZED_LEN: usize = u16::MAX as usize;

    /// An empty context.
    pub const fn new() -> Self {
        Self(BTreeMap::new())
    }

    /// The number of pairs.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether the context holds no pair.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The value under `key`.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.0.get(key).map(String::as_str)
    }

    /// Whether the context holds `key`.
    pub fn contains_key(&self, key: &str) -> bool {
        self.0.contains_key(key)
    }

    /// Inserts a pair, returning the value it replaced.
    pub fn insert(&mut self, key: impl Into<String>, value: impl Into<String>) -> Option<String> {
        self.0.insert(key.into(), value.into())
    }

    /// Removes a pair, returning its value.
    pub fn remove(&mut self, key: &str) -> Option<String> {
        self.0.remove(key)
    }

    /// The pairs in canonical order.
    pub fn iter(&self) -> impl ExactSizeIterator<Item = (&str, &str)> + '_ {
        self.0.iter().map(|(k, v)| (k.as_str(), v.as_str()))
    }

    /// The keys in canonical order.
    pub fn keys(&self) -> impl ExactSizeIterator<Item = &str> + '_ {
        self.0.keys().map(String::as_str)
    }

    /// The first key that uses the reserved `aws-crypto-` prefix, if any.
    pub fn reserved_key(&self) -> Option<&str> {
        self.keys().find(|k| k.starts_with(Self::RESERVED_PREFIX))
    }

    /// The length of the canonical serialization: 0 for an empty context, otherwise the
    /// pair count plus every length-prefixed key and value.
    pub fn serialized_len(&self) -> usize {
        if self.0.is_empty() {
            return 0;
        }
        self.0
            .iter()
            .fold(2, |len, (k, v)| len.saturating_add(4 + k.len() + v.len()))
    }

    /// Checks that the context fits the message format.
    ///
    /// # Errors
    /// [`Error::EncryptionContextTooLarge`] when the serialization exceeds 65535 bytes (which
    /// also bounds every key and value).
    pub fn check_size(&self) -> Result<()> {
        let len = self.serialized_len();
        if len > Self::MAX_SERIALIZED_LEN {
            return Err(Error::EncryptionContextTooLarge {
                len,
                max: Self::MAX_SERIALIZED_LEN,
            });
        }
        Ok(())
    }

    /// The canonical serialization: empty for an empty context, otherwise a `u16` pair count
    /// and the pairs sorted by key bytes, each key and value with a `u16` length.
    ///
    /// # Errors
    /// [`Error::EncryptionContextTooLarge`] when the context does not fit.
    pub fn to_canonical_bytes(&self) -> Result<Vec<u8>> {
        self.check_size()?;
        let mut out = Vec::with_capacity(self.serialized_len());
        self.write_canonical(&mut out);
        Ok(out)
    }

    /// Appends the canonical serialization. The caller has checked the size.
    pub(crate) fn write_canonical(&self, out: &mut Vec<u8>) {
        if self.0.is_empty() {
            return;
        }
        // Sizes are checked by `check_size`, so every length fits 16 bits.
        let count = u16::try_from(self.0.len()).unwrap_or(u16::MAX);
        out.extend_from_slice(&count.to_be_bytes());
        for (key, value) in &self.0 {
            for part in [key, value] {
                let len = u16::try_from(part.len()).unwrap_or(u16::MAX);
                out.extend_from_slice(&len.to_be_bytes());
                out.extend_from_slice(part.as_bytes());
            }
        }
    }

    /// Parses a serialized context. Pairs may come in any order (the header tag covers the
    /// bytes as written), but a key may not appear twice.
    ///
    /// # Errors
    /// [`Error::MalformedEncryptionContext`], [`Error::DuplicateEncryptionContextKey`] or
    /// [`Error::InvalidUtf8`].
    pub fn from_canonical_bytes(bytes: &[u8]) -> Result<Self> {
        if bytes.is_empty() {
            return Ok(Self::new());
        }
        let mut reader = Reader::new(bytes);
        let parsed = parse_pairs(&mut reader).map_err(|e| match e {
            ParseError::Incomplete => {
                Error::MalformedEncryptionContext("a pair runs past the end of the context")
            }
            ParseError::Invalid(e) => e,
        })?;
        if reader.remaining() != 0 {
            return Err(Error::MalformedEncryptionContext(
                "bytes follow the last pair",
            ));
        }
        Ok(parsed)
    }
}

fn parse_pairs(reader: &mut Reader<'_>) -> Result<EncryptionContext, ParseError> {
    let count = reader.u16()?;
    if count == 0 {
        return Err(
            Error::MalformedEncryptionContext("a non-empty context with zero pairs").into(),
        );
    }
    let mut map = BTreeMap::new();
    for _ in 0..count {
        let key = utf8(reader.u16_prefixed()?, "encryption context key")?;
        let value = utf8(reader.u16_prefixed()?, "encryption context value")?;
        if let Some(key) = insert_new(&mut map, key, value) {
            return Err(Error::DuplicateEncryptionContextKey(key).into());
        }
    }
    Ok(EncryptionContext(map))
}

/// Inserts a pair; returns the key back when it was already present.
fn insert_new(map: &mut BTreeMap<String, String>, key: String, value: String) -> Option<String> {
    use std::collections::btree_map::Entry;
    match map.entry(key) {
        Entry::Vacant(slot) => {
            slot.insert(value);
            None
        }
        Entry::Occupied(slot) => Some(slot.key().clone()),
    }
}

fn utf8(bytes: &[u8], field: &'static str) -> Result<String> {
    core::str::from_utf8(bytes)
        .map(str::to_owned)
        .map_err(|_| Error::InvalidUtf8(field))
}

impl fmt::Debug for EncryptionContext {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map().entries(self.0.iter()).finish()
    }
}

impl<K: Into<String>, V: Into<String>> FromIterator<(K, V)> for EncryptionContext {
    fn from_iter<I: IntoIterator<Item = (K, V)>>(iter: I) -> Self {
        Self(
            iter.into_iter()
                .map(|(k, v)| (k.into(), v.into()))
                .collect(),
        )
    }
}

impl<K: Into<String>, V: Into<String>, const N: usize> From<[(K, V); N]> for EncryptionContext {
    fn from(pairs: [(K, V); N]) -> Self {
        pairs.into_iter().collect()
    }
}

impl<K: Into<String>, V: Into<String>> Extend<(K, V)> for EncryptionContext {
    fn extend<I: IntoIterator<Item = (K, V)>>(&mut self, iter: I) {
        self.0
            .extend(iter.into_iter().map(|(k, v)| (k.into(), v.into())));
    }
}

impl From<BTreeMap<String, String>> for EncryptionContext {
    fn from(map: BTreeMap<String, String>) -> Self {
        Self(map)
    }
}

impl From<EncryptionContext> for BTreeMap<String, String> {
    fn from(context: EncryptionContext) -> Self {
        context.0
    }
}

#[cfg(test)]
#[expect(
    clippy::indexing_slicing,
    reason = "tests index fixtures of known length"
)]
mod tests {
    use super::*;

    #[test]
    fn empty_context_serializes_to_nothing() {
        assert!(
            EncryptionContext::new()
                .to_canonical_bytes()
                .unwrap()
                .is_empty()
        );
        assert_eq!(
            EncryptionContext::from_canonical_bytes(&[]).unwrap(),
            EncryptionContext::new()
        );
    }

    #[test]
    fn pairs_sort_by_utf8_bytes_not_utf16_units() {
        // U+10002 is a surrogate pair in UTF-16 (0xD800 ...) and so sorts before U+FFFD there,
        // but after it in UTF-8 byte order (F0 > EF).
        let context = EncryptionContext::from([("\u{10002}", "a"), ("\u{fffd}", "b")]);
        let bytes = context.to_canonical_bytes().unwrap();
        let first_key = &bytes[4..7];
        assert_eq!(first_key, "\u{fffd}".as_bytes());
    }

    #[test]
    fn non_bmp_pair_matches_the_published_serialization() {
        let context = EncryptionContext::from([("\u{10002}", "\u{10002}")]);
        let expected = [
            0, 1, 0, 4, 0xf0, 0x90, 0x80, 0x82, 0, 4, 0xf0, 0x90, 0x80, 0x82,
        ];
        assert_eq!(context.to_canonical_bytes().unwrap(), expected);
    }

    #[test]
    fn readers_accept_unsorted_pairs() {
        let bytes = [0, 2, 0, 1, b'b', 0, 1, b'2', 0, 1, b'a', 0, 1, b'1'];
        let context = EncryptionContext::from_canonical_bytes(&bytes).unwrap();
        assert_eq!(context, EncryptionContext::from([("a", "1"), ("b", "2")]));
    }

    #[test]
    fn readers_reject_duplicate_keys() {
        let bytes = [0, 2, 0, 1, b'a', 0, 1, b'2', 0, 1, b'a', 0, 1, b'1'];
        assert!(matches!(
            EncryptionContext::from_canonical_bytes(&bytes),
            Err(Error::DuplicateEncryptionContextKey(key)) if key == "a"
        ));
    }

    #[test]
    fn readers_reject_zero_pairs_trailing_bytes_and_short_pairs() {
        for bytes in [
            &[0u8, 0][..],
            &[0, 1, 0, 1, b'a', 0, 0, 9],
            &[0, 1, 0, 5, b'a'],
        ] {
            assert!(matches!(
                EncryptionContext::from_canonical_bytes(bytes),
                Err(Error::MalformedEncryptionContext(_))
            ));
        }
    }

    #[test]
    fn readers_reject_invalid_utf8() {
        let bytes = [0, 1, 0, 1, 0xff, 0, 0];
        assert!(matches!(
            EncryptionContext::from_canonical_bytes(&bytes),
            Err(Error::InvalidUtf8(_))
        ));
    }

    #[test]
    fn oversized_contexts_are_refused() {
        let context = EncryptionContext::from([("k", "v".repeat(65_530))]);
        assert!(matches!(
            context.to_canonical_bytes(),
            Err(Error::EncryptionContextTooLarge {
                len: 65_537,
                max: 65_535
            })
        ));
        let fits = EncryptionContext::from([("k", "v".repeat(65_528))]);
        assert_eq!(fits.to_canonical_bytes().unwrap().len(), 65_535);
    }

    #[test]
    fn reserved_keys_are_reported() {
        let context = EncryptionContext::from([("a", "1"), ("aws-crypto-x", "2")]);
        assert_eq!(context.reserved_key(), Some("aws-crypto-x"));
        assert_eq!(
            EncryptionContext::from([("aws-cryptox", "1")]).reserved_key(),
            None
        );
    }
}
