//! SQL for Discover: imports, their tickets (upserted on `(source, ticket_key)`, so a re-import
//! updates instead of duplicating), and decisions about groups.

use super::{json_list, Db, DbError};
use crate::on_pool;
use chrono::{DateTime, Utc};
use runway_discover::cluster::GroupId;
use runway_discover::decisions::Decision;
use runway_discover::import::Format;
use runway_discover::ticket::Ticket;

/// Tickets per INSERT statement: 14 values each stays under SQLite's and Postgres's bind limits.
const BATCH: usize = 500;

/// An import to record.
#[derive(Debug, Clone)]
pub struct NewImport<'a> {
    pub source: &'a str,
    pub file_name: &'a str,
    pub format: Format,
    pub rows_skipped: i64,
    pub imported_by: &'a str,
    pub at: DateTime<Utc>,
}

/// A recorded import.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct ImportRow {
    pub id: i64,
    pub source: String,
    pub file_name: String,
    pub format: String,
    pub rows_ok: i64,
    pub rows_skipped: i64,
    pub tickets_new: i64,
    pub imported_by: String,
    pub imported_at: DateTime<Utc>,
}

/// Records an import and upserts its tickets (whose keys must be unique), in one transaction.
/// Returns the import's id and how many tickets the source did not hold before.
#[tracing::instrument(skip_all)]
pub async fn store_import(
    db: &Db,
    import: &NewImport<'_>,
    tickets: &[Ticket],
) -> Result<(i64, i64), DbError> {
    let rows_ok = tickets.len() as i64;
    on_pool!(db, pool => {
        let mut tx = pool.begin_with(db.begin_write()).await?;
        let before: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM tickets WHERE source = $1")
            .bind(import.source).fetch_one(&mut *tx).await?;
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO ticket_imports (source, file_name, format, rows_ok, rows_skipped, tickets_new, imported_by, imported_at) \
             VALUES ($1, $2, $3, $4, $5, 0, $6, $7) RETURNING id",
        )
        .bind(import.source).bind(import.file_name).bind(import.format.as_str()).bind(rows_ok)
        .bind(import.rows_skipped).bind(import.imported_by).bind(import.at)
        .fetch_one(&mut *tx).await?;
        for chunk in tickets.chunks(BATCH) {
            let mut qb = sqlx::QueryBuilder::new(
                "INSERT INTO tickets (source, ticket_key, import_id, title, created_at, resolved_at, team, labels, components, issue_type, status, description, reporter, link) ",
            );
            qb.push_values(chunk, |mut row, t| {
                row.push_bind(import.source)
                    .push_bind(t.key.as_str())
                    .push_bind(id)
                    .push_bind(t.title.as_str())
                    .push_bind(t.created)
                    .push_bind(t.resolved)
                    .push_bind(t.team.as_deref())
                    .push_bind(json_list(&t.labels))
                    .push_bind(json_list(&t.components))
                    .push_bind(t.issue_type.as_deref())
                    .push_bind(t.status.as_deref())
                    .push_bind(t.description.as_deref())
                    .push_bind(t.reporter.as_deref())
                    .push_bind(t.link.as_deref());
            });
            qb.push(
                " ON CONFLICT (source, ticket_key) DO UPDATE SET import_id = excluded.import_id, \
                 title = excluded.title, created_at = excluded.created_at, resolved_at = excluded.resolved_at, \
                 team = excluded.team, labels = excluded.labels, components = excluded.components, \
                 issue_type = excluded.issue_type, status = excluded.status, description = excluded.description, \
                 reporter = excluded.reporter, link = excluded.link",
            );
            qb.build().execute(&mut *tx).await?;
        }
        let after: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM tickets WHERE source = $1")
            .bind(import.source).fetch_one(&mut *tx).await?;
        let new = after - before;
        sqlx::query("UPDATE ticket_imports SET tickets_new = $2 WHERE id = $1")
            .bind(id).bind(new).execute(&mut *tx).await?;
        tx.commit().await?;
        Ok((id, new))
    })
}

fn parse_list(text: &str) -> Result<Vec<String>, DbError> {
    serde_json::from_str(text).map_err(|e| DbError::Corrupt(format!("ticket labels: {e}")))
}

type TicketRow = (
    String,
    String,
    DateTime<Utc>,
    Option<DateTime<Utc>>,
    Option<String>,
    String,
    String,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<String>,
);

