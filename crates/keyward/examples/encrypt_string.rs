//! Encrypt and decrypt a string with a raw AES keyring, checking the encryption context on the
//! way back (the official "encrypt and decrypt a string" walkthrough).

#![expect(clippy::print_stdout, reason = "an example shows what it did")]

use keyward::materials::{RawAesKeyring, WrappingKey};
use keyward::{Client, EncryptionContext};

#[tokio::main]
async fn main() -> Result<(), keyward::Error> {
    // In production the wrapping key comes from a key management system, not from here.
    let keyring = RawAesKeyring::new("my-key-namespace", "my-aes-key", WrappingKey::generate(32)?)?;
    let client = Client::new(keyring);

    let context = EncryptionContext::from([("purpose", "example"), ("department", "finance")]);
    let ciphertext = client.encrypt(b"Hello, World!", &context).await?;

    // Passing the context back makes decryption fail unless the message carries every pair.
    let decrypted = client.decrypt_with_context(&ciphertext, &context).await?;
    assert_eq!(decrypted.plaintext(), b"Hello, World!");
    println!(
        "decrypted {} bytes, suite {:#06x}, context {:?}",
        decrypted.plaintext().len(),
        decrypted.info().suite().id(),
        decrypted.info().encryption_context()
    );
    Ok(())
}
