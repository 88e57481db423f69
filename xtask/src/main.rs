//! Project automation: `cargo xtask <task>`. Depends on no keyward crate, so it builds in
//! seconds; every task runs cargo (from `$CARGO`) in the workspace root.

#![expect(clippy::print_stdout, reason = "a command-line tool")]

mod api;
mod bench;
mod deny;
mod fips;
mod fuzz;
mod moto;
mod tidy;
mod util;

use std::process::ExitCode;

use anyhow::{Result, bail};

const USAGE: &str = "\
usage: cargo xtask <task> [options]

tasks:
  test                 the whole test suite (the README's test command): starts moto server
                       (installed into target/moto-venv) on a free loopback port, runs unit,
                       integration, vector, property, model-based and AWS KMS tests (the
                       asymmetric ones crossed with the official Python SDK and MPL,
                       installed into target/mpl-venv; the CLI against the official
                       aws-encryption-cli, installed into target/cli-venv; its progress bar
                       in tmux, installed from apt when missing) with
                       nextest (or cargo test), then doctests, the shuttle model checks and
                       the examples; stops moto even on failure
  demo [--kms]         the offline demonstration (local keys), as `keyward demo`; with --kms
                       also data-key caching over AWS KMS, against a local moto server
  moto                 start moto server and wait (Ctrl-C stops it), for manual runs
  model [--cases N] [--seed S] [--schedules N]
                       a long campaign of the caching manager's model-based test (default
                       5,000 cases) and of the shuttle model checks (100,000 schedules each)
  vectors [SET ...]    run the test-vector sets; --write also writes docs/compatibility.md
  vectors decrypt --manifest PATH           decrypt any awses-decrypt manifest (v1 to v5)
  vectors encrypt --manifest PATH --out DIR run an awses-encrypt manifest into a decrypt set
  fuzz [--smoke | --minutes N]
                       fuzz every target (10 s each with --smoke, N minutes each with
                       --minutes, 60 s otherwise), seeded from the test-vector ciphertexts
  bench [--quick]      run the criterion benches and record the figures in docs/benchmarks.md
  fips                 the FIPS build (AWS-LC FIPS module; installs CMake and Go from apt when
                       missing): format, materials and hierarchy tests, `keyward --version`,
                       and every vector set, whose figures must equal docs/compatibility.md
  man [DIR]            write the CLI's man pages (keyward.1, keyward-<command>.1) into DIR
                       (default target/man)
  api [--check]        write (or check) api/<crate>.txt, the listing of each library crate's
                       public items, from rustdoc's JSON
  deny                 cargo deny check bans licenses sources (installs a pinned cargo-deny)
  tidy                 crate edges one-way; every dependency documented
  ci                   everything CI runs (.ci/run)
";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match run(&args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("xtask: {error:#}");
            ExitCode::FAILURE
        }
    }
}

fn run(args: &[String]) -> Result<()> {
    let Some((task, rest)) = args.split_first() else {
        print!("{USAGE}");
        return Ok(());
    };
    match task.as_str() {
        "test" => test(rest),
        "api" => api::run(rest),
        "vectors" => vectors(rest),
        "fuzz" => fuzz::run(rest),
        "bench" => bench::run(rest),
        "deny" => deny::run(),
        "fips" => fips::run(),
        "tidy" => tidy::run(),
        "ci" => util::run(util::command("bash").arg(".ci/run")),
        "demo" => demo(rest),
        "man" => man(rest),
        "model" => model(rest),
        "moto" => {
            let moto = moto::Moto::start()?;
            println!("{}={}", moto::ENDPOINT_VAR, moto.endpoint());
            loop {
                std::thread::park();
            }
        }
        "help" | "--help" | "-h" => {
            print!("{USAGE}");
            Ok(())
        }
        other => bail!("unknown task {other:?}\n{USAGE}"),
    }
}

/// The CLI's man pages, generated from its command definition by the binary itself.
fn man(args: &[String]) -> Result<()> {
    let dir = args
        .first()
        .map_or_else(|| util::root().join("target/man"), std::path::PathBuf::from);
    util::run(
        util::cargo()
            .args(["run", "--quiet", "--package", "keyward-cli", "--", "man"])
            .arg(&dir),
    )?;
    println!(
        "man pages in {} (man -l {}/keyward.1)",
        dir.display(),
        dir.display()
    );
    Ok(())
}

