//! keyward's CLI against the official `aws-encryption-cli` (PyPI `aws-encryption-sdk-cli`,
//! pinned in xtask/cli/requirements.txt; `cargo xtask test` installs it and names it in
//! `KEYWARD_AWS_ENCRYPTION_CLI`), both on the same moto KMS, reached by both through
//! `AWS_ENDPOINT_URL`: files and directory trees each way, base64, encryption context checks,
//! `--max-length`, argument files, caching, and metadata records read by one parser.

#![cfg(feature = "moto")]
#![expect(
    clippy::unwrap_used,
    reason = "test fixtures: a failure should stop the test"
)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

#[path = "support/moto.rs"]
mod moto;

use moto::{REGION, create_key, endpoint};

fn official_cli() -> PathBuf {
    std::env::var_os("KEYWARD_AWS_ENCRYPTION_CLI")
        .unwrap_or_else(|| {
            panic!("KEYWARD_AWS_ENCRYPTION_CLI is not set: run the tests with `cargo xtask test`")
        })
        .into()
}

/// Which command line.
#[derive(Clone, Copy, Debug)]
enum Cli {
    Official,
    Keyward,
}

/// Runs one of the two with the same environment: credentials, region and the moto endpoint
/// from the environment, no profile files, no instance metadata.
fn run(cli: Cli, args: &[&str], dir: &Path) -> Output {
    let mut command = match cli {
        Cli::Official => Command::new(official_cli()),
        Cli::Keyward => Command::new(env!("CARGO_BIN_EXE_keyward")),
    };
    command
        .args(args)
        .current_dir(dir)
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", dir)
        .env("AWS_ACCESS_KEY_ID", "keyward-test")
        .env("AWS_SECRET_ACCESS_KEY", "keyward-test")
        .env("AWS_DEFAULT_REGION", REGION)
        .env("AWS_REGION", REGION)
        .env("AWS_ENDPOINT_URL", endpoint())
        .env("AWS_CONFIG_FILE", dir.join("no-config"))
        .env("AWS_SHARED_CREDENTIALS_FILE", dir.join("no-credentials"))
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .output()
        .unwrap()
}

#[track_caller]
fn ok(cli: Cli, args: &[&str], dir: &Path) -> Output {
    let output = run(cli, args, dir);
    assert!(
        output.status.success(),
        "{cli:?} {args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    output
}

fn workdir(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("official-{name}"));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("meta")).unwrap();
    // Empty AWS configuration files: the two read nothing from them.
    std::fs::write(dir.join("no-config"), "").unwrap();
    std::fs::write(dir.join("no-credentials"), "").unwrap();
    dir
}

/// Plaintexts of the sizes that matter: empty, one byte, a frame, a frame and a byte, many
/// frames; text and binary.
fn plaintexts() -> Vec<(&'static str, Vec<u8>)> {
    let binary: Vec<u8> = (0..100_000u32)
        .map(|i| u8::try_from((i * 31 + i / 7) % 256).unwrap())
        .collect();
    vec![
        ("empty", Vec::new()),
        ("one", b"x".to_vec()),
        ("frame", vec![b'f'; 4096]),
        ("frame-and-one", vec![b'g'; 4097]),
        ("many-frames", binary),
    ]
}

/// The metadata records of a file: one JSON object per line.
fn records(path: &Path) -> Vec<Value> {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect()
}

/// A record without the fields that name files (which differ between the two runs).
fn without_paths(line: &str) -> Value {
    let mut record: Value = serde_json::from_str(line).unwrap();
    let fields = record.as_object_mut().unwrap();
    assert!(fields.remove("input").is_some(), "{line}");
    assert!(fields.remove("output").is_some(), "{line}");
    record
}

fn other(cli: Cli) -> Cli {
    match cli {
        Cli::Official => Cli::Keyward,
        Cli::Keyward => Cli::Official,
    }
}

