//! The subcommands.

use std::io::IsTerminal as _;
use std::num::NonZeroU16;
use std::path::Path;
use std::pin::Pin;
use std::task::{Context, Poll};

use anyhow::{Context as _, Result};
use base64::Engine as _;
use std::sync::Arc;
use std::time::Duration;

use keyward::MaterialsManager;
use keyward::cache::{CachingMaterialsManager, LocalCache};
use keyward::materials::DefaultMaterialsManager;
use keyward::{Client, FrameLength, MessageInfo, StreamOptions};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use zeroize::Zeroizing;

use crate::args::{Cli, Command, Curve, DecryptArgs, EncryptArgs, GenerateKeyArgs};
use crate::keys;
use crate::output::{self, Overwrite, TemporaryOutput};

pub(crate) async fn run(cli: Cli) -> Result<()> {
    output::remove_on_signals()?;
    match cli.command {
        Command::Encrypt(args) => encrypt(args).await,
        Command::Decrypt(args) => decrypt(args).await,
        Command::GenerateKey(args) => generate_key(&args),
        Command::Demo(args) => crate::demo::run(args.megabytes, args.endpoint_url.as_deref()).await,
        Command::Keystore(command) => crate::keystore::run(command).await,
    }
}

async fn encrypt(args: EncryptArgs) -> Result<()> {
    if args.keys.kms_discovery {
        anyhow::bail!("--kms-discovery only decrypts: encrypt with --kms-key ARN");
    }
    let keyring = keys::keyring(&args.keys, keys::Purpose::Encrypt).await?;
    let manager: Arc<dyn MaterialsManager> = match args.cache.cache_capacity {
        None => Arc::new(DefaultMaterialsManager::new(keyring)),
        Some(capacity) => {
            let mut builder = CachingMaterialsManager::builder(
                DefaultMaterialsManager::new(keyring),
                LocalCache::new(capacity),
                Duration::from_secs(args.cache.cache_max_age),
            );
            if let Some(max) = args.cache.cache_max_messages {
                builder = builder.max_messages(max);
            }
            if let Some(max) = args.cache.cache_max_bytes {
                builder = builder.max_bytes(max);
            }
            if let Some(partition) = &args.cache.cache_partition {
                builder = builder.partition(partition.clone());
            }
            Arc::new(builder.build()?)
        }
    };
    let mut builder = keys::configure(Client::builder(manager), &args.keys)?
        .frame_length(FrameLength::new(args.frame_length)?);
    if let Some(suite) = &args.suite {
        builder = builder.suite(keys::suite(suite)?);
    }
    let client = builder.build();
    let context = keys::context(&args.context)?;

    if args.output_dir.is_some() || !args.batch_inputs.is_empty() {
        let dir = args
            .output_dir
            .as_deref()
            .context("--batch-input needs --output-dir")?;
        let mut inputs = args.batch_inputs.clone();
        if args.io.input != Path::new("-") {
            inputs.insert(0, args.io.input.clone());
        }
        for input in inputs {
            let name = input
                .file_name()
                .context("a batch input without a file name")?
                .to_string_lossy()
                .into_owned();
            let output = dir.join(format!("{name}.encrypted"));
            let (reader, length) = open_input(&input).await?;
            let client = &client;
            let context = &context;
            with_output(&output, overwrite(&args.io), |writer| async move {
                Ok(client
                    .encrypt_stream(Progress::new(reader, length), writer, context, length)
                    .await?)
            })
            .await
            .with_context(|| format!("encrypting {}", input.display()))?;
        }
        return Ok(());
    }

    let (input, length) = open_input(&args.io.input).await?;
    let info = with_output(&args.io.output, overwrite(&args.io), |writer| async move {
        Ok(client
            .encrypt_stream(Progress::new(input, length), writer, &context, length)
            .await?)
    })
    .await?;
    match info {
        Some(info) => write_metadata(args.io.metadata_output.as_deref(), &info),
        None => Ok(()),
    }
}

fn overwrite(io: &crate::args::Io) -> Overwrite {
    if io.no_overwrite {
        Overwrite::No
    } else if io.interactive {
        Overwrite::Ask
    } else {
        Overwrite::Yes
    }
}

