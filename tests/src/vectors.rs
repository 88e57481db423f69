//! The test-vector runner: every set under `shared/test-vectors`, with a report per set.

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

use anyhow::{Context as _, Result, anyhow, bail, ensure};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use keyward_format::{
    AlgorithmSuite, CommitmentPolicy, DecryptOptions, EncryptionContext, Error as FormatError,
    Header,
};
use serde_json::Value;

use crate::decrypt::{DecryptRun, run_manifest};
use crate::messages::decrypt_with_key;
use crate::skips::Skips;

/// The results of one vector set.
#[derive(Debug, Default)]
#[non_exhaustive]
pub struct SetReport {
    /// The set's name, e.g. `commitment-kats`.
    pub name: String,
    /// Vectors that behaved as expected.
    pub passed: usize,
    /// Vectors that did not, with the reason.
    pub failures: Vec<(String, String)>,
    /// Vectors that cannot run here, with the reason.
    pub skipped: Vec<(String, String)>,
    /// Skipped vectors whose header was still parsed and whose `aws-kms` encrypted data keys
    /// all name a valid key ARN.
    pub kms_headers_checked: usize,
}

impl SetReport {
    /// An empty report.
    pub fn new(name: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            ..Self::default()
        }
    }

    pub(crate) fn record(&mut self, id: impl Into<String>, outcome: Result<()>) {
        match outcome {
            Ok(()) => self.passed += 1,
            Err(error) => self.failures.push((id.into(), format!("{error:#}"))),
        }
    }

    pub(crate) fn skip(&mut self, id: impl Into<String>, reason: impl Into<String>) {
        self.skipped.push((id.into(), reason.into()));
    }
}

impl fmt::Display for SetReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}: {} passed, {} failed, {} skipped",
            self.name,
            self.passed,
            self.failures.len(),
            self.skipped.len()
        )?;
        if self.kms_headers_checked > 0 {
            write!(
                f,
                " ({} AWS KMS headers parsed and checked)",
                self.kms_headers_checked
            )?;
        }
        Ok(())
    }
}

/// Where the vectors are: `$KEYWARD_TEST_VECTORS`, or `shared/test-vectors` beside the
/// repository.
pub fn default_root() -> PathBuf {
    std::env::var_os("KEYWARD_TEST_VECTORS").map_or_else(
        || Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/test-vectors"),
        PathBuf::from,
    )
}

/// The names of every set [`run_set`] knows.
pub const SETS: [&str; 6] = [
    "commitment-kats",
    "decrypt-oracle",
    "headers",
    "awses-decrypt",
    "awses-encrypt",
    "mpl",
];

/// Runs every set.
pub fn run_all(root: &Path) -> Result<Vec<SetReport>> {
    let mut reports = Vec::new();
    for name in SETS {
        reports.extend(run_set(root, name)?);
    }
    Ok(reports)
}

/// Runs one set by name; `headers` yields one report per decrypt folder.
pub fn run_set(root: &Path, name: &str) -> Result<Vec<SetReport>> {
    ensure!(root.is_dir(), "no test vectors at {}", root.display());
    Ok(match name {
        "commitment-kats" => vec![commitment_kats(root)?],
        "decrypt-oracle" => vec![decrypt_oracle(root)?],
        "headers" => headers(root)?,
        "awses-decrypt" => decrypt_sets(root)?,
        "awses-encrypt" => encrypt_sets(root)?,
        "mpl" => crate::mpl::run(root)?,
        other => bail!("unknown vector set {other:?}; known: {SETS:?}"),
    })
}

/// Every published decrypt set, through the `Client` with the keyrings of this workspace;
/// `invalid-Net-4.0.0` twice: it must fail without the .NET 4.0.0 retry and pass with it.
fn decrypt_sets(root: &Path) -> Result<Vec<SetReport>> {
    let skips = Skips::load_default()?;
    let base = root.join("awses-decrypt");
    let mut reports = Vec::new();
    for (set, manifest) in [
        ("dafny-4.1.0", "decrypt-manifest.json"),
        ("invalid-Net-4.0.0", "manifest.json"),
        ("python-1.3.5", "decrypt_message.json"),
        ("v4-Net-4.0.1", "manifest.json"),
        ("valid-Net-4.0.0", "manifest.json"),
    ] {
        let path = base.join(set).join(manifest);
        if set == "invalid-Net-4.0.0" {
            let without = DecryptRun {
                net_v4_0_0_retry: false,
                expect_failure: true,
            };
            reports.push(run_manifest(
                &format!("decrypt/{set} (retry off, must fail)"),
                &path,
                without,
                &skips,
            )?);
        }
        reports.push(run_manifest(
            &format!("decrypt/{set}"),
            &path,
            DecryptRun::default(),
            &skips,
        )?);
    }
    Ok(reports)
}

