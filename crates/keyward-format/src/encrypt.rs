//! The sans-IO encryptor: header, frames and footer, written frame by frame.
//!
//! spec: client-apis/encrypt.md, data-format/message-body.md#framed-data

use core::fmt;
use core::num::NonZeroUsize;
use std::sync::Arc;

use crate::context::EncryptionContext;
use crate::crypto::{IV_LEN, MessageHash, TAG_LEN};
use crate::edk::EncryptedDataKey;
use crate::error::{Error, Result};
use crate::frame::{BodyAad, BodyPart, FINAL_FRAME_MARKER, FrameLength, frame_iv};
use crate::header::HeaderFields;
use crate::kdf::{self, InfoStyle, MessageKey};
use crate::parallel::{self, Run, Threads};
use crate::signature::SigningKey;
use crate::suite::{AlgorithmSuite, MessageFormatVersion};

/// What the encryptor needs: the suite, the plaintext data key and its encrypted copies, and
/// the optional settings.
#[derive(Debug)]
#[must_use]
pub struct EncryptParams<'a> {
    suite: AlgorithmSuite,
    data_key: &'a [u8],
    encrypted_data_keys: &'a [EncryptedDataKey],
    encryption_context: &'a EncryptionContext,
    required_encryption_context: &'a EncryptionContext,
    frame_length: FrameLength,
    signing_key: Option<Arc<SigningKey>>,
    message_id: Option<&'a [u8]>,
    threads: Threads,
}

impl<'a> EncryptParams<'a> {
    /// The required parameters. The data key must have the suite's key length.
    pub fn new(
        suite: AlgorithmSuite,
        data_key: &'a [u8],
        encrypted_data_keys: &'a [EncryptedDataKey],
    ) -> Self {
        Self {
            suite,
            data_key,
            encrypted_data_keys,
            encryption_context: &EMPTY_CONTEXT,
            required_encryption_context: &EMPTY_CONTEXT,
            frame_length: FrameLength::DEFAULT,
            signing_key: None,
            message_id: None,
            threads: Threads::DEFAULT,
        }
    }

    /// The encryption context stored in the header. For signing suites it must hold the
    /// signing key's public key under `aws-crypto-public-key`. Default: empty.
    pub fn encryption_context(mut self, context: &'a EncryptionContext) -> Self {
        self.encryption_context = context;
        self
    }

    /// Pairs authenticated by the header tag but not stored in the header: the reader must
    /// supply them again. Default: empty.
    pub fn required_encryption_context(mut self, context: &'a EncryptionContext) -> Self {
        self.required_encryption_context = context;
        self
    }

    /// The frame length. Default: [`FrameLength::DEFAULT`] (4096).
    pub fn frame_length(mut self, frame_length: FrameLength) -> Self {
        self.frame_length = frame_length;
        self
    }

    /// The signing key, required exactly for signing suites.
    pub fn signing_key(mut self, key: Arc<SigningKey>) -> Self {
        self.signing_key = Some(key);
        self
    }

    /// At most this many threads seal the frames of one large update (1 MiB of frames or
    /// more; smaller ones stay on the calling thread). Default: the machine's parallelism.
    pub fn max_threads(mut self, threads: NonZeroUsize) -> Self {
        self.threads = Threads::at_most(threads);
        self
    }

    /// A fixed message id instead of a random one, for reproducing known answers. A message
    /// id must never repeat under one data key: leave it random in real use.
    #[doc(hidden)]
    pub fn message_id(mut self, message_id: &'a [u8]) -> Self {
        self.message_id = Some(message_id);
        self
    }
}

/// Writes one message: [`Encryptor::start`] writes the header, [`Encryptor::update`] the
/// frames as plaintext arrives, and [`Encryptor::finish`] the final frame and the footer.
///
/// At most one frame of plaintext is held back (the final frame must be the last one). A
/// plaintext that fills its last frame exactly ends with that regular frame and an empty final
/// frame, as the official Python SDK writes it: its readers before version 4 (and so
/// aws-encryption-cli) refuse a final frame as long as the frame length, which the
/// specification allows. Plaintext that arrives in large slices is encrypted from the
/// caller's buffer without an intermediate copy.
pub struct Encryptor {
    suite: AlgorithmSuite,
    key: MessageKey,
    message_id: [u8; 32],
    frame_length: usize,
    next_sequence_number: u32,
    pending: Vec<u8>,
    hash: Option<MessageHash>,
    signing_key: Option<Arc<SigningKey>>,
    threads: Threads,
}

