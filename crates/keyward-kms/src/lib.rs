#![doc = include_str!("../README.md")]
#![doc(test(attr(deny(warnings))))]

mod arn;
mod calls;
mod counter;
mod discovery;
mod ecdh;
mod error;
mod keyring;
mod mrk;
mod multi;
mod public_key;
mod rsa;
mod trace;

/// Whether two identifiers name the same key or replicas of one multi-Region key: the key
/// store's check of a stored KMS key against its configured multi-Region key.
#[doc(hidden)]
pub use crate::arn::mrk_match_for_decrypt;
pub use crate::arn::{KmsArn, ResourceType};
pub use crate::calls::PROVIDER_ID;
pub use crate::counter::KmsCallCounter;
pub use crate::discovery::{DiscoveryFilter, KmsDiscoveryKeyring};
pub use crate::ecdh::{KmsEcdhKeyring, KmsEcdhKeyringBuilder};
#[doc(hidden)]
pub use crate::error::classify as classify_sdk_error;
pub use crate::error::{Error, KmsOperation};
pub use crate::keyring::KmsKeyring;
pub use crate::mrk::{KmsMrkDiscoveryKeyring, KmsMrkKeyring};
pub use crate::multi::{
    ClientSupplier, KmsDiscoveryMultiKeyringBuilder, KmsMultiKeyringBuilder, RegionalClients,
};
pub use crate::rsa::{KmsRsaAlgorithm, KmsRsaKeyring, KmsRsaKeyringBuilder, RSA_PROVIDER_ID};
pub use aws_sdk_kms;
