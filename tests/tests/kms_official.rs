//! The AWS KMS RSA and AWS KMS ECDH keyrings crossed with the official implementation: the
//! official AWS Encryption SDK for Python 4 with the official Material Providers Library
//! (`xtask/mpl/cross.py`, in the venv `cargo xtask test` creates) and keyward on one moto
//! server, each decrypting what the other wrote, for every RSA key size and algorithm and every
//! curve and scheme; and the encrypted data keys of both compared field by field.

#![cfg(feature = "moto")]
#![expect(
    clippy::unwrap_used,
    reason = "test fixtures: a failure should stop the test"
)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use aws_sdk_kms::types::{KeySpec, KeyUsageType};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use keyward::format::AlgorithmSuite;
use keyward::kms::{KmsCallCounter, KmsEcdhKeyring, KmsRsaAlgorithm, KmsRsaKeyring};
use keyward::materials::{CommitmentPolicy, DefaultMaterialsManager, EcdhCurve, Keyring};
use keyward::{Client, EncryptionContext};
use keyward_tests::moto::{create_asymmetric_key, endpoint, kms_client};
use serde_json::{Value, json};

const REGION: &str = "us-west-2";

/// The official SDK's Python and the cross script, as `cargo xtask test` passes them.
fn official() -> (String, String) {
    let var = |name: &str| {
        std::env::var(name).unwrap_or_else(|_| {
            panic!("{name} is not set: run the tests with `cargo xtask test`, which installs the official SDK")
        })
    };
    (var("KEYWARD_MPL_PYTHON"), var("KEYWARD_MPL_CROSS"))
}

fn pem(der: &[u8]) -> String {
    let body = BASE64.encode(der);
    let lines: Vec<String> = body
        .as_bytes()
        .chunks(64)
        .map(|chunk| String::from_utf8_lossy(chunk).into_owned())
        .collect();
    format!(
        "-----BEGIN PUBLIC KEY-----\n{}\n-----END PUBLIC KEY-----\n",
        lines.join("\n")
    )
}

fn policy(suite: AlgorithmSuite) -> (CommitmentPolicy, &'static str) {
    if suite.is_committing() {
        (
            CommitmentPolicy::RequireEncryptRequireDecrypt,
            "REQUIRE_ENCRYPT_REQUIRE_DECRYPT",
        )
    } else {
        (
            CommitmentPolicy::ForbidEncryptAllowDecrypt,
            "FORBID_ENCRYPT_ALLOW_DECRYPT",
        )
    }
}

/// One pairing: a description of the official keyring and keyward's writer and reader for
/// the same keys and scheme.
struct Pairing {
    name: String,
    suite: AlgorithmSuite,
    official_writer: Value,
    official_reader: Value,
    writer: Arc<dyn Keyring>,
    reader: Arc<dyn Keyring>,
}

fn client(keyring: Arc<dyn Keyring>, suite: AlgorithmSuite) -> Client {
    Client::builder(DefaultMaterialsManager::new(keyring))
        .commitment_policy(policy(suite).0)
        .suite(suite)
        .build()
}

fn curve_spec(curve: EcdhCurve) -> (KeySpec, &'static str) {
    match curve {
        EcdhCurve::P256 => (KeySpec::EccNistP256, "ECC_NIST_P256"),
        EcdhCurve::P384 => (KeySpec::EccNistP384, "ECC_NIST_P384"),
        _ => (KeySpec::EccNistP521, "ECC_NIST_P521"),
    }
}

