//! The eleven ESDK algorithm suites and their properties.
//!
//! spec: framework/algorithm-suites.md

use crate::error::{Error, Result};

/// An ESDK algorithm suite: the AEAD, the key derivation, the signature and key commitment
/// used by one message.
///
/// Every suite uses AES-GCM with a 12-byte IV and a 16-byte tag. Suites of the Material
/// Providers Library that are not ESDK suites (S3EC, DB-ESDK) are rejected.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum AlgorithmSuite {
    /// 0x0014: AES-128-GCM, no key derivation.
    Aes128GcmNoKdf,
    /// 0x0046: AES-192-GCM, no key derivation.
    Aes192GcmNoKdf,
    /// 0x0078: AES-256-GCM, no key derivation.
    Aes256GcmNoKdf,
    /// 0x0114: AES-128-GCM, HKDF-SHA256.
    Aes128GcmHkdfSha256,
    /// 0x0146: AES-192-GCM, HKDF-SHA256.
    Aes192GcmHkdfSha256,
    /// 0x0178: AES-256-GCM, HKDF-SHA256.
    Aes256GcmHkdfSha256,
    /// 0x0214: AES-128-GCM, HKDF-SHA256, ECDSA P-256 with SHA-256.
    Aes128GcmHkdfSha256EcdsaP256,
    /// 0x0346: AES-192-GCM, HKDF-SHA384, ECDSA P-384 with SHA-384.
    Aes192GcmHkdfSha384EcdsaP384,
    /// 0x0378: AES-256-GCM, HKDF-SHA384, ECDSA P-384 with SHA-384.
    Aes256GcmHkdfSha384EcdsaP384,
    /// 0x0478: AES-256-GCM, HKDF-SHA512 with key commitment. Message format version 2.
    Aes256GcmHkdfSha512Commit,
    /// 0x0578: AES-256-GCM, HKDF-SHA512 with key commitment, ECDSA P-384 with SHA-384.
    /// Message format version 2. The default suite.
    Aes256GcmHkdfSha512CommitEcdsaP384,
}

/// The message format version a suite writes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum MessageFormatVersion {
    /// Version 1: 16-byte message id, header IV, no key commitment.
    V1,
    /// Version 2: 32-byte message id, key commitment in the header.
    V2,
}

/// How a suite turns the plaintext data key into the message's encryption key.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Kdf {
    /// The data key is the encryption key.
    Identity,
    /// HKDF with SHA-256, no salt, `info = suite id ‖ message id`.
    HkdfSha256,
    /// HKDF with SHA-384, no salt, `info = suite id ‖ message id`.
    HkdfSha384,
    /// HKDF with SHA-512, salt = message id, and a key-commitment value.
    HkdfSha512Commit,
}

/// The signature algorithm of a signing suite.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum SignatureAlgorithm {
    /// ECDSA over P-256 with SHA-256.
    EcdsaP256Sha256,
    /// ECDSA over P-384 with SHA-384.
    EcdsaP384Sha384,
}

impl AlgorithmSuite {
    /// All eleven suites, in the specification's order.
    pub const ALL: [Self; 11] = [
        Self::Aes128GcmNoKdf,
        Self::Aes192GcmNoKdf,
        Self::Aes256GcmNoKdf,
        Self::Aes128GcmHkdfSha256,
        Self::Aes192GcmHkdfSha256,
        Self::Aes256GcmHkdfSha256,
        Self::Aes128GcmHkdfSha256EcdsaP256,
        Self::Aes192GcmHkdfSha384EcdsaP384,
        Self::Aes256GcmHkdfSha384EcdsaP384,
        Self::Aes256GcmHkdfSha512Commit,
        Self::Aes256GcmHkdfSha512CommitEcdsaP384,
    ];

