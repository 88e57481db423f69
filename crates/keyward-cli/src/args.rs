//! The command line.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// Encrypt and decrypt AWS Encryption SDK messages, readable by every official SDK.
#[derive(Debug, Parser)]
#[command(name = "keyward", version, about)]
pub(crate) struct Cli {
    /// Log to standard error what keyward does: -v cache and key store activity (info), -vv
    /// every cache lookup and KMS or DynamoDB request (debug), -vvv everything keyward traces,
    /// -vvvv the AWS SDK's own too. Never keys, plaintext or encryption context values.
    #[arg(short, long, action = clap::ArgAction::Count, global = true)]
    pub(crate) verbose: u8,
    /// Print no warnings (such as an output being replaced); errors still show.
    #[arg(short, long, global = true)]
    pub(crate) quiet: bool,
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
    /// Manage a branch key store of the hierarchical keyring (DynamoDB + AWS KMS).
    #[command(subcommand)]
    Keystore(KeystoreCommand),
    /// Plan data-key caching: thresholds from traffic, rate limits, price and budget.
    #[command(subcommand)]
    Caching(CachingCommand),
    /// Print a shell completion script (e.g. `keyward completions bash > ~/.local/share/bash-completion/completions/keyward`).
    Completions {
        /// The shell.
        shell: clap_complete::Shell,
    },
    /// Write the man pages (keyward.1 and one per subcommand) into a directory.
    #[command(hide = true)]
    Man {
        /// The directory.
        dir: PathBuf,
    },
}

#[derive(Debug, Subcommand)]
pub(crate) enum CachingCommand {
    /// Choose the caching thresholds for an application's traffic, showing the arithmetic:
    /// max messages, max age, max bytes and capacity, the resulting key-service calls and
    /// cost, and the exposure per data key. With --from-run, what a run's limits did.
    Plan(crate::plan::PlanArgs),
}

#[derive(Debug, Subcommand)]
pub(crate) enum KeystoreCommand {
    /// Create the DynamoDB table (or check an existing one) and print its ARN.
    Create(KeystoreArgs),
    /// Create a branch key and print its id (with --json, its first version too).
    CreateKey(CreateKeyArgs),
    /// Rotate a branch key: a new version becomes active. Prints the old and new versions.
    VersionKey(BranchKeyArgs),
    /// List a branch key's versions, newest first, without decrypting them.
    Versions(BranchKeyArgs),
    /// Print the store's configuration; with --branch-key-id, every version of the key with
    /// its create time, KMS key and context, and whether it decrypts under the configured
    /// KMS key (an audit: one KMS Decrypt per version).
    Describe(DescribeArgs),
}

/// Where the branch key store is.
#[derive(Debug, Args)]
pub(crate) struct KeystoreArgs {
    /// The DynamoDB table.
    #[arg(long)]
    pub(crate) table: String,
    /// The logical key store name, bound into every branch key (default: the table name).
    /// Keep one per table.
    #[arg(long)]
    pub(crate) logical_name: Option<String>,
    /// The KMS key ARN protecting the branch keys (without it, or --mrk-kms-key, the store is
    /// read-only and decrypts with the key each item names).
    #[arg(long, value_name = "KEY_ARN", group = "store_kms")]
    pub(crate) kms_key: Option<String>,
    /// A multi-Region KMS key ARN protecting the branch keys: items written under any of its
    /// replicas are read through this one.
    #[arg(long, value_name = "KEY_ARN", group = "store_kms")]
    pub(crate) mrk_kms_key: Option<String>,
    /// Read-only multi-Region discovery: each item is decrypted with its key, multi-Region
    /// keys through their replica in this region.
    #[arg(long, value_name = "REGION", group = "store_kms")]
    pub(crate) mrk_discovery_region: Option<String>,
    /// The region of the store's KMS calls (default: --region, the DynamoDB table's).
    #[arg(long, value_name = "REGION")]
    pub(crate) kms_region: Option<String>,
    /// Strongly consistent DynamoDB reads: see a key or version right after it was written.
    #[arg(long)]
    pub(crate) consistent_reads: bool,
    /// Print JSON for scripts.
    #[arg(long)]
    pub(crate) json: bool,
    #[command(flatten)]
    pub(crate) aws: AwsArgs,
}