#[tokio::test]
async fn files_both_ways_binary_and_base64_with_identical_decrypt_records() {
    let dir = workdir("files");
    let arn = create_key().await;
    let mut exchanged = 0;
    for writer in [Cli::Official, Cli::Keyward] {
        let reader = other(writer);
        for (name, plaintext) in plaintexts() {
            std::fs::write(dir.join(name), &plaintext).unwrap();
            for encode in [false, true] {
                let message = format!("{name}-{writer:?}-{encode}.msg");
                let mut args = vec!["-e", "-i", name, "-o", &message, "-w"];
                let key = format!("key={arn}");
                args.push(&key);
                args.extend(["-c", "purpose=interop", "-S"]);
                if encode {
                    args.push("--encode");
                }
                ok(writer, &args, &dir);
                if encode {
                    let text = std::fs::read_to_string(dir.join(&message)).unwrap();
                    assert!(
                        text.bytes()
                            .all(|b| b.is_ascii_alphanumeric() || b"+/=".contains(&b)),
                        "{writer:?} --encode wrote other than base64"
                    );
                }
                // Both decrypt it; the two records of the same message are the same line but
                // for the file names.
                let mut lines = Vec::new();
                for cli in [reader, writer] {
                    let out = format!("{message}.{cli:?}.out");
                    let meta = format!("{message}.{cli:?}.meta");
                    let mut args = vec!["-d", "-i", &message, "-o", &out, "-w", &key];
                    args.extend(["-c", "purpose=interop", "--metadata-output", &meta]);
                    if encode {
                        args.push("--decode");
                    }
                    ok(cli, &args, &dir);
                    assert_eq!(
                        std::fs::read(dir.join(&out)).unwrap(),
                        plaintext,
                        "{writer:?} -> {cli:?}: {message}"
                    );
                    let text = std::fs::read_to_string(dir.join(&meta)).unwrap();
                    assert_eq!(text.lines().count(), 1, "{text}");
                    lines.push(text.trim_end().to_owned());
                }
                let (a, b) = (&lines[0], &lines[1]);
                assert_eq!(without_paths(a), without_paths(b));
                // Byte for byte, once the file names are equal too.
                let strip =
                    |line: &str, cli: Cli| line.replace(&format!("{message}.{cli:?}.out"), "OUT");
                assert_eq!(strip(a, reader), strip(b, writer));
                exchanged += 1;
            }
        }
    }
    assert_eq!(exchanged, 20);
}

#[tokio::test]
async fn directory_trees_with_recursive_and_suffixes() {
    let dir = workdir("trees");
    let arn = create_key().await;
    let key = format!("key={arn}");
    let tree: BTreeMap<&str, Vec<u8>> = [
        ("top.txt", b"top".to_vec()),
        ("a/one.txt", b"one".repeat(3000)),
        ("a/b/two.bin", (0..=255u8).collect()),
        ("a/b/c/empty", Vec::new()),
    ]
    .into();
    for (path, bytes) in &tree {
        let path = dir.join("plain").join(path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, bytes).unwrap();
    }
    for writer in [Cli::Official, Cli::Keyward] {
        let reader = other(writer);
        let enc = format!("enc-{writer:?}");
        let dec = format!("dec-{writer:?}");
        std::fs::create_dir_all(dir.join(&enc)).unwrap();
        std::fs::create_dir_all(dir.join(&dec)).unwrap();
        let meta = format!("meta/{enc}");
        ok(
            writer,
            &[
                "-e",
                "-r",
                "-i",
                "plain",
                "-o",
                &enc,
                "-w",
                &key,
                "--metadata-output",
                &meta,
            ],
            &dir,
        );
        // Every file, under the same relative path with the official suffix.
        for path in tree.keys() {
            assert!(
                dir.join(&enc).join(format!("{path}.encrypted")).is_file(),
                "{writer:?} wrote no {path}.encrypted"
            );
        }
        let written = records(&dir.join(&meta));
        assert_eq!(written.len(), tree.len());
        assert!(written.iter().all(|r| r["mode"] == "encrypt"));
        // The other one decrypts the tree, with --suffix alone (no suffix): the names are
        // the encrypted ones.
        ok(
            reader,
            &[
                "-d", "-R", "-i", &enc, "-o", &dec, "-w", &key, "--suffix", "-S",
            ],
            &dir,
        );
        for (path, bytes) in &tree {
            let out = dir.join(&dec).join(format!("{path}.encrypted"));
            assert_eq!(&std::fs::read(&out).unwrap(), bytes, "{reader:?}: {path}");
        }
        // And with a suffix of its own.
        let dec2 = format!("dec2-{writer:?}");
        std::fs::create_dir_all(dir.join(&dec2)).unwrap();
        ok(
            reader,
            &[
                "-d", "-r", "-i", &enc, "-o", &dec2, "-w", &key, "--suffix", ".plain", "-S",
            ],
            &dir,
        );
        for path in tree.keys() {
            assert!(
                dir.join(&dec2)
                    .join(format!("{path}.encrypted.plain"))
                    .is_file()
            );
        }
    }
}