/// The README's test command. The moto guard lives until every step has run, and its `Drop`
/// stops the server on every way out.
fn test(extra: &[String]) -> Result<()> {
    // The CLI's progress bar is checked in a real terminal.
    util::ensure_packages(&[("tmux", "tmux")], "the terminal test of the CLI")?;
    let moto = moto::Moto::start()?;
    let features = ["--features", "keyward-tests/moto,keyward-cli/moto"];
    // How the fault tests start moto servers of their own, and how the cross-implementation
    // tests run the official SDK.
    let own_moto = [
        ("KEYWARD_MOTO_PYTHON", moto::python()),
        (
            "KEYWARD_MOTO_SERVE",
            util::root().join("xtask/moto/serve.py"),
        ),
        ("KEYWARD_MPL_PYTHON", moto::install_official_mpl()?),
        ("KEYWARD_MPL_CROSS", util::root().join("xtask/mpl/cross.py")),
        ("KEYWARD_AWS_ENCRYPTION_CLI", moto::install_official_cli()?),
    ];
    // The launcher's asymmetric operations, and the official SDK's harness on them, checked
    // before anything relies on them.
    util::run(
        util::command(moto::python())
            .arg(util::root().join("xtask/moto/check_asymmetric.py"))
            .arg(moto.endpoint()),
    )?;
    util::run(
        util::command(moto::install_official_mpl()?)
            .arg(util::root().join("xtask/mpl/selfcheck.py"))
            .args(["--endpoint", moto.endpoint()]),
    )?;
    if util::has_nextest() {
        util::run(
            util::cargo()
                .args(["nextest", "run", "--workspace", "--no-fail-fast"])
                .args(features)
                .args(extra)
                .envs(own_moto.clone())
                .env(moto::ENDPOINT_VAR, moto.endpoint()),
        )?;
    } else {
        util::run(
            util::cargo()
                .args(["test", "--workspace", "--all-targets", "--no-fail-fast"])
                .args(features)
                .args(extra)
                .envs(own_moto)
                .env(moto::ENDPOINT_VAR, moto.endpoint()),
        )?;
    }
    util::run(util::cargo().args(["test", "--workspace", "--doc"]))?;
    model_check(None)?;
    run_examples(moto.endpoint())
}

/// The shuttle model checks of the caching protocols: the crate's synchronisation swapped for
/// shuttle's (feature `shuttle`), so they run as a build of their own. `iterations` overrides
/// the schedules per check.
fn model_check(iterations: Option<&str>) -> Result<()> {
    let mut command = util::cargo();
    command.args([
        "test",
        "--package",
        "keyward-cache",
        "--features",
        "shuttle",
        "--test",
        "shuttle",
        "--",
        "--nocapture",
    ]);
    if let Some(iterations) = iterations {
        command.env("SHUTTLE_ITERATIONS", iterations);
    }
    util::run(&mut command)
}

/// A long campaign of the caching manager's model-based test and of the model checks.
fn model(args: &[String]) -> Result<()> {
    let value = |flag: &str| {
        args.iter()
            .position(|arg| arg == flag)
            .and_then(|i| args.get(i + 1))
            .map(String::as_str)
    };
    let mut command = util::cargo();
    command
        .args([
            "test",
            "--package",
            "keyward-tests",
            "--test",
            "caching_model",
            "--",
            "--nocapture",
        ])
        .env("KEYWARD_MODEL_CASES", value("--cases").unwrap_or("5000"));
    if let Some(seed) = value("--seed") {
        command.env("KEYWARD_MODEL_SEED", seed);
    }
    util::run(&mut command)?;
    model_check(Some(value("--schedules").unwrap_or("100000")))
}

/// `keyward demo`; with `--kms`, against a moto server started for it.
fn demo(args: &[String]) -> Result<()> {
    let mut command = util::cargo();
    command.args([
        "run",
        "--release",
        "--quiet",
        "--package",
        "keyward-cli",
        "--",
        "demo",
    ]);
    let kms = args.iter().any(|arg| arg == "--kms");
    command.args(args.iter().filter(|arg| *arg != "--kms"));
    if kms {
        let moto = moto::Moto::start()?;
        command.args(["--endpoint-url", moto.endpoint()]);
        return util::run(&mut command);
    }
    util::run(&mut command)
}

/// Runs every example of the facade: they assert what they show.
fn run_examples(endpoint: &str) -> Result<()> {
    let mut examples: Vec<String> =
        std::fs::read_dir(util::root().join("crates/keyward/examples"))?
            .filter_map(|entry| {
                entry
                    .ok()?
                    .file_name()
                    .to_str()?
                    .strip_suffix(".rs")
                    .map(str::to_owned)
            })
            .collect();
    examples.sort();
    for example in &examples {
        util::run(
            util::cargo()
                .args([
                    "run",
                    "--quiet",
                    "--package",
                    "keyward",
                    "--example",
                    example,
                ])
                .env(moto::ENDPOINT_VAR, endpoint),
        )?;
    }
    eprintln!("xtask: {} examples ran", examples.len());
    Ok(())
}

fn vectors(args: &[String]) -> Result<()> {
    let cwd = std::env::current_dir()?;
    let mut forwarded: Vec<String> = Vec::new();
    let mut args = args.iter();
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--write" => {
                forwarded.push("--markdown".to_owned());
                forwarded.push(
                    util::root()
                        .join("docs/compatibility.md")
                        .display()
                        .to_string(),
                );
            }
            // Paths are the caller's, relative to where xtask was started.
            "--manifest" | "--out" | "--root" => {
                forwarded.push(arg.clone());
                if let Some(path) = args.next() {
                    forwarded.push(cwd.join(path).display().to_string());
                }
            }
            _ => forwarded.push(arg.clone()),
        }
    }
    util::run(
        util::cargo()
            .args([
                "run",
                "--quiet",
                "--package",
                "keyward-tests",
                "--bin",
                "keyward-vectors",
                "--",
            ])
            .args(forwarded),
    )
}
