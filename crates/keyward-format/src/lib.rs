#![doc = include_str!("../README.md")]
#![doc(test(attr(deny(warnings))))]
#![warn(clippy::indexing_slicing)]

mod codec;
mod context;
mod crypto;
mod decrypt;
mod edk;
mod encrypt;
mod error;
mod frame;
mod header;
mod kdf;
mod parallel;
mod policy;
mod signature;
mod suite;

#[doc(hidden)]
pub mod fuzzing;
// Shared by the keyward crates; not part of the API.
#[doc(hidden)]
pub mod random;

pub use crate::context::EncryptionContext;
pub use crate::crypto::fips_mode;
pub use crate::decrypt::{DecryptOptions, Decryptor, Progress};
pub use crate::edk::EncryptedDataKey;
pub use crate::encrypt::{EncryptParams, Encryptor};
pub use crate::error::{Error, ErrorKind, Result};
pub use crate::frame::FrameLength;
pub use crate::header::{ContentType, Header};
pub use crate::policy::CommitmentPolicy;
pub use crate::signature::{SigningKey, VerificationKey, VerificationKeyCache};
pub use crate::suite::{AlgorithmSuite, Kdf, MessageFormatVersion, SignatureAlgorithm};
