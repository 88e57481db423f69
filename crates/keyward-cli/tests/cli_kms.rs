//! The `keyward` binary with AWS KMS keys, against moto server (started by `cargo xtask
//! test`): the standard AWS configuration chain plus `--endpoint-url`.

#![cfg(feature = "moto")]
#![expect(
    clippy::unwrap_used,
    reason = "test fixtures: a failure should stop the test"
)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

#[path = "support/moto.rs"]
mod moto;

use moto::{REGION, create_key, endpoint, kms_client};

const ACCOUNT: &str = "123456789012";

/// Runs the binary with credentials and region from the environment, as the AWS
/// configuration chain finds them, and no profile files or instance metadata.
fn keyward(args: &[&str], dir: &Path) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_keyward"));
    command.args(args);
    if matches!(args.first(), Some(&("encrypt" | "decrypt"))) && !args.contains(&"--endpoint-url") {
        command.args(["--endpoint-url", &endpoint()]);
    }
    command
        .current_dir(dir)
        .env_clear()
        .env("AWS_ACCESS_KEY_ID", "keyward-test")
        .env("AWS_SECRET_ACCESS_KEY", "keyward-test")
        .env("AWS_REGION", REGION)
        .env("AWS_CONFIG_FILE", dir.join("no-config"))
        .env("AWS_SHARED_CREDENTIALS_FILE", dir.join("no-credentials"))
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .output()
        .unwrap()
}

fn ok(output: &Output) {
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
}

fn workdir(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("plain"), b"kms from the command line".repeat(1000)).unwrap();
    dir
}

#[tokio::test]
async fn kms_keys_encrypt_and_strict_or_discovery_keys_decrypt() {
    let dir = workdir("cli-kms");
    let arn = create_key().await;
    ok(&keyward(
        &[
            "encrypt",
            "--kms-key",
            &arn,
            "-i",
            "plain",
            "-o",
            "ct",
            "-c",
            "tenant=acme",
            "--metadata-output",
            "meta.json",
        ],
        &dir,
    ));
    let metadata: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("meta.json")).unwrap()).unwrap();
    // Provider ids in base64, as aws-encryption-cli writes them: "aws-kms".
    assert_eq!(
        metadata["header"]["encrypted_data_keys"][0]["key_provider"]["provider_id"],
        "YXdzLWttcw=="
    );

    let plain = std::fs::read(dir.join("plain")).unwrap();
    for (out, keys) in [
        ("strict", vec!["--kms-key", arn.as_str()]),
        ("discovery", vec!["--kms-discovery"]),
        (
            "filtered",
            vec!["--kms-discovery", "--discovery-account", ACCOUNT],
        ),
        (
            "mrk",
            vec!["--kms-discovery", "--mrk-aware", "--region", REGION],
        ),
    ] {
        let mut args = vec!["decrypt", "-i", "ct", "-o", out, "-c", "tenant=acme"];
        args.extend(keys);
        ok(&keyward(&args, &dir));
        assert_eq!(std::fs::read(dir.join(out)).unwrap(), plain, "{out}");
    }

    // A filter that excludes the key's account: a one-line error, no output file.
    let refused = keyward(
        &[
            "decrypt",
            "-i",
            "ct",
            "-o",
            "refused",
            "--kms-discovery",
            "--discovery-account",
            "111122223333",
        ],
        &dir,
    );
    assert_eq!(refused.status.code(), Some(1));
    assert!(!dir.join("refused").exists());

    // Discovery never encrypts; an unknown key fails with the KMS error code.
    let discovery = keyward(
        &["encrypt", "--kms-discovery", "-i", "plain", "-o", "no"],
        &dir,
    );
    assert_eq!(discovery.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&discovery.stderr).contains("discovery"));
    let missing =
        format!("arn:aws:kms:{REGION}:{ACCOUNT}:key/00000000-0000-4000-8000-000000000000");
    let unknown = keyward(
        &["encrypt", "--kms-key", &missing, "-i", "plain", "-o", "no"],
        &dir,
    );
    assert_eq!(unknown.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&unknown.stderr);
    assert!(
        stderr.contains("GenerateDataKey") && stderr.contains("NotFoundException"),
        "{stderr}"
    );
    assert!(!dir.join("no").exists());
}

