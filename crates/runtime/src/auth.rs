//! Who is calling. Access tokens are EdDSA JWTs signed by identity; every service verifies
//! them itself with identity's public keys, fetched once, cached, and fetched again when a
//! token names an unknown `kid` (key rotation). The verified claims become a [`Caller`]
//! in the request's extensions. A token already verified is remembered (by its SHA-256)
//! until it expires or the keys change, so a client's repeated calls with one token pay
//! for the signature check once. Every token, remembered or not, is then checked against
//! the process's [`Revocations`]: a token of an ended session or of a revoked membership
//! is refused, and one whose holder's role changed keeps only the new role's permissions.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures::future::BoxFuture;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use tokio::sync::{Mutex, RwLock};
use tonic::Code;
use uuid::Uuid;

use crate::error;
use crate::revocation::{Revocations, Verdict};

/// How long an access token lives.
pub const ACCESS_TOKEN_TTL: Duration = Duration::from_secs(10 * 60);

/// How far past its expiry a token is still accepted (clock skew between hosts).
pub const LEEWAY: Duration = Duration::from_secs(30);

/// The shortest interval between two key fetches triggered by unknown `kid`s, so a flood
/// of forged tokens cannot turn into a flood of calls to identity.
const MIN_REFRESH_INTERVAL: Duration = Duration::from_secs(1);

/// How many verified tokens a process remembers (a few hundred bytes each).
const VERIFIED_CAPACITY: u64 = 10_000;

/// The claims of a Comptoir access token.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Claims {
    /// The user id, or `service:<name>` for a service token.
    pub sub: String,
    /// The session the token was issued in (user tokens), so identity can act on it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sid: Option<Uuid>,
    /// The active company, if the token is scoped to one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cid: Option<Uuid>,
    /// The caller's role in the active company.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<String>,
    /// The caller's permissions in the active company.
    #[serde(default)]
    pub perms: Vec<String>,
    /// True when the caller reaches the active company only through an accounting firm's
    /// grant, not a membership of their own. Absent means direct access, so a token
    /// minted before the claim existed keeps the rights it was issued with.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub firm: bool,
    /// Issuer.
    pub iss: String,
    /// Audience.
    pub aud: String,
    /// Issued at (seconds since the epoch).
    pub iat: i64,
    /// Expiry (seconds since the epoch).
    pub exp: i64,
}

/// The authenticated caller of a request, as put in the request's extensions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Caller {
    /// A person, possibly acting for one company.
    User {
        /// The account.
        user_id: Uuid,
        /// The session the token belongs to, if it says.
        session_id: Option<Uuid>,
        /// The active company of the token, if any.
        company_id: Option<Uuid>,
        /// Role in the active company.
        role: Option<String>,
        /// Permissions in the active company.
        permissions: Vec<String>,
        /// True when the access to the active company comes only through an accounting
        /// firm's grant (the token's `firm` claim); some acts are the client's own.
        through_firm: bool,
    },
    /// Another Comptoir service acting on its own behalf.
    Service {
        /// The service's name.
        name: String,
    },
}

impl Caller {
    /// The caller as recorded in audit trails and events.
    pub fn actor(&self) -> String {
        match self {
            Caller::User { user_id, .. } => user_id.to_string(),
            Caller::Service { name } => format!("service:{name}"),
        }
    }

    /// The caller of a request, put there by the auth layer. A request without one never
    /// reaches a handler unless its method is public, so this is UNAUTHENTICATED there.
    pub fn of<T>(request: &tonic::Request<T>) -> Result<&Caller, tonic::Status> {
        request
            .extensions()
            .get::<Caller>()
            .ok_or_else(|| AuthError::Missing.into())
    }