/// The two encrypt manifests (the Dafny ESDK's v5 and the framework's canonical v2): every
/// offline scenario is encrypted into a decrypt set under `target/vectors/`, which is then
/// decrypted in full.
fn encrypt_sets(root: &Path) -> Result<Vec<SetReport>> {
    let skips = Skips::load_default()?;
    let mut reports = Vec::new();
    for (name, manifest) in [
        (
            "dafny-esdk-4.x",
            "manifests/dafny-esdk-4.x/encrypt-manifest.json",
        ),
        (
            "framework-canonical",
            "manifests/framework-canonical/0003-awses-message-encryption.v2.json",
        ),
    ] {
        let out = output_root().join(name);
        if out.exists() {
            std::fs::remove_dir_all(&out)?;
        }
        reports.push(crate::encrypt::run_manifest(
            &format!("encrypt/{name}"),
            &root.join(manifest),
            &out,
            &skips,
        )?);
        let written = out.join("manifest.json");
        reports.push(run_manifest(
            &format!("encrypt/{name} -> decrypt"),
            &written,
            DecryptRun::default(),
            &skips,
        )?);
    }
    Ok(reports)
}

/// Where generated vector sets go: `$KEYWARD_VECTORS_OUT`, or `target/vectors`.
pub fn output_root() -> PathBuf {
    std::env::var_os("KEYWARD_VECTORS_OUT").map_or_else(
        || Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/vectors"),
        PathBuf::from,
    )
}

/// The "Message Format V2" commitment known answers: decrypt each with the given data key;
/// expect success exactly when `status` is true, and a commitment failure otherwise.
fn commitment_kats(root: &Path) -> Result<SetReport> {
    let mut report = SetReport::new("commitment-kats");
    let file = read_json(&root.join("known-answer/commitment-v2-message-kats.json"))?;
    let tests = file["tests"].as_array().context("tests array")?;
    for (index, test) in tests.iter().enumerate() {
        let id = format!(
            "#{} {}",
            index + 1,
            test["comment"].as_str().unwrap_or_default()
        );
        report.record(id, commitment_kat(test));
    }
    Ok(report)
}

fn commitment_kat(test: &Value) -> Result<()> {
    let ciphertext = b64(&test["ciphertext"])?;
    let data_key = b64(&test["decrypted-dek"])?;
    let expect_success = test["status"].as_bool().context("status")?;
    let outcome = decrypt_with_key(
        &ciphertext,
        |_| data_key.clone(),
        &EncryptionContext::new(),
        permissive(),
        0,
    );
    let (header, _) = Header::from_bytes(&ciphertext, None)?;
    ensure!(
        header.message_id() == b64(&test["message-id"])?.as_slice(),
        "message id differs from the vector's"
    );
    let context: BTreeMap<String, String> =
        serde_json::from_value(test["encryption-context"].clone())?;
    ensure!(
        header.encryption_context() == &EncryptionContext::from(context),
        "encryption context differs from the vector's"
    );
    if expect_success {
        outcome.result.context("decrypt")?;
        let mut expected = Vec::new();
        for frame in test["plaintext-frames"]
            .as_array()
            .context("plaintext-frames")?
        {
            expected.extend_from_slice(frame.as_str().context("frame")?.as_bytes());
        }
        ensure!(outcome.released == expected, "plaintext differs");
        ensure!(
            header.commitment().map(|c| c.as_slice()) == Some(b64(&test["commitment"])?.as_slice()),
            "header commitment differs from the vector's"
        );
    } else {
        match outcome.result {
            Err(FormatError::CommitmentMismatch) => {}
            Err(other) => bail!("failed, but not on the commitment check: {other}"),
            Ok(()) => bail!("decrypted a message that must fail"),
        }
        ensure!(
            outcome.released.is_empty(),
            "released plaintext of a failing message"
        );
    }
    Ok(())
}