    /// Looks a suite up by its two-byte id.
    ///
    /// # Errors
    /// [`Error::UnsupportedSuite`] for any id that is not an ESDK suite.
    pub const fn from_id(id: u16) -> Result<Self> {
        Ok(match id {
            0x0014 => Self::Aes128GcmNoKdf,
            0x0046 => Self::Aes192GcmNoKdf,
            0x0078 => Self::Aes256GcmNoKdf,
            0x0114 => Self::Aes128GcmHkdfSha256,
            0x0146 => Self::Aes192GcmHkdfSha256,
            0x0178 => Self::Aes256GcmHkdfSha256,
            0x0214 => Self::Aes128GcmHkdfSha256EcdsaP256,
            0x0346 => Self::Aes192GcmHkdfSha384EcdsaP384,
            0x0378 => Self::Aes256GcmHkdfSha384EcdsaP384,
            0x0478 => Self::Aes256GcmHkdfSha512Commit,
            0x0578 => Self::Aes256GcmHkdfSha512CommitEcdsaP384,
            other => return Err(Error::UnsupportedSuite(other)),
        })
    }

    /// The suite's two-byte id, as written in the header.
    pub const fn id(self) -> u16 {
        match self {
            Self::Aes128GcmNoKdf => 0x0014,
            Self::Aes192GcmNoKdf => 0x0046,
            Self::Aes256GcmNoKdf => 0x0078,
            Self::Aes128GcmHkdfSha256 => 0x0114,
            Self::Aes192GcmHkdfSha256 => 0x0146,
            Self::Aes256GcmHkdfSha256 => 0x0178,
            Self::Aes128GcmHkdfSha256EcdsaP256 => 0x0214,
            Self::Aes192GcmHkdfSha384EcdsaP384 => 0x0346,
            Self::Aes256GcmHkdfSha384EcdsaP384 => 0x0378,
            Self::Aes256GcmHkdfSha512Commit => 0x0478,
            Self::Aes256GcmHkdfSha512CommitEcdsaP384 => 0x0578,
        }
    }

    /// The message format version this suite writes.
    pub const fn message_format_version(self) -> MessageFormatVersion {
        if self.is_committing() {
            MessageFormatVersion::V2
        } else {
            MessageFormatVersion::V1
        }
    }

    /// The AES key length in bytes: 16, 24 or 32.
    pub const fn encryption_key_len(self) -> usize {
        match self {
            Self::Aes128GcmNoKdf
            | Self::Aes128GcmHkdfSha256
            | Self::Aes128GcmHkdfSha256EcdsaP256 => 16,
            Self::Aes192GcmNoKdf
            | Self::Aes192GcmHkdfSha256
            | Self::Aes192GcmHkdfSha384EcdsaP384 => 24,
            _ => 32,
        }
    }

    /// The length of the plaintext data key (the key-derivation input): equal to the AES key
    /// length for every ESDK suite.
    pub const fn data_key_len(self) -> usize {
        self.encryption_key_len()
    }

    /// The key derivation.
    pub const fn kdf(self) -> Kdf {
        match self {
            Self::Aes128GcmNoKdf | Self::Aes192GcmNoKdf | Self::Aes256GcmNoKdf => Kdf::Identity,
            Self::Aes128GcmHkdfSha256
            | Self::Aes192GcmHkdfSha256
            | Self::Aes256GcmHkdfSha256
            | Self::Aes128GcmHkdfSha256EcdsaP256 => Kdf::HkdfSha256,
            Self::Aes192GcmHkdfSha384EcdsaP384 | Self::Aes256GcmHkdfSha384EcdsaP384 => {
                Kdf::HkdfSha384
            }
            Self::Aes256GcmHkdfSha512Commit | Self::Aes256GcmHkdfSha512CommitEcdsaP384 => {
                Kdf::HkdfSha512Commit
            }
        }
    }

    /// Whether the suite derives the message key with a KDF (and so may share a data key
    /// between messages, as the caching manager does).
    pub const fn has_kdf(self) -> bool {
        !matches!(self.kdf(), Kdf::Identity)
    }

    /// The signature algorithm, for signing suites.
    pub const fn signature(self) -> Option<SignatureAlgorithm> {
        match self {
            Self::Aes128GcmHkdfSha256EcdsaP256 => Some(SignatureAlgorithm::EcdsaP256Sha256),
            Self::Aes192GcmHkdfSha384EcdsaP384
            | Self::Aes256GcmHkdfSha384EcdsaP384
            | Self::Aes256GcmHkdfSha512CommitEcdsaP384 => Some(SignatureAlgorithm::EcdsaP384Sha384),
            _ => None,
        }
    }