impl Encryptor {
    /// Derives the message key and appends the header to `out`.
    ///
    /// # Errors
    /// [`Error::DataKeyLength`], [`Error::SignatureKeyMismatch`] when the signing key does
    /// not fit the suite or the context, [`Error::EncryptionContextTooLarge`],
    /// [`Error::NoEncryptedDataKeys`], or [`Error::Crypto`].
    pub fn start(params: EncryptParams<'_>, out: &mut Vec<u8>) -> Result<Self> {
        let suite = params.suite;
        check_signing_key(&params)?;
        let id_len = suite.message_id_len();
        let mut message_id = [0u8; 32];
        match params.message_id {
            Some(id) if id.len() == id_len => message_id
                .get_mut(..id_len)
                .ok_or(Error::Crypto)?
                .copy_from_slice(id),
            Some(id) => {
                return Err(Error::MessageIdLength {
                    expected: id_len,
                    actual: id.len(),
                });
            }
            None => message_id = crate::random::array()?,
        }
        let message_id_bytes = message_id.get(..id_len).ok_or(Error::Crypto)?;
        let key = kdf::derive(
            suite,
            params.data_key,
            message_id_bytes,
            InfoStyle::Standard,
        )?;

        let header_start = out.len();
        HeaderFields {
            suite,
            message_id: message_id_bytes,
            encryption_context: params.encryption_context,
            encrypted_data_keys: params.encrypted_data_keys,
            frame_length: params.frame_length.get(),
            commitment: key.commitment.as_ref(),
        }
        .write_body(out)?;
        // The header tag covers the header body and the required pairs, which are not stored.
        params.required_encryption_context.check_size()?;
        let body_end = out.len();
        params.required_encryption_context.write_canonical(out);
        let header_iv = [0u8; IV_LEN];
        let tag = {
            let aad = out.get(header_start..).ok_or(Error::Crypto)?;
            key.aead.seal_in_place(header_iv, aad, &mut [])?
        };
        out.truncate(body_end);
        if suite.message_format_version() == MessageFormatVersion::V1 {
            out.extend_from_slice(&header_iv);
        }
        out.extend_from_slice(&tag);

        let hash = suite.signature().map(|algorithm| {
            let mut hash = MessageHash::new(algorithm);
            hash.update(out.get(header_start..).unwrap_or_default());
            hash
        });
        Ok(Self {
            suite,
            key,
            message_id,
            frame_length: params.frame_length.as_usize(),
            next_sequence_number: 1,
            pending: Vec::new(),
            hash,
            signing_key: params.signing_key,
            threads: params.threads,
        })
    }

    /// The suite of the message being written.
    pub fn suite(&self) -> AlgorithmSuite {
        self.suite
    }

    /// Encrypts more plaintext, appending every completed frame to `out`.
    ///
    /// # Errors
    /// [`Error::TooManyFrames`] past 2^32 - 2 regular frames, or [`Error::Crypto`].
    pub fn update(&mut self, mut input: &[u8], out: &mut Vec<u8>) -> Result<()> {
        if input.is_empty() {
            return Ok(());
        }
        let frame_length = self.frame_length;
        if !self.pending.is_empty() {
            let take = (frame_length - self.pending.len()).min(input.len());
            let (head, rest) = input.split_at(take);
            self.pending.extend_from_slice(head);
            input = rest;
            if input.is_empty() {
                return Ok(());
            }
            // The held frame is full and more plaintext follows: it is a regular frame.
            let pending = core::mem::take(&mut self.pending);
            let written = self.write_frame(&pending, BodyPart::Regular, out);
            self.pending = pending;
            self.pending.clear();
            written?;
        }
        if input.len() > frame_length {
            // Every whole frame but the last (which may be the final one) is regular.
            let count = (input.len() - 1) / frame_length;
            let (frames, rest) = input.split_at(count * frame_length);
            self.write_regular_frames(frames, count, out)?;
            input = rest;
        }
        self.pending.extend_from_slice(input);
        Ok(())
    }

    /// Seals `count` whole regular frames (on several threads when they are many).
    fn write_regular_frames(
        &mut self,
        frames: &[u8],
        count: usize,
        out: &mut Vec<u8>,
    ) -> Result<()> {
        let first = self.next_sequence_number;
        // The final frame's number must fit after them.
        let next = u32::try_from(count)
            .ok()
            .and_then(|count| first.checked_add(count))
            .filter(|n| *n < u32::MAX)
            .ok_or(Error::TooManyFrames)?;
        let run = Run {
            key: &self.key.aead,
            message_id: self
                .message_id
                .get(..self.suite.message_id_len())
                .ok_or(Error::Crypto)?,
            first_sequence_number: first,
            frame_length: self.frame_length,
        };
        parallel::seal(&run, self.threads, frames, out, self.hash.as_mut())?;
        self.next_sequence_number = next;
        Ok(())
    }

