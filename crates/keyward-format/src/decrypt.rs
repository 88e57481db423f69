//! The sans-IO decryptor: header, then the body frame by frame, then the footer.
//!
//! spec: client-apis/decrypt.md, data-format/message-body.md

use core::fmt;
use core::num::{NonZeroU16, NonZeroUsize};

use crate::codec::Reader;
use crate::context::EncryptionContext;
use crate::crypto::{IV_LEN, MessageHash, TAG_LEN};
use crate::error::{Error, Result};
use crate::frame::{BodyAad, BodyPart, FINAL_FRAME_MARKER, NON_FRAMED_MAX_LEN};
use crate::header::{ContentType, Header, HeaderLimits, HeaderScanner};
use crate::kdf::{self, InfoStyle, MessageKey};
use crate::parallel::{self, Run, Threads};
use crate::policy::CommitmentPolicy;
use crate::signature::VerificationKey;
use crate::suite::Kdf;

/// How a [`Decryptor`] treats the messages it reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[must_use]
pub struct DecryptOptions {
    commitment_policy: CommitmentPolicy,
    max_encrypted_data_keys: Option<NonZeroU16>,
    max_header_len: Option<usize>,
    max_body_len: Option<u64>,
    net_v4_0_0_retry: bool,
    unsigned_only: bool,
    threads: Threads,
}

impl DecryptOptions {
    /// The defaults: require key commitment, no limit on encrypted data keys, header length
    /// or body length (what the official SDKs accept), the ESDK-NET 4.0.0 retry on, signed
    /// messages accepted.
    pub const fn new() -> Self {
        Self {
            commitment_policy: CommitmentPolicy::RequireEncryptRequireDecrypt,
            max_encrypted_data_keys: None,
            max_header_len: None,
            max_body_len: None,
            net_v4_0_0_retry: true,
            unsigned_only: false,
            threads: Threads::DEFAULT,
        }
    }

    /// The commitment policy. Default: require-encrypt-require-decrypt.
    pub const fn commitment_policy(mut self, policy: CommitmentPolicy) -> Self {
        self.commitment_policy = policy;
        self
    }

    /// Refuses headers with more encrypted data keys than `max`, before reading them.
    /// Default: no limit.
    pub const fn max_encrypted_data_keys(mut self, max: NonZeroU16) -> Self {
        self.max_encrypted_data_keys = Some(max);
        self
    }

    /// Refuses headers longer than `max` bytes, before buffering more than `max` of them.
    /// Default: no limit (a header can reach several GiB: 65,535 keys of 64 KiB each).
    pub const fn max_header_len(mut self, max: usize) -> Self {
        self.max_header_len = Some(max);
        self
    }

    /// Refuses messages whose frames (or non-framed body) are longer than `max` bytes, before
    /// buffering any of their body: the decryptor holds one whole frame before it may release
    /// it, so this bounds its memory. Default: no limit (frames of up to 2^32 - 1 bytes,
    /// non-framed bodies up to 2^36 - 32).
    pub const fn max_body_len(mut self, max: u64) -> Self {
        self.max_body_len = Some(max);
        self
    }

    /// Whether to retry a failed header authentication with the two deviations of messages
    /// written by ESDK-NET 4.0.0 (HKDF info without the message id; `00 00` as the
    /// authenticated empty required context), as the official SDKs do by default. Default: on.
    pub const fn net_v4_0_0_retry(mut self, retry: bool) -> Self {
        self.net_v4_0_0_retry = retry;
        self
    }

    /// Refuses signed messages right after the header, so that no plaintext is ever released
    /// before the whole message is authenticated. Default: off.
    pub const fn unsigned_only(mut self, unsigned_only: bool) -> Self {
        self.unsigned_only = unsigned_only;
        self
    }

    /// At most this many threads open the frames of one large input (1 MiB of whole
    /// frames or more; smaller ones stay on the calling thread). Default: the machine's
    /// parallelism.
    pub const fn max_threads(mut self, threads: NonZeroUsize) -> Self {
        self.threads = Threads::at_most(threads);
        self
    }

    /// The configured commitment policy.
    pub const fn policy(&self) -> CommitmentPolicy {
        self.commitment_policy
    }
}

