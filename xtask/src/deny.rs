//! `cargo deny check bans licenses sources`, with a pinned cargo-deny. The advisory database
//! is fetched from the network, which these machines cannot reach, so `advisories` runs only
//! where asked for explicitly.

use anyhow::Result;

use crate::util;

pub(crate) fn run() -> Result<()> {
    util::ensure_tool("cargo-deny", "deny", "cargo-deny", CARGO_DENY_VERSION)?;
    util::run(util::cargo().args(["deny", "--locked", "check", "bans", "licenses", "sources"]))
}

const CARGO_DENY_VERSION: &str = "0.20.2";
