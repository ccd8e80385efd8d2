//! Plain form posts about requests: submitting an action's form, taking and closing manual
//! requests, and revealing a secret output once. Each works without JavaScript (a form posts, the
//! answer is a redirect or a small page) and sits behind the sign-in guard and the CSRF check.

use crate::routes::AppState;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{header, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::Extension;
use runway_core::db::requests as sql;
use runway_core::requests::{self, SubmitError};
use runway_domain::form::RawValues;
use runway_domain::spec::FieldKind;
use runway_domain::user::User;
use runway_domain::view::{encode_query_value, parse_query};
use runway_exec::{parse_outputs, Output, OutputKind};

fn body_values(body: &Bytes) -> RawValues {
    parse_query(&String::from_utf8_lossy(body))
}

/// A small page for answers that are not a redirect (errors, a revealed secret).
fn page(status: StatusCode, title: &str, body_html: String) -> Response {
    let html = format!(
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{title} · Runway</title><link rel=\"stylesheet\" href=\"/pkg/runway.css\"></head>\
         <body><main id=\"main\" class=\"container\"><h1>{title}</h1>{body_html}</main></body></html>",
        title = escape(title)
    );
    (status, [(header::CACHE_CONTROL, "no-store")], Html(html)).into_response()
}

/// A short explanation (plain text) and a link back to request `id`, as the body of [`page`].
fn back_to_request(id: i64, message: &str) -> String {
    format!(
        "<p>{}</p><p><a href=\"/requests/{id}\">Back to the request</a></p>",
        escape(message)
    )
}

pub fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}

fn not_found() -> Response {
    page(
        StatusCode::NOT_FOUND,
        "Not found",
        "<p>This does not exist, or you may not see it. <a href=\"/\">Back to the catalogue</a></p>".into(),
    )
}

fn unavailable(what: &str, e: impl std::fmt::Display) -> Response {
    tracing::error!(error = %e, "{what}");
    page(
        StatusCode::SERVICE_UNAVAILABLE,
        "Runway is unavailable",
        "<p>Something went wrong on our side; nothing was lost. Please try again in a moment.</p>"
            .into(),
    )
}

/// The request `id` if `user` may see it; otherwise the answer to send (404, or 503 on a database
/// failure). Every route about one request starts here.
pub(crate) async fn visible_request(
    rw: &runway_core::state::Runway,
    user: &User,
    id: i64,
) -> Result<sql::RequestRow, Response> {
    match sql::get(&rw.db, id).await {
        Ok(Some(row)) if requests::may_see(rw, user, &row) => Ok(row),
        Ok(_) => Err(not_found()),
        Err(e) => Err(unavailable("cannot load a request", e)),
    }
}

/// `POST /actions/{id}/submit`: validate and create the request, then show it; on mistakes, back to
/// the form with the values kept (secrets excepted) and every error shown.
pub async fn submit(
    State(state): State<AppState>,
    Path(action_id): Path<String>,
    Extension(user): Extension<User>,
    body: Bytes,
) -> Response {
    let rw = &state.runway;
    let posted = body_values(&body);
    let key = posted
        .iter()
        .rev()
        .find(|(k, _)| k == runway_app::pages::form::KEY_FIELD)
        .map(|(_, v)| v.clone())
        .filter(|k| !k.is_empty() && k.len() <= 64);
    let fields: RawValues = posted
        .into_iter()
        .filter(|(k, _)| !k.starts_with('_'))
        .collect();
    match requests::submit(rw, &user, &action_id, &fields, key).await {
        Ok(id) => Redirect::to(&format!("/requests/{id}")).into_response(),
        Err(SubmitError::NotFound) => not_found(),
        Err(SubmitError::Invalid(_)) => {
            let secret_names: Vec<String> = rw
                .catalog
                .snapshot()
                .actions
                .get(&action_id)
                .map(|a| {
                    a.spec
                        .inputs
                        .iter()
                        .filter(|f| matches!(f.kind, FieldKind::Secret { .. }))
                        .map(|f| f.name.to_string())
                        .collect()
                })
                .unwrap_or_default();
            let mut query: Vec<String> = fields
                .iter()
                .filter(|(k, _)| !secret_names.contains(k))
                .map(|(k, v)| format!("{}={}", encode_query_value(k), encode_query_value(v)))
                .collect();
            query.push("_invalid=1".into());
            Redirect::to(&format!(
                "/actions/{}?{}#form",
                encode_query_value(&action_id),
                query.join("&")
            ))
            .into_response()
        }
        Err(SubmitError::Internal(e)) => unavailable("cannot submit a request", e),
    }
}

