//! `runway bench tickets`: Discover's speed and memory. Generates an export with known groups
//! (written as a Jira CSV and read back through the real import), times import + grouping +
//! ranking, then re-analysis after a merge (decisions applied, ranking redone), and prints the
//! peak resident memory (`VmHWM`). Needs no database. Run it from a release build.

use runway_discover::decisions::{self, Decision};
use runway_discover::generate;
use runway_discover::rank::{self, RankBy};
use std::process::ExitCode;
use std::time::Instant;

#[derive(Debug, Clone, clap::Args)]
pub struct BenchTickets {
    /// Tickets to generate.
    #[arg(long, default_value_t = 100_000)]
    pub tickets: usize,
    /// The generator's seed.
    #[arg(long, default_value_t = 12)]
    pub seed: u64,
}

fn out(line: &str) {
    use std::io::Write;
    let mut stdout = std::io::stdout().lock();
    let _ = writeln!(stdout, "{line}");
}

/// The process's peak resident memory in MiB, from `/proc/self/status` (Linux).
fn peak_rss_mib() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib / 1024.0)
}

pub fn run(args: BenchTickets) -> ExitCode {
    match bench(&args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("runway: {e}");
            ExitCode::FAILURE
        }
    }
}

fn bench(args: &BenchTickets) -> Result<(), String> {
    out(&format!(
        "runway bench tickets: {} tickets, seed {}",
        args.tickets, args.seed
    ));
    let path =
        std::env::temp_dir().join(format!("runway-bench-tickets-{}.csv", std::process::id()));
    let started = Instant::now();
    let kinds = {
        let data = generate::tickets(args.tickets, args.seed);
        let file = std::fs::File::create(&path).map_err(|e| format!("{}: {e}", path.display()))?;
        generate::write_jira_csv(&data.tickets, std::io::BufWriter::new(file))
            .map_err(|e| format!("{}: {e}", path.display()))?;
        data.kinds
    };
    let size = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
    out(&format!(
        "  generated {:.1} MB of Jira CSV in {:.1} s (not part of the figures)",
        size as f64 / 1e6,
        started.elapsed().as_secs_f64()
    ));

    let export = crate::tickets::ExportArgs {
        file: path.clone(),
        format: None,
        map: None,
        description: false,
    };
    let t = Instant::now();
    let read = crate::tickets::read_export(&export, Default::default());
    let _ = std::fs::remove_file(&path);
    let read = read?;
    let import_secs = t.elapsed().as_secs_f64();
    let t = Instant::now();
    let (groups, report) = crate::tickets::analyse(&read.tickets, false, RankBy::Waiting);
    let analyse_secs = t.elapsed().as_secs_f64();
    out(&format!(
        "  import {import_secs:.2} s, group + rank {analyse_secs:.2} s: total {:.2} s ({} tickets, {} skipped, {} groups)",
        import_secs + analyse_secs,
        read.tickets.len(),
        read.skipped_total,
        report.groups_total
    ));

    let (placed, purity) = quality(&groups, &kinds);
    let top20: usize = report.groups.iter().take(20).map(|g| g.tickets).sum();
    out(&format!(
        "  quality: {:.1} % of tickets in groups of their own kind; worst top-20 purity {:.1} %; top 20 hold {:.1} %",
        placed * 100.0,
        purity * 100.0,
        top20 as f64 * 100.0 / read.tickets.len().max(1) as f64
    ));

    // Re-analysis after a decision: what the page does when someone merges two groups.
    let merge = match (report.groups.first(), report.groups.get(1)) {
        (Some(a), Some(b)) => vec![Decision::Merge {
            group: b.id.clone(),
            into: a.id.clone(),
        }],
        _ => Vec::new(),
    };
    let t = Instant::now();
    let applied = decisions::apply(groups, &merge, &read.tickets);
    let again = rank::rank(&read.tickets, &applied.groups, RankBy::Waiting);
    out(&format!(
        "  re-analysis after a merge: {:.3} s ({} groups)",
        t.elapsed().as_secs_f64(),
        again.groups_total
    ));
    match peak_rss_mib() {
        Some(mib) => out(&format!("  peak resident memory (VmHWM): {mib:.0} MiB")),
        None => out("  peak resident memory: unknown (no /proc/self/status)"),
    }
    Ok(())
}

/// The share of (non-noise) tickets in groups made at least 90 % of their own kind, and the worst
/// purity among the 20 largest groups.
fn quality(groups: &[runway_discover::cluster::Group], kinds: &[usize]) -> (f64, f64) {
    let names = generate::kind_names().len();
    let noise = names - 1;
    let (mut placed, mut real) = (0usize, 0usize);
    let mut worst: f64 = 1.0;
    for (i, g) in groups.iter().enumerate() {
        let mut counts = vec![0usize; names];
        for &m in &g.members {
            if let Some(&k) = kinds.get(m as usize) {
                counts[k.min(noise)] += 1;
            }
        }
        let (main, best) = counts
            .iter()
            .enumerate()
            .max_by_key(|(_, &c)| c)
            .map_or((0, 0), |(k, &c)| (k, c));
        let purity = best as f64 / g.members.len().max(1) as f64;
        if i < 20 {
            worst = worst.min(purity);
        }
        real += g.members.len() - counts[noise];
        if purity >= 0.9 && main != noise {
            placed += best;
        }
    }
    (placed as f64 / real.max(1) as f64, worst)
}