/// Every ticket of `source`, in key order (so an analysis of the same rows is the same).
#[tracing::instrument(skip_all)]
pub async fn tickets(db: &Db, source: &str) -> Result<Vec<Ticket>, DbError> {
    let rows: Vec<TicketRow> = on_pool!(db, pool => {
        sqlx::query_as(
            "SELECT ticket_key, title, created_at, resolved_at, team, labels, components, issue_type, status, description, reporter, link \
             FROM tickets WHERE source = $1 ORDER BY ticket_key",
        )
        .bind(source).fetch_all(pool).await?
    });
    rows.into_iter()
        .map(|r| {
            Ok(Ticket {
                key: r.0,
                title: r.1,
                created: r.2,
                resolved: r.3,
                team: r.4,
                labels: parse_list(&r.5)?,
                components: parse_list(&r.6)?,
                issue_type: r.7,
                status: r.8,
                description: r.9,
                reporter: r.10,
                link: r.11,
            })
        })
        .collect()
}

/// The imports of `source`, newest first.
#[tracing::instrument(skip_all)]
pub async fn imports(db: &Db, source: &str) -> Result<Vec<ImportRow>, DbError> {
    Ok(on_pool!(db, pool => {
        sqlx::query_as(
            "SELECT id, source, file_name, format, rows_ok, rows_skipped, tickets_new, imported_by, imported_at \
             FROM ticket_imports WHERE source = $1 ORDER BY id DESC",
        )
        .bind(source).fetch_all(pool).await?
    }))
}

/// Records a decision about a group of `source`.
#[tracing::instrument(skip_all)]
pub async fn insert_decision(
    db: &Db,
    source: &str,
    decision: &Decision,
    decided_by: &str,
    at: DateTime<Utc>,
) -> Result<(), DbError> {
    let (kind, value) = match decision {
        Decision::Rename { label, .. } => ("rename", Some(label.clone())),
        Decision::Merge { into, .. } => ("merge", Some(into.to_string())),
        Decision::Split { word, .. } => ("split", Some(word.clone())),
        Decision::Dismiss { .. } => ("dismiss", None),
    };
    on_pool!(db, pool => {
        sqlx::query(
            "INSERT INTO ticket_group_decisions (source, group_id, kind, value, decided_by, decided_at) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(source).bind(decision.group().as_str()).bind(kind).bind(value).bind(decided_by).bind(at)
        .execute(pool).await?;
    });
    Ok(())
}

/// The decisions about `source`'s groups, in the order they were made.
#[tracing::instrument(skip_all)]
pub async fn decisions(db: &Db, source: &str) -> Result<Vec<Decision>, DbError> {
    let rows: Vec<(String, String, Option<String>)> = on_pool!(db, pool => {
        sqlx::query_as(
            "SELECT group_id, kind, value FROM ticket_group_decisions WHERE source = $1 ORDER BY id",
        )
        .bind(source).fetch_all(pool).await?
    });
    rows.into_iter()
        .map(|(group, kind, value)| {
            let group = GroupId(group);
            match (kind.as_str(), value) {
                ("rename", Some(label)) => Ok(Decision::Rename { group, label }),
                ("merge", Some(into)) => Ok(Decision::Merge {
                    group,
                    into: GroupId(into),
                }),
                ("split", Some(word)) => Ok(Decision::Split { group, word }),
                ("dismiss", None) => Ok(Decision::Dismiss { group }),
                (kind, _) => Err(DbError::Corrupt(format!(
                    "group decision of kind `{kind}` with a wrong value"
                ))),
            }
        })
        .collect()
}

/// One source's figures, for a list of what has been imported.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct SourceRow {
    pub source: String,
    pub tickets: i64,
    pub first_created: Option<DateTime<Utc>>,
    pub last_created: Option<DateTime<Utc>>,
}

/// Every source with tickets, by name.
#[tracing::instrument(skip_all)]
pub async fn sources(db: &Db) -> Result<Vec<SourceRow>, DbError> {
    Ok(on_pool!(db, pool => {
        sqlx::query_as(
            "SELECT source, COUNT(*) AS tickets, MIN(created_at) AS first_created, MAX(created_at) AS last_created \
             FROM tickets GROUP BY source ORDER BY source",
        )
        .fetch_all(pool).await?
    }))
}