/// `POST /requests/{id}/take`: someone on the owning team takes a waiting manual request.
pub async fn take(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    Extension(user): Extension<User>,
) -> Response {
    let rw = &state.runway;
    let row = match visible_request(rw, &user, id).await {
        Ok(row) => row,
        Err(answer) => return answer,
    };
    if row.executor != "manual" || !requests::may_fulfil(rw, &user, &row) {
        return page(
            StatusCode::FORBIDDEN,
            "Not yours to fulfil",
            back_to_request(
                id,
                "Only the team that owns this action (or an admin) can fulfil it.",
            ),
        );
    }
    if let Err(e) = sql::take(&rw.db, id, user.id).await {
        return unavailable("cannot take a request", e);
    }
    Redirect::to(&format!("/requests/{id}")).into_response()
}

/// Parses the fulfilment form's results: one `name = value` per line; `secret:` before a value
/// makes it a secret output, http(s) URLs become links.
pub fn parse_result_lines(text: &str) -> Result<Vec<Output>, String> {
    let mut outputs = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        let Some((name, value)) = line.split_once('=') else {
            return Err(format!(
                "line {}: write `name = value`, such as `console_url = https://…`",
                i + 1
            ));
        };
        let value = value.trim();
        let (kind, value) = match value.strip_prefix("secret:") {
            Some(v) => (OutputKind::Secret, v.trim()),
            None if value.starts_with("https://") || value.starts_with("http://") => {
                (OutputKind::Link, value)
            }
            None => (OutputKind::Text, value),
        };
        outputs.push(Output {
            name: name.trim().to_string(),
            label: None,
            value: value.to_string(),
            kind,
        });
    }
    // The same checks as an executor's outputs file.
    let json = serde_json::json!({ "outputs": outputs }).to_string();
    parse_outputs(&json)
}

/// `POST /requests/{id}/fulfil`: close a taken manual request as done or failed.
pub async fn fulfil(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    Extension(user): Extension<User>,
    body: Bytes,
) -> Response {
    let rw = &state.runway;
    let row = match visible_request(rw, &user, id).await {
        Ok(row) => row,
        Err(answer) => return answer,
    };
    if row.executor != "manual" || !requests::may_fulfil(rw, &user, &row) {
        return page(
            StatusCode::FORBIDDEN,
            "Not yours to fulfil",
            back_to_request(
                id,
                "Only the team that owns this action (or an admin) can fulfil it.",
            ),
        );
    }
    let form = body_values(&body);
    let get = |name: &str| {
        form.iter()
            .rev()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.trim().to_string())
            .unwrap_or_default()
    };
    let note = get("note");
    let succeeded = match get("outcome").as_str() {
        "done" => true,
        "failed" => false,
        _ => {
            return page(
                StatusCode::BAD_REQUEST,
                "Choose done or failed",
                back_to_request(id, "Use the Mark done or Mark failed button."),
            )
        }
    };
    if note.is_empty() || note.len() > 10_000 {
        return page(
            StatusCode::BAD_REQUEST,
            "A note is needed",
            back_to_request(
                id,
                "Tell the requester what you did (at most 10,000 characters).",
            ),
        );
    }
    let outputs = match parse_result_lines(&get("outputs")) {
        Ok(o) => o,
        Err(e) => {
            return page(
                StatusCode::BAD_REQUEST,
                "The results need fixing",
                back_to_request(id, &e),
            )
        }
    };
    let rows = match requests::seal_outputs(rw, id, &outputs) {
        Ok(r) => r,
        Err(e) => return unavailable("cannot seal outputs", e),
    };
    if let Err(e) = sql::fulfil(&rw.db, id, user.id, succeeded, &note, &rows).await {
        return unavailable("cannot close a request", e);
    }
    Redirect::to(&format!("/requests/{id}")).into_response()
}

