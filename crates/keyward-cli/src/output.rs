//! Output files that are whole or absent: a randomly named temporary file beside the target,
//! created exclusively (never following a planted link) and readable by its owner only, renamed
//! into place only when the work succeeds, and removed on every error, on a panic, and on
//! SIGINT, SIGTERM and SIGHUP. (SIGKILL cannot be caught: what it leaves is a `.partial` file
//! of mode 0600 beside the target.)

use std::path::{Path, PathBuf};
use std::sync::{Mutex, PoisonError};

use anyhow::{Context as _, Result, bail};

/// The temporary files being written, for the signal handler.
static PENDING: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());

/// What to do when the output exists.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Overwrite {
    /// Replace it (the default, as aws-encryption-cli).
    Yes,
    /// Leave it and fail.
    No,
    /// Ask on the terminal.
    Ask,
}

/// A temporary output file; dropped without [`TemporaryOutput::commit`], it is removed.
#[derive(Debug)]
pub(crate) struct TemporaryOutput {
    temporary: PathBuf,
    target: PathBuf,
    overwrite: Overwrite,
    committed: bool,
}

impl TemporaryOutput {
    /// Creates the temporary file for `target` and opens it for writing.
    pub(crate) fn create(target: &Path, overwrite: Overwrite) -> Result<(Self, std::fs::File)> {
        let name = target
            .file_name()
            .context("the output has no file name")?
            .to_string_lossy()
            .into_owned();
        // 16 bytes from the system's cryptographic generator: not guessable by another user.
        let random = keyward::materials::DataKey::generate(16)?;
        let suffix: String = random
            .expose_secret()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        let temporary = target.with_file_name(format!(".{name}.{suffix}.partial"));
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt as _;
            options.mode(0o600);
        }
        let file = options
            .open(&temporary)
            .with_context(|| format!("creating {}", temporary.display()))?;
        lock().push(temporary.clone());
        Ok((
            Self {
                temporary,
                target: target.to_owned(),
                overwrite,
                committed: false,
            },
            file,
        ))
    }

    /// Moves the finished file into place.
    pub(crate) fn commit(mut self) -> Result<()> {
        match self.overwrite {
            // A hard link never replaces an existing file: it fails instead, atomically.
            Overwrite::No => std::fs::hard_link(&self.temporary, &self.target)
                .with_context(|| format!("{} exists (--no-overwrite)", self.target.display()))
                .and_then(|()| Ok(std::fs::remove_file(&self.temporary)?)),
            Overwrite::Yes | Overwrite::Ask => std::fs::rename(&self.temporary, &self.target)
                .with_context(|| format!("writing {}", self.target.display())),
        }?;
        self.committed = true;
        forget(&self.temporary);
        Ok(())
    }
}

impl Drop for TemporaryOutput {
    fn drop(&mut self) {
        if !self.committed {
            let _ = std::fs::remove_file(&self.temporary);
            forget(&self.temporary);
        }
    }
}

/// Whether to write `target`, by the overwrite rule.
pub(crate) fn may_write(target: &Path, overwrite: Overwrite) -> Result<bool> {
    if !target.exists() {
        return Ok(true);
    }
    match overwrite {
        Overwrite::Yes => Ok(true),
        Overwrite::No => bail!("{} exists (--no-overwrite)", target.display()),
        Overwrite::Ask => ask(&format!("overwrite {}? [y/N] ", target.display())),
    }
}

/// Asks on the controlling terminal (standard input may carry the data); no terminal is a no.
fn ask(question: &str) -> Result<bool> {
    use std::io::{BufRead as _, Write as _};
    let Ok(tty) = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open("/dev/tty")
    else {
        eprintln!("keyward: {question}no terminal to ask: skipped");
        return Ok(false);
    };
    let mut writer = &tty;
    write!(writer, "{question}")?;
    writer.flush()?;
    let mut answer = String::new();
    std::io::BufReader::new(&tty).read_line(&mut answer)?;
    Ok(matches!(answer.trim(), "y" | "Y" | "yes"))
}

/// Removes every temporary file still being written and exits, on SIGINT, SIGTERM or SIGHUP.
#[cfg(unix)]
pub(crate) fn remove_on_signals() -> Result<()> {
    use tokio::signal::unix::{SignalKind, signal};
    let kinds = [
        (SignalKind::interrupt(), 2),
        (SignalKind::terminate(), 15),
        (SignalKind::hangup(), 1),
    ];
    for (kind, number) in kinds {
        let mut stream = signal(kind).context("installing a signal handler")?;
        tokio::spawn(async move {
            if stream.recv().await.is_some() {
                for path in lock().drain(..) {
                    let _ = std::fs::remove_file(path);
                }
                eprintln!("keyward: stopped by signal {number}; no partial output left");
                std::process::exit(128 + number);
            }
        });
    }
    Ok(())
}

#[cfg(not(unix))]
pub(crate) fn remove_on_signals() -> Result<()> {
    Ok(())
}

fn forget(path: &Path) {
    lock().retain(|pending| pending != path);
}

fn lock() -> std::sync::MutexGuard<'static, Vec<PathBuf>> {
    PENDING.lock().unwrap_or_else(PoisonError::into_inner)
}
