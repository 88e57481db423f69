//! Turning command-line key options into a keyring and a client.

use std::num::NonZeroU16;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context as _, Result, bail};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use keyward::hierarchy::{DynamoDbKeyStore, HierarchicalKeyring, KmsConfiguration};
use keyward::kms::{
    ClientSupplier as _, DiscoveryFilter, KmsDiscoveryMultiKeyringBuilder, KmsEcdhKeyring,
    KmsMultiKeyringBuilder, KmsRsaAlgorithm, KmsRsaKeyring, RegionalClients,
};
use keyward::materials::{
    EcdhCurve, Keyring, MultiKeyring, RawAesKeyring, RawEcdhKeyring, RawRsaKeyring, RsaPadding,
    WrappingKey,
};
use keyward::{ClientBuilder, CommitmentPolicy, EncryptionContext};
use zeroize::Zeroizing;

use crate::args::{AwsArgs, CacheArgs, Curve, Keys, KmsRsaAlgorithmArg, Padding, Policy};

/// What the keyring is built for: an RSA KMS keyring fetches its public key only to encrypt.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Purpose {
    Encrypt,
    Decrypt,
}

/// The keyring of the key options: one key, or a multi-keyring whose first key generates
/// (KMS keys first, then AES, then RSA).
pub(crate) async fn keyring(keys: &Keys, purpose: Purpose) -> Result<Arc<dyn Keyring>> {
    let mut keyrings: Vec<Arc<dyn Keyring>> = Vec::new();
    if !keys.kms.is_empty() || keys.kms_discovery {
        keyrings.extend(kms_keyrings(keys).await?);
    }
    if let Some(keyring) = kms_rsa_keyring(keys, purpose).await? {
        keyrings.push(keyring);
    }
    if let Some(keyring) = kms_ecdh_keyring(keys).await? {
        keyrings.push(keyring);
    }
    if let Some(keyring) = hierarchical_keyring(keys).await? {
        keyrings.push(keyring);
    }
    for spec in &keys.aes {
        let (name, path) = split_pair(spec, "--aes-key")?;
        let key = read_aes_key(Path::new(path))?;
        keyrings.push(Arc::new(RawAesKeyring::new(&keys.namespace, name, key)?));
    }
    for spec in &keys.rsa {
        let (name, path) = split_pair(spec, "--rsa-key")?;
        let pem = Zeroizing::new(
            std::fs::read_to_string(path).with_context(|| format!("reading {path}"))?,
        );
        if pem.contains("PRIVATE KEY") {
            warn_if_shared(Path::new(path));
        }
        let builder = RawRsaKeyring::builder(&keys.namespace, name, padding(keys.rsa_padding));
        // `--rsa-padding pkcs1` is the explicit legacy choice (decrypted with implicit
        // rejection).
        let builder = match keys.rsa_padding {
            Padding::Pkcs1 => builder.legacy_pkcs1_decryption(),
            _ => builder,
        };
        let builder = if pem.contains("PRIVATE KEY") {
            builder.private_key_pem(&pem)
        } else {
            builder.public_key_pem(&pem)
        };
        keyrings.push(Arc::new(
            builder.build().with_context(|| format!("loading {path}"))?,
        ));
    }
    if let Some(keyring) = ecdh_keyring(keys)? {
        keyrings.push(Arc::new(keyring));
    }
    match keyrings.len() {
        0 => bail!(
            "no wrapping key: give --kms-key ARN, --kms-discovery, --kms-rsa-key ARN, \
             --kms-ecdh-key ARN, --branch-key-id with --keystore-table, --aes-key NAME=PATH, \
             --rsa-key NAME=PATH, --ecdh-private-key PATH or --ecdh-recipient-key PATH"
        ),
        1 => Ok(keyrings.remove(0)),
        _ => {
            let generator = keyrings.remove(0);
            let multi = MultiKeyring::builder()
                .generator(generator)
                .children(keyrings)
                .build()?;
            Ok(Arc::new(multi))
        }
    }
}

