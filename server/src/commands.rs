//! What each subcommand does. Start-up failures are printed as one clear message and exit non-zero.

#[cfg(feature = "bench")]
use crate::cli::BenchCommand;
use crate::cli::{CatalogCommand, Cli, Command, LogFormatArg, TicketsCommand};
use crate::startup::{reload_catalog_on_sighup, shutdown_signal, Application};
use crate::{client, telemetry};
use runway_core::config::{LogFormat, Settings};
use runway_core::db::Db;
use std::io::Write;
use std::process::ExitCode;

/// Runs the parsed command line and returns the process exit code.
pub fn run(cli: Cli) -> ExitCode {
    // Discover on the command line needs no settings, database or server: a platform lead runs it
    // on day one, before deploying anything.
    let cli = match cli.command {
        Command::Tickets {
            command: TicketsCommand::Analyze(args),
        } => return crate::tickets::analyze(*args),
        // Checking catalogue files needs no settings either (a CI job runs it on a checkout).
        Command::Catalog {
            command: CatalogCommand::Check { dir },
        } => return catalog_check(&dir),
        command @ (Command::Login(_)
        | Command::Actions(_)
        | Command::Request(_)
        | Command::Requests(_)
        | Command::Logs(_)
        | Command::Approvals(_)
        | Command::Approve(_)
        | Command::Reject(_)) => return run_client(command),
        #[cfg(feature = "bench")]
        Command::Bench {
            command: BenchCommand::Tickets(args),
        } => return crate::bench_tickets::run(args),
        command => Cli { command, ..cli },
    };
    let loaded = Settings::from_process(cli.config.as_deref())
        .and_then(|s| runway_core::state::check_settings(&s).map(|()| s));
    let mut settings = match loaded {
        Ok(s) => s,
        Err(e) => {
            eprintln!("runway: {e}");
            return ExitCode::from(2);
        }
    };
    if let Some(format) = cli.log_format {
        settings.log.format = match format {
            LogFormatArg::Text => LogFormat::Text,
            LogFormatArg::Json => LogFormat::Json,
        };
    }
    if !matches!(
        cli.command,
        Command::Catalog { .. } | Command::Tickets { .. }
    ) {
        keep_private();
    }
    match cli.command {
        command @ (Command::Login(_)
        | Command::Actions(_)
        | Command::Request(_)
        | Command::Requests(_)
        | Command::Logs(_)
        | Command::Approvals(_)
        | Command::Approve(_)
        | Command::Reject(_)) => run_client(command),
        Command::Catalog {
            command: CatalogCommand::Check { dir },
        } => catalog_check(&dir),
        // Handled above, before the settings; kept here so each command has one place it is run.
        Command::Tickets {
            command: TicketsCommand::Analyze(args),
        } => crate::tickets::analyze(*args),
        #[cfg(feature = "bench")]
        Command::Bench {
            command: BenchCommand::Tickets(args),
        } => crate::bench_tickets::run(args),
        Command::Serve { print_config: true } => {
            let mut out = std::io::stdout().lock();
            match out.write_all(settings.to_redacted_toml().as_bytes()) {
                Ok(()) => ExitCode::SUCCESS,
                Err(_) => ExitCode::FAILURE,
            }
        }
        Command::Serve {
            print_config: false,
        } => with_runtime(settings, serve),
        Command::Tickets {
            command: TicketsCommand::Import(args),
        } => with_runtime(settings, move |s| crate::tickets::import(s, *args)),
        Command::Migrate => with_runtime(settings, migrate),
        Command::Report {
            command: crate::cli::ReportCommand::Impact(args),
        } => with_runtime(settings, move |s| crate::report::impact(s, args)),
        Command::Worker => with_runtime(settings, worker),
        #[cfg(feature = "bench")]
        Command::Bench {
            command: BenchCommand::Queue(args),
        } => with_runtime(settings, move |s| crate::bench::run(s, args)),
        #[cfg(feature = "bench")]
        Command::Bench {
            command: BenchCommand::History(args),
        } => with_runtime(settings, move |s| crate::bench_history::run(s, args)),
        #[cfg(feature = "bench")]
        Command::Bench {
            command: BenchCommand::Audit(args),
        } => with_runtime(settings, move |s| crate::bench_audit::run(s, args)),
        #[cfg(feature = "bench")]
        Command::Bench {
            command: BenchCommand::Impact(args),
        } => with_runtime(settings, move |s| crate::bench_impact::run(s, args)),
    }
}

/// Keeps what Runway creates and holds from the scripts it starts: umask 077, so every file and
/// directory it makes is its own alone; and not dumpable, so a script running as Runway's own user
/// (when Runway is not root) cannot read `/proc/<pid>/environ` or the memory of Runway, where the
/// OIDC client secret and `secrets_key` live. (Scripts get their own dumpable flag back when they
/// start.)
fn keep_private() {
    nix::sys::stat::umask(nix::sys::stat::Mode::from_bits_truncate(0o077));
    if let Err(e) = nix::sys::prctl::set_dumpable(false) {
        eprintln!("runway: cannot mark the process as not dumpable: {e}");
    }
}

