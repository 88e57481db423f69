//! The offline demonstration: a local key, the whole-buffer API, and the streaming API.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context as _, Result, bail};
use aws_sdk_kms::config::{BehaviorVersion, Credentials, Region};
use keyward::cache::{CachingMaterialsManager, LocalCache};
use keyward::hierarchy::{
    ContextKeySupplier, HierarchicalKeyring, KeyStoreAdmin as _, MemoryKeyStore,
};
use keyward::kms::{KmsCallCounter, KmsKeyring};
use keyward::materials::{
    DataKey, DecryptionMaterials, EncryptedDataKey, EncryptionMaterials, Keyring, RawAesKeyring,
    WrappingKey,
};
use keyward::{AlgorithmSuite, Client, EncryptionContext, StreamOptions};
use tokio::io::{AsyncRead, ReadBuf};

pub(crate) async fn run(megabytes: u64, kms_endpoint: Option<&str>) -> Result<()> {
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
    let unsigned = Client::builder(keyward::materials::DefaultMaterialsManager::new(
        keyring.clone(),
    ))
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
        "   decrypted {} bytes in {seconds:.2} s ({:.0} MiB/s end to end)\n",
        streamed.plaintext_len(),
        megabytes as f64 / seconds
    );

    // 4. Data-key caching: the same workload without and with the caching manager.
    println!(
        "4. {CACHED_MESSAGES} messages of 1 KiB, default suite, without and with data-key caching"
    );
    let message = vec![0x42; 1024];
    for cached in [false, true] {
        let counting = Arc::new(Counting::new(keyring.clone()));
        let client = if cached {
            let manager = CachingMaterialsManager::with_keyring(
                counting.clone(),
                LocalCache::new(10),
                Duration::from_secs(60),
            )
            .max_messages(100)
            .build()?;
            Client::builder(manager).build()
        } else {
            Client::new(counting.clone())
        };
        let start = Instant::now();
        for _ in 0..CACHED_MESSAGES {
            client.encrypt(&message, &context).await?;
        }
        let rate = f64::from(CACHED_MESSAGES) / start.elapsed().as_secs_f64();
        let calls = counting.calls.load(Ordering::Relaxed);
        println!(
            "   {:<40} {CACHED_MESSAGES} messages, {calls:>4} keyring calls, {:>4} cache hits, {rate:>6.0} messages/s",
            if cached {
                "caching manager (100 messages per key):"
            } else {
                "no caching:"
            },
            if cached {
                u64::from(CACHED_MESSAGES) - calls
            } else {
                0
            },
        );
    }
    hierarchical(&context).await?;
    if let Some(endpoint) = kms_endpoint {
        kms_caching(endpoint, &context).await?;
    }
    Ok(())
}

/// Part 5: the hierarchical keyring over the in-memory key store: branch-key fetches against
/// messages, two tenants, and a rotation.
async fn hierarchical(context: &EncryptionContext) -> Result<()> {
    let store = MemoryKeyStore::new("keyward-demo");
    let acme = store
        .create_key(
            Some("acme-branch-key"),
            &EncryptionContext::from([("tenant", "acme")]),
        )
        .await?
        .branch_key_id;
    let globex = store
        .create_key(
            Some("globex-branch-key"),
            &EncryptionContext::from([("tenant", "globex")]),
        )
        .await?
        .branch_key_id;
    let supplier = ContextKeySupplier::new(
        "tenant",
        [("example", acme.as_str()), ("globex", globex.as_str())],
    );
    let keyring =
        HierarchicalKeyring::builder(store.clone(), supplier, Duration::from_secs(600)).build()?;
    let client = Client::builder(keyward::materials::DefaultMaterialsManager::new(keyring))
        .suite(AlgorithmSuite::Aes256GcmHkdfSha512Commit)
        .build();
    let globex_context = EncryptionContext::from([("tenant", "globex")]);
    let message = vec![0x42; 1024];
    let start = Instant::now();
    let mut last = Vec::new();
    for i in 0..HIERARCHY_MESSAGES {
        let tenant = if i % 2 == 0 { context } else { &globex_context };
        last = client.encrypt(&message, tenant).await?;
    }
    let rate = f64::from(HIERARCHY_MESSAGES) / start.elapsed().as_secs_f64();
    println!(
        "\n5. hierarchical keyring, in-memory branch key store (offline), two tenants chosen by a \
         `tenant` context entry"
    );
    println!(
        "   {HIERARCHY_MESSAGES} messages of 1 KiB: {} branch-key fetches, {rate:.0} messages/s",
        store.active_reads()
    );
    store.version_key(&globex).await?;
    let decrypted = client.decrypt_with_context(&last, &globex_context).await?;
    assert_eq!(decrypted.plaintext(), message);
    println!(
        "   after rotating globex's branch key, its last message still decrypts ({} version fetch)",
        store.version_reads()
    );
    Ok(())
}