/// The raw ECDH keyring of `--ecdh-private-key` and `--ecdh-recipient-key`, on the curve of
/// the keys.
fn ecdh_keyring(keys: &Keys) -> Result<Option<RawEcdhKeyring>> {
    let read = |path: &Path| -> Result<Zeroizing<Vec<u8>>> {
        Ok(Zeroizing::new(
            std::fs::read(path).with_context(|| format!("reading {}", path.display()))?,
        ))
    };
    let private = match &keys.ecdh_private_key {
        Some(path) => {
            warn_if_shared(path);
            Some(read(path)?)
        }
        None => None,
    };
    let recipient = keys.ecdh_recipient_key.as_deref().map(read).transpose()?;
    // The curve is that of the first key given.
    let Some(first) = private.as_ref().or(recipient.as_ref()) else {
        return Ok(None);
    };
    let curve = [EcdhCurve::P256, EcdhCurve::P384, EcdhCurve::P521]
        .into_iter()
        .find(|&curve| match &private {
            Some(_) => RawEcdhKeyring::discovery(curve, first).is_ok(),
            None => RawEcdhKeyring::ephemeral(curve, first).is_ok(),
        })
        .context("the ECDH key is not a P-256, P-384 or P-521 key in PEM or DER")?;
    let keyring = match (&private, &recipient) {
        (Some(private), Some(recipient)) => RawEcdhKeyring::static_keys(curve, private, recipient)
            .context("the ECDH recipient key is not a public key of the private key's curve")?,
        (None, Some(recipient)) => RawEcdhKeyring::ephemeral(curve, recipient)?,
        (Some(private), None) => RawEcdhKeyring::discovery(curve, private)?,
        (None, None) => return Ok(None),
    };
    Ok(Some(keyring))
}

/// The AWS KMS RSA keyring of `--kms-rsa-key`: the public key from `--kms-rsa-public-key`, or
/// fetched from KMS to encrypt.
async fn kms_rsa_keyring(keys: &Keys, purpose: Purpose) -> Result<Option<Arc<dyn Keyring>>> {
    let Some(arn) = &keys.kms_rsa_key else {
        return Ok(None);
    };
    let algorithm = match keys.kms_rsa_algorithm {
        KmsRsaAlgorithmArg::RsaesOaepSha1 => KmsRsaAlgorithm::RsaesOaepSha1,
        KmsRsaAlgorithmArg::RsaesOaepSha256 => KmsRsaAlgorithm::RsaesOaepSha256,
    };
    let client = aws_sdk_kms::Client::from_conf(kms_config(&keys.aws).await);
    let builder = KmsRsaKeyring::builder(arn, algorithm)
        .client(client)
        .grant_tokens(&keys.grant_tokens);
    let keyring = match (&keys.kms_rsa_public_key, purpose) {
        (Some(path), _) => {
            let key = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
            let builder = match std::str::from_utf8(&key) {
                Ok(pem) if pem.contains("-----BEGIN") => builder.public_key_pem(pem),
                _ => builder.public_key_der(&key),
            };
            builder
                .build()
                .with_context(|| format!("loading {}", path.display()))?
        }
        (None, Purpose::Encrypt) => builder
            .fetch_public_key()
            .await
            .context("fetching the --kms-rsa-key's public key")?,
        (None, Purpose::Decrypt) => builder.build()?,
    };
    Ok(Some(Arc::new(keyring)))
}

/// The AWS KMS ECDH keyring of `--kms-ecdh-key`: static with `--kms-ecdh-recipient-key`,
/// discovery without.
async fn kms_ecdh_keyring(keys: &Keys) -> Result<Option<Arc<dyn Keyring>>> {
    let (Some(arn), Some(curve)) = (&keys.kms_ecdh_key, keys.kms_ecdh_curve) else {
        return Ok(None);
    };
    let curve = match curve {
        Curve::P256 => EcdhCurve::P256,
        Curve::P384 => EcdhCurve::P384,
        Curve::P521 => EcdhCurve::P521,
    };
    let client = aws_sdk_kms::Client::from_conf(kms_config(&keys.aws).await);
    let builder = KmsEcdhKeyring::builder(client, curve).grant_tokens(&keys.grant_tokens);
    let keyring = match &keys.kms_ecdh_recipient_key {
        Some(path) => {
            let key = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
            builder
                .build_static(arn, &key)
                .await
                .context("building the --kms-ecdh-key keyring")?
        }
        None => builder
            .build_discovery(arn)
            .await
            .context("building the --kms-ecdh-key keyring")?,
    };
    Ok(Some(Arc::new(keyring)))
}