async fn decrypt(args: DecryptArgs) -> Result<()> {
    let keyring = keys::keyring(&args.keys, keys::Purpose::Decrypt).await?;
    let client = keys::configure(
        Client::builder(DefaultMaterialsManager::new(keyring)),
        &args.keys,
    )?
    .build();
    let context = keys::context(&args.context)?;
    let (input, length) = open_input(&args.io.input).await?;
    let max_keys = NonZeroU16::new(
        args.keys
            .max_encrypted_data_keys
            .unwrap_or(DEFAULT_MAX_ENCRYPTED_DATA_KEYS),
    )
    .context("--max-encrypted-data-keys must be at least 1")?;
    let info = with_output(&args.io.output, overwrite(&args.io), |writer| async move {
        let mut options = StreamOptions::default()
            .max_header_length(args.max_header_length)
            .max_encrypted_data_keys(max_keys);
        if let Some(max) = args.max_length {
            options = options.max_body_length(max);
        }
        if !context.is_empty() {
            options = options.reproduced_context(&context);
        }
        if args.unsigned_only {
            options = options.unsigned_only();
        }
        Ok(client
            .decrypt_stream(Progress::new(input, length), writer, options)
            .await?)
    })
    .await?;
    match info {
        Some(info) => write_metadata(args.io.metadata_output.as_deref(), &info),
        None => Ok(()),
    }
}

/// The most encrypted data keys `keyward decrypt` reads unless told otherwise: each can cost
/// a key-service call, and honest messages carry one per wrapping key.
const DEFAULT_MAX_ENCRYPTED_DATA_KEYS: u16 = 16;

fn generate_key(args: &GenerateKeyArgs) -> Result<()> {
    if let Some(curve) = args.ecdh {
        return generate_ecdh_key(curve, args);
    }
    let key = keyward::materials::DataKey::generate(args.bits.bytes())?;
    let text =
        Zeroizing::new(base64::engine::general_purpose::STANDARD.encode(key.expose_secret()));
    write_new(
        &args.output,
        0o600,
        format!("{}\n", text.as_str()).as_bytes(),
    )?;
    eprintln!(
        "keyward: wrote a {}-bit AES key to {}",
        args.bits.bytes() * 8,
        args.output.display()
    );
    Ok(())
}

/// A raw ECDH private key (PKCS #8 PEM, mode 0600) and, if asked, its public key.
fn generate_ecdh_key(curve: Curve, args: &GenerateKeyArgs) -> Result<()> {
    use keyward::materials::EcdhCurve;
    let curve = match curve {
        Curve::P256 => EcdhCurve::P256,
        Curve::P384 => EcdhCurve::P384,
        Curve::P521 => EcdhCurve::P521,
    };
    let private = curve.generate_private_key()?;
    let public = curve.public_key_of(&private)?;
    let pem = Zeroizing::new(pem("PRIVATE KEY", &private));
    write_new(&args.output, 0o600, pem.as_bytes())?;
    if let Some(path) = &args.public_output {
        write_new(path, 0o644, pem_public(public.der()).as_bytes())?;
    }
    eprintln!(
        "keyward: wrote a {curve:?} ECDH private key to {}",
        args.output.display()
    );
    Ok(())
}

fn pem_public(der: &[u8]) -> String {
    pem("PUBLIC KEY", der)
}

/// A PEM block of 64-character lines.
fn pem(label: &str, der: &[u8]) -> String {
    let body = Zeroizing::new(base64::engine::general_purpose::STANDARD.encode(der));
    let mut out = format!("-----BEGIN {label}-----\n");
    for line in body.as_bytes().chunks(64) {
        out.push_str(&String::from_utf8_lossy(line));
        out.push('\n');
    }
    out.push_str(&format!("-----END {label}-----\n"));
    out
}

/// Writes a new file (never replacing one) with these permissions.
fn write_new(path: &Path, mode: u32, bytes: &[u8]) -> Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        options.mode(mode);
    }
    #[cfg(not(unix))]
    let _ = mode;
    let mut file = options
        .open(path)
        .with_context(|| format!("creating {}", path.display()))?;
    std::io::Write::write_all(&mut file, bytes)?;
    Ok(())
}

type Input = Pin<Box<dyn AsyncRead + Send>>;

