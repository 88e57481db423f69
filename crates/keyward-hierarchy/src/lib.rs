#![doc = include_str!("../README.md")]
#![doc(test(attr(deny(warnings))))]

mod dynamodb;
mod error;
#[doc(hidden)]
pub mod fuzzing;
mod kdf;
mod key_store;
mod keyring;
#[cfg(feature = "testing")]
mod memory;
#[cfg(feature = "testing")]
mod static_store;
mod supplier;
mod trace;

pub use crate::dynamodb::{DynamoDbKeyStore, DynamoDbKeyStoreBuilder};
pub use crate::error::{Error, Result};
pub use crate::kdf::PROVIDER_ID;
pub use crate::key_store::{
    BeaconKeyMaterials, BranchKeyVersion, CreatedBranchKey, KeyStore, KeyStoreAdmin, KeyStoreInfo,
    KmsConfiguration, VersionedBranchKey,
};
pub use crate::keyring::{
    BranchKeySelector, HierarchicalKeyring, HierarchicalKeyringBuilder, PreloadFailure, Preloaded,
};
#[cfg(feature = "testing")]
pub use crate::memory::MemoryKeyStore;
#[cfg(feature = "testing")]
pub use crate::static_store::StaticKeyStore;
pub use crate::supplier::{BranchKeyIdSupplier, ContextKeySupplier, UnknownTenant};
pub use aws_sdk_dynamodb;
