//! OpenID Connect sign-in: authorization code flow with PKCE (S256), `state` and `nonce`.
//!
//! The provider's metadata comes from its discovery document and is fetched lazily (so the portal
//! starts while the provider is down, and sign-in recovers when it is back). ID tokens are validated in
//! full by `openidconnect`: signature against the provider's JWKS with the allowed algorithms only,
//! `iss`, `aud`, `azp`, expiry (with 60 s of clock skew), `iat` and `nonce`. A token signed with a key
//! the cached JWKS does not know triggers one JWKS refetch (key rotation) before it is refused.
//! The HTTP client follows no redirects.

use crate::auth::claims::{grants, groups_from_claim};
use crate::config::{AuthSettings, GroupsSource};
use crate::db::users::Identity;
use base64::Engine;
use openidconnect::core::{
    CoreAuthenticationFlow, CoreClient, CoreIdToken, CoreJsonWebKeySet, CoreJwsSigningAlgorithm,
    CoreProviderMetadata,
};
use openidconnect::{
    AuthorizationCode, ClaimsVerificationError, ClientId, ClientSecret, CsrfToken, IssuerUrl,
    Nonce, OAuth2TokenResponse, PkceCodeChallenge, PkceCodeVerifier, RedirectUrl, Scope,
    SignatureVerificationError, TokenResponse,
};
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::RwLock;

/// How long a started sign-in may take before its state, nonce and verifier expire.
pub const PENDING_TTL_SECS: i64 = 10 * 60;
/// Accepted difference between our clock and the provider's.
const CLOCK_SKEW_SECS: i64 = 60;

/// Why a sign-in failed. The user sees one generic message; the variant and detail go to the log.
#[derive(Debug, thiserror::Error)]
pub enum OidcError {
    #[error("the OpenID Provider cannot be reached or described itself wrongly: {0}")]
    Discovery(String),
    #[error("configuration: {0}")]
    Config(String),
    #[error("no sign-in is pending in this session, or it was already used")]
    NoPendingLogin,
    #[error("the sign-in took too long and expired")]
    Expired,
    #[error("the state returned by the provider does not match this session's")]
    StateMismatch,
    #[error("the provider refused the authorization code: {0}")]
    Exchange(String),
    #[error("the provider returned no ID token")]
    MissingIdToken,
    #[error("the ID token is invalid: {0}")]
    InvalidIdToken(String),
    #[error("cannot read the user's groups: {0}")]
    Groups(String),
}

/// What a started sign-in keeps in the (pre-login) session. Single-use: taken out on callback.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PendingLogin {
    pub state: String,
    pub nonce: String,
    pub pkce_verifier: String,
    pub return_to: String,
    pub redirect_url: String,
    /// Unix seconds when the sign-in started.
    pub started_at: i64,
}

/// The result of a completed sign-in.
#[derive(Debug, Clone)]
pub struct SignedIn {
    pub identity: Identity,
    /// The raw ID token, kept for RP-initiated logout's `id_token_hint`.
    pub id_token: String,
}

#[derive(Clone)]
struct Discovered {
    metadata: CoreProviderMetadata,
    end_session_endpoint: Option<String>,
    userinfo_endpoint: Option<String>,
}

/// The configured OpenID Provider.
pub struct Oidc {
    settings: AuthSettings,
    http: reqwest::Client,
    discovered: RwLock<Option<Discovered>>,
}

fn now_unix() -> i64 {
    chrono::Utc::now().timestamp()
}

impl Oidc {
    pub fn new(settings: AuthSettings) -> Result<Arc<Self>, OidcError> {
        let http = reqwest::Client::builder()
            // Following redirects would let a compromised response steer our requests (SSRF).
            .redirect(reqwest::redirect::Policy::none())
            .timeout(Duration::from_secs(10))
            .build()
            .map_err(|e| OidcError::Config(e.to_string()))?;
        Ok(Arc::new(Self {
            settings,
            http,
            discovered: RwLock::new(None),
        }))
    }

    async fn discover(&self) -> Result<Discovered, OidcError> {
        if let Some(d) = self.discovered.read().await.clone() {
            return Ok(d);
        }
        let issuer = IssuerUrl::new(self.settings.issuer.trim_end_matches('/').to_string())
            .map_err(|e| OidcError::Config(format!("auth.issuer: {e}")))?;
        let metadata = CoreProviderMetadata::discover_async(issuer.clone(), &self.http)
            .await
            .map_err(|e| OidcError::Discovery(error_chain(&e)))?;
        // end_session_endpoint is not part of the core metadata type; read it from the document.
        let doc_url = format!(
            "{}/.well-known/openid-configuration",
            issuer.as_str().trim_end_matches('/')
        );
        let extra: serde_json::Value = match self.http.get(&doc_url).send().await {
            Ok(resp) => resp.json().await.unwrap_or_default(),
            Err(_) => serde_json::Value::Null,
        };
        let discovered = Discovered {
            end_session_endpoint: extra["end_session_endpoint"].as_str().map(str::to_string),
            userinfo_endpoint: metadata.userinfo_endpoint().map(|u| u.as_str().to_string()),
            metadata,
        };
        *self.discovered.write().await = Some(discovered.clone());
        tracing::info!(issuer = %self.settings.issuer, "OpenID Provider discovered");
        Ok(discovered)
    }

