//! A multi-keyring: a raw AES key generates and wraps the data key, a raw RSA public key wraps
//! it too. Either the AES key alone or the RSA private key alone then decrypts.

#![expect(clippy::print_stdout, reason = "an example shows what it did")]
#![expect(
    clippy::expect_used,
    reason = "generating the RSA stand-in is the example's setup"
)]

use std::sync::Arc;

use aws_lc_rs::encoding::AsDer as _;
use aws_lc_rs::rsa::{KeySize, PrivateDecryptingKey};
use base64::Engine as _;
use keyward::materials::{MultiKeyring, RawAesKeyring, RawRsaKeyring, RsaPadding, WrappingKey};
use keyward::{Client, EncryptionContext};

#[tokio::main]
async fn main() -> Result<(), keyward::Error> {
    // Stand-ins for keys that would come from files: `keyward generate-key` and an RSA PEM pair.
    let (private_pem, public_pem) = rsa_key_pair();

    // One AES keyring, shared by the multi-keyring and the AES-only client.
    let aes = Arc::new(RawAesKeyring::new(
        "example",
        "aes-key",
        WrappingKey::generate(32)?,
    )?);
    let rsa_public = RawRsaKeyring::builder("example", "rsa-key", RsaPadding::OaepSha256)
        .public_key_pem(&public_pem)
        .build()?;
    let multi = MultiKeyring::builder()
        .generator(aes.clone())
        .child(rsa_public)
        .build()?;
    let encrypting = Client::new(multi);
    let context = EncryptionContext::from([("purpose", "backup")]);
    let ciphertext = encrypting.encrypt(b"escrowed secret", &context).await?;

    let with_aes = Client::new(aes);
    let rsa_private = RawRsaKeyring::builder("example", "rsa-key", RsaPadding::OaepSha256)
        .private_key_pem(&private_pem)
        .build()?;
    let with_rsa = Client::new(rsa_private);
    for client in [with_aes, with_rsa] {
        let decrypted = client.decrypt(&ciphertext).await?;
        assert_eq!(decrypted.plaintext(), b"escrowed secret");
    }
    println!(
        "both keys decrypt; the message holds {} encrypted data keys",
        2
    );
    Ok(())
}

/// A fresh RSA key pair as PKCS #8 and SPKI PEM.
fn rsa_key_pair() -> (String, String) {
    let key = PrivateDecryptingKey::generate(KeySize::Rsa3072).expect("RSA key generation");
    let pem = |label: &str, der: &[u8]| {
        let body = base64::engine::general_purpose::STANDARD.encode(der);
        let lines: Vec<&str> = body
            .as_bytes()
            .chunks(64)
            .filter_map(|c| std::str::from_utf8(c).ok())
            .collect();
        format!(
            "-----BEGIN {label}-----\n{}\n-----END {label}-----\n",
            lines.join("\n")
        )
    };
    (
        pem("PRIVATE KEY", key.as_der().expect("PKCS #8").as_ref()),
        pem(
            "PUBLIC KEY",
            key.public_key().as_der().expect("SPKI").as_ref(),
        ),
    )
}
