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
#[doc(hidden)]
pub mod trace;

pub use async_trait::async_trait;

/// What keyward's AWS KMS keyrings share with this crate's raw keyrings (RSA encryption, the
/// ECDH key derivation and EDK layout). Not part of the public API: no semver promise.
#[doc(hidden)]
pub mod internal {
    pub use crate::crypto::RsaPublicKey;
    pub use crate::ecdh::{
        KMS_ECDH_PROVIDER_ID, fixed_info, is_other_curve_layout, parse_provider_info,
        provider_info, unwrap, wrap,
    };
    pub use crate::pem::public_key_der as rsa_public_key_der;
    pub use crate::raw_ecdh::describe_attempts as describe_ecdh_attempts;

    /// The length of an ECDH shared secret (the x-coordinate) on `curve`.
    pub fn shared_secret_len(curve: crate::EcdhCurve) -> usize {
        curve.field_len()
    }

    /// SHA-384 of `data`.
    pub fn sha384(data: &[u8]) -> [u8; 48] {
        let mut out = [0u8; 48];
        out.copy_from_slice(aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA384, data).as_ref());
        out
    }
}
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