impl Default for DecryptOptions {
    fn default() -> Self {
        Self::new()
    }
}

/// Whether a decryptor has read the whole message.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Progress {
    /// The message continues: feed more input.
    NeedsInput,
    /// The message is complete and authenticated; all its plaintext has been released.
    Complete,
}

/// Reads one message.
///
/// 1. [`Decryptor::read_header`] until it returns the header (feed input as it arrives);
/// 2. [`Decryptor::begin_body`] with the data key that the header's encrypted data keys
///    unwrap to: this checks the key commitment and the header tag;
/// 3. [`Decryptor::decrypt`] as input arrives, appending plaintext to an output buffer;
/// 4. [`Decryptor::finish`] at the end of the input.
///
/// # Release rules
/// A frame's plaintext is released only after its tag verifies. For signing suites the final
/// frame (or a non-framed body) is held until the signature verifies. On any error the
/// decryptor stops; the caller must discard plaintext of a message that did not complete.
///
/// # Memory
/// At most one frame (plus its framing) is buffered, and that only when a frame arrives split
/// across inputs. A non-framed body is buffered whole, as AES-GCM can only authenticate it at
/// its end; writers never produce non-framed bodies.
pub struct Decryptor {
    options: DecryptOptions,
    state: State,
    scanner: HeaderScanner,
    buf: Vec<u8>,
    header: Option<Header>,
    body: Option<Body>,
    held: Vec<u8>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum State {
    Header,
    Key,
    Body,
    Footer,
    Done,
    Failed,
}

struct Body {
    key: MessageKey,
    next_sequence_number: u32,
    hash: Option<MessageHash>,
    verification_key: Option<VerificationKey>,
}

enum UnitLen {
    /// At least this many bytes are needed to know the unit's length.
    Prefix(usize),
    /// The unit is this long.
    Whole(usize),
}

impl Decryptor {
    /// A decryptor for one message.
    pub fn new(options: DecryptOptions) -> Self {
        Self {
            options,
            state: State::Header,
            scanner: HeaderScanner::new(HeaderLimits {
                max_len: options.max_header_len,
                max_encrypted_data_keys: options.max_encrypted_data_keys,
            }),
            buf: Vec::new(),
            header: None,
            body: None,
            held: Vec::new(),
        }
    }

    /// Consumes header bytes from `input`. Returns the header once it is complete, `None`
    /// while more input is needed (all of `input` was taken).
    ///
    /// Takes no byte after the header: what follows stays in `input` for
    /// [`Decryptor::decrypt`]. Linear time whatever the input's chunking: each byte is copied
    /// once and each length read once.
    ///
    /// # Errors
    /// A malformed header; [`Error::HeaderTooLong`] and [`Error::TooManyEncryptedDataKeys`]
    /// against the limits, as soon as the fields that break them are known;
    /// [`Error::BodyTooLong`] for frames over the body limit; [`Error::CommitmentPolicy`] when
    /// the policy refuses the suite; [`Error::SignedMessageRefused`] for a signed message in
    /// unsigned-only mode.
    pub fn read_header(&mut self, input: &mut &[u8]) -> Result<Option<&Header>> {
        match self.state {
            State::Header => {}
            State::Failed => return Err(Error::OutOfOrder("read_header after a failure")),
            _ => return Ok(self.header.as_ref()),
        }
        let result = self.parse_header(input);
        if result.is_err() {
            self.state = State::Failed;
        }
        result?;
        Ok(self.header.as_ref())
    }

    /// The header, once read.
    pub fn header(&self) -> Option<&Header> {
        self.header.as_ref()
    }

    fn parse_header(&mut self, input: &mut &[u8]) -> Result<()> {
        let Some(parsed) = self.scanner.feed(input)? else {
            return Ok(());
        };
        if let Some(max) = self.options.max_body_len
            && parsed.content_type() == ContentType::Framed
            && u64::from(parsed.frame_length()) > max
        {
            return Err(Error::BodyTooLong {
                len: u64::from(parsed.frame_length()),
                max,
            });
        }
        let suite = parsed.suite();
        let policy = self.options.commitment_policy;
        if !policy.allows_decrypt(suite) {
            return Err(Error::CommitmentPolicy { policy, suite });
        }
        if self.options.unsigned_only && suite.is_signing() {
            return Err(Error::SignedMessageRefused);
        }
        self.header = Some(parsed);
        self.state = State::Key;
        Ok(())
    }

