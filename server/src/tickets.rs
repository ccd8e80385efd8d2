//! `runway tickets analyze FILE`: rank the repeated requests in a ticket export, with no server and
//! no database. Reads the file as a stream (progress on stderr for long files), groups and ranks
//! with `runway_discover`, and prints a table (or JSON) with the totals.
//!
//! `runway tickets import FILE`: the same reading, then the tickets are stored in the configured
//! database through `runway_core::discover`.

use runway_discover::cluster::{self, Group};
use runway_discover::import::{self, ColumnMap, Format, ImportOptions, Skipped};
use runway_discover::rank::{self, RankBy, Report};
use runway_discover::ticket::{ReporterPolicy, Ticket};
use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

/// How to read an export (shared by `analyze` and `import`).
#[derive(Debug, Clone, clap::Args)]
pub struct ExportArgs {
    /// The export file.
    pub file: PathBuf,
    /// The export's format; told from the file when left out.
    #[arg(long, value_parser = parse_format)]
    pub format: Option<Format>,
    /// For a generic CSV: which column holds what, e.g. title=Subject,created=Opened,team=Queue
    /// (names: title, created, resolved, team, labels, description, key, type, status, reporter,
    /// link). For Jira JSON: team=customfield_NNNNN.
    #[arg(long, value_name = "NAME=COLUMN,...", value_parser = parse_map)]
    pub map: Option<ColumnMap>,
    /// Also read the first lines of each description when grouping.
    #[arg(long)]
    pub description: bool,
}

fn parse_format(s: &str) -> Result<Format, String> {
    s.parse().map_err(|e: import::ImportError| e.to_string())
}

fn parse_map(s: &str) -> Result<ColumnMap, String> {
    s.parse().map_err(|e: import::ImportError| e.to_string())
}

fn parse_by(s: &str) -> Result<RankBy, String> {
    s.parse()
}

#[derive(Debug, clap::Args)]
pub struct Analyze {
    #[command(flatten)]
    pub export: ExportArgs,
    /// How many groups to show.
    #[arg(long, default_value_t = 20)]
    pub top: usize,
    /// Order: waiting (tickets × median time to resolve), count, or trend (last 90 days against
    /// the 90 before).
    #[arg(long, default_value = "waiting", value_parser = parse_by)]
    pub by: RankBy,
    /// Print JSON instead of a table.
    #[arg(long)]
    pub json: bool,
    /// Write a draft catalogue action (a manual executor, `replaces` naming the group) for each
    /// shown group into DIR, as `<id>.yaml`; files that exist are left alone.
    #[arg(long, value_name = "DIR")]
    pub drafts: Option<PathBuf>,
    /// The team that will own the drafts.
    #[arg(long, default_value = "platform", requires = "drafts")]
    pub owner: String,
    /// With --json: list every ticket key of each shown group (to score groups against your own
    /// labels).
    #[arg(long, requires = "json")]
    pub members: bool,
}

#[derive(Debug, clap::Args)]
pub struct ImportCmd {
    #[command(flatten)]
    pub export: ExportArgs,
    /// The ticket system the export comes from; ticket keys are unique within it. Default: the
    /// format's (`jira` for both Jira formats, `github`, `linear`, `csv`).
    #[arg(long)]
    pub source: Option<String>,
}

/// `runway tickets import`.
pub async fn import(
    settings: runway_core::config::Settings,
    args: ImportCmd,
) -> anyhow::Result<()> {
    use anyhow::Context;
    let reporter = runway_core::discover::reporter_policy(&settings.discover)?;
    let export = args.export.clone();
    let read = tokio::task::spawn_blocking(move || read_export(&export, reporter))
        .await
        .context("reading the export")?
        .map_err(|e| anyhow::anyhow!(e))?;
    runway_core::data_dir::prepare(&settings).context("preparing the data directory")?;
    let db = runway_core::db::Db::connect(&settings.effective_database_url(), 2)
        .await
        .context("opening the database")?;
    db.migrate().await.context("applying migrations")?;
    let file_name = args.export.file.file_name().map_or_else(
        || args.export.file.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    );
    let imported_by = cli_user();
    let params = runway_core::discover::ImportParams {
        source: args.source.as_deref(),
        file_name: &file_name,
        format: read.format,
        tickets: read.tickets,
        rows_skipped: read.skipped_total,
        imported_by: &imported_by,
    };
    let imported = runway_core::discover::store_import(&db, params).await?;
    // Actions linked to a group of this source take the group's tickets from the new analysis.
    let relinked = runway_core::impact::baseline::refresh_source(&db, &imported.source).await;
    db.close().await;
    match relinked {
        Ok(n) if n > 0 => {
            eprintln!("{n} action baseline(s) linked to this source now hold its new tickets")
        }
        Ok(_) => {}
        Err(e) => eprintln!("cannot refresh the action baselines linked to this source: {e}"),
    }
    for s in read.skipped.iter().take(10) {
        eprintln!("skipped {s}");
    }
    let mut out = std::io::stdout().lock();
    writeln!(
        out,
        "import #{} into source `{}`: {} tickets ({} new, {} updated), {} rows skipped, from {} ({})",
        imported.import_id,
        imported.source,
        thousands(imported.rows_ok),
        thousands(imported.tickets_new.max(0) as usize),
        thousands(imported.tickets_updated.max(0) as usize),
        thousands(imported.rows_skipped),
        file_name,
        read.format
    )?;
    Ok(())
}