    fn client(
        &self,
        metadata: CoreProviderMetadata,
        redirect_url: &str,
    ) -> Result<ClientFor, OidcError> {
        let secret = (!self.settings.client_secret.expose().is_empty())
            .then(|| ClientSecret::new(self.settings.client_secret.expose().to_string()));
        let redirect = RedirectUrl::new(redirect_url.to_string())
            .map_err(|e| OidcError::Config(format!("redirect URL: {e}")))?;
        Ok(CoreClient::from_provider_metadata(
            metadata,
            ClientId::new(self.settings.client_id.clone()),
            secret,
        )
        .set_redirect_uri(redirect))
    }

    /// Starts a sign-in: returns the provider URL to send the browser to, and what the session keeps.
    pub async fn begin(
        &self,
        return_to: &str,
        redirect_url: &str,
    ) -> Result<(String, PendingLogin), OidcError> {
        let d = self.discover().await?;
        let client = self.client(d.metadata, redirect_url)?;
        let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
        let mut request = client.authorize_url(
            CoreAuthenticationFlow::AuthorizationCode,
            CsrfToken::new_random,
            Nonce::new_random,
        );
        for scope in self
            .settings
            .scopes
            .iter()
            .filter(|s| s.as_str() != "openid")
        {
            request = request.add_scope(Scope::new(scope.clone()));
        }
        let (url, state, nonce) = request.set_pkce_challenge(challenge).url();
        Ok((
            url.to_string(),
            PendingLogin {
                state: state.secret().clone(),
                nonce: nonce.secret().clone(),
                pkce_verifier: verifier.secret().clone(),
                return_to: return_to.to_string(),
                redirect_url: redirect_url.to_string(),
                started_at: now_unix(),
            },
        ))
    }

    /// Completes a sign-in from the provider's callback. `pending` must already be removed from the
    /// session (single use), whatever the outcome.
    pub async fn complete(
        &self,
        pending: &PendingLogin,
        code: &str,
        state: &str,
    ) -> Result<SignedIn, OidcError> {
        if now_unix() - pending.started_at > PENDING_TTL_SECS {
            return Err(OidcError::Expired);
        }
        if !constant_time_eq(state.as_bytes(), pending.state.as_bytes()) {
            return Err(OidcError::StateMismatch);
        }
        let d = self.discover().await?;
        let client = self.client(d.metadata.clone(), &pending.redirect_url)?;
        let token = client
            .exchange_code(AuthorizationCode::new(code.to_string()))
            .map_err(|e| OidcError::Config(e.to_string()))?
            .set_pkce_verifier(PkceCodeVerifier::new(pending.pkce_verifier.clone()))
            .request_async(&self.http)
            .await
            .map_err(|e| OidcError::Exchange(error_chain(&e)))?;
        let id_token = token.id_token().ok_or(OidcError::MissingIdToken)?.clone();
        let nonce = Nonce::new(pending.nonce.clone());

        let subject = match self.verify(&d, &pending.redirect_url, &id_token, &nonce) {
            Ok(sub) => sub,
            Err(ClaimsVerificationError::SignatureVerification(
                SignatureVerificationError::NoMatchingKey,
            )) => {
                // The provider may have rotated its keys since we fetched them: refetch once.
                let refreshed = self.refetch_jwks(d.clone()).await?;
                self.verify(&refreshed, &pending.redirect_url, &id_token, &nonce)
                    .map_err(|e| OidcError::InvalidIdToken(e.to_string()))?
            }
            Err(e) => return Err(OidcError::InvalidIdToken(e.to_string())),
        };

        // The token is verified, so its payload can be read for the claims openidconnect does not model.
        let raw = id_token.to_string();
        let payload = jwt_payload(&raw).map_err(OidcError::InvalidIdToken)?;
        let groups_value = match self.settings.groups_from {
            GroupsSource::IdToken => payload.get(&self.settings.groups_claim).cloned(),
            GroupsSource::Userinfo => {
                let info = self
                    .userinfo(&d, token.access_token().secret(), &subject)
                    .await?;
                info.get(&self.settings.groups_claim).cloned()
            }
        };
        let groups = groups_from_claim(groups_value.as_ref());
        let grants = grants(&self.settings, &groups);
        let text = |key: &str| {
            payload
                .get(key)
                .and_then(|v| v.as_str())
                .filter(|s| !s.is_empty())
                .map(str::to_string)
        };
        let email = text("email");
        let name = text("name")
            .or_else(|| text("preferred_username"))
            .or_else(|| email.clone())
            .unwrap_or_else(|| subject.clone());
        Ok(SignedIn {
            identity: Identity {
                issuer: self.settings.issuer.trim_end_matches('/').to_string(),
                subject,
                name,
                email,
                is_admin: grants.is_admin,
                teams: grants.teams,
            },
            id_token: raw,
        })
    }