    /// Checks that the caller may use `permission` on `company_id`: a user whose token is
    /// scoped to that very company and carries the permission. A token scoped to another
    /// company (or to none) answers NOT_FOUND, so a foreign id reveals nothing; a missing
    /// permission answers PERMISSION_DENIED. Services act for themselves with service
    /// tokens only on internal calls, which check [`Caller::require_service`] instead.
    pub fn require(&self, company_id: Uuid, permission: &str) -> Result<(), tonic::Status> {
        match self {
            Caller::User {
                company_id: Some(active),
                permissions,
                ..
            } if *active == company_id => {
                if permissions.iter().any(|p| p == permission) {
                    Ok(())
                } else {
                    Err(error::status(
                        Code::PermissionDenied,
                        "PERMISSION_DENIED",
                        "auth",
                        format!("this call needs the `{permission}` permission"),
                    ))
                }
            }
            Caller::User { .. } | Caller::Service { .. } => Err(error::status(
                Code::NotFound,
                "COMPANY_NOT_FOUND",
                "auth",
                format!("company {company_id} not found"),
            )),
        }
    }

    /// The company the caller's token is scoped to; a token with none answers
    /// FAILED_PRECONDITION (switch to a company first).
    pub fn active_company(&self) -> Result<Uuid, tonic::Status> {
        match self {
            Caller::User {
                company_id: Some(company),
                ..
            } => Ok(*company),
            Caller::User { .. } | Caller::Service { .. } => Err(error::status(
                Code::FailedPrecondition,
                "NO_ACTIVE_COMPANY",
                "auth",
                "no active company: call SwitchCompany first",
            )),
        }
    }

    /// Checks that the caller is another Comptoir service (internal calls).
    pub fn require_service(&self) -> Result<&str, tonic::Status> {
        match self {
            Caller::Service { name } => Ok(name),
            Caller::User { .. } => Err(error::status(
                Code::PermissionDenied,
                "SERVICE_TOKEN_REQUIRED",
                "auth",
                "this internal call accepts service tokens only",
            )),
        }
    }

    /// The caller with only the `permissions` of a new `role` that it also held before.
    fn narrowed(self, new_role: &str, allowed: &[String]) -> Self {
        match self {
            Caller::User {
                user_id,
                session_id,
                company_id,
                permissions,
                through_firm,
                ..
            } => Caller::User {
                user_id,
                session_id,
                company_id,
                role: Some(new_role.to_owned()),
                permissions: permissions
                    .into_iter()
                    .filter(|p| allowed.contains(p))
                    .collect(),
                through_firm,
            },
            service @ Caller::Service { .. } => service,
        }
    }

    fn from_claims(claims: Claims) -> Result<Self, AuthError> {
        if let Some(name) = claims.sub.strip_prefix("service:") {
            return Ok(Caller::Service {
                name: name.to_owned(),
            });
        }
        let user_id = Uuid::parse_str(&claims.sub).map_err(|_| AuthError::Malformed)?;
        Ok(Caller::User {
            user_id,
            session_id: claims.sid,
            company_id: claims.cid,
            role: claims.role,
            permissions: claims.perms,
            through_firm: claims.firm,
        })
    }
}

/// Why a request was not authenticated. Every variant answers UNAUTHENTICATED but a
/// revoked company access (PERMISSION_DENIED: the person is still who they say) and
/// missing keys (UNAVAILABLE).
#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    /// No `authorization: Bearer …` metadata.
    #[error("missing `authorization: Bearer <token>` metadata")]
    Missing,
    /// Not a JWT, or a claim of the wrong shape.
    #[error("malformed access token")]
    Malformed,
    /// Signed by a key identity does not know.
    #[error("access token signed by an unknown key")]
    UnknownKey,
    /// Bad signature, expired, or issued for another audience or issuer.
    #[error("invalid access token: {0}")]
    Invalid(jsonwebtoken::errors::Error),
    /// The keys could not be fetched from identity.
    #[error("token keys unavailable: {0}")]
    KeysUnavailable(String),
    /// The token's session ended (logout, password reset or change, refresh-token reuse).
    #[error("the session of this access token has ended; log in again")]
    SessionRevoked,
    /// The token's access to its company ended since it was issued (removed member,
    /// revoked firm grant).
    #[error("access to this company was revoked; switch company again")]
    AccessRevoked,
}