    /// Writes the final frame (the held-back plaintext, possibly empty) and, for signing
    /// suites, the footer.
    ///
    /// # Errors
    /// [`Error::Crypto`] when encryption or signing fails.
    pub fn finish(mut self, out: &mut Vec<u8>) -> Result<()> {
        let pending = core::mem::take(&mut self.pending);
        if pending.len() == self.frame_length {
            self.write_frame(&pending, BodyPart::Regular, out)?;
            self.write_frame(&[], BodyPart::Final, out)?;
        } else {
            self.write_frame(&pending, BodyPart::Final, out)?;
        }
        if let (Some(hash), Some(key)) = (self.hash.take(), self.signing_key.as_ref()) {
            let signature = key.sign(&hash.finish())?;
            let len = u16::try_from(signature.len()).map_err(|_| Error::Crypto)?;
            out.extend_from_slice(&len.to_be_bytes());
            out.extend_from_slice(&signature);
        }
        Ok(())
    }

    /// The length of the whole message for a plaintext of `plaintext_len` bytes, given the
    /// header length: useful to size an output buffer once.
    pub fn message_len(&self, header_len: usize, plaintext_len: usize) -> usize {
        let regular = plaintext_len / self.frame_length;
        let final_len = plaintext_len % self.frame_length;
        let footer = self
            .suite
            .signature()
            .map_or(0, |a| 2 + a.fixed_signature_len());
        header_len
            + regular * (4 + IV_LEN + self.frame_length + TAG_LEN)
            + 4
            + 4
            + IV_LEN
            + 4
            + final_len
            + TAG_LEN
            + footer
    }

    fn write_frame(&mut self, plaintext: &[u8], part: BodyPart, out: &mut Vec<u8>) -> Result<()> {
        let sequence_number = self.next_sequence_number;
        if part == BodyPart::Regular {
            // The final frame's number must fit too.
            self.next_sequence_number = sequence_number
                .checked_add(1)
                .filter(|n| *n < u32::MAX)
                .ok_or(Error::TooManyFrames)?;
        }
        let iv = frame_iv(sequence_number);
        let frame_start = out.len();
        if part == BodyPart::Final {
            out.extend_from_slice(&FINAL_FRAME_MARKER.to_be_bytes());
        }
        out.extend_from_slice(&sequence_number.to_be_bytes());
        out.extend_from_slice(&iv);
        if part == BodyPart::Final {
            let len = u32::try_from(plaintext.len()).map_err(|_| Error::TooManyFrames)?;
            out.extend_from_slice(&len.to_be_bytes());
        }
        let message_id = self
            .message_id
            .get(..self.suite.message_id_len())
            .ok_or(Error::Crypto)?;
        let aad = BodyAad::new(message_id, part, sequence_number, plaintext.len() as u64);
        let data_start = out.len();
        out.resize(data_start + plaintext.len() + TAG_LEN, 0);
        let (data, tag) = out
            .get_mut(data_start..)
            .ok_or(Error::Crypto)?
            .split_at_mut(plaintext.len());
        self.key
            .aead
            .seal_into(iv, aad.as_bytes(), plaintext, data, tag)?;
        if let Some(hash) = self.hash.as_mut() {
            hash.update(out.get(frame_start..).unwrap_or_default());
        }
        Ok(())
    }
}

impl fmt::Debug for Encryptor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Encryptor")
            .field("suite", &self.suite)
            .field("frame_length", &self.frame_length)
            .field("next_sequence_number", &self.next_sequence_number)
            .finish_non_exhaustive()
    }
}

fn check_signing_key(params: &EncryptParams<'_>) -> Result<()> {
    let suite = params.suite;
    let stored = params.encryption_context.get(EncryptionContext::PUBLIC_KEY);
    let problem = match (suite.signature(), params.signing_key.as_deref(), stored) {
        (None, None, None) => return Ok(()),
        (Some(algorithm), Some(key), Some(stored))
            if key.algorithm() == algorithm && key.public_key_base64() == stored =>
        {
            return Ok(());
        }
        (Some(_), None, _) => "signs, but no signing key was given",
        (Some(_), Some(_), None) => "signs, but the context holds no aws-crypto-public-key",
        (Some(_), Some(_), Some(_)) => "signs, but the key does not match the context's public key",
        (None, Some(_), _) => "does not sign, but a signing key was given",
        (None, None, Some(_)) => "does not sign, but the context holds aws-crypto-public-key",
    };
    Err(Error::SignatureKeyMismatch {
        suite: suite.id(),
        problem,
    })
}

static EMPTY_CONTEXT: EncryptionContext = EncryptionContext::new();
