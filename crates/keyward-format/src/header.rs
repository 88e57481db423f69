//! The message header: parsing (v1 and v2) and serialization.
//!
//! spec: data-format/message-header.md

use core::num::NonZeroU16;

use crate::codec::{ParseError, ParseResult, Reader};
use crate::context::EncryptionContext;
use crate::crypto::{IV_LEN, TAG_LEN};
use crate::edk::EncryptedDataKey;
use crate::error::{Error, Result};
use crate::kdf::COMMITMENT_LEN;
use crate::signature::VerificationKey;
use crate::suite::{AlgorithmSuite, MessageFormatVersion};

mod scan;

pub(crate) use self::scan::{HeaderLimits, HeaderScanner};

/// How the message body is laid out.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ContentType {
    /// One AES-GCM block for the whole plaintext (read only; writers never produce it).
    NonFramed,
    /// A sequence of frames of the header's frame length and a final frame.
    Framed,
}

impl ContentType {
    /// The content-type byte.
    pub const fn byte(self) -> u8 {
        match self {
            Self::NonFramed => 1,
            Self::Framed => 2,
        }
    }
}

/// A parsed header: its fields, and its bytes exactly as received (the header tag and the
/// signature cover those bytes, never a re-serialization).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Header {
    suite: AlgorithmSuite,
    message_id: [u8; 32],
    encryption_context: EncryptionContext,
    encrypted_data_keys: Vec<EncryptedDataKey>,
    content_type: ContentType,
    frame_length: u32,
    commitment: Option<[u8; COMMITMENT_LEN]>,
    iv: [u8; IV_LEN],
    tag: [u8; TAG_LEN],
    body_len: usize,
    bytes: Vec<u8>,
}

impl Header {
    /// The algorithm suite.
    pub fn suite(&self) -> AlgorithmSuite {
        self.suite
    }

    /// The message format version.
    pub fn version(&self) -> MessageFormatVersion {
        self.suite.message_format_version()
    }

    /// The message id: 16 bytes in version 1, 32 in version 2.
    pub fn message_id(&self) -> &[u8] {
        self.message_id
            .get(..self.suite.message_id_len())
            .unwrap_or(&self.message_id)
    }

    /// The encryption context stored in the header (without the required-context pairs,
    /// which are authenticated but not stored).
    pub fn encryption_context(&self) -> &EncryptionContext {
        &self.encryption_context
    }

    /// The encrypted data keys.
    pub fn encrypted_data_keys(&self) -> &[EncryptedDataKey] {
        &self.encrypted_data_keys
    }

    /// The body layout.
    pub fn content_type(&self) -> ContentType {
        self.content_type
    }

    /// The frame length (0 for a non-framed body).
    pub fn frame_length(&self) -> u32 {
        self.frame_length
    }

    /// The key commitment of a version 2 header.
    pub fn commitment(&self) -> Option<&[u8; COMMITMENT_LEN]> {
        self.commitment.as_ref()
    }

    /// The header authentication's IV (all zero in version 2, where the header key is used
    /// once).
    pub fn auth_iv(&self) -> &[u8; IV_LEN] {
        &self.iv
    }

    /// The header authentication's tag.
    pub fn auth_tag(&self) -> &[u8; TAG_LEN] {
        &self.tag
    }

    /// The whole header (body and authentication) as received.
    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// The header body: the bytes the header tag authenticates.
    pub fn body_bytes(&self) -> &[u8] {
        self.bytes.get(..self.body_len).unwrap_or(&self.bytes)
    }

    /// The verification key stored in the header's encryption context, for signing suites.
    ///
    /// A caller that merges a reproduced encryption context should decode the key from the
    /// merged context instead, with [`VerificationKey::from_base64`].
    ///
    /// # Errors
    /// [`Error::SignatureKeyMismatch`] when a signing suite's header has no key or an
    /// unsigned suite's header has one; [`Error::InvalidVerificationKey`] when it is malformed.
    pub fn verification_key(&self) -> Result<Option<VerificationKey>> {
        let stored = self.encryption_context.get(EncryptionContext::PUBLIC_KEY);
        match (self.suite.signature(), stored) {
            (Some(algorithm), Some(encoded)) => {
                VerificationKey::from_base64(algorithm, encoded).map(Some)
            }
            (None, None) => Ok(None),
            (Some(_), None) => Err(Error::SignatureKeyMismatch {
                suite: self.suite.id(),
                problem: "signs, but the context holds no verification key",
            }),
            (None, Some(_)) => Err(Error::SignatureKeyMismatch {
                suite: self.suite.id(),
                problem: "does not sign, but the context holds a verification key",
            }),
        }
    }

