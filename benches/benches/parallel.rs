//! The message engine on several threads beside one thread, and beside the one-core
//! primitives over the same bytes, in the same run: AES-256-GCM for 0x0478, SHA-384 for
//! 0x0578. Then what the thread pool must not cost (1 KiB messages), the verification-key
//! reuse of signed messages, and 1 GiB streams.

#![expect(clippy::expect_used, reason = "a benchmark stops at its first failure")]

use std::hint::black_box;
use std::num::NonZeroUsize;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use aws_lc_rs::aead::{AES_256_GCM, Aad, LessSafeKey, Nonce, UnboundKey};
use aws_lc_rs::digest::{SHA384, digest};
use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use keyward::materials::{DefaultMaterialsManager, RawAesKeyring, WrappingKey};
use keyward::{AlgorithmSuite, Client, EncryptionContext, StreamOptions};
use keyward_bench::EngineFixture;
use tokio::io::{AsyncRead, ReadBuf};

const MIB: usize = 1 << 20;

fn threads(n: usize) -> NonZeroUsize {
    NonZeroUsize::new(n).expect("at least one thread")
}

/// The thread counts to compare: 1, 2, and the machine's parallelism when it has more.
fn thread_counts() -> Vec<usize> {
    let available = std::thread::available_parallelism().map_or(1, NonZeroUsize::get);
    let mut counts = vec![1, 2];
    if available > 2 {
        counts.push(available);
    }
    counts
}

/// The engine fixture capped at `n` threads.
fn fixture(suite: AlgorithmSuite, n: usize) -> EngineFixture {
    let mut fixture = EngineFixture::new(suite);
    fixture.max_threads = Some(threads(n));
    fixture
}

/// Encrypt and decrypt of `plaintext` for each thread count in `group`; returns the message.
fn by_threads(
    group: &mut criterion::BenchmarkGroup<'_, criterion::measurement::WallTime>,
    suite: AlgorithmSuite,
    plaintext: &[u8],
) -> Vec<u8> {
    let size = plaintext.len();
    let mut message = Vec::with_capacity(size + size / 64 + 4096);
    let mut out = Vec::with_capacity(size + size / 64 + 4096);
    fixture(suite, 1).encrypt(plaintext, &mut message);
    for n in thread_counts() {
        let engine = fixture(suite, n);
        group.bench_function(
            BenchmarkId::new(format!("encrypt-{n}-threads"), size),
            |b| {
                b.iter(|| engine.encrypt(black_box(plaintext), &mut out));
            },
        );
        group.bench_function(
            BenchmarkId::new(format!("decrypt-{n}-threads"), size),
            |b| {
                b.iter(|| engine.decrypt(black_box(&message), &mut out));
            },
        );
    }
    message
}

/// 0x0478 at 16 and 256 MiB: the engine by thread count, and one-shot AES-256-GCM on one core.
fn unsigned(c: &mut Criterion) {
    let suite = AlgorithmSuite::Aes256GcmHkdfSha512Commit;
    let key = LessSafeKey::new(UnboundKey::new(&AES_256_GCM, &[0x42; 32]).expect("key"));
    let mut group = c.benchmark_group("parallel-0x0478");
    group.sample_size(10);
    group.warm_up_time(Duration::from_secs(1));
    group.measurement_time(Duration::from_secs(4));
    for size in [16 * MIB, 256 * MIB] {
        group.throughput(Throughput::Bytes(size as u64));
        let plaintext = vec![0x5a; size];
        by_threads(&mut group, suite, &plaintext);
        let mut buffer = plaintext.clone();
        group.bench_function(BenchmarkId::new("aes-256-gcm-one-core-seal", size), |b| {
            b.iter(|| {
                let nonce = Nonce::assume_unique_for_key([0; 12]);
                black_box(
                    key.seal_in_place_separate_tag(nonce, Aad::empty(), &mut buffer)
                        .expect("seal"),
                )
            });
        });
        // The machine's ceiling: one-shot AES-256-GCM on two threads, each over half.
        group.bench_function(
            BenchmarkId::new("aes-256-gcm-two-threads-seal", size),
            |b| {
                b.iter(|| {
                    let (left, right) = buffer.split_at_mut(size / 2);
                    std::thread::scope(|scope| {
                        for half in [left, right] {
                            let key = &key;
                            scope.spawn(move || {
                                let nonce = Nonce::assume_unique_for_key([0; 12]);
                                black_box(
                                    key.seal_in_place_separate_tag(nonce, Aad::empty(), half)
                                        .expect("seal"),
                                )
                            });
                        }
                    });
                });
            },
        );
        let mut sealed = plaintext.clone();
        let tag = key
            .seal_in_place_separate_tag(
                Nonce::assume_unique_for_key([1; 12]),
                Aad::empty(),
                &mut sealed,
            )
            .expect("seal");
        let mut opened = vec![0u8; size];
        group.bench_function(BenchmarkId::new("aes-256-gcm-one-core-open", size), |b| {
            b.iter(|| {
                key.open_separate_gather(
                    Nonce::assume_unique_for_key([1; 12]),
                    Aad::empty(),
                    &sealed,
                    tag.as_ref(),
                    &mut opened,
                )
                .expect("open");
            });
        });
    }
    group.finish();
}

