//! `keyward`: encrypt and decrypt AWS Encryption SDK messages from files or pipes.

#![expect(clippy::print_stdout, reason = "a command-line tool")]

mod args;
mod demo;
mod keys;
mod output;
mod run;

use std::process::ExitCode;

use clap::Parser as _;

fn main() -> ExitCode {
    let cli = args::Cli::parse();
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
