//! A multi-keyring: a raw AES key generates and wraps the data key, a raw RSA public key wraps
//! it too. Either the AES key alone or the RSA private key alone then decrypts.

#![expect(clippy::print_stdout, reason = "an example shows what it did")]

use std::sync::Arc;

use aws_lc_rs::encoding::AsDer as _;
use aws_lc_rs::rsa::{KeySize, PrivateDecryptingKey};
use base64::Engine as _;
use keyward::materials::{
    DataKey, Keyring, MultiKeyring, RawAesKeyring, RawRsaKeyring, RsaPadding, WrappingKey,
};
use keyward::{Client, EncryptionContext};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    // Stand-ins for keys that would come from files: `keyward generate-key` and an RSA PEM pair.
    let aes_key = DataKey::generate(32)?;
    let (private_pem, public_pem) = rsa_key_pair()?;

    let aes: Arc<dyn Keyring> = Arc::new(RawAesKeyring::new(
        "example",
        "aes-key",
        WrappingKey::from_slice(aes_key.expose_secret()),
    )?);
    let rsa_public: Arc<dyn Keyring> = Arc::new(
        RawRsaKeyring::builder("example", "rsa-key", RsaPadding::OaepSha256)
            .public_key_pem(&public_pem)
            .build()?,
    );
    let encrypting = Client::new(MultiKeyring::new(Some(aes.clone()), vec![rsa_public])?);
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

fn rsa_key_pair() -> Result<(String, String), Box<dyn std::error::Error + Send + Sync>> {
    let key = PrivateDecryptingKey::generate(KeySize::Rsa3072)?;
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
    Ok((
        pem("PRIVATE KEY", key.as_der()?.as_ref()),
        pem("PUBLIC KEY", key.public_key().as_der()?.as_ref()),
    ))
}