async fn pairings(kms: &aws_sdk_kms::Client) -> Vec<Pairing> {
    let mut out = Vec::new();
    for (spec, algorithm, name, suite) in [
        (
            KeySpec::Rsa2048,
            KmsRsaAlgorithm::RsaesOaepSha1,
            "RSAES_OAEP_SHA_1",
            AlgorithmSuite::Aes256GcmHkdfSha512Commit,
        ),
        (
            KeySpec::Rsa3072,
            KmsRsaAlgorithm::RsaesOaepSha256,
            "RSAES_OAEP_SHA_256",
            AlgorithmSuite::Aes256GcmHkdfSha512Commit,
        ),
        (
            KeySpec::Rsa4096,
            KmsRsaAlgorithm::RsaesOaepSha256,
            "RSAES_OAEP_SHA_256",
            AlgorithmSuite::Aes128GcmHkdfSha256,
        ),
    ] {
        let (arn, der) =
            create_asymmetric_key(kms, spec.clone(), KeyUsageType::EncryptDecrypt).await;
        let description = json!({
            "type": "kms-rsa", "key_arn": arn, "public_key_pem": pem(&der), "algorithm": name,
        });
        let keyring = || {
            KmsRsaKeyring::builder(&arn, algorithm)
                .public_key_der(&der)
                .client(kms.clone())
                .build()
                .unwrap()
        };
        out.push(Pairing {
            name: format!("rsa-{spec:?}-{name}-{:#06x}", suite.id()),
            suite,
            official_writer: description.clone(),
            official_reader: description,
            writer: Arc::new(keyring()),
            reader: Arc::new(keyring()),
        });
    }
    for curve in [EcdhCurve::P256, EcdhCurve::P384, EcdhCurve::P521] {
        let (spec, spec_name) = curve_spec(curve);
        let (sender, sender_der) =
            create_asymmetric_key(kms, spec.clone(), KeyUsageType::KeyAgreement).await;
        let (recipient, recipient_der) =
            create_asymmetric_key(kms, spec, KeyUsageType::KeyAgreement).await;
        let discovery = json!({
            "type": "kms-ecdh-discovery", "curve": spec_name, "recipient_key_arn": recipient,
        });
        for (given_sender_key, suite) in [
            (false, AlgorithmSuite::Aes256GcmHkdfSha512CommitEcdsaP384),
            (true, AlgorithmSuite::Aes256GcmHkdfSha512Commit),
        ] {
            let mut official_static = json!({
                "type": "kms-ecdh-static", "curve": spec_name, "sender_key_arn": sender,
                "recipient_public_key_der_b64": BASE64.encode(&recipient_der),
            });
            let mut builder = KmsEcdhKeyring::builder(kms.clone(), curve);
            if given_sender_key {
                official_static["sender_public_key_der_b64"] = json!(BASE64.encode(&sender_der));
                builder = builder.kms_public_key(&sender_der);
            }
            let writer = builder.build_static(&sender, &recipient_der).await.unwrap();
            let reader = KmsEcdhKeyring::builder(kms.clone(), curve)
                .build_discovery(&recipient)
                .await
                .unwrap();
            out.push(Pairing {
                name: format!("ecdh-{curve:?}-static-to-discovery-{:#06x}", suite.id()),
                suite,
                official_writer: official_static.clone(),
                official_reader: discovery.clone(),
                writer: Arc::new(writer.clone()),
                reader: Arc::new(reader),
            });
            // The sender reads its own messages back, in both implementations.
            out.push(Pairing {
                name: format!("ecdh-{curve:?}-static-to-static-{:#06x}", suite.id()),
                suite,
                official_writer: official_static.clone(),
                official_reader: official_static,
                writer: Arc::new(writer.clone()),
                reader: Arc::new(writer),
            });
        }
    }
    out
}

fn case(
    name: &str,
    action: &str,
    keyring: &Value,
    suite: AlgorithmSuite,
    context: &BTreeMap<&str, &str>,
    plaintext: &[u8],
    path: &Path,
) -> Value {
    json!({
        "name": name, "action": action, "keyring": keyring, "suite": suite.id(),
        "commitment_policy": policy(suite).1, "context": context,
        "plaintext_b64": BASE64.encode(plaintext), "ciphertext_path": path,
    })
}

