//! Secret outputs: sealed when a run (or a person fulfilling a request) reports them, and shown to
//! the requester once.

use crate::audit::{self, Actor, AuditEvent, AuditKind};
use crate::crypto::SealError;
use crate::db::requests::{self as sql, NewOutput};
use crate::db::DbError;
use crate::state::Runway;
use runway_domain::user::User;
use runway_exec::{Output, OutputKind};

/// Why a secret output could not be revealed.
#[derive(Debug, thiserror::Error)]
pub enum RevealError {
    /// Already shown, expired unseen, never there, or not the caller's request.
    #[error("nothing to reveal")]
    Gone,
    #[error(transparent)]
    Seal(#[from] SealError),
    #[error(transparent)]
    Db(#[from] DbError),
}

/// Reveals a secret output to its requester, once: the sealed value is deleted as it is read.
pub async fn reveal_secret(
    rw: &Runway,
    user: &User,
    request_id: i64,
    name: &str,
) -> Result<String, RevealError> {
    let row = sql::get(&rw.db, request_id)
        .await?
        .ok_or(RevealError::Gone)?;
    if row.requester_id != Some(user.id) {
        return Err(RevealError::Gone);
    }
    let sealed = sql::take_secret_output(&rw.db, request_id, name)
        .await?
        .ok_or(RevealError::Gone)?;
    let plain = rw.secrets.open(request_id, &sealed)?;
    // The output's name only: the value is never written anywhere but the caller's page.
    let event = AuditEvent::new(
        Actor::person(user),
        AuditKind::SecretRevealed,
        format!("request:{request_id}"),
    )
    .detail(serde_json::json!({ "output": name }));
    audit::record_or_log(&rw.db, &event).await;
    Ok(String::from_utf8_lossy(&plain).into_owned())
}

/// Turns reported outputs into rows, sealing secret ones for `request_id`.
pub fn seal_outputs(
    rw: &Runway,
    request_id: i64,
    outputs: &[Output],
) -> Result<Vec<NewOutput>, SealError> {
    outputs
        .iter()
        .map(|o| {
            let kind = match o.kind {
                OutputKind::Text => "text",
                OutputKind::Link => "link",
                OutputKind::Secret => "secret",
            };
            let (value, sealed) = if o.kind == OutputKind::Secret {
                (None, Some(rw.secrets.seal(request_id, o.value.as_bytes())?))
            } else {
                (Some(o.value.clone()), None)
            };
            Ok(NewOutput {
                name: o.name.clone(),
                label: o.label.clone(),
                kind: kind.to_string(),
                value,
                sealed,
            })
        })
        .collect()
}