/// The KMS keyrings of `--kms-key` and `--kms-discovery`, with clients from the standard AWS
/// configuration chain.
async fn kms_keyrings(keys: &Keys) -> Result<Vec<Arc<dyn Keyring>>> {
    let supplier = RegionalClients::new(kms_config(&keys.aws).await);
    let tokens = &keys.grant_tokens;
    let mut keyrings: Vec<Arc<dyn Keyring>> = Vec::new();
    if let Some((generator, children)) = keys.kms.split_first() {
        let multi = KmsMultiKeyringBuilder::new(supplier.clone())
            .generator(generator)
            .keys(children)
            .mrk_aware(keys.mrk_aware)
            .grant_tokens(tokens)
            .build()?;
        keyrings.push(Arc::new(multi));
    }
    if keys.kms_discovery {
        let region = supplier
            .client(None)
            .ok()
            .and_then(|client| client.config().region().map(|r| r.as_ref().to_owned()))
            .context("--kms-discovery needs a region: give --region or configure one")?;
        let filter = if keys.discovery_accounts.is_empty() {
            None
        } else {
            Some(DiscoveryFilter::new(
                &keys.discovery_partition,
                &keys.discovery_accounts,
            )?)
        };
        let mut discovery = KmsDiscoveryMultiKeyringBuilder::new(supplier)
            .region(region)
            .mrk_aware(keys.mrk_aware)
            .grant_tokens(tokens);
        if let Some(filter) = filter {
            discovery = discovery.filter(filter);
        }
        let discovery = discovery.build()?;
        keyrings.push(Arc::new(discovery));
    }
    Ok(keyrings)
}

/// The hierarchical keyring of `--branch-key-id` and `--keystore-table`, if given.
async fn hierarchical_keyring(keys: &Keys) -> Result<Option<Arc<dyn Keyring>>> {
    let (Some(id), Some(table)) = (&keys.branch_key_id, &keys.keystore_table) else {
        if keys.branch_key_id.is_some() || keys.keystore_table.is_some() {
            bail!("the hierarchical keyring needs both --branch-key-id and --keystore-table");
        }
        return Ok(None);
    };
    let store = key_store(&StoreSpec {
        table,
        logical_name: keys.keystore_logical_name.as_deref(),
        kms_key: keys.keystore_kms_key.as_deref(),
        mrk_kms_key: keys.keystore_mrk_kms_key.as_deref(),
        mrk_discovery_region: keys.keystore_mrk_discovery_region.as_deref(),
        kms_region: keys.keystore_kms_region.as_deref(),
        consistent_reads: keys.keystore_consistent_reads,
        grant_tokens: &keys.grant_tokens,
        aws: &keys.aws,
    })
    .await?;
    let keyring = HierarchicalKeyring::builder(store, id, Duration::from_secs(keys.branch_key_ttl))
        .build()?;
    Ok(Some(Arc::new(keyring)))
}

/// Where a branch key store is and how it calls KMS, from the command line.
pub(crate) struct StoreSpec<'a> {
    pub(crate) table: &'a str,
    pub(crate) logical_name: Option<&'a str>,
    pub(crate) kms_key: Option<&'a str>,
    pub(crate) mrk_kms_key: Option<&'a str>,
    pub(crate) mrk_discovery_region: Option<&'a str>,
    pub(crate) kms_region: Option<&'a str>,
    pub(crate) consistent_reads: bool,
    pub(crate) grant_tokens: &'a [String],
    pub(crate) aws: &'a AwsArgs,
}

