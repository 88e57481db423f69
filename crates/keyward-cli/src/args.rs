//! The command line.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// Encrypt and decrypt AWS Encryption SDK messages, readable by every official SDK.
#[derive(Debug, Parser)]
#[command(name = "keyward", version, about)]
pub(crate) struct Cli {
    #[command(subcommand)]
    pub(crate) command: Command,
}

#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Encrypt a file or standard input.
    Encrypt(EncryptArgs),
    /// Decrypt a file or standard input.
    Decrypt(DecryptArgs),
    /// Write a new random AES wrapping key (base64) to a file readable by its owner only.
    GenerateKey(GenerateKeyArgs),
    /// Run the offline demonstration: local keys, whole-buffer and streaming APIs.
    Demo(DemoArgs),
}

#[derive(Debug, Args)]
pub(crate) struct Io {
    /// The input file, or `-` for standard input.
    #[arg(short, long, default_value = "-")]
    pub(crate) input: PathBuf,
    /// The output file, or `-` for standard output. A file is written whole or not at all.
    #[arg(short, long, default_value = "-")]
    pub(crate) output: PathBuf,
    /// Write the message's metadata (suite, context, key providers, frame length) as JSON to
    /// this file, or `-` for standard error.
    #[arg(long)]
    pub(crate) metadata_output: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub(crate) struct Keys {
    /// A raw AES wrapping key: `NAME=PATH` of a key file written by `keyward generate-key`.
    /// Repeat for several keys (the first one generates the data key).
    #[arg(long = "aes-key", value_name = "NAME=PATH")]
    pub(crate) aes: Vec<String>,
    /// A raw RSA wrapping key: `NAME=PATH` of a PEM file (public key to encrypt, private key to
    /// decrypt). Repeatable.
    #[arg(long = "rsa-key", value_name = "NAME=PATH")]
    pub(crate) rsa: Vec<String>,
    /// The RSA padding.
    #[arg(long, value_enum, default_value_t = Padding::OaepSha256)]
    pub(crate) rsa_padding: Padding,
    /// The key namespace (provider id) of the raw keys.
    #[arg(long, default_value = "keyward")]
    pub(crate) namespace: String,
    /// The commitment policy.
    #[arg(long, value_enum, default_value_t = Policy::RequireEncryptRequireDecrypt)]
    pub(crate) commitment_policy: Policy,
    /// The most encrypted data keys a message may carry.
    #[arg(long)]
    pub(crate) max_encrypted_data_keys: Option<u16>,
}

#[derive(Debug, Args)]
pub(crate) struct EncryptArgs {
    #[command(flatten)]
    pub(crate) io: Io,
    /// More input files, encrypted in one run (with --output-dir): data keys can then be reused
    /// across files through the cache options.
    #[arg(long = "batch-input", value_name = "PATH")]
    pub(crate) batch_inputs: Vec<PathBuf>,
    /// Where batch outputs go, as `<name>.encrypted`.
    #[arg(long)]
    pub(crate) output_dir: Option<PathBuf>,
    #[command(flatten)]
    pub(crate) cache: CacheArgs,
    #[command(flatten)]
    pub(crate) keys: Keys,
    /// An encryption context pair `KEY=VALUE`. Repeatable.
    #[arg(short = 'c', long = "context", value_name = "KEY=VALUE")]
    pub(crate) context: Vec<String>,
    /// The algorithm suite id, e.g. `0x0578` (default: the commitment policy's default).
    #[arg(long)]
    pub(crate) suite: Option<String>,
    /// The frame length in bytes.
    #[arg(long, default_value_t = 4096)]
    pub(crate) frame_length: u64,
}

/// Data-key caching: reuse a data key for several messages within these limits.
#[derive(Debug, Args)]
pub(crate) struct CacheArgs {
    /// Turn on caching with a local LRU cache of this many entries.
    #[arg(long)]
    pub(crate) cache_capacity: Option<usize>,
    /// The longest a cached data key is used, in seconds.
    #[arg(long, default_value_t = 300)]
    pub(crate) cache_max_age: u64,
    /// The most messages one cached data key encrypts.
    #[arg(long)]
    pub(crate) cache_max_messages: Option<u64>,
    /// The most bytes one cached data key encrypts.
    #[arg(long)]
    pub(crate) cache_max_bytes: Option<u64>,
    /// The cache partition name.
    #[arg(long)]
    pub(crate) cache_partition: Option<String>,
}

#[derive(Debug, Args)]
pub(crate) struct DecryptArgs {
    #[command(flatten)]
    pub(crate) io: Io,
    #[command(flatten)]
    pub(crate) keys: Keys,
    /// A pair the message's encryption context must hold (or that the writer authenticated
    /// without storing): `KEY=VALUE`. Repeatable.
    #[arg(short = 'c', long = "context", value_name = "KEY=VALUE")]
    pub(crate) context: Vec<String>,
    /// Refuse signed messages before any plaintext is written.
    #[arg(long)]
    pub(crate) unsigned_only: bool,
}

#[derive(Debug, Args)]
pub(crate) struct GenerateKeyArgs {
    /// Where to write the key.
    #[arg(short, long)]
    pub(crate) output: PathBuf,
    /// The key size.
    #[arg(long, value_enum, default_value_t = KeyBits::Aes256)]
    pub(crate) bits: KeyBits,
}

#[derive(Debug, Args)]
pub(crate) struct DemoArgs {
    /// How many megabytes the streaming part encrypts and decrypts.
    #[arg(long, default_value_t = 64)]
    pub(crate) megabytes: u64,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
pub(crate) enum KeyBits {
    #[value(name = "128")]
    Aes128,
    #[value(name = "192")]
    Aes192,
    #[value(name = "256")]
    Aes256,
}

impl KeyBits {
    pub(crate) fn bytes(self) -> usize {
        match self {
            Self::Aes128 => 16,
            Self::Aes192 => 24,
            Self::Aes256 => 32,
        }
    }
}

#[derive(Clone, Copy, Debug, ValueEnum)]
pub(crate) enum Padding {
    Pkcs1,
    OaepSha1,
    OaepSha256,
    OaepSha384,
    OaepSha512,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
#[expect(
    clippy::enum_variant_names,
    reason = "the specification's policy names"
)]
pub(crate) enum Policy {
    ForbidEncryptAllowDecrypt,
    RequireEncryptAllowDecrypt,
    RequireEncryptRequireDecrypt,
}