/// Who runs the command: `cli:` and the operating-system user.
fn cli_user() -> String {
    let uid = nix::unistd::getuid();
    match nix::unistd::User::from_uid(uid) {
        Ok(Some(user)) => format!("cli:{}", user.name),
        _ => format!("cli:uid-{uid}"),
    }
}

/// What reading an export gave.
pub struct Read {
    pub format: Format,
    pub tickets: Vec<Ticket>,
    pub skipped: Vec<Skipped>,
    /// Skipped rows beyond those kept in `skipped`.
    pub skipped_total: usize,
}

/// Skipped rows kept for the report (the count is always exact).
const SKIPPED_KEPT: usize = 1_000;

/// Reads an export, showing progress on stderr when it takes a while and stderr is a terminal.
pub fn read_export(args: &ExportArgs, reporter: ReporterPolicy) -> Result<Read, String> {
    let name = args.file.display().to_string();
    read_named(args, reporter, &name, std::io::stderr().is_terminal())
}

/// Reads an export; messages call the file `name` (an upload's own name, not its temporary path),
/// and `progress` shows the reading on stderr.
pub fn read_named(
    args: &ExportArgs,
    reporter: ReporterPolicy,
    name: &str,
    progress: bool,
) -> Result<Read, String> {
    let file = std::fs::File::open(&args.file).map_err(|e| format!("cannot open {name}: {e}"))?;
    let size = file.metadata().map(|m| m.len()).unwrap_or(0);
    let options = ImportOptions {
        format: args.format,
        map: args.map.clone(),
        description_lines: if args.description { 3 } else { 0 },
        reporter,
    };
    let mut import = import::open(file, &options).map_err(|e| format!("{name}: {e}"))?;
    let format = import.format();
    let read = import.bytes_read();
    let started = Instant::now();
    let mut last_shown = started;
    let (mut tickets, mut skipped, mut skipped_total) = (Vec::new(), Vec::new(), 0usize);
    for row in import.by_ref() {
        match row {
            Ok(t) => tickets.push(t),
            Err(s) => {
                skipped_total += 1;
                if skipped.len() < SKIPPED_KEPT {
                    skipped.push(s);
                }
            }
        }
        if progress
            && tickets.len().is_multiple_of(4096)
            && last_shown.elapsed() > Duration::from_millis(250)
        {
            last_shown = Instant::now();
            let done = read.load(Ordering::Relaxed);
            let percent = (done * 100).checked_div(size).unwrap_or(0);
            eprint!(
                "\rreading {name}: {percent:>3} % ({} tickets, {} skipped)",
                tickets.len(),
                skipped_total
            );
        }
    }
    if progress && last_shown != started {
        eprintln!();
    }
    import
        .finish()
        .map_err(|e| format!("{}: {e}", args.file.display()))?;
    Ok(Read {
        format,
        tickets,
        skipped,
        skipped_total,
    })
}

/// Groups and ranks the tickets that were read.
pub fn analyse(tickets: &[Ticket], description: bool, by: RankBy) -> (Vec<Group>, Report) {
    let options = cluster::Options {
        use_description: description,
        ..Default::default()
    };
    let groups = cluster::cluster(tickets, &options);
    let report = rank::rank(tickets, &groups, by);
    (groups, report)
}

/// `runway tickets analyze`.
pub fn analyze(args: Analyze) -> ExitCode {
    let started = Instant::now();
    // The analysis never reads reporters: none are kept.
    let read = match read_export(&args.export, ReporterPolicy::Drop) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("runway: {e}");
            return ExitCode::from(2);
        }
    };
    let (groups, mut report) = analyse(&read.tickets, args.export.description, args.by);
    let covered: usize = report.groups.iter().take(args.top).map(|g| g.tickets).sum();
    report.groups.truncate(args.top);
    let elapsed = started.elapsed();
    let mut out = std::io::stdout().lock();
    let written = if args.json {
        let members: serde_json::Map<String, serde_json::Value> = if args.members {
            report
                .groups
                .iter()
                .filter_map(|r| groups.iter().find(|g| g.id == r.id))
                .map(|g| {
                    let keys: Vec<&str> = g
                        .members
                        .iter()
                        .filter_map(|&m| read.tickets.get(m as usize).map(|t| t.key.as_str()))
                        .collect();
                    (g.id.to_string(), serde_json::json!(keys))
                })
                .collect()
        } else {
            serde_json::Map::new()
        };
        let json = serde_json::json!({
            "members": members,
            "file": args.export.file.display().to_string(),
            "format": read.format,
            "skipped_total": read.skipped_total,
            "skipped": read.skipped,
            "top_covers": covered,
            "report": report,
        });
        writeln!(out, "{json}")
    } else {
        write_table(
            &mut out,
            &args.export.file,
            &read,
            &report,
            covered,
            elapsed,
        )
    };
    if written.is_err() {
        return ExitCode::FAILURE;
    }
    if let Some(dir) = &args.drafts {
        if let Err(e) = write_drafts(dir, &args.owner, &groups, &report) {
            eprintln!("runway: {e}");
            return ExitCode::FAILURE;
        }
    }
    if !args.json && read.skipped_total > 0 {
        for s in read.skipped.iter().take(10) {
            eprintln!("skipped {s}");
        }
        if read.skipped_total > 10 {
            eprintln!(
                "… and {} more skipped rows (--json lists up to {SKIPPED_KEPT})",
                read.skipped_total - 10
            );
        }
    }
    ExitCode::SUCCESS
}