#[derive(Debug, Args)]
pub(crate) struct CreateKeyArgs {
    #[command(flatten)]
    pub(crate) store: KeystoreArgs,
    /// The branch key id (default: a new UUID); a custom id needs a --context.
    #[arg(long)]
    pub(crate) branch_key_id: Option<String>,
    /// A custom encryption-context pair stored with the branch key: `KEY=VALUE`. Repeatable.
    #[arg(short = 'c', long = "context", value_name = "KEY=VALUE")]
    pub(crate) context: Vec<String>,
}

#[derive(Debug, Args)]
pub(crate) struct BranchKeyArgs {
    #[command(flatten)]
    pub(crate) store: KeystoreArgs,
    /// The branch key id.
    #[arg(long)]
    pub(crate) branch_key_id: String,
}

#[derive(Debug, Args)]
pub(crate) struct DescribeArgs {
    #[command(flatten)]
    pub(crate) store: KeystoreArgs,
    /// Also show this branch key's active version and custom context.
    #[arg(long)]
    pub(crate) branch_key_id: Option<String>,
}

#[derive(Debug, Args)]
pub(crate) struct Io {
    /// The input: a file, `-` for standard input, or with --recursive a directory (every
    /// file under it).
    #[arg(short, long, default_value = "-")]
    pub(crate) input: PathBuf,
    /// The output: a file, `-` for standard output, or an existing directory (each output
    /// named after its input plus --suffix; with --recursive, the input's tree mirrored).
    /// A file is written whole or not at all.
    #[arg(short, long, default_value = "-")]
    pub(crate) output: PathBuf,
    /// Process every file under an input directory.
    #[arg(short = 'r', short_alias = 'R', long)]
    pub(crate) recursive: bool,
    /// The suffix of output names made from input names (default `.encrypted` on encrypt,
    /// `.decrypted` on decrypt); `--suffix` alone: none.
    #[arg(long, num_args = 0..=1, default_missing_value = "", value_name = "SUFFIX")]
    pub(crate) suffix: Option<String>,
    /// Write the output in base64.
    #[arg(long)]
    pub(crate) encode: bool,
    /// Read the input as base64 (whitespace ignored).
    #[arg(long)]
    pub(crate) decode: bool,
    /// Release the output only once the whole message is processed: all or nothing, also to
    /// standard output (held in memory).
    #[arg(short, long)]
    pub(crate) buffer: bool,
    /// Append a metadata record (JSON, one line per message: mode, input, output, header,
    /// as aws-encryption-cli writes them) to this file, or `-` for standard output.
    #[arg(long, value_name = "PATH", conflicts_with = "suppress_metadata")]
    pub(crate) metadata_output: Option<PathBuf>,
    /// Empty the metadata output file first instead of appending to it.
    #[arg(long, requires = "metadata_output")]
    pub(crate) overwrite_metadata: bool,
    /// Write no metadata (the default without --metadata-output).
    #[arg(short = 'S', long)]
    pub(crate) suppress_metadata: bool,
    /// Never replace an existing output file: skip its input with a warning (checked again,
    /// atomically, when the finished output is moved into place).
    #[arg(long, conflicts_with = "interactive")]
    pub(crate) no_overwrite: bool,
    /// Ask on the terminal before replacing an existing output file.
    #[arg(long)]
    pub(crate) interactive: bool,
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
    /// A raw ECDH private key (PKCS #8 or SEC 1, PEM or DER; P-256, P-384 or P-521): with
    /// --ecdh-recipient-key, the sender's static key (encrypts, and decrypts what either side
    /// sent); alone, the recipient's key (decrypts whatever was sent to it).
    #[arg(long, value_name = "PATH")]
    pub(crate) ecdh_private_key: Option<PathBuf>,
    /// A raw ECDH recipient's public key (SubjectPublicKeyInfo, PEM or DER): with
    /// --ecdh-private-key, the recipient of the static key; alone, encrypt-only with a fresh
    /// ephemeral key pair per data key.
    #[arg(long, value_name = "PATH")]
    pub(crate) ecdh_recipient_key: Option<PathBuf>,
    /// An AWS KMS RSA key (key usage ENCRYPT_DECRYPT), by key ARN: data keys are encrypted
    /// locally with its public key and decrypted by KMS. The signing suites are refused.
    #[arg(long, value_name = "KEY_ARN")]
    pub(crate) kms_rsa_key: Option<String>,
    /// The --kms-rsa-key's public key (SubjectPublicKeyInfo, PEM or DER): encrypt then makes no
    /// KMS call. Without it, encrypt fetches it with GetPublicKey.
    #[arg(long, value_name = "PATH", requires = "kms_rsa_key")]
    pub(crate) kms_rsa_public_key: Option<PathBuf>,
    /// The --kms-rsa-key's encryption algorithm.
    #[arg(long, value_enum, default_value_t = KmsRsaAlgorithmArg::RsaesOaepSha256)]
    pub(crate) kms_rsa_algorithm: KmsRsaAlgorithmArg,
    /// An AWS KMS ECC key of key usage KEY_AGREEMENT, by key ARN (with --kms-ecdh-curve): with
    /// --kms-ecdh-recipient-key, the sender's key (encrypts, and decrypts what either side
    /// sent); alone, the recipient's key (decrypts whatever was sent to its public key).
    #[arg(long, value_name = "KEY_ARN", requires = "kms_ecdh_curve")]
    pub(crate) kms_ecdh_key: Option<String>,
    /// The curve of --kms-ecdh-key.
    #[arg(long, value_enum, requires = "kms_ecdh_key")]
    pub(crate) kms_ecdh_curve: Option<Curve>,
    /// The recipient's public key for --kms-ecdh-key (SubjectPublicKeyInfo, PEM or DER; a
    /// raw ECDH key or another KMS key's public key).
    #[arg(long, value_name = "PATH", requires = "kms_ecdh_key")]
    pub(crate) kms_ecdh_recipient_key: Option<PathBuf>,
    /// The RSA padding. `pkcs1` is for old messages only: keyward decrypts it with implicit
    /// rejection, so a failure shows only at the message's key check.
    #[arg(long, value_enum, default_value_t = Padding::OaepSha256)]
    pub(crate) rsa_padding: Padding,
    /// An AWS KMS key: a key ARN (a key id or alias encrypts but cannot decrypt, since
    /// messages name keys by ARN). Repeatable: the first generates the data key and each one
    /// wraps it; each key is called in its ARN's region.
    #[arg(long = "kms-key", value_name = "KEY_ARN")]
    pub(crate) kms: Vec<String>,
    /// Decrypt with whichever AWS KMS key the message names (discovery), in the configured
    /// region. Limit it with --discovery-account.
    #[arg(long)]
    pub(crate) kms_discovery: bool,
    /// In discovery, only keys of this account. Repeatable.
    #[arg(long = "discovery-account", value_name = "ACCOUNT_ID")]
    pub(crate) discovery_accounts: Vec<String>,
    /// In discovery, only keys of this partition (with --discovery-account).
    #[arg(long, default_value = "aws")]
    pub(crate) discovery_partition: String,
    /// Multi-Region-key aware KMS keyrings: a key also decrypts what its replicas in other
    /// regions encrypted, and discovery decrypts through the replica in its region.
    #[arg(long)]
    pub(crate) mrk_aware: bool,
    /// Wrap data keys with the hierarchical keyring under this branch key (with
    /// --keystore-table).
    #[arg(long)]
    pub(crate) branch_key_id: Option<String>,
    /// The branch key store's DynamoDB table.
    #[arg(long)]
    pub(crate) keystore_table: Option<String>,
    /// The branch key store's logical name (default: the table name).
    #[arg(long)]
    pub(crate) keystore_logical_name: Option<String>,
    /// The KMS key ARN protecting the branch keys (default: the key each item names).
    #[arg(long, value_name = "KEY_ARN", group = "keystore_kms")]
    pub(crate) keystore_kms_key: Option<String>,
    /// A multi-Region KMS key ARN protecting the branch keys (any replica's items are read
    /// through this one).
    #[arg(long, value_name = "KEY_ARN", group = "keystore_kms")]
    pub(crate) keystore_mrk_kms_key: Option<String>,
    /// Multi-Region discovery for the branch keys: through each key's replica in this region.
    #[arg(long, value_name = "REGION", group = "keystore_kms")]
    pub(crate) keystore_mrk_discovery_region: Option<String>,
    /// The region of the branch key store's KMS calls (default: --region).
    #[arg(long, value_name = "REGION")]
    pub(crate) keystore_kms_region: Option<String>,
    /// Strongly consistent reads of the branch key store.
    #[arg(long)]
    pub(crate) keystore_consistent_reads: bool,
    /// How long a fetched branch key is used, in seconds.
    #[arg(long, default_value_t = 600)]
    pub(crate) branch_key_ttl: u64,
    /// AWS KMS keys in aws-encryption-cli's form: `key=ARN` (repeatable in one option),
    /// `provider=aws-kms`, `region=R` and `profile=P` (for all keys), `discovery=true`,
    /// `discovery-account=ID`, `discovery-partition=P`. The same as --kms-key,
    /// --kms-discovery, --discovery-account, --discovery-partition, --region, --profile.
    #[arg(short = 'w', long = "wrapping-keys", value_name = "ATTRIBUTE=VALUE", num_args = 1..)]
    pub(crate) wrapping_keys: Vec<String>,
    /// A grant token sent with every KMS call. Repeatable.
    #[arg(long = "grant-token", value_name = "TOKEN")]
    pub(crate) grant_tokens: Vec<String>,
    #[command(flatten)]
    pub(crate) aws: AwsArgs,
    /// The key namespace (provider id) of the raw keys.
    #[arg(long, default_value = "keyward")]
    pub(crate) namespace: String,
    /// The commitment policy.
    #[arg(long, value_enum, default_value_t = Policy::RequireEncryptRequireDecrypt)]
    pub(crate) commitment_policy: Policy,
    /// At most this many threads seal or open one large message's frames (default: every
    /// core; messages under 1 MiB use one).
    #[arg(long, value_name = "N")]
    pub(crate) threads: Option<usize>,
    /// The most encrypted data keys a message may carry. Each may cost a call to a key
    /// service on decrypt, so decrypt refuses more than 16 unless this says otherwise.
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
    /// Where batch outputs go, as `<name>` plus --suffix (`.encrypted` by default).
    #[arg(long)]
    pub(crate) output_dir: Option<PathBuf>,
    /// Write the run's data-key cache statistics (messages, bytes, data keys generated, the
    /// limits) as JSON to this file, for `keyward caching plan --from-run`.
    #[arg(long, value_name = "PATH", requires = "cache_capacity")]
    pub(crate) cache_stats: Option<PathBuf>,
    #[command(flatten)]
    pub(crate) cache: CacheArgs,
    #[command(flatten)]
    pub(crate) keys: Keys,
    /// Encryption context pairs `KEY=VALUE`, one or more per option. Repeatable.
    #[arg(short = 'c', long = "context", visible_alias = "encryption-context", value_name = "KEY=VALUE", num_args = 1..)]
    pub(crate) context: Vec<String>,
    /// The algorithm suite: its id, e.g. `0x0578`, or its name, e.g.
    /// `AES_256_GCM_HKDF_SHA512_COMMIT_KEY` (default: the commitment policy's default).
    #[arg(long, visible_alias = "algorithm")]
    pub(crate) suite: Option<String>,
    /// The frame length in bytes.
    #[arg(long, default_value_t = 4096)]
    pub(crate) frame_length: u64,
}