const HIERARCHY_MESSAGES: u32 = 10_000;

/// Part 6: the same comparison over AWS KMS (a local server), counting `GenerateDataKey`
/// calls at the SDK client.
async fn kms_caching(endpoint: &str, context: &EncryptionContext) -> Result<()> {
    let host = endpoint
        .strip_prefix("http://")
        .and_then(|rest| rest.rsplit_once(':'))
        .map(|(host, _)| host);
    if !matches!(host, Some("127.0.0.1" | "localhost" | "[::1]")) {
        bail!(
            "the demo creates a KMS key, so it only talks to a local KMS (http://127.0.0.1:PORT)"
        );
    }
    let counter = KmsCallCounter::new();
    let config = aws_sdk_kms::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("us-west-2"))
        .endpoint_url(endpoint)
        .credentials_provider(Credentials::new("demo", "demo", None, None, "keyward-demo"))
        .interceptor(counter.clone())
        .build();
    let kms = aws_sdk_kms::Client::from_conf(config);
    let key = kms.create_key().description("keyward demo").send().await?;
    let arn = key
        .key_metadata()
        .and_then(|metadata| metadata.arn())
        .context("CreateKey returned no key ARN")?
        .to_owned();
    println!("\n6. AWS KMS at {endpoint}: {KMS_MESSAGES} messages of 1 KiB under {arn}");
    let keyring = KmsKeyring::new(kms, &arn)?;
    let message = vec![0x42; 1024];
    for cached in [false, true] {
        let client = if cached {
            let manager = CachingMaterialsManager::with_keyring(
                keyring.clone(),
                LocalCache::new(10),
                Duration::from_secs(60),
            )
            .max_messages(100)
            .build()?;
            Client::builder(manager).build()
        } else {
            Client::new(keyring.clone())
        };
        let before = counter.generate_data_key();
        let start = Instant::now();
        for _ in 0..KMS_MESSAGES {
            client.encrypt(&message, context).await?;
        }
        let rate = f64::from(KMS_MESSAGES) / start.elapsed().as_secs_f64();
        println!(
            "   {:<40} {KMS_MESSAGES} messages, {:>4} GenerateDataKey calls, {rate:>6.0} messages/s",
            if cached {
                "caching manager (100 messages per key):"
            } else {
                "no caching:"
            },
            counter.generate_data_key() - before,
        );
    }
    Ok(())
}

const KMS_MESSAGES: u32 = 1000;

const CACHED_MESSAGES: u32 = 2000;

/// Counts the keyring calls that reach the wrapped keyring.
#[derive(Debug)]
struct Counting {
    inner: Arc<RawAesKeyring>,
    calls: AtomicU64,
}

impl Counting {
    fn new(inner: Arc<RawAesKeyring>) -> Self {
        Self {
            inner,
            calls: AtomicU64::new(0),
        }
    }
}

#[keyward::async_trait]
impl Keyring for Counting {
    async fn on_encrypt(
        &self,
        materials: EncryptionMaterials,
    ) -> keyward::materials::Result<EncryptionMaterials> {
        self.calls.fetch_add(1, Ordering::Relaxed);
        self.inner.on_encrypt(materials).await
    }

    async fn on_decrypt(
        &self,
        materials: DecryptionMaterials,
        encrypted_data_keys: &[EncryptedDataKey],
    ) -> keyward::materials::Result<DecryptionMaterials> {
        self.calls.fetch_add(1, Ordering::Relaxed);
        self.inner.on_decrypt(materials, encrypted_data_keys).await
    }
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
