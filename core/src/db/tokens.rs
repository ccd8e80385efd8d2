//! SQL for API tokens and the service accounts they act for. A token is found by the SHA-256 of
//! its whole text ([`crate::tokens`] hashes it); the token itself is never stored.

use super::{Db, DbError};
use crate::on_pool;
use chrono::{DateTime, Utc};

/// A token's row, as lists and checks read it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct TokenRow {
    pub id: i64,
    pub user_id: i64,
    pub kind: String,
    pub team: Option<String>,
    pub name: String,
    pub prefix: String,
    pub scopes: String,
    pub created_by: i64,
    pub created_by_name: String,
    /// When the maker last signed in to the portal (for a personal token, its owner).
    pub created_by_signed_in_at: DateTime<Utc>,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub last_used_at: Option<DateTime<Utc>>,
    pub last_used_ip: Option<String>,
    pub revoked_at: Option<DateTime<Utc>>,
}

const COLUMNS: &str = "t.id, t.user_id, t.kind, t.team, t.name, t.prefix, t.scopes, t.created_by, c.name AS created_by_name, c.last_login_at AS created_by_signed_in_at, t.created_at, t.expires_at, t.last_used_at, t.last_used_ip, t.revoked_at";

/// A token to record.
#[derive(Debug)]
pub struct NewToken<'a> {
    pub user_id: i64,
    pub kind: &'a str,
    pub team: Option<&'a str>,
    pub name: &'a str,
    pub prefix: &'a str,
    pub hash: &'a str,
    pub scopes: &'a str,
    pub created_by: i64,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
}

#[tracing::instrument(skip_all)]
pub async fn insert(db: &Db, t: &NewToken<'_>) -> Result<i64, DbError> {
    let id = on_pool!(db, pool => sqlx::query_scalar::<_, i64>(
        "INSERT INTO api_tokens (user_id, kind, team, name, prefix, hash, scopes, created_by, created_at, expires_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id"
    )
    .bind(t.user_id).bind(t.kind).bind(t.team).bind(t.name).bind(t.prefix).bind(t.hash)
    .bind(t.scopes).bind(t.created_by).bind(t.created_at).bind(t.expires_at)
    .fetch_one(pool).await)?;
    Ok(id)
}

/// The token with this hash, revoked or expired or not (the caller says which refusal applies).
#[tracing::instrument(skip_all)]
pub async fn by_hash(db: &Db, hash: &str) -> Result<Option<TokenRow>, DbError> {
    let sql = format!(
        "SELECT {COLUMNS} FROM api_tokens t JOIN users c ON c.id = t.created_by WHERE t.hash = $1"
    );
    let row = on_pool!(db, pool => sqlx::query_as::<_, TokenRow>(&sql).bind(hash).fetch_optional(pool).await)?;
    Ok(row)
}

#[tracing::instrument(skip_all)]
pub async fn by_id(db: &Db, id: i64) -> Result<Option<TokenRow>, DbError> {
    let sql = format!(
        "SELECT {COLUMNS} FROM api_tokens t JOIN users c ON c.id = t.created_by WHERE t.id = $1"
    );
    let row = on_pool!(db, pool => sqlx::query_as::<_, TokenRow>(&sql).bind(id).fetch_optional(pool).await)?;
    Ok(row)
}

/// A person's own tokens, newest first.
#[tracing::instrument(skip_all)]
pub async fn personal_of(db: &Db, user_id: i64) -> Result<Vec<TokenRow>, DbError> {
    let sql = format!(
        "SELECT {COLUMNS} FROM api_tokens t JOIN users c ON c.id = t.created_by
         WHERE t.user_id = $1 AND t.kind = 'personal' ORDER BY t.id DESC"
    );
    let rows = on_pool!(db, pool => sqlx::query_as::<_, TokenRow>(&sql).bind(user_id).fetch_all(pool).await)?;
    Ok(rows)
}