/// Where AWS KMS is: the standard AWS configuration chain (environment, profiles, SSO,
/// instance metadata) decides, unless these override it.
#[derive(Debug, Args)]
pub(crate) struct AwsArgs {
    /// The AWS region (default: from the AWS configuration).
    #[arg(long)]
    pub(crate) region: Option<String>,
    /// The AWS profile (default: from the AWS configuration).
    #[arg(long)]
    pub(crate) profile: Option<String>,
    /// Send AWS requests to this endpoint (a local KMS, a VPC endpoint).
    #[arg(long, value_name = "URL")]
    pub(crate) endpoint_url: Option<String>,
}

/// Data-key caching: reuse a data key for several messages within these limits.
#[derive(Debug, Args)]
pub(crate) struct CacheArgs {
    /// Turn on caching with a local LRU cache of this many entries.
    #[arg(long)]
    pub(crate) cache_capacity: Option<usize>,
    /// The longest a cached data key is used, in seconds (fractions allowed).
    #[arg(long, default_value = "300", value_parser = seconds)]
    pub(crate) cache_max_age: std::time::Duration,
    /// The most messages one cached data key encrypts.
    #[arg(long)]
    pub(crate) cache_max_messages: Option<u64>,
    /// The most bytes one cached data key encrypts.
    #[arg(long)]
    pub(crate) cache_max_bytes: Option<u64>,
    /// The cache partition name.
    #[arg(long)]
    pub(crate) cache_partition: Option<String>,
    /// Caching in aws-encryption-cli's form: `capacity=N max_age=SECONDS`
    /// `[max_messages_encrypted=N] [max_bytes_encrypted=N]`; the same as the --cache-* options.
    #[arg(long, value_name = "ATTRIBUTE=VALUE", num_args = 1..)]
    pub(crate) caching: Vec<String>,
}

