//! Runs the test-vector sets and prints `SET: N passed, M failed, K skipped` per set and in
//! total. Exits non-zero when any vector failed.
//!
//! Usage:
//! - `keyward-vectors [--root DIR] [--verbose] [--markdown FILE] [SET …]`: the sets of
//!   `shared/test-vectors`; `--markdown` writes the report as the compatibility document;
//! - `keyward-vectors decrypt --manifest PATH [--no-net-retry] [--expect-failure]`: any
//!   `awses-decrypt` manifest (versions 1 to 5);
//! - `keyward-vectors encrypt --manifest PATH --out DIR`: any `awses-encrypt` manifest, written
//!   as an `awses-decrypt` v5 set in DIR, which is then decrypted.

#![expect(clippy::print_stdout, reason = "a command-line report")]

use std::path::PathBuf;
use std::process::ExitCode;

use keyward_tests::decrypt::DecryptRun;
use keyward_tests::skips::Skips;
use keyward_tests::vectors::{SETS, SetReport, default_root, run_set};

fn main() -> ExitCode {
    match run() {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::from(2)
        }
    }
}

fn run() -> anyhow::Result<bool> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("decrypt") => return manifest_command(&args[1..], false),
        Some("encrypt") => return manifest_command(&args[1..], true),
        _ => {}
    }
    let mut root = default_root();
    let mut verbose = false;
    let mut markdown = None;
    let mut sets = Vec::new();
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--root" => {
                root = PathBuf::from(
                    args.next()
                        .ok_or_else(|| anyhow::anyhow!("--root needs a directory"))?,
                )
            }
            "--verbose" | "-v" => verbose = true,
            "--markdown" => {
                markdown = Some(PathBuf::from(
                    args.next()
                        .ok_or_else(|| anyhow::anyhow!("--markdown needs a file"))?,
                ));
            }
            set => sets.push(set.to_owned()),
        }
    }
    if sets.is_empty() {
        sets = SETS.iter().map(|s| (*s).to_owned()).collect();
    }
    let mut total = SetReport::new("total");
    let mut reports = Vec::new();
    for set in &sets {
        for report in run_set(&root, set)? {
            for (id, reason) in &report.failures {
                println!("FAIL {} {id}: {reason}", report.name);
            }
            if verbose {
                for (id, reason) in &report.skipped {
                    println!("skip {} {id}: {reason}", report.name);
                }
            }
            println!("{report}");
            total.passed += report.passed;
            total.failures.extend(report.failures.iter().cloned());
            total.skipped.extend(report.skipped.iter().cloned());
            reports.push(report);
        }
    }
    println!("{total}");
    if let Some(path) = markdown {
        std::fs::write(&path, document(&reports, &total))?;
        println!("wrote {}", path.display());
    }
    Ok(total.failures.is_empty())
}