/// Everyone else's personal tokens still usable at `now`, newest first, at most `limit`: what an
/// admin revokes when someone leaves or a token leaks.
#[tracing::instrument(skip_all)]
pub async fn active_personal_except(
    db: &Db,
    user_id: i64,
    now: DateTime<Utc>,
    limit: i64,
) -> Result<Vec<TokenRow>, DbError> {
    let sql = format!(
        "SELECT {COLUMNS} FROM api_tokens t JOIN users c ON c.id = t.created_by
         WHERE t.kind = 'personal' AND t.user_id <> $1 AND t.revoked_at IS NULL AND t.expires_at > $2
         ORDER BY t.id DESC LIMIT $3"
    );
    let rows = on_pool!(db, pool => sqlx::query_as::<_, TokenRow>(&sql).bind(user_id).bind(now).bind(limit).fetch_all(pool).await)?;
    Ok(rows)
}

/// The service tokens of these teams (every team's with `None`), by team, newest first.
#[tracing::instrument(skip_all)]
pub async fn service_of(db: &Db, teams: Option<&[String]>) -> Result<Vec<TokenRow>, DbError> {
    let of_teams = match teams {
        Some([]) => return Ok(Vec::new()),
        Some(_) => format!(" AND t.team IN {}", super::in_list(db, 1)),
        None => String::new(),
    };
    let sql = format!(
        "SELECT {COLUMNS} FROM api_tokens t JOIN users c ON c.id = t.created_by
         WHERE t.kind = 'service'{of_teams} ORDER BY t.team, t.id DESC"
    );
    let teams = super::json_list(teams.unwrap_or_default());
    let rows = on_pool!(db, pool => {
        let query = sqlx::query_as::<_, TokenRow>(&sql);
        let query = if of_teams.is_empty() { query } else { query.bind(&teams) };
        query.fetch_all(pool).await
    })?;
    Ok(rows)
}

/// Marks a token revoked; `false` if it already was.
#[tracing::instrument(skip_all)]
pub async fn revoke(db: &Db, id: i64, at: DateTime<Utc>) -> Result<bool, DbError> {
    let done = on_pool!(db, pool => sqlx::query(
        "UPDATE api_tokens SET revoked_at = $2 WHERE id = $1 AND revoked_at IS NULL"
    ).bind(id).bind(at).execute(pool).await.map(|r| r.rows_affected()))?;
    Ok(done == 1)
}

/// Records a use: when and from where. Written at most once a minute per token (see the caller).
#[tracing::instrument(skip_all)]
pub async fn touch(db: &Db, id: i64, at: DateTime<Utc>, ip: Option<&str>) -> Result<(), DbError> {
    let _done = on_pool!(db, pool => sqlx::query(
        "UPDATE api_tokens SET last_used_at = $2, last_used_ip = $3 WHERE id = $1"
    ).bind(id).bind(at).bind(ip).execute(pool).await.map(|r| r.rows_affected()))?;
    Ok(())
}

/// The service account `name` of `team`, made on first use: a user with the issuer
/// `runway:service` that is a plain member of that one team. Returns its id.
#[tracing::instrument(skip_all)]
pub async fn service_account(
    db: &Db,
    team: &str,
    name: &str,
    display: &str,
) -> Result<i64, DbError> {
    let now = Utc::now();
    let subject = format!("{team}/{name}");
    let id = on_pool!(db, pool => {
        let mut tx = pool.begin().await?;
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO users (issuer, subject, name, email, is_admin, created_at, last_login_at)
             VALUES ('runway:service', $1, $2, NULL, FALSE, $3, $3)
             ON CONFLICT (issuer, subject) DO UPDATE SET name = excluded.name
             RETURNING id",
        )
        .bind(&subject).bind(display).bind(now)
        .fetch_one(&mut *tx).await?;
        sqlx::query("DELETE FROM team_memberships WHERE user_id = $1").bind(id).execute(&mut *tx).await?;
        sqlx::query("INSERT INTO team_memberships (user_id, team, is_lead) VALUES ($1, $2, FALSE)")
            .bind(id).bind(team).execute(&mut *tx).await?;
        tx.commit().await?;
        Ok::<i64, sqlx::Error>(id)
    })?;
    Ok(id)
}
