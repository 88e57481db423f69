//! Streaming encryption and decryption: any size through bounded pipes, the same bytes as the
//! whole-buffer API, and the unsigned-only mode.

use std::pin::Pin;
use std::task::{Context, Poll};

use keyward::{AlgorithmSuite, CommitmentPolicy, EncryptionContext, Error, StreamOptions};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

use super::support::{client, permissive_client};

/// Produces `remaining` bytes of a fixed pattern without holding them.
struct Pattern {
    remaining: u64,
    position: u64,
}

impl AsyncRead for Pattern {
    fn poll_read(
        mut self: Pin<&mut Self>,
        _: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        let n = (buf.remaining() as u64).min(self.remaining) as usize;
        let start = self.position;
        let bytes: Vec<u8> = (0..n as u64).map(|i| ((start + i) % 251) as u8).collect();
        buf.put_slice(&bytes);
        self.remaining -= n as u64;
        self.position += n as u64;
        Poll::Ready(Ok(()))
    }
}

/// Checks written bytes against the pattern without holding them.
#[derive(Default)]
struct Checker {
    position: u64,
    mismatch: bool,
}

impl AsyncWrite for Checker {
    fn poll_write(
        mut self: Pin<&mut Self>,
        _: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        for byte in buf {
            if *byte != (self.position % 251) as u8 {
                self.mismatch = true;
            }
            self.position += 1;
        }
        Poll::Ready(Ok(buf.len()))
    }

    fn poll_flush(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn poll_shutdown(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Poll::Ready(Ok(()))
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn large_streams_flow_through_bounded_pipes() {
    const LEN: u64 = 64 << 20;
    let (writer, reader) = tokio::io::duplex(64 * 1024);
    let context = EncryptionContext::from([("stream", "yes")]);
    let encrypting = tokio::spawn(async move {
        client()
            .encrypt_stream(
                Pattern {
                    remaining: LEN,
                    position: 0,
                },
                writer,
                &context,
                None,
            )
            .await
    });
    let mut checker = Checker::default();
    let info = client()
        .decrypt_stream(reader, &mut checker, StreamOptions::default())
        .await
        .unwrap();
    encrypting.await.unwrap().unwrap();
    assert_eq!(checker.position, LEN);
    assert!(!checker.mismatch);
    assert_eq!(info.plaintext_len(), LEN);
    assert_eq!(info.encryption_context().get("stream"), Some("yes"));
}

#[tokio::test]
async fn streams_and_buffers_agree() {
    let plaintext: Vec<u8> = (0..100_000u32).map(|i| (i % 251) as u8).collect();
    let context = EncryptionContext::new();
    let mut streamed = Vec::new();
    client()
        .encrypt_stream(
            &plaintext[..],
            &mut streamed,
            &context,
            Some(plaintext.len() as u64),
        )
        .await
        .unwrap();
    assert_eq!(
        client().decrypt(&streamed).await.unwrap().plaintext(),
        plaintext
    );
    let whole = client().encrypt(&plaintext, &context).await.unwrap();
    let mut out = Vec::new();
    client()
        .decrypt_stream(&whole[..], &mut out, StreamOptions::default())
        .await
        .unwrap();
    assert_eq!(out, plaintext);
    assert_eq!(
        streamed.len(),
        whole.len(),
        "same suite, same framing, same length"
    );
}

#[tokio::test]
async fn a_declared_length_is_enforced() {
    let mut out = Vec::new();
    let result = client()
        .encrypt_stream(
            &[0u8; 100][..],
            &mut out,
            &EncryptionContext::new(),
            Some(99),
        )
        .await;
    assert!(matches!(
        result,
        Err(Error::PlaintextLengthExceeded { declared: 99 })
    ));
}

#[tokio::test]
async fn unsigned_only_refuses_signed_messages_before_any_plaintext() {
    let signed = client()
        .encrypt(&[1; 10_000], &EncryptionContext::new())
        .await
        .unwrap();
    let mut out = Vec::new();
    let result = client()
        .decrypt_stream(
            &signed[..],
            &mut out,
            StreamOptions::default().unsigned_only(),
        )
        .await;
    assert!(matches!(
        result,
        Err(Error::Format(keyward::format::Error::SignedMessageRefused))
    ));
    assert!(out.is_empty());
    let unsigned_client = permissive_client()
        .commitment_policy(CommitmentPolicy::RequireEncryptRequireDecrypt)
        .suite(AlgorithmSuite::Aes256GcmHkdfSha512Commit)
        .build();
    let unsigned = unsigned_client
        .encrypt(&[1; 10_000], &EncryptionContext::new())
        .await
        .unwrap();
    unsigned_client
        .decrypt_stream(
            &unsigned[..],
            &mut out,
            StreamOptions::default().unsigned_only(),
        )
        .await
        .unwrap();
    assert_eq!(out, vec![1; 10_000]);
}

#[tokio::test]
async fn truncated_streams_fail() {
    let ciphertext = client()
        .encrypt(&[1; 10_000], &EncryptionContext::new())
        .await
        .unwrap();
    for len in [0, 10, ciphertext.len() - 1] {
        let mut out = Vec::new();
        let result = client()
            .decrypt_stream(&ciphertext[..len], &mut out, StreamOptions::default())
            .await;
        assert!(
            matches!(
                result,
                Err(Error::Format(keyward::format::Error::Truncated))
            ),
            "{len}: {result:?}"
        );
    }
}

/// Clients that differ in threads and stream windows read each other's messages, whole or
/// streamed, signed or not: the thread count and the window never change what is written.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn thread_counts_and_stream_windows_read_each_other() {
    use std::num::NonZeroUsize;
    let plaintext: Vec<u8> = (0..(5u32 << 20) + 11).map(|i| (i % 251) as u8).collect();
    let context = EncryptionContext::from([("purpose", "threads")]);
    let configurations = [(1, None), (2, None), (4, Some(2 << 20)), (1, Some(3 << 20))];
    for suite in [
        AlgorithmSuite::Aes256GcmHkdfSha512Commit,
        AlgorithmSuite::Aes256GcmHkdfSha512CommitEcdsaP384,
    ] {
        let clients: Vec<_> = configurations
            .iter()
            .map(|&(threads, window)| {
                let mut builder = permissive_client()
                    .commitment_policy(CommitmentPolicy::RequireEncryptRequireDecrypt)
                    .suite(suite)
                    .max_threads(NonZeroUsize::new(threads).unwrap());
                if let Some(window) = window {
                    builder = builder.stream_window(window);
                }
                builder.build()
            })
            .collect();
        for writer in &clients {
            let whole = writer.encrypt(&plaintext, &context).await.unwrap();
            let mut streamed = Vec::new();
            writer
                .encrypt_stream(&plaintext[..], &mut streamed, &context, None)
                .await
                .unwrap();
            assert_eq!(whole.len(), streamed.len());
            for reader in &clients {
                for message in [&whole, &streamed] {
                    assert!(reader.decrypt(message).await.unwrap().plaintext() == plaintext);
                    let mut out = Vec::new();
                    reader
                        .decrypt_stream(&message[..], &mut out, StreamOptions::default())
                        .await
                        .unwrap();
                    assert!(out == plaintext);
                }
            }
        }
    }
}
