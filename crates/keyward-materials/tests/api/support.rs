//! Test keys.

use std::sync::Arc;

use aws_lc_rs::encoding::AsDer as _;
use aws_lc_rs::rsa::{KeySize, PrivateDecryptingKey};
use base64::Engine as _;
use keyward_materials::{Keyring, RawAesKeyring, RawRsaKeyring, RsaPadding, WrappingKey};

pub(crate) const AES_KEY: [u8; 32] = [0x11; 32];

pub(crate) fn aes(name: &str) -> RawAesKeyring {
    RawAesKeyring::new("test-namespace", name, WrappingKey::from_slice(&AES_KEY)).unwrap()
}

fn pem(label: &str, der: &[u8]) -> String {
    let body = base64::engine::general_purpose::STANDARD.encode(der);
    let lines: Vec<&str> = body
        .as_bytes()
        .chunks(64)
        .map(|c| core::str::from_utf8(c).unwrap())
        .collect();
    format!(
        "-----BEGIN {label}-----\n{}\n-----END {label}-----\n",
        lines.join("\n")
    )
}

/// A fresh RSA-2048 key pair as (PKCS #8 private PEM, SPKI public PEM).
pub(crate) fn rsa_pems() -> (String, String) {
    let key = PrivateDecryptingKey::generate(KeySize::Rsa2048).unwrap();
    let private = key.as_der().unwrap();
    let public = key.public_key().as_der().unwrap();
    (
        pem("PRIVATE KEY", private.as_ref()),
        pem("PUBLIC KEY", public.as_ref()),
    )
}

pub(crate) fn rsa(padding: RsaPadding, pems: &(String, String)) -> RawRsaKeyring {
    let builder = RawRsaKeyring::builder("test-rsa", "rsa-key", padding)
        .private_key_pem(&pems.0)
        .public_key_pem(&pems.1);
    match padding {
        RsaPadding::Pkcs1 => builder.legacy_pkcs1_decryption(),
        _ => builder,
    }
    .build()
    .unwrap()
}

pub(crate) fn shared(keyring: impl Keyring + 'static) -> Arc<dyn Keyring> {
    Arc::new(keyring)
}