impl From<AuthError> for tonic::Status {
    fn from(err: AuthError) -> Self {
        let (code, reason) = match &err {
            AuthError::Missing => (Code::Unauthenticated, "TOKEN_MISSING"),
            AuthError::Malformed => (Code::Unauthenticated, "TOKEN_MALFORMED"),
            AuthError::UnknownKey => (Code::Unauthenticated, "TOKEN_UNKNOWN_KEY"),
            AuthError::Invalid(inner) => match inner.kind() {
                jsonwebtoken::errors::ErrorKind::ExpiredSignature => {
                    (Code::Unauthenticated, "TOKEN_EXPIRED")
                }
                _ => (Code::Unauthenticated, "TOKEN_INVALID"),
            },
            AuthError::KeysUnavailable(_) => (Code::Unavailable, "TOKEN_KEYS_UNAVAILABLE"),
            AuthError::SessionRevoked => (Code::Unauthenticated, "SESSION_REVOKED"),
            AuthError::AccessRevoked => (Code::PermissionDenied, "ACCESS_REVOKED"),
        };
        error::status(code, reason, "auth", err.to_string())
    }
}

/// One public key that verifies access tokens: the JWK `x` of an Ed25519 key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublicKey {
    /// Key id, matching the token's `kid` header.
    pub kid: String,
    /// Raw public key, base64url without padding.
    pub x: String,
}

/// Fetches the current public keys (from identity's `GetJwks`, or identity's own store).
pub type KeyFetcher =
    Arc<dyn Fn() -> BoxFuture<'static, anyhow::Result<Vec<PublicKey>>> + Send + Sync>;

/// The cached verification keys and the rules a token must meet.
#[derive(Clone)]
pub struct KeySet {
    inner: Arc<KeySetInner>,
}

struct KeySetInner {
    fetch: KeyFetcher,
    keys: RwLock<HashMap<String, DecodingKey>>,
    last_refresh: Mutex<Option<Instant>>,
    validation: Validation,
    /// Tokens verified with the current keys, by SHA-256: caller, issue time, expiry.
    verified: moka::sync::Cache<[u8; 32], (Caller, i64, i64)>,
    /// What was revoked before tokens expire.
    revocations: Revocations,
}

impl KeySet {
    /// Keys from `fetch`, tokens checked for `issuer` and `audience`.
    pub fn new(fetch: KeyFetcher, issuer: &str, audience: &str) -> Self {
        let mut validation = Validation::new(Algorithm::EdDSA);
        validation.set_issuer(&[issuer]);
        validation.set_audience(&[audience]);
        validation.leeway = LEEWAY.as_secs();
        Self {
            inner: Arc::new(KeySetInner {
                fetch,
                keys: RwLock::new(HashMap::new()),
                last_refresh: Mutex::new(None),
                validation,
                verified: moka::sync::Cache::builder()
                    .max_capacity(VERIFIED_CAPACITY)
                    .time_to_live(ACCESS_TOKEN_TTL)
                    .build(),
                revocations: Revocations::new(),
            }),
        }
    }

    /// Keys fetched over gRPC from identity's `GetJwks` at `identity_url`.
    pub fn remote(identity_url: &str, issuer: &str, audience: &str) -> anyhow::Result<Self> {
        use comptoir_proto::identity::v1::{
            GetJwksRequest, identity_service_client::IdentityServiceClient,
        };
        let channel = tonic::transport::Endpoint::from_shared(identity_url.to_owned())
            .map_err(|err| anyhow::anyhow!("COMPTOIR_IDENTITY_URL `{identity_url}`: {err}"))?
            .connect_timeout(Duration::from_secs(5))
            .timeout(Duration::from_secs(5))
            .connect_lazy();
        let fetch: KeyFetcher = Arc::new(move || {
            let mut client = IdentityServiceClient::with_interceptor(
                channel.clone(),
                crate::telemetry::propagate_context,
            );
            Box::pin(async move {
                let keys = client.get_jwks(GetJwksRequest {}).await?.into_inner().keys;
                Ok(keys
                    .into_iter()
                    .map(|k| PublicKey { kid: k.kid, x: k.x })
                    .collect())
            })
        });
        Ok(Self::new(fetch, issuer, audience))
    }

    /// The revocation list this set checks tokens against (fed by its listener).
    pub fn revocations(&self) -> Revocations {
        self.inner.revocations.clone()
    }