#[tokio::test]
async fn official_mpl_and_keyward_read_each_others_messages() {
    let (python, script) = official();
    let counter = KmsCallCounter::new();
    let kms = kms_client(REGION, &counter);
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("kms-official");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let context_pairs = BTreeMap::from([("tenant", "acme"), ("purpose", "cross-check")]);
    let context = EncryptionContext::from([("tenant", "acme"), ("purpose", "cross-check")]);

    let pairings = pairings(&kms).await;
    let mut cases = Vec::new();
    let mut ours = Vec::new();
    for pairing in &pairings {
        let plaintext = format!("{} written by keyward", pairing.name).repeat(20);
        let writer = client(Arc::clone(&pairing.writer), pairing.suite);
        let message = writer
            .encrypt(plaintext.as_bytes(), &context)
            .await
            .unwrap();
        let keyward_path = dir.join(format!("{}.keyward", pairing.name));
        std::fs::write(&keyward_path, &message).unwrap();
        ours.push(message);
        cases.push(case(
            &format!("official decrypts keyward {}", pairing.name),
            "decrypt",
            &pairing.official_reader,
            pairing.suite,
            &context_pairs,
            plaintext.as_bytes(),
            &keyward_path,
        ));
        let official_plaintext = format!("{} written by the official SDK", pairing.name);
        cases.push(case(
            &format!("official encrypts {}", pairing.name),
            "encrypt",
            &pairing.official_writer,
            pairing.suite,
            &context_pairs,
            official_plaintext.as_bytes(),
            &dir.join(format!("{}.official", pairing.name)),
        ));
    }
    let plan = json!({"endpoint": endpoint(), "region": REGION, "cases": cases});
    let plan_path = dir.join("plan.json");
    let result_path = dir.join("result.json");
    std::fs::write(&plan_path, serde_json::to_vec_pretty(&plan).unwrap()).unwrap();
    let status = std::process::Command::new(&python)
        .arg(&script)
        .arg(&plan_path)
        .arg(&result_path)
        .status()
        .unwrap();
    assert!(status.success(), "{python} {script} failed: {status}");
    let results: Value = serde_json::from_slice(&std::fs::read(&result_path).unwrap()).unwrap();
    let results = results["results"].as_array().unwrap();
    assert_eq!(results.len(), 2 * pairings.len());
    let failed: Vec<&Value> = results.iter().filter(|r| r["ok"] != json!(true)).collect();
    assert!(failed.is_empty(), "the official SDK failed: {failed:#?}");

    for (pairing, ours) in pairings.iter().zip(&ours) {
        let message = std::fs::read(dir.join(format!("{}.official", pairing.name))).unwrap();
        let reader = client(Arc::clone(&pairing.reader), pairing.suite);
        let decrypted = reader.decrypt(&message).await.unwrap_or_else(|error| {
            panic!(
                "keyward cannot decrypt the official {}: {error}",
                pairing.name
            )
        });
        assert_eq!(
            decrypted.plaintext(),
            format!("{} written by the official SDK", pairing.name).as_bytes()
        );
        // The same encrypted data key layout: provider id and provider info byte for byte
        // (both are determined by the keys), the ciphertext of the same length.
        let official_edks = decrypted.info().encrypted_data_keys();
        let keyward_edks = keyward::read_header(ours).unwrap();
        let keyward_edks = keyward_edks.encrypted_data_keys();
        assert_eq!(official_edks.len(), 1, "{}", pairing.name);
        assert_eq!(keyward_edks.len(), 1, "{}", pairing.name);
        assert_eq!(
            official_edks[0].provider_id(),
            keyward_edks[0].provider_id()
        );
        assert_eq!(
            official_edks[0].provider_info(),
            keyward_edks[0].provider_info()
        );
        assert_eq!(
            official_edks[0].ciphertext().len(),
            keyward_edks[0].ciphertext().len(),
            "{}",
            pairing.name
        );
    }
}
