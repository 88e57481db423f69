//! A client over a local AES key.

use keyward::materials::{RawAesKeyring, WrappingKey};
use keyward::{Client, CommitmentPolicy};

pub(crate) fn keyring() -> RawAesKeyring {
    RawAesKeyring::new("keyward-tests", "aes-256", WrappingKey::new(vec![0x42; 32])).unwrap()
}

pub(crate) fn client() -> Client {
    Client::new(keyring())
}

pub(crate) fn permissive_client() -> keyward::ClientBuilder {
    Client::builder(keyward::materials::DefaultMaterialsManager::new(keyring()))
        .commitment_policy(CommitmentPolicy::ForbidEncryptAllowDecrypt)
}