#[tokio::test]
async fn encryption_context_requirements_agree() {
    let dir = workdir("context");
    let arn = create_key().await;
    let key = format!("key={arn}");
    std::fs::write(dir.join("plain"), b"context matters").unwrap();
    for writer in [Cli::Official, Cli::Keyward] {
        let message = format!("{writer:?}.msg");
        ok(
            writer,
            &[
                "-e", "-i", "plain", "-o", &message, "-w", &key, "-c", "dept=eng", "proj=x", "-S",
            ],
            &dir,
        );
        for reader in [Cli::Official, Cli::Keyward] {
            let tag = format!("{writer:?}-{reader:?}");
            // Pairs and keys it carries: decrypted.
            for required in [&["dept=eng"][..], &["dept"], &["dept", "proj=x"]] {
                let out = format!("{tag}-{}.out", required.join("+"));
                let mut args = vec!["-d", "-i", &message, "-o", &out, "-w", &key, "-S", "-c"];
                args.extend(required);
                ok(reader, &args, &dir);
                assert_eq!(std::fs::read(dir.join(&out)).unwrap(), b"context matters");
            }
            // A key it lacks, or a value it contradicts: skipped, no output, and a record
            // saying what is missing.
            for (required, missing_keys, missing_pairs) in [
                ("zz", vec!["zz"], vec![]),
                ("dept=ops", vec![], vec![("dept", "ops")]),
            ] {
                let out = format!("{tag}-{required}.out");
                let meta = format!("{tag}-{required}.meta");
                let output = run(
                    reader,
                    &[
                        "-d",
                        "-i",
                        &message,
                        "-o",
                        &out,
                        "-w",
                        &key,
                        "-c",
                        required,
                        "--metadata-output",
                        &meta,
                    ],
                    &dir,
                );
                match reader {
                    // aws-encryption-cli reports a skip as success; keyward fails.
                    Cli::Official => assert!(output.status.success()),
                    Cli::Keyward => {
                        assert!(!output.status.success());
                        let stderr = String::from_utf8_lossy(&output.stderr);
                        assert_eq!(stderr.lines().count(), 1, "{stderr}");
                        assert!(stderr.contains("lacks"), "{stderr}");
                    }
                }
                assert!(!dir.join(&out).exists(), "{tag}: {required} wrote output");
                let record = &records(&dir.join(&meta))[0];
                assert_eq!(record["skipped"], true);
                assert_eq!(record["reason"], "Missing encryption context key or value");
                assert_eq!(
                    record["missing_encryption_context_keys"],
                    serde_json::json!(missing_keys)
                );
                let pairs: Vec<Value> = missing_pairs
                    .iter()
                    .map(|(k, v)| serde_json::json!([k, v]))
                    .collect();
                assert_eq!(
                    record["missing_encryption_context_pairs"],
                    Value::Array(pairs)
                );
            }
        }
    }
}

