//! `runway bench impact`: seeds `runway bench history`'s million requests (by default), 100,000
//! generated tickets linked as create-repo's baseline and a rating per 20 requests into the
//! configured **scratch** database, then times what the Impact page and the action page run:
//! computing the report from the database (done in the background once a minute per period, or
//! for the first view), the report as pages get it (from the cache), and an action's own figures
//! (from the cached report, and read for the one action when none is cached). Prints p50/p99.

use crate::bench_history::{out, p50_p99, scratch_db};
use runway_core::config::Settings;
use runway_core::state::Runway;
use runway_domain::user::{Membership, User};
use std::time::Instant;

#[derive(Debug, clap::Args)]
pub struct BenchImpact {
    /// Requests to have in the database (seeded when there are fewer).
    #[arg(long, default_value_t = 1_000_000)]
    pub requests: i64,
    /// Tickets to import (once) and link as a baseline.
    #[arg(long, default_value_t = 100_000)]
    pub tickets: usize,
    /// Timed calls of the cached report and of the action figures.
    #[arg(long, default_value_t = 300)]
    pub samples: usize,
    /// Timed computations of the whole report from the database.
    #[arg(long, default_value_t = 5)]
    pub cold: usize,
}

const ACTIONS: [&str; 6] = [
    "create-repo",
    "tls-certificate",
    "service-database",
    "access-request",
    "deploy-pipeline",
    "rotate-secret",
];

pub async fn run(settings: Settings, args: BenchImpact) -> anyhow::Result<()> {
    let db = scratch_db(&settings, "impact").await?;
    let started = Instant::now();
    let seeded = runway_core::db::seed::history(&db, args.requests, &ACTIONS, 20, 200).await?;
    out(&format!(
        "  requests: {seeded} seeded in {:.1} s",
        started.elapsed().as_secs_f64()
    ));
    let rw = Runway::new(settings, db.clone())?;
    let _ = rw.catalog.reload().await;
    let sources = runway_core::discover::sources(&db).await?;
    if !sources.iter().any(|s| s.source == "bench") {
        let started = Instant::now();
        let generated = runway_discover::generate::tickets(args.tickets, 7);
        runway_core::discover::store_import(
            &db,
            runway_core::discover::ImportParams {
                source: Some("bench"),
                file_name: "generated.csv",
                format: runway_discover::import::Format::JiraCsv,
                tickets: generated.tickets,
                rows_skipped: 0,
                imported_by: "bench",
            },
        )
        .await?;
        out(&format!(
            "  tickets: {} imported in {:.1} s",
            args.tickets,
            started.elapsed().as_secs_f64()
        ));
    }
    runway_core::db::seed::ratings(&db, 20).await?;
    runway_core::db::seed::analyze(&db).await?;
    let admin = User {
        id: 0,
        name: "Bench admin".into(),
        email: None,
        is_admin: true,
        teams: vec![Membership {
            team: "platform".into(),
            is_lead: false,
        }],
    };
    let analysis =
        runway_core::discover::analysis(&db, "bench", runway_core::discover::RankBy::Waiting)
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?;
    if let Some(group) = analysis.groups.iter().max_by_key(|g| g.members.len()) {
        let started = Instant::now();
        runway_core::impact::baseline::set(
            &rw,
            &admin,
            "create-repo",
            &runway_core::impact::baseline::BaselineInput::Group {
                source: "bench".into(),
                group: group.id.to_string(),
            },
            chrono::NaiveDate::from_ymd_opt(2026, 6, 1),
        )
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
        out(&format!(
            "  baseline: create-repo linked to a group of {} tickets in {:.1} s",
            group.members.len(),
            started.elapsed().as_secs_f64()
        ));
    }

    let mut cold = Vec::new();
    for _ in 0..args.cold.max(1) {
        let t = Instant::now();
        let report = runway_core::impact::compute(&rw, 90, chrono::Utc::now()).await?;
        cold.push(t.elapsed());
        anyhow::ensure!(report.headline.requests > 0, "no requests in the period");
    }
    out(&format!(
        "  report, computed (90 days):   {}   ({} runs)",
        p50_p99(&cold),
        cold.len()
    ));
    rw.impact.clear();
    let mut served = Vec::new();
    for _ in 0..args.samples {
        let t = Instant::now();
        let _ = runway_core::impact::report(&rw, &admin, 90).await?;
        served.push(t.elapsed());
    }
    out(&format!(
        "  report, as pages get it:      {}   ({} pages, the first computes)",
        p50_p99(&served),
        served.len()
    ));
    for (name, direct) in [
        ("action page figures:", false),
        ("  without a cached report:", true),
    ] {
        let mut figures = Vec::new();
        for i in 0..args.samples {
            let id = ACTIONS[i % ACTIONS.len()];
            let t = Instant::now();
            if direct {
                let _ = runway_core::impact::action_figures_now(&rw, id).await?;
            } else {
                let _ = runway_core::impact::action_figures(&rw, id).await?;
            }
            figures.push(t.elapsed());
        }
        out(&format!(
            "  {name:<28} {}   ({} pages)",
            p50_p99(&figures),
            figures.len()
        ));
    }
    Ok(())
}
