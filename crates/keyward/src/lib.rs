#![doc = include_str!("../README.md")]
#![doc(test(attr(deny(warnings))))]

mod client;
mod error;

/// Data-key caching: caches and the caching materials manager ([`keyward_cache`]).
pub mod cache {
    pub use keyward_cache::*;
}

/// The message format engine ([`keyward_format`]).
pub mod format {
    pub use keyward_format::*;
}

/// AWS KMS keyrings: strict, discovery and multi-Region-key aware, and multi-region
/// constructors ([`keyward_kms`]; feature `kms`, on by default).
#[cfg(feature = "kms")]
pub mod kms {
    pub use keyward_kms::*;
}

/// The AWS KMS Hierarchical keyring, its key stores and branch key id suppliers
/// ([`keyward_hierarchy`]; feature `hierarchy`, on by default).
#[cfg(feature = "hierarchy")]
pub mod hierarchy {
    pub use keyward_hierarchy::*;
}

/// Keyrings, materials managers and secret types ([`keyward_materials`]).
pub mod materials {
    pub use keyward_materials::*;
}

pub use keyward_format::{
    AlgorithmSuite, CommitmentPolicy, EncryptionContext, FrameLength, Header, fips_mode,
};
pub use keyward_materials::{Keyring, MaterialsManager, async_trait};

pub use crate::client::{
    Client, ClientBuilder, DEFAULT_STREAM_MAX_ENCRYPTED_DATA_KEYS,
    DEFAULT_STREAM_MAX_HEADER_LENGTH, Decrypted, MessageInfo, StreamOptions, read_header,
};
pub use crate::error::{Error, ErrorKind, Result};
