#![doc = include_str!("../README.md")]
#![doc(test(attr(deny(warnings))))]

mod crypto;
mod default_manager;
mod ecdh;
mod error;
mod keyring;
mod materials;
mod multi;
mod pem;
mod raw_aes;
mod raw_ecdh;
mod raw_rsa;
mod required_context;
mod secret;
#[cfg(feature = "testing")]
pub mod testing;

pub use async_trait::async_trait;
pub use keyward_format::{
    AlgorithmSuite, CommitmentPolicy, EncryptedDataKey, EncryptionContext, SigningKey,
    VerificationKey,
};

pub use crate::crypto::RsaPadding;
pub use crate::default_manager::DefaultMaterialsManager;
pub use crate::ecdh::{EcdhCurve, EcdhPublicKey, RAW_ECDH_PROVIDER_ID};
pub use crate::error::{DecryptAttempt, Error, ErrorKind, KeyringError, Result};
pub use crate::keyring::{Keyring, MaterialsManager, decrypt_first};
pub use crate::materials::{
    BranchKeyMaterials, DecryptionMaterials, DecryptionRequest, EncryptionMaterials,
    EncryptionRequest, Materials,
};
pub use crate::multi::{MultiKeyring, MultiKeyringBuilder};
pub use crate::raw_aes::RawAesKeyring;
pub use crate::raw_ecdh::RawEcdhKeyring;
pub use crate::raw_rsa::{RawRsaKeyring, RawRsaKeyringBuilder};
pub use crate::required_context::RequiredContextMaterialsManager;
pub use crate::secret::{BranchKey, DataKey, WrappingKey};
