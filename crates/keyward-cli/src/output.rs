//! Output files that are whole or absent: a randomly named temporary file beside the target,
//! created exclusively (never following a planted link) and readable by its owner only, synced
//! and renamed into place only when the work succeeds (so the output, too, has mode 0600), and
//! removed on every error, on a panic, and on SIGINT, SIGTERM and SIGHUP, after which the
//! process exits with 128 + the signal's number. (SIGKILL cannot be caught: what it leaves is a
//! `.partial` file of mode 0600 beside the target.)

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, PoisonError};

use anyhow::{Context as _, Result, bail};

/// `-q`: no warnings.
static QUIET: AtomicBool = AtomicBool::new(false);

pub(crate) fn set_quiet(quiet: bool) {
    QUIET.store(quiet, Ordering::Relaxed);
}

/// A one-line warning on standard error, unless `-q`.
pub(crate) fn warn(message: impl std::fmt::Display) {
    if !QUIET.load(Ordering::Relaxed) {
        eprintln!("keyward: warning: {message}");
    }
}

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

/// How a finished output is moved into place.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Commit {
    /// Replace whatever is there.
    Replace,
    /// Never replace a file: one that appeared meanwhile makes the commit fail.
    NoClobber,
}

/// A temporary output file; dropped without [`TemporaryOutput::commit`], it is removed.
#[derive(Debug)]
pub(crate) struct TemporaryOutput {
    temporary: PathBuf,
    target: PathBuf,
    commit: Commit,
    file: std::fs::File,
    committed: bool,
}

impl TemporaryOutput {
    /// Decides by the overwrite rule whether to write `target` (`None`: skip it), and if so
    /// creates its temporary file; returns it with a handle to write to.
    pub(crate) fn create(
        target: &Path,
        overwrite: Overwrite,
    ) -> Result<Option<(Self, std::fs::File)>> {
        let commit = if !target.exists() {
            // Nothing to overwrite now: nothing may be overwritten at the end either.
            match overwrite {
                Overwrite::Yes => Commit::Replace,
                Overwrite::No | Overwrite::Ask => Commit::NoClobber,
            }
        } else {
            match overwrite {
                Overwrite::Yes => Commit::Replace,
                Overwrite::No => {
                    warn(format_args!(
                        "skipped: {} exists (--no-overwrite)",
                        target.display()
                    ));
                    return Ok(None);
                }
                Overwrite::Ask if ask(&format!("overwrite {}? [y/N] ", target.display()))? => {
                    Commit::Replace
                }
                Overwrite::Ask => return Ok(None),
            }
        };
        if overwrite == Overwrite::Yes && target.exists() {
            warn(format_args!("replacing {}", target.display()));
        }
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
        // Registered before it exists, so that a signal arriving meanwhile still removes it.
        lock().push(temporary.clone());
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt as _;
            options.mode(0o600);
        }
        let file = match options.open(&temporary) {
            Ok(file) => file,
            Err(error) => {
                forget(&temporary);
                return Err(error).with_context(|| format!("creating {}", temporary.display()));
            }
        };
        let writer = file.try_clone()?;
        Ok(Some((
            Self {
                temporary,
                target: target.to_owned(),
                commit,
                file,
                committed: false,
            },
            writer,
        )))
    }

    /// Moves the finished file into place, once its bytes are on disk.
    pub(crate) fn commit(mut self) -> Result<()> {
        self.file
            .sync_all()
            .with_context(|| format!("writing {}", self.temporary.display()))?;
        match self.commit {
            Commit::Replace => std::fs::rename(&self.temporary, &self.target)
                .with_context(|| format!("writing {}", self.target.display()))?,
            // A hard link never replaces an existing file: it fails instead, atomically.
            Commit::NoClobber => match std::fs::hard_link(&self.temporary, &self.target) {
                Ok(()) => {
                    if let Err(error) = std::fs::remove_file(&self.temporary) {
                        warn(format_args!(
                            "{} is written, but {} stays: {error}",
                            self.target.display(),
                            self.temporary.display()
                        ));
                    }
                }
                Err(error) if error.kind() == std::io::ErrorKind::AlreadyExists => {
                    bail!("{} appeared meanwhile; not replaced", self.target.display())
                }
                // Filesystems without hard links (FAT, some network ones): check, then rename.
                Err(_) if !self.target.exists() => {
                    std::fs::rename(&self.temporary, &self.target)
                        .with_context(|| format!("writing {}", self.target.display()))?
                }
                Err(_) => bail!("{} appeared meanwhile; not replaced", self.target.display()),
            },
        }
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
