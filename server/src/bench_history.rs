//! `runway bench history`: seeds a realistic history (by default one million requests over a year,
//! 20 teams, 200 people, six actions, a tenth of them approved) into the configured **scratch**
//! database, then times the history views and the team page as the portal runs them, and prints
//! p50/p99 per view.

use anyhow::Context;
use runway_core::config::Settings;
use runway_core::db::Db;
use runway_core::state::Runway;
use runway_domain::user::{Membership, User};
use runway_domain::view::HistoryQuery;
use std::time::{Duration, Instant};

#[derive(Debug, clap::Args)]
pub struct BenchHistory {
    /// Requests to have in the database (seeded when there are fewer).
    #[arg(long, default_value_t = 1_000_000)]
    pub requests: i64,
    /// Timed calls per view.
    #[arg(long, default_value_t = 300)]
    pub samples: usize,
}

const TEAMS: i64 = 20;
const PEOPLE: i64 = 200;
const ACTIONS: [&str; 6] = [
    "create-repo",
    "tls-certificate",
    "service-database",
    "access-request",
    "deploy-pipeline",
    "rotate-secret",
];

pub(crate) fn out(line: &str) {
    use std::io::Write;
    let mut stdout = std::io::stdout().lock();
    let _ = writeln!(stdout, "{line}");
}

/// A view to time: its name and how to build its query string for a team and a sample number.
type View = (&'static str, fn(&str, usize) -> String);

async fn seed(db: &Db, n: i64) -> anyhow::Result<()> {
    let started = Instant::now();
    let seeded = runway_core::db::seed::history(db, n, &ACTIONS, TEAMS, PEOPLE).await?;
    if seeded == 0 {
        out(&format!(
            "  {n} or more requests already there; not seeding"
        ));
    } else {
        out(&format!(
            "  seeded {seeded} requests in {:.1} s",
            started.elapsed().as_secs_f64()
        ));
    }
    Ok(())
}

/// Opens and migrates the configured (scratch) database and prints which one `bench` runs on.
pub(crate) async fn scratch_db(settings: &Settings, bench: &str) -> anyhow::Result<Db> {
    let url = settings.effective_database_url();
    let db = Db::connect(&url, 10)
        .await
        .context("opening the database")?;
    db.migrate().await.context("applying migrations")?;
    out(&format!(
        "runway bench {bench} on {} ({})",
        match db {
            Db::Postgres(_) => "postgres",
            Db::Sqlite(_) => "sqlite",
        },
        runway_core::config::redact_url(&url)
    ));
    Ok(db)
}

/// `p50 …ms   p99 …ms` of `samples`: the figures every benchmark prints per line.
pub(crate) fn p50_p99(samples: &[Duration]) -> String {
    let mut sorted = samples.to_vec();
    format!(
        "p50 {:>8.2} ms   p99 {:>8.2} ms",
        percentile(&mut sorted, 0.5),
        percentile(&mut sorted, 0.99)
    )
}

pub(crate) fn percentile(samples: &mut [Duration], q: f64) -> f64 {
    samples.sort_unstable();
    let rank = ((q * samples.len() as f64).ceil() as usize).clamp(1, samples.len().max(1));
    samples
        .get(rank - 1)
        .map(|d| d.as_secs_f64() * 1000.0)
        .unwrap_or(0.0)
}

pub async fn run(settings: Settings, args: BenchHistory) -> anyhow::Result<()> {
    let db = scratch_db(&settings, "history").await?;
    seed(&db, args.requests).await?;
    runway_core::db::seed::analyze(&db).await?;
    let rw = Runway::new(settings, db.clone())?;
    let _ = rw.catalog.reload().await;
    let users = runway_core::db::seed::people(&db).await?;
    anyhow::ensure!(!users.is_empty(), "no bench users");
    let user = |i: usize| {
        let (id, team) = users[i % users.len()].clone();
        User {
            id,
            name: format!("Bench {id}"),
            email: None,
            is_admin: true,
            teams: vec![Membership {
                team,
                is_lead: false,
            }],
        }
    };
    let views: [View; 10] = [
        ("my requests", |_, _| String::new()),
        ("all requests", |_, _| "scope=all".to_string()),
        ("team requests", |t, _| format!("scope=team&team={t}")),
        ("team, failed only", |t, _| {
            format!("scope=team&team={t}&status=failed")
        }),
        // One service among a million: found through the text index.
        ("all, search rare", |_, i| {
            format!("scope=all&q=svc-{}", 4_242 + i * 1_013)
        }),
        // A third of all requests match: found walking the newest first.
        ("all, search common", |_, i| {
            format!(
                "scope=all&q={}",
                ["staging", "production", "development"][i % 3]
            )
        }),
        ("all, search no match", |_, i| {
            format!("scope=all&q=nothing-{i}")
        }),
        ("team, search rare", |t, i| {
            format!("scope=team&team={t}&q=svc-{}", 777 + i * 331)
        }),
        ("all, by requester", |_, i| {
            format!("scope=all&requester=Bench+Person+{}", 100 + i % 100)
        }),
        ("all, unknown requester", |_, i| {
            format!("scope=all&requester=Nobody+{i}")
        }),
    ];
    for (name, query) in views {
        let n = args.samples;
        let mut samples = Vec::with_capacity(n * 2);
        for i in 0..n {
            let u = user(i * 7);
            let q =
                HistoryQuery::parse(&query(&u.teams[0].team, i)).map_err(|e| anyhow::anyhow!(e))?;
            let t = Instant::now();
            let page = runway_core::requests::history(&rw, &u, q)
                .await
                .map_err(|e| anyhow::anyhow!("{e:?}"))?;
            samples.push(t.elapsed());
            // Page 2 through the cursor, timed too.
            if let Some(next) = page.next {
                let q = HistoryQuery::parse(&next).map_err(|e| anyhow::anyhow!(e))?;
                let t = Instant::now();
                let _ = runway_core::requests::history(&rw, &u, q).await;
                samples.push(t.elapsed());
            }
        }
        out(&format!(
            "  history: {name:<22} {}   ({} pages)",
            p50_p99(&samples),
            samples.len()
        ));
    }
    let mut samples = Vec::new();
    for i in 0..(args.samples / 3).clamp(10, 40) {
        let u = user(i);
        let team = u.teams[0].team.clone();
        let t = Instant::now();
        let _ = runway_core::requests::team_stats(&rw, &u, &team).await?;
        samples.push(t.elapsed());
    }
    out(&format!(
        "  team page:                       {}   ({} pages)",
        p50_p99(&samples),
        samples.len()
    ));
    Ok(())
}