#[tokio::test]
async fn a_kms_key_and_an_aes_key_together_and_cached_batches() {
    let dir = workdir("cli-kms-batch");
    let arn = create_key().await;
    ok(&keyward(&["generate-key", "--output", "a.key"], &dir));
    std::fs::create_dir(dir.join("out")).unwrap();
    for name in ["one", "two", "three"] {
        std::fs::write(dir.join(name), name.repeat(100)).unwrap();
    }
    ok(&keyward(
        &[
            "encrypt",
            "--kms-key",
            &arn,
            "--aes-key",
            "a=a.key",
            "-i",
            "one",
            "--batch-input",
            "two",
            "--batch-input",
            "three",
            "--output-dir",
            "out",
            "--cache-capacity",
            "4",
            "--cache-max-messages",
            "10",
        ],
        &dir,
    ));
    for name in ["one", "two", "three"] {
        let encrypted = format!("out/{name}.encrypted");
        for keys in [["--aes-key", "a=a.key"], ["--kms-key", arn.as_str()]] {
            let mut args = vec!["decrypt", "-i", encrypted.as_str(), "-o", "back"];
            args.extend(keys);
            ok(&keyward(&args, &dir));
            assert_eq!(
                std::fs::read(dir.join("back")).unwrap(),
                name.repeat(100).into_bytes()
            );
        }
    }
}

fn stdout(output: &Output) -> String {
    ok(output);
    String::from_utf8(output.stdout.clone())
        .unwrap()
        .trim()
        .to_owned()
}

