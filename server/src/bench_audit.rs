//! `runway bench audit`: seeds a million audit events (by default, one every 31 seconds over a
//! year, a thousand people) into the configured **scratch** database, then times the Audit page's
//! query as the portal runs it (`core::audit::audit_page`, an admin caller) with each filter alone,
//! none, and deep in the keyset pages, and prints p50/p99 per view.

use crate::bench_history::{out, p50_p99, scratch_db};
use runway_core::config::Settings;
use runway_core::state::Runway;
use runway_domain::audit::AuditQuery;
use runway_domain::user::User;
use std::time::{Duration, Instant};

#[derive(Debug, clap::Args)]
pub struct BenchAudit {
    /// Events to have in the database (seeded when there are fewer).
    #[arg(long, default_value_t = 1_000_000)]
    pub events: i64,
    /// Timed pages per view.
    #[arg(long, default_value_t = 300)]
    pub samples: usize,
}

const PEOPLE: i64 = 1_000;

/// What the views' query strings refer to.
struct Seeded {
    first_event: i64,
    first_person: i64,
    count: i64,
}

/// A view to time: its name and its query string for sample `i`.
type View = (&'static str, fn(usize, &Seeded) -> String);

pub async fn run(settings: Settings, args: BenchAudit) -> anyhow::Result<()> {
    let db = scratch_db(&settings, "audit").await?;
    let started = Instant::now();
    match runway_core::db::seed::audit(&db, args.events, PEOPLE).await? {
        0 => out(&format!(
            "  {} or more events already there; not seeding",
            args.events
        )),
        n => out(&format!(
            "  seeded {n} events in {:.1} s",
            started.elapsed().as_secs_f64()
        )),
    }
    runway_core::db::seed::analyze(&db).await?;
    let (count, first_event, first_person) = runway_core::db::seed::audit_extent(&db).await?;
    let seeded = Seeded {
        count,
        first_event,
        first_person,
    };
    let rw = Runway::new(settings, db.clone())?;
    let admin = User {
        id: 0,
        name: "Bench Admin".into(),
        email: None,
        is_admin: true,
        teams: Vec::new(),
    };
    out(&format!("  {} events", seeded.count));
    let views: [View; 9] = [
        ("no filter", |_, _| String::new()),
        ("by kind (common)", |i, _| {
            format!(
                "kind={}",
                ["sign_in", "sign_out", "approval_decided"][i % 3]
            )
        }),
        ("by kind (rare)", |i, _| {
            format!(
                "kind={}",
                ["catalog_reload", "catalog_publish", "secret_revealed"][i % 3]
            )
        }),
        ("by actor (name)", |i, _| {
            format!("who=Auditee+{:05}", (i * 37) % PEOPLE as usize)
        }),
        ("by actor (user:id)", |i, s| {
            format!("who=user:{}", s.first_person + (i as i64 * 37) % PEOPLE)
        }),
        ("by object prefix", |i, _| {
            ["object=action:", "object=request:", "object=action:act-19*"][i % 3].to_string()
        }),
        ("by object (exact)", |i, _| {
            format!("object=request:{}", 1_000 + i * 977)
        }),
        ("by date range", |i, _| {
            // A week, somewhere in the last year.
            let to = chrono::Utc::now().date_naive() - chrono::Days::new(7 + (i as u64 * 13) % 350);
            let from = to - chrono::Days::new(6);
            format!("from={from}&to={to}")
        }),
        ("deep keyset page", |i, s| {
            // Somewhere in the oldest tenth of the log.
            format!(
                "before={}",
                s.first_event + 1 + (i as i64 * 331) % (s.count / 10).max(1)
            )
        }),
    ];
    for (name, query) in views {
        // A few untimed pages first, as a running server has read its indexes already.
        for i in 0..5 {
            let q =
                AuditQuery::parse(&query(i + 1_000, &seeded)).map_err(|e| anyhow::anyhow!(e))?;
            let _ = runway_core::audit::audit_page(&rw, &admin, q).await;
        }
        let mut samples: Vec<Duration> = Vec::with_capacity(args.samples * 2);
        let mut rows = 0usize;
        for i in 0..args.samples {
            let q = AuditQuery::parse(&query(i, &seeded)).map_err(|e| anyhow::anyhow!(e))?;
            let t = Instant::now();
            let page = runway_core::audit::audit_page(&rw, &admin, q)
                .await
                .map_err(|e| anyhow::anyhow!("{e:?}"))?;
            samples.push(t.elapsed());
            rows += page.rows.len();
            // The next page through the cursor, timed too.
            if let Some(next) = page.next {
                let q = AuditQuery::parse(&next).map_err(|e| anyhow::anyhow!(e))?;
                let t = Instant::now();
                let _ = runway_core::audit::audit_page(&rw, &admin, q).await;
                samples.push(t.elapsed());
            }
        }
        out(&format!(
            "  audit: {name:<20} {}   ({} pages, {:.0} rows a first page)",
            p50_p99(&samples),
            samples.len(),
            rows as f64 / args.samples.max(1) as f64,
        ));
    }
    Ok(())
}