impl StoreSpec<'_> {
    /// The KMS configuration: one key, one multi-Region key, or (read-only) discovery.
    pub(crate) fn kms_configuration(&self) -> KmsConfiguration {
        match (self.kms_key, self.mrk_kms_key, self.mrk_discovery_region) {
            (Some(arn), _, _) => KmsConfiguration::KeyArn(arn.to_owned()),
            (None, Some(arn), _) => KmsConfiguration::MrkKeyArn(arn.to_owned()),
            (None, None, Some(region)) => KmsConfiguration::MrkDiscovery {
                region: region.to_owned(),
            },
            (None, None, None) => KmsConfiguration::Discovery,
        }
    }
}

/// A DynamoDB branch key store with clients from the standard AWS configuration chain; its
/// KMS client in `kms_region` when given.
pub(crate) async fn key_store(spec: &StoreSpec<'_>) -> Result<DynamoDbKeyStore> {
    let sdk = sdk_config(spec.aws).await;
    let mut kms = aws_sdk_kms::config::Builder::from(&sdk);
    if let Some(region) = spec.kms_region {
        kms = kms.region(aws_sdk_kms::config::Region::new(region.to_owned()));
    }
    Ok(DynamoDbKeyStore::builder(
        aws_sdk_dynamodb::Client::new(&sdk),
        aws_sdk_kms::Client::from_conf(kms.build()),
        spec.table,
        spec.logical_name.unwrap_or(spec.table),
        spec.kms_configuration(),
    )
    .grant_tokens(spec.grant_tokens.iter().cloned())
    .consistent_reads(spec.consistent_reads)
    .build()?)
}

/// The KMS configuration: the standard AWS chain, with the command line's overrides.
pub(crate) async fn kms_config(aws: &AwsArgs) -> aws_sdk_kms::Config {
    aws_sdk_kms::Config::from(&sdk_config(aws).await)
}

/// The standard AWS configuration chain, with the command line's overrides.
async fn sdk_config(aws: &AwsArgs) -> aws_config::SdkConfig {
    let mut loader = aws_config::defaults(aws_config::BehaviorVersion::latest());
    if let Some(region) = &aws.region {
        loader = loader.region(aws_config::Region::new(region.clone()));
    }
    if let Some(profile) = &aws.profile {
        loader = loader.profile_name(profile);
    }
    if let Some(url) = &aws.endpoint_url {
        loader = loader.endpoint_url(url);
    }
    loader.load().await
}

/// The client settings shared by encrypt and decrypt.
pub(crate) fn configure(builder: ClientBuilder, keys: &Keys) -> Result<ClientBuilder> {
    let mut builder = builder.commitment_policy(policy(keys.commitment_policy));
    if let Some(max) = keys.max_encrypted_data_keys {
        builder = builder.max_encrypted_data_keys(
            NonZeroU16::new(max).context("--max-encrypted-data-keys must be at least 1")?,
        );
    }
    if let Some(threads) = keys.threads {
        builder = builder.max_threads(
            std::num::NonZeroUsize::new(threads).context("--threads must be at least 1")?,
        );
    }
    Ok(builder)
}

/// Reads a key file: base64 of 16, 24 or 32 bytes.
pub(crate) fn read_aes_key(path: &Path) -> Result<WrappingKey> {
    warn_if_shared(path);
    let text = Zeroizing::new(
        std::fs::read_to_string(path)
            .with_context(|| format!("reading the key file {}", path.display()))?,
    );
    let bytes = Zeroizing::new(
        BASE64
            .decode(text.trim())
            .with_context(|| format!("{} is not a base64 key file", path.display()))?,
    );
    if !matches!(bytes.len(), 16 | 24 | 32) {
        bail!(
            "{} holds a {}-byte key; AES keys are 16, 24 or 32 bytes",
            path.display(),
            bytes.len()
        );
    }
    Ok(WrappingKey::new(bytes.to_vec()))
}

/// Warns when a key file can be read by users other than its owner.
pub(crate) fn warn_if_shared(path: &Path) {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        if let Ok(metadata) = std::fs::metadata(path)
            && metadata.permissions().mode() & 0o077 != 0
        {
            eprintln!(
                "keyward: warning: the key file {} can be read by others (mode {:o}); \
                 `chmod 600` it",
                path.display(),
                metadata.permissions().mode() & 0o777
            );
        }
    }
}