/// A positive number of seconds.
fn seconds(text: &str) -> Result<std::time::Duration, String> {
    text.parse::<f64>()
        .ok()
        .filter(|s| s.is_finite() && *s > 0.0)
        .map(std::time::Duration::from_secs_f64)
        .ok_or_else(|| format!("{text:?} is not a number of seconds above 0"))
}

#[derive(Debug, Args)]
pub(crate) struct DecryptArgs {
    #[command(flatten)]
    pub(crate) io: Io,
    #[command(flatten)]
    pub(crate) keys: Keys,
    /// What the message's encryption context must hold, one or more per option: `KEY=VALUE`
    /// pairs (stored in the message, or authenticated by the writer without storing), and
    /// `KEY` alone, a key the message must carry with any value. Repeatable.
    #[arg(short = 'c', long = "context", visible_alias = "encryption-context", value_name = "KEY[=VALUE]", num_args = 1..)]
    pub(crate) context: Vec<String>,
    /// Refuse signed messages before any plaintext is written.
    #[arg(long, visible_alias = "decrypt-unsigned")]
    pub(crate) unsigned_only: bool,
    /// The largest frame (or non-framed body) to process, in bytes; a message with larger
    /// ones fails before any of its body is buffered (as aws-encryption-cli's --max-length).
    #[arg(long, value_name = "BYTES")]
    pub(crate) max_length: Option<u64>,
    /// The longest header to read, in bytes.
    #[arg(long, value_name = "BYTES", default_value_t = keyward::DEFAULT_STREAM_MAX_HEADER_LENGTH)]
    pub(crate) max_header_length: usize,
}