/// Writes one draft action per shown group; says on stderr which files it wrote or kept.
fn write_drafts(dir: &Path, owner: &str, groups: &[Group], report: &Report) -> Result<(), String> {
    use runway_discover::draft::{draft, DraftOptions};
    std::fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    let options = DraftOptions {
        owner: owner.to_string(),
        ..Default::default()
    };
    for figures in &report.groups {
        let Some(group) = groups.iter().find(|g| g.id == figures.id) else {
            continue;
        };
        let d = draft(group, Some(figures), &options);
        let path = dir.join(format!("{}.yaml", d.id));
        // create_new: never overwrite an action someone may have started to finish.
        let file = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&path);
        match file {
            Ok(mut f) => {
                f.write_all(d.yaml.as_bytes())
                    .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
                eprintln!("draft written: {}", path.display());
            }
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                eprintln!("draft kept (file exists): {}", path.display());
            }
            Err(e) => return Err(format!("cannot write {}: {e}", path.display())),
        }
    }
    Ok(())
}

/// `3.5d`, `7h`, `45m`.
pub fn human(secs: Option<i64>) -> String {
    let Some(secs) = secs else {
        return "-".to_string();
    };
    let hours = secs as f64 / 3600.0;
    if hours >= 100.0 * 24.0 {
        format!("{}d", thousands((hours / 24.0).round() as usize))
    } else if hours >= 48.0 {
        format!("{:.1}d", hours / 24.0)
    } else if hours >= 1.0 {
        format!("{hours:.1}h")
    } else {
        format!("{}m", secs / 60)
    }
}

fn thousands(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

fn cut(text: &str, width: usize) -> String {
    if text.chars().count() <= width {
        format!("{text:<width$}")
    } else {
        let kept: String = text.chars().take(width - 1).collect();
        format!("{kept}…")
    }
}

fn write_table(
    out: &mut impl Write,
    file: &Path,
    read: &Read,
    report: &Report,
    covered: usize,
    elapsed: Duration,
) -> std::io::Result<()> {
    writeln!(
        out,
        "{} ({}): {} tickets, {} skipped, {} groups, in {:.1} s",
        file.display(),
        read.format,
        thousands(report.tickets),
        thousands(read.skipped_total),
        thousands(report.groups_total),
        elapsed.as_secs_f64()
    )?;
    writeln!(out)?;
    writeln!(
        out,
        "{:>4}  {:<40} {:>8} {:>6} {:>7} {:>7} {:>9}  top teams",
        "rank", "group", "tickets", "share", "median", "p90", "waiting"
    )?;
    for g in &report.groups {
        let teams: Vec<String> = g
            .teams
            .iter()
            .take(3)
            .map(|t| format!("{} {}", t.team, t.tickets))
            .collect();
        writeln!(
            out,
            "{:>4}  {} {:>8} {:>5.1}% {:>7} {:>7} {:>9}  {}",
            g.rank,
            cut(&g.label, 40),
            thousands(g.tickets),
            g.share * 100.0,
            human(g.median_secs),
            human(g.p90_secs),
            human(Some(g.waiting_secs)),
            teams.join(", ")
        )?;
    }
    writeln!(out)?;
    let share = covered as f64 * 100.0 / report.tickets.max(1) as f64;
    writeln!(
        out,
        "The top {} groups hold {} of {} tickets ({share:.1} %); total waiting {} (tickets × median time to resolve).",
        report.groups.len(),
        thousands(covered),
        thousands(report.tickets),
        human(Some(report.waiting_secs))
    )?;
    if let (Some(first), Some(last)) = (report.first_created, report.last_created) {
        writeln!(
            out,
            "Tickets created from {} to {}.",
            first.format("%Y-%m-%d"),
            last.format("%Y-%m-%d")
        )?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_in_the_largest_fitting_unit() {
        assert_eq!(human(None), "-");
        assert_eq!(human(Some(30 * 60)), "30m");
        assert_eq!(human(Some(5 * 3600)), "5.0h");
        assert_eq!(human(Some(72 * 3600)), "3.0d");
        assert_eq!(human(Some(1234 * 86_400)), "1,234d");
    }

    #[test]
    fn counts_have_thousands_separators() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(1234567), "1,234,567");
        assert_eq!(thousands(100), "100");
    }
}
