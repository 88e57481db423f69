//! Finding where a header ends while its bytes arrive, in linear time.
//!
//! A header's length is known only field by field: each encrypted data key carries its own
//! lengths. Re-parsing the whole header each time input arrives costs time quadratic in its
//! size (65,535 keys of 64 KiB make a header of 4 GiB). The scanner instead keeps its place:
//! each feed copies exactly the bytes the current field still needs and reads each length
//! prefix once, so every byte is copied once and examined a bounded number of times, and it
//! stops at the header's last byte, leaving the body in the input. The limits are applied as
//! soon as the fields that break them are known: the header length before its bytes are
//! buffered, the key count before the keys are read. When the header is complete, one
//! [`Header::parse`] over it validates every field.

use core::num::NonZeroU16;

use crate::crypto::{IV_LEN, TAG_LEN};
use crate::error::{Error, Result};
use crate::header::{Header, MESSAGE_TYPE};
use crate::kdf::COMMITMENT_LEN;
use crate::suite::AlgorithmSuite;

/// The limits a header must keep.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct HeaderLimits {
    /// The most bytes the whole header may take.
    pub(crate) max_len: Option<usize>,
    /// The most encrypted data keys it may list.
    pub(crate) max_encrypted_data_keys: Option<NonZeroU16>,
}

/// Scans a header as its bytes arrive.
#[derive(Debug)]
pub(crate) struct HeaderScanner {
    bytes: Vec<u8>,
    stage: Stage,
    limits: HeaderLimits,
}

#[derive(Clone, Copy, Debug)]
enum Stage {
    // Every stage ends at the absolute offset `end` of the header bytes.
    /// The version byte.
    Version,
    /// A first byte `A`: the second tells base64 text from a bad version.
    Base64Probe,
    /// Message type (version 1) and suite id.
    Suite {
        version: u8,
    },
    /// The message id.
    MessageId {
        version: u8,
        end: usize,
    },
    /// A `u16` length prefix, then that many bytes; `then` says what follows.
    Length {
        end: usize,
        then: After,
    },
    Bytes {
        end: usize,
        then: After,
    },
    /// The key count.
    KeyCount {
        version: u8,
        end: usize,
    },
    /// Everything after the keys: fixed length for the version.
    Tail {
        end: usize,
    },
    Done,
}

/// What a length-prefixed field is, and what comes after it.
#[derive(Clone, Copy, Debug)]
enum After {
    /// The encryption context; then the key count.
    Context { version: u8 },
    /// Part `part` (0 provider id, 1 provider info, 2 ciphertext) of a key, with `left` keys
    /// after this one.
    Key { version: u8, left: u16, part: u8 },
}

impl HeaderScanner {
    pub(crate) fn new(limits: HeaderLimits) -> Self {
        Self {
            bytes: Vec::new(),
            stage: Stage::Version,
            limits,
        }
    }

    /// How many bytes it holds.
    pub(crate) fn buffered_len(&self) -> usize {
        self.bytes.capacity()
    }

    /// Takes header bytes from the front of `input` (and no more); returns the header once it
    /// is complete, leaving `input` at the first byte after it.
    ///
    /// # Errors
    /// The first field that breaks the format or a limit; then every field of the complete
    /// header, as [`Header::parse`] checks them.
    pub(crate) fn feed(&mut self, input: &mut &[u8]) -> Result<Option<Header>> {
        loop {
            if let Stage::Done = self.stage {
                let bytes = core::mem::take(&mut self.bytes);
                return Header::parse_complete(bytes, self.limits.max_encrypted_data_keys)
                    .map(Some);
            }
            let need = self.need();
            if let Some(max) = self.limits.max_len
                && need > max
            {
                return Err(Error::HeaderTooLong { max });
            }
            if self.bytes.len() < need {
                // Room for what arrives now, not for what a length field merely claims.
                self.grow(need.min(self.bytes.len().saturating_add(input.len())));
                let take = (need - self.bytes.len()).min(input.len());
                let (head, rest) = input.split_at(take);
                self.bytes.extend_from_slice(head);
                *input = rest;
                if self.bytes.len() < need {
                    return Ok(None);
                }
            }
            self.stage = self.advance(need)?;
        }
    }

