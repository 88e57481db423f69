//! Body layout: frame constants, IVs and the body AAD.
//!
//! spec: data-format/message-body.md, data-format/message-body-aad.md

use core::num::NonZeroU32;

use crate::crypto::IV_LEN;
use crate::error::{Error, Result};

/// The frame length of a framed message: 1 ..= 2^32 - 1 plaintext bytes per frame.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct FrameLength(NonZeroU32);

impl FrameLength {
    /// The default frame length of the official SDKs: 4096 bytes.
    pub const DEFAULT: Self = Self(NonZeroU32::new(4096).expect("4096 is not zero"));

    /// A frame length.
    ///
    /// # Errors
    /// [`Error::FrameLengthOutOfRange`] for 0 or anything above 2^32 - 1.
    pub fn new(bytes: u64) -> Result<Self> {
        u32::try_from(bytes)
            .ok()
            .and_then(NonZeroU32::new)
            .map(Self)
            .ok_or(Error::FrameLengthOutOfRange(bytes))
    }

    /// The length in bytes.
    pub const fn get(self) -> u32 {
        self.0.get()
    }

    /// The length in bytes, as a `usize`.
    pub(crate) fn as_usize(self) -> usize {
        self.0.get() as usize
    }
}

impl Default for FrameLength {
    fn default() -> Self {
        Self::DEFAULT
    }
}

/// Which part of the body an AEAD operation protects.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum BodyPart {
    NonFramed,
    Regular,
    Final,
}

impl BodyPart {
    const fn content_string(self) -> &'static [u8] {
        match self {
            Self::NonFramed => b"AWSKMSEncryptionClient Single Block",
            Self::Regular => b"AWSKMSEncryptionClient Frame",
            Self::Final => b"AWSKMSEncryptionClient Final Frame",
        }
    }
}

/// The AAD of one body part, built on the stack:
/// `message id ‖ content string ‖ u32 sequence number ‖ u64 plaintext length`.
pub(crate) struct BodyAad {
    buf: [u8; MAX_BODY_AAD_LEN],
    len: usize,
}

impl BodyAad {
    pub(crate) fn new(
        message_id: &[u8],
        part: BodyPart,
        sequence_number: u32,
        plaintext_len: u64,
    ) -> Self {
        let mut buf = [0u8; MAX_BODY_AAD_LEN];
        let mut len = 0;
        for piece in [
            message_id,
            part.content_string(),
            &sequence_number.to_be_bytes(),
            &plaintext_len.to_be_bytes(),
        ] {
            if let Some(slot) = buf.get_mut(len..len + piece.len()) {
                slot.copy_from_slice(piece);
                len += piece.len();
            }
        }
        Self { buf, len }
    }

    pub(crate) fn as_bytes(&self) -> &[u8] {
        self.buf.get(..self.len).unwrap_or(&self.buf)
    }
}

/// The IV a writer uses for a frame: the sequence number, left-padded with zeros.
pub(crate) fn frame_iv(sequence_number: u32) -> [u8; IV_LEN] {
    let mut iv = [0u8; IV_LEN];
    iv[IV_LEN - 4..].copy_from_slice(&sequence_number.to_be_bytes());
    iv
}

/// The first four bytes of a final frame.
pub(crate) const FINAL_FRAME_MARKER: u32 = 0xffff_ffff;

/// The most a non-framed body may hold: the AES-GCM limit, 2^36 - 32 bytes.
pub(crate) const NON_FRAMED_MAX_LEN: u64 = (1 << 36) - 32;

const MAX_BODY_AAD_LEN: usize = 32 + 35 + 4 + 8;
