//! API tokens: making, listing and revoking them, and turning a presented token into the user it
//! acts for.
//!
//! A token is `rw_pat_…` (personal) or `rw_svc_…` (service) followed by 43 characters of base64url
//! from 32 random bytes. Only its SHA-256 is stored (a fast hash is enough: the token is random, so
//! there is nothing to guess from the hash), with its first characters to tell tokens apart.
//!
//! Rights are never stored with a token. At each use the owner is read as they are now (a person's
//! teams are those of their latest sign-in; a service account is a plain member of its one team),
//! and the token's scopes only narrow what that user may do.

use crate::audit::{self, Actor, AuditEvent, AuditKind};
use crate::db::tokens::{self as sql, NewToken, TokenRow};
use crate::db::DbError;
use crate::state::Runway;
use base64::Engine;
use chacha20poly1305::aead::rand_core::RngCore;
use chacha20poly1305::aead::OsRng;
use chrono::{Duration, Utc};
use runway_domain::ids::TeamName;
use runway_domain::token::{Scope, Scopes, TokenKind, TokenView, TokensPage};
use runway_domain::user::User;
use sha2::{Digest, Sha256};

const PERSONAL_PREFIX: &str = "rw_pat_";
const SERVICE_PREFIX: &str = "rw_svc_";
/// Characters of a token shown in lists: the kind prefix and 6 random characters.
const SHOWN: usize = 13;
/// A use is written back (time and address) at most this often per token.
const TOUCH_EVERY_SECS: i64 = 60;