pub(crate) fn context(pairs: &[String]) -> Result<EncryptionContext> {
    let mut context = EncryptionContext::new();
    for pair in pairs {
        let (key, value) = split_pair(pair, "--context")?;
        if context.insert(key, value).is_some() {
            bail!("--context gives {key:?} twice");
        }
    }
    Ok(context)
}

/// aws-encryption-cli's `--wrapping-keys` attributes, moved onto keyward's own options.
pub(crate) fn apply_wrapping_keys(keys: &mut Keys) -> Result<()> {
    for attribute in std::mem::take(&mut keys.wrapping_keys) {
        let (name, value) = split_pair(&attribute, "--wrapping-keys")?;
        match name {
            "key" => keys.kms.push(value.to_owned()),
            "provider" if value == "aws-kms" => {}
            "provider" => bail!(
                "--wrapping-keys provider={value}: only aws-kms (raw keys: --aes-key, --rsa-key)"
            ),
            "region" => keys.aws.region = Some(value.to_owned()),
            "profile" => keys.aws.profile = Some(value.to_owned()),
            "discovery" => {
                keys.kms_discovery = match value.to_ascii_lowercase().as_str() {
                    "true" => true,
                    "false" => false,
                    _ => bail!("--wrapping-keys discovery={value}: true or false"),
                }
            }
            "discovery-account" => keys.discovery_accounts.push(value.to_owned()),
            "discovery-partition" => value.clone_into(&mut keys.discovery_partition),
            _ => bail!("--wrapping-keys: unknown attribute {name:?}"),
        }
    }
    Ok(())
}

/// aws-encryption-cli's `--caching` attributes, moved onto the `--cache-*` options.
pub(crate) fn apply_caching(cache: &mut CacheArgs) -> Result<()> {
    if cache.caching.is_empty() {
        return Ok(());
    }
    let mut age = None;
    for attribute in std::mem::take(&mut cache.caching) {
        let (name, value) = split_pair(&attribute, "--caching")?;
        let number = || {
            value
                .parse::<u64>()
                .with_context(|| format!("--caching {name}={value}: not a whole number"))
        };
        match name {
            "capacity" => cache.cache_capacity = Some(usize::try_from(number()?)?),
            "max_age" => {
                let seconds: f64 = value
                    .parse()
                    .ok()
                    .filter(|s: &f64| s.is_finite() && *s > 0.0)
                    .with_context(|| format!("--caching max_age={value}: seconds above 0"))?;
                age = Some(seconds);
            }
            "max_messages_encrypted" => cache.cache_max_messages = Some(number()?),
            "max_bytes_encrypted" => cache.cache_max_bytes = Some(number()?),
            _ => bail!("--caching: unknown attribute {name:?}"),
        }
    }
    if cache.cache_capacity.is_none() {
        bail!("--caching needs capacity=N");
    }
    let age = age.context("--caching needs max_age=SECONDS")?;
    cache.cache_max_age = Duration::from_secs_f64(age);
    Ok(())
}

fn split_pair<'a>(text: &'a str, option: &str) -> Result<(&'a str, &'a str)> {
    text.split_once('=')
        .with_context(|| format!("{option} takes NAME=VALUE, got {text:?}"))
}

fn padding(padding: Padding) -> RsaPadding {
    match padding {
        Padding::Pkcs1 => RsaPadding::Pkcs1,
        Padding::OaepSha1 => RsaPadding::OaepSha1,
        Padding::OaepSha256 => RsaPadding::OaepSha256,
        Padding::OaepSha384 => RsaPadding::OaepSha384,
        Padding::OaepSha512 => RsaPadding::OaepSha512,
    }
}

fn policy(policy: Policy) -> CommitmentPolicy {
    match policy {
        Policy::ForbidEncryptAllowDecrypt => CommitmentPolicy::ForbidEncryptAllowDecrypt,
        Policy::RequireEncryptAllowDecrypt => CommitmentPolicy::RequireEncryptAllowDecrypt,
        Policy::RequireEncryptRequireDecrypt => CommitmentPolicy::RequireEncryptRequireDecrypt,
    }
}
