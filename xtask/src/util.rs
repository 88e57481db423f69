//! Running commands from the workspace root.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context as _, Result, bail};

/// The workspace root (the parent of `xtask/`).
pub(crate) fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map_or_else(|| PathBuf::from("."), Path::to_path_buf)
}

/// `cargo`, as the one that runs this task.
pub(crate) fn cargo() -> Command {
    command(std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned()))
}

/// A command that runs in the workspace root, with standard input closed (no task reads it,
/// and a tool must not read the caller's).
pub(crate) fn command(program: impl AsRef<std::ffi::OsStr>) -> Command {
    let mut command = Command::new(program);
    command
        .current_dir(root())
        .stdin(std::process::Stdio::null());
    command
}

/// Runs a command, failing when it fails.
pub(crate) fn run(command: &mut Command) -> Result<()> {
    eprintln!("xtask: running {command:?}");
    let status = command
        .status()
        .with_context(|| format!("starting {command:?}"))?;
    if !status.success() {
        bail!("{command:?} failed with {status}");
    }
    Ok(())
}

/// Whether a command runs and exits successfully, quietly.
pub(crate) fn succeeds(command: &mut Command) -> bool {
    command.output().is_ok_and(|output| output.status.success())
}

/// Installs the distribution's packages (apt, through sudo unless root) for the commands
/// in `needed` (`(command, package)`) that do not run.
pub(crate) fn ensure_packages(needed: &[(&str, &str)], what: &str) -> Result<()> {
    let missing: Vec<&str> = needed
        .iter()
        .filter(|(binary, _)| !succeeds(Command::new(binary).arg("version")))
        .filter(|(binary, _)| !succeeds(Command::new(binary).arg("--version")))
        .filter(|(binary, _)| !succeeds(Command::new(binary).arg("-V")))
        .map(|(_, package)| *package)
        .collect();
    if missing.is_empty() {
        return Ok(());
    }
    eprintln!("xtask: installing {} for {what}", missing.join(", "));
    let root = succeeds(Command::new("sh").args(["-c", "test \"$(id -u)\" = 0"]));
    let apt = |args: &[&str]| -> Result<()> {
        let mut command = if root {
            command("apt-get")
        } else {
            let mut sudo = command("sudo");
            sudo.arg("apt-get");
            sudo
        };
        command.args(args).env("DEBIAN_FRONTEND", "noninteractive");
        run(&mut command)
    };
    apt(&["update", "-qq"])?;
    let mut install = vec!["install", "-y", "-qq", "--no-install-recommends"];
    install.extend(&missing);
    apt(&install)
}

pub(crate) fn has_nextest() -> bool {
    succeeds(cargo().args(["nextest", "--version"]))
}

/// Installs a pinned cargo tool unless that version is already there.
pub(crate) fn ensure_tool(
    binary: &str,
    subcommand: &str,
    krate: &str,
    version: &str,
) -> Result<()> {
    let installed = cargo()
        .args([subcommand, "--version"])
        .output()
        .is_ok_and(|output| {
            output.status.success() && String::from_utf8_lossy(&output.stdout).contains(version)
        });
    if !installed {
        eprintln!("xtask: installing {krate} {version} ({binary})");
        // Outside the workspace (its configuration is not the tool's) and with standard input
        // closed: cargo's probe of rustc reads a program from standard input, so whatever the
        // caller's standard input holds must never reach it.
        let outside = std::env::temp_dir().join("keyward-tool-install");
        std::fs::create_dir_all(&outside)
            .with_context(|| format!("creating {}", outside.display()))?;
        let mut install =
            Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned()));
        install
            .current_dir(&outside)
            .stdin(std::process::Stdio::null())
            .env_remove("CARGO_TARGET_DIR")
            .args(["install", "--locked", krate, "--version", version]);
        run(&mut install)?;
    }
    Ok(())
}
