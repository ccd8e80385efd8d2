//! The Single Ease Question after a request: "Overall, how easy or difficult was this?", 1 (very
//! difficult) to 7 (very easy), with an optional comment. Asked of the requester once the request
//! has ended; one answer per request, which they may change for [`CHANGE_FOR`] after the first.
//! Never required and never repeated.

use super::ImpactError;
use crate::db::impact as sql;
use crate::db::requests::RequestRow;
use crate::db::DbError;
use crate::state::Runway;
use chrono::{Duration, Utc};
use runway_domain::impact::RatingView;
use runway_domain::request::RequestStatus;
use runway_domain::user::User;

/// How long after the first answer it may be changed.
pub const CHANGE_FOR: Duration = Duration::days(7);

/// Longest comment kept, in characters.
pub const COMMENT_MAX: usize = 2000;

fn is_final(status: &str) -> bool {
    RequestStatus::ALL
        .iter()
        .any(|s| s.as_str() == status && s.is_final())
}

/// The rating part of a request's page for `user`: `None` unless they are its requester and it
/// has ended.
pub async fn of_row(
    rw: &Runway,
    user: &User,
    row: &RequestRow,
) -> Result<Option<RatingView>, DbError> {
    if row.requester_id != Some(user.id) || !is_final(&row.status) {
        return Ok(None);
    }
    let rated = sql::rating_of(&rw.db, row.id).await?;
    let can_rate = rated
        .as_ref()
        .is_none_or(|(_, _, at)| Utc::now() - *at < CHANGE_FOR);
    Ok(Some(RatingView {
        score: rated.as_ref().and_then(|(s, _, _)| u8::try_from(*s).ok()),
        comment: rated.map(|(_, c, _)| c).unwrap_or_default(),
        can_rate,
    }))
}

/// Records (or changes) the requester's answer for request `id`.
pub async fn rate(
    rw: &Runway,
    user: &User,
    id: i64,
    score: &str,
    comment: &str,
) -> Result<(), ImpactError> {
    let Some(row) = crate::db::requests::get(&rw.db, id).await? else {
        return Err(ImpactError::NoRequest);
    };
    if row.requester_id != Some(user.id) {
        return Err(ImpactError::NoRequest);
    }
    if !is_final(&row.status) {
        return Err(ImpactError::Invalid(
            "you can rate a request once it has ended".into(),
        ));
    }
    let score: i64 = match score.trim().parse() {
        Ok(n) if (1..=7).contains(&n) => n,
        _ => {
            return Err(ImpactError::Invalid(
                "choose how easy it was, from 1 (very difficult) to 7 (very easy)".into(),
            ))
        }
    };
    let comment = comment.trim();
    if comment.chars().count() > COMMENT_MAX {
        return Err(ImpactError::Invalid(format!(
            "the comment is longer than {COMMENT_MAX} characters"
        )));
    }
    if let Some((_, _, first)) = sql::rating_of(&rw.db, id).await? {
        if Utc::now() - first >= CHANGE_FOR {
            return Err(ImpactError::Invalid(
                "this rating can no longer be changed (a week has passed)".into(),
            ));
        }
    }
    sql::upsert_rating(&rw.db, id, &row.action_id, score, comment, Utc::now()).await?;
    rw.impact.clear();
    Ok(())
}