/// Standard input or a file, with the file's length when known.
async fn open_input(path: &Path) -> Result<(Input, Option<u64>)> {
    if path == Path::new("-") {
        return Ok((Box::pin(tokio::io::stdin()), None));
    }
    let file = tokio::fs::File::open(path)
        .await
        .with_context(|| format!("opening {}", path.display()))?;
    let length = file.metadata().await.ok().map(|m| m.len());
    Ok((Box::pin(file), length))
}

/// Runs `work` against standard output, or against a temporary file beside the output (see
/// [`output`]) that is moved into place only when `work` succeeds: a failure, a panic or a
/// signal leaves no partial file. `None` when the overwrite rule skipped the output.
async fn with_output<F, Fut>(
    path: &Path,
    overwrite: Overwrite,
    work: F,
) -> Result<Option<MessageInfo>>
where
    F: FnOnce(Pin<Box<dyn AsyncWrite + Send>>) -> Fut,
    Fut: Future<Output = Result<MessageInfo>>,
{
    if path == Path::new("-") {
        return work(Box::pin(tokio::io::stdout())).await.map(Some);
    }
    let Some((temporary, file)) = TemporaryOutput::create(path, overwrite)? else {
        return Ok(None);
    };
    let info = work(Box::pin(tokio::fs::File::from_std(file))).await?;
    temporary.commit()?;
    Ok(Some(info))
}

fn write_metadata(path: Option<&Path>, info: &MessageInfo) -> Result<()> {
    let Some(path) = path else { return Ok(()) };
    let edks: Vec<serde_json::Value> = info
        .encrypted_data_keys()
        .iter()
        .map(|edk| {
            serde_json::json!({
                "provider_id": edk.provider_id(),
                "provider_info": match std::str::from_utf8(edk.provider_info()) {
                    Ok(text) if !text.chars().any(char::is_control) => text.to_owned(),
                    _ => format!("base64:{}", base64::engine::general_purpose::STANDARD.encode(edk.provider_info())),
                },
            })
        })
        .collect();
    let context: serde_json::Map<String, serde_json::Value> = info
        .encryption_context()
        .iter()
        .map(|(k, v)| (k.to_owned(), v.into()))
        .collect();
    let metadata = serde_json::json!({
        "algorithm_suite": format!("0x{:04X}", info.suite().id()),
        "encryption_context": context,
        "encrypted_data_keys": edks,
        "frame_length": info.frame_length(),
        "plaintext_length": info.plaintext_len(),
    });
    let text = serde_json::to_string_pretty(&metadata)?;
    if path == Path::new("-") {
        eprintln!("{text}");
    } else {
        std::fs::write(path, format!("{text}\n"))
            .with_context(|| format!("writing {}", path.display()))?;
    }
    Ok(())
}

/// Counts bytes read and, when standard error is a terminal and the input is large, shows a
/// progress line.
struct Progress {
    inner: Input,
    read: u64,
    total: Option<u64>,
    shown: u64,
    visible: bool,
}

impl Progress {
    fn new(inner: Input, total: Option<u64>) -> Self {
        let visible =
            std::io::stderr().is_terminal() && total.is_none_or(|t| t >= PROGRESS_THRESHOLD);
        Self {
            inner,
            read: 0,
            total,
            shown: 0,
            visible,
        }
    }
}

impl AsyncRead for Progress {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        let before = buf.filled().len();
        let polled = self.inner.as_mut().poll_read(cx, buf);
        let added = (buf.filled().len() - before) as u64;
        self.read += added;
        if self.visible && (self.read - self.shown >= PROGRESS_STEP || added == 0) {
            self.shown = self.read;
            let mib = self.read as f64 / 1_048_576.0;
            match self.total {
                Some(total) if total > 0 => eprint!(
                    "\r{mib:.1} MiB ({:.0} %)",
                    self.read as f64 * 100.0 / total as f64
                ),
                _ => eprint!("\r{mib:.1} MiB"),
            }
            if added == 0 {
                eprintln!();
                self.visible = false;
            }
        }
        polled
    }
}

const PROGRESS_THRESHOLD: u64 = 32 << 20;
const PROGRESS_STEP: u64 = 8 << 20;