#[tokio::test]
async fn keystore_commands_and_hierarchical_wrapping_keys() {
    let dir = workdir("cli-keystore");
    let arn = create_key().await;
    let table = format!("cli-{}", &arn[arn.len() - 12..]);
    let store = ["--table", table.as_str(), "--kms-key", arn.as_str()];
    let keystore = |command: &str, extra: &[&str]| {
        let mut args = vec!["keystore", command];
        args.extend(store);
        args.extend(extra);
        args.extend(["--endpoint-url", "ENDPOINT"]);
        args.into_iter().map(str::to_owned).collect::<Vec<_>>()
    };
    let run = |args: Vec<String>| {
        let endpoint = endpoint();
        let args: Vec<&str> = args
            .iter()
            .map(|a| {
                if a == "ENDPOINT" {
                    endpoint.as_str()
                } else {
                    a.as_str()
                }
            })
            .collect();
        keyward(&args, &dir)
    };
    let table_arn = stdout(&run(keystore("create", &[])));
    assert!(table_arn.ends_with(&table), "{table_arn}");
    let id = stdout(&run(keystore(
        "create-key",
        &["--branch-key-id", "cli-tenant", "-c", "tenant=acme"],
    )));
    assert_eq!(id, "cli-tenant");
    let described: serde_json::Value = serde_json::from_str(&stdout(&run(keystore(
        "describe",
        &["--branch-key-id", "cli-tenant", "--json"],
    ))))
    .unwrap();
    assert_eq!(described["encryption_context"]["tenant"], "acme");
    let first_version = described["active_version"].as_str().unwrap().to_owned();

    let hierarchy = [
        "--branch-key-id",
        "cli-tenant",
        "--keystore-table",
        table.as_str(),
        "--keystore-kms-key",
        arn.as_str(),
    ];
    let mut encrypt = vec!["encrypt", "-i", "plain", "-o", "ct"];
    encrypt.extend(hierarchy);
    ok(&keyward(&encrypt, &dir));
    // version-key prints the old and the new version.
    let rotated = stdout(&run(keystore(
        "version-key",
        &["--branch-key-id", "cli-tenant"],
    )));
    let (named, versions) = rotated.split_once(": ").unwrap();
    let (old, new) = versions.split_once(" -> ").unwrap();
    assert_eq!((named, old), ("cli-tenant", first_version.as_str()));
    let described: serde_json::Value = serde_json::from_str(&stdout(&run(keystore(
        "describe",
        &["--branch-key-id", "cli-tenant", "--json"],
    ))))
    .unwrap();
    assert_eq!(described["active_version"].as_str().unwrap(), new);
    let rotated: serde_json::Value = serde_json::from_str(&stdout(&run(keystore(
        "version-key",
        &["--branch-key-id", "cli-tenant", "--json"],
    ))))
    .unwrap();
    assert_eq!(rotated["previous_version"], new);
    let newest = rotated["version"].as_str().unwrap().to_owned();

    // versions: newest first, the active one marked, without decrypting.
    let listed: serde_json::Value = serde_json::from_str(&stdout(&run(keystore(
        "versions",
        &["--branch-key-id", "cli-tenant", "--json"],
    ))))
    .unwrap();
    let listed: Vec<(&str, bool)> = listed
        .as_array()
        .unwrap()
        .iter()
        .map(|v| (v["version"].as_str().unwrap(), v["active"] == true))
        .collect();
    assert_eq!(
        listed,
        [
            (newest.as_str(), true),
            (new, false),
            (first_version.as_str(), false)
        ]
    );
    let text = stdout(&run(keystore(
        "versions",
        &["--branch-key-id", "cli-tenant"],
    )));
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 3, "{text}");
    assert!(
        lines[0].starts_with(&newest) && lines[0].ends_with("active"),
        "{text}"
    );

    // describe audits every version under the configured key...
    let audit: serde_json::Value = serde_json::from_str(&stdout(&run(keystore(
        "describe",
        &["--branch-key-id", "cli-tenant", "--json"],
    ))))
    .unwrap();
    let versions = audit["versions"].as_array().unwrap();
    assert_eq!(versions.len(), 3);
    for version in versions {
        assert_eq!(version["decrypts"], true, "{version}");
        assert_eq!(version["kms_key_arn"], arn.as_str());
        assert_eq!(version["encryption_context"]["tenant"], "acme");
        assert!(version["create_time"].as_str().unwrap().ends_with('Z'));
    }
    assert_eq!(audit["versions_failing"], 0);
    // ...and shows what does not decrypt under another key.
    let other = create_key().await;
    let audit = run(vec![
        "keystore".to_owned(),
        "describe".to_owned(),
        "--table".to_owned(),
        table.clone(),
        "--kms-key".to_owned(),
        other.clone(),
        "--branch-key-id".to_owned(),
        "cli-tenant".to_owned(),
        "--endpoint-url".to_owned(),
        "ENDPOINT".to_owned(),
    ]);
    let audit = stdout(&audit);
    assert_eq!(audit.matches("DOES NOT DECRYPT").count(), 3, "{audit}");
    assert!(audit.contains("is protected by"), "{audit}");

    // Clear errors: an id that exists, a key that does not.
    let duplicate = run(keystore(
        "create-key",
        &["--branch-key-id", "cli-tenant", "-c", "tenant=acme"],
    ));
    assert_eq!(duplicate.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&duplicate.stderr);
    assert!(
        stderr.contains("branch key \"cli-tenant\" exists already"),
        "{stderr}"
    );
    let missing = run(keystore("versions", &["--branch-key-id", "nobody"]));
    assert_eq!(missing.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&missing.stderr);
    assert!(
        stderr.contains("branch key \"nobody\" not found"),
        "{stderr}"
    );
    let created: serde_json::Value =
        serde_json::from_str(&stdout(&run(keystore("create-key", &["--json"])))).unwrap();
    assert_eq!(created["version"].as_str().unwrap().len(), 36);

    // The old version still decrypts, with the configured key or with discovery.
    for kms in [Some(arn.as_str()), None] {
        let mut decrypt = vec![
            "decrypt",
            "-i",
            "ct",
            "-o",
            "back",
            "--branch-key-id",
            "cli-tenant",
            "--keystore-table",
            table.as_str(),
        ];
        if let Some(kms) = kms {
            decrypt.extend(["--keystore-kms-key", kms]);
        }
        ok(&keyward(&decrypt, &dir));
        assert_eq!(
            std::fs::read(dir.join("back")).unwrap(),
            std::fs::read(dir.join("plain")).unwrap()
        );
    }
    // Half a configuration is an error.
    let half = keyward(
        &[
            "encrypt",
            "-i",
            "plain",
            "-o",
            "no",
            "--branch-key-id",
            "cli-tenant",
        ],
        &dir,
    );
    assert_eq!(half.status.code(), Some(1));
}

/// An asymmetric KMS key of `spec` and `usage`: its ARN and its public key (DER).
async fn create_asymmetric_key(
    spec: aws_sdk_kms::types::KeySpec,
    usage: aws_sdk_kms::types::KeyUsageType,
) -> (String, Vec<u8>) {
    let client = kms_client();
    let output = client
        .create_key()
        .key_spec(spec)
        .key_usage(usage)
        .send()
        .await
        .unwrap();
    let arn = output.key_metadata().unwrap().arn().unwrap().to_owned();
    let public = client.get_public_key().key_id(&arn).send().await.unwrap();
    (arn, public.public_key().unwrap().as_ref().to_vec())
}