#[tokio::test]
async fn max_length_bounds_frames_both_ways() {
    let dir = workdir("max-length");
    let arn = create_key().await;
    let key = format!("key={arn}");
    std::fs::write(dir.join("plain"), vec![b'm'; 20_000]).unwrap();
    // keyward writes framed messages only; it reads the official non-framed ones.
    let written = [
        (Cli::Official, "8192", "framed"),
        (Cli::Official, "0", "non-framed"),
        (Cli::Keyward, "8192", "framed"),
    ];
    for (writer, frame, what) in written {
        {
            let message = format!("{writer:?}-{what}.msg");
            let mut args = vec!["-e", "-i", "plain", "-o", &message, "-w", &key, "-S"];
            args.extend(["--frame-length", frame]);
            if frame == "0" {
                // Non-framed messages are written by the version 1 suites only.
                args.extend([
                    "--commitment-policy",
                    "forbid-encrypt-allow-decrypt",
                    "--algorithm",
                    "AES_256_GCM_IV12_TAG16_HKDF_SHA256",
                ]);
            }
            ok(writer, &args, &dir);
            let limit_ok = if frame == "0" { "20000" } else { "8192" };
            for reader in [Cli::Official, Cli::Keyward] {
                let policy = ["--commitment-policy", "require-encrypt-allow-decrypt"];
                let out = format!("{writer:?}-{what}-{reader:?}");
                let mut refused = vec!["-d", "-i", &message, "-o", &out, "-w", &key, "-S"];
                refused.extend(policy);
                refused.extend(["--max-length", "4096"]);
                let output = run(reader, &refused, &dir);
                assert!(
                    !output.status.success(),
                    "{out}: --max-length 4096 accepted"
                );
                assert!(!dir.join(&out).exists(), "{out}: output left behind");
                let mut accepted = vec!["-d", "-i", &message, "-o", &out, "-w", &key, "-S"];
                accepted.extend(policy);
                accepted.extend(["--max-length", limit_ok]);
                ok(reader, &accepted, &dir);
                assert_eq!(std::fs::read(dir.join(&out)).unwrap(), vec![b'm'; 20_000]);
            }
        }
    }
    // A non-framed message keyward does not write: one line saying so, and no output.
    let refused = run(
        Cli::Keyward,
        &[
            "-e",
            "-i",
            "plain",
            "-o",
            "nf",
            "-w",
            &key,
            "--frame-length",
            "0",
        ],
        &dir,
    );
    assert!(!refused.status.success());
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(stderr.contains("non-framed"), "{stderr}");
    assert!(!dir.join("nf").exists());
}
#[tokio::test]
async fn one_argument_file_drives_both_and_records_append() {
    let dir = workdir("argfile");
    let arn = create_key().await;
    std::fs::write(dir.join("plain"), b"configured once").unwrap();
    std::fs::write(
        dir.join("encrypt.conf"),
        format!(
            "# what both command lines share\n--wrapping-keys key={arn}\n--encode\n\
             --encryption-context \"team=data platform\" stage=prod\n--metadata-output $HOME/all.meta\n"
        ),
    )
    .unwrap();
    std::fs::write(
        dir.join("decrypt.conf"),
        "--wrapping-keys discovery=true\n--decode\n-c team stage=prod\n-S\n",
    )
    .unwrap();
    for writer in [Cli::Official, Cli::Keyward] {
        let message = format!("{writer:?}.b64");
        ok(
            writer,
            &["--encrypt", "@encrypt.conf", "-i", "plain", "-o", &message],
            &dir,
        );
        let reader = other(writer);
        let out = format!("{writer:?}.out");
        ok(
            reader,
            &["--decrypt", "@decrypt.conf", "-i", &message, "-o", &out],
            &dir,
        );
        assert_eq!(std::fs::read(dir.join(&out)).unwrap(), b"configured once");
    }
    // Both appended to the same metadata file, one line each, with the context as given.
    let written = records(&dir.join("all.meta"));
    assert_eq!(written.len(), 2);
    for record in &written {
        assert_eq!(record["mode"], "encrypt");
        assert_eq!(
            record["header"]["encryption_context"]["team"],
            "data platform"
        );
        assert_eq!(
            record["header"]["algorithm"],
            "AES_256_GCM_HKDF_SHA512_COMMIT_KEY_ECDSA_P384"
        );
    }
}

#[tokio::test]
async fn caching_reuses_data_keys_across_files_both_ways() {
    let dir = workdir("caching");
    let arn = create_key().await;
    let key = format!("key={arn}");
    std::fs::create_dir_all(dir.join("plain")).unwrap();
    for i in 0..5 {
        std::fs::write(dir.join("plain").join(format!("f{i}")), format!("file {i}")).unwrap();
    }
    for writer in [Cli::Official, Cli::Keyward] {
        let enc = format!("enc-{writer:?}");
        std::fs::create_dir_all(dir.join(&enc)).unwrap();
        let meta = format!("meta/{enc}");
        ok(
            writer,
            &[
                "-e",
                "-r",
                "-i",
                "plain",
                "-o",
                &enc,
                "-w",
                &key,
                "--metadata-output",
                &meta,
                "--caching",
                "capacity=10",
                "max_age=60",
                "max_messages_encrypted=2",
            ],
            &dir,
        );
        // Five messages, two per data key: three distinct encrypted data keys.
        let mut data_keys: Vec<String> = records(&dir.join(&meta))
            .iter()
            .map(|r| r["header"]["encrypted_data_keys"][0]["encrypted_data_key"].to_string())
            .collect();
        assert_eq!(data_keys.len(), 5);
        data_keys.sort();
        data_keys.dedup();
        assert_eq!(data_keys.len(), 3, "{writer:?}");
        let dec = format!("dec-{writer:?}");
        std::fs::create_dir_all(dir.join(&dec)).unwrap();
        ok(
            other(writer),
            &["-d", "-r", "-i", &enc, "-o", &dec, "-w", &key, "-S"],
            &dir,
        );
        for i in 0..5 {
            let out = dir.join(&dec).join(format!("f{i}.encrypted.decrypted"));
            assert_eq!(std::fs::read_to_string(out).unwrap(), format!("file {i}"));
        }
    }
}