/// `POST /requests/{id}/secrets/{name}`: shows a secret output to its requester, once.
pub async fn reveal(
    State(state): State<AppState>,
    Path((id, name)): Path<(i64, String)>,
    Extension(user): Extension<User>,
) -> Response {
    match requests::reveal_secret(&state.runway, &user, id, &name).await {
        Ok(Some(value)) => page(
            StatusCode::OK,
            "Your secret",
            format!(
                "<p>Copy it now: it has been deleted from Runway and cannot be shown again.</p>\
                 <pre class=\"secret\" data-testid=\"secret-value\">{}</pre><p><a href=\"/requests/{id}\">Back to the request</a></p>",
                escape(&value)
            ),
        ),
        Ok(None) => page(
            StatusCode::NOT_FOUND,
            "Nothing to show",
            back_to_request(id, "This secret was already shown (or expired unseen after 24 hours), or it is not yours."),
        ),
        Err(e) => unavailable("cannot reveal a secret output", e),
    }
}

/// `POST /requests/{id}/approve` and `/reject`: an approver decides, with a comment.
async fn decide(
    state: &AppState,
    id: i64,
    user: &User,
    body: &Bytes,
    decision: runway_core::db::approvals::Decision,
) -> Response {
    use runway_core::requests::DecideError;
    let form = body_values(body);
    let comment = form
        .iter()
        .rev()
        .find(|(k, _)| k == "comment")
        .map(|(_, v)| v.trim().to_string())
        .unwrap_or_default();
    if comment.len() > 5_000 {
        return page(
            StatusCode::BAD_REQUEST,
            "Comment too long",
            back_to_request(id, "Keep the comment under 5,000 characters."),
        );
    }
    if decision == runway_core::db::approvals::Decision::Reject && comment.is_empty() {
        return page(
            StatusCode::BAD_REQUEST,
            "Say why",
            back_to_request(
                id,
                "A rejection needs a comment, so the requester knows what to change.",
            ),
        );
    }
    match requests::decide(&state.runway, user, id, decision, &comment).await {
        Ok(_) => Redirect::to(&format!("/requests/{id}")).into_response(),
        Err(DecideError::NotFound) => not_found(),
        Err(DecideError::NotAllowed) => page(
            StatusCode::FORBIDDEN,
            "Not yours to approve",
            back_to_request(id, "You cannot approve this request: nobody approves their own requests, and the action's policy names who approves."),
        ),
        Err(DecideError::TooLate(msg)) => page(
            StatusCode::CONFLICT,
            "Already decided",
            back_to_request(id, &msg),
        ),
        Err(DecideError::Internal(e)) => unavailable("cannot record a decision", e),
    }
}

pub async fn approve(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    Extension(user): Extension<User>,
    body: Bytes,
) -> Response {
    decide(
        &state,
        id,
        &user,
        &body,
        runway_core::db::approvals::Decision::Approve,
    )
    .await
}

pub async fn reject(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    Extension(user): Extension<User>,
    body: Bytes,
) -> Response {
    decide(
        &state,
        id,
        &user,
        &body,
        runway_core::db::approvals::Decision::Reject,
    )
    .await
}

/// `POST /requests/{id}/cancel`: the requester, a lead of its team, or an admin stops a request:
/// removed at once if it has not started, or its worker stops the script or call.
pub async fn cancel(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    Extension(user): Extension<User>,
) -> Response {
    let rw = &state.runway;
    let row = match visible_request(rw, &user, id).await {
        Ok(row) => row,
        Err(answer) => return answer,
    };
    if !requests::may_cancel(&user, &row) {
        return page(
            StatusCode::FORBIDDEN,
            "Cannot cancel",
            back_to_request(id, "Only the requester, a lead of the request's team or an admin can cancel it, and only before it finishes."),
        );
    }
    if let Err(e) = rw.queue.cancel(id, Some(user.id)).await {
        return unavailable("cannot cancel a request", e);
    }
    Redirect::to(&format!("/requests/{id}")).into_response()
}

/// One CSV field: quoted when it holds a comma, quote or line break; a leading `=`, `+`, `-` or `@`
/// is prefixed with `'` so spreadsheets never run it as a formula.
pub fn csv_field(value: &str) -> String {
    let v = if value.starts_with(['=', '+', '-', '@']) {
        format!("'{value}")
    } else {
        value.to_string()
    };
    if v.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", v.replace('"', "\"\""))
    } else {
        v
    }
}