    pub(crate) fn iv(&self) -> [u8; IV_LEN] {
        self.iv
    }

    pub(crate) fn tag(&self) -> &[u8; TAG_LEN] {
        &self.tag
    }

    /// Parses a complete header (the scanner found its end), keeping its bytes.
    pub(crate) fn parse_complete(bytes: Vec<u8>, max_edks: Option<NonZeroU16>) -> Result<Self> {
        let (mut header, len) = match Self::parse_fields(&bytes, max_edks) {
            Ok(parsed) => parsed,
            Err(ParseError::Incomplete) => return Err(Error::Truncated),
            Err(ParseError::Invalid(error)) => return Err(error),
        };
        if len != bytes.len() {
            return Err(Error::Truncated);
        }
        header.bytes = bytes;
        Ok(header)
    }

    /// Parses a header (body and authentication) from the start of `input`, with a copy of
    /// its bytes.
    pub(crate) fn parse(input: &[u8], max_edks: Option<NonZeroU16>) -> ParseResult<Self> {
        let (mut header, len) = Self::parse_fields(input, max_edks)?;
        header.bytes = input.get(..len).ok_or(ParseError::Incomplete)?.to_vec();
        Ok(header)
    }

    /// Parses a header's fields from the start of `input`: the header without its bytes, and
    /// its length.
    fn parse_fields(input: &[u8], max_edks: Option<NonZeroU16>) -> ParseResult<(Self, usize)> {
        let mut reader = Reader::new(input);
        let version = reader.u8()?;
        match version {
            1 => {
                let message_type = reader.u8()?;
                if message_type != MESSAGE_TYPE {
                    return Err(Error::UnsupportedMessageType(message_type).into());
                }
            }
            2 => {}
            b'A' => {
                let second = reader.u8()?;
                return Err(if matches!(second, b'Y' | b'g') {
                    Error::Base64Encoded
                } else {
                    Error::UnsupportedVersion(version)
                }
                .into());
            }
            _ => return Err(Error::UnsupportedVersion(version).into()),
        }
        let suite_id = reader.u16()?;
        let suite = AlgorithmSuite::from_id(suite_id)?;
        if suite.message_format_version().byte() != version {
            return Err(Error::SuiteVersionMismatch {
                suite: suite_id,
                version,
            }
            .into());
        }
        let mut message_id = [0u8; 32];
        let id_len = suite.message_id_len();
        message_id
            .get_mut(..id_len)
            .ok_or(Error::Crypto)?
            .copy_from_slice(reader.take(id_len)?);

        let context_bytes = reader.u16_prefixed()?;
        let encryption_context = EncryptionContext::from_canonical_bytes(context_bytes)?;

        let count = reader.u16()?;
        if count == 0 {
            return Err(Error::NoEncryptedDataKeys.into());
        }
        if let Some(max) = max_edks
            && count > max.get()
        {
            return Err(Error::TooManyEncryptedDataKeys {
                count: usize::from(count),
                max: max.get(),
            }
            .into());
        }
        // Every entry takes at least 6 bytes: reserve only what the bytes at hand can hold.
        let mut encrypted_data_keys =
            Vec::with_capacity(usize::from(count).min(reader.remaining() / 6));
        for _ in 0..count {
            encrypted_data_keys.push(EncryptedDataKey::parse(&mut reader)?);
        }

        let content_type = match reader.u8()? {
            1 => ContentType::NonFramed,
            2 => ContentType::Framed,
            other => return Err(Error::UnsupportedContentType(other).into()),
        };
        if version == 1 {
            if reader.array::<4>()? != [0; 4] {
                return Err(Error::NonZeroReservedField.into());
            }
            let iv_len = reader.u8()?;
            if usize::from(iv_len) != IV_LEN {
                return Err(Error::InvalidIvLength(iv_len).into());
            }
        }
        let frame_length = reader.u32()?;
        check_frame_length(content_type, frame_length)?;
        let commitment = match version {
            2 => Some(reader.array::<COMMITMENT_LEN>()?),
            _ => None,
        };
        let body_len = reader.position();
        let iv = match version {
            1 => reader.array::<IV_LEN>()?,
            _ => [0; IV_LEN],
        };
        let tag = reader.array::<TAG_LEN>()?;
        let len = reader.position();
        Ok((
            Self {
                suite,
                message_id,
                encryption_context,
                encrypted_data_keys,
                content_type,
                frame_length,
                commitment,
                iv,
                tag,
                body_len,
                bytes: Vec::new(),
            },
            len,
        ))
    }