/// 0x0578 at 16 MiB: the engine by thread count, and SHA-384 on one core over the same bytes.
fn signed(c: &mut Criterion) {
    let suite = AlgorithmSuite::Aes256GcmHkdfSha512CommitEcdsaP384;
    let size = 16 * MIB;
    let mut group = c.benchmark_group("parallel-0x0578");
    group.sample_size(10);
    group.warm_up_time(Duration::from_secs(1));
    group.measurement_time(Duration::from_secs(4));
    group.throughput(Throughput::Bytes(size as u64));
    let plaintext = vec![0x5a; size];
    let message = by_threads(&mut group, suite, &plaintext);
    group.bench_function(BenchmarkId::new("sha-384-one-core", size), |b| {
        b.iter(|| black_box(digest(&SHA384, black_box(&message))));
    });
    group.finish();
}

fn keyring() -> RawAesKeyring {
    RawAesKeyring::new("bench", "key", WrappingKey::new(vec![9; 32])).expect("raw AES keyring")
}

/// A client of the default suite (0x0578).
fn client(max_threads: usize) -> Client {
    Client::builder(DefaultMaterialsManager::new(keyring()))
        .max_threads(threads(max_threads))
        .build()
}

/// A client of 0x0478.
fn unsigned_client(max_threads: usize) -> Client {
    Client::builder(DefaultMaterialsManager::new(keyring()))
        .suite(AlgorithmSuite::Aes256GcmHkdfSha512Commit)
        .max_threads(threads(max_threads))
        .build()
}

/// 1 KiB: with the machine's threads allowed and with one, for 0x0478 (nothing is spawned at
/// this size), and 0x0578 decrypt of messages that share one signing key (its parsed key is
/// reused) against messages that each have their own.
fn small(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("runtime");
    let context = EncryptionContext::from([("purpose", "bench")]);
    let plaintext = vec![0x5a; 1024];
    let mut group = c.benchmark_group("small-1KiB");
    group.throughput(Throughput::Bytes(1024));
    let available = std::thread::available_parallelism().map_or(1, NonZeroUsize::get);
    for (label, n) in [("machine-threads", available), ("one-thread", 1)] {
        let client = unsigned_client(n);
        let message = runtime
            .block_on(client.encrypt(&plaintext, &context))
            .expect("encrypt");
        group.bench_function(format!("0x0478-encrypt-{label}"), |b| {
            b.iter(|| runtime.block_on(client.encrypt(black_box(&plaintext), &context)));
        });
        group.bench_function(format!("0x0478-decrypt-{label}"), |b| {
            b.iter(|| runtime.block_on(client.decrypt(black_box(&message))));
        });
    }
    // Signed messages: one signing key for all (as a caching manager writes them), or a
    // new one each (more distinct keys than the reuse cache holds).
    let fresh = client(1);
    let writer = client(1);
    let messages_with_own_keys: Vec<Vec<u8>> = (0..64)
        .map(|_| {
            runtime
                .block_on(writer.encrypt(&plaintext, &context))
                .expect("encrypt")
        })
        .collect();
    let shared = shared_signing_key_messages(&runtime, &plaintext, &context);
    let mut next = 0;
    group.bench_function("0x0578-decrypt-own-signing-keys", |b| {
        b.iter(|| {
            next = (next + 1) % messages_with_own_keys.len();
            runtime
                .block_on(fresh.decrypt(black_box(&messages_with_own_keys[next])))
                .expect("decrypt")
        });
    });
    let reused = client(1);
    let mut next = 0;
    group.bench_function("0x0578-decrypt-one-signing-key", |b| {
        b.iter(|| {
            next = (next + 1) % shared.len();
            runtime
                .block_on(reused.decrypt(black_box(&shared[next])))
                .expect("decrypt")
        });
    });
    group.finish();
}

