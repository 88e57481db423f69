//! The command line before clap reads it, as aws-encryption-cli reads its own: `@FILE`
//! arguments replaced by the file's arguments, and its `--encrypt`/`--decrypt` modes taken as
//! keyward's subcommands.
//!
//! An argument file holds arguments separated by whitespace, quoted as in a POSIX shell
//! (`'...'`, `"..."`, backslash escapes); lines whose first non-blank character is `#` are
//! comments; `~` at the start of an argument is the home directory and `$NAME` or `${NAME}` an
//! environment variable. An argument file may name other argument files.

use std::ffi::OsString;

use anyhow::{Context as _, Result, bail};

/// How deep argument files may name argument files.
const MAX_DEPTH: usize = 8;

/// `args` (the program name first) with every `@FILE` expanded.
pub(crate) fn expand(args: Vec<OsString>) -> Result<Vec<OsString>> {
    let mut out = Vec::with_capacity(args.len());
    let mut args = args.into_iter();
    out.extend(args.next());
    for arg in args {
        expand_one(arg, 0, &mut out)?;
    }
    Ok(out)
}

fn expand_one(arg: OsString, depth: usize, out: &mut Vec<OsString>) -> Result<()> {
    let Some(path) = arg.to_str().and_then(|text| text.strip_prefix('@')) else {
        out.push(arg);
        return Ok(());
    };
    if path.is_empty() {
        out.push(arg);
        return Ok(());
    }
    if depth == MAX_DEPTH {
        bail!("argument file @{path}: argument files nested more than {MAX_DEPTH} deep");
    }
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("reading the argument file {path}"))?;
    for line in text.lines() {
        if line.trim_start().starts_with('#') {
            continue;
        }
        for word in split(line).with_context(|| format!("in the argument file {path}"))? {
            expand_one(OsString::from(expand_vars(&word)), depth + 1, out)?;
        }
    }
    Ok(())
}

/// One line split into words as a POSIX shell splits them (no expansions).
fn split(line: &str) -> Result<Vec<String>> {
    let mut words = Vec::new();
    let mut word: Option<String> = None;
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        match c {
            c if c.is_whitespace() => words.extend(word.take()),
            '\'' => {
                let current = word.get_or_insert_with(String::new);
                loop {
                    match chars.next() {
                        Some('\'') => break,
                        Some(c) => current.push(c),
                        None => bail!("an unclosed ' quote"),
                    }
                }
            }
            '"' => {
                let current = word.get_or_insert_with(String::new);
                loop {
                    match chars.next() {
                        Some('"') => break,
                        Some('\\') => match chars.next() {
                            Some(c @ ('"' | '\\' | '$' | '`')) => current.push(c),
                            Some(c) => {
                                current.push('\\');
                                current.push(c);
                            }
                            None => bail!("an unclosed \" quote"),
                        },
                        Some(c) => current.push(c),
                        None => bail!("an unclosed \" quote"),
                    }
                }
            }
            '\\' => {
                if let Some(c) = chars.next() {
                    word.get_or_insert_with(String::new).push(c);
                }
            }
            c => word.get_or_insert_with(String::new).push(c),
        }
    }
    words.extend(word);
    Ok(words)
}

/// `~` and `~/...` as the home directory; `$NAME` and `${NAME}` as the environment's value
/// (left as written when unset, as Python's `os.path.expandvars`).
fn expand_vars(word: &str) -> String {
    let home = std::env::var("HOME").ok();
    let word = match (word.strip_prefix('~'), &home) {
        (Some(rest), Some(home)) if rest.is_empty() || rest.starts_with('/') => {
            format!("{home}{rest}")
        }
        _ => word.to_owned(),
    };
    let mut out = String::with_capacity(word.len());
    let mut rest = word.as_str();
    while let Some(at) = rest.find('$') {
        out.push_str(&rest[..at]);
        let after = &rest[at + 1..];
        let (name, consumed) = if let Some(braced) = after.strip_prefix('{') {
            match braced.find('}') {
                Some(end) => (&braced[..end], end + 2),
                None => ("", 0),
            }
        } else {
            let end = after
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .unwrap_or(after.len());
            (&after[..end], end)
        };
        match std::env::var(name) {
            Ok(value) if !name.is_empty() => out.push_str(&value),
            _ => out.push_str(&rest[at..at + 1 + consumed]),
        }
        rest = &after[consumed..];
    }
    out.push_str(rest);
    out
}

