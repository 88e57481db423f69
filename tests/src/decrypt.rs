//! Running an `awses-decrypt` manifest (versions 1 to 5) through the keyward `Client`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{Context as _, Result, bail, ensure};
use keyward::{Client, CommitmentPolicy, EncryptionContext, MaterialsManager, StreamOptions};
use serde_json::Value;

use crate::keys::{Built, Keys};
use crate::skips::Skips;
use crate::vectors::SetReport;

/// What a decrypt test expects.
enum Expected {
    Plaintext(PathBuf),
    Failure,
}

/// One test of a manifest, ready to run.
struct Test {
    id: String,
    ciphertext: PathBuf,
    expected: Expected,
    manager: Built<Arc<dyn MaterialsManager>>,
    reproduced: Option<EncryptionContext>,
    unsigned_only: bool,
}

/// How to run a manifest.
#[derive(Clone, Copy, Debug)]
#[non_exhaustive]
pub struct DecryptRun {
    /// Whether the client retries with the ESDK-NET 4.0.0 deviations.
    pub net_v4_0_0_retry: bool,
    /// Expect every test to fail (the `invalid-Net-4.0.0` set without the retry).
    pub expect_failure: bool,
}

impl Default for DecryptRun {
    fn default() -> Self {
        Self {
            net_v4_0_0_retry: true,
            expect_failure: false,
        }
    }
}

/// Decrypts every test of the manifest at `path`.
pub fn run_manifest(name: &str, path: &Path, run: DecryptRun, skips: &Skips) -> Result<SetReport> {
    let base = path.parent().context("manifest path without a folder")?;
    let manifest: Value = serde_json::from_str(
        &std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?,
    )?;
    ensure!(
        manifest["manifest"]["type"] == "awses-decrypt",
        "{} is not an awses-decrypt manifest",
        path.display()
    );
    let version = manifest["manifest"]["version"]
        .as_u64()
        .context("manifest version")?;
    ensure!(
        (1..=5).contains(&version),
        "unsupported awses-decrypt version {version}"
    );
    let keys = Keys::load(&resolve(
        base,
        manifest["keys"].as_str().context("keys URI")?,
    )?)?;

    let runtime = tokio::runtime::Builder::new_current_thread().build()?;
    let mut report = SetReport::new(name);
    let tests = manifest["tests"].as_object().context("tests")?;
    for (id, value) in tests {
        let test = match parse_test(id, value, version, base, &keys) {
            Ok(test) => test,
            Err(error) => {
                report.record(id.clone(), Err(error.context("reading the test")));
                continue;
            }
        };
        let mut tags = vec![format!("vector:{name}/{id}")];
        let manager = match test.manager {
            Built::Ready(ref manager) => Some(manager.clone()),
            Built::Unavailable(ref kinds) => {
                tags.extend(kinds.iter().map(|k| format!("keyring:{k}")));
                None
            }
        };
        let skip = skips.find(&tags);
        match (manager, skip) {
            (None, Some(skip)) => {
                if matches!(test.expected, Expected::Plaintext(_)) {
                    match check_kms_header(&test.ciphertext) {
                        Ok(0) => {}
                        Ok(_) => report.kms_headers_checked += 1,
                        Err(error) => {
                            report.record(id.clone(), Err(error.context("skipped, but")));
                            continue;
                        }
                    }
                }
                report.skip(id.clone(), skip.reason.clone());
            }
            (None, None) => report.record(
                id.clone(),
                Err(anyhow::anyhow!("no keyring for {tags:?} and no skip entry")),
            ),
            (Some(manager), skip) => {
                let outcome = runtime.block_on(run_test(&test, manager, run));
                match (outcome, skip) {
                    (Ok(()), Some(skip)) => report.record(
                        id.clone(),
                        Err(anyhow::anyhow!(
                            "passes but is skipped ({}): remove the skip entry",
                            skip.pattern
                        )),
                    ),
                    (outcome, _) => report.record(id.clone(), outcome),
                }
            }
        }
    }
    Ok(report)
}

/// Parses the header of a message that cannot be decrypted here and checks the layout of
/// every AWS KMS encrypted data key in it; returns how many it checked. `aws-kms` and
/// `aws-kms-rsa` EDKs must name a key ARN (an RSA ciphertext is one modulus of 2048 to 4096
/// bits); an `aws-kms-ecdh` EDK must be version 1 with two points of one curve, each on it,
/// and a ciphertext of nonce, commitment key, the suite's data key and tag.
fn check_kms_header(ciphertext: &Path) -> Result<usize> {
    use keyward::materials::{EcdhCurve, EcdhPublicKey};
    let bytes =
        std::fs::read(ciphertext).with_context(|| format!("reading {}", ciphertext.display()))?;
    let (header, _) = keyward::format::Header::from_bytes(&bytes, None)
        .context("the header of a KMS message does not parse")?;
    let key_arn = |info: &[u8]| -> Result<()> {
        let info = std::str::from_utf8(info)?;
        let arn = keyward::kms::KmsArn::parse(info)?;
        ensure!(
            arn.resource_type() == keyward::kms::ResourceType::Key,
            "provider info {info:?} is not a key ARN"
        );
        Ok(())
    };
    let mut checked = 0;
    for edk in header.encrypted_data_keys() {
        match edk.provider_id() {
            keyward::kms::PROVIDER_ID => key_arn(edk.provider_info())?,
            keyward::kms::RSA_PROVIDER_ID => {
                key_arn(edk.provider_info())?;
                ensure!(
                    matches!(edk.ciphertext().len(), 256 | 384 | 512),
                    "an aws-kms-rsa ciphertext of {} bytes",
                    edk.ciphertext().len()
                );
            }
            keyward::materials::internal::KMS_ECDH_PROVIDER_ID => {
                let info = edk.provider_info();
                let curve = [EcdhCurve::P256, EcdhCurve::P384, EcdhCurve::P521]
                    .into_iter()
                    .find(|&curve| {
                        keyward::materials::internal::parse_provider_info(curve, info).is_ok_and(
                            |(recipient, sender)| {
                                EcdhPublicKey::from_compressed(curve, recipient).is_ok()
                                    && EcdhPublicKey::from_compressed(curve, sender).is_ok()
                            },
                        )
                    });
                ensure!(
                    curve.is_some(),
                    "an aws-kms-ecdh provider info that is not version 1 with two points of one curve"
                );
                let expected = 32 + 32 + header.suite().data_key_len() + 16;
                ensure!(
                    edk.ciphertext().len() == expected,
                    "an aws-kms-ecdh ciphertext of {} bytes, not {expected}",
                    edk.ciphertext().len()
                );
            }
            _ => continue,
        }
        checked += 1;
    }
    Ok(checked)
}