/// The Python decrypt-oracle messages whose data key is known (`null`, `test_counting`).
fn decrypt_oracle(root: &Path) -> Result<SetReport> {
    let mut report = SetReport::new("decrypt-oracle");
    let file = read_json(&root.join("known-answer/python-decrypt-oracle-vectors.json"))?;
    for (index, test) in file.as_array().context("array")?.iter().enumerate() {
        let key_type = test["key-type"].as_str().context("key-type")?;
        let id = format!(
            "#{} {} {}",
            index + 1,
            key_type,
            test["algorithm-suite"].as_str().unwrap_or_default()
        );
        let make_key: fn(usize) -> Vec<u8> = match key_type {
            "null" => |len| vec![0; len],
            "test_counting" => |len| (1..=len).map(|b| u8::try_from(b).unwrap_or(0)).collect(),
            _ => {
                report.skip(
                    id,
                    "needs AWS KMS: the data key is wrapped by a real KMS key",
                );
                continue;
            }
        };
        report.record(id, oracle_vector(test, make_key));
    }
    Ok(report)
}

fn oracle_vector(test: &Value, make_key: fn(usize) -> Vec<u8>) -> Result<()> {
    let ciphertext = b64(&test["ciphertext"])?;
    let expected = b64(&test["plaintext"])?;
    let suite_id = u16::from_str_radix(test["algorithm-suite"].as_str().context("suite")?, 16)?;
    let outcome = decrypt_with_key(
        &ciphertext,
        |header| make_key(header.suite().data_key_len()),
        &EncryptionContext::new(),
        permissive(),
        0,
    );
    outcome.result.context("decrypt")?;
    let (header, _) = Header::from_bytes(&ciphertext, None)?;
    ensure!(
        header.suite() == AlgorithmSuite::from_id(suite_id)?,
        "suite differs"
    );
    ensure!(outcome.released == expected, "plaintext differs");
    Ok(())
}

/// Every ciphertext of every decrypt set: its header parses, and agrees with the manifest
/// where the manifest names the suite.
fn headers(root: &Path) -> Result<Vec<SetReport>> {
    let mut reports = Vec::new();
    let base = root.join("awses-decrypt");
    let mut sets: Vec<_> = std::fs::read_dir(&base)?.collect::<Result<_, _>>()?;
    sets.sort_by_key(std::fs::DirEntry::file_name);
    for set in sets {
        let name = set.file_name().to_string_lossy().into_owned();
        let mut report = SetReport::new(format!("headers/{name}"));
        let suites = manifest_suites(&set.path())?;
        let mut files: Vec<_> =
            std::fs::read_dir(set.path().join("ciphertexts"))?.collect::<Result<_, _>>()?;
        files.sort_by_key(std::fs::DirEntry::file_name);
        for file in files {
            let id = file.file_name().to_string_lossy().into_owned();
            let outcome = (|| {
                let bytes = std::fs::read(file.path())?;
                let (header, len) = Header::from_bytes(&bytes, None)?;
                ensure!(len < bytes.len(), "no body after the header");
                if let Some(suite) = suites.get(&id) {
                    ensure!(
                        header.suite().id() == *suite,
                        "suite {:#06x} differs from the manifest's",
                        header.suite().id()
                    );
                }
                Ok(())
            })();
            report.record(id, outcome);
        }
        reports.push(report);
    }
    Ok(reports)
}

/// Ciphertext file name → suite id, from manifests that give it (version 5).
fn manifest_suites(set: &Path) -> Result<BTreeMap<String, u16>> {
    let mut suites = BTreeMap::new();
    let manifest = set.join("decrypt-manifest.json");
    if !manifest.exists() {
        return Ok(suites);
    }
    let manifest = read_json(&manifest)?;
    for test in manifest["tests"].as_object().context("tests")?.values() {
        let scenario = &test["decryption-scenario"];
        let (Some(ciphertext), Some(suite)) = (
            scenario["ciphertext"].as_str(),
            scenario["algorithmSuiteId"].as_str(),
        ) else {
            continue;
        };
        let file = ciphertext
            .rsplit('/')
            .next()
            .unwrap_or(ciphertext)
            .to_owned();
        suites.insert(file, u16::from_str_radix(suite, 16)?);
    }
    Ok(suites)
}

/// Options that admit every suite, as the vector framework asks.
fn permissive() -> DecryptOptions {
    DecryptOptions::new().commitment_policy(CommitmentPolicy::RequireEncryptAllowDecrypt)
}

fn read_json(path: &Path) -> Result<Value> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    serde_json::from_str(&text).with_context(|| format!("parsing {}", path.display()))
}

fn b64(value: &Value) -> Result<Vec<u8>> {
    let text = value
        .as_str()
        .ok_or_else(|| anyhow!("expected a base64 string, found {value}"))?;
    Ok(BASE64.decode(text)?)
}
