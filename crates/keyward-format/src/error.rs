//! The error type of the message-format engine.

use crate::policy::CommitmentPolicy;
use crate::suite::AlgorithmSuite;

/// Everything that can go wrong while writing or reading a message.
///
/// Authentication failures (header tag, frame tag, key commitment, signature) are one variant
/// each and carry no bytes of the message. Structural errors about public bytes say what was
/// found and what was allowed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The input looks like base64 text rather than a binary message.
    #[error("the message looks base64-encoded: decode it to bytes before decrypting")]
    Base64Encoded,

    /// The message ended before it was complete.
    #[error("the message is truncated")]
    Truncated,

    /// Bytes follow the end of the message.
    #[error("unexpected bytes after the end of the message")]
    TrailingBytes,

    /// The header's version byte is not 1 or 2.
    #[error("unsupported message format version {0:#04x}")]
    UnsupportedVersion(u8),

    /// A version 1 header's type byte is not 0x80.
    #[error("unsupported message type {0:#04x}")]
    UnsupportedMessageType(u8),

    /// The suite id is not one of the eleven ESDK suites.
    #[error("unsupported algorithm suite {0:#06x}")]
    UnsupportedSuite(u16),

    /// The suite does not belong to the header's format version.
    #[error("algorithm suite {suite:#06x} cannot appear in a version {version} header")]
    SuiteVersionMismatch {
        /// The suite id in the header.
        suite: u16,
        /// The header's format version.
        version: u8,
    },

    /// The serialized encryption context is malformed.
    #[error("malformed encryption context: {0}")]
    MalformedEncryptionContext(&'static str),

    /// The encryption context holds the same key twice.
    #[error("encryption context key {0:?} appears twice")]
    DuplicateEncryptionContextKey(String),

    /// The encryption context does not fit the message format.
    #[error("encryption context serializes to {len} bytes, limit {max}")]
    EncryptionContextTooLarge {
        /// Its serialized length.
        len: usize,
        /// The limit.
        max: usize,
    },

    /// A caller-supplied encryption context uses a key reserved for the SDK.
    #[error("encryption context key {0:?} uses the reserved prefix \"aws-crypto-\"")]
    ReservedEncryptionContextKey(String),

    /// A string field is not valid UTF-8.
    #[error("{0} is not valid UTF-8")]
    InvalidUtf8(&'static str),

    /// A field is longer than its 16-bit length prefix allows.
    #[error("{field} is {len} bytes, limit 65535")]
    FieldTooLong {
        /// Which field.
        field: &'static str,
        /// Its length.
        len: usize,
    },

    /// The header lists no encrypted data key.
    #[error("the header holds no encrypted data key")]
    NoEncryptedDataKeys,

    /// The header lists more encrypted data keys than allowed.
    #[error("the header holds {count} encrypted data keys, limit {max}")]
    TooManyEncryptedDataKeys {
        /// How many the header (or the materials) hold.
        count: usize,
        /// The configured maximum.
        max: u16,
    },

    /// The content type byte is neither framed nor non-framed.
    #[error("unsupported content type {0:#04x}")]
    UnsupportedContentType(u8),

    /// The reserved bytes of a version 1 header are not zero.
    #[error("the reserved header field is not zero")]
    NonZeroReservedField,

    /// A version 1 header gives an IV length other than 12.
    #[error("header IV length is {0}, expected 12")]
    InvalidIvLength(u8),

    /// The frame length does not fit the content type.
    #[error("frame length {frame_length} is invalid for a {content} body")]
    InvalidFrameLength {
        /// The frame length in the header.
        frame_length: u32,
        /// `"framed"` or `"non-framed"`.
        content: &'static str,
    },

    /// The key commitment in a version 2 header does not match the data key.
    #[error("key commitment does not match the data key")]
    CommitmentMismatch,

    /// The header authentication tag does not verify.
    #[error("header authentication failed")]
    HeaderAuthentication,

    /// A frame's authentication tag does not verify.
    #[error("authentication failed for frame {sequence_number}")]
    FrameAuthentication {
        /// The frame's sequence number.
        sequence_number: u32,
    },

    /// The footer signature does not verify.
    #[error("signature verification failed")]
    SignatureVerification,

    /// A frame carries an unexpected sequence number.
    #[error("frame sequence number {found}, expected {expected}")]
    SequenceNumber {
        /// The number the reader expected.
        expected: u32,
        /// The number in the frame.
        found: u32,
    },

    /// The final frame claims more content than the frame length.
    #[error("final frame holds {len} bytes, more than the frame length {frame_length}")]
    FinalFrameTooLong {
        /// The final frame's content length.
        len: u32,
        /// The header's frame length.
        frame_length: u32,
    },

    /// The header is longer than the configured limit (checked before its bytes are
    /// buffered).
    #[error("the header is longer than {max} bytes, the configured limit")]
    HeaderTooLong {
        /// The configured maximum.
        max: usize,
    },

    /// A frame, or a non-framed body, is longer than the configured limit (checked before
    /// any of it is buffered).
    #[error("the message body declares {len}-byte parts, longer than the limit of {max} bytes")]
    BodyTooLong {
        /// The frame length, or the non-framed content length.
        len: u64,
        /// The configured maximum.
        max: u64,
    },

    /// A message part is larger than this platform's memory can address (a frame of up to
    /// 2^32 - 1 bytes on a 32-bit target).
    #[error("a message part of {len} bytes cannot be held in memory on this platform")]
    TooLargeForPlatform {
        /// The part's length.
        len: u64,
    },

    /// A non-framed body claims more content than AES-GCM can protect.
    #[error("non-framed body claims {0} bytes, more than AES-GCM allows")]
    NonFramedBodyTooLong(u64),

    /// The message would need more than 2^32 - 1 frames.
    #[error("the message needs more than 2^32 - 1 frames")]
    TooManyFrames,

    /// The frame length is outside 1 ..= 2^32 - 1.
    #[error("frame length {0} is outside 1 ..= 4294967295")]
    FrameLengthOutOfRange(u64),

    /// The data key does not have the suite's key-derivation input length.
    #[error("data key is {actual} bytes, the suite needs {expected}")]
    DataKeyLength {
        /// The length the suite needs.
        expected: usize,
        /// The length given.
        actual: usize,
    },

    /// A fixed message id has the wrong length for the suite.
    #[error("message id is {actual} bytes, the suite needs {expected}")]
    MessageIdLength {
        /// The length the suite needs.
        expected: usize,
        /// The length given.
        actual: usize,
    },

    /// The suite signs but no key to sign or verify with was given, or the reverse.
    #[error("algorithm suite {suite:#06x} {problem}")]
    SignatureKeyMismatch {
        /// The suite id.
        suite: u16,
        /// What is wrong.
        problem: &'static str,
    },

    /// A verification key could not be decoded.
    #[error("invalid ECDSA verification key")]
    InvalidVerificationKey,

    /// The commitment policy does not allow the suite.
    #[error("commitment policy {policy:?} does not allow algorithm suite {suite:?}")]
    CommitmentPolicy {
        /// The policy in force.
        policy: CommitmentPolicy,
        /// The suite that was refused.
        suite: AlgorithmSuite,
    },

    /// A signed message was given to a reader that accepts only unsigned messages.
    #[error("signed message refused: this reader decrypts unsigned messages only")]
    SignedMessageRefused,

    /// The engine's methods were called out of order.
    #[error("{0} called out of order")]
    OutOfOrder(&'static str),

    /// The cryptographic backend failed (random generation or key setup).
    #[error("cryptographic backend failure")]
    Crypto,
}

impl Error {
    /// What kind of failure this is, for callers that act on it.
    pub fn kind(&self) -> ErrorKind {
        match self {
            Self::CommitmentPolicy { .. }
            | Self::SignedMessageRefused
            | Self::ReservedEncryptionContextKey(_) => ErrorKind::Policy,
            Self::TooManyEncryptedDataKeys { .. }
            | Self::HeaderTooLong { .. }
            | Self::BodyTooLong { .. }
            | Self::TooLargeForPlatform { .. } => ErrorKind::Limit,
            Self::EncryptionContextTooLarge { .. }
            | Self::FieldTooLong { .. }
            | Self::FrameLengthOutOfRange(_)
            | Self::DataKeyLength { .. }
            | Self::MessageIdLength { .. }
            | Self::OutOfOrder(_) => ErrorKind::Configuration,
            Self::Crypto => ErrorKind::Other,
            Self::Base64Encoded
            | Self::Truncated
            | Self::TrailingBytes
            | Self::UnsupportedVersion(_)
            | Self::UnsupportedMessageType(_)
            | Self::UnsupportedSuite(_)
            | Self::SuiteVersionMismatch { .. }
            | Self::MalformedEncryptionContext(_)
            | Self::DuplicateEncryptionContextKey(_)
            | Self::InvalidUtf8(_)
            | Self::NoEncryptedDataKeys
            | Self::UnsupportedContentType(_)
            | Self::NonZeroReservedField
            | Self::InvalidIvLength(_)
            | Self::InvalidFrameLength { .. }
            | Self::CommitmentMismatch
            | Self::HeaderAuthentication
            | Self::FrameAuthentication { .. }
            | Self::SignatureVerification
            | Self::SequenceNumber { .. }
            | Self::FinalFrameTooLong { .. }
            | Self::NonFramedBodyTooLong(_)
            | Self::TooManyFrames
            | Self::SignatureKeyMismatch { .. }
            | Self::InvalidVerificationKey => ErrorKind::Tampered,
        }
    }
}

/// What kind of failure an error is: the question a caller acts on (show "this file is
/// damaged", try another key, retry later, fix the configuration), answered the same way by
/// every keyward crate's `Error::kind`. The error itself keeps the detail and its causes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The input is not an intact message: malformed, truncated, or failing authentication
    /// (a header or frame tag, the key commitment, the signature).
    Tampered,
    /// No configured keyring could decrypt any of the message's encrypted data keys (they
    /// name other keys, or the key unwrapped nothing).
    NoMatchingKey,
    /// A key service (AWS KMS, the branch key store) answered with an error: access denied, a
    /// key that does not exist or is disabled, a ciphertext it cannot decrypt.
    Refused,
    /// A key service could not be reached or did not answer in time (connection failures,
    /// timeouts, throttling and server errors once the SDK's retries ran out). Worth a retry.
    Unavailable,
    /// A rule refused the operation: the commitment policy, a required or reserved
    /// encryption context key, a context that disagrees with the message's, a signed message
    /// where only unsigned ones are accepted.
    Policy,
    /// The input exceeds a configured limit: header length, encrypted data keys, frame length.
    Limit,
    /// The configuration or the call is invalid: keyring, cache or key store settings, an
    /// argument out of range.
    Configuration,
    /// Reading the input or writing the output failed.
    Io,
    /// Anything else: a backend failure, or an error of a keyring written outside keyward.
    Other,
}

/// The result type of this crate.
pub type Result<T, E = Error> = core::result::Result<T, E>;
