//! The facade's error: the lower crates' errors, I/O, and the client's own checks.

/// Everything the [`crate::Client`] can fail with.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The message is malformed, fails authentication, or breaks a format rule.
    #[error(transparent)]
    Format(#[from] keyward_format::Error),

    /// A keyring or materials manager failed.
    #[error(transparent)]
    Materials(#[from] keyward_materials::Error),

    /// Reading the input or writing the output failed.
    #[error("i/o: {0}")]
    Io(#[from] std::io::Error),

    /// The caller's encryption context uses a key reserved for the SDK (`aws-crypto-…`).
    #[error("encryption context key {0:?} is reserved for the SDK")]
    ReservedEncryptionContextKey(String),

    /// A stream delivered more plaintext than the length the caller declared.
    #[error("the input holds more than the declared {declared} bytes")]
    PlaintextLengthExceeded {
        /// The declared length.
        declared: u64,
    },
}

/// The result type of this crate.
pub type Result<T, E = Error> = core::result::Result<T, E>;