#[tokio::test]
async fn kms_rsa_and_kms_ecdh_keys_from_the_command_line() {
    use aws_sdk_kms::types::{KeySpec, KeyUsageType};
    let dir = workdir("cli-kms-asymmetric");
    let plain = std::fs::read(dir.join("plain")).unwrap();

    // RSA: the public key from a file (no KMS call to encrypt) or fetched from KMS.
    let (rsa, rsa_der) =
        create_asymmetric_key(KeySpec::Rsa3072, KeyUsageType::EncryptDecrypt).await;
    std::fs::write(dir.join("rsa.der"), &rsa_der).unwrap();
    let suite = ["--suite", "0x0478"];
    for (out, public) in [("rsa-file.ct", true), ("rsa-fetched.ct", false)] {
        let mut args = vec![
            "encrypt",
            "--kms-rsa-key",
            rsa.as_str(),
            "-i",
            "plain",
            "-o",
            out,
        ];
        args.extend(suite);
        if public {
            // An unreachable endpoint: encrypting with the public key in hand calls nothing.
            args.extend([
                "--kms-rsa-public-key",
                "rsa.der",
                "--endpoint-url",
                "http://127.0.0.1:9",
            ]);
        }
        ok(&keyward(&args, &dir));
        let decrypted = format!("{out}.plain");
        ok(&keyward(
            &[
                "decrypt",
                "--kms-rsa-key",
                &rsa,
                "-i",
                out,
                "-o",
                &decrypted,
            ],
            &dir,
        ));
        assert_eq!(std::fs::read(dir.join(&decrypted)).unwrap(), plain);
    }
    // The signing suites are refused, with the reason.
    let refused = keyward(
        &[
            "encrypt",
            "--kms-rsa-key",
            &rsa,
            "-i",
            "plain",
            "-o",
            "signed.ct",
        ],
        &dir,
    );
    assert!(!refused.status.success());
    assert!(String::from_utf8_lossy(&refused.stderr).contains("signing"));
    assert!(!dir.join("signed.ct").exists());
    // The other algorithm does not decrypt.
    let wrong = keyward(
        &[
            "decrypt",
            "--kms-rsa-key",
            &rsa,
            "--kms-rsa-algorithm",
            "rsaes-oaep-sha1",
            "-i",
            "rsa-file.ct",
            "-o",
            "wrong",
        ],
        &dir,
    );
    assert!(!wrong.status.success());
    assert!(!dir.join("wrong").exists());

    // ECDH: a static KMS sender to another KMS key's public key; discovery on that key.
    let (sender, _) = create_asymmetric_key(KeySpec::EccNistP384, KeyUsageType::KeyAgreement).await;
    let (recipient, recipient_der) =
        create_asymmetric_key(KeySpec::EccNistP384, KeyUsageType::KeyAgreement).await;
    std::fs::write(dir.join("recipient.der"), &recipient_der).unwrap();
    ok(&keyward(
        &[
            "encrypt",
            "--kms-ecdh-key",
            &sender,
            "--kms-ecdh-curve",
            "p384",
            "--kms-ecdh-recipient-key",
            "recipient.der",
            "-i",
            "plain",
            "-o",
            "ecdh.ct",
            "-c",
            "tenant=acme",
        ],
        &dir,
    ));
    for (out, keys) in [
        (
            "static.plain",
            vec![
                "--kms-ecdh-key",
                sender.as_str(),
                "--kms-ecdh-curve",
                "p384",
                "--kms-ecdh-recipient-key",
                "recipient.der",
            ],
        ),
        (
            "discovery.plain",
            vec![
                "--kms-ecdh-key",
                recipient.as_str(),
                "--kms-ecdh-curve",
                "p384",
            ],
        ),
    ] {
        let mut args = vec!["decrypt", "-i", "ecdh.ct", "-o", out, "-c", "tenant=acme"];
        args.extend(keys);
        ok(&keyward(&args, &dir));
        assert_eq!(std::fs::read(dir.join(out)).unwrap(), plain, "{out}");
    }
    // Discovery never encrypts; a key of another curve is refused when building.
    let refused = keyward(
        &[
            "encrypt",
            "--kms-ecdh-key",
            &recipient,
            "--kms-ecdh-curve",
            "p384",
            "-i",
            "plain",
            "-o",
            "never.ct",
        ],
        &dir,
    );
    assert!(!refused.status.success());
    let refused = keyward(
        &[
            "decrypt",
            "--kms-ecdh-key",
            &recipient,
            "--kms-ecdh-curve",
            "p256",
            "-i",
            "ecdh.ct",
            "-o",
            "never",
        ],
        &dir,
    );
    assert!(!refused.status.success());
    assert!(
        String::from_utf8_lossy(&refused.stderr).contains("curve"),
        "{}",
        String::from_utf8_lossy(&refused.stderr)
    );
}