    /// Supplies the plaintext data key, checks the key commitment (in constant time) and then
    /// the header tag.
    ///
    /// `required_encryption_context` holds the pairs that the writer authenticated without
    /// storing them (the decryption materials' required pairs, with their values). The
    /// verification key is required exactly for signing suites.
    ///
    /// # Errors
    /// [`Error::CommitmentMismatch`], [`Error::HeaderAuthentication`],
    /// [`Error::DataKeyLength`], [`Error::SignatureKeyMismatch`], or [`Error::OutOfOrder`]
    /// before the header.
    pub fn begin_body(
        &mut self,
        data_key: &[u8],
        required_encryption_context: &EncryptionContext,
        verification_key: Option<VerificationKey>,
    ) -> Result<()> {
        if self.state != State::Key {
            return Err(Error::OutOfOrder("begin_body"));
        }
        let result =
            self.authenticate_header(data_key, required_encryption_context, verification_key);
        self.state = if result.is_ok() {
            State::Body
        } else {
            State::Failed
        };
        result
    }

    fn authenticate_header(
        &mut self,
        data_key: &[u8],
        required_encryption_context: &EncryptionContext,
        verification_key: Option<VerificationKey>,
    ) -> Result<()> {
        let header = self
            .header
            .as_ref()
            .ok_or(Error::OutOfOrder("begin_body"))?;
        let suite = header.suite();
        match (suite.signature(), verification_key.as_ref()) {
            (None, None) => {}
            (Some(algorithm), Some(key)) if key.algorithm() == algorithm => {}
            (Some(_), _) => {
                return Err(Error::SignatureKeyMismatch {
                    suite: suite.id(),
                    problem: "signs, but no matching verification key was given",
                });
            }
            (None, Some(_)) => {
                return Err(Error::SignatureKeyMismatch {
                    suite: suite.id(),
                    problem: "does not sign, but a verification key was given",
                });
            }
        }
        let mut aad = Vec::with_capacity(
            header.body_bytes().len() + required_encryption_context.serialized_len(),
        );
        aad.extend_from_slice(header.body_bytes());
        required_encryption_context.check_size()?;
        required_encryption_context.write_canonical(&mut aad);

        let key = kdf::derive(suite, data_key, header.message_id(), InfoStyle::Standard)?;
        if let (Some(derived), Some(stored)) = (key.commitment.as_ref(), header.commitment())
            && !kdf::commitment_matches(derived, stored)
        {
            return Err(Error::CommitmentMismatch);
        }
        let key = if header_tag_verifies(header, &key, &aad) {
            key
        } else if self.options.net_v4_0_0_retry {
            let key = match suite.kdf() {
                Kdf::HkdfSha256 | Kdf::HkdfSha384 => {
                    kdf::derive(suite, data_key, header.message_id(), InfoStyle::NetV4_0_0)?
                }
                Kdf::Identity | Kdf::HkdfSha512Commit => key,
            };
            if required_encryption_context.is_empty() {
                aad.extend_from_slice(&[0, 0]);
            }
            if !header_tag_verifies(header, &key, &aad) {
                return Err(Error::HeaderAuthentication);
            }
            key
        } else {
            return Err(Error::HeaderAuthentication);
        };

        let hash = suite.signature().map(|algorithm| {
            let mut hash = MessageHash::new(algorithm);
            hash.update(header.as_bytes());
            hash
        });
        self.body = Some(Body {
            key,
            next_sequence_number: 1,
            hash,
            verification_key,
        });
        Ok(())
    }