    /// Verifies a bearer token and returns its caller. A token verified before is taken
    /// from memory while it has not expired; any other is checked in full. Either way the
    /// revocation list has the last word. A revoked token stays remembered: the list
    /// keeps refusing it until it expires, without checking its signature again.
    pub async fn verify(&self, token: &str) -> Result<Caller, AuthError> {
        let digest: [u8; 32] = Sha256::digest(token.as_bytes()).into();
        let (caller, iat) = match self.inner.verified.get(&digest) {
            Some((caller, iat, exp)) if chrono::Utc::now().timestamp() < exp => (caller, iat),
            _ => {
                let (caller, iat, exp) = self.verify_signed(token).await?;
                self.inner
                    .verified
                    .insert(digest, (caller.clone(), iat, exp));
                (caller, iat)
            }
        };
        match self.inner.revocations.check(&caller, iat) {
            Verdict::Allowed => Ok(caller),
            Verdict::Narrowed { role, permissions } => Ok(caller.narrowed(&role, &permissions)),
            Verdict::SessionRevoked => Err(AuthError::SessionRevoked),
            Verdict::AccessRevoked => Err(AuthError::AccessRevoked),
        }
    }

    /// Checks a token's signature and claims; returns its caller, issue time and expiry.
    async fn verify_signed(&self, token: &str) -> Result<(Caller, i64, i64), AuthError> {
        let header = jsonwebtoken::decode_header(token).map_err(|_| AuthError::Malformed)?;
        if header.alg != Algorithm::EdDSA {
            return Err(AuthError::Malformed);
        }
        let kid = header.kid.ok_or(AuthError::Malformed)?;
        let key = match self.key(&kid).await {
            Some(key) => key,
            None => {
                self.refresh().await?;
                self.key(&kid).await.ok_or(AuthError::UnknownKey)?
            }
        };
        let data =
            jsonwebtoken::decode::<Claims>(token, &key, &self.inner.validation).map_err(|err| {
                match err.kind() {
                    jsonwebtoken::errors::ErrorKind::Json(_) => AuthError::Malformed,
                    _ => AuthError::Invalid(err),
                }
            })?;
        let (iat, exp) = (data.claims.iat, data.claims.exp);
        Ok((Caller::from_claims(data.claims)?, iat, exp))
    }

    async fn key(&self, kid: &str) -> Option<DecodingKey> {
        self.inner.keys.read().await.get(kid).cloned()
    }

    /// Fetches the keys again, at most once per [`MIN_REFRESH_INTERVAL`].
    async fn refresh(&self) -> Result<(), AuthError> {
        let mut last = self.inner.last_refresh.lock().await;
        if last.is_some_and(|at| at.elapsed() < MIN_REFRESH_INTERVAL) {
            return Ok(());
        }
        let fetched = (self.inner.fetch)()
            .await
            .map_err(|err| AuthError::KeysUnavailable(format!("{err:#}")))?;
        *last = Some(Instant::now());
        let mut keys = HashMap::new();
        for key in fetched {
            match DecodingKey::from_ed_components(&key.x) {
                Ok(decoding) => {
                    keys.insert(key.kid, decoding);
                }
                Err(err) => {
                    tracing::warn!(kid = %key.kid, error = %err, "skipping a bad public key")
                }
            }
        }
        *self.inner.keys.write().await = keys;
        // A key may have been withdrawn: what it verified is checked again.
        self.inner.verified.invalidate_all();
        Ok(())
    }
}

/// The bearer token of a request's `authorization` header.
pub fn bearer(headers: &http::HeaderMap) -> Result<&str, AuthError> {
    let value = headers
        .get(http::header::AUTHORIZATION)
        .ok_or(AuthError::Missing)?
        .to_str()
        .map_err(|_| AuthError::Malformed)?;
    value
        .strip_prefix("Bearer ")
        .or_else(|| value.strip_prefix("bearer "))
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .ok_or(AuthError::Missing)
}

impl Claims {
    /// Claims for `sub`, valid from now for [`ACCESS_TOKEN_TTL`], with no active company.
    pub fn new(sub: impl Into<String>, issuer: &str, audience: &str) -> Self {
        let now = chrono::Utc::now().timestamp();
        Self {
            sub: sub.into(),
            sid: None,
            cid: None,
            role: None,
            perms: Vec::new(),
            firm: false,
            iss: issuer.to_owned(),
            aud: audience.to_owned(),
            iat: now,
            exp: now + ACCESS_TOKEN_TTL.as_secs() as i64,
        }
    }
}

