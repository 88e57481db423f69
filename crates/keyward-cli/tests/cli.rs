//! The `keyward` binary, end to end on files and pipes.

#![expect(
    clippy::unwrap_used,
    reason = "test fixtures: a failure should stop the test"
)]

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

fn keyward(args: &[&str], dir: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_keyward"))
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap()
}

fn workdir(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn setup(name: &str) -> PathBuf {
    let dir = workdir(name);
    assert!(
        keyward(&["generate-key", "--output", "a.key"], &dir)
            .status
            .success()
    );
    assert!(
        keyward(
            &["generate-key", "--output", "b.key", "--bits", "128"],
            &dir
        )
        .status
        .success()
    );
    let plaintext: Vec<u8> = (0..300_000u32).map(|i| (i % 253) as u8).collect();
    std::fs::write(dir.join("plain"), plaintext).unwrap();
    dir
}

#[test]
fn files_round_trip_with_context_and_metadata() {
    let dir = setup("round-trip");
    let encrypt = keyward(
        &[
            "encrypt",
            "--aes-key",
            "a=a.key",
            "--aes-key",
            "b=b.key",
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
    );
    assert!(
        encrypt.status.success(),
        "{}",
        String::from_utf8_lossy(&encrypt.stderr)
    );
    let metadata: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("meta.json")).unwrap()).unwrap();
    // aws-encryption-cli's record: mode, files, and the header with the SDK's suite name.
    assert_eq!(metadata["mode"], "encrypt");
    assert!(metadata["input"].as_str().unwrap().ends_with("/plain"));
    assert!(metadata["output"].as_str().unwrap().ends_with("/ct"));
    let header = &metadata["header"];
    assert_eq!(
        header["algorithm"],
        "AES_256_GCM_HKDF_SHA512_COMMIT_KEY_ECDSA_P384"
    );
    assert_eq!(header["version"], "2.0");
    assert_eq!(header["encryption_context"]["tenant"], "acme");
    assert_eq!(header["encrypted_data_keys"].as_array().unwrap().len(), 2);
    assert_eq!(header["frame_length"], 4096);
    // Either key alone decrypts.
    for key in ["a=a.key", "b=b.key"] {
        let out = format!("out-{}", &key[..1]);
        let decrypt = keyward(
            &[
                "decrypt",
                "--aes-key",
                key,
                "-i",
                "ct",
                "-o",
                &out,
                "-c",
                "tenant=acme",
            ],
            &dir,
        );
        assert!(
            decrypt.status.success(),
            "{}",
            String::from_utf8_lossy(&decrypt.stderr)
        );
        assert_eq!(
            std::fs::read(dir.join(&out)).unwrap(),
            std::fs::read(dir.join("plain")).unwrap()
        );
    }
}

#[test]
fn pipes_round_trip() {
    let dir = setup("pipes");
    let mut encrypt = Command::new(env!("CARGO_BIN_EXE_keyward"))
        .args([
            "encrypt",
            "--aes-key",
            "a=a.key",
            "--suite",
            "0x0478",
            "--frame-length",
            "1000",
        ])
        .current_dir(&dir)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    encrypt
        .stdin
        .take()
        .unwrap()
        .write_all(b"through a pipe")
        .unwrap();
    let ciphertext = encrypt.wait_with_output().unwrap();
    assert!(ciphertext.status.success());
    let mut decrypt = Command::new(env!("CARGO_BIN_EXE_keyward"))
        .args([
            "decrypt",
            "--aes-key",
            "a=a.key",
            "--unsigned-only",
            "--metadata-output",
            "meta.jsonl",
        ])
        .current_dir(&dir)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    decrypt
        .stdin
        .take()
        .unwrap()
        .write_all(&ciphertext.stdout)
        .unwrap();
    let plaintext = decrypt.wait_with_output().unwrap();
    assert!(plaintext.status.success());
    assert_eq!(plaintext.stdout, b"through a pipe");
    let metadata: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("meta.jsonl")).unwrap()).unwrap();
    assert_eq!(metadata["mode"], "decrypt-unsigned");
    assert_eq!(metadata["input"], "<stdin>");
    assert_eq!(metadata["output"], "<stdout>");
    assert_eq!(
        metadata["header"]["algorithm"],
        "AES_256_GCM_HKDF_SHA512_COMMIT_KEY"
    );
    assert_eq!(metadata["header"]["frame_length"], 1000);
    // Metadata and output cannot both go to standard output.
    let both = keyward(
        &["decrypt", "--aes-key", "a=a.key", "--metadata-output", "-"],
        &dir,
    );
    assert!(!both.status.success());
    let stderr = String::from_utf8_lossy(&both.stderr);
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(stderr.contains("standard output"), "{stderr}");
}