/// `GET /requests.csv?<history filters>`: the filtered history as CSV, every row, streamed page by
/// page (keyset), so any size exports in constant memory.
pub async fn export_csv(
    State(state): State<AppState>,
    Extension(user): Extension<User>,
    uri: axum::http::Uri,
) -> Response {
    use runway_core::requests::HistoryError;
    let rw = state.runway.clone();
    let query = match runway_domain::view::HistoryQuery::parse(uri.query().unwrap_or("")) {
        Ok(q) => q,
        Err(e) => {
            return page(
                StatusCode::BAD_REQUEST,
                "Check the filters",
                format!("<p>{}</p>", escape(&e)),
            )
        }
    };
    let filter = match requests::history_filter(&rw, &user, &query).await {
        Ok(f) => f,
        Err(HistoryError::BadInput(e)) => {
            return page(
                StatusCode::BAD_REQUEST,
                "Check the filters",
                format!("<p>{}</p>", escape(&e)),
            )
        }
        Err(HistoryError::Forbidden(e)) => {
            return page(
                StatusCode::FORBIDDEN,
                "Not yours to see",
                format!("<p>{}</p>", escape(&e)),
            )
        }
        Err(HistoryError::Internal(e)) => return unavailable("cannot export requests", e),
    };
    const CSV_HEADER: &str = "id,action,requester,team,status,submitted,finished\n";
    let stream = futures_util::stream::unfold((Some(filter), true), move |(filter, first)| {
        let rw = rw.clone();
        async move {
            let mut filter = filter?;
            if first {
                return Some((
                    Ok::<_, std::io::Error>(CSV_HEADER.to_string()),
                    (Some(filter), false),
                ));
            }
            let rows = match runway_core::db::history::page(&rw.db, &filter, 1000).await {
                Ok(rows) => rows,
                Err(e) => {
                    tracing::error!(error = %e, "export stopped");
                    return Some((Err(std::io::Error::other("export stopped")), (None, false)));
                }
            };
            if rows.is_empty() {
                return None;
            }
            let mut out = String::new();
            for r in &rows {
                let line = [
                    r.id.to_string(),
                    r.action_id.clone(),
                    r.requester_name.clone().unwrap_or_default(),
                    r.team.clone().unwrap_or_default(),
                    r.status.clone(),
                    r.created_at.to_rfc3339(),
                    r.finished_at.map(|t| t.to_rfc3339()).unwrap_or_default(),
                ]
                .iter()
                .map(|f| csv_field(f))
                .collect::<Vec<_>>()
                .join(",");
                out.push_str(&line);
                out.push('\n');
            }
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
    (
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
        .into_response()
}

/// `POST /requests/{id}/retry`: the owning team or an admin runs a failed request again.
pub async fn retry(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    Extension(user): Extension<User>,
) -> Response {
    use runway_core::requests::DecideError;
    match requests::retry(&state.runway, &user, id).await {
        Ok(()) => Redirect::to(&format!("/requests/{id}")).into_response(),
        Err(DecideError::NotFound) => not_found(),
        Err(DecideError::NotAllowed) => page(
            StatusCode::FORBIDDEN,
            "Cannot retry",
            back_to_request(
                id,
                "Only the team that owns the action, or an admin, can retry a failed request.",
            ),
        ),
        Err(DecideError::TooLate(msg)) => page(
            StatusCode::CONFLICT,
            "Cannot retry",
            back_to_request(id, &msg),
        ),
        Err(DecideError::Internal(e)) => unavailable("cannot retry a request", e),
    }
}

/// `GET /requests/{id}/log.txt`: the whole log as text, streamed page by page.
pub async fn download_log(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    Extension(user): Extension<User>,
) -> Response {
    let rw = state.runway.clone();
    if let Err(answer) = visible_request(&rw, &user, id).await {
        return answer;
    }
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
    (
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
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn result_lines_become_outputs() {
        let o = parse_result_lines(
            "console_url = https://console.example/x\n\nrole = reader\npassword = secret: s3cr3t\n",
        )
        .expect("valid");
        assert_eq!(o.len(), 3);
        assert_eq!(o[0].kind, OutputKind::Link);
        assert_eq!(o[1].value, "reader");
        assert_eq!(o[2].kind, OutputKind::Secret);
        assert_eq!(o[2].value, "s3cr3t");
        assert!(parse_result_lines("no equals sign").is_err());
        assert!(parse_result_lines("Bad Name = x").is_err());
    }

    #[test]
    fn csv_fields_are_quoted_and_never_formulas() {
        assert_eq!(csv_field("plain"), "plain");
        assert_eq!(csv_field("a,b"), "\"a,b\"");
        assert_eq!(csv_field("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(csv_field("=1+1"), "'=1+1");
        assert_eq!(csv_field("line\nbreak"), "\"line\nbreak\"");
    }
}