/// Signs `claims` with an Ed25519 private key (PKCS#8 DER), naming it `kid`.
pub fn sign(
    claims: &Claims,
    kid: &str,
    pkcs8_der: &[u8],
) -> Result<String, jsonwebtoken::errors::Error> {
    let mut header = jsonwebtoken::Header::new(Algorithm::EdDSA);
    header.kid = Some(kid.to_owned());
    jsonwebtoken::encode(
        &header,
        claims,
        &jsonwebtoken::EncodingKey::from_ed_der(pkcs8_der),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    use base64::Engine as _;
    use ed25519_dalek::pkcs8::EncodePrivateKey as _;
    use std::sync::Mutex as StdMutex;

    /// A signing key: its public half as identity serves it, and its PKCS#8 DER.
    fn signing_key(kid: &str) -> (PublicKey, Vec<u8>) {
        let key = ed25519_dalek::SigningKey::generate(&mut rand::rngs::OsRng);
        let public = PublicKey {
            kid: kid.to_owned(),
            x: base64::engine::general_purpose::URL_SAFE_NO_PAD
                .encode(key.verifying_key().as_bytes()),
        };
        let der = key
            .to_pkcs8_der()
            .expect("a PKCS#8 key")
            .as_bytes()
            .to_vec();
        (public, der)
    }

    #[tokio::test]
    async fn a_remembered_token_is_checked_again_once_its_key_is_withdrawn() {
        let (old_public, old_der) = signing_key("old");
        let (new_public, new_der) = signing_key("new");
        let served = Arc::new(StdMutex::new(vec![old_public]));
        let fetch: KeyFetcher = {
            let served = served.clone();
            Arc::new(move || {
                let keys = served.lock().expect("the served keys").clone();
                Box::pin(async move { Ok(keys) })
            })
        };
        let keys = KeySet::new(fetch, "comptoir", "comptoir-api");
        let user = Uuid::now_v7();
        let claims = Claims::new(user.to_string(), "comptoir", "comptoir-api");
        let old_token = sign(&claims, "old", &old_der).expect("signed");
        for _ in 0..2 {
            let caller = keys.verify(&old_token).await.expect("the old key verifies");
            assert_eq!(caller.actor(), user.to_string());
        }
        let forged = format!("{old_token}x");
        assert!(matches!(
            keys.verify(&forged).await,
            Err(AuthError::Invalid(_))
        ));

        // Identity rotates and withdraws the old key; a token naming the new one makes
        // the set fetch the keys again (once the refresh interval has passed), and the
        // remembered token no longer passes.
        *served.lock().expect("the served keys") = vec![new_public];
        tokio::time::sleep(MIN_REFRESH_INTERVAL).await;
        let new_token = sign(&claims, "new", &new_der).expect("signed");
        keys.verify(&new_token).await.expect("the new key verifies");
        assert!(matches!(
            keys.verify(&old_token).await,
            Err(AuthError::UnknownKey)
        ));
    }

    /// A key set that always serves `public` alone.
    fn serving(public: PublicKey) -> KeySet {
        let fetch: KeyFetcher = Arc::new(move || {
            let keys = vec![public.clone()];
            Box::pin(async move { Ok(keys) })
        });
        KeySet::new(fetch, "comptoir", "comptoir-api")
    }

    /// What a user's token holds: role, permissions, and whether through a firm's grant.
    fn held(caller: Caller) -> (String, Vec<String>, bool) {
        match caller {
            Caller::User {
                role,
                permissions,
                through_firm,
                ..
            } => (role.unwrap_or_default(), permissions, through_firm),
            Caller::Service { .. } => unreachable!("a user token"),
        }
    }

    #[tokio::test]
    async fn a_remembered_token_is_narrowed_then_refused_as_revocations_arrive() {
        let (public, der) = signing_key("k");
        let keys = serving(public);
        let (user, session, company) = (Uuid::now_v7(), Uuid::now_v7(), Uuid::now_v7());
        let mut claims = Claims::new(user.to_string(), "comptoir", "comptoir-api");
        claims.sid = Some(session);
        claims.cid = Some(company);
        claims.role = Some("administrator".to_owned());
        claims.perms = vec!["invoices.read".to_owned(), "settings.write".to_owned()];
        let token = sign(&claims, "k", &der).expect("signed");
        assert_eq!(
            held(keys.verify(&token).await.expect("verified")).1.len(),
            2
        );

        // Demoted to a role that reads quotes only: what the token held and the role
        // allows (nothing here but what both name).
        let now = chrono::Utc::now().timestamp_millis();
        keys.revocations().change_role(
            user,
            company,
            "custom",
            vec!["invoices.read".to_owned(), "quotes.write".to_owned()],
            now,
        );
        assert_eq!(
            held(keys.verify(&token).await.expect("still verified")),
            ("custom".to_owned(), vec!["invoices.read".to_owned()], false)
        );

        keys.revocations().revoke_session(session, now);
        // The remembered token, and one of the same session never seen before (checked in
        // full), are both refused.
        claims.perms.pop();
        let unseen = sign(&claims, "k", &der).expect("signed");
        for token in [&token, &token, &unseen] {
            assert!(matches!(
                keys.verify(token).await,
                Err(AuthError::SessionRevoked)
            ));
        }
        assert_eq!(
            tonic::Status::from(AuthError::SessionRevoked).code(),
            Code::Unauthenticated
        );
        assert_eq!(
            tonic::Status::from(AuthError::AccessRevoked).code(),
            Code::PermissionDenied
        );
    }

    #[tokio::test]
    async fn the_firm_claim_reaches_the_caller_and_outlives_a_narrowing() {
        let (public, der) = signing_key("k");
        let keys = serving(public);
        let (user, company) = (Uuid::now_v7(), Uuid::now_v7());
        let mut claims = Claims::new(user.to_string(), "comptoir", "comptoir-api");
        claims.cid = Some(company);
        claims.role = Some("administrator".to_owned());
        // A direct member's token has no `firm` claim at all, like every token minted
        // before the claim existed: both are direct access.
        let direct = serde_json::to_value(&claims).expect("claims serialise");
        assert!(direct.get("firm").is_none(), "{direct}");
        let direct = sign(&claims, "k", &der).expect("signed");
        assert_eq!(
            held(keys.verify(&direct).await.expect("verified")),
            ("administrator".to_owned(), Vec::new(), false)
        );

        claims.firm = true;
        let firm = sign(&claims, "k", &der).expect("signed");
        assert_eq!(
            held(keys.verify(&firm).await.expect("verified")),
            ("administrator".to_owned(), Vec::new(), true)
        );
        // The grant's role changes: the token keeps fewer permissions, and is still the
        // firm's access, not the client's own.
        let now = chrono::Utc::now().timestamp_millis();
        keys.revocations()
            .change_role(user, company, "accountant", Vec::new(), now);
        assert_eq!(
            held(keys.verify(&firm).await.expect("narrowed")),
            ("accountant".to_owned(), Vec::new(), true)
        );
    }

    fn user(company_id: Option<Uuid>, permissions: &[&str]) -> Caller {
        Caller::User {
            user_id: Uuid::now_v7(),
            session_id: None,
            company_id,
            role: None,
            permissions: permissions.iter().map(|p| (*p).to_owned()).collect(),
            through_firm: false,
        }
    }

    #[test]
    fn require_checks_the_active_company_then_the_permission() {
        let company = Uuid::now_v7();
        let sales = user(Some(company), &["quotes.write"]);
        assert!(sales.require(company, "quotes.write").is_ok());
        assert_eq!(
            sales.require(company, "invoices.issue").unwrap_err().code(),
            Code::PermissionDenied
        );
        assert_eq!(
            sales
                .require(Uuid::now_v7(), "quotes.write")
                .unwrap_err()
                .code(),
            Code::NotFound
        );
        assert_eq!(
            user(None, &["quotes.write"])
                .require(company, "quotes.write")
                .unwrap_err()
                .code(),
            Code::NotFound
        );
        let service = Caller::Service {
            name: "billing".to_owned(),
        };
        assert_eq!(
            service.require(company, "quotes.write").unwrap_err().code(),
            Code::NotFound
        );
        assert_eq!(service.require_service().unwrap(), "billing");
        assert_eq!(
            sales.require_service().unwrap_err().code(),
            Code::PermissionDenied
        );
    }
}