/// The compatibility document: the figures per set and every skip with its reason.
fn document(reports: &[SetReport], total: &SetReport) -> String {
    let mut out = String::from(
        "# Compatibility\n\n\
         Written by `cargo xtask vectors --write` from the official test vectors in\n\
         `../shared/test-vectors` (read in place, never copied). The `commitment-kats`,\n\
         `decrypt-oracle`, `headers/*` and `decrypt/*` figures come from messages written by\n\
         other implementations (Python, Java, C, JavaScript, .NET and the Dafny-based SDKs),\n\
         not from round trips through keyward. The `encrypt/*` figures show keyward writing\n\
         sets in the framework's format for other implementations to decrypt.\n\n\
         | set | passed | failed | skipped |\n|---|---|---|---|\n",
    );
    for report in reports.iter().chain([total]) {
        out.push_str(&format!(
            "| {} | {} | {} | {} |\n",
            report.name,
            report.passed,
            report.failures.len(),
            report.skipped.len()
        ));
    }
    out.push_str(
        "\n## What each set checks\n\n\
         - `commitment-kats`: the 46 \"Message Format V2\" known answers shipped with the Python,\n  \
         Java and C SDKs (messages by JavaScript, C, Python and Java, and hand-built edge cases).\n  \
         Each is decrypted with its published data key: 41 must decrypt to the published\n  \
         plaintext with the published commitment, 5 must fail on the key-commitment check.\n\
         - `decrypt-oracle`: the Python decrypt-oracle messages whose data key is known (`null`\n  \
         and `test_counting` key providers), one per suite from 0x0014 to 0x0378, framed and\n  \
         non-framed.\n\
         - `headers/*`: every ciphertext of every published decrypt set: its header parses, a body\n  \
         follows, and the suite agrees with the manifest where the manifest names it. Their\n  \
         bodies need the keyrings (raw AES, raw RSA, multi, required context, hierarchy; the\n  \
         rest need real AWS KMS keys).\n\
         - `decrypt/*`: every published decrypt set through the `Client` with keyward's\n  \
         keyrings and managers, whole-buffer and streaming, compared with the published\n  \
         plaintext. `invalid-Net-4.0.0` runs twice: it must fail with the ESDK-NET 4.0.0 retry\n  \
         off and decrypt with it on.\n\
         - `encrypt/*`: the Dafny ESDK's v5 encrypt manifest and the framework's canonical v2\n  \
         manifest, every offline scenario encrypted by keyward into a complete `awses-decrypt`\n  \
         v5 set (`target/vectors/`), which is then decrypted in full. Another implementation's\n  \
         runner can decrypt the same folder; `cargo xtask vectors encrypt --manifest PATH --out\n  \
         DIR` writes one anywhere.\n\
         - `mpl/*`: the MPL's keyring test vectors (`manifests/mpl/test.json`), one report per\n  \
         kind of encrypt key description: materials for the suite, context, required keys and\n  \
         plaintext length from the described keyring or manager, then decrypt materials with\n  \
         the described one (the same data key and required keys back), or the failure a negative\n  \
         test expects. `caching-cmm` tests run keyward's caching manager with the MPL's\n  \
         partition and legacy identifiers over a test cache that checks every identifier it is\n  \
         given against the manifest, byte for byte, and that a lookup hits exactly when the\n  \
         limits admit the cached entry (10 s old, 10 messages, 10 bytes).\n",
    );
    if !total.skipped.is_empty() {
        out.push_str(
            "\n## Skipped vectors\n\nEvery skip comes from `tests/vectors-skip.toml` (or, for the\n\
             encrypt manifests' non-framed scenarios, from the rule that writers never produce a\n\
             non-framed body). `cargo xtask vectors --verbose` lists them one by one.\n\n\
             | set | reason | vectors |\n|---|---|---|\n",
        );
        for report in reports {
            let mut reasons: std::collections::BTreeMap<&str, usize> =
                std::collections::BTreeMap::new();
            for (_, reason) in &report.skipped {
                *reasons.entry(reason.as_str()).or_default() += 1;
            }
            for (reason, count) in reasons {
                out.push_str(&format!("| {} | {reason} | {count} |\n", report.name));
            }
        }
    }
    let kms_headers: Vec<(&str, usize)> = reports
        .iter()
        .filter(|report| report.kms_headers_checked > 0)
        .map(|report| (report.name.as_str(), report.kms_headers_checked))
        .collect();
    if !kms_headers.is_empty() {
        out.push_str(
            "\n## AWS KMS\n\nThe public AWS KMS vectors were written with keys in real AWS accounts, so\n\
             they stay skipped here. Each positive one is still read: its header parses and every\n\
             AWS KMS encrypted data key has its keyring's layout (`aws-kms` and `aws-kms-rsa`\n\
             name a key ARN, an RSA ciphertext is one 2048- to 4096-bit modulus; `aws-kms-ecdh`\n\
             is version 1 with two points on one curve and a nonce, commitment key, data key and\n\
             tag, as the raw ECDH keyring writes it).\n\n\
             | set | KMS headers checked |\n|---|---|\n",
        );
        for (name, count) in kms_headers {
            out.push_str(&format!("| {name} | {count} |\n"));
        }
    }
    out.push_str(KMS_LOCAL);
    out
}

