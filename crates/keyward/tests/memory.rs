//! The heap a streaming decrypt holds, measured: dhat counts every allocation of this test
//! binary, and the stream samples the live heap at every read and write. And the heap a
//! branch-key cache holds per tenant, for sizing it (docs/caching.md).
//!
//! A message with 32 MiB frames, decrypted with a 1 MiB body limit, is refused after its header
//! with a small fixed heap; without the limit, the decryptor holds about one frame, as it must
//! before it may release the frame's plaintext.

#![expect(clippy::print_stdout, reason = "the test reports what it measured")]

use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::task::{Context, Poll};

use keyward::materials::{DefaultMaterialsManager, RawAesKeyring, WrappingKey};
use keyward::{AlgorithmSuite, Client, EncryptionContext, FrameLength, StreamOptions};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

#[global_allocator]
static ALLOC: dhat::Alloc = dhat::Alloc;

const FRAME: usize = 32 << 20;

/// The most live heap seen above `baseline`.
#[derive(Clone)]
struct Peak {
    baseline: usize,
    most: Arc<AtomicUsize>,
}

impl Peak {
    fn start() -> Self {
        Self {
            baseline: dhat::HeapStats::get().curr_bytes,
            most: Arc::default(),
        }
    }

    fn sample(&self) {
        let now = dhat::HeapStats::get().curr_bytes;
        self.most
            .fetch_max(now.saturating_sub(self.baseline), Ordering::SeqCst);
    }

    fn most(&self) -> usize {
        self.most.load(Ordering::SeqCst)
    }
}

/// Reads a slice 64 KiB at a time, sampling the heap.
struct Source<'a> {
    rest: &'a [u8],
    peak: Peak,
}

impl AsyncRead for Source<'_> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        _: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        self.peak.sample();
        let take = self.rest.len().min(buf.remaining()).min(64 << 10);
        let (head, tail) = self.rest.split_at(take);
        buf.put_slice(head);
        self.rest = tail;
        Poll::Ready(Ok(()))
    }
}

/// Discards what it is given, sampling the heap.
struct Sink(Peak);

impl AsyncWrite for Sink {
    fn poll_write(
        self: Pin<&mut Self>,
        _: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        self.0.sample();
        Poll::Ready(Ok(buf.len()))
    }