#[test]
fn failed_decryption_leaves_no_output_and_one_error_line() {
    let dir = setup("failures");
    assert!(
        keyward(
            &["encrypt", "--aes-key", "a=a.key", "-i", "plain", "-o", "ct"],
            &dir
        )
        .status
        .success()
    );
    let mut tampered = std::fs::read(dir.join("ct")).unwrap();
    let middle = tampered.len() / 2;
    tampered[middle] ^= 1;
    std::fs::write(dir.join("tampered"), tampered).unwrap();
    for (args, what) in [
        (
            vec![
                "decrypt",
                "--aes-key",
                "a=a.key",
                "-i",
                "tampered",
                "-o",
                "out",
            ],
            "authentication failed",
        ),
        (
            vec!["decrypt", "--aes-key", "b=b.key", "-i", "ct", "-o", "out"],
            "unable to decrypt",
        ),
        (
            vec![
                "decrypt",
                "--aes-key",
                "a=a.key",
                "-i",
                "ct",
                "-o",
                "out",
                "--unsigned-only",
            ],
            "signed message refused",
        ),
        (
            vec![
                "decrypt",
                "--aes-key",
                "a=a.key",
                "-i",
                "missing",
                "-o",
                "out",
            ],
            "opening missing",
        ),
    ] {
        let output = keyward(&args, &dir);
        assert_eq!(output.status.code(), Some(1), "{args:?}");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(stderr.lines().count(), 1, "{stderr}");
        assert!(
            stderr.starts_with("keyward: error: ") && stderr.contains(what),
            "{stderr}"
        );
        let leftovers: Vec<_> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n.starts_with("out") || n.contains("partial"))
            .collect();
        assert!(leftovers.is_empty(), "{args:?} left {leftovers:?}");
    }
}

#[cfg(unix)]
#[test]
fn generated_keys_are_private_and_never_overwritten() {
    use std::os::unix::fs::PermissionsExt as _;
    let dir = workdir("keys");
    assert!(
        keyward(&["generate-key", "-o", "k.key"], &dir)
            .status
            .success()
    );
    let mode = std::fs::metadata(dir.join("k.key"))
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o600);
    let key = std::fs::read_to_string(dir.join("k.key")).unwrap();
    assert_eq!(key.trim().len(), 44, "base64 of 32 bytes");
    assert!(
        !keyward(&["generate-key", "-o", "k.key"], &dir)
            .status
            .success()
    );
    assert_eq!(std::fs::read_to_string(dir.join("k.key")).unwrap(), key);
}

#[test]
fn the_demo_runs_offline() {
    let output = keyward(&["demo", "--megabytes", "4"], &workdir("demo"));
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(stdout.contains("0x0578"), "{stdout}");
    assert!(stdout.contains("decrypted 4194304 bytes"), "{stdout}");
    assert!(
        stdout.contains("2000 keyring calls,    0 cache hits"),
        "{stdout}"
    );
    assert!(
        stdout.contains("20 keyring calls, 1980 cache hits"),
        "{stdout}"
    );
}

#[test]
fn batch_encryption_reuses_a_cached_data_key_across_files() {
    let dir = setup("batch");
    for name in ["one", "two", "three"] {
        std::fs::write(dir.join(name), name.repeat(1000)).unwrap();
    }
    std::fs::create_dir_all(dir.join("out")).unwrap();
    let encrypt = keyward(
        &[
            "encrypt",
            "--aes-key",
            "a=a.key",
            "--batch-input",
            "one",
            "--batch-input",
            "two",
            "--batch-input",
            "three",
            "--output-dir",
            "out",
            "--cache-capacity",
            "10",
            "--cache-max-messages",
            "2",
        ],
        &dir,
    );
    assert!(
        encrypt.status.success(),
        "{}",
        String::from_utf8_lossy(&encrypt.stderr)
    );
    let mut infos = Vec::new();
    for name in ["one", "two", "three"] {
        let input = format!("out/{name}.encrypted");
        let decrypt = keyward(
            &[
                "decrypt",
                "--aes-key",
                "a=a.key",
                "-i",
                &input,
                "-o",
                name,
                "--metadata-output",
                "meta.json",
                "--overwrite-metadata",
            ],
            &dir,
        );
        assert!(
            decrypt.status.success(),
            "{}",
            String::from_utf8_lossy(&decrypt.stderr)
        );
        assert_eq!(
            std::fs::read_to_string(dir.join(name)).unwrap(),
            name.repeat(1000)
        );
        let metadata: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(dir.join("meta.json")).unwrap()).unwrap();
        infos.push(
            metadata["header"]["encrypted_data_keys"][0]["key_provider"]["key_info"]
                .as_str()
                .unwrap()
                .to_owned(),
        );
    }
    assert_eq!(infos[0], infos[1], "the first two files share a data key");
    assert_ne!(
        infos[1], infos[2],
        "max messages 2: the third file gets a new one"
    );
}