    /// Room for `need` bytes: doubling (linear copying in all), but never past the header
    /// limit, so the buffer stays within it.
    fn grow(&mut self, need: usize) {
        let capacity = self.bytes.capacity();
        if capacity >= need {
            return;
        }
        let doubled = capacity.saturating_mul(2);
        let target = match self.limits.max_len {
            Some(max) => need.max(doubled.min(max)),
            None => need.max(doubled),
        };
        self.bytes.reserve_exact(target - self.bytes.len());
    }

    /// How many header bytes in all the current stage needs.
    fn need(&self) -> usize {
        match self.stage {
            Stage::Version => 1,
            Stage::Base64Probe => 2,
            Stage::Suite { version: 1 } => 4,
            Stage::Suite { .. } => 3,
            Stage::MessageId { end, .. }
            | Stage::Length { end, .. }
            | Stage::Bytes { end, .. }
            | Stage::KeyCount { end, .. }
            | Stage::Tail { end } => end,
            Stage::Done => self.bytes.len(),
        }
    }

    /// Reads the stage's field (its `need` bytes are there) and says what comes next.
    fn advance(&self, need: usize) -> Result<Stage> {
        debug_assert_eq!(need, self.bytes.len());
        let at = self.bytes.len();
        let byte = |i: usize| self.bytes.get(i).copied().ok_or(Error::Truncated);
        let u16_at = |i: usize| -> Result<u16> { Ok(u16::from_be_bytes([byte(i)?, byte(i + 1)?])) };
        Ok(match self.stage {
            Stage::Version => match byte(0)? {
                version @ (1 | 2) => Stage::Suite { version },
                b'A' => Stage::Base64Probe,
                other => return Err(Error::UnsupportedVersion(other)),
            },
            Stage::Base64Probe => {
                return Err(if matches!(byte(1)?, b'Y' | b'g') {
                    Error::Base64Encoded
                } else {
                    Error::UnsupportedVersion(b'A')
                });
            }
            Stage::Suite { version } => {
                if version == 1 && byte(1)? != MESSAGE_TYPE {
                    return Err(Error::UnsupportedMessageType(byte(1)?));
                }
                let suite_id = u16_at(need - 2)?;
                let suite = AlgorithmSuite::from_id(suite_id)?;
                if suite.message_format_version().byte() != version {
                    return Err(Error::SuiteVersionMismatch {
                        suite: suite_id,
                        version,
                    });
                }
                Stage::MessageId {
                    version,
                    end: at + suite.message_id_len(),
                }
            }
            Stage::MessageId { version, .. } => Stage::Length {
                end: at + 2,
                then: After::Context { version },
            },
            Stage::Length { then, .. } => Stage::Bytes {
                end: at.saturating_add(usize::from(u16_at(at - 2)?)),
                then,
            },
            Stage::Bytes { then, .. } => match then {
                After::Context { version } => Stage::KeyCount {
                    version,
                    end: at + 2,
                },
                After::Key {
                    version,
                    left,
                    part,
                } => match (part, left) {
                    (0 | 1, _) => Stage::Length {
                        end: at + 2,
                        then: After::Key {
                            version,
                            left,
                            part: part + 1,
                        },
                    },
                    (_, 0) => tail(version, at),
                    (_, left) => Stage::Length {
                        end: at + 2,
                        then: After::Key {
                            version,
                            left: left - 1,
                            part: 0,
                        },
                    },
                },
            },
            Stage::KeyCount { version, .. } => {
                let count = u16_at(at - 2)?;
                if count == 0 {
                    return Err(Error::NoEncryptedDataKeys);
                }
                if let Some(max) = self.limits.max_encrypted_data_keys
                    && count > max.get()
                {
                    return Err(Error::TooManyEncryptedDataKeys {
                        count: usize::from(count),
                        max: max.get(),
                    });
                }
                Stage::Length {
                    end: at + 2,
                    then: After::Key {
                        version,
                        left: count - 1,
                        part: 0,
                    },
                }
            }
            Stage::Tail { .. } => Stage::Done,
            Stage::Done => Stage::Done,
        })
    }
}

/// The fixed fields after the keys: content type, the reserved field and IV length
/// (version 1), frame length, the commitment (version 2), the header IV (version 1), the tag.
fn tail(version: u8, at: usize) -> Stage {
    let len = match version {
        1 => 1 + 4 + 1 + 4 + IV_LEN + TAG_LEN,
        _ => 1 + 4 + COMMITMENT_LEN + TAG_LEN,
    };
    Stage::Tail { end: at + len }
}
