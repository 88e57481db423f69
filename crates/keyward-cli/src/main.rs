//! `keyward`: encrypt and decrypt AWS Encryption SDK messages from files or pipes.

#![expect(clippy::print_stdout, reason = "a command-line tool")]

mod args;
mod demo;
mod keys;
mod keystore;
mod output;
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

/// `-v` levels: keyward's own events at info, debug, then trace with the AWS SDK's included;
/// warnings always.
fn log_to_stderr(verbose: u8) {
    use tracing::level_filters::LevelFilter;
    use tracing_subscriber::layer::SubscriberExt as _;
    use tracing_subscriber::util::SubscriberInitExt as _;

    let (ours, others) = match verbose {
        0 => (LevelFilter::WARN, LevelFilter::WARN),
        1 => (LevelFilter::INFO, LevelFilter::WARN),
        2 => (LevelFilter::DEBUG, LevelFilter::WARN),
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
    let matches = args::Cli::command().version(version()).get_matches();
    let cli = match args::Cli::from_arg_matches(&matches) {
        Ok(cli) => cli,
        Err(error) => error.exit(),
    };
    log_to_stderr(cli.verbose);
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