/// Temporary files beside the output: `.NAME.<32 hex digits>.partial`.
fn partial_files(dir: &Path) -> Vec<PathBuf> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| {
            path.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.ends_with(".partial"))
        })
        .collect()
}

/// A decrypt of standard input that is stopped by a signal while it writes: the temporary
/// output is private, randomly named, and removed; no output appears.
#[cfg(unix)]
#[test]
fn a_signal_during_decryption_leaves_no_plaintext_behind() {
    use std::os::unix::fs::PermissionsExt as _;
    let dir = setup("signals");
    // A large unsigned message, so that the decryptor writes plaintext before the end.
    let big: Vec<u8> = (0..4_000_000u32).map(|i| (i % 251) as u8).collect();
    std::fs::write(dir.join("big"), &big).unwrap();
    let encrypt = keyward(
        &[
            "encrypt",
            "--aes-key",
            "a=a.key",
            "--suite",
            "0x0478",
            "-i",
            "big",
            "-o",
            "big.ct",
        ],
        &dir,
    );
    assert!(encrypt.status.success());
    let message = std::fs::read(dir.join("big.ct")).unwrap();
    for signal in ["INT", "TERM", "HUP"] {
        let mut child = Command::new(env!("CARGO_BIN_EXE_keyward"))
            .args(["decrypt", "--aes-key", "a=a.key", "-i", "-", "-o", "out"])
            .current_dir(&dir)
            .stdin(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut stdin = child.stdin.take().unwrap();
        // Half the message, and keep the pipe open: the decryptor waits for the rest.
        stdin.write_all(&message[..message.len() / 2]).unwrap();
        stdin.flush().unwrap();
        let partial = (0..200)
            .find_map(|_| {
                std::thread::sleep(std::time::Duration::from_millis(25));
                partial_files(&dir).pop()
            })
            .expect("a temporary output appears");
        let name = partial.file_name().unwrap().to_str().unwrap().to_owned();
        let random = name
            .strip_prefix(".out.")
            .and_then(|rest| rest.strip_suffix(".partial"))
            .unwrap();
        assert_eq!(random.len(), 32);
        assert!(random.chars().all(|c| c.is_ascii_hexdigit()));
        let mode = std::fs::metadata(&partial).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "{signal}: mode {mode:o}");
        let status = Command::new("kill")
            .args([&format!("-{signal}"), &child.id().to_string()])
            .status()
            .unwrap();
        assert!(status.success());
        let output = child.wait_with_output().unwrap();
        drop(stdin);
        assert!(!output.status.success(), "{signal}");
        assert!(
            partial_files(&dir).is_empty(),
            "{signal}: a partial file is left"
        );
        assert!(!dir.join("out").exists(), "{signal}: an output appeared");
    }
}