    fn poll_flush(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn poll_shutdown(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Poll::Ready(Ok(()))
    }
}

async fn stream(client: &Client, message: &[u8], options: StreamOptions<'_>) -> (bool, usize) {
    let peak = Peak::start();
    let source = Source {
        rest: message,
        peak: peak.clone(),
    };
    let outcome = client
        .decrypt_stream(source, Sink(peak.clone()), options)
        .await;
    (outcome.is_ok(), peak.most())
}

/// `left` bytes of plaintext made up as they are read, sampling the heap.
struct Generated {
    left: u64,
    peak: Peak,
}

impl AsyncRead for Generated {
    fn poll_read(
        mut self: Pin<&mut Self>,
        _: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        self.peak.sample();
        let take = (buf.remaining() as u64).min(self.left).min(1 << 20) as usize;
        buf.put_slice(&vec![7u8; take]);
        self.left -= take as u64;
        Poll::Ready(Ok(()))
    }
}

/// One dhat profiler at a time: the tests of this binary take turns.
static PROFILER: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

#[tokio::test(flavor = "current_thread")]
async fn a_capped_stream_of_32_mib_frames_holds_a_small_fixed_heap() {
    let _turn = PROFILER.lock().await;
    let _profiler = dhat::Profiler::builder().testing().build();
    let keyring = RawAesKeyring::new("memory", "key", WrappingKey::new(vec![3; 32])).unwrap();
    let client = Client::builder(DefaultMaterialsManager::new(keyring))
        .suite(AlgorithmSuite::Aes256GcmHkdfSha512Commit)
        .frame_length(FrameLength::new(FRAME as u64).unwrap())
        .build();
    let message = client
        .encrypt(&vec![7u8; FRAME + (1 << 20)], &EncryptionContext::new())
        .await
        .unwrap();

    let (ok, capped) = stream(
        &client,
        &message,
        StreamOptions::default().max_body_length(1 << 20),
    )
    .await;
    assert!(!ok, "the 1 MiB limit refuses 32 MiB frames");
    assert!(capped < 512 << 10, "capped decrypt held {capped} bytes");

    let (ok, uncapped) = stream(&client, &message, StreamOptions::default()).await;
    assert!(ok);
    assert!(
        (FRAME..3 * FRAME).contains(&uncapped),
        "uncapped decrypt held {uncapped} bytes: one frame is expected"
    );
    println!("heap held: capped {capped} bytes, uncapped {uncapped} bytes");
}

#[tokio::test(flavor = "current_thread")]
async fn streams_hold_their_window_whatever_the_message_length() {
    const LEN: u64 = 256 << 20;
    let _turn = PROFILER.lock().await;
    let _profiler = dhat::Profiler::builder().testing().build();
    // The default 64 KiB window on one or two threads, and a 16 MiB window (whose frames are
    // opened on two threads): the heap follows the window, never the message.
    for (threads, window, bound) in [
        (1, None, 1 << 20),
        (2, None, 1 << 20),
        (2, Some(16 << 20), 40 << 20),
    ] {
        let keyring = RawAesKeyring::new("memory", "key", WrappingKey::new(vec![3; 32])).unwrap();
        let mut builder = Client::builder(DefaultMaterialsManager::new(keyring))
            .suite(AlgorithmSuite::Aes256GcmHkdfSha512Commit)
            .max_threads(std::num::NonZeroUsize::new(threads).unwrap());
        if let Some(window) = window {
            builder = builder.stream_window(window);
        }
        let client = builder.build();
        let peak = Peak::start();
        let source = Generated {
            left: LEN,
            peak: peak.clone(),
        };
        client
            .encrypt_stream(
                source,
                Sink(peak.clone()),
                &EncryptionContext::new(),
                Some(LEN),
            )
            .await
            .unwrap();
        let encrypting = peak.most();
        let mut message = Vec::new();
        let source = Generated {
            left: LEN,
            peak: Peak::start(),
        };
        client
            .encrypt_stream(source, &mut message, &EncryptionContext::new(), Some(LEN))
            .await
            .unwrap();
        let (ok, decrypting) = stream(&client, &message, StreamOptions::default()).await;
        assert!(ok);
        assert!(
            encrypting < bound && decrypting < bound,
            "{threads} threads, window {window:?}: a 256 MiB stream held {encrypting} bytes \
             encrypting, {decrypting} decrypting"
        );
        println!(
            "256 MiB stream, {threads} thread(s), window {window:?}: heap held {encrypting} \
             bytes encrypting, {decrypting} decrypting"
        );
    }
}

#[cfg(feature = "hierarchy")]
#[tokio::test(flavor = "current_thread")]
async fn a_tenant_in_the_branch_key_cache_costs_a_few_kibibytes_at_most() {
    use keyward::cache::StormTrackingCache;
    use keyward::hierarchy::{
        ContextKeySupplier, HierarchicalKeyring, KeyStoreAdmin as _, MemoryKeyStore,
    };

    const TENANTS: usize = 1000;
    let _turn = PROFILER.lock().await;
    let _profiler = dhat::Profiler::builder().testing().build();
    let store = MemoryKeyStore::new("memory");
    let ids: Vec<String> = (0..TENANTS).map(|i| format!("tenant-{i:04}")).collect();
    for id in &ids {
        store
            .create_key(
                Some(id),
                &EncryptionContext::from([("tenant", id.as_str())]),
            )
            .await
            .unwrap();
    }
    let supplier = ContextKeySupplier::new("tenant", ids.iter().map(|id| (id.clone(), id.clone())));
    let keyring =
        HierarchicalKeyring::builder(store, supplier, std::time::Duration::from_secs(600))
            .cache(StormTrackingCache::new(2 * TENANTS))
            .build()
            .unwrap();
    let before = dhat::HeapStats::get().curr_bytes;
    // Each tenant: its active version, cached for encryption and for decryption (2 entries).
    let report = keyring.preload(ids.iter().cloned(), 0).await;
    assert_eq!(report.branch_keys, TENANTS);
    let per_tenant = dhat::HeapStats::get().curr_bytes.saturating_sub(before) / TENANTS;
    assert!(
        (64..4096).contains(&per_tenant),
        "{per_tenant} bytes of cache per tenant"
    );
    println!("branch-key cache: {per_tenant} bytes per tenant (two entries)");
}
