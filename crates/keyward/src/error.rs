//! The facade's error: every lower crate's error, I/O, and the client's own checks, with one
//! classification.

pub use keyward_format::ErrorKind;

/// Everything keyward can fail with. [`Error::kind`] says what happened (tampered, no
/// matching key, refused by a key service, unavailable, policy, limit, configuration, I/O);
/// the variants and their `source` chains keep the detail.
///
/// Every crate's error converts into it, so `?` works on any keyward call.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The message is malformed, fails authentication, breaks a format rule, or is refused by
    /// the commitment policy or a limit.
    #[error(transparent)]
    Format(#[from] keyward_format::Error),

    /// A keyring or materials manager failed.
    #[error(transparent)]
    Materials(keyward_materials::Error),

    /// A cache or caching manager could not be set up.
    #[error(transparent)]
    Cache(#[from] keyward_cache::Error),

    /// An AWS KMS keyring could not be set up.
    #[cfg(feature = "kms")]
    #[error(transparent)]
    Kms(#[from] keyward_kms::Error),

    /// A hierarchical keyring or key store operation failed.
    #[cfg(feature = "hierarchy")]
    #[error(transparent)]
    Hierarchy(#[from] keyward_hierarchy::Error),

    /// Reading the input or writing the output failed.
    #[error("i/o: {0}")]
    Io(#[from] std::io::Error),

    /// A stream delivered more plaintext than the length the caller declared.
    #[error("the input holds more than the declared {declared} bytes")]
    PlaintextLengthExceeded {
        /// The declared length.
        declared: u64,
    },
}

impl Error {
    /// What kind of failure this is: the question a caller acts on.
    ///
    /// ```
    /// use keyward::materials::{RawAesKeyring, WrappingKey};
    /// use keyward::{Client, EncryptionContext, ErrorKind};
    ///
    /// # async fn run() -> Result<(), keyward::Error> {
    /// let ours = Client::new(RawAesKeyring::new("ns", "ours", WrappingKey::generate(32)?)?);
    /// let theirs = Client::new(RawAesKeyring::new("ns", "theirs", WrappingKey::generate(32)?)?);
    /// let message = theirs.encrypt(b"hello", &EncryptionContext::new()).await?;
    /// let error = ours.decrypt(&message).await.unwrap_err();
    /// assert_eq!(error.kind(), ErrorKind::NoMatchingKey);
    /// # Ok(())
    /// # }
    /// # tokio::runtime::Runtime::new().unwrap().block_on(run()).unwrap();
    /// ```
    pub fn kind(&self) -> ErrorKind {
        match self {
            Self::Format(error) => error.kind(),
            Self::Materials(error) => error.kind(),
            Self::Cache(error) => error.kind(),
            #[cfg(feature = "kms")]
            Self::Kms(error) => error.kind(),
            #[cfg(feature = "hierarchy")]
            Self::Hierarchy(error) => error.kind(),
            Self::Io(_) => ErrorKind::Io,
            Self::PlaintextLengthExceeded { .. } => ErrorKind::Configuration,
        }
    }

    /// The error code an AWS service answered with (`DisabledException`,
    /// `AccessDeniedException`, `ResourceNotFoundException`, …), from a KMS keyring, the key
    /// store, or any decrypt attempt that called one: the first such code found.
    pub fn service_error_code(&self) -> Option<&str> {
        match self {
            #[cfg(feature = "kms")]
            Self::Kms(error) => error.kms_error_code(),
            #[cfg(feature = "hierarchy")]
            Self::Hierarchy(error) => error.service_error_code(),
            Self::Materials(error) => materials_service_code(error),
            _ => None,
        }
    }
}

impl From<keyward_materials::Error> for Error {
    /// A format error inside a materials error is the format error: one event, one variant
    /// (a commitment-policy refusal is `Format` on encrypt and on decrypt alike).
    fn from(error: keyward_materials::Error) -> Self {
        match error {
            keyward_materials::Error::Format(error) => Self::Format(error),
            other => Self::Materials(other),
        }
    }
}

/// The service error code in a materials error: a keyring's own error, or the attempts of an
/// unable-to-decrypt.
fn materials_service_code(error: &keyward_materials::Error) -> Option<&str> {
    match error {
        #[cfg_attr(not(feature = "kms"), expect(unused_variables, reason = "no service"))]
        keyward_materials::Error::Keyring(keyring) => {
            #[cfg(feature = "kms")]
            if let Some(error) = keyring.downcast_ref::<keyward_kms::Error>() {
                return error.kms_error_code();
            }
            #[cfg(feature = "hierarchy")]
            if let Some(error) = keyring.downcast_ref::<keyward_hierarchy::Error>() {
                return error.service_error_code();
            }
            None
        }
        keyward_materials::Error::UnableToDecrypt { attempts } => attempts
            .iter()
            .find_map(|attempt| materials_service_code(&attempt.error)),
        _ => None,
    }
}

/// The result type of this crate.
pub type Result<T, E = Error> = core::result::Result<T, E>;