#[test]
fn no_overwrite_keeps_an_existing_output() {
    let dir = setup("no-overwrite");
    std::fs::write(dir.join("ct"), b"precious").unwrap();
    let refused = keyward(
        &[
            "encrypt",
            "--aes-key",
            "a=a.key",
            "-i",
            "plain",
            "-o",
            "ct",
            "--no-overwrite",
        ],
        &dir,
    );
    // As aws-encryption-cli: the input is skipped with a warning, and that is no error.
    assert!(refused.status.success());
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert!(
        stderr.contains("skipped") && stderr.contains("--no-overwrite"),
        "{stderr}"
    );
    assert_eq!(std::fs::read(dir.join("ct")).unwrap(), b"precious");
    assert!(partial_files(&dir).is_empty());
    // Without a terminal (`setsid`: no controlling terminal), --interactive answers no: the
    // file stays, and that is no error.
    let skipped = Command::new("setsid")
        .arg(env!("CARGO_BIN_EXE_keyward"))
        .args(["encrypt", "--aes-key", "a=a.key", "-i", "plain", "-o", "ct"])
        .arg("--interactive")
        .current_dir(&dir)
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert!(
        skipped.status.success(),
        "{}",
        String::from_utf8_lossy(&skipped.stderr)
    );
    assert!(String::from_utf8_lossy(&skipped.stderr).contains("no terminal to ask"));
    assert_eq!(std::fs::read(dir.join("ct")).unwrap(), b"precious");
    // A new output under --interactive is written (nothing to ask about).
    let fresh = keyward(
        &[
            "encrypt",
            "--aes-key",
            "a=a.key",
            "-i",
            "plain",
            "-o",
            "fresh",
            "--interactive",
        ],
        &dir,
    );
    assert!(fresh.status.success());
    assert!(dir.join("fresh").exists());
    assert!(partial_files(&dir).is_empty());
}

#[cfg(unix)]
#[test]
fn a_key_file_readable_by_others_draws_a_warning() {
    use std::os::unix::fs::PermissionsExt as _;
    let dir = setup("key-mode");
    let quiet = keyward(
        &["encrypt", "--aes-key", "a=a.key", "-i", "plain", "-o", "ct"],
        &dir,
    );
    assert!(quiet.status.success());
    assert!(!String::from_utf8_lossy(&quiet.stderr).contains("warning"));
    std::fs::set_permissions(dir.join("a.key"), std::fs::Permissions::from_mode(0o644)).unwrap();
    let loud = keyward(
        &[
            "encrypt",
            "--aes-key",
            "a=a.key",
            "-i",
            "plain",
            "-o",
            "ct2",
        ],
        &dir,
    );
    assert!(loud.status.success());
    let stderr = String::from_utf8_lossy(&loud.stderr);
    assert!(
        stderr.contains("can be read by others (mode 644)"),
        "{stderr}"
    );
}

#[test]
fn max_length_refuses_large_frames_before_decrypting() {
    let dir = setup("max-length");
    let encrypt = keyward(
        &[
            "encrypt",
            "--aes-key",
            "a=a.key",
            "--frame-length",
            "65536",
            "-i",
            "plain",
            "-o",
            "ct",
        ],
        &dir,
    );
    assert!(encrypt.status.success());
    let decrypt = |max: &str| {
        keyward(
            &[
                "decrypt",
                "--aes-key",
                "a=a.key",
                "-i",
                "ct",
                "-o",
                "out",
                "--max-length",
                max,
            ],
            &dir,
        )
    };
    let refused = decrypt("4096");
    assert!(!refused.status.success());
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(stderr.contains("65536-byte parts"), "{stderr}");
    assert!(!dir.join("out").exists());
    assert!(decrypt("65536").status.success());
    assert_eq!(
        std::fs::read(dir.join("out")).unwrap(),
        std::fs::read(dir.join("plain")).unwrap()
    );
}

