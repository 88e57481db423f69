//! The subcommands.

use std::io::IsTerminal as _;
use std::num::NonZeroU16;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::task::{Context, Poll};

use anyhow::{Context as _, Result, bail};
use base64::Engine as _;
use std::sync::Arc;
use std::time::Duration;

use keyward::MaterialsManager;
use keyward::cache::{CachingMaterialsManager, LocalCache};
use keyward::materials::DefaultMaterialsManager;
use keyward::{Client, FrameLength, MessageInfo, StreamOptions};
use tokio::io::{AsyncRead, AsyncReadExt as _, AsyncWrite, AsyncWriteExt as _, ReadBuf};
use zeroize::Zeroizing;

use crate::args::{CachingCommand, Cli, Command, Curve, DecryptArgs, EncryptArgs, GenerateKeyArgs};
use crate::metadata::{self, Mode};
use crate::output::{self, Overwrite, TemporaryOutput};
use crate::{io, keys};

pub(crate) async fn run(cli: Cli) -> Result<()> {
    output::remove_on_signals()?;
    match cli.command {
        Command::Encrypt(args) => encrypt(args).await,
        Command::Decrypt(args) => decrypt(args).await,
        Command::GenerateKey(args) => generate_key(&args),
        Command::Demo(args) => crate::demo::run(args.megabytes, args.endpoint_url.as_deref()).await,
        Command::Keystore(command) => crate::keystore::run(command).await,
        Command::Caching(CachingCommand::Plan(args)) => crate::plan::run(&args),
        Command::Completions { shell } => {
            let mut command = <Cli as clap::CommandFactory>::command();
            clap_complete::generate(shell, &mut command, "keyward", &mut std::io::stdout());
            Ok(())
        }
        Command::Man { dir } => man_pages(&dir),
    }
}