    /// Parses a complete header at the start of `input`; returns it and its length.
    ///
    /// # Errors
    /// [`Error::Truncated`] when `input` ends inside the header, or the error that makes the
    /// header invalid.
    pub fn from_bytes(
        input: &[u8],
        max_encrypted_data_keys: Option<NonZeroU16>,
    ) -> Result<(Self, usize)> {
        match Self::parse(input, max_encrypted_data_keys) {
            Ok(header) => {
                let len = header.bytes.len();
                Ok((header, len))
            }
            Err(ParseError::Incomplete) => Err(Error::Truncated),
            Err(ParseError::Invalid(error)) => Err(error),
        }
    }
}

/// The fields a writer chooses for a header body.
pub(crate) struct HeaderFields<'a> {
    pub(crate) suite: AlgorithmSuite,
    pub(crate) message_id: &'a [u8],
    pub(crate) encryption_context: &'a EncryptionContext,
    pub(crate) encrypted_data_keys: &'a [EncryptedDataKey],
    pub(crate) frame_length: u32,
    pub(crate) commitment: Option<&'a [u8; COMMITMENT_LEN]>,
}

impl HeaderFields<'_> {
    /// Serializes a framed header body.
    pub(crate) fn write_body(&self, out: &mut Vec<u8>) -> Result<()> {
        let version = self.suite.message_format_version();
        out.push(version.byte());
        if version == MessageFormatVersion::V1 {
            out.push(MESSAGE_TYPE);
        }
        out.extend_from_slice(&self.suite.id().to_be_bytes());
        out.extend_from_slice(self.message_id);
        self.encryption_context.check_size()?;
        let context_len =
            u16::try_from(self.encryption_context.serialized_len()).map_err(|_| {
                Error::EncryptionContextTooLarge {
                    len: self.encryption_context.serialized_len(),
                    max: EncryptionContext::MAX_SERIALIZED_LEN,
                }
            })?;
        out.extend_from_slice(&context_len.to_be_bytes());
        self.encryption_context.write_canonical(out);
        let count = u16::try_from(self.encrypted_data_keys.len())
            .ok()
            .filter(|count| *count > 0)
            .ok_or(if self.encrypted_data_keys.is_empty() {
                Error::NoEncryptedDataKeys
            } else {
                Error::TooManyEncryptedDataKeys {
                    count: self.encrypted_data_keys.len(),
                    max: u16::MAX,
                }
            })?;
        out.extend_from_slice(&count.to_be_bytes());
        for edk in self.encrypted_data_keys {
            edk.write(out)?;
        }
        out.push(ContentType::Framed.byte());
        if version == MessageFormatVersion::V1 {
            out.extend_from_slice(&[0, 0, 0, 0]);
            out.push(IV_LEN_BYTE);
        }
        out.extend_from_slice(&self.frame_length.to_be_bytes());
        if let Some(commitment) = self.commitment {
            out.extend_from_slice(commitment);
        }
        Ok(())
    }
}

fn check_frame_length(content_type: ContentType, frame_length: u32) -> Result<()> {
    match (content_type, frame_length) {
        (ContentType::Framed, 0) => Err(Error::InvalidFrameLength {
            frame_length,
            content: "framed",
        }),
        (ContentType::NonFramed, 1..) => Err(Error::InvalidFrameLength {
            frame_length,
            content: "non-framed",
        }),
        _ => Ok(()),
    }
}

/// The IV length field of a version 1 header.
const IV_LEN_BYTE: u8 = 12;

/// The only message type: customer-authenticated encrypted data.
pub(crate) const MESSAGE_TYPE: u8 = 0x80;
