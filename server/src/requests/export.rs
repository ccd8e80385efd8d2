//! Downloads, streamed page by page so any size goes out in constant memory: the filtered history
//! as CSV (`GET /requests.csv`) and a request's whole log (`GET /requests/{id}/log.txt`).

use super::csv;
use crate::error::{bad_request, Error};
use crate::state::AppState;
use axum::extract::{Path, State};
use axum::http::{header, Uri};
use axum::response::{IntoResponse, Response};
use axum::Extension;
use runway_core::db::requests as sql;
use runway_core::requests;
use runway_domain::user::User;
use runway_domain::view::HistoryQuery;

/// `GET /requests.csv?<history filters>`: the filtered history as CSV, every row (keyset pages).
pub async fn export_csv(
    State(state): State<AppState>,
    Extension(user): Extension<User>,
    uri: Uri,
) -> Result<Response, Error> {
    let rw = state.runway.clone();
    let query = HistoryQuery::parse(uri.query().unwrap_or(""))
        .map_err(|e| bad_request("Check the filters", e))?;
    let filter = requests::history_filter(&rw, &user, &query).await?;
    let stream = futures_util::stream::unfold((Some(filter), true), move |(filter, first)| {
        let rw = rw.clone();
        async move {
            let mut filter = filter?;
            if first {
                return Some((
                    Ok::<_, std::io::Error>(csv::HEADER.to_string()),
                    (Some(filter), false),
                ));
            }
            let rows = match runway_core::db::history::page(&rw.db, &filter, 1000).await {
                Ok(rows) => rows,
                Err(e) => {
                    // The status line has gone out: all we can do is log and cut the download.
                    tracing::error!(error = %e, "export stopped");
                    return Some((Err(std::io::Error::other("export stopped")), (None, false)));
                }
            };
            if rows.is_empty() {
                return None;
            }
            let out: String = rows.iter().map(csv::line).collect();
            let next = if rows.len() < 1000 {
                None
            } else {
                rows.last().map(|r| {
                    filter.before = Some((r.created_at, r.id));
                    filter
                })
            };
            Some((Ok(out), (next, false)))
        }
    });
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
            (
                header::CONTENT_DISPOSITION,
                "attachment; filename=\"requests.csv\"",
            ),
            (header::CACHE_CONTROL, "no-store"),
        ],
        axum::body::Body::from_stream(stream),
    )
        .into_response())
}

/// `GET /requests/{id}/log.txt`: the whole log as text.
pub async fn download_log(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    Extension(user): Extension<User>,
) -> Result<Response, Error> {
    let rw = state.runway.clone();
    requests::access::visible(&rw, &user, id).await?;
    let stream = futures_util::stream::unfold(Some(0i64), move |after| {
        let rw = rw.clone();
        async move {
            let after = after?;
            match sql::logs(&rw.db, id, after, 5_000).await {
                Ok(rows) if rows.is_empty() => None,
                Ok(rows) => {
                    let next = (rows.len() == 5_000)
                        .then(|| rows.last().map(|r| r.id))
                        .flatten();
                    let mut out = String::new();
                    for r in &rows {
                        out.push_str(&format!(
                            "[{} attempt {}] {}\n",
                            r.stream, r.attempt, r.line
                        ));
                    }
                    Some((Ok::<_, std::io::Error>(out), next))
                }
                Err(e) => {
                    tracing::error!(error = %e, "log download stopped");
                    Some((Err(std::io::Error::other("log download stopped")), None))
                }
            }
        }
    });
    Ok((
        [
            (
                header::CONTENT_TYPE,
                "text/plain; charset=utf-8".to_string(),
            ),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"request-{id}.log\""),
            ),
            (header::CACHE_CONTROL, "no-store".to_string()),
        ],
        axum::body::Body::from_stream(stream),
    )
        .into_response())
}
