//! The required-encryption-context manager: the `tenant` pair is authenticated but not stored in
//! the message, so a reader must supply it again.

#![expect(clippy::print_stdout, reason = "an example shows what it did")]

use keyward::materials::{RawAesKeyring, RequiredContextMaterialsManager, WrappingKey};
use keyward::{Client, EncryptionContext};

#[tokio::main]
async fn main() -> Result<(), keyward::Error> {
    let keyring = RawAesKeyring::new("example", "aes-key", WrappingKey::generate(32)?)?;
    let manager = RequiredContextMaterialsManager::with_keyring(["tenant"], keyring);
    let client = Client::builder(manager).build();

    let context = EncryptionContext::from([("tenant", "acme"), ("purpose", "invoice")]);
    let ciphertext = client.encrypt(b"invoice #42", &context).await?;

    // Without the required pair, decryption fails.
    assert!(client.decrypt(&ciphertext).await.is_err());
    // With it, it succeeds; the stored context holds only `purpose`.
    let decrypted = client
        .decrypt_with_context(&ciphertext, &EncryptionContext::from([("tenant", "acme")]))
        .await?;
    assert_eq!(decrypted.plaintext(), b"invoice #42");
    println!(
        "stored context: {:?}",
        decrypted.info().encryption_context()
    );
    Ok(())
}
