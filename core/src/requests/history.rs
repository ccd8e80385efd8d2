//! Request history: the caller's scope turned into a database filter, then one page of rows.

use crate::db::history::Filter;
use crate::db::requests::RequestRow;
use crate::db::DbError;
use crate::state::Runway;
use runway_domain::request::RequestStatus;
use runway_domain::user::User;
use runway_domain::view::{HistoryPage, HistoryQuery, HistoryRow, HistoryScope};

/// Why a history view cannot be shown. The variants carry what the user got wrong; the web layer
/// words it.
#[derive(Debug, thiserror::Error)]
pub enum HistoryError {
    /// A date filter is not `YYYY-MM-DD`.
    #[error("`{0}` is not a date")]
    BadDate(String),
    /// The `before` cursor names no request.
    #[error("before: no request {0}")]
    UnknownCursor(i64),
    /// The team scope names a team the caller is not in (empty: no team chosen).
    #[error("not in the team `{0}`")]
    NotInTeam(String),
    /// "All requests" for a non-admin.
    #[error("only admins see all requests")]
    NotAdmin,
    #[error(transparent)]
    Db(#[from] DbError),
}

impl HistoryError {
    /// A filter is malformed (400), as opposed to a scope the caller may not see (403).
    pub fn is_bad_input(&self) -> bool {
        matches!(
            self,
            HistoryError::BadDate(_) | HistoryError::UnknownCursor(_)
        )
    }
}

/// The database filter for `q` as `user` may see it: mine, one of my teams, or everything (admins).
pub async fn history_filter(
    rw: &Runway,
    user: &User,
    q: &HistoryQuery,
) -> Result<Filter, HistoryError> {
    let mut f = Filter::default();
    match q.scope() {
        HistoryScope::Mine => f.requester_id = Some(user.id),
        HistoryScope::Team(t) => {
            if !user.teams.iter().any(|m| m.team == t) {
                return Err(HistoryError::NotInTeam(t));
            }
            f.team = Some(t);
        }
        HistoryScope::All => {
            if !user.is_admin {
                return Err(HistoryError::NotAdmin);
            }
            if !q.team.is_empty() {
                f.team = Some(q.team.clone());
            }
        }
    }
    let day = |d: &str| -> Result<Option<chrono::DateTime<chrono::Utc>>, HistoryError> {
        if d.is_empty() {
            return Ok(None);
        }
        chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d")
            .ok()
            .and_then(|d| d.and_hms_opt(0, 0, 0))
            .map(|t| Some(t.and_utc()))
            .ok_or_else(|| HistoryError::BadDate(d.to_string()))
    };
    f.from = day(&q.from)?;
    f.until = day(&q.to)?.map(|t| t + chrono::Duration::days(1));
    let nonempty = |s: &str| (!s.is_empty()).then(|| s.to_string());
    f.status = nonempty(&q.status);
    f.action_id = nonempty(&q.action);
    f.requester_name = nonempty(&q.requester);
    f.text = nonempty(&q.q);
    f.channel = nonempty(&q.channel);
    if let Some(b) = q.before {
        f.before = Some(
            crate::db::history::position(&rw.db, b)
                .await?
                .ok_or(HistoryError::UnknownCursor(b))?,
        );
    }
    Ok(f)
}

/// Turns stored rows into list rows (titles from the current catalogue).
pub fn history_rows(rw: &Runway, rows: Vec<RequestRow>) -> Vec<HistoryRow> {
    let catalog = rw.catalog.snapshot();
    rows.into_iter()
        .map(|r| {
            let status: Option<RequestStatus> = r.status.parse().ok();
            HistoryRow {
                id: r.id,
                action_title: catalog.title_of(&r.action_id),
                action_id: r.action_id,
                requester: r.requester_name.unwrap_or_default(),
                team: r.team,
                status_label: status
                    .map(|s| s.label().to_string())
                    .unwrap_or_else(|| r.status.clone()),
                status: r.status,
                created_at: r.created_at.to_rfc3339(),
                finished_at: r.finished_at.map(|t| t.to_rfc3339()),
                channel: r.channel,
            }
        })
        .collect()
}

/// One page (50 rows) of a history view.
pub async fn history(
    rw: &Runway,
    user: &User,
    q: HistoryQuery,
) -> Result<HistoryPage, HistoryError> {
    const PAGE: i64 = 50;
    let f = history_filter(rw, user, &q).await?;
    let mut rows = crate::db::history::page(&rw.db, &f, PAGE + 1).await?;
    let more = rows.len() > usize::try_from(PAGE).unwrap_or(50);
    rows.truncate(usize::try_from(PAGE).unwrap_or(50));
    let next = if more {
        rows.last().map(|r| q.to_query(Some(r.id)))
    } else {
        None
    };
    Ok(HistoryPage {
        rows: history_rows(rw, rows),
        next,
        teams: user.team_names(),
        is_admin: user.is_admin,
        query: q,
    })
}