/// Warns, once at start-up, of the isolation scripts lack when Runway is not root.
fn warn_of_missing_isolation() {
    if let Some(missing) = runway_exec::script::missing_isolation() {
        tracing::warn!("{missing}");
    }
}

fn with_runtime<F, Fut>(settings: Settings, f: F) -> ExitCode
where
    F: FnOnce(Settings) -> Fut,
    Fut: std::future::Future<Output = anyhow::Result<()>>,
{
    telemetry::init(settings.log.format, &settings.log.filter);
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("runway: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(f(settings)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!("{e:#}");
            eprintln!("runway: {e:#}");
            ExitCode::FAILURE
        }
    }
}

async fn serve(settings: Settings) -> anyhow::Result<()> {
    tracing::info!(
        database = %runway_core::config::redact_url(&settings.effective_database_url()),
        catalog = %settings.catalog_dir.display(),
        "starting runway"
    );
    warn_of_missing_isolation();
    let app = Application::build(settings).await?;
    reload_catalog_on_sighup(app.runway().clone());
    app.run(shutdown_signal()).await
}

/// The client commands talk to a server: no settings, no database here.
fn run_client(command: Command) -> ExitCode {
    match command {
        Command::Login(args) => client::run(|| client::login(args)),
        Command::Actions(args) => client::run(|| client::actions(args)),
        Command::Request(args) => client::run(|| client::request(args)),
        Command::Requests(args) => client::run(|| client::requests(args)),
        Command::Logs(args) => client::run(|| client::logs(args)),
        Command::Approvals(conn) => client::run(|| client::approvals(conn)),
        Command::Approve(args) => client::run(|| client::decide(args, true)),
        Command::Reject(args) => client::run(|| client::decide(args, false)),
        _ => ExitCode::from(2),
    }
}

/// `runway worker`: a standalone worker process.
async fn worker(settings: Settings) -> anyhow::Result<()> {
    use anyhow::Context;
    warn_of_missing_isolation();
    runway_core::data_dir::prepare(&settings).context("preparing the data directory")?;
    let db = Db::connect(
        &settings.effective_database_url(),
        settings.worker.concurrency as u32 + 4,
    )
    .await
    .context("opening the database")?;
    db.migrate().await.context("applying migrations")?;
    let runway = runway_core::state::Runway::new(settings.clone(), db.clone())
        .map_err(|e| anyhow::anyhow!("secrets_key (RUNWAY_SECRETS_KEY): {e}"))?;
    let metrics = crate::metrics::Metrics::new();
    let worker = runway_core::queue::worker::Worker::new(
        runway.queue.clone(),
        runway_core::requests::run::handlers(&runway),
        settings.worker.clone(),
    )
    .observed_by(metrics.clone());
    let stop = tokio_util::sync::CancellationToken::new();
    if let Some(l) = crate::startup::bind_metrics(&settings).await? {
        tokio::spawn(crate::metrics::serve_separately(
            l,
            metrics,
            runway.clone(),
            stop.clone(),
        ));
    }
    let stopper = stop.clone();
    tokio::spawn(async move {
        shutdown_signal().await;
        stopper.cancel();
    });
    worker.run(stop).await;
    db.close().await;
    Ok(())
}

async fn migrate(settings: Settings) -> anyhow::Result<()> {
    use anyhow::Context;
    runway_core::data_dir::prepare(&settings).context("preparing the data directory")?;
    let db = Db::connect(&settings.effective_database_url(), 1)
        .await
        .context("opening the database")?;
    db.migrate().await.context("applying migrations")?;
    tracing::info!("migrations applied");
    db.close().await;
    Ok(())
}

/// `runway catalog check DIR`: prints every problem; exit 1 if any, 2 if DIR is unreadable.
fn catalog_check(dir: &std::path::Path) -> ExitCode {
    let catalog = match runway_core::catalog::load_dir(dir) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("runway: {e}");
            return ExitCode::from(2);
        }
    };
    let mut out = std::io::stdout().lock();
    let mut lines: Vec<String> = catalog.problems.iter().map(ToString::to_string).collect();
    let bad_files = {
        let mut files: Vec<&str> = catalog.problems.iter().map(|p| p.file.as_str()).collect();
        files.sort();
        files.dedup();
        files.len()
    };
    lines.push(format!(
        "{} files checked: {} actions valid, {} files with problems ({} problems)",
        catalog.files_read,
        catalog.actions.len(),
        bad_files,
        catalog.problems.len()
    ));
    for line in lines {
        if writeln!(out, "{line}").is_err() {
            return ExitCode::FAILURE;
        }
    }
    if catalog.problems.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}