    /// Whether messages of this suite end with a signature footer.
    pub const fn is_signing(self) -> bool {
        self.signature().is_some()
    }

    /// Whether the suite commits to its data key (message format version 2).
    pub const fn is_committing(self) -> bool {
        matches!(
            self,
            Self::Aes256GcmHkdfSha512Commit | Self::Aes256GcmHkdfSha512CommitEcdsaP384
        )
    }

    /// The length of the message id: 16 bytes in version 1, 32 in version 2.
    pub const fn message_id_len(self) -> usize {
        match self.message_format_version() {
            MessageFormatVersion::V1 => 16,
            MessageFormatVersion::V2 => 32,
        }
    }
}

impl MessageFormatVersion {
    /// The version byte.
    pub const fn byte(self) -> u8 {
        match self {
            Self::V1 => 1,
            Self::V2 => 2,
        }
    }
}

impl SignatureAlgorithm {
    /// The length of the compressed public point: 33 or 49 bytes.
    pub const fn compressed_point_len(self) -> usize {
        match self {
            Self::EcdsaP256Sha256 => 33,
            Self::EcdsaP384Sha384 => 49,
        }
    }

    /// The length of the signatures that writers emit: 71 or 103 bytes of DER.
    pub const fn fixed_signature_len(self) -> usize {
        match self {
            Self::EcdsaP256Sha256 => 71,
            Self::EcdsaP384Sha384 => 103,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_suite_round_trips_through_its_id() {
        for suite in AlgorithmSuite::ALL {
            assert_eq!(AlgorithmSuite::from_id(suite.id()).unwrap(), suite);
        }
    }

    #[test]
    fn non_esdk_suites_are_rejected() {
        for id in [
            0x0000, 0x0070, 0x0071, 0x0072, 0x0073, 0x0074, 0x6700, 0x6701, 0x0479, 0xffff,
        ] {
            assert!(matches!(
                AlgorithmSuite::from_id(id),
                Err(Error::UnsupportedSuite(found)) if found == id
            ));
        }
    }

    #[test]
    fn suite_properties_follow_the_specification_table() {
        use AlgorithmSuite as S;
        let table = [
            (S::Aes128GcmNoKdf, 16, Kdf::Identity, None, 1),
            (S::Aes192GcmNoKdf, 24, Kdf::Identity, None, 1),
            (S::Aes256GcmNoKdf, 32, Kdf::Identity, None, 1),
            (S::Aes128GcmHkdfSha256, 16, Kdf::HkdfSha256, None, 1),
            (S::Aes192GcmHkdfSha256, 24, Kdf::HkdfSha256, None, 1),
            (S::Aes256GcmHkdfSha256, 32, Kdf::HkdfSha256, None, 1),
            (
                S::Aes128GcmHkdfSha256EcdsaP256,
                16,
                Kdf::HkdfSha256,
                Some(SignatureAlgorithm::EcdsaP256Sha256),
                1,
            ),
            (
                S::Aes192GcmHkdfSha384EcdsaP384,
                24,
                Kdf::HkdfSha384,
                Some(SignatureAlgorithm::EcdsaP384Sha384),
                1,
            ),
            (
                S::Aes256GcmHkdfSha384EcdsaP384,
                32,
                Kdf::HkdfSha384,
                Some(SignatureAlgorithm::EcdsaP384Sha384),
                1,
            ),
            (
                S::Aes256GcmHkdfSha512Commit,
                32,
                Kdf::HkdfSha512Commit,
                None,
                2,
            ),
            (
                S::Aes256GcmHkdfSha512CommitEcdsaP384,
                32,
                Kdf::HkdfSha512Commit,
                Some(SignatureAlgorithm::EcdsaP384Sha384),
                2,
            ),
        ];
        for (index, (suite, key_len, kdf, signature, version)) in table.into_iter().enumerate() {
            assert_eq!(suite.encryption_key_len(), key_len, "row {index}");
            assert_eq!(suite.kdf(), kdf, "row {index}");
            assert_eq!(suite.signature(), signature, "row {index}");
            assert_eq!(
                suite.message_format_version().byte(),
                version,
                "row {index}"
            );
            assert_eq!(suite.is_committing(), version == 2, "row {index}");
        }
    }
}
