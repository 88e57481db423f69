//! `keyward`: encrypt and decrypt AWS Encryption SDK messages from files or pipes.

#![expect(clippy::print_stdout, reason = "a command-line tool")]

mod args;
mod argv;
mod demo;
mod io;
mod keys;
mod keystore;
mod metadata;
mod output;
mod plan;
mod run;

use std::process::ExitCode;

use clap::{CommandFactory as _, FromArgMatches as _};

/// `keyward --version`: the version and the cryptographic module's FIPS mode.
fn version() -> String {
    let mode = if keyward::fips_mode() {
        "FIPS mode: on, AWS-LC FIPS module"
    } else {
        "FIPS mode: off"
    };
    format!("{} ({mode})", env!("CARGO_PKG_VERSION"))
}

/// `-v` levels: keyward's own events at info, debug, then trace, then the AWS SDK's included;
/// warnings unless `quiet`.
fn log_to_stderr(verbose: u8, quiet: bool) {
    use tracing::level_filters::LevelFilter;
    use tracing_subscriber::layer::SubscriberExt as _;
    use tracing_subscriber::util::SubscriberInitExt as _;

    let (ours, others) = match verbose {
        0 if quiet => (LevelFilter::ERROR, LevelFilter::ERROR),
        0 => (LevelFilter::WARN, LevelFilter::WARN),
        1 => (LevelFilter::INFO, LevelFilter::WARN),
        2 => (LevelFilter::DEBUG, LevelFilter::WARN),
        3 => (LevelFilter::TRACE, LevelFilter::WARN),
        _ => (LevelFilter::TRACE, LevelFilter::TRACE),
    };
    let filter = tracing_subscriber::filter::Targets::new()
        .with_default(others)
        .with_targets(
            [
                "keyward",
                "keyward_cache",
                "keyward_kms",
                "keyward_hierarchy",
            ]
            .map(|target| (target, ours)),
        );
    let _ = tracing_subscriber::registry()
        .with(
            tracing_subscriber::fmt::layer()
                .with_writer(std::io::stderr)
                .without_time(),
        )
        .with(filter)
        .try_init();
}

fn main() -> ExitCode {
    let argv = match argv::expand(std::env::args_os().collect()) {
        Ok(argv) => argv::official_modes(argv),
        Err(error) => {
            let chain: Vec<String> = error.chain().map(ToString::to_string).collect();
            eprintln!("keyward: error: {}", chain.join(": "));
            return ExitCode::FAILURE;
        }
    };
    let matches = args::Cli::command()
        .version(version())
        .get_matches_from(argv);
    let cli = match args::Cli::from_arg_matches(&matches) {
        Ok(cli) => cli,
        Err(error) => error.exit(),
    };
    output::set_quiet(cli.quiet);
    log_to_stderr(cli.verbose, cli.quiet);
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("keyward: error: cannot start the runtime: {error}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run::run(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            let chain: Vec<String> = error.chain().map(ToString::to_string).collect();
            eprintln!("keyward: error: {}", chain.join(": "));
            ExitCode::FAILURE
        }
    }
}