#[derive(Debug, Args)]
pub(crate) struct GenerateKeyArgs {
    /// Where to write the key.
    #[arg(short, long)]
    pub(crate) output: PathBuf,
    /// The key size.
    #[arg(long, value_enum, default_value_t = KeyBits::Aes256)]
    pub(crate) bits: KeyBits,
    /// Generate a raw ECDH private key on this curve instead (PKCS #8 PEM), for
    /// --ecdh-private-key.
    #[arg(long, value_enum, conflicts_with = "bits")]
    pub(crate) ecdh: Option<Curve>,
    /// With --ecdh, also write the public key (SubjectPublicKeyInfo PEM) here, for the other
    /// party's --ecdh-recipient-key.
    #[arg(long, requires = "ecdh")]
    pub(crate) public_output: Option<PathBuf>,
}

/// The encryption algorithm of an AWS KMS RSA key.
#[derive(Clone, Copy, Debug, ValueEnum)]
pub(crate) enum KmsRsaAlgorithmArg {
    /// RSAES_OAEP_SHA_1.
    RsaesOaepSha1,
    /// RSAES_OAEP_SHA_256.
    RsaesOaepSha256,
}

/// An ECDH curve.
#[derive(Clone, Copy, Debug, ValueEnum)]
pub(crate) enum Curve {
    /// NIST P-256.
    P256,
    /// NIST P-384.
    P384,
    /// NIST P-521.
    P521,
}

#[derive(Debug, Args)]
pub(crate) struct DemoArgs {
    /// How many megabytes the streaming part encrypts and decrypts.
    #[arg(long, default_value_t = 64)]
    pub(crate) megabytes: u64,
    /// Also show data-key caching over AWS KMS, against a local KMS at this loopback URL
    /// (`cargo xtask demo --kms` starts one): the demo creates a key there.
    #[arg(long, value_name = "URL")]
    pub(crate) endpoint_url: Option<String>,
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
