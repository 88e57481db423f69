#![doc = include_str!("../README.md")]
#![doc(test(attr(deny(warnings))))]

mod arn;
mod calls;
mod counter;
mod discovery;
mod error;
mod keyring;
mod mrk;
pub mod multi;

pub use crate::arn::{
    KmsArn, ResourceType, is_multi_region_key, mrk_match_for_decrypt, validate_identifier,
};
pub use crate::calls::PROVIDER_ID;
pub use crate::counter::KmsCallCounter;
pub use crate::discovery::{DiscoveryFilter, KmsDiscoveryKeyring};
#[doc(hidden)]
pub use crate::error::classify as classify_sdk_error;
pub use crate::error::{Error, KmsOperation};
pub use crate::keyring::KmsKeyring;
pub use crate::mrk::{KmsMrkDiscoveryKeyring, KmsMrkKeyring};
pub use crate::multi::{ClientSupplier, RegionalClients};
pub use aws_sdk_kms;
