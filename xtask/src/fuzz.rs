//! Fuzzing with cargo-fuzz (libFuzzer), on the stable toolchain via `RUSTC_BOOTSTRAP=1`.
//!
//! The corpora are seeded at run time from the test-vector ciphertexts (under
//! `fuzz/corpus/`, which git ignores), never from files committed to the repository.

use std::path::Path;

use anyhow::{Context as _, Result};

use crate::util;

const TARGETS: [&str; 6] = [
    "parse_header",
    "decrypt_message",
    "decrypt_stream",
    "parse_context",
    "parse_item",
    "parse_edk_ciphertext",
];

/// The targets whose corpora start from the vector ciphertexts.
const SEEDED: [&str; 3] = ["parse_header", "decrypt_message", "decrypt_stream"];
const CARGO_FUZZ_VERSION: &str = "0.13.2";

/// `--smoke`: 10 s per target; `--minutes N`: N minutes per target; otherwise 60 s.
pub(crate) fn run(args: &[String]) -> Result<()> {
    let smoke = args.iter().any(|a| a == "--smoke");
    let minutes = args
        .iter()
        .position(|a| a == "--minutes")
        .and_then(|i| args.get(i + 1))
        .map(|n| n.parse::<u64>())
        .transpose()
        .context("--minutes takes a whole number")?;
    let seconds = match (minutes, smoke) {
        (Some(minutes), _) => minutes * 60,
        (None, true) => 10,
        (None, false) => 60,
    };
    util::ensure_tool("cargo-fuzz", "fuzz", "cargo-fuzz", CARGO_FUZZ_VERSION)?;
    let vectors = util::root().join("../shared/test-vectors");
    for target in TARGETS {
        let corpus = util::root().join("fuzz/corpus").join(target);
        std::fs::create_dir_all(&corpus)?;
        if SEEDED.contains(&target) {
            seed(&vectors, &corpus).with_context(|| format!("seeding {target}"))?;
        }
    }
    util::run(util::cargo().env("RUSTC_BOOTSTRAP", "1").args([
        "fuzz",
        "build",
        "--fuzz-dir",
        "fuzz",
    ]))?;
    for target in TARGETS {
        let corpus = format!("fuzz/corpus/{target}");
        util::run(
            util::cargo()
                .env("RUSTC_BOOTSTRAP", "1")
                .args(["fuzz", "run", "--fuzz-dir", "fuzz", target, &corpus, "--"])
                .arg(format!("-max_total_time={seconds}"))
                .args([
                    "-rss_limit_mb=4096",
                    "-max_len=65536",
                    "-print_final_stats=1",
                ]),
        )?;
    }
    Ok(())
}

/// Copies every vector ciphertext, and the base64 ciphertexts of the known-answer files, into
/// the corpus.
fn seed(vectors: &Path, corpus: &Path) -> Result<()> {
    if !vectors.is_dir() {
        eprintln!(
            "xtask fuzz: no vectors at {}; starting from an empty corpus",
            vectors.display()
        );
        return Ok(());
    }
    let mut count = 0;
    for set in std::fs::read_dir(vectors.join("awses-decrypt"))? {
        let ciphertexts = set?.path().join("ciphertexts");
        for file in std::fs::read_dir(&ciphertexts)? {
            let file = file?;
            let name = format!(
                "{}-{}",
                ciphertexts
                    .parent()
                    .and_then(Path::file_name)
                    .unwrap_or_default()
                    .to_string_lossy(),
                file.file_name().to_string_lossy()
            );
            std::fs::copy(file.path(), corpus.join(name))?;
            count += 1;
        }
    }
    for known in [
        "commitment-v2-message-kats.json",
        "python-decrypt-oracle-vectors.json",
    ] {
        let text = std::fs::read_to_string(vectors.join("known-answer").join(known))?;
        for (index, encoded) in json_strings_after(&text, "\"ciphertext\"")
            .into_iter()
            .enumerate()
        {
            if let Some(bytes) = base64_decode(encoded) {
                std::fs::write(corpus.join(format!("{known}-{index}")), bytes)?;
                count += 1;
            }
        }
    }
    eprintln!(
        "xtask fuzz: seeded {} with {count} messages",
        corpus.display()
    );
    Ok(())
}

/// The string values that follow `key:` in a JSON text (enough for the flat vector files).
fn json_strings_after<'a>(text: &'a str, key: &str) -> Vec<&'a str> {
    text.split(key)
        .skip(1)
        .filter_map(|rest| {
            let rest = rest
                .trim_start()
                .strip_prefix(':')?
                .trim_start()
                .strip_prefix('"')?;
            rest.split('"').next()
        })
        .collect()
}

fn base64_decode(text: &str) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(text.len() / 4 * 3);
    let mut buffer = 0u32;
    let mut bits = 0;
    for byte in text.bytes().filter(|b| *b != b'=') {
        let value = match byte {
            b'A'..=b'Z' => byte - b'A',
            b'a'..=b'z' => byte - b'a' + 26,
            b'0'..=b'9' => byte - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            _ => return None,
        };
        buffer = (buffer << 6) | u32::from(value);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push(u8::try_from((buffer >> bits) & 0xff).ok()?);
        }
    }
    Some(out)
}