async fn encrypt(mut args: EncryptArgs) -> Result<()> {
    keys::apply_wrapping_keys(&mut args.keys)?;
    keys::apply_caching(&mut args.cache)?;
    if args.keys.kms_discovery {
        anyhow::bail!("--kms-discovery only decrypts: encrypt with --kms-key ARN");
    }
    if args.frame_length == 0 {
        bail!(
            "--frame-length 0 asks for a non-framed message: keyward reads them but writes \
             framed messages only (every SDK reads those)"
        );
    }
    let keyring = keys::keyring(&args.keys, keys::Purpose::Encrypt).await?;
    let caching = match args.cache.cache_capacity {
        None => None,
        Some(capacity) => {
            let mut builder = CachingMaterialsManager::builder(
                DefaultMaterialsManager::new(keyring.clone()),
                LocalCache::new(capacity),
                args.cache.cache_max_age,
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
            Some(Arc::new(builder.build()?))
        }
    };
    let manager: Arc<dyn MaterialsManager> = match &caching {
        None => Arc::new(DefaultMaterialsManager::new(keyring)),
        Some(caching) => caching.clone(),
    };
    let mut builder = keys::configure(Client::builder(manager), &args.keys)?
        .frame_length(FrameLength::new(args.frame_length)?);
    if let Some(suite) = &args.suite {
        builder = builder.suite(metadata::suite(suite)?);
    }
    let client = builder.build();
    let context = keys::context(&args.context)?;

    let jobs = jobs(
        &args.io,
        &args.batch_inputs,
        args.output_dir.as_deref(),
        Mode::Encrypt,
    )?;
    let mut sink = open_sink(&args.io, &jobs)?;
    let started = std::time::Instant::now();
    let (mut messages, mut bytes) = (0u64, 0u64);
    for job in &jobs {
        let (reader, length) = open_input(&job.input, args.io.decode).await?;
        let client = &client;
        let context = &context;
        let info = with_output(&job.output, &args.io, |mut writer| async move {
            let info = client
                .encrypt_stream(Progress::new(reader, length), &mut writer, context, length)
                .await?;
            writer.shutdown().await?;
            Ok(info)
        })
        .await
        .with_context(|| format!("encrypting {}", job.input.display()))?;
        if let Some(info) = info {
            messages += 1;
            bytes += info.plaintext_len();
            sink.write(&metadata::record(
                Mode::Encrypt,
                &job.input,
                &job.output,
                info.header(),
            ))?;
        }
    }
    if let (Some(path), Some(caching)) = (&args.cache_stats, &caching) {
        write_cache_stats(path, caching, messages, bytes, started.elapsed())?;
    }
    Ok(())
}

/// `--cache-stats`: what the run's cache did, for `keyward caching plan --from-run`.
fn write_cache_stats(
    path: &Path,
    caching: &CachingMaterialsManager,
    messages: u64,
    bytes: u64,
    elapsed: Duration,
) -> Result<()> {
    let stats = caching.stats();
    let limits = caching.limits();
    let report = serde_json::json!({
        "messages": messages,
        "bytes": bytes,
        "elapsed_seconds": elapsed.as_secs_f64(),
        "hits": stats.encrypt.hits,
        "misses": stats.encrypt.misses,
        "underlying_calls": stats.encrypt.underlying_calls,
        "limits": {
            "max_age_seconds": limits.max_age.as_secs_f64(),
            "max_messages": limits.max_messages,
            "max_bytes": limits.max_bytes,
        },
    });
    std::fs::write(
        path,
        format!("{}\n", serde_json::to_string_pretty(&report)?),
    )
    .with_context(|| format!("writing {}", path.display()))
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

async fn decrypt(mut args: DecryptArgs) -> Result<()> {
    keys::apply_wrapping_keys(&mut args.keys)?;
    let keyring = keys::keyring(&args.keys, keys::Purpose::Decrypt).await?;
    let client = keys::configure(
        Client::builder(DefaultMaterialsManager::new(keyring)),
        &args.keys,
    )?
    .build();
    // `-c KEY=VALUE` pairs are reproduced context; `-c KEY` a key the message must carry.
    let (pairs, required_keys): (Vec<String>, Vec<String>) =
        args.context.iter().cloned().partition(|c| c.contains('='));
    let context = keys::context(&pairs)?;
    let max_keys = NonZeroU16::new(
        args.keys
            .max_encrypted_data_keys
            .unwrap_or(DEFAULT_MAX_ENCRYPTED_DATA_KEYS),
    )
    .context("--max-encrypted-data-keys must be at least 1")?;
    let mode = if args.unsigned_only {
        Mode::DecryptUnsigned
    } else {
        Mode::Decrypt
    };
    let jobs = jobs(&args.io, &[], None, mode)?;
    let mut sink = open_sink(&args.io, &jobs)?;
    for job in &jobs {
        let (mut input, length) = open_input(&job.input, args.io.decode).await?;
        if !args.context.is_empty() {
            // The header first: a message without the required context is skipped before
            // any of it is decrypted, with a record saying what it lacks.
            let (header, prefix) =
                io::read_header_ahead(&mut input, args.max_header_length).await?;
            let stored = header.encryption_context();
            let missing_keys: Vec<String> = required_keys
                .iter()
                .filter(|key| stored.get(key).is_none())
                .cloned()
                .collect();
            let missing_pairs: Vec<(String, String)> = context
                .iter()
                .filter(|(key, value)| stored.get(key).is_some_and(|stored| stored != *value))
                .map(|(k, v)| (k.to_owned(), v.to_owned()))
                .collect();
            if !missing_keys.is_empty() || !missing_pairs.is_empty() {
                sink.write(&metadata::skipped_record(
                    mode,
                    &job.input,
                    &job.output,
                    &header,
                    &missing_keys,
                    &missing_pairs,
                ))?;
                let mut lacks: Vec<String> =
                    missing_keys.iter().map(|k| format!("key {k:?}")).collect();
                lacks.extend(missing_pairs.iter().map(|(k, v)| format!("{k:?}={v:?}")));
                bail!(
                    "{}: the message's encryption context lacks {}; nothing decrypted",
                    job.input.display(),
                    lacks.join(", ")
                );
            }
            input = Box::pin(std::io::Cursor::new(prefix).chain(input));
        }
        let client = &client;
        let context = &context;
        let args = &args;
        let info = with_output(&job.output, &args.io, |mut writer| async move {
            let mut options = StreamOptions::default()
                .max_header_length(args.max_header_length)
                .max_encrypted_data_keys(max_keys);
            if let Some(max) = args.max_length {
                options = options.max_body_length(max);
            }
            if !context.is_empty() {
                options = options.reproduced_context(context);
            }
            if args.unsigned_only {
                options = options.unsigned_only();
            }
            let info = client
                .decrypt_stream(Progress::new(input, length), &mut writer, options)
                .await?;
            writer.shutdown().await?;
            Ok(info)
        })
        .await
        .with_context(|| format!("decrypting {}", job.input.display()))?;
        if let Some(info) = info {
            sink.write(&metadata::record(
                mode,
                &job.input,
                &job.output,
                info.header(),
            ))?;
        }
    }
    Ok(())
}

/// One input and where its output goes.
#[derive(Debug)]
struct Job {
    input: PathBuf,
    output: PathBuf,
}

/// The operations a command line asks for, as aws-encryption-cli lays them out: a file to a
/// file; a file into a directory as its name plus the suffix; with --recursive, every file
/// under a directory into the same tree under the output directory. The batch options put
/// every input into one directory.
fn jobs(
    io: &crate::args::Io,
    batch: &[PathBuf],
    batch_dir: Option<&Path>,
    mode: Mode,
) -> Result<Vec<Job>> {
    let suffix = io.suffix.clone().unwrap_or_else(|| {
        match mode {
            Mode::Encrypt => ".encrypted",
            Mode::Decrypt | Mode::DecryptUnsigned => ".decrypted",
        }
        .to_owned()
    });
    let named = |dir: &Path, input: &Path| -> Result<PathBuf> {
        let name = input
            .file_name()
            .with_context(|| format!("{} has no file name", input.display()))?;
        let mut name = name.to_os_string();
        name.push(&suffix);
        Ok(dir.join(name))
    };
    let stdio = Path::new("-");
    if batch_dir.is_some() || !batch.is_empty() {
        let dir = batch_dir.context("--batch-input needs --output-dir")?;
        let mut inputs = batch.to_vec();
        if io.input != stdio {
            inputs.insert(0, io.input.clone());
        }
        return inputs
            .into_iter()
            .map(|input| {
                Ok(Job {
                    output: named(dir, &input)?,
                    input,
                })
            })
            .collect();
    }
    if io.input == stdio {
        if io.output.is_dir() {
            bail!(
                "standard input goes to a file or to -, not to the directory {}",
                io.output.display()
            );
        }
        return Ok(vec![Job {
            input: io.input.clone(),
            output: io.output.clone(),
        }]);
    }
    let sources = expand_pattern(&io.input)?;
    if sources.len() > 1 && !io.output.is_dir() {
        bail!(
            "{} names several inputs: the output must be an existing directory, not {}",
            io.input.display(),
            io.output.display()
        );
    }
    let mut jobs = Vec::new();
    for source in sources {
        if source.is_dir() {
            if !io.recursive {
                bail!("{} is a directory: add --recursive", source.display());
            }
            if !io.output.is_dir() {
                bail!(
                    "with a directory as input, the output must be an existing directory, not {}",
                    io.output.display()
                );
            }
            let skip = std::fs::canonicalize(&io.output)?;
            let mut files = Vec::new();
            walk(&source, &skip, &mut files)?;
            for input in files {
                let relative = input.strip_prefix(&source).unwrap_or(&input);
                let dir = io.output.join(relative.parent().unwrap_or(Path::new("")));
                let output = named(&dir, &input)?;
                if !same_file(&input, &output) {
                    jobs.push(Job { input, output });
                }
            }
            continue;
        }
        let output = if io.output.is_dir() {
            named(&io.output, &source)?
        } else {
            io.output.clone()
        };
        if same_file(&source, &output) {
            bail!("{} is both input and output", source.display());
        }
        jobs.push(Job {
            input: source,
            output,
        });
    }
    Ok(jobs)
}

/// An input as given, or, when no such file exists and its last component holds `*` or `?`,
/// the files and directories of its directory whose names match (in name order). No match is
/// an error naming the pattern.
fn expand_pattern(input: &Path) -> Result<Vec<PathBuf>> {
    let pattern = input
        .file_name()
        .and_then(|name| name.to_str())
        .filter(|name| name.contains(['*', '?']));
    let Some(pattern) = pattern.filter(|_| !input.exists()) else {
        return Ok(vec![input.to_owned()]);
    };
    let parent = match input.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    };
    let mut matches: Vec<PathBuf> = std::fs::read_dir(parent)
        .with_context(|| format!("reading {}", parent.display()))?
        .filter_map(|entry| entry.ok())
        .filter(|entry| {
            entry
                .file_name()
                .to_str()
                .is_some_and(|name| wildcard_match(pattern.as_bytes(), name.as_bytes()))
        })
        .map(|entry| input.with_file_name(entry.file_name()))
        .collect();
    matches.sort();
    if matches.is_empty() {
        bail!("no file matches {}", input.display());
    }
    Ok(matches)
}

/// Whether `name` matches `pattern`, where `*` is any run of characters and `?` any one;
/// names starting with `.` match only a pattern that does. At most the product of the two
/// lengths (one star backtracked at a time).
fn wildcard_match(pattern: &[u8], name: &[u8]) -> bool {
    if name.first() == Some(&b'.') && pattern.first() != Some(&b'.') {
        return false;
    }
    let (mut p, mut n) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while n < name.len() {
        match pattern.get(p) {
            Some(b'*') => {
                star = Some((p, n));
                p += 1;
            }
            Some(&c) if c == b'?' || Some(&c) == name.get(n) => {
                p += 1;
                n += 1;
            }
            _ => match star {
                Some((star_p, star_n)) => {
                    p = star_p + 1;
                    n = star_n + 1;
                    star = Some((star_p, star_n + 1));
                }
                None => return false,
            },
        }
    }
    pattern
        .get(p..)
        .unwrap_or_default()
        .iter()
        .all(|&c| c == b'*')
}

/// Every file under `dir`, in name order, without following directory links, and never
/// entering `skip` (an output directory inside the input).
fn walk(dir: &Path, skip: &Path, files: &mut Vec<PathBuf>) -> Result<()> {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .with_context(|| format!("reading {}", dir.display()))?
        .collect::<std::io::Result<_>>()?;
    entries.sort_by_key(std::fs::DirEntry::file_name);
    for entry in entries {
        let path = entry.path();
        let kind = entry.file_type()?;
        if kind.is_dir() {
            if std::fs::canonicalize(&path).is_ok_and(|c| c == skip) {
                continue;
            }
            walk(&path, skip, files)?;
        } else if path.is_file() {
            files.push(path);
        }
    }
    Ok(())
}

fn same_file(a: &Path, b: &Path) -> bool {
    match (std::fs::canonicalize(a), std::fs::canonicalize(b)) {
        (Ok(a), Ok(b)) => a == b,
        _ => false,
    }
}

/// The metadata destination, refused where it would mix with output on standard output.
fn open_sink(io: &crate::args::Io, jobs: &[Job]) -> Result<metadata::Sink> {
    let sink = metadata::Sink::open(io.metadata_output.as_deref(), io.overwrite_metadata)?;
    if sink.is_stdout() && jobs.iter().any(|job| job.output == Path::new("-")) {
        bail!("--metadata-output - and --output - would both write to standard output");
    }
    Ok(sink)
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
type Output = Pin<Box<dyn AsyncWrite + Send>>;

/// Standard input or a file, with the file's length when known (and the input's length is
/// the plaintext's: not when decoding base64); base64 decoded with `decode`.
async fn open_input(path: &Path, decode: bool) -> Result<(Input, Option<u64>)> {
    let (input, length): (Input, Option<u64>) = if path == Path::new("-") {
        (Box::pin(tokio::io::stdin()), None)
    } else {
        let file = tokio::fs::File::open(path)
            .await
            .with_context(|| format!("opening {}", path.display()))?;
        let length = file.metadata().await.ok().map(|m| m.len());
        (Box::pin(file), length)
    };
    if decode {
        return Ok((Box::pin(io::Base64Reader::new(input)), None));
    }
    Ok((input, length))
}

/// Runs `work` against the output: standard output (held in memory until `work` succeeds
/// with --buffer), or a temporary file beside the output (see [`output`]) moved into place
/// only when `work` succeeds, so a failure, a panic or a signal leaves no partial file;
/// through base64 with --encode. `None` when the overwrite rule skipped the output.
async fn with_output<F, Fut>(
    path: &Path,
    io_args: &crate::args::Io,
    work: F,
) -> Result<Option<MessageInfo>>
where
    F: FnOnce(Output) -> Fut,
    Fut: Future<Output = Result<MessageInfo>>,
{
    let encode = |writer: Output| -> Output {
        if io_args.encode {
            Box::pin(io::Base64Writer::new(writer))
        } else {
            writer
        }
    };
    if path == Path::new("-") {
        if !io_args.buffer {
            return work(encode(Box::pin(tokio::io::stdout()))).await.map(Some);
        }
        let held = Held::default();
        let info = work(encode(Box::pin(held.clone()))).await?;
        let bytes = held.take();
        let mut stdout = tokio::io::stdout();
        stdout.write_all(&bytes).await?;
        stdout.flush().await?;
        return Ok(Some(info));
    }
    if let Some(parent) = path.parent()
        && !parent.as_os_str().is_empty()
        && !parent.exists()
    {
        std::fs::create_dir_all(parent)
            .with_context(|| format!("creating {}", parent.display()))?;
    }
    let Some((temporary, file)) = TemporaryOutput::create(path, overwrite(io_args))? else {
        return Ok(None);
    };
    let info = work(encode(Box::pin(tokio::fs::File::from_std(file)))).await?;
    temporary.commit()?;
    Ok(Some(info))
}

/// Output held in memory (--buffer to standard output).
#[derive(Clone, Default)]
struct Held(Arc<std::sync::Mutex<Vec<u8>>>);

impl Held {
    fn take(&self) -> Vec<u8> {
        std::mem::take(
            &mut *self
                .0
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner),
        )
    }
}

impl AsyncWrite for Held {
    fn poll_write(
        self: Pin<&mut Self>,
        _: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        self.0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .extend_from_slice(buf);
        Poll::Ready(Ok(buf.len()))
    }

    fn poll_flush(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn poll_shutdown(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Poll::Ready(Ok(()))
    }
}

/// Writes the man pages: `keyward.1` and `keyward-<subcommand>.1` for each subcommand.
fn man_pages(dir: &Path) -> Result<()> {
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let command = <Cli as clap::CommandFactory>::command()
        .version(crate::version())
        .name("keyward");
    clap_mangen::generate_to(command, dir)
        .with_context(|| format!("writing the man pages into {}", dir.display()))?;
    Ok(())
}

/// Counts bytes read and, when standard error is a terminal and the input is large (or of
/// unknown length), draws a progress bar there: bytes done, rate, time left.
struct Progress {
    inner: Input,
    bar: Option<indicatif::ProgressBar>,
}

impl Progress {
    fn new(inner: Input, total: Option<u64>) -> Self {
        let visible =
            std::io::stderr().is_terminal() && total.is_none_or(|t| t >= PROGRESS_THRESHOLD);
        let bar = visible.then(|| {
            let bar = match total {
                Some(total) => indicatif::ProgressBar::new(total).with_style(
                    indicatif::ProgressStyle::with_template(
                        "{bar:40} {bytes}/{total_bytes} {bytes_per_sec} {eta} left",
                    )
                    .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
                ),
                None => indicatif::ProgressBar::new_spinner().with_style(
                    indicatif::ProgressStyle::with_template("{spinner} {bytes} {bytes_per_sec}")
                        .unwrap_or_else(|_| indicatif::ProgressStyle::default_spinner()),
                ),
            };
            bar.set_draw_target(indicatif::ProgressDrawTarget::stderr());
            bar
        });
        Self { inner, bar }
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
        if let Some(bar) = &self.bar {
            if matches!(polled, Poll::Ready(Ok(()))) && added == 0 {
                bar.finish();
            } else {
                bar.inc(added);
            }
        }
        polled
    }
}

/// Inputs smaller than this show no progress.
const PROGRESS_THRESHOLD: u64 = 32 << 20;

#[cfg(test)]
mod tests {
    use super::wildcard_match;

    #[test]
    fn wildcards_match_as_a_shell_matches_names() {
        let cases = [
            ("*.txt", "a.txt", true),
            ("*.txt", "a.txt.enc", false),
            ("a?c", "abc", true),
            ("a?c", "ac", false),
            ("*", "anything", true),
            ("*", ".hidden", false),
            (".*", ".hidden", true),
            ("a*b*c", "aXXbYYc", true),
            ("a*b*c", "aXXbYY", false),
            ("**x", "x", true),
            ("data-*-2026", "data-01-2026", true),
        ];
        for (pattern, name, expected) in cases {
            assert_eq!(
                wildcard_match(pattern.as_bytes(), name.as_bytes()),
                expected,
                "{pattern} ~ {name}"
            );
        }
        // A pattern of many stars against a long name: quadratic at worst, not exponential.
        let name = "a".repeat(10_000);
        assert!(!wildcard_match("*a*a*a*a*a*b".as_bytes(), name.as_bytes()));
    }
}
