//! The error type shared by keyrings and materials managers.

use keyward_format::{AlgorithmSuite, CommitmentPolicy};

/// Everything a keyring or a materials manager can fail with.
///
/// User-written keyrings and managers that need an error of their own use [`Error::Other`].
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// An error of the message format (for example an oversized encryption context).
    #[error(transparent)]
    Format(#[from] keyward_format::Error),

    /// The commitment policy does not allow the suite.
    #[error("commitment policy {policy:?} does not allow algorithm suite {suite:?}")]
    CommitmentPolicy {
        /// The policy in force.
        policy: CommitmentPolicy,
        /// The refused suite.
        suite: AlgorithmSuite,
    },

    /// A caller's encryption context uses a key reserved for the SDK (`aws-crypto-…`).
    #[error("encryption context key {0:?} is reserved for the SDK")]
    ReservedEncryptionContextKey(String),

    /// A required encryption-context key is missing.
    #[error("required encryption context key {0:?} is missing")]
    MissingRequiredEncryptionContextKey(String),

    /// A reproduced encryption context disagrees with the message's.
    #[error("encryption context value for {key:?} differs from the message's")]
    EncryptionContextMismatch {
        /// The key whose values differ.
        key: String,
    },

    /// The materials already hold a data key where none may be.
    #[error("the materials already hold a plaintext data key")]
    DataKeyAlreadyPresent,

    /// The materials hold no data key where one is needed.
    #[error("the materials hold no plaintext data key")]
    MissingDataKey,

    /// A data key does not have the suite's length.
    #[error("data key is {actual} bytes, the suite needs {expected}")]
    DataKeyLength {
        /// The suite's key-derivation input length.
        expected: usize,
        /// The length found.
        actual: usize,
    },

    /// The keyring produced no encrypted data key.
    #[error("the keyring produced no encrypted data key")]
    NoEncryptedDataKeys,

    /// The materials carry more encrypted data keys than the client allows.
    #[error("the materials hold {count} encrypted data keys, limit {max}")]
    TooManyEncryptedDataKeys {
        /// How many the materials hold.
        count: usize,
        /// The configured maximum.
        max: u16,
    },

    /// No encrypted data key could be decrypted. Holds the error of every attempt; the
    /// message names each (up to five) with its causes.
    #[error("unable to decrypt any encrypted data key: {}", Attempts(.0))]
    UnableToDecrypt(Vec<Error>),

    /// An encrypted data key matched the keyring but did not decrypt.
    #[error("encrypted data key from provider {provider_id:?} did not decrypt")]
    UnwrapFailed {
        /// The EDK's provider id.
        provider_id: String,
    },

    /// A key or keyring configuration is invalid.
    #[error("invalid keyring configuration: {0}")]
    InvalidConfiguration(&'static str),

    /// A wrapping key could not be parsed.
    #[error("invalid {kind} key: {reason}")]
    InvalidKey {
        /// What kind of key (`"RSA public"`, `"AES wrapping"`, …).
        kind: &'static str,
        /// What is wrong with it.
        reason: &'static str,
    },

    /// The keyring cannot perform this operation (an RSA keyring without a public key cannot
    /// encrypt, a discovery keyring never encrypts, …).
    #[error("this keyring cannot {0}")]
    OperationNotSupported(&'static str),

    /// Signing key or verification key missing, unexpected, or malformed.
    #[error("algorithm suite {suite:#06x} {problem}")]
    SignatureKey {
        /// The suite id.
        suite: u16,
        /// What is wrong.
        problem: &'static str,
    },

    /// The cryptographic backend failed.
    #[error("cryptographic backend failure")]
    Crypto,

    /// An error of one of keyward's own network keyrings (AWS KMS, hierarchical), with its
    /// detail and cause: `downcast_ref::<keyward_kms::Error>()` on the boxed error finds it.
    #[error(transparent)]
    Keyring(Box<dyn std::error::Error + Send + Sync>),

    /// An error from a keyring or manager written outside keyward.
    #[error(transparent)]
    Other(Box<dyn std::error::Error + Send + Sync>),
}

/// The attempts of [`Error::UnableToDecrypt`], each with its chain of causes.
struct Attempts<'a>(&'a [Error]);

impl core::fmt::Display for Attempts<'_> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        if self.0.is_empty() {
            return write!(f, "no keyring is for any of them");
        }
        write!(f, "{} attempt(s) failed: ", self.0.len())?;
        for (i, error) in self.0.iter().take(SHOWN_ATTEMPTS).enumerate() {
            if i > 0 {
                write!(f, "; ")?;
            }
            write!(f, "{error}")?;
            let mut source = std::error::Error::source(error);
            while let Some(cause) = source {
                write!(f, ": {cause}")?;
                source = cause.source();
            }
        }
        if self.0.len() > SHOWN_ATTEMPTS {
            write!(f, "; and {} more", self.0.len() - SHOWN_ATTEMPTS)?;
        }
        Ok(())
    }
}

/// How many attempts [`Error::UnableToDecrypt`] spells out.
const SHOWN_ATTEMPTS: usize = 5;

/// The result type of this crate.
pub type Result<T, E = Error> = core::result::Result<T, E>;
