//! The offline demonstration: a local key, the whole-buffer API, and the streaming API.

use std::sync::Arc;
use std::time::Instant;

use anyhow::Result;
use keyward::materials::{DataKey, RawAesKeyring, WrappingKey};
use keyward::{AlgorithmSuite, Client, EncryptionContext, StreamOptions};
use tokio::io::{AsyncRead, ReadBuf};

pub(crate) async fn run(megabytes: u64) -> Result<()> {
    println!(
        "keyward demo: AWS Encryption SDK messages with a local AES-256 wrapping key (offline)\n"
    );
    let wrapping_key = DataKey::generate(32)?;
    let keyring = Arc::new(RawAesKeyring::new(
        "keyward-demo",
        "demo-key",
        WrappingKey::from_slice(wrapping_key.expose_secret()),
    )?);
    let client = Client::new(keyring.clone());
    let context = EncryptionContext::from([("purpose", "demo"), ("tenant", "example")]);

    // 1. Whole buffers, with the default suite (0x0578: key commitment and an ECDSA signature).
    let plaintext =
        b"Hello from keyward: this message can be read by every official AWS Encryption SDK.";
    let ciphertext = client.encrypt(plaintext, &context).await?;
    let decrypted = client.decrypt_with_context(&ciphertext, &context).await?;
    assert_eq!(decrypted.plaintext(), plaintext);
    let info = decrypted.info();
    println!("1. encrypt + decrypt of {} bytes", plaintext.len());
    println!(
        "   suite              {:#06x} ({:?})",
        info.suite().id(),
        info.suite()
    );
    println!("   encryption context {:?}", info.encryption_context());
    println!(
        "   encrypted keys     {:?}",
        info.provider_ids().collect::<Vec<_>>()
    );
    println!(
        "   message            {} bytes (frame length {})\n",
        ciphertext.len(),
        info.frame_length()
    );

    // 2. Throughput of the whole-buffer API with the unsigned committing suite.
    let unsigned = Client::builder(keyward::materials::DefaultMaterialsManager::new(keyring))
        .suite(AlgorithmSuite::Aes256GcmHkdfSha512Commit)
        .build();
    let one_mib = vec![0x5a; 1 << 20];
    let rounds: u32 = 64;
    let start = Instant::now();
    let mut message = Vec::new();
    for _ in 0..rounds {
        message = unsigned.encrypt(&one_mib, &context).await?;
    }
    let encrypt_rate = f64::from(rounds) / start.elapsed().as_secs_f64();
    let start = Instant::now();
    for _ in 0..rounds {
        unsigned.decrypt(&message).await?;
    }
    let decrypt_rate = f64::from(rounds) / start.elapsed().as_secs_f64();
    println!(
        "2. 1 MiB messages, suite 0x0478: encrypt {encrypt_rate:.0} MiB/s, decrypt {decrypt_rate:.0} MiB/s\n"
    );

    // 3. Streaming through a bounded pipe: memory stays at a few frames whatever the size.
    let total = megabytes << 20;
    let (writer, reader) = tokio::io::duplex(256 * 1024);
    let start = Instant::now();
    let encrypting = {
        let client = client.clone();
        let context = context.clone();
        tokio::spawn(async move {
            client
                .encrypt_stream(Zeros { remaining: total }, writer, &context, Some(total))
                .await
        })
    };
    let mut sink = tokio::io::sink();
    let streamed = client
        .decrypt_stream(
            reader,
            &mut sink,
            StreamOptions::default().reproduced_context(&context),
        )
        .await?;
    let written = encrypting.await??;
    let seconds = start.elapsed().as_secs_f64();
    let frames = total.div_ceil(u64::from(written.frame_length()));
    println!("3. streamed {megabytes} MiB through a 256 KiB pipe: encrypt -> decrypt");
    println!(
        "   suite {:#06x}, {frames} frames of {} bytes",
        written.suite().id(),
        written.frame_length()
    );
    println!(
        "   decrypted {} bytes in {seconds:.2} s ({:.0} MiB/s end to end)",
        streamed.plaintext_len(),
        megabytes as f64 / seconds
    );
    Ok(())
}

/// `remaining` zero bytes, produced on demand.
struct Zeros {
    remaining: u64,
}

impl AsyncRead for Zeros {
    fn poll_read(
        mut self: std::pin::Pin<&mut Self>,
        _: &mut std::task::Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        let n = usize::try_from(self.remaining)
            .unwrap_or(usize::MAX)
            .min(buf.remaining());
        buf.put_slice(&vec![0; n]);
        self.remaining -= n as u64;
        std::task::Poll::Ready(Ok(()))
    }
}