/// A multi-Region key in `REGION` and its replica in `REPLICA_REGION`: their ARNs.
async fn create_multi_region_key() -> (String, String) {
    let client = kms_client();
    let output = client.create_key().multi_region(true).send().await.unwrap();
    let metadata = output.key_metadata().unwrap();
    let replica = client
        .replicate_key()
        .key_id(metadata.key_id())
        .replica_region(REPLICA_REGION)
        .send()
        .await
        .unwrap();
    (
        metadata.arn().unwrap().to_owned(),
        replica
            .replica_key_metadata()
            .unwrap()
            .arn()
            .unwrap()
            .to_owned(),
    )
}

const REPLICA_REGION: &str = "us-east-1";

#[tokio::test]
async fn a_key_store_on_a_multi_region_key_read_through_its_replica_in_another_region() {
    let dir = workdir("cli-keystore-mrk");
    let (primary, replica) = create_multi_region_key().await;
    let table = format!("cli-mrk-{}", &primary[primary.len() - 12..]);
    let endpoint = endpoint();
    let keystore = |command: &str, extra: &[&str]| {
        let mut args = vec!["keystore", command, "--table", table.as_str()];
        args.extend(extra);
        args.extend(["--endpoint-url", endpoint.as_str()]);
        keyward(&args, &dir)
    };
    ok(&keystore("create", &[]));
    let id = stdout(&keystore(
        "create-key",
        &[
            "--mrk-kms-key",
            &primary,
            "--branch-key-id",
            "mrk-tenant",
            "-c",
            "tenant=acme",
        ],
    ));
    assert_eq!(id, "mrk-tenant");
    // The table stays in us-west-2; its items are read through the replica in us-east-1,
    // as the configured multi-Region key or by multi-Region discovery.
    for kms in [
        ["--mrk-kms-key", replica.as_str()],
        ["--mrk-discovery-region", REPLICA_REGION],
    ] {
        let mut extra = vec![
            "--branch-key-id",
            "mrk-tenant",
            "--json",
            "--kms-region",
            REPLICA_REGION,
        ];
        extra.extend(kms);
        let audit: serde_json::Value =
            serde_json::from_str(&stdout(&keystore("describe", &extra))).unwrap();
        let versions = audit["versions"].as_array().unwrap();
        assert_eq!(versions.len(), 1);
        assert_eq!(versions[0]["decrypts"], true, "{audit}");
        assert_eq!(versions[0]["kms_key_arn"], primary.as_str());
    }
    // A single-Region configuration naming the replica does not accept the primary's items.
    let strict = stdout(&keystore(
        "describe",
        &[
            "--branch-key-id",
            "mrk-tenant",
            "--kms-key",
            &replica,
            "--kms-region",
            REPLICA_REGION,
        ],
    ));
    assert!(strict.contains("DOES NOT DECRYPT"), "{strict}");
    // Only one KMS configuration at a time.
    let both = keystore(
        "describe",
        &["--kms-key", &primary, "--mrk-kms-key", &primary],
    );
    assert_eq!(both.status.code(), Some(2));

    // Messages: written with the primary, read through the replica in its region.
    let mut encrypt = vec![
        "encrypt",
        "-i",
        "plain",
        "-o",
        "ct",
        "--branch-key-id",
        "mrk-tenant",
        "--keystore-table",
        table.as_str(),
        "--keystore-mrk-kms-key",
        primary.as_str(),
    ];
    encrypt.extend(["--endpoint-url", endpoint.as_str()]);
    ok(&keyward(&encrypt, &dir));
    let decrypt = [
        "decrypt",
        "-i",
        "ct",
        "-o",
        "back",
        "--branch-key-id",
        "mrk-tenant",
        "--keystore-table",
        table.as_str(),
        "--keystore-mrk-kms-key",
        replica.as_str(),
        "--keystore-kms-region",
        REPLICA_REGION,
        "--keystore-consistent-reads",
        "--endpoint-url",
        endpoint.as_str(),
    ];
    ok(&keyward(&decrypt, &dir));
    assert_eq!(
        std::fs::read(dir.join("back")).unwrap(),
        std::fs::read(dir.join("plain")).unwrap()
    );
}
