//! The MPL keyring test vectors (`manifests/mpl/test.json` with its `keys.json`): materials
//! requests through keyrings and managers built from key descriptions, one report per kind of
//! encrypt key description.
//!
//! spec: aws-cryptographic-material-providers-library, TestVectorsAwsCryptographicMaterialProviders
//! (the keyring test types `positive-keyring`, `negative-encrypt-keyring` and
//! `negative-decrypt-keyring`):
//!
//! - the commitment policy follows the suite (require-require for committing suites, forbid
//!   otherwise);
//! - encrypt asks the encrypt description's manager for materials (suite, context, required
//!   keys, the maximum plaintext length); a negative-encrypt test passes when that fails;
//! - decrypt asks the decrypt description's manager with the suite, the encrypted data keys
//!   from encrypt, the context without the required pairs (the encrypt materials' context for
//!   positive tests, the test's own for negative ones) and the reproduced context; a positive
//!   test needs the same data key and the test's required keys back, a negative-decrypt test a
//!   failure;
//! - a `caching-cmm` description is a caching manager (partition `asdf`, the legacy SHA-512
//!   identifiers the MPL's caching manager computes) over a test cache that checks every
//!   identifier it is given against the manifest's `getEntryIdentifier`/`putEntryIdentifier`
//!   and, for a matching lookup, returns the static material as an entry 10 s old that has
//!   protected 10 messages and 10 bytes. keyward also checks that a lookup hits exactly when
//!   the limits admit that entry, which the reference runner does not.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use anyhow::{Context as _, Result, anyhow, bail, ensure};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use keyward::cache::{
    CacheId, CacheIdFormula, CacheStats, CachingMaterialsManager, Entry, FillPolicy, Lookup,
    MaterialsCache, Usage,
};
use keyward_materials::{
    AlgorithmSuite, CommitmentPolicy, DataKey, DecryptionMaterials, DecryptionRequest,
    DefaultMaterialsManager, EncryptedDataKey, EncryptionContext, EncryptionMaterials,
    EncryptionRequest, Keyring, Materials, MaterialsManager, async_trait,
};
use serde_json::Value;

use crate::keys::{Built, Keys};
use crate::skips::Skips;
use crate::vectors::SetReport;

/// The partition the MPL's test-vector runner gives its caching managers.
const PARTITION: &str = "asdf";
/// The static test cache's entries: this many seconds old, messages and bytes used.
const STATIC_ENTRY: u64 = 10;
/// The static test cache's clock reading.
const NOW: Duration = Duration::from_secs(1_000_000);

/// Runs every test of the manifest: one report per kind of encrypt key description.
pub fn run(root: &Path) -> Result<Vec<SetReport>> {
    let folder = root.join("manifests/mpl");
    let keys = Keys::load(&folder.join("keys.json"))?;
    let manifest: Value = serde_json::from_str(
        &std::fs::read_to_string(folder.join("test.json")).context("reading the MPL tests")?,
    )?;
    let tests = manifest["tests"].as_object().context("tests")?;
    let skips = Skips::load_default()?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let mut reports: BTreeMap<String, SetReport> = BTreeMap::new();
    for (id, test) in tests {
        let description = test
            .get("encryptKeyDescription")
            .or_else(|| test.get("keyDescription"))
            .context("test without a key description")?;
        let kind = description["type"].as_str().unwrap_or("unknown");
        let set = match kind {
            kind if kind.starts_with("aws-kms") && kind != "aws-kms-hierarchy" => "aws-kms",
            kind => kind,
        };
        let report = reports
            .entry(set.to_owned())
            .or_insert_with(|| SetReport::new(format!("mpl/{set}")));
        let mut tags = vec![format!("vector:mpl/{id}")];
        let suite_id = test["algorithmSuiteId"].as_str().unwrap_or_default();
        tags.push(format!("suite:{suite_id}"));
        for description in [
            &test["encryptKeyDescription"],
            &test["decryptKeyDescription"],
        ] {
            for needed in unavailable(&keys, description)? {
                tags.push(format!("keyring:{needed}"));
            }
        }
        let buildable = !tags.iter().any(|tag| tag.starts_with("keyring:"));
        let skip = skips.find(&tags);
        let label = format!("{id} ({})", test["description"].as_str().unwrap_or(""));
        match (skip, buildable) {
            (Some(skip), false) => report.skip(label, skip.reason.clone()),
            (None, false) => report.record(
                label,
                Err(anyhow!("no keyring for {tags:?} and no skip entry")),
            ),
            (skip, true) => {
                let outcome = runtime.block_on(run_test(&keys, test));
                match (outcome, skip) {
                    // Skipped tests run where they can, so the list cannot go stale.
                    (Ok(()), Some(skip)) => report.record(
                        label,
                        Err(anyhow!(
                            "passes but is skipped ({}): remove the skip entry",
                            skip.pattern
                        )),
                    ),
                    (Err(_), Some(skip)) => report.skip(label, skip.reason.clone()),
                    (outcome, None) => report.record(label, outcome),
                }
            }
        }
    }
    Ok(reports.into_values().collect())
}