    /// Decrypts as much of `input` as forms complete frames, appending released plaintext to
    /// `out`. Consumes all of `input`: a partial frame is buffered until the rest arrives.
    ///
    /// # Errors
    /// An authentication failure, a malformed body or footer, [`Error::TrailingBytes`] after
    /// the end of the message, or [`Error::OutOfOrder`] before [`Decryptor::begin_body`]. After
    /// an error the decryptor accepts no more input.
    pub fn decrypt(&mut self, input: &mut &[u8], out: &mut Vec<u8>) -> Result<Progress> {
        let result = self.decrypt_input(input, out);
        if result.is_err() {
            self.state = State::Failed;
            self.held.clear();
        }
        result
    }

    /// Checks that the message is complete: call it at the end of the input.
    ///
    /// # Errors
    /// [`Error::Truncated`] when the message has not ended.
    pub fn finish(&self) -> Result<()> {
        match self.state {
            State::Done => Ok(()),
            State::Failed => Err(Error::OutOfOrder("finish after a failure")),
            _ => Err(Error::Truncated),
        }
    }

    /// How many bytes of memory the decryptor's buffers have reserved (their capacity): a
    /// frame that arrived in pieces, the header while it arrives, and a signed message's last
    /// part until its signature verifies. Bounded by one frame for framed messages, and by
    /// twice what has arrived.
    pub fn buffered_len(&self) -> usize {
        self.scanner.buffered_len() + self.buf.capacity() + self.held.capacity()
    }

    /// Whether the whole message has been read and authenticated.
    pub fn is_complete(&self) -> bool {
        self.state == State::Done
    }

    fn decrypt_input(&mut self, input: &mut &[u8], out: &mut Vec<u8>) -> Result<Progress> {
        loop {
            match self.state {
                State::Body | State::Footer => {}
                State::Done if input.is_empty() => return Ok(Progress::Complete),
                State::Done => return Err(Error::TrailingBytes),
                State::Header | State::Key => {
                    return Err(Error::OutOfOrder("decrypt before begin_body"));
                }
                State::Failed => return Err(Error::OutOfOrder("decrypt after a failure")),
            }
            if self.buf.is_empty() {
                if self.decrypt_run(input, out)? {
                    continue;
                }
                if let UnitLen::Whole(len) = self.unit_len(input)?
                    && let (Some(unit), Some(rest)) = (input.get(..len), input.get(len..))
                {
                    *input = rest;
                    self.process(unit, out)?;
                    continue;
                }
                if input.is_empty() {
                    return Ok(Progress::NeedsInput);
                }
            }
            let target = match self.unit_len(&self.buf)? {
                UnitLen::Prefix(len) | UnitLen::Whole(len) => len,
            };
            let take = target.saturating_sub(self.buf.len()).min(input.len());
            grow(&mut self.buf, take, target);
            let (head, rest) = input.split_at(take);
            self.buf.extend_from_slice(head);
            *input = rest;
            if self.buf.len() < target {
                return Ok(Progress::NeedsInput);
            }
            if let UnitLen::Whole(len) = self.unit_len(&self.buf)?
                && self.buf.len() == len
            {
                let unit = core::mem::take(&mut self.buf);
                let processed = self.process(&unit, out);
                self.buf = unit;
                self.buf.clear();
                processed?;
            }
        }
    }

    /// Opens the regular frames at the start of `input` together, on several threads, when
    /// they are many (see [`parallel`]); `false` when they are not, for the frame-by-frame
    /// path. Only frames in sequence are taken: whatever breaks the sequence is left to that
    /// path, which reports it.
    fn decrypt_run(&mut self, input: &mut &[u8], out: &mut Vec<u8>) -> Result<bool> {
        let (Some(header), Some(body)) = (self.header.as_ref(), self.body.as_mut()) else {
            return Ok(false);
        };
        if self.state != State::Body || header.content_type() != ContentType::Framed {
            return Ok(false);
        }
        let frame_length = to_usize(header.frame_length())?;
        let unit = unit(4 + IV_LEN, frame_length)?;
        if input.len() < parallel::MIN_PARALLEL_BYTES {
            return Ok(false);
        }
        let first = body.next_sequence_number;
        let mut count: u32 = 0;
        for frame in input.chunks_exact(unit) {
            let number = frame
                .get(..4)
                .and_then(|b| b.try_into().ok())
                .map(u32::from_be_bytes);
            if number.is_none_or(|n| n == FINAL_FRAME_MARKER || Some(n) != first.checked_add(count))
            {
                break;
            }
            count += 1;
        }
        let len = count as usize * unit;
        if len < parallel::MIN_PARALLEL_BYTES {
            return Ok(false);
        }
        let (units, rest) = input.split_at(len);
        let run = Run {
            key: &body.key.aead,
            message_id: header.message_id(),
            first_sequence_number: first,
            frame_length,
        };
        parallel::open(&run, self.options.threads, units, out, body.hash.as_mut())?;
        body.next_sequence_number = first.checked_add(count).ok_or(Error::TooManyFrames)?;
        *input = rest;
        Ok(true)
    }

