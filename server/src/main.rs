//! `runway`: parse the command line and hand over to the library.

use clap::Parser;
use std::process::ExitCode;

/// mimalloc instead of glibc's malloc: rendering a page allocates and frees many small strings,
/// and glibc's allocator took about a sixth of the CPU of a page view (docs/benchmarks.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let cli = runway_server::cli::Cli::parse();
    runway_server::commands::run(cli)
}
