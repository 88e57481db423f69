//! Encrypt a file to a file and back, streaming: memory stays at a few frames whatever the
//! file's size. Usage: `cargo run --example stream_file -- [INPUT]` (default: this source).

#![expect(clippy::print_stdout, reason = "an example shows what it did")]

use keyward::materials::{RawAesKeyring, WrappingKey};
use keyward::{Client, EncryptionContext, StreamOptions};

#[tokio::main]
async fn main() -> Result<(), keyward::Error> {
    let input = std::env::args()
        .nth(1)
        .unwrap_or_else(|| file!().to_owned());
    let dir = std::env::temp_dir();
    let encrypted = dir.join("keyward-example.encrypted");
    let decrypted = dir.join("keyward-example.decrypted");

    let keyring = RawAesKeyring::new("example", "file-key", WrappingKey::generate(32)?)?;
    let client = Client::new(keyring);
    let context = EncryptionContext::from([("file", input.as_str())]);

    let source = tokio::fs::File::open(&input).await?;
    let length = source.metadata().await?.len();
    let sink = tokio::fs::File::create(&encrypted).await?;
    client
        .encrypt_stream(source, sink, &context, Some(length))
        .await?;

    let source = tokio::fs::File::open(&encrypted).await?;
    let sink = tokio::fs::File::create(&decrypted).await?;
    let info = client
        .decrypt_stream(
            source,
            sink,
            StreamOptions::default().reproduced_context(&context),
        )
        .await?;

    assert_eq!(
        tokio::fs::read(&input).await?,
        tokio::fs::read(&decrypted).await?
    );
    println!(
        "{input}: {length} bytes, {} frames of {} bytes",
        length.div_ceil(u64::from(info.frame_length())),
        info.frame_length()
    );
    tokio::fs::remove_file(&encrypted).await?;
    tokio::fs::remove_file(&decrypted).await?;
    Ok(())
}