    /// How long the next unit (frame, body or footer) is, from its first bytes.
    fn unit_len(&self, bytes: &[u8]) -> Result<UnitLen> {
        let header = self.header.as_ref().ok_or(Error::OutOfOrder("decrypt"))?;
        let mut reader = Reader::new(bytes);
        let len = match (self.state, header.content_type()) {
            (State::Footer, _) => match reader.u16() {
                Ok(len) => 2 + usize::from(len),
                Err(_) => return Ok(UnitLen::Prefix(2)),
            },
            (_, ContentType::Framed) => match reader.u32() {
                Ok(FINAL_FRAME_MARKER) => {
                    let Some(content_len) = bytes.get(20..24) else {
                        return Ok(UnitLen::Prefix(FINAL_FRAME_PREFIX));
                    };
                    let content_len =
                        u32::from_be_bytes(content_len.try_into().map_err(|_| Error::Truncated)?);
                    if content_len > header.frame_length() {
                        return Err(Error::FinalFrameTooLong {
                            len: content_len,
                            frame_length: header.frame_length(),
                        });
                    }
                    unit(FINAL_FRAME_PREFIX, to_usize(content_len)?)?
                }
                Ok(_) => unit(4 + IV_LEN, to_usize(header.frame_length())?)?,
                Err(_) => return Ok(UnitLen::Prefix(4)),
            },
            (_, ContentType::NonFramed) => {
                let Some(content_len) = bytes.get(IV_LEN..NON_FRAMED_PREFIX) else {
                    return Ok(UnitLen::Prefix(NON_FRAMED_PREFIX));
                };
                let content_len =
                    u64::from_be_bytes(content_len.try_into().map_err(|_| Error::Truncated)?);
                if content_len > NON_FRAMED_MAX_LEN {
                    return Err(Error::NonFramedBodyTooLong(content_len));
                }
                if let Some(max) = self.options.max_body_len
                    && content_len > max
                {
                    return Err(Error::BodyTooLong {
                        len: content_len,
                        max,
                    });
                }
                unit(
                    NON_FRAMED_PREFIX,
                    usize::try_from(content_len)
                        .map_err(|_| Error::NonFramedBodyTooLong(content_len))?,
                )?
            }
        };
        Ok(UnitLen::Whole(len))
    }

