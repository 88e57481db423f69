//! The local AWS services of the tests: moto server, installed into a venv under `target/`
//! and run on a free loopback port for as long as a [`Moto`] guard lives.

use std::io::{Read, Write};
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};

use crate::util;

/// The pinned moto release.
const MOTO: &str = "moto[server]==5.2.5";

/// The environment variable that hands the endpoint to the tests.
pub(crate) const ENDPOINT_VAR: &str = "KEYWARD_MOTO_ENDPOINT";

/// A running moto server; dropping the guard stops it.
pub(crate) struct Moto {
    child: Child,
    endpoint: String,
}

impl Moto {
    /// Installs moto if needed and starts it on a free `127.0.0.1` port.
    pub(crate) fn start() -> Result<Self> {
        let python = install()?;
        let port = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))?
            .local_addr()?
            .port();
        let log = util::root().join("target/moto.log");
        let child = util::command(&python)
            .arg(util::root().join("xtask/moto/serve.py"))
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .stdin(Stdio::null())
            .stdout(std::fs::File::create(&log)?)
            .stderr(std::fs::File::create(&log)?.try_clone()?)
            .spawn()
            .context("starting moto server")?;
        let moto = Self {
            child,
            endpoint: format!("http://127.0.0.1:{port}"),
        };
        moto.wait_ready(SocketAddr::from((Ipv4Addr::LOCALHOST, port)))
            .with_context(|| format!("moto server did not start; see {}", log.display()))?;
        eprintln!("xtask: moto server at {}", moto.endpoint);
        Ok(moto)
    }

    /// The endpoint URL.
    pub(crate) fn endpoint(&self) -> &str {
        &self.endpoint
    }

    fn wait_ready(&self, addr: SocketAddr) -> Result<()> {
        let deadline = Instant::now() + Duration::from_secs(60);
        while Instant::now() < deadline {
            if let Ok(mut stream) = TcpStream::connect_timeout(&addr, Duration::from_secs(1)) {
                stream.write_all(b"GET /moto-api/ HTTP/1.0\r\nHost: localhost\r\n\r\n")?;
                let mut answer = [0; 12];
                if stream.read_exact(&mut answer).is_ok() && answer.starts_with(b"HTTP/1.") {
                    return Ok(());
                }
            }
            std::thread::sleep(Duration::from_millis(200));
        }
        bail!("no answer from {addr} within 60 s")
    }
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The venv's Python (installed by [`Moto::start`]).
pub(crate) fn python() -> PathBuf {
    util::root().join("target/moto-venv/bin/python")
}

/// Creates `target/moto-venv` and installs the pinned moto into it, once; returns the venv's
/// Python.
fn install() -> Result<PathBuf> {
    let venv = util::root().join("target/moto-venv");
    let python = venv.join("bin/python");
    let marker = venv.join(".keyward-installed");
    if std::fs::read_to_string(&marker).is_ok_and(|installed| installed == MOTO) {
        return Ok(python);
    }
    eprintln!("xtask: installing {MOTO} into {}", venv.display());
    util::run(util::command("python3").args(["-m", "venv"]).arg(&venv))?;
    util::run(util::command(&python).args([
        "-m",
        "pip",
        "install",
        "--quiet",
        "--disable-pip-version-check",
        MOTO,
    ]))?;
    std::fs::write(&marker, MOTO)?;
    Ok(python)
}

/// Creates `target/mpl-venv` with the official AWS Encryption SDK for Python and Material
/// Providers Library pinned in `xtask/mpl/requirements.txt` (again whenever the pins change);
/// returns the venv's Python. `xtask/mpl/cross.py` runs them for the cross-implementation
/// tests of the asymmetric KMS keyrings.
pub(crate) fn install_official_mpl() -> Result<PathBuf> {
    Ok(install_pinned("mpl-venv", "xtask/mpl/requirements.txt")?.join("bin/python"))
}

/// Creates `target/cli-venv` with the official `aws-encryption-cli` pinned in
/// `xtask/cli/requirements.txt`; returns the command's path, for the tests that exchange
/// files with it.
pub(crate) fn install_official_cli() -> Result<PathBuf> {
    Ok(install_pinned("cli-venv", "xtask/cli/requirements.txt")?.join("bin/aws-encryption-cli"))
}

/// Creates `target/<venv>` with the packages pinned in `requirements` (again whenever the
/// pins change); returns the venv's directory.
fn install_pinned(venv: &str, requirements: &str) -> Result<PathBuf> {
    let venv = util::root().join("target").join(venv);
    let python = venv.join("bin/python");
    let marker = venv.join(".keyward-installed");
    let requirements = util::root().join(requirements);
    let pins = std::fs::read_to_string(&requirements)?;
    if std::fs::read_to_string(&marker).is_ok_and(|installed| installed == pins) {
        return Ok(venv);
    }
    eprintln!(
        "xtask: installing {} into {}",
        requirements.display(),
        venv.display()
    );
    util::run(util::command("python3").args(["-m", "venv"]).arg(&venv))?;
    util::run(
        util::command(&python)
            .args([
                "-m",
                "pip",
                "install",
                "--quiet",
                "--disable-pip-version-check",
                "-r",
            ])
            .arg(&requirements),
    )?;
    std::fs::write(&marker, pins)?;
    Ok(venv)
}
