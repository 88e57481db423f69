//! Structural checks: the crate edges of docs/architecture.md, and a line in
//! docs/dependencies.md for every external dependency.

use std::collections::BTreeMap;

use anyhow::{Context as _, Result, bail};

use crate::util;

/// For each of our crates, the keyward crates it may depend on.
const ALLOWED_EDGES: &[(&str, &[&str])] = &[
    ("keyward-format", &[]),
    ("keyward-materials", &["keyward-format"]),
    ("keyward-cache", &["keyward-format", "keyward-materials"]),
    ("keyward-kms", &["keyward-format", "keyward-materials"]),
    (
        "keyward-hierarchy",
        &[
            "keyward-format",
            "keyward-materials",
            "keyward-cache",
            "keyward-kms",
        ],
    ),
    (
        "keyward",
        &[
            "keyward-format",
            "keyward-materials",
            "keyward-cache",
            "keyward-kms",
            "keyward-hierarchy",
        ],
    ),
    ("keyward-cli", &["keyward"]),
];

pub(crate) fn run() -> Result<()> {
    let root = util::root();
    let mut problems = Vec::new();

    let allowed: BTreeMap<_, _> = ALLOWED_EDGES.iter().copied().collect();
    for entry in std::fs::read_dir(root.join("crates"))? {
        let dir = entry?.path();
        let manifest = std::fs::read_to_string(dir.join("Cargo.toml"))
            .with_context(|| format!("reading {}", dir.display()))?;
        let name = package_name(&manifest).context("package name")?;
        let Some(permitted) = allowed.get(name.as_str()) else {
            problems.push(format!("{name}: not in the crate map of xtask/src/tidy.rs"));
            continue;
        };
        for dependency in keyward_dependencies(&manifest) {
            // A crate may name itself as a dev-dependency to turn on its test features.
            if dependency != name && !permitted.contains(&dependency.as_str()) {
                problems.push(format!(
                    "{name} depends on {dependency}, an edge the layering forbids"
                ));
            }
        }
    }
    let xtask = std::fs::read_to_string(root.join("xtask/Cargo.toml"))?;
    if let Some(dependency) = keyward_dependencies(&xtask).first() {
        problems.push(format!(
            "xtask depends on {dependency}: it must build without product crates"
        ));
    }

    let workspace = std::fs::read_to_string(root.join("Cargo.toml"))?;
    let documented = std::fs::read_to_string(root.join("docs/dependencies.md"))?;
    for dependency in workspace_external_dependencies(&workspace) {
        if !documented.contains(&format!("`{dependency}`")) {
            problems.push(format!("{dependency} has no entry in docs/dependencies.md"));
        }
    }

    // The FIPS build compiles bindgen 0.73, which accepts syn 2 or 3 but builds only on 2:
    // a re-resolved lock file silently moves it to 3 and `cargo xtask fips` fails.
    let lock = std::fs::read_to_string(root.join("Cargo.lock"))?;
    if let Some(problem) = bindgen_on_syn_3(&lock) {
        problems.push(problem);
    }

    if problems.is_empty() {
        eprintln!("xtask tidy: ok");
        return Ok(());
    }
    for problem in &problems {
        eprintln!("tidy: {problem}");
    }
    bail!("{} tidy problem(s)", problems.len())
}

/// A problem when Cargo.lock builds bindgen on syn 3 (or prettyplease 0.3, which needs it).
fn bindgen_on_syn_3(lock: &str) -> Option<String> {
    let package = |name: &str| {
        lock.split("[[package]]")
            .find(|block| block.contains(&format!("name = \"{name}\"\n")))
    };
    let bindgen = package("bindgen")?;
    let prettyplease = package("prettyplease").unwrap_or_default();
    (bindgen.contains("\"syn 3.") || prettyplease.contains("version = \"0.3")).then(|| {
        "Cargo.lock: bindgen (the FIPS build) must use syn 2 and prettyplease 0.2; restore \
         its `syn 2.x` dependency entry"
            .to_owned()
    })
}

fn package_name(manifest: &str) -> Option<String> {
    manifest
        .lines()
        .skip_while(|line| line.trim() != "[package]")
        .find_map(|line| line.strip_prefix("name = "))
        .map(|name| name.trim_matches('"').to_owned())
}

/// `keyward-*` names in dependency tables (normal, dev and build).
fn keyward_dependencies(manifest: &str) -> Vec<String> {
    let mut in_dependencies = false;
    let mut found = Vec::new();
    for line in manifest.lines() {
        let line = line.trim();
        if line.starts_with('[') {
            in_dependencies = line.contains("dependencies");
            continue;
        }
        if in_dependencies && line.starts_with("keyward") {
            let name: String = line
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '-')
                .collect();
            found.push(name);
        }
    }
    found
}

fn workspace_external_dependencies(manifest: &str) -> Vec<String> {
    let mut in_table = false;
    let mut found = Vec::new();
    for line in manifest.lines() {
        let line = line.trim();
        if line.starts_with('[') {
            in_table = line == "[workspace.dependencies]";
            continue;
        }
        if in_table && !line.is_empty() && !line.starts_with('#') && !line.starts_with("keyward") {
            let name: String = line
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '-' || *c == '_')
                .collect();
            found.push(name);
        }
    }
    found
}