    /// Authenticates and decrypts one whole unit.
    fn process(&mut self, unit: &[u8], out: &mut Vec<u8>) -> Result<()> {
        let header = self.header.as_ref().ok_or(Error::OutOfOrder("decrypt"))?;
        let body = self.body.as_mut().ok_or(Error::OutOfOrder("decrypt"))?;
        let message_id = header.message_id();
        let mut reader = Reader::new(unit);
        let truncated = |_| Error::Truncated;

        if self.state == State::Footer {
            let signature = reader.u16_prefixed().map_err(truncated)?;
            let (Some(hash), Some(key)) = (body.hash.take(), body.verification_key.as_ref()) else {
                return Err(Error::OutOfOrder("footer without a verification key"));
            };
            if !key.verify(&hash.finish(), signature) {
                return Err(Error::SignatureVerification);
            }
            out.append(&mut self.held);
            self.state = State::Done;
            return Ok(());
        }

        let (part, sequence_number, iv, content_len) = match header.content_type() {
            ContentType::Framed => {
                let first = reader.u32().map_err(truncated)?;
                if first == FINAL_FRAME_MARKER {
                    let sequence_number = reader.u32().map_err(truncated)?;
                    let iv = reader.array::<IV_LEN>().map_err(truncated)?;
                    let len = reader.u32().map_err(truncated)?;
                    (BodyPart::Final, sequence_number, iv, u64::from(len))
                } else {
                    let iv = reader.array::<IV_LEN>().map_err(truncated)?;
                    (
                        BodyPart::Regular,
                        first,
                        iv,
                        u64::from(header.frame_length()),
                    )
                }
            }
            ContentType::NonFramed => {
                let iv = reader.array::<IV_LEN>().map_err(truncated)?;
                let len = reader.u64().map_err(truncated)?;
                (BodyPart::NonFramed, 1, iv, len)
            }
        };
        if part != BodyPart::NonFramed && sequence_number != body.next_sequence_number {
            return Err(Error::SequenceNumber {
                expected: body.next_sequence_number,
                found: sequence_number,
            });
        }
        let ciphertext = reader
            .take(reader.remaining().saturating_sub(TAG_LEN))
            .map_err(truncated)?;
        let tag = reader.take(TAG_LEN).map_err(truncated)?;
        let aad = BodyAad::new(message_id, part, sequence_number, content_len);
        if let Some(hash) = body.hash.as_mut() {
            hash.update(unit);
        }
        // A signed message's last part waits for the signature.
        let last = part != BodyPart::Regular;
        let hold = last && body.hash.is_some();
        let sink = if hold { &mut self.held } else { &mut *out };
        let start = sink.len();
        sink.resize(start + ciphertext.len(), 0);
        let opened = match sink.get_mut(start..) {
            Some(slot) => body
                .key
                .aead
                .open(iv, aad.as_bytes(), ciphertext, tag, slot)
                .is_ok(),
            None => false,
        };
        if !opened {
            sink.truncate(start);
            return Err(match part {
                BodyPart::NonFramed => Error::FrameAuthentication { sequence_number: 1 },
                _ => Error::FrameAuthentication { sequence_number },
            });
        }
        if last {
            self.state = if hold { State::Footer } else { State::Done };
        } else {
            body.next_sequence_number =
                sequence_number.checked_add(1).ok_or(Error::TooManyFrames)?;
        }
        Ok(())
    }
}

/// Room for `take` more bytes in a unit buffer whose unit is `target` bytes: doubling, so
/// copying is linear in the unit, but never beyond the unit nor beyond twice what has
/// arrived, so a declared length never sizes an allocation by itself. The buffer is reused
/// for the next unit.
fn grow(buf: &mut Vec<u8>, take: usize, target: usize) {
    let want = buf.len().saturating_add(take);
    if want <= buf.capacity() {
        return;
    }
    let capacity = buf
        .capacity()
        .saturating_mul(2)
        .max(want)
        .min(target.max(want));
    buf.reserve_exact(capacity - buf.len());
}

/// A unit's length: its prefix, its content and the tag, without wrapping on 32-bit targets.
fn unit(prefix: usize, content: usize) -> Result<usize> {
    prefix
        .checked_add(content)
        .and_then(|len| len.checked_add(TAG_LEN))
        .ok_or(Error::TooLargeForPlatform {
            len: u64::try_from(content).unwrap_or(u64::MAX),
        })
}

/// A declared length as a memory size (frames of 2^32 - 1 bytes cannot be held on 32-bit
/// targets).
fn to_usize(len: u32) -> Result<usize> {
    usize::try_from(len).map_err(|_| Error::TooLargeForPlatform {
        len: u64::from(len),
    })
}

fn header_tag_verifies(header: &Header, key: &MessageKey, aad: &[u8]) -> bool {
    key.aead
        .open(header.iv(), aad, &[], header.tag(), &mut [])
        .is_ok()
}

impl fmt::Debug for Decryptor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Decryptor")
            .field("options", &self.options)
            .field("state", &self.state)
            .field("suite", &self.header.as_ref().map(Header::suite))
            .finish_non_exhaustive()
    }
}

const FINAL_FRAME_PREFIX: usize = 4 + 4 + IV_LEN + 4;
const NON_FRAMED_PREFIX: usize = IV_LEN + 8;
