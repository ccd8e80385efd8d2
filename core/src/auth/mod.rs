//! Authentication and authorization.
//!
//! - [`oidc`]: OpenID Connect sign-in (authorization code + PKCE, full ID token validation, JWKS
//!   refetch on an unknown key, RP-initiated logout).
//! - [`claims`]: turns the groups claim into team memberships and the admin role.
//! - [`dev`]: the demo users of development sign-in.
//! - [`return_to`]: the only paths a sign-in may return to.
//! - [`session_store`]: tower-sessions records in Runway's own database.
//! - [`recent`]: the few seconds' cache of sessions and users every request reads.
//!
//! Who may do what is decided here, not in pages: [`viewer`] turns a user into the catalogue's view
//! of them, and [`sign_in`] records the identity a provider (or development sign-in) vouched for.

pub mod claims;
pub mod dev;
pub mod oidc;
pub mod recent;
pub mod return_to;
pub mod session_store;

use crate::catalog::Viewer;
use crate::db::users::{self, Identity};
use crate::db::{Db, DbError};
use runway_domain::user::User;

/// Session keys. Kept in one place so that sign-in, sign-out and the middleware agree.
pub mod keys {
    /// The signed-in user's id.
    pub const USER_ID: &str = "user.id";
    /// Unix seconds of sign-in, for the absolute session lifetime.
    pub const SIGNED_IN_AT: &str = "user.signed_in_at";
    /// Unix seconds the session was last saved (which extends its idle expiry); the session is
    /// saved again only once this is older than `AuthSettings::session_refresh_after`.
    pub const TOUCHED_AT: &str = "session.touched_at";
    /// The raw ID token, kept only as `id_token_hint` for RP-initiated logout.
    pub const ID_TOKEN: &str = "oidc.id_token";
    /// The pending authorization request (state, nonce, PKCE verifier, return path).
    pub const PENDING: &str = "oidc.pending";
}

/// The catalogue's view of `user`: their teams, and everything for admins.
pub fn viewer(user: &User) -> Viewer {
    Viewer {
        teams: user.team_names(),
        sees_everything: user.is_admin,
    }
}

/// Records a sign-in: creates or refreshes the user and replaces their memberships. Returns the user.
pub async fn sign_in(db: &Db, identity: &Identity) -> Result<User, DbError> {
    let id = users::upsert(db, identity).await?;
    users::load(db, id)
        .await?
        .ok_or_else(|| DbError::Corrupt(format!("user {id} vanished right after sign-in")))
}