/// The keyring kinds a description needs that cannot be built here.
fn unavailable(keys: &Keys, description: &Value) -> Result<BTreeSet<String>> {
    Ok(match description["type"].as_str() {
        None => BTreeSet::new(),
        Some("caching-cmm") => unavailable(keys, &description["underlying"])?,
        Some("static-material-keyring") => BTreeSet::new(),
        Some(_) => match keys.keyring(description)? {
            Built::Ready(_) => BTreeSet::new(),
            Built::Unavailable(kinds) => kinds,
        },
    })
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Positive,
    NegativeEncrypt,
    NegativeDecrypt,
}

async fn run_test(keys: &Keys, test: &Value) -> Result<()> {
    let kind = match test["type"].as_str() {
        Some("positive-keyring") => Kind::Positive,
        Some("negative-encrypt-keyring") => Kind::NegativeEncrypt,
        Some("negative-decrypt-keyring") => Kind::NegativeDecrypt,
        other => bail!("unknown test type {other:?}"),
    };
    let suite = AlgorithmSuite::from_id(u16::from_str_radix(
        test["algorithmSuiteId"].as_str().context("suite")?,
        16,
    )?)?;
    let policy = if suite.is_committing() {
        CommitmentPolicy::RequireEncryptRequireDecrypt
    } else {
        CommitmentPolicy::ForbidEncryptAllowDecrypt
    };
    let encryption_context = context(&test["encryptionContext"])?.unwrap_or_default();
    let required: BTreeSet<String> =
        serde_json::from_value(test["requiredEncryptionContextKeys"].clone()).unwrap_or_default();
    let max_plaintext_length = test["maxPlaintextLength"].as_u64();
    let reproduced = context(&test["reproducedEncryptionContext"])?;

    let encrypt_description = test
        .get("encryptKeyDescription")
        .or_else(|| test.get("keyDescription"))
        .context("no encrypt key description")?;
    let encrypt = Cmm::build(
        keys,
        encrypt_description,
        Operation::Encrypt,
        max_plaintext_length,
    )?;
    let mut request = EncryptionRequest::new(encryption_context.clone(), policy);
    request.suite = Some(suite);
    request.max_plaintext_length = max_plaintext_length;
    request.required_encryption_context_keys = required.clone();
    let encrypted = encrypt.manager.get_encryption_materials(request).await;
    encrypt.unexpected_mismatch()?;
    let encrypted = match (kind, encrypted, encrypt.mismatch()) {
        (Kind::NegativeEncrypt, Ok(_), None) => bail!("encrypt succeeded"),
        (Kind::NegativeEncrypt, _, _) => return Ok(()),
        (_, Err(error), _) => return Err(anyhow!(error).context("encrypt")),
        (_, Ok(_), Some(mismatch)) => bail!("encrypt: {mismatch}"),
        (_, Ok(materials), None) => materials,
    };
    encrypt.check_hits()?;

    let decrypt = Cmm::build(
        keys,
        &test["decryptKeyDescription"],
        Operation::Decrypt,
        max_plaintext_length,
    )?;
    let stored_from = match kind {
        Kind::Positive => encrypted.encryption_context().clone(),
        _ => encryption_context,
    };
    let stored: EncryptionContext = stored_from
        .iter()
        .filter(|(key, _)| !required.contains(*key))
        .collect();
    let mut request = DecryptionRequest::new(
        suite,
        policy,
        encrypted.encrypted_data_keys().to_vec(),
        stored,
    );
    request.reproduced_encryption_context = reproduced;
    let decrypted = decrypt.manager.decrypt_materials(request).await;
    decrypt.unexpected_mismatch()?;
    match (kind, decrypted, decrypt.mismatch()) {
        (Kind::NegativeDecrypt, Ok(_), None) => bail!("decrypt succeeded"),
        (Kind::NegativeDecrypt, _, _) => Ok(()),
        (_, Err(error), _) => Err(anyhow!(error).context("decrypt")),
        (_, Ok(_), Some(mismatch)) => bail!("decrypt: {mismatch}"),
        (_, Ok(materials), None) => {
            let key = |k: Option<&Arc<DataKey>>| k.map(|k| k.expose_secret().to_vec());
            ensure!(
                key(materials.data_key()) == key(encrypted.data_key()),
                "decrypt returned another data key"
            );
            ensure!(
                materials.required_encryption_context_keys() == &required,
                "required keys {:?}, the test's {required:?}",
                materials.required_encryption_context_keys()
            );
            decrypt.check_hits()
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Operation {
    Encrypt,
    Decrypt,
}

/// A manager for a key description, with its test cache when it is a caching manager.
struct Cmm {
    manager: Arc<dyn MaterialsManager>,
    cache: Option<Arc<StaticCache>>,
}

impl Cmm {
    fn build(
        keys: &Keys,
        description: &Value,
        operation: Operation,
        max_plaintext_length: Option<u64>,
    ) -> Result<Self> {
        Ok(match description["type"].as_str() {
            Some("caching-cmm") => {
                let underlying = Self::build(
                    keys,
                    &description["underlying"],
                    operation,
                    max_plaintext_length,
                )?;
                let material = StaticMaterial::load(keys, &description["underlying"])?;
                let ttl = description["cacheLimitTtlSeconds"]
                    .as_u64()
                    .context("cacheLimitTtlSeconds")?;
                let limit =
                    |field: &str, default: u64| description[field].as_u64().unwrap_or(default);
                let limits = (
                    ttl,
                    limit("limitMessages", u64::from(i32::MAX.unsigned_abs())),
                    limit("limitBytes", i64::MAX.unsigned_abs()),
                );
                let cache = Arc::new(StaticCache::new(
                    identifier(&description["getEntryIdentifier"])?,
                    identifier(&description["putEntryIdentifier"])?,
                    material.entry(operation)?,
                    max_plaintext_length.unwrap_or_default(),
                    operation,
                    limits,
                ));
                let manager = CachingMaterialsManager::builder(
                    underlying.manager,
                    cache.clone(),
                    Duration::from_secs(ttl),
                )
                .max_messages(limits.1)
                .max_bytes(limits.2)
                .partition(PARTITION)
                .formula(CacheIdFormula::Legacy)
                .build()?;
                Self {
                    manager: Arc::new(manager),
                    cache: Some(cache),
                }
            }
            Some("static-material-keyring") => Self {
                manager: Arc::new(DefaultMaterialsManager::new(StaticMaterialKeyring(
                    StaticMaterial::load(keys, description)?,
                ))),
                cache: None,
            },
            _ => match keys.manager(description)? {
                Built::Ready(manager) => Self {
                    manager,
                    cache: None,
                },
                Built::Unavailable(kinds) => bail!("no keyring for {kinds:?}"),
            },
        })
    }

    fn mismatch(&self) -> Option<String> {
        self.cache.as_ref().and_then(|cache| cache.mismatch())
    }

    fn unexpected_mismatch(&self) -> Result<()> {
        match self
            .cache
            .as_ref()
            .and_then(|cache| cache.unexpected_mismatch())
        {
            Some(mismatch) => bail!("{mismatch}"),
            None => Ok(()),
        }
    }

    /// A lookup with the manifest's identifier hits exactly when the limits admit the static
    /// entry; otherwise the manager asks its underlying manager and stores the result.
    fn check_hits(&self) -> Result<()> {
        let Some(cache) = &self.cache else {
            return Ok(());
        };
        if cache.get.is_none() {
            return Ok(());
        }
        let (ttl, messages, bytes) = cache.limits;
        let admits = ttl >= STATIC_ENTRY
            && (cache.operation == Operation::Decrypt
                || (messages >= STATIC_ENTRY && bytes >= STATIC_ENTRY));
        let puts = cache.puts.load(Ordering::SeqCst);
        ensure!(
            puts == u64::from(!admits),
            "{puts} puts where the static entry {} the limits (ttl {ttl}, messages {messages}, \
             bytes {bytes})",
            if admits { "is within" } else { "exceeds" }
        );
        Ok(())
    }
}

/// The MPL test cache: checks identifiers, serves the one static entry.
#[derive(Debug)]
struct StaticCache {
    get: Option<Vec<u8>>,
    put: Option<Vec<u8>>,
    entry: Arc<Entry>,
    operation: Operation,
    limits: (u64, u64, u64),
    /// A lookup or a store used another identifier than the manifest's.
    get_mismatch: AtomicBool,
    put_mismatch: AtomicBool,
    puts: AtomicU64,
}

impl StaticCache {
    fn new(
        get: Option<Vec<u8>>,
        put: Option<Vec<u8>>,
        materials: Materials,
        length: u64,
        operation: Operation,
        limits: (u64, u64, u64),
    ) -> Self {
        // The reference reports the usage with this message counted; keyward's manager counts
        // it on the hit, so the entry holds one message and this length less.
        let usage = Usage::new(STATIC_ENTRY - 1, STATIC_ENTRY.saturating_sub(length));
        let (now, age) = (NOW, Duration::from_secs(STATIC_ENTRY));
        Self {
            get,
            put,
            entry: Arc::new(Entry::new(materials, now - age, now + age, usage)),
            operation,
            limits,
            get_mismatch: AtomicBool::new(false),
            put_mismatch: AtomicBool::new(false),
            puts: AtomicU64::new(0),
        }
    }

    fn mismatch(&self) -> Option<String> {
        match (
            self.get_mismatch.load(Ordering::SeqCst),
            self.put_mismatch.load(Ordering::SeqCst),
        ) {
            (false, false) => None,
            (get, put) => Some(format!(
                "the caching manager used another cache identifier (lookup: {get}, store: {put})"
            )),
        }
    }

    /// A mismatch where the manifest's identifier is a real one (not the empty string a
    /// negative test uses to force a failure): a bug, whatever the test expects.
    fn unexpected_mismatch(&self) -> Option<String> {
        let real = |expected: &Option<Vec<u8>>| expected.as_ref().is_some_and(|e| !e.is_empty());
        let get = real(&self.get) && self.get_mismatch.load(Ordering::SeqCst);
        let put = real(&self.put) && self.put_mismatch.load(Ordering::SeqCst);
        (get || put).then(|| {
            format!("the manifest's identifier was not the one used (lookup: {get}, store: {put})")
        })
    }
}

impl MaterialsCache for StaticCache {
    fn get(&self, id: &CacheId) -> Lookup {
        let Some(expected) = &self.get else {
            return Lookup::Fill;
        };
        if id.as_bytes() != expected.as_slice() {
            self.get_mismatch.store(true, Ordering::SeqCst);
            return Lookup::Fill;
        }
        Lookup::Hit(self.entry.clone())
    }

    fn put(&self, id: CacheId, _: Entry) {
        self.puts.fetch_add(1, Ordering::SeqCst);
        if self
            .put
            .as_ref()
            .is_some_and(|expected| id.as_bytes() != expected.as_slice())
        {
            self.put_mismatch.store(true, Ordering::SeqCst);
        }
    }

    fn delete(&self, _: &CacheId) {}

    fn retire(&self, _: &CacheId, _: &Arc<Entry>) {}

    fn now(&self) -> Duration {
        NOW
    }

    fn fill_policy(&self) -> FillPolicy {
        FillPolicy::Independent
    }

    fn stats(&self) -> CacheStats {
        CacheStats::default()
    }
}

/// A `static-material` entry of the keys manifest.
#[derive(Clone, Debug)]
struct StaticMaterial {
    suite: AlgorithmSuite,
    context: EncryptionContext,
    encrypted_data_keys: Vec<EncryptedDataKey>,
    required: BTreeSet<String>,
    data_key: Option<Arc<DataKey>>,
}

impl StaticMaterial {
    fn load(keys: &Keys, description: &Value) -> Result<Self> {
        let name = description["key"].as_str().context("no key name")?;
        let key = keys.entry(name)?;
        ensure!(
            key["type"] == "static-material",
            "{name} is not static material"
        );
        let suite = AlgorithmSuite::from_id(u16::from_str_radix(
            key["algorithmSuiteId"].as_str().context("suite")?,
            16,
        )?)?;
        let mut encrypted_data_keys = Vec::new();
        for edk in key["encryptedDataKeys"].as_array().context("EDKs")? {
            encrypted_data_keys.push(EncryptedDataKey::new(
                edk["keyProviderId"].as_str().context("keyProviderId")?,
                BASE64.decode(edk["keyProviderInfo"].as_str().context("keyProviderInfo")?)?,
                BASE64.decode(edk["ciphertext"].as_str().context("ciphertext")?)?,
            )?);
        }
        let data_key = match key["plaintextDataKey"].as_str() {
            Some(text) => Some(Arc::new(DataKey::from_slice(&BASE64.decode(text)?))),
            None => None,
        };
        Ok(Self {
            suite,
            context: context(&key["encryptionContext"])?.unwrap_or_default(),
            encrypted_data_keys,
            required: serde_json::from_value(key["requiredEncryptionContextKeys"].clone())
                .unwrap_or_default(),
            data_key,
        })
    }

    fn encryption(&self) -> Result<EncryptionMaterials> {
        let mut materials = EncryptionMaterials::new(
            self.suite,
            self.context.clone(),
            self.required.clone(),
            None,
        );
        if let Some(key) = &self.data_key {
            materials = materials.with_data_key(key.clone())?;
        }
        Ok(self
            .encrypted_data_keys
            .iter()
            .cloned()
            .fold(materials, EncryptionMaterials::with_encrypted_data_key))
    }

    fn entry(&self, operation: Operation) -> Result<Materials> {
        Ok(match operation {
            Operation::Encrypt => Materials::Encryption(self.encryption()?),
            Operation::Decrypt => {
                let mut materials = DecryptionMaterials::new(
                    self.suite,
                    self.context.clone(),
                    self.required.clone(),
                    None,
                );
                if let Some(key) = &self.data_key {
                    materials = materials.with_data_key(key.clone())?;
                }
                Materials::Decryption(materials)
            }
        })
    }
}

/// The MPL's static-material keyring: whatever it is asked, it answers with its material.
#[derive(Debug)]
struct StaticMaterialKeyring(StaticMaterial);

#[async_trait]
impl Keyring for StaticMaterialKeyring {
    async fn on_encrypt(
        &self,
        _: EncryptionMaterials,
    ) -> keyward_materials::Result<EncryptionMaterials> {
        self.0.encryption().map_err(|error| {
            keyward_materials::Error::keyring(keyward_materials::ErrorKind::Other, error)
        })
    }

    async fn on_decrypt(
        &self,
        materials: DecryptionMaterials,
        _: &[EncryptedDataKey],
    ) -> keyward_materials::Result<DecryptionMaterials> {
        match &self.0.data_key {
            Some(key) => materials.with_data_key(key.clone()),
            None => Ok(materials),
        }
    }
}

fn context(value: &Value) -> Result<Option<EncryptionContext>> {
    if value.is_null() {
        return Ok(None);
    }
    let pairs: BTreeMap<String, String> = serde_json::from_value(value.clone())?;
    Ok(Some(pairs.into()))
}

/// A manifest identifier: absent (unchecked), or base64 (the empty string never matches).
fn identifier(value: &Value) -> Result<Option<Vec<u8>>> {
    match value.as_str() {
        None => Ok(None),
        Some(text) => Ok(Some(BASE64.decode(text)?)),
    }
}