/// Why a token could not be made, listed, revoked or used.
#[derive(Debug, thiserror::Error)]
pub enum TokenError {
    /// The caller may not manage this token or this team's tokens.
    #[error("not allowed")]
    NotAllowed,
    /// No such token (or not the caller's to see).
    #[error("no such token")]
    NotFound,
    /// The form has a mistake: the field and what is wrong.
    #[error("{field}: {message}")]
    Invalid {
        field: &'static str,
        message: String,
    },
    /// The presented token is not one Runway issued, or it was revoked, or it expired, or its owner
    /// is gone. The variants are kept apart for logs; callers answer all of them the same way.
    #[error("unknown token")]
    Unknown,
    #[error("revoked token")]
    Revoked,
    #[error("expired token")]
    Expired,
    /// A personal token whose owner has not signed in to the portal for longer than
    /// `api.owner_sign_in_days`: the teams Runway knows for them may be out of date.
    #[error("the token's owner has not signed in for {days} days")]
    OwnerSignInNeeded { days: u32 },
    #[error(transparent)]
    Db(#[from] DbError),
}

/// A token just made: its text (shown once, never again) and its row.
#[derive(Debug)]
pub struct Created {
    pub token: String,
    pub view: TokenView,
}

/// What a new token should be.
#[derive(Debug, Clone)]
pub struct NewTokenInput {
    pub name: String,
    pub scopes: Scopes,
    /// Lifetime in days; `None` = `api.token_default_days`.
    pub days: Option<u32>,
}

/// Who a presented token acts for, as of this call.
#[derive(Debug, Clone)]
pub struct Principal {
    pub user: User,
    pub token_id: i64,
    pub token_name: String,
    pub kind: TokenKind,
    pub scopes: Scopes,
    /// For a service token: the person who made it, accountable for what it requests (they may
    /// not approve those requests).
    pub accountable: Option<i64>,
}

impl Principal {
    /// How the audit log names the channel: `token:12 ci-bot`.
    pub fn via(&self) -> String {
        format!("token:{} {}", self.token_id, self.token_name)
    }
}

/// The SHA-256 of a token's text, hex: what the table keeps.
pub fn hash(token: &str) -> String {
    format!("{:x}", Sha256::digest(token.as_bytes()))
}

fn generate(kind: TokenKind) -> String {
    let mut bytes = [0u8; 32];
    OsRng.fill_bytes(&mut bytes);
    let prefix = match kind {
        TokenKind::Personal => PERSONAL_PREFIX,
        TokenKind::Service => SERVICE_PREFIX,
    };
    format!(
        "{prefix}{}",
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
    )
}

fn check_name(name: &str) -> Result<String, TokenError> {
    let name = name.trim();
    if name.is_empty() {
        return Err(TokenError::Invalid {
            field: "name",
            message: "Give the token a name that says where it is used, such as `ci-deploy`."
                .into(),
        });
    }
    if name.chars().count() > 80 || name.chars().any(char::is_control) {
        return Err(TokenError::Invalid {
            field: "name",
            message: "A token's name is at most 80 characters, on one line.".into(),
        });
    }
    Ok(name.to_string())
}

fn check_days(rw: &Runway, days: Option<u32>) -> Result<u32, TokenError> {
    let api = &rw.settings.api;
    let days = days.unwrap_or(api.token_default_days);
    if days == 0 || days > api.token_max_days {
        return Err(TokenError::Invalid {
            field: "days",
            message: format!(
                "A token lasts from 1 to {} days on this installation.",
                api.token_max_days
            ),
        });
    }
    Ok(days)
}

fn check_scopes(scopes: &Scopes) -> Result<(), TokenError> {
    if scopes.is_empty() {
        return Err(TokenError::Invalid {
            field: "scopes",
            message: "Choose at least one scope.".into(),
        });
    }
    Ok(())
}

fn view(row: TokenRow) -> TokenView {
    let now = Utc::now();
    TokenView {
        id: row.id,
        kind: TokenKind::parse(&row.kind).unwrap_or(TokenKind::Personal),
        team: row.team,
        name: row.name,
        prefix: row.prefix,
        scopes: Scopes::parse(&row.scopes).unwrap_or_default(),
        created_by: row.created_by_name,
        created_at: row.created_at.to_rfc3339(),
        expires_at: row.expires_at.to_rfc3339(),
        last_used_at: row.last_used_at.map(|t| t.to_rfc3339()),
        last_used_ip: row.last_used_ip,
        expired: row.revoked_at.is_none() && row.expires_at <= now,
        revoked_at: row.revoked_at.map(|t| t.to_rfc3339()),
    }
}

/// Makes a personal token for `user`.
pub async fn create_personal(
    rw: &Runway,
    user: &User,
    input: &NewTokenInput,
) -> Result<Created, TokenError> {
    let name = check_name(&input.name)?;
    check_scopes(&input.scopes)?;
    let days = check_days(rw, input.days)?;
    insert(
        rw,
        user,
        user.id,
        TokenKind::Personal,
        None,
        &name,
        input,
        days,
    )
    .await
}

/// Makes a service token for `team`: its lead or an admin. The service account is named after the
/// token (`ci-deploy (service, payments)`); requests it makes show that name.
pub async fn create_service(
    rw: &Runway,
    user: &User,
    team: &str,
    input: &NewTokenInput,
) -> Result<Created, TokenError> {
    let team = TeamName::parse(team.trim()).map_err(|e| TokenError::Invalid {
        field: "team",
        message: e.to_string(),
    })?;
    if !(user.is_admin || user.leads(team.as_str())) {
        return Err(TokenError::NotAllowed);
    }
    let name = check_name(&input.name)?;
    check_scopes(&input.scopes)?;
    if input.scopes.contains(Scope::Approve) {
        return Err(TokenError::Invalid {
            field: "scopes",
            message: "A service token cannot approve: approvals are a person's decision.".into(),
        });
    }
    let days = check_days(rw, input.days)?;
    let display = format!("{name} (service, {})", team.as_str());
    let account = sql::service_account(&rw.db, team.as_str(), &name, &display).await?;
    rw.forget_user(account);
    insert(
        rw,
        user,
        account,
        TokenKind::Service,
        Some(team.as_str()),
        &name,
        input,
        days,
    )
    .await
}

#[allow(clippy::too_many_arguments)]
async fn insert(
    rw: &Runway,
    maker: &User,
    owner: i64,
    kind: TokenKind,
    team: Option<&str>,
    name: &str,
    input: &NewTokenInput,
    days: u32,
) -> Result<Created, TokenError> {
    let token = generate(kind);
    let now = Utc::now();
    let prefix: String = token.chars().take(SHOWN).collect();
    let scopes = input.scopes.to_string();
    let id = sql::insert(
        &rw.db,
        &NewToken {
            user_id: owner,
            kind: kind.as_str(),
            team,
            name,
            prefix: &prefix,
            hash: &hash(&token),
            scopes: &scopes,
            created_by: maker.id,
            created_at: now,
            expires_at: now + Duration::days(i64::from(days)),
        },
    )
    .await?;
    audit::record_or_log(
        &rw.db,
        &AuditEvent::new(
            Actor::person(maker),
            AuditKind::TokenCreated,
            format!("token:{id}"),
        )
        .detail(serde_json::json!({
            "name": name, "kind": kind.as_str(), "team": team, "scopes": scopes, "days": days,
        })),
    )
    .await;
    let row = sql::by_id(&rw.db, id).await?.ok_or(TokenError::NotFound)?;
    Ok(Created {
        token,
        view: view(row),
    })
}

/// Teams whose service tokens `user` manages: the ones they lead; for admins, every team someone
/// has signed in as a member of.
async fn managed_teams(rw: &Runway, user: &User) -> Result<Vec<String>, TokenError> {
    if user.is_admin {
        return Ok(crate::db::impact::known_teams(&rw.db).await?);
    }
    Ok(user
        .teams
        .iter()
        .filter(|m| m.is_lead)
        .map(|m| m.team.clone())
        .collect())
}

/// The settings page: the caller's tokens and the service tokens they manage.
pub async fn page(rw: &Runway, user: &User) -> Result<TokensPage, TokenError> {
    let personal = sql::personal_of(&rw.db, user.id).await?;
    let teams = managed_teams(rw, user).await?;
    let service = if user.is_admin {
        sql::service_of(&rw.db, None).await?
    } else {
        sql::service_of(&rw.db, Some(&teams)).await?
    };
    let others = if user.is_admin {
        sql::active_personal_except(&rw.db, user.id, Utc::now(), 500).await?
    } else {
        Vec::new()
    };
    Ok(TokensPage {
        others: others.into_iter().map(view).collect(),
        personal: personal.into_iter().map(view).collect(),
        service: service.into_iter().map(view).collect(),
        service_teams: teams,
        default_days: rw.settings.api.token_default_days,
        max_days: rw.settings.api.token_max_days,
    })
}

/// Revokes token `id`: its owner (personal), the team's lead (service), or an admin (any).
pub async fn revoke(rw: &Runway, user: &User, id: i64) -> Result<TokenView, TokenError> {
    let row = sql::by_id(&rw.db, id).await?.ok_or(TokenError::NotFound)?;
    let mine = row.kind == TokenKind::Personal.as_str() && row.user_id == user.id;
    let lead = row.kind == TokenKind::Service.as_str()
        && row.team.as_deref().is_some_and(|t| user.leads(t));
    if !(mine || lead || user.is_admin) {
        // Someone else's token: as if it did not exist.
        return Err(TokenError::NotFound);
    }
    if sql::revoke(&rw.db, id, Utc::now()).await? {
        audit::record_or_log(
            &rw.db,
            &AuditEvent::new(
                Actor::person(user),
                AuditKind::TokenRevoked,
                format!("token:{id}"),
            )
            .detail(serde_json::json!({ "name": row.name, "kind": row.kind, "team": row.team })),
        )
        .await;
    }
    let row = sql::by_id(&rw.db, id).await?.ok_or(TokenError::NotFound)?;
    Ok(view(row))
}

/// Is token `id` still usable (not revoked, not expired)? Long-lived calls (event streams) ask
/// again from time to time.
pub async fn still_valid(rw: &Runway, id: i64) -> Result<bool, TokenError> {
    Ok(sql::by_id(&rw.db, id)
        .await?
        .is_some_and(|r| r.revoked_at.is_none() && r.expires_at > Utc::now()))
}

/// The user a presented token acts for, now; `ip` is recorded as its last-used address.
pub async fn authenticate(
    rw: &Runway,
    token: &str,
    ip: Option<&str>,
) -> Result<Principal, TokenError> {
    let shaped = (token.starts_with(PERSONAL_PREFIX) || token.starts_with(SERVICE_PREFIX))
        && token.len() == PERSONAL_PREFIX.len() + 43;
    if !shaped {
        return Err(TokenError::Unknown);
    }
    let row = sql::by_hash(&rw.db, &hash(token))
        .await?
        .ok_or(TokenError::Unknown)?;
    let now = Utc::now();
    if row.revoked_at.is_some() {
        return Err(TokenError::Revoked);
    }
    if row.expires_at <= now {
        return Err(TokenError::Expired);
    }
    let days = rw.settings.api.owner_sign_in_days;
    if days > 0
        && row.kind == TokenKind::Personal.as_str()
        && now - row.created_by_signed_in_at > chrono::Duration::days(i64::from(days))
    {
        return Err(TokenError::OwnerSignInNeeded { days });
    }
    let user = rw.user(row.user_id).await?.ok_or(TokenError::Unknown)?;
    // Written at most once a minute per token, and never at the cost of the call: a busy
    // database makes the "last used" a little stale, not the call fail.
    let stale = row
        .last_used_at
        .is_none_or(|t| (now - t).num_seconds() >= TOUCH_EVERY_SECS);
    if stale {
        if let Err(e) = sql::touch(&rw.db, row.id, now, ip).await {
            tracing::warn!(token.id = row.id, error = %e, "cannot record a token's use");
        }
    }
    let kind = TokenKind::parse(&row.kind).unwrap_or(TokenKind::Personal);
    Ok(Principal {
        user,
        token_id: row.id,
        token_name: row.name,
        kind,
        scopes: Scopes::parse(&row.scopes).unwrap_or_default(),
        accountable: (kind == TokenKind::Service).then_some(row.created_by),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_random_shaped_and_hashed_to_hex() {
        let a = generate(TokenKind::Personal);
        let b = generate(TokenKind::Service);
        assert!(a.starts_with("rw_pat_") && b.starts_with("rw_svc_"));
        assert_eq!(a.len(), 50);
        assert_ne!(a[7..], b[7..]);
        let h = hash(&a);
        assert_eq!(h.len(), 64);
        assert!(!h.contains(&a[7..]));
    }

    #[test]
    fn names_are_trimmed_and_bounded() {
        assert_eq!(check_name("  ci  ").unwrap(), "ci");
        assert!(check_name("").is_err());
        assert!(check_name("a\nb").is_err());
        assert!(check_name(&"x".repeat(81)).is_err());
    }
}
