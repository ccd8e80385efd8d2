//! SQL for users and their team memberships.

use super::{Db, DbError};
use crate::on_pool;
use chrono::Utc;
use runway_domain::user::{Membership, User};

/// What a provider vouched for at sign-in.
#[derive(Debug, Clone)]
pub struct Identity {
    pub issuer: String,
    pub subject: String,
    pub name: String,
    pub email: Option<String>,
    pub is_admin: bool,
    pub teams: Vec<Membership>,
}

/// Creates or refreshes the user keyed by (issuer, subject) and replaces their memberships, in one
/// transaction. Returns the user's id.
#[tracing::instrument(skip_all, fields(issuer = %identity.issuer))]
pub async fn upsert(db: &Db, identity: &Identity) -> Result<i64, DbError> {
    let now = Utc::now();
    let id = on_pool!(db, pool => {
        let mut tx = pool.begin().await?;
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO users (issuer, subject, name, email, is_admin, created_at, last_login_at)
             VALUES ($1, $2, $3, $4, $5, $6, $6)
             ON CONFLICT (issuer, subject) DO UPDATE SET
                name = excluded.name, email = excluded.email, is_admin = excluded.is_admin,
                last_login_at = excluded.last_login_at
             RETURNING id",
        )
        .bind(&identity.issuer)
        .bind(&identity.subject)
        .bind(&identity.name)
        .bind(&identity.email)
        .bind(identity.is_admin)
        .bind(now)
        .fetch_one(&mut *tx)
        .await?;
        sqlx::query("DELETE FROM team_memberships WHERE user_id = $1").bind(id).execute(&mut *tx).await?;
        for m in &identity.teams {
            sqlx::query("INSERT INTO team_memberships (user_id, team, is_lead) VALUES ($1, $2, $3)")
                .bind(id)
                .bind(&m.team)
                .bind(m.is_lead)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok::<i64, sqlx::Error>(id)
    })?;
    Ok(id)
}

/// The user with `id` and their memberships, if they exist.
#[tracing::instrument(skip_all)]
pub async fn load(db: &Db, id: i64) -> Result<Option<User>, DbError> {
    let row: Option<(i64, String, Option<String>, bool)> = on_pool!(db, pool => sqlx::query_as(
        "SELECT id, name, email, is_admin FROM users WHERE id = $1"
    ).bind(id).fetch_optional(pool).await)?;
    let Some((id, name, email, is_admin)) = row else {
        return Ok(None);
    };
    let teams: Vec<(String, bool)> = on_pool!(db, pool => sqlx::query_as(
        "SELECT team, is_lead FROM team_memberships WHERE user_id = $1 ORDER BY team"
    ).bind(id).fetch_all(pool).await)?;
    Ok(Some(User {
        id,
        name,
        email,
        is_admin,
        teams: teams
            .into_iter()
            .map(|(team, is_lead)| Membership { team, is_lead })
            .collect(),
    }))
}

/// The person (not a service account) with this e-mail address, compared without regard to case;
/// the one who signed in last when several accounts share it.
#[tracing::instrument(skip_all)]
pub async fn by_email(db: &Db, email: &str) -> Result<Option<i64>, DbError> {
    Ok(on_pool!(db, pool => sqlx::query_scalar(
        "SELECT id FROM users WHERE LOWER(email) = LOWER($1) AND issuer <> 'runway:service'
         ORDER BY last_login_at DESC, id DESC LIMIT 1"
    ).bind(email.trim()).fetch_optional(pool).await)?)
}