/// 64 messages under one cached data key and signing key, as a caching manager writes them.
fn shared_signing_key_messages(
    runtime: &tokio::runtime::Runtime,
    plaintext: &[u8],
    context: &EncryptionContext,
) -> Vec<Vec<u8>> {
    use keyward::cache::{CachingMaterialsManager, LocalCache};
    let manager = CachingMaterialsManager::builder(
        DefaultMaterialsManager::new(keyring()),
        LocalCache::new(4),
        Duration::from_secs(600),
    )
    .build()
    .expect("caching manager");
    let client = Client::builder(manager).build();
    (0..64)
        .map(|_| {
            runtime
                .block_on(client.encrypt(plaintext, context))
                .expect("encrypt")
        })
        .collect()
}

/// Plaintext made up as it is read.
struct Generated(u64);

impl AsyncRead for Generated {
    fn poll_read(
        mut self: Pin<&mut Self>,
        _: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        let take = usize::try_from(self.0)
            .unwrap_or(usize::MAX)
            .min(buf.remaining());
        buf.initialize_unfilled_to(take);
        buf.advance(take);
        self.0 -= take as u64;
        Poll::Ready(Ok(()))
    }
}

/// 1 GiB through `encrypt_stream` and `decrypt_stream`: the default 64 KiB window on one
/// thread, and 16 MiB windows by thread count.
fn streams(c: &mut Criterion) {
    const LEN: u64 = 1 << 30;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("runtime");
    let mut group = c.benchmark_group("stream-1GiB-0x0478");
    group.sample_size(10);
    group.warm_up_time(Duration::from_secs(1));
    group.measurement_time(Duration::from_secs(10));
    group.throughput(Throughput::Bytes(LEN));
    let context = EncryptionContext::new();
    let mut cases = vec![("64KiB-window-1-threads".to_owned(), unsigned_client(1))];
    for n in thread_counts() {
        let client = Client::builder(DefaultMaterialsManager::new(keyring()))
            .suite(AlgorithmSuite::Aes256GcmHkdfSha512Commit)
            .max_threads(threads(n))
            .stream_window(16 * MIB)
            .build();
        cases.push((format!("16MiB-window-{n}-threads"), client));
    }
    for (label, client) in &cases {
        group.bench_function(format!("encrypt-{label}"), |b| {
            b.iter(|| {
                runtime
                    .block_on(client.encrypt_stream(
                        Generated(LEN),
                        tokio::io::sink(),
                        &context,
                        Some(LEN),
                    ))
                    .expect("encrypt")
            });
        });
        let mut message = Vec::with_capacity((1 << 30) + (1 << 24) + 4096);
        runtime
            .block_on(client.encrypt_stream(Generated(LEN), &mut message, &context, Some(LEN)))
            .expect("encrypt");
        group.bench_function(format!("decrypt-{label}"), |b| {
            b.iter(|| {
                runtime
                    .block_on(client.decrypt_stream(
                        &message[..],
                        tokio::io::sink(),
                        StreamOptions::default(),
                    ))
                    .expect("decrypt")
            });
        });
    }
    group.finish();
}

criterion_group!(benches, unsigned, signed, small, streams);
criterion_main!(benches);
