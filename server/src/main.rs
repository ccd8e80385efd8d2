//! `runway`: parse the command line and hand over to the library.

use clap::Parser;
use std::process::ExitCode;

fn main() -> ExitCode {
    let cli = runway_server::cli::Cli::parse();
    runway_server::commands::run(cli)
}
