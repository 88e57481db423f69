//! Running an `awses-encrypt` manifest (versions 1, 2, 4 and 5) and writing the result as a
//! complete `awses-decrypt` version 5 set that any implementation's runner can decrypt.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

use anyhow::{Context as _, Result, bail, ensure};
use keyward::{
    AlgorithmSuite, Client, CommitmentPolicy, EncryptionContext, FrameLength, MaterialsManager,
};
use serde_json::{Value, json};

use crate::decrypt::resolve;
use crate::keys::{Built, Keys};
use crate::skips::Skips;
use crate::vectors::SetReport;

/// Encrypts every offline scenario of the manifest at `path` into `out` (manifest.json,
/// keys.json, ciphertexts/, plaintexts/).
pub fn run_manifest(name: &str, path: &Path, out: &Path, skips: &Skips) -> Result<SetReport> {
    let base = path.parent().context("manifest path without a folder")?;
    let manifest: Value = serde_json::from_str(
        &std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?,
    )?;
    ensure!(
        manifest["manifest"]["type"] == "awses-encrypt",
        "{} is not an awses-encrypt manifest",
        path.display()
    );
    let version = manifest["manifest"]["version"]
        .as_u64()
        .context("manifest version")?;
    ensure!(
        matches!(version, 1 | 2 | 4 | 5),
        "unsupported awses-encrypt version {version}"
    );
    let keys_path = resolve(base, manifest["keys"].as_str().context("keys URI")?)?;
    let keys = Keys::load(&keys_path)?;

    std::fs::create_dir_all(out.join("ciphertexts"))?;
    std::fs::create_dir_all(out.join("plaintexts"))?;
    std::fs::copy(&keys_path, out.join("keys.json"))?;
    let mut plaintexts = BTreeMap::new();
    for (plaintext, size) in manifest["plaintexts"].as_object().context("plaintexts")? {
        let size = usize::try_from(size.as_u64().context("plaintext size")?)?;
        let bytes: Vec<u8> = (0..size)
            .map(|i| u8::try_from(i.wrapping_mul(131).wrapping_add(7) % 251).unwrap_or(0))
            .collect();
        std::fs::write(out.join("plaintexts").join(plaintext), &bytes)?;
        plaintexts.insert(plaintext.clone(), bytes);
    }

    let runtime = tokio::runtime::Builder::new_current_thread().build()?;
    let mut report = SetReport::new(name);
    let mut written = serde_json::Map::new();
    for (id, value) in manifest["tests"].as_object().context("tests")? {
        let scenario = match Scenario::parse(value, version) {
            Ok(scenario) => scenario,
            Err(error) => {
                report.record(id.clone(), Err(error));
                continue;
            }
        };
        if scenario.frame_length == 0 {
            report.skip(
                id.clone(),
                "non-framed body: writers must not produce one (keyward writes framed bodies only)",
            );
            continue;
        }
        let manager = match scenario.encrypt_manager(&keys)? {
            Built::Ready(manager) => manager,
            Built::Unavailable(kinds) => {
                let mut tags: Vec<String> = kinds.iter().map(|k| format!("keyring:{k}")).collect();
                tags.push(format!("vector:{name}/{id}"));
                match skips.find(&tags) {
                    Some(skip) => report.skip(id.clone(), skip.reason.clone()),
                    None => report.record(
                        id.clone(),
                        Err(anyhow::anyhow!("no keyring for {tags:?} and no skip entry")),
                    ),
                }
                continue;
            }
        };
        let plaintext = plaintexts
            .get(&scenario.plaintext)
            .with_context(|| format!("no plaintext {:?}", scenario.plaintext))?;
        let outcome = runtime
            .block_on(scenario.encrypt(manager, plaintext))
            .and_then(|ciphertext| {
                std::fs::write(out.join("ciphertexts").join(id), ciphertext)?;
                written.insert(id.clone(), scenario.decryption_scenario(id));
                Ok(())
            });
        report.record(id.clone(), outcome);
    }
    let decrypt_manifest = json!({
        "manifest": {"type": "awses-decrypt", "version": 5},
        "client": {"name": "keyward", "version": env!("CARGO_PKG_VERSION")},
        "keys": "file://keys.json",
        "tests": written,
    });
    std::fs::write(
        out.join("manifest.json"),
        serde_json::to_string_pretty(&decrypt_manifest)?,
    )?;
    Ok(report)
}

