//! The commitment policy: which suites may encrypt and decrypt.

use crate::suite::AlgorithmSuite;

/// Whether messages must use key-committing algorithm suites.
///
/// spec: framework/commitment-policy.md
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum CommitmentPolicy {
    /// Encrypt with non-committing suites only; decrypt every suite.
    ForbidEncryptAllowDecrypt,
    /// Encrypt with committing suites only; decrypt every suite.
    RequireEncryptAllowDecrypt,
    /// Encrypt and decrypt with committing suites only. The default.
    #[default]
    RequireEncryptRequireDecrypt,
}

impl CommitmentPolicy {
    /// The suite used when a caller names none.
    ///
    /// Under [`CommitmentPolicy::ForbidEncryptAllowDecrypt`] this is 0x0378, as in every official
    /// implementation (the specification's text names 0x0078).
    pub const fn default_suite(self) -> AlgorithmSuite {
        match self {
            Self::ForbidEncryptAllowDecrypt => AlgorithmSuite::Aes256GcmHkdfSha384EcdsaP384,
            Self::RequireEncryptAllowDecrypt | Self::RequireEncryptRequireDecrypt => {
                AlgorithmSuite::Aes256GcmHkdfSha512CommitEcdsaP384
            }
        }
    }

    /// Whether the policy allows encrypting with `suite`.
    pub const fn allows_encrypt(self, suite: AlgorithmSuite) -> bool {
        match self {
            Self::ForbidEncryptAllowDecrypt => !suite.is_committing(),
            Self::RequireEncryptAllowDecrypt | Self::RequireEncryptRequireDecrypt => {
                suite.is_committing()
            }
        }
    }

    /// Whether the policy allows decrypting a message written with `suite`.
    pub const fn allows_decrypt(self, suite: AlgorithmSuite) -> bool {
        match self {
            Self::ForbidEncryptAllowDecrypt | Self::RequireEncryptAllowDecrypt => true,
            Self::RequireEncryptRequireDecrypt => suite.is_committing(),
        }
    }
}