    fn verify(
        &self,
        d: &Discovered,
        redirect_url: &str,
        id_token: &CoreIdToken,
        nonce: &Nonce,
    ) -> Result<String, ClaimsVerificationError> {
        let client = self
            .client(d.metadata.clone(), redirect_url)
            .map_err(|e| ClaimsVerificationError::Other(e.to_string()))?;
        let verifier = client
            .id_token_verifier()
            .set_allowed_algs([
                CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha256,
                CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha384,
                CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha512,
                CoreJwsSigningAlgorithm::RsaSsaPssSha256,
                CoreJwsSigningAlgorithm::EcdsaP256Sha256,
                CoreJwsSigningAlgorithm::EcdsaP384Sha384,
                CoreJwsSigningAlgorithm::EdDsa,
            ])
            .set_time_fn(|| chrono::Utc::now() - chrono::Duration::seconds(CLOCK_SKEW_SECS))
            .set_issue_time_verifier_fn(|iat| {
                let now = chrono::Utc::now();
                if iat > now + chrono::Duration::seconds(CLOCK_SKEW_SECS) {
                    Err(format!("issued in the future ({iat})"))
                } else if iat < now - chrono::Duration::seconds(PENDING_TTL_SECS) {
                    Err(format!("issued too long ago ({iat})"))
                } else {
                    Ok(())
                }
            });
        let claims = id_token.claims(&verifier, nonce)?;
        Ok(claims.subject().as_str().to_string())
    }

    async fn refetch_jwks(&self, mut d: Discovered) -> Result<Discovered, OidcError> {
        let jwks = CoreJsonWebKeySet::fetch_async(d.metadata.jwks_uri(), &self.http)
            .await
            .map_err(|e| OidcError::Discovery(format!("JWKS refetch: {}", error_chain(&e))))?;
        d.metadata = d.metadata.set_jwks(jwks);
        *self.discovered.write().await = Some(d.clone());
        tracing::info!("OpenID Provider keys refetched after an unknown key id");
        Ok(d)
    }

    async fn userinfo(
        &self,
        d: &Discovered,
        access_token: &str,
        subject: &str,
    ) -> Result<serde_json::Value, OidcError> {
        let url = d
            .userinfo_endpoint
            .as_ref()
            .ok_or_else(|| OidcError::Groups("the provider has no userinfo endpoint".into()))?;
        let resp = self
            .http
            .get(url)
            .bearer_auth(access_token)
            .send()
            .await
            .map_err(|e| OidcError::Groups(e.to_string()))?;
        if !resp.status().is_success() {
            return Err(OidcError::Groups(format!(
                "userinfo answered {}",
                resp.status()
            )));
        }
        let info: serde_json::Value = resp
            .json()
            .await
            .map_err(|e| OidcError::Groups(e.to_string()))?;
        // The userinfo response must be about the same person as the ID token.
        if info.get("sub").and_then(|s| s.as_str()) != Some(subject) {
            return Err(OidcError::Groups(
                "userinfo `sub` does not match the ID token".into(),
            ));
        }
        Ok(info)
    }

    /// Where to send the browser to end the provider's session too (RP-initiated logout), if the
    /// provider supports it.
    pub async fn logout_url(
        &self,
        id_token_hint: Option<&str>,
        post_logout_redirect: &str,
    ) -> Option<String> {
        let d = self.discover().await.ok()?;
        let endpoint = d.end_session_endpoint?;
        let mut url = url::Url::parse(&endpoint).ok()?;
        {
            let mut q = url.query_pairs_mut();
            if let Some(hint) = id_token_hint {
                q.append_pair("id_token_hint", hint);
            }
            q.append_pair("client_id", &self.settings.client_id);
            q.append_pair("post_logout_redirect_uri", post_logout_redirect);
        }
        Some(url.to_string())
    }
}

type ClientFor = openidconnect::Client<
    openidconnect::EmptyAdditionalClaims,
    openidconnect::core::CoreAuthDisplay,
    openidconnect::core::CoreGenderClaim,
    openidconnect::core::CoreJweContentEncryptionAlgorithm,
    openidconnect::core::CoreJsonWebKey,
    openidconnect::core::CoreAuthPrompt,
    openidconnect::StandardErrorResponse<openidconnect::core::CoreErrorResponseType>,
    openidconnect::core::CoreTokenResponse,
    openidconnect::core::CoreTokenIntrospectionResponse,
    openidconnect::core::CoreRevocableToken,
    openidconnect::core::CoreRevocationErrorResponse,
    openidconnect::EndpointSet,
    openidconnect::EndpointNotSet,
    openidconnect::EndpointNotSet,
    openidconnect::EndpointNotSet,
    openidconnect::EndpointMaybeSet,
    openidconnect::EndpointMaybeSet,
>;

/// The JSON payload of a JWS compact token (only call on a token already verified).
fn jwt_payload(raw: &str) -> Result<serde_json::Map<String, serde_json::Value>, String> {
    let part = raw.split('.').nth(1).ok_or("malformed token")?;
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(part.trim_end_matches('='))
        .map_err(|e| e.to_string())?;
    serde_json::from_slice(&bytes).map_err(|e| e.to_string())
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

fn error_chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    text
}