/// Raw ECDH from the command line: generated key pairs, the static scheme both ways, the
/// ephemeral (public-key-only) sender, the recipient's discovery, and what each cannot do.
#[test]
fn raw_ecdh_keys_between_two_parties() {
    let dir = setup("ecdh");
    for (curve, name) in [("p384", "alice"), ("p384", "bob"), ("p256", "carol")] {
        let generate = keyward(
            &[
                "generate-key",
                "--ecdh",
                curve,
                "--output",
                &format!("{name}.pem"),
                "--public-output",
                &format!("{name}.pub.pem"),
            ],
            &dir,
        );
        assert!(
            generate.status.success(),
            "{}",
            String::from_utf8_lossy(&generate.stderr)
        );
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(dir.join("alice.pem"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    let run = |args: &[&str]| keyward(args, &dir);
    let encrypt = |keys: &[&str], output: &str| {
        let mut args = vec!["encrypt", "-i", "plain", "-o", output];
        args.extend_from_slice(keys);
        run(&args)
    };
    let decrypt = |keys: &[&str], input: &str, output: &str| {
        let mut args = vec!["decrypt", "-i", input, "-o", output];
        args.extend_from_slice(keys);
        run(&args)
    };
    let alice_to_bob = [
        "--ecdh-private-key",
        "alice.pem",
        "--ecdh-recipient-key",
        "bob.pub.pem",
    ];
    let bob_to_alice = [
        "--ecdh-private-key",
        "bob.pem",
        "--ecdh-recipient-key",
        "alice.pub.pem",
    ];
    let bob = ["--ecdh-private-key", "bob.pem"];
    let to_bob = ["--ecdh-recipient-key", "bob.pub.pem"];
    let plain = std::fs::read(dir.join("plain")).unwrap();

    let sent = encrypt(&alice_to_bob, "static.ct");
    assert!(
        sent.status.success(),
        "{}",
        String::from_utf8_lossy(&sent.stderr)
    );
    for (n, keys) in [&alice_to_bob[..], &bob_to_alice[..], &bob[..]]
        .iter()
        .enumerate()
    {
        let out = format!("static-{n}");
        let opened = decrypt(keys, "static.ct", &out);
        assert!(
            opened.status.success(),
            "{}",
            String::from_utf8_lossy(&opened.stderr)
        );
        assert_eq!(std::fs::read(dir.join(&out)).unwrap(), plain);
    }

    let sent = encrypt(&to_bob, "ephemeral.ct");
    assert!(
        sent.status.success(),
        "{}",
        String::from_utf8_lossy(&sent.stderr)
    );
    let opened = decrypt(&bob, "ephemeral.ct", "ephemeral-out");
    assert!(
        opened.status.success(),
        "{}",
        String::from_utf8_lossy(&opened.stderr)
    );
    assert_eq!(std::fs::read(dir.join("ephemeral-out")).unwrap(), plain);
    // Alice's static keyring is not the ephemeral sender's: no key matches, no output.
    let refused = decrypt(&alice_to_bob, "ephemeral.ct", "refused-out");
    assert!(!refused.status.success());
    assert!(!dir.join("refused-out").exists());
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    // A public key alone cannot decrypt; a private key alone cannot encrypt.
    assert!(!decrypt(&to_bob, "ephemeral.ct", "x").status.success());
    assert!(!encrypt(&bob, "x.ct").status.success());
    // Keys of two curves do not pair.
    let mixed = encrypt(
        &[
            "--ecdh-private-key",
            "alice.pem",
            "--ecdh-recipient-key",
            "carol.pub.pem",
        ],
        "mixed.ct",
    );
    assert!(!mixed.status.success());
    let stderr = String::from_utf8_lossy(&mixed.stderr);
    assert!(stderr.contains("curve"), "{stderr}");
}

#[test]
fn version_reports_the_fips_mode_of_the_build() {
    let dir = std::env::temp_dir();
    let output = keyward(&["--version"], &dir);
    assert!(output.status.success());
    let version = String::from_utf8_lossy(&output.stdout);
    assert!(
        version.starts_with(&format!("keyward {}", env!("CARGO_PKG_VERSION"))),
        "{version}"
    );
    let expected = if cfg!(feature = "fips") {
        "FIPS mode: on"
    } else {
        "FIPS mode: off"
    };
    assert!(version.contains(expected), "{version}");
}

#[test]
fn verbose_levels_log_the_cache_to_standard_error() {
    let dir = setup("verbose");
    for name in ["one", "two", "three"] {
        std::fs::write(dir.join(name), name.repeat(1000)).unwrap();
    }
    std::fs::create_dir_all(dir.join("out")).unwrap();
    let run = |verbosity: Option<&str>| {
        let mut args = vec![];
        args.extend(verbosity);
        args.extend([
            "encrypt",
            "--aes-key",
            "a=a.key",
            "--batch-input",
            "one",
            "--batch-input",
            "two",
            "--batch-input",
            "three",
            "--output-dir",
            "out",
            "--cache-capacity",
            "10",
            "--cache-max-messages",
            "2",
        ]);
        let output = keyward(&args, &dir);
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8(output.stderr).unwrap()
    };
    let quiet = run(None);
    assert!(!quiet.contains("cache"), "{quiet}");
    // -v: the retirement at the message limit (info), not the lookups.
    let info = run(Some("-v"));
    assert_eq!(info.matches("INFO").count(), 1, "{info}");
    assert!(info.contains("cached data key retired"), "{info}");
    assert!(!info.contains("DEBUG"), "{info}");
    // -vv: every lookup: miss, hit, then retired and missed again.
    let debug = run(Some("-vv"));
    assert_eq!(debug.matches("data key cache miss").count(), 2, "{debug}");
    assert_eq!(debug.matches("data key cache hit").count(), 1, "{debug}");
    assert!(
        !debug.contains("a.key") && !debug.contains("oneone"),
        "{debug}"
    );
}

#[track_caller]
fn succeeds(output: &Output) -> String {
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stderr).into_owned()
}

#[track_caller]
fn fails_in_one_line(output: &Output, says: &str) {
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(stderr.contains(says), "{stderr}");
}

#[test]
fn directory_trees_in_base64_with_suffixes() {
    let dir = setup("trees");
    let files = [
        ("top", "t".repeat(10)),
        ("a/one", "1".repeat(5000)),
        ("a/b/two", String::new()),
    ];
    for (path, text) in &files {
        let path = dir.join("tree").join(path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }
    std::fs::create_dir_all(dir.join("enc")).unwrap();
    std::fs::create_dir_all(dir.join("dec")).unwrap();
    let key = ["--aes-key", "a=a.key"];
    // A directory needs --recursive; then the tree is mirrored with the default suffix.
    fails_in_one_line(
        &keyward(
            &[&["encrypt", "-i", "tree", "-o", "enc"][..], &key].concat(),
            &dir,
        ),
        "--recursive",
    );
    succeeds(&keyward(
        &[
            &["encrypt", "-r", "-i", "tree", "-o", "enc", "--encode"][..],
            &key,
        ]
        .concat(),
        &dir,
    ));
    for (path, _) in &files {
        let text = std::fs::read(dir.join("enc").join(format!("{path}.encrypted"))).unwrap();
        assert!(
            text.iter()
                .all(|b| b.is_ascii_alphanumeric() || b"+/=".contains(b)),
            "{path}"
        );
    }
    // Decoded and decrypted under the same names (`--suffix` alone: none).
    succeeds(&keyward(
        &[
            &[
                "decrypt", "-R", "-i", "enc", "-o", "dec", "--decode", "--suffix",
            ][..],
            &key,
        ]
        .concat(),
        &dir,
    ));
    for (path, text) in &files {
        let out = dir.join("dec").join(format!("{path}.encrypted"));
        assert_eq!(&std::fs::read_to_string(out).unwrap(), text);
    }
    // A file into a directory: its name and the suffix given.
    succeeds(&keyward(
        &[
            &["encrypt", "-i", "plain", "-o", "enc", "--suffix", ".kw"][..],
            &key,
        ]
        .concat(),
        &dir,
    ));
    assert!(dir.join("enc/plain.kw").is_file());
    // A pattern (quoted: keyward expands it, as aws-encryption-cli does) names several files.
    succeeds(&keyward(
        &[
            &[
                "encrypt", "-i", "tree/*", "-o", "enc", "--suffix", ".glob", "-r",
            ][..],
            &key,
        ]
        .concat(),
        &dir,
    ));
    assert!(dir.join("enc/top.glob").is_file());
    // A directory among them: its tree lands under the output, as its own root.
    assert!(dir.join("enc/one.glob").is_file());
    assert!(dir.join("enc/b/two.glob").is_file());
    fails_in_one_line(
        &keyward(
            &[&["encrypt", "-i", "nothing*", "-o", "enc"][..], &key].concat(),
            &dir,
        ),
        "no file matches",
    );
    // Base64 that is not: one line, no output.
    std::fs::write(dir.join("bad.b64"), "!!!! not base64").unwrap();
    fails_in_one_line(
        &keyward(
            &[
                &["decrypt", "-i", "bad.b64", "-o", "bad.out", "--decode"][..],
                &key,
            ]
            .concat(),
            &dir,
        ),
        "base64",
    );
    assert!(!dir.join("bad.out").exists());
}

#[test]
fn buffer_releases_nothing_of_a_message_that_fails() {
    let dir = setup("buffer");
    let key = ["--aes-key", "a=a.key"];
    succeeds(&keyward(
        &[
            &[
                "encrypt",
                "-i",
                "plain",
                "-o",
                "ct",
                "--frame-length",
                "4096",
            ][..],
            &key,
        ]
        .concat(),
        &dir,
    ));
    // The last byte (the signature) damaged: every frame decrypts, the message fails.
    let mut message = std::fs::read(dir.join("ct")).unwrap();
    *message.last_mut().unwrap() ^= 1;
    std::fs::write(dir.join("bad"), &message).unwrap();
    let buffered = keyward(
        &[&["decrypt", "-i", "bad", "-o", "-", "-b"][..], &key].concat(),
        &dir,
    );
    assert!(!buffered.status.success());
    assert!(
        buffered.stdout.is_empty(),
        "{} bytes released",
        buffered.stdout.len()
    );
    // An honest message through --buffer comes out whole.
    let honest = keyward(
        &[&["decrypt", "-i", "ct", "-o", "-", "--buffer"][..], &key].concat(),
        &dir,
    );
    succeeds(&honest);
    assert_eq!(honest.stdout, std::fs::read(dir.join("plain")).unwrap());
}

#[test]
fn argument_files_official_modes_quiet_and_required_keys() {
    let dir = setup("argfile");
    std::fs::write(
        dir.join("encrypt.conf"),
        "# shared options\n--aes-key a=a.key\n--encryption-context \"team=data platform\" stage=prod\n",
    )
    .unwrap();
    // aws-encryption-cli's form: the mode as an option, the rest from the file.
    succeeds(&keyward(
        &["--encrypt", "@encrypt.conf", "-i", "plain", "-o", "ct"],
        &dir,
    ));
    // Replacing an output warns, unless -q.
    let again = succeeds(&keyward(
        &["-e", "@encrypt.conf", "-i", "plain", "-o", "ct"],
        &dir,
    ));
    assert!(again.contains("replacing"), "{again}");
    let quiet = succeeds(&keyward(
        &["-e", "@encrypt.conf", "-q", "-i", "plain", "-o", "ct"],
        &dir,
    ));
    assert!(quiet.is_empty(), "{quiet}");
    // `-c KEY`: the message must carry the key, with any value.
    succeeds(&keyward(
        &[
            "-d",
            "--aes-key",
            "a=a.key",
            "-c",
            "team",
            "stage=prod",
            "-i",
            "ct",
            "-o",
            "out",
        ],
        &dir,
    ));
    assert_eq!(
        std::fs::read(dir.join("out")).unwrap(),
        std::fs::read(dir.join("plain")).unwrap()
    );
    fails_in_one_line(
        &keyward(
            &[
                "decrypt",
                "--aes-key",
                "a=a.key",
                "-c",
                "owner",
                "-i",
                "ct",
                "-o",
                "out2",
            ],
            &dir,
        ),
        "lacks key \"owner\"",
    );
    assert!(!dir.join("out2").exists());
    fails_in_one_line(&keyward(&["-e", "@missing.conf"], &dir), "missing.conf");
}

#[test]
fn completions_and_man_pages_come_from_the_command_definition() {
    let dir = workdir("completions");
    let bash = keyward(&["completions", "bash"], &dir);
    succeeds(&bash);
    let script = String::from_utf8(bash.stdout).unwrap();
    for word in [
        "encrypt",
        "decrypt",
        "keystore",
        "caching",
        "--wrapping-keys",
        "--encode",
    ] {
        assert!(script.contains(word), "bash completion lacks {word}");
    }
    std::fs::write(dir.join("keyward.bash"), &script).unwrap();
    // The script is valid bash.
    let syntax = Command::new("bash")
        .arg("-n")
        .arg(dir.join("keyward.bash"))
        .output()
        .unwrap();
    succeeds(&syntax);
    for shell in ["zsh", "fish", "powershell", "elvish"] {
        let output = keyward(&["completions", shell], &dir);
        succeeds(&output);
        assert!(
            String::from_utf8_lossy(&output.stdout).contains("keyward"),
            "{shell}"
        );
    }
    succeeds(&keyward(&["man", "pages"], &dir));
    let page = std::fs::read_to_string(dir.join("pages/keyward.1")).unwrap();
    assert!(
        page.starts_with(".ie") || page.contains(".TH keyward"),
        "{page}"
    );
    let encrypt = std::fs::read_to_string(dir.join("pages/keyward-encrypt.1")).unwrap();
    assert!(encrypt.contains("wrapping\\-keys"), "{encrypt}");
    assert!(dir.join("pages/keyward-caching-plan.1").is_file());
}

#[test]
fn caching_plan_reads_a_real_run() {
    let dir = setup("plan");
    let mut args = vec!["encrypt", "--aes-key", "a=a.key", "--output-dir", "out"];
    std::fs::create_dir_all(dir.join("out")).unwrap();
    let names: Vec<String> = (0..6).map(|i| format!("f{i}")).collect();
    for name in &names {
        std::fs::write(dir.join(name), name.repeat(100)).unwrap();
    }
    for name in &names {
        args.extend(["--batch-input", name]);
    }
    args.extend([
        "--cache-capacity",
        "4",
        "--cache-max-messages",
        "2",
        "--cache-stats",
        "stats.json",
    ]);
    succeeds(&keyward(&args, &dir));
    let stats: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("stats.json")).unwrap()).unwrap();
    assert_eq!(stats["messages"], 6);
    assert_eq!(stats["underlying_calls"], 3);
    assert_eq!(stats["bytes"], 6 * 200);
    let report = keyward(&["caching", "plan", "--from-run", "stats.json"], &dir);
    succeeds(&report);
    let text = String::from_utf8(report.stdout).unwrap();
    assert!(
        text.contains("average messages per data key: 6 / 3 = 2"),
        "{text}"
    );
    assert!(text.contains("max messages 2"), "{text}");
    // The rate-limit case from the command line.
    let plan = keyward(
        &["caching", "plan", "--tps", "1000", "--rate-limit", "100"],
        &dir,
    );
    succeeds(&plan);
    assert!(
        String::from_utf8(plan.stdout)
            .unwrap()
            .contains("max messages per data key: 10")
    );
    fails_in_one_line(&keyward(&["caching", "plan", "--tps=-3"], &dir), "tps");
}

/// Runs `script` in a detached tmux session of its own (a real terminal, 120 × 20) until it
/// prints `DONE`; returns what the terminal shows.
fn in_terminal(dir: &Path, script: &str) -> String {
    let socket = format!("keyward-test-{}", std::process::id());
    let tmux = |args: &[&str]| {
        Command::new("tmux")
            .args(["-L", &socket])
            .args(args)
            .current_dir(dir)
            .output()
            .unwrap_or_else(|error| panic!("tmux is needed for this test: {error}"))
    };
    succeeds(&tmux(&[
        "new-session",
        "-d",
        "-s",
        "t",
        "-x",
        "120",
        "-y",
        "20",
        script,
    ]));
    let mut screen = String::new();
    for _ in 0..600 {
        std::thread::sleep(std::time::Duration::from_millis(100));
        let captured = tmux(&["capture-pane", "-p", "-t", "t"]);
        screen = String::from_utf8_lossy(&captured.stdout).into_owned();
        if screen.contains("DONE") {
            break;
        }
    }
    tmux(&["kill-server"]);
    assert!(
        screen.contains("DONE"),
        "the command did not finish: {screen}"
    );
    screen
}

#[test]
fn a_progress_bar_in_a_terminal_and_nothing_otherwise() {
    let dir = setup("progress");
    std::fs::write(dir.join("big"), vec![7u8; 40 << 20]).unwrap();
    let screen = in_terminal(
        &dir,
        &format!(
            "{} encrypt --aes-key a=a.key -i big -o big.ct; echo DONE; sleep 60",
            env!("CARGO_BIN_EXE_keyward")
        ),
    );
    // The finished bar: all 40 MiB done.
    assert!(screen.contains("40.00 MiB/40.00 MiB"), "{screen}");
    assert!(dir.join("big.ct").is_file());
    // Not a terminal: no bar.
    let piped = keyward(
        &[
            "encrypt",
            "--aes-key",
            "a=a.key",
            "-i",
            "big",
            "-o",
            "big2.ct",
        ],
        &dir,
    );
    let stderr = succeeds(&piped);
    assert!(stderr.is_empty(), "{stderr}");
}

#[test]
fn the_thread_cap_changes_nothing_but_the_speed() {
    let dir = setup("threads");
    std::fs::write(dir.join("big"), vec![3u8; 3 << 20]).unwrap();
    let key = ["--aes-key", "a=a.key"];
    for (write, read) in [("1", "2"), ("2", "1")] {
        let ct = format!("big.{write}");
        let out = format!("big.{write}.out");
        succeeds(&keyward(
            &[
                &["encrypt", "-i", "big", "-o", &ct, "--threads", write][..],
                &key,
            ]
            .concat(),
            &dir,
        ));
        succeeds(&keyward(
            &[
                &["decrypt", "-i", &ct, "-o", &out, "--threads", read][..],
                &key,
            ]
            .concat(),
            &dir,
        ));
        assert!(std::fs::read(dir.join(&out)).unwrap() == vec![3u8; 3 << 20]);
    }
    fails_in_one_line(
        &keyward(
            &[
                &["encrypt", "-i", "big", "-o", "x", "--threads", "0"][..],
                &key,
            ]
            .concat(),
            &dir,
        ),
        "--threads",
    );
}
