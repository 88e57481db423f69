//! Encrypted data keys, as serialized in the header.
//!
//! spec: data-format/message-header.md#encrypted-data-key-entries

use core::fmt;

use crate::codec::{ParseResult, Reader, put_u16_prefixed};
use crate::error::{Error, Result};

/// A data key wrapped by one key provider: the provider's id, its provider-specific info, and
/// the wrapped key. Nothing in it is secret.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct EncryptedDataKey {
    provider_id: String,
    provider_info: Vec<u8>,
    ciphertext: Vec<u8>,
}

impl EncryptedDataKey {
    /// Builds an entry.
    ///
    /// # Errors
    /// [`Error::FieldTooLong`] when a part exceeds 65535 bytes.
    pub fn new(
        provider_id: impl Into<String>,
        provider_info: Vec<u8>,
        ciphertext: Vec<u8>,
    ) -> Result<Self> {
        let provider_id = provider_id.into();
        for (field, len) in [
            ("provider id", provider_id.len()),
            ("provider info", provider_info.len()),
            ("encrypted data key", ciphertext.len()),
        ] {
            if len > usize::from(u16::MAX) {
                return Err(Error::FieldTooLong { field, len });
            }
        }
        Ok(Self {
            provider_id,
            provider_info,
            ciphertext,
        })
    }

    /// The key provider id (the keyring's namespace, `aws-kms`, …).
    pub fn provider_id(&self) -> &str {
        &self.provider_id
    }

    /// The key provider info (a key name, a key ARN, …).
    pub fn provider_info(&self) -> &[u8] {
        &self.provider_info
    }

    /// The wrapped data key.
    pub fn ciphertext(&self) -> &[u8] {
        &self.ciphertext
    }

    /// The length of the serialized entry.
    pub fn serialized_len(&self) -> usize {
        6 + self.provider_id.len() + self.provider_info.len() + self.ciphertext.len()
    }

    /// The entry as the header serializes it: provider id, provider info and ciphertext, each
    /// after its `u16` length (the form cache identifiers hash).
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.serialized_len());
        for part in [
            self.provider_id.as_bytes(),
            &self.provider_info,
            &self.ciphertext,
        ] {
            // `new` bounds every part by `u16::MAX`.
            let len = u16::try_from(part.len()).unwrap_or(u16::MAX);
            out.extend_from_slice(&len.to_be_bytes());
            out.extend_from_slice(part);
        }
        out
    }

    /// Appends the header serialization: three `u16`-prefixed parts.
    pub(crate) fn write(&self, out: &mut Vec<u8>) -> Result<()> {
        put_u16_prefixed(out, "provider id", self.provider_id.as_bytes())?;
        put_u16_prefixed(out, "provider info", &self.provider_info)?;
        put_u16_prefixed(out, "encrypted data key", &self.ciphertext)
    }

    pub(crate) fn parse(reader: &mut Reader<'_>) -> ParseResult<Self> {
        let provider_id = core::str::from_utf8(reader.u16_prefixed()?)
            .map_err(|_| Error::InvalidUtf8("provider id"))?
            .to_owned();
        let provider_info = reader.u16_prefixed()?.to_vec();
        let ciphertext = reader.u16_prefixed()?.to_vec();
        Ok(Self {
            provider_id,
            provider_info,
            ciphertext,
        })
    }
}

impl fmt::Debug for EncryptedDataKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EncryptedDataKey")
            .field("provider_id", &self.provider_id)
            .field(
                "provider_info",
                &String::from_utf8_lossy(&self.provider_info),
            )
            .field("ciphertext_len", &self.ciphertext.len())
            .finish()
    }
}