fn parse_test(id: &str, value: &Value, version: u64, base: &Path, keys: &Keys) -> Result<Test> {
    if version == 5 {
        let scenario = &value["decryption-scenario"];
        let kind = scenario["type"].as_str().unwrap_or("positive-esdk");
        let expected = match (kind, &scenario["result"]) {
            ("positive-esdk", Value::String(uri)) => Expected::Plaintext(resolve(base, uri)?),
            ("negative-esdk", _) => Expected::Failure,
            (kind, result) => bail!("unsupported scenario {kind} with result {result}"),
        };
        let reproduced: Option<BTreeMap<String, String>> =
            serde_json::from_value(scenario["reproduced-encryption-context"].clone())?;
        return Ok(Test {
            id: id.to_owned(),
            ciphertext: resolve(base, scenario["ciphertext"].as_str().context("ciphertext")?)?,
            expected,
            manager: keys.manager(&scenario["decryptKeyDescription"])?,
            reproduced: reproduced
                .filter(|r| !r.is_empty())
                .map(EncryptionContext::from),
            unsigned_only: false,
        });
    }
    let expected = if version == 1 {
        Expected::Plaintext(resolve(
            base,
            value["plaintext"].as_str().context("plaintext")?,
        )?)
    } else if let Some(uri) = value["result"]["output"]["plaintext"].as_str() {
        Expected::Plaintext(resolve(base, uri)?)
    } else if value["result"]["error"].is_object() {
        Expected::Failure
    } else {
        bail!("test without a result");
    };
    let reproduced: Option<BTreeMap<String, String>> =
        serde_json::from_value(value["encryption-context"].clone())?;
    let master_keys = value["master-keys"].as_array().context("master-keys")?;
    let manager = keys.master_keys(master_keys, value["cmm"].as_str(), reproduced.as_ref())?;
    Ok(Test {
        id: id.to_owned(),
        ciphertext: resolve(base, value["ciphertext"].as_str().context("ciphertext")?)?,
        expected,
        manager,
        reproduced: reproduced
            .filter(|r| !r.is_empty())
            .map(EncryptionContext::from),
        unsigned_only: value["decryption-method"].as_str() == Some("streaming-unsigned-only"),
    })
}

/// Decrypts one test, whole and streamed, and checks the outcome against the expectation.
async fn run_test(test: &Test, manager: Arc<dyn MaterialsManager>, run: DecryptRun) -> Result<()> {
    let ciphertext = std::fs::read(&test.ciphertext)
        .with_context(|| format!("reading {}", test.ciphertext.display()))?;
    let client = Client::builder(manager)
        .commitment_policy(CommitmentPolicy::RequireEncryptAllowDecrypt)
        .net_v4_0_0_retry(run.net_v4_0_0_retry)
        .build();
    let whole = if test.unsigned_only {
        None
    } else {
        Some(match &test.reproduced {
            Some(context) => client.decrypt_with_context(&ciphertext, context).await,
            None => client.decrypt(&ciphertext).await,
        })
    };
    let mut options = StreamOptions::default();
    if let Some(context) = &test.reproduced {
        options = options.reproduced_context(context);
    }
    if test.unsigned_only {
        options = options.unsigned_only();
    }
    let mut streamed = Vec::new();
    let stream = client
        .decrypt_stream(&ciphertext[..], &mut streamed, options)
        .await;

    let expect_failure = run.expect_failure || matches!(test.expected, Expected::Failure);
    match (&test.expected, expect_failure) {
        (_, true) => {
            if let Some(Ok(_)) = whole {
                bail!("{}: decrypted, but must fail", test.id);
            }
            ensure!(
                stream.is_err(),
                "{}: the stream decrypted, but must fail",
                test.id
            );
            Ok(())
        }
        (Expected::Plaintext(path), false) => {
            let expected =
                std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
            if let Some(whole) = whole {
                let decrypted = whole.with_context(|| format!("{}: decrypt", test.id))?;
                ensure!(
                    decrypted.plaintext() == expected,
                    "{}: plaintext differs",
                    test.id
                );
            }
            stream.with_context(|| format!("{}: streaming decrypt", test.id))?;
            ensure!(
                streamed == expected,
                "{}: streamed plaintext differs",
                test.id
            );
            Ok(())
        }
        (Expected::Failure, false) => unreachable!("failure expectations are handled above"),
    }
}

/// `file://relative/path` → a path beside the manifest.
pub fn resolve(base: &Path, uri: &str) -> Result<PathBuf> {
    let relative = uri
        .strip_prefix("file://")
        .with_context(|| format!("unsupported URI {uri:?}"))?;
    Ok(base.join(relative))
}
