//! Runs the test-vector sets and prints `SET: N passed, M failed, K skipped` per set and in
//! total. Exits non-zero when any vector failed.
//!
//! Usage: `keyward-vectors [--root DIR] [--verbose] [SET …]`

#![expect(clippy::print_stdout, reason = "a command-line report")]

use std::path::PathBuf;
use std::process::ExitCode;

use keyward_tests::vectors::{SETS, SetReport, default_root, run_set};

fn main() -> ExitCode {
    match run() {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::from(2)
        }
    }
}

fn run() -> anyhow::Result<bool> {
    let mut root = default_root();
    let mut verbose = false;
    let mut sets = Vec::new();
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--root" => {
                root = PathBuf::from(
                    args.next()
                        .ok_or_else(|| anyhow::anyhow!("--root needs a directory"))?,
                )
            }
            "--verbose" | "-v" => verbose = true,
            set => sets.push(set.to_owned()),
        }
    }
    if sets.is_empty() {
        sets = SETS.iter().map(|s| (*s).to_owned()).collect();
    }
    let mut total = SetReport::new("total");
    for set in &sets {
        for report in run_set(&root, set)? {
            for (id, reason) in &report.failures {
                println!("FAIL {} {id}: {reason}", report.name);
            }
            if verbose {
                for (id, reason) in &report.skipped {
                    println!("skip {} {id}: {reason}", report.name);
                }
            }
            println!("{report}");
            total.passed += report.passed;
            total.failures.extend(report.failures);
            total.skipped.extend(report.skipped);
        }
    }
    println!("{total}");
    Ok(total.failures.is_empty())
}
