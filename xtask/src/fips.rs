//! `cargo xtask fips`: the FIPS build (aws-lc-rs on the AWS-LC FIPS module, HKDF and HMAC
//! included), with the build tools it needs, its tests and the vectors under it.

use anyhow::{Context as _, Result, bail, ensure};

use crate::util;

/// The features of the FIPS build, for the crates it tests.
const FEATURES: &str = "keyward-format/fips,keyward-materials/fips,keyward-hierarchy/fips";

pub(crate) fn run() -> Result<()> {
    ensure_build_tools()?;
    // The code paths only the FIPS build compiles (AWS-LC's HKDF and HMAC), lint-clean.
    util::run(util::cargo().args([
        "clippy",
        "--package",
        "keyward-format",
        "--package",
        "keyward-hierarchy",
        "--all-targets",
        "--features",
        "keyward-format/fips,keyward-hierarchy/fips",
        "--",
        "-D",
        "warnings",
    ]))?;
    // The format, materials and hierarchy tests (the message-key HKDF, the keyrings, the
    // branch key KDF's HMAC) under the FIPS module.
    util::run(util::cargo().args([
        "test",
        "--package",
        "keyward-format",
        "--package",
        "keyward-materials",
        "--package",
        "keyward-hierarchy",
        "--features",
        FEATURES,
    ]))?;
    // The command line reports the module's mode.
    let output = util::cargo()
        .args([
            "run",
            "--quiet",
            "--package",
            "keyward-cli",
            "--features",
            "fips",
            "--",
            "--version",
        ])
        .output()
        .context("running keyward --version")?;
    let version = String::from_utf8_lossy(&output.stdout);
    eprintln!("xtask: {}", version.trim());
    ensure!(
        output.status.success() && version.contains("FIPS mode: on"),
        "the fips build does not report FIPS mode: {version:?}"
    );
    // Every vector set, with the same figures as the default build's compatibility document.
    let report = util::root().join("target/fips-compatibility.md");
    util::run(
        util::cargo()
            .args([
                "run",
                "--quiet",
                "--package",
                "keyward-tests",
                "--features",
                "keyward-tests/fips",
                "--bin",
                "keyward-vectors",
                "--",
                "--markdown",
            ])
            .arg(&report),
    )?;
    let fips = std::fs::read_to_string(&report)
        .with_context(|| format!("reading {}", report.display()))?;
    let default = std::fs::read_to_string(util::root().join("docs/compatibility.md"))
        .context("reading docs/compatibility.md")?;
    if fips != default {
        bail!(
            "the vector results under --features fips ({}) differ from docs/compatibility.md",
            report.display()
        );
    }
    eprintln!("xtask: vectors under --features fips: the figures of docs/compatibility.md");
    Ok(())
}

/// The AWS-LC FIPS module builds with CMake and Go: installed from the distribution's
/// packages (apt) when missing.
fn ensure_build_tools() -> Result<()> {
    util::ensure_packages(
        &[("cmake", "cmake"), ("go", "golang-go")],
        "the AWS-LC FIPS module",
    )
}
