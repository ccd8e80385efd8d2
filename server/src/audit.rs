//! `GET /admin/audit.csv`: the audit log as CSV for admins, with the Audit page's filters, streamed
//! page by page (keyset) so a million events go out in constant memory.

use crate::error::{bad_request, Error};
use crate::requests::csv::field;
use crate::state::AppState;
use axum::extract::State;
use axum::http::{header, Uri};
use axum::response::{IntoResponse, Response};
use axum::Extension;
use runway_core::audit;
use runway_core::db::audit as sql;
use runway_domain::audit::AuditQuery;
use runway_domain::user::User;

/// The first line of every export.
pub const HEADER: &str = "id,at,who,kind,object,before,after,detail\n";

/// Events read per database query while streaming.
const CHUNK: i64 = 1_000;

/// One event as a CSV line, newline included.
fn line(row: sql::AuditEventRow) -> String {
    let r = audit::page::view(row);
    let mut line = [
        r.id.to_string(),
        r.at,
        r.who,
        r.kind,
        r.object,
        r.before.unwrap_or_default(),
        r.after.unwrap_or_default(),
        r.detail.unwrap_or_default(),
    ]
    .iter()
    .map(|f| field(f))
    .collect::<Vec<_>>()
    .join(",");
    line.push('\n');
    line
}

/// `GET /admin/audit.csv?<audit filters>`: every matching event, newest first.
pub async fn export_csv(
    State(state): State<AppState>,
    Extension(user): Extension<User>,
    uri: Uri,
) -> Result<Response, Error> {
    let rw = state.runway.clone();
    let query = AuditQuery::parse(uri.query().unwrap_or(""))
        .map_err(|e| bad_request("Check the filters", e))?;
    let filter = audit::audit_filter(&rw, &user, &query).await?;
    let stream = futures_util::stream::unfold((Some(filter), true), move |(filter, first)| {
        let rw = rw.clone();
        async move {
            let mut filter = filter?;
            if first {
                return Some((
                    Ok::<_, std::io::Error>(HEADER.to_string()),
                    (Some(filter), false),
                ));
            }
            let rows = match sql::page(&rw.db, &filter, CHUNK).await {
                Ok(rows) => rows,
                Err(e) => {
                    // The status line has gone out: all we can do is log and cut the download.
                    tracing::error!(error = %e, "audit export stopped");
                    return Some((Err(std::io::Error::other("export stopped")), (None, false)));
                }
            };
            let next = match rows.last() {
                Some(last) if rows.len() as i64 == CHUNK => {
                    filter.before = Some(last.id);
                    Some(filter)
                }
                _ => None,
            };
            if rows.is_empty() {
                return None;
            }
            let out: String = rows.into_iter().map(line).collect();
            Some((Ok(out), (next, false)))
        }
    });
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
            (
                header::CONTENT_DISPOSITION,
                "attachment; filename=\"audit.csv\"",
            ),
            (header::CACHE_CONTROL, "no-store"),
        ],
        axum::body::Body::from_stream(stream),
    )
        .into_response())
}