/// One encryption scenario, in the v5 vocabulary.
struct Scenario {
    plaintext: String,
    suite: AlgorithmSuite,
    frame_length: u64,
    encryption_context: EncryptionContext,
    reproduced: BTreeMap<String, String>,
    encrypt_description: Value,
    decrypt_description: Value,
    description: String,
}

impl Scenario {
    fn parse(value: &Value, version: u64) -> Result<Self> {
        let (scenario, encrypt_description, decrypt_description, reproduced) = if version == 5 {
            let scenario = &value["encryption-scenario"];
            ensure!(
                scenario["type"].as_str().unwrap_or("positive-esdk") == "positive-esdk",
                "unsupported scenario type"
            );
            let reproduced =
                serde_json::from_value(scenario["reproduced-encryption-context"].clone())
                    .unwrap_or_default();
            (
                scenario,
                scenario["encryptKeyDescription"].clone(),
                scenario["decryptKeyDescription"].clone(),
                reproduced,
            )
        } else {
            let master_keys = value["master-keys"].as_array().context("master-keys")?;
            let description = match master_keys.as_slice() {
                [single] => single.clone(),
                [generator, children @ ..] => {
                    json!({"type": "multi-keyring", "generator": generator, "childKeyrings": children})
                }
                [] => bail!("no master keys"),
            };
            let context: BTreeMap<String, String> =
                serde_json::from_value(value["encryption-context"].clone()).unwrap_or_default();
            let description = match value["cmm"].as_str() {
                Some("RequiredEncryptionContext") => json!({
                    "type": "required-encryption-context-cmm",
                    "underlying": description,
                    "requiredEncryptionContextKeys": context.keys().collect::<Vec<_>>(),
                }),
                _ => description,
            };
            let reproduced = if value["cmm"].as_str() == Some("RequiredEncryptionContext") {
                context
            } else {
                BTreeMap::new()
            };
            (value, description.clone(), description, reproduced)
        };
        let suite_field = if version == 5 {
            "algorithmSuiteId"
        } else {
            "algorithm"
        };
        let suite = u16::from_str_radix(scenario[suite_field].as_str().context("suite")?, 16)?;
        let context: BTreeMap<String, String> =
            serde_json::from_value(scenario["encryption-context"].clone()).unwrap_or_default();
        Ok(Self {
            plaintext: scenario["plaintext"]
                .as_str()
                .context("plaintext")?
                .to_owned(),
            suite: AlgorithmSuite::from_id(suite)?,
            frame_length: scenario["frame-size"].as_u64().context("frame-size")?,
            encryption_context: EncryptionContext::from(context),
            reproduced,
            encrypt_description,
            decrypt_description,
            description: scenario["description"]
                .as_str()
                .unwrap_or_default()
                .to_owned(),
        })
    }

    fn encrypt_manager(&self, keys: &Keys) -> Result<Built<Arc<dyn MaterialsManager>>> {
        keys.manager(&self.encrypt_description)
    }

    async fn encrypt(
        &self,
        manager: Arc<dyn MaterialsManager>,
        plaintext: &[u8],
    ) -> Result<Vec<u8>> {
        let policy = if self.suite.is_committing() {
            CommitmentPolicy::RequireEncryptRequireDecrypt
        } else {
            CommitmentPolicy::ForbidEncryptAllowDecrypt
        };
        let client = Client::builder(manager)
            .commitment_policy(policy)
            .suite(self.suite)
            .frame_length(FrameLength::new(self.frame_length)?)
            .build();
        Ok(client.encrypt(plaintext, &self.encryption_context).await?)
    }

    fn decryption_scenario(&self, id: &str) -> Value {
        json!({"decryption-scenario": {
            "type": "positive-esdk",
            "ciphertext": format!("file://ciphertexts/{id}"),
            "result": format!("file://plaintexts/{}", self.plaintext),
            "algorithmSuiteId": format!("{:04X}", self.suite.id()),
            "frame-size": self.frame_length,
            "description": self.description,
            "decryptKeyDescription": self.decrypt_description,
            "reproduced-encryption-context": self.reproduced,
        }})
    }
}