/// How the KMS keyrings are tested locally, and what the local KMS cannot show.
const KMS_LOCAL: &str = "
The KMS keyrings themselves run against moto server 5.2.5, which `cargo xtask test` installs
into `target/moto-venv` and starts on a loopback port (`tests/tests/kms.rs`,
`crates/keyward-cli/tests/cli_kms.rs`): strict, discovery (with and without a filter),
multi-Region-key aware strict and discovery keyrings, multi-region constructors, KMS inside
multi-keyrings, wrong contexts, unknown keys, and caching over KMS counted call by call.
Where moto differs from AWS KMS:

| moto 5.2.5 | how the rule is covered |
|---|---|
| Key ids are written into a fixed 36-byte field of moto's ciphertext blobs; multi-Region key ids (`mrk-` + UUID) are 40 bytes, so nothing encrypted under one decrypts. | The test command starts moto through `xtask/moto/serve.py`, which widens that field to 40 bytes (NUL-padded, stripped on reading) inside the server process only. The MRK tests then decrypt through real replicas in other regions. The MRK matching rules are also tested as pure functions of ARNs (`crates/keyward-kms/src/arn/tests.rs`). |
| `Decrypt` with the wrong `KeyId` answers `AccessDeniedException` where KMS answers `IncorrectKeyException`. | The keyrings never depend on the error code: any failed attempt is collected and the next EDK is tried. Tests assert a typed `Kms { operation: Decrypt, .. }` error, not the code. |
| Grant tokens are accepted unchecked. | Tests show they are configured and sent; their effect needs AWS KMS. |
| The encryption context is bound as the concatenation of sorted keys and values, so `{ab: c}` and `{a: bc}` collide. | Wrong-context tests change a value; the keyring passes the materials' context to KMS unchanged. |
| It never answers with a wrong key id or a short plaintext. | An SDK interceptor in the tests rewrites moto's responses, to show the keyrings' checks of the response key id and the plaintext length. |
| `Encrypt`/`Decrypt` ignore `EncryptionAlgorithm`: what an RSA key's public key encrypted cannot be decrypted. | `xtask/moto/serve.py` encrypts `RSAES_OAEP_SHA_1`/`RSAES_OAEP_SHA_256` with the key's public key and decrypts with its real RSA private key (raw OAEP blocks, as a local encryption with `GetPublicKey`'s key), with AWS KMS's errors: `InvalidKeyUsageException` for a wrong algorithm or usage, `InvalidCiphertextException` for what the key does not decrypt, `IncorrectKeyException` when another RSA key of the region does, `ValidationException` without a `KeyId`. Symmetric keys keep moto's behaviour. |
| No `DeriveSharedSecret`. | The launcher adds it: ECDH of the key's real EC private key with the request's public key, the x-coordinate returned; `KEY_AGREEMENT` keys on P-256/384/521 only, the peer on the same curve. |
| `CreateKey` stores any `KeyUsage`, none included, and gives symmetric and HMAC keys an unused RSA key pair. | The launcher makes a missing usage `ENCRYPT_DECRYPT`, refuses the spec and usage pairs AWS KMS refuses (`ValidationException`) and keeps `KEY_AGREEMENT` on ECC keys for `DeriveSharedSecret`; symmetric and HMAC keys get no key pair. |
| `GetPublicKey` names the key by id, not ARN, lacks `KeySpec` and key-agreement algorithms, and answers for symmetric keys. | The launcher answers with the ARN, `KeySpec`, the algorithms of the key's usage, and `UnsupportedOperationException` for symmetric keys. |

The AWS KMS RSA and AWS KMS ECDH keyrings run against that launcher
(`tests/tests/kms_asymmetric.rs`: RSA 2048/3072/4096 with both algorithms, every unsigned suite,
the signing suites refused, the context digest, wrong algorithm and foreign keys; ECDH on
P-256, P-384 and P-521, static and discovery schemes, replies from the recipient, messages
crossed with the raw ECDH keyring both ways, wrong curve, usage and missing keys), and are
crossed with the official implementation on the same server (`tests/tests/kms_official.rs`):
the official AWS Encryption SDK for Python 4.0.7 with the official Material Providers Library
1.11.3 (pinned in `xtask/mpl/requirements.txt`, run by `xtask/mpl/cross.py`) decrypts
keyward's messages and writes messages keyward decrypts, for 15 pairings (RSA 2048 SHA-1,
3072 SHA-256, 4096 SHA-256 with a non-committing suite; each curve static-to-discovery and
static-to-static, with and without the sender's public key given, signed and unsigned), and
the encrypted data keys of both carry the same provider id and provider info.

The hierarchical keyring's DynamoDB branch key store runs against moto's DynamoDB and KMS
(`tests/tests/hierarchy.rs`). Its items and their KMS encryption contexts are checked against
the specification by the test itself (each `enc` is decrypted with KMS under a context the test
builds from the item's attributes plus `tablename`), and a branch key written by hand the way
the specification lays it out, as another implementation would write it, is read and used.
The 11 `aws-kms-hierarchy` vectors (static branch keys) decrypt offline.

The command line is crossed with the official `aws-encryption-cli` 4.3.0 (on the Python SDK
3.3.1 it pins; `xtask/cli/requirements.txt`, installed into `target/cli-venv`) on the same moto
KMS, both reaching it through `AWS_ENDPOINT_URL` (`crates/keyward-cli/tests/cli_official.rs`,
6 tests): 23 messages written by the official CLI are read by keyward and 22 written by keyward
are read by the official CLI. Single files of 0, 1, 4,096, 4,097 and 100,000 bytes, binary and
`--encode`/`--decode`, each decrypted by both, whose two metadata records are the same line
byte for byte once the file names agree; directory trees with `-r`/`-R` and the default, empty
and custom `--suffix`; encryption context pairs and keys (`-c KEY`) required on decrypt, the
refusals leaving no output and writing the same skipped record (the official CLI exits 0 on a
skip, keyward 1); `--max-length` against framed and non-framed messages; `--commitment-policy`
and `--algorithm`; `--caching` (five files, two messages per data key: three data keys either
way); and one `@argfile` (comments, quotes, `$HOME`) driving both, appending to one metadata
file. keyward writes no non-framed messages (`--frame-length 0` is refused in one line).

The exchange found that the Python SDK before version 4 (and so the official CLI) refuses a
final frame as long as the frame length, which the specification allows and the Dafny-based
SDKs write: keyward now ends a plaintext that fills its last frame exactly with an empty final
frame, as the Python and C SDKs do, and reads both.
";

/// `decrypt --manifest PATH` and `encrypt --manifest PATH --out DIR`.
fn manifest_command(args: &[String], encrypt: bool) -> anyhow::Result<bool> {
    let mut manifest = None;
    let mut out = None;
    let mut run = DecryptRun::default();
    let mut args = args.iter();
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--manifest" => manifest = args.next().map(PathBuf::from),
            "--out" => out = args.next().map(PathBuf::from),
            "--no-net-retry" => run.net_v4_0_0_retry = false,
            "--expect-failure" => run.expect_failure = true,
            other => anyhow::bail!("unknown argument {other:?}"),
        }
    }
    let manifest = manifest.ok_or_else(|| anyhow::anyhow!("--manifest PATH is required"))?;
    let skips = Skips::load_default()?;
    let mut reports = Vec::new();
    if encrypt {
        let out = out.ok_or_else(|| anyhow::anyhow!("encrypt needs --out DIR"))?;
        reports.push(keyward_tests::encrypt::run_manifest(
            "encrypt", &manifest, &out, &skips,
        )?);
        let written = out.join("manifest.json");
        reports.push(keyward_tests::decrypt::run_manifest(
            "decrypt of the written set",
            &written,
            run,
            &skips,
        )?);
    } else {
        reports.push(keyward_tests::decrypt::run_manifest(
            "decrypt", &manifest, run, &skips,
        )?);
    }
    let mut total = SetReport::new("total");
    for report in reports {
        for (id, reason) in &report.failures {
            println!("FAIL {} {id}: {reason}", report.name);
        }
        println!("{report}");
        total.passed += report.passed;
        total.failures.extend(report.failures);
        total.skipped.extend(report.skipped);
    }
    println!("{total}");
    Ok(total.failures.is_empty())
}
