//! The error type shared by keyrings and materials managers.

use core::fmt;

pub use keyward_format::ErrorKind;

/// Everything a keyring or a materials manager can fail with. [`Error::kind`] classifies it.
///
/// Keyrings of other crates (AWS KMS, the hierarchical keyring) and user-written ones report
/// their own errors as [`Error::Keyring`], with the kind they choose.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// An error of the message format: an oversized encryption context, a suite the
    /// commitment policy refuses, a reserved encryption context key.
    #[error(transparent)]
    Format(#[from] keyward_format::Error),

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

    /// No encrypted data key could be decrypted: every attempt, with the provider it was for
    /// and why it failed (none when no keyring was for any of them). The message names each
    /// (up to five) with its chain of causes.
    #[error("unable to decrypt any encrypted data key: {}", Attempts(attempts))]
    UnableToDecrypt {
        /// The attempts, in the order they were made.
        attempts: Vec<DecryptAttempt>,
    },

    /// An encrypted data key matched the keyring but did not decrypt.
    #[error("encrypted data key from provider {provider_id:?} did not decrypt")]
    UnwrapFailed {
        /// The EDK's provider id.
        provider_id: String,
    },

    /// An encrypted data key that names this keyring's provider is malformed (its provider
    /// info or ciphertext breaks the provider's layout, or names a key off the curve).
    #[error("malformed encrypted data key from provider {provider_id:?}: {reason}")]
    MalformedEncryptedDataKey {
        /// The EDK's provider id.
        provider_id: String,
        /// What is wrong with it.
        reason: &'static str,
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

    /// An error of a keyring or manager with its own error type (AWS KMS, the hierarchical
    /// keyring, the caches, a user's own), with its kind and cause.
    #[error(transparent)]
    Keyring(KeyringError),
}

impl Error {
    /// What kind of failure this is (see [`ErrorKind`]).
    pub fn kind(&self) -> ErrorKind {
        match self {
            Self::Format(error) => error.kind(),
            Self::MissingRequiredEncryptionContextKey(_)
            | Self::EncryptionContextMismatch { .. } => ErrorKind::Policy,
            Self::DataKeyLength { .. }
            | Self::SignatureKey { .. }
            | Self::MalformedEncryptedDataKey { .. } => ErrorKind::Tampered,
            Self::UnableToDecrypt { attempts } => attempts_kind(attempts),
            Self::UnwrapFailed { .. } => ErrorKind::NoMatchingKey,
            Self::InvalidConfiguration(_)
            | Self::InvalidKey { .. }
            | Self::OperationNotSupported(_) => ErrorKind::Configuration,
            Self::DataKeyAlreadyPresent
            | Self::MissingDataKey
            | Self::NoEncryptedDataKeys
            | Self::Crypto => ErrorKind::Other,
            Self::Keyring(error) => error.kind(),
        }
    }

    /// An error of a keyring or manager outside this crate, with its kind.
    pub fn keyring(
        kind: ErrorKind,
        error: impl Into<Box<dyn std::error::Error + Send + Sync>>,
    ) -> Self {
        Self::Keyring(KeyringError::new(kind, error))
    }

    /// The attempts of [`Error::UnableToDecrypt`] (empty for any other error).
    pub fn attempts(&self) -> &[DecryptAttempt] {
        match self {
            Self::UnableToDecrypt { attempts } => attempts,
            _ => &[],
        }
    }
}

/// What failed to decrypt no data key: the attempt that needed a key service and could not
/// reach it wins (a retry may succeed), then one that a key service refused, then malformed
/// keys, and otherwise no key matched.
fn attempts_kind(attempts: &[DecryptAttempt]) -> ErrorKind {
    let kinds: Vec<ErrorKind> = attempts.iter().map(|a| a.error.kind()).collect();
    if kinds.contains(&ErrorKind::Unavailable) {
        ErrorKind::Unavailable
    } else if kinds.contains(&ErrorKind::Refused) {
        ErrorKind::Refused
    } else if !kinds.is_empty() && kinds.iter().all(|k| *k == ErrorKind::Tampered) {
        ErrorKind::Tampered
    } else {
        ErrorKind::NoMatchingKey
    }
}

/// One failed attempt to decrypt an encrypted data key: which provider it was for and why.
#[derive(Debug)]
#[non_exhaustive]
pub struct DecryptAttempt {
    /// The EDK's provider id (`aws-kms`, `aws-kms-hierarchy`, a raw key's namespace, …); empty
    /// when a keyring failed before it tried any EDK.
    pub provider_id: String,
    /// The EDK's provider info (a KMS key ARN, a branch key id, a raw key's name): its text,
    /// or lowercase hex when it is not UTF-8.
    pub provider_info: String,
    /// Why it failed.
    pub error: Error,
}

impl DecryptAttempt {
    /// An attempt on `edk` that failed with `error`.
    pub fn new(edk: &keyward_format::EncryptedDataKey, error: Error) -> Self {
        Self {
            provider_id: edk.provider_id().to_owned(),
            provider_info: match core::str::from_utf8(edk.provider_info()) {
                Ok(text) => text.to_owned(),
                Err(_) => edk
                    .provider_info()
                    .iter()
                    .map(|byte| format!("{byte:02x}"))
                    .collect(),
            },
            error,
        }
    }

    /// A keyring's failure before it tried any EDK (a multi-keyring's child that could not
    /// start).
    pub fn before_any_key(error: Error) -> Self {
        Self {
            provider_id: String::new(),
            provider_info: String::new(),
            error,
        }
    }
}

/// An error of a keyring or manager with its own error type, with the kind it chose.
/// `downcast_ref` reaches the original (for example `keyward_kms::Error`).
pub struct KeyringError {
    kind: ErrorKind,
    error: Box<dyn std::error::Error + Send + Sync>,
}

impl KeyringError {
    /// Wraps `error` with its kind.
    pub fn new(
        kind: ErrorKind,
        error: impl Into<Box<dyn std::error::Error + Send + Sync>>,
    ) -> Self {
        Self {
            kind,
            error: error.into(),
        }
    }

    /// The kind.
    pub fn kind(&self) -> ErrorKind {
        self.kind
    }

    /// The original error, if it is a `T`.
    pub fn downcast_ref<T: std::error::Error + 'static>(&self) -> Option<&T> {
        self.error.downcast_ref()
    }

    /// The original error.
    pub fn get_ref(&self) -> &(dyn std::error::Error + Send + Sync + 'static) {
        &*self.error
    }
}

impl fmt::Debug for KeyringError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KeyringError")
            .field("kind", &self.kind)
            .field("error", &self.error)
            .finish()
    }
}

impl fmt::Display for KeyringError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.error, f)
    }
}

impl std::error::Error for KeyringError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.error.source()
    }
}

/// The attempts of [`Error::UnableToDecrypt`], each with its provider and chain of causes.
struct Attempts<'a>(&'a [DecryptAttempt]);

impl fmt::Display for Attempts<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0.is_empty() {
            return write!(f, "no keyring is for any of them");
        }
        write!(f, "{} attempt(s) failed: ", self.0.len())?;
        for (i, attempt) in self.0.iter().take(SHOWN_ATTEMPTS).enumerate() {
            if i > 0 {
                write!(f, "; ")?;
            }
            write!(
                f,
                "{} {:?}: {}",
                attempt.provider_id, attempt.provider_info, attempt.error
            )?;
            let mut source = std::error::Error::source(&attempt.error);
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
