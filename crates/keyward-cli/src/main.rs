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

fn main() -> ExitCode {
    let matches = args::Cli::command().version(version()).get_matches();
    let cli = match args::Cli::from_arg_matches(&matches) {
        Ok(cli) => cli,
        Err(error) => error.exit(),
    };
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