/// keyward's subcommands (and clap's `help`).
const SUBCOMMANDS: [&str; 9] = [
    "encrypt",
    "decrypt",
    "generate-key",
    "demo",
    "keystore",
    "caching",
    "completions",
    "man",
    "help",
];

/// aws-encryption-cli's command lines (`-e`/`--encrypt`, `-d`/`--decrypt`,
/// `--decrypt-unsigned` among the options) as keyward's: the mode becomes the subcommand.
/// Command lines that name a subcommand first are left alone.
pub(crate) fn official_modes(mut args: Vec<OsString>) -> Vec<OsString> {
    let mode = args.iter().enumerate().skip(1).find_map(|(at, arg)| {
        let arg = arg.to_str()?;
        if SUBCOMMANDS.contains(&arg) {
            return Some(None);
        }
        match arg {
            "-e" | "--encrypt" => Some(Some((at, "encrypt", false))),
            "-d" | "--decrypt" => Some(Some((at, "decrypt", false))),
            "--decrypt-unsigned" => Some(Some((at, "decrypt", true))),
            _ => None,
        }
    });
    if let Some(Some((at, subcommand, unsigned))) = mode {
        args.remove(at);
        if unsigned {
            args.insert(1, "--unsigned-only".into());
        }
        args.insert(1, subcommand.into());
    }
    args
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(args: &[&str]) -> Vec<OsString> {
        args.iter().map(OsString::from).collect()
    }

    #[test]
    fn lines_split_as_a_shell_splits_them() {
        assert_eq!(
            split(r#"-c "dept=software dev" 'a b'\ c x\"y "q\"r""#).unwrap(),
            ["-c", "dept=software dev", "a b c", "x\"y", "q\"r"]
        );
        assert_eq!(split("  ").unwrap(), Vec::<String>::new());
        assert_eq!(split("''").unwrap(), [""]);
        assert!(split("'open").is_err());
    }

    #[test]
    fn variables_and_home_expand() {
        let home = std::env::var("HOME").unwrap();
        assert_eq!(expand_vars("a$HOME/b"), format!("a{home}/b"));
        assert_eq!(expand_vars("${HOME}x"), format!("{home}x"));
        assert_eq!(expand_vars("$KEYWARD_ARGV_UNSET"), "$KEYWARD_ARGV_UNSET");
        assert_eq!(
            expand_vars("${KEYWARD_ARGV_UNSET}"),
            "${KEYWARD_ARGV_UNSET}"
        );
        assert_eq!(expand_vars("cost$"), "cost$");
        assert_eq!(expand_vars("~/k"), format!("{home}/k"));
        assert_eq!(expand_vars("a~"), "a~");
    }

    #[test]
    fn argument_files_expand_in_place_and_nest() {
        let dir = std::env::temp_dir().join(format!("keyward-argv-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let inner = dir.join("inner");
        std::fs::write(&inner, "--encode\n").unwrap();
        let outer = dir.join("outer");
        std::fs::write(
            &outer,
            format!(
                "# a comment\n  # another\n-i in -o 'out file'\n@{}\n",
                inner.display()
            ),
        )
        .unwrap();
        let expanded = expand(words(&[
            "keyward",
            "-e",
            &format!("@{}", outer.display()),
            "-q",
        ]))
        .unwrap();
        assert_eq!(
            expanded,
            words(&[
                "keyward", "-e", "-i", "in", "-o", "out file", "--encode", "-q"
            ])
        );
        assert!(expand(words(&["keyward", "@/nonexistent/keyward"])).is_err());
        let looped = dir.join("loop");
        std::fs::write(&looped, format!("@{}\n", looped.display())).unwrap();
        assert!(expand(words(&["keyward", &format!("@{}", looped.display())])).is_err());
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn official_modes_become_subcommands() {
        assert_eq!(
            official_modes(words(&["keyward", "-i", "x", "--encrypt", "-S"])),
            words(&["keyward", "encrypt", "-i", "x", "-S"])
        );
        assert_eq!(
            official_modes(words(&["keyward", "-v", "-d", "-i", "x"])),
            words(&["keyward", "decrypt", "-v", "-i", "x"])
        );
        assert_eq!(
            official_modes(words(&["keyward", "--decrypt-unsigned", "-i", "x"])),
            words(&["keyward", "decrypt", "--unsigned-only", "-i", "x"])
        );
        let native = words(&["keyward", "decrypt", "--decrypt-unsigned", "-i", "x"]);
        assert_eq!(official_modes(native.clone()), native);
    }
}
