//! The skip list (`tests/vectors-skip.toml`): globs over vector tags, each with a reason.

use std::path::Path;

use anyhow::{Context as _, Result};
use serde::Deserialize;

/// One entry: a glob and why the vectors it matches cannot run.
#[derive(Debug, Deserialize)]
#[non_exhaustive]
pub struct Skip {
    /// A glob (`*` matches any run of characters) over a vector's tags.
    #[serde(rename = "match")]
    pub pattern: String,
    /// Why.
    pub reason: String,
}

/// The whole list.
#[derive(Debug, Default, Deserialize)]
#[non_exhaustive]
pub struct Skips {
    /// The entries, first match wins.
    #[serde(default)]
    pub skip: Vec<Skip>,
}

impl Skips {
    /// The list beside this crate.
    pub fn load_default() -> Result<Self> {
        Self::load(&Path::new(env!("CARGO_MANIFEST_DIR")).join("vectors-skip.toml"))
    }

    /// Loads a list; every entry needs a reason.
    pub fn load(path: &Path) -> Result<Self> {
        let text =
            std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
        let skips: Self =
            toml::from_str(&text).with_context(|| format!("parsing {}", path.display()))?;
        if let Some(entry) = skips.skip.iter().find(|s| s.reason.trim().is_empty()) {
            anyhow::bail!("skip entry {:?} has no reason", entry.pattern);
        }
        Ok(skips)
    }

    /// The first entry matching any of the tags.
    pub fn find<'a>(&'a self, tags: &[String]) -> Option<&'a Skip> {
        self.skip
            .iter()
            .find(|skip| tags.iter().any(|tag| glob(&skip.pattern, tag)))
    }
}

/// `*`-only glob matching.
fn glob(pattern: &str, text: &str) -> bool {
    match pattern.split_once('*') {
        None => pattern == text,
        Some((prefix, rest)) => {
            let Some(text) = text.strip_prefix(prefix) else {
                return false;
            };
            (0..=text.len())
                .filter(|i| text.is_char_boundary(*i))
                .any(|i| glob(rest, &text[i..]))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::glob;

    #[test]
    fn globs_match_runs_of_characters() {
        assert!(glob("keyring:aws-kms*", "keyring:aws-kms-mrk-aware"));
        assert!(glob("keyring:aws-kms*", "keyring:aws-kms"));
        assert!(!glob("keyring:aws-kms*", "keyring:raw"));
        assert!(glob("vector:*/abc", "vector:dafny/abc"));
        assert!(!glob("raw", "raw-ecdh"));
    }
}
