//! The command line. One binary, one subcommand per process role.

use clap::{Parser, Subcommand, ValueEnum};
use std::path::PathBuf;

/// Runway: a self-service portal for your internal developer platform.
///
/// Settings come from compiled defaults, then a config file (`runway.toml` in the working directory,
/// or the file given by --config / RUNWAY_CONFIG), then RUNWAY_* environment variables
/// (RUNWAY_LISTEN, RUNWAY_DATABASE_URL, RUNWAY_CATALOG_DIR, RUNWAY_DATA_DIR, RUNWAY_LOG__FORMAT, ...).
#[derive(Debug, Parser)]
#[command(name = "runway", version, propagate_version = true)]
pub struct Cli {
    /// Read settings from this TOML file instead of ./runway.toml.
    #[arg(long, global = true, value_name = "FILE")]
    pub config: Option<PathBuf>,

    /// Log format: human-readable text or one JSON object per line (overrides log.format).
    #[arg(long, global = true, value_enum)]
    pub log_format: Option<LogFormatArg>,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum LogFormatArg {
    Text,
    Json,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the web portal: pages, server functions and health endpoints.
    ///
    /// Applies database migrations and loads the catalogue first. A broken catalogue file is skipped
    /// (and shown on /admin/catalog); the rest still loads. SIGHUP reloads the catalogue; SIGINT or
    /// SIGTERM shut down gracefully.
    Serve {
        /// Print the effective settings (secrets redacted) and exit.
        #[arg(long)]
        print_config: bool,
    },
    /// Run queue workers only: claim jobs, run them, record outcomes.
    ///
    /// Run any number, on any machine that reaches the same Postgres (or in the same data directory
    /// for SQLite). Settings under [worker]. SIGINT/SIGTERM: stop claiming, let running jobs finish
    /// within worker.grace, release the rest to other workers.
    Worker,
    /// Apply database migrations and exit.
    Migrate,
    /// Benchmarks that print figures (see docs/benchmarks.md).
    #[cfg(feature = "bench")]
    Bench {
        #[command(subcommand)]
        command: BenchCommand,
    },
    /// Ticket exports: find the requests worth automating (Discover).
    Tickets {
        #[command(subcommand)]
        command: TicketsCommand,
    },
    /// Catalogue tools.
    Catalog {
        #[command(subcommand)]
        command: CatalogCommand,
    },
    /// Reports from the configured database.
    Report {
        #[command(subcommand)]
        command: ReportCommand,
    },
    /// Client: save a server address and an API token for the commands below (asks for what the
    /// flags do not give; the token is checked, then stored readable by you only).
    Login(crate::client::LoginArgs),
    /// Client: list the actions you may use, optionally searching by words.
    Actions(crate::client::ActionsArgs),
    /// Client: submit a request (inputs as NAME=VALUE), validated locally first; --wait follows it
    /// and exits 0 when it succeeded, 1 when not.
    Request(crate::client::RequestArgs),
    /// Client: your requests, a team's (--team) or all (--all, admins), newest first.
    Requests(crate::client::RequestsArgs),
    /// Client: a request's log; --follow prints new lines until it ends.
    Logs(crate::client::LogsArgs),
    /// Client: the requests waiting for your approval.
    Approvals(crate::client::Conn),
    /// Client: approve a request (optionally --comment).
    Approve(crate::client::DecideArgs),
    /// Client: reject a request (--comment says why; required).
    Reject(crate::client::DecideArgs),
}

#[derive(Debug, Subcommand)]
pub enum ReportCommand {
    /// The Impact page's figures: before and after per action, adoption, effort and pulses
    /// (docs/impact.md says what each means). Reads the database and the catalogue; writes nothing.
    Impact(crate::report::ImpactArgs),
}

#[derive(Debug, Subcommand)]
pub enum CatalogCommand {
    /// Validate every action file in DIR and print each problem as FILE:LINE: FIELD: MESSAGE.
    ///
    /// Exits 0 when every file is valid, 1 when any file has a problem, 2 when DIR cannot be read.
    Check {
        /// The catalogue directory to check.
        dir: PathBuf,
    },
}

#[derive(Debug, Subcommand)]
pub enum TicketsCommand {
    /// Rank the repeated requests in a ticket export (Jira CSV or JSON, GitHub issues, Linear CSV,
    /// or any CSV with --map). Needs no server and no database.
    ///
    /// Prints the groups of tickets that ask for the same thing, ranked by total waiting time
    /// (tickets × median time to resolve) unless --by says otherwise. Exits 2 when the file cannot
    /// be read; rows that cannot be read are skipped and listed on stderr.
    // Boxed: a column map is large next to the other commands' arguments.
    Analyze(Box<crate::tickets::Analyze>),
    /// Store a ticket export in the configured database (for the Discover page and later
    /// measurements). Re-importing the same export updates its tickets instead of adding them
    /// twice; unreadable rows are counted and listed on stderr.
    Import(Box<crate::tickets::ImportCmd>),
}

#[cfg(feature = "bench")]
#[derive(Debug, Subcommand)]
pub enum BenchCommand {
    /// Queue throughput (queue path and full request path) and enqueue-to-start latency, on the
    /// configured database. Use a scratch database.
    Queue(crate::bench::BenchQueue),
    /// Seeds a million-request history (by default) and times the history views and the team
    /// page. Use a scratch database.
    History(crate::bench_history::BenchHistory),
    /// Seeds a million audit events (by default) and times the Audit page's query with each
    /// filter. Use a scratch database.
    Audit(crate::bench_audit::BenchAudit),
    /// Seeds a million requests, 100,000 tickets linked as a baseline and ease ratings, and times
    /// the Impact report (computed, and as pages get it) and an action's figures. Use a scratch
    /// database.
    Impact(crate::bench_impact::BenchImpact),
    /// Generates ticket exports with known groups and times import, grouping and ranking, and
    /// re-analysis after a merge; prints peak memory. Needs no database.
    Tickets(crate::bench_tickets::BenchTickets),
}
