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
use sha2::{Digest, Sha256};
use tokio::sync::{Mutex, RwLock};

use crate::caller::{ACCESS_TOKEN_TTL, AuthError, Caller, Claims, LEEWAY};
use crate::revocation::{Revocations, Verdict};

/// The shortest interval between two key fetches triggered by unknown `kid`s, so a flood
/// of forged tokens cannot turn into a flood of calls to identity.
const MIN_REFRESH_INTERVAL: Duration = Duration::from_secs(1);

/// How many verified tokens a process remembers (a few hundred bytes each).
const VERIFIED_CAPACITY: u64 = 10_000;

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
        let channel = crate::channel::lazy_channel(
            identity_url,
            "COMPTOIR_IDENTITY_URL",
            Duration::from_secs(5),
        )?;
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
    use comptoir_domain_types::permissions::Permission;
    use tonic::Code;
    use uuid::Uuid;

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

    /// The status code a refused check answers.
    fn refused<T: std::fmt::Debug>(checked: Result<T, AuthError>) -> Code {
        tonic::Status::from(checked.unwrap_err()).code()
    }

    #[test]
    fn require_checks_the_active_company_then_the_permission() {
        let company = Uuid::now_v7();
        let sales = user(Some(company), &["quotes.write"]);
        assert!(sales.require(company, Permission::QuotesWrite).is_ok());
        assert_eq!(
            refused(sales.require(company, Permission::InvoicesIssue)),
            Code::PermissionDenied
        );
        assert_eq!(
            refused(sales.require(Uuid::now_v7(), Permission::QuotesWrite)),
            Code::NotFound
        );
        assert_eq!(
            refused(user(None, &["quotes.write"]).require(company, Permission::QuotesWrite)),
            Code::NotFound
        );
        let service = Caller::Service {
            name: "billing".to_owned(),
        };
        assert_eq!(
            refused(service.require(company, Permission::QuotesWrite)),
            Code::NotFound
        );
        assert_eq!(service.require_service().unwrap(), "billing");
        assert_eq!(refused(sales.require_service()), Code::PermissionDenied);
    }

    #[test]
    fn require_any_accepts_one_of_the_permissions_and_names_them_all_when_none_is_held() {
        let company = Uuid::now_v7();
        let sales = user(Some(company), &["quotes.write"]);
        let either = [Permission::InvoicesWrite, Permission::QuotesWrite];
        assert!(sales.require_any(company, &either).is_ok());
        let status = tonic::Status::from(
            sales
                .require_any(company, &[Permission::InvoicesWrite, Permission::AuditRead])
                .unwrap_err(),
        );
        assert_eq!(status.code(), Code::PermissionDenied);
        assert_eq!(
            status.message(),
            "this call needs one of the permissions invoices.write, audit.read"
        );
        assert!(matches!(
            sales.require_any(company, &[Permission::AuditRead]),
            Err(AuthError::PermissionDenied(Permission::AuditRead))
        ));
        assert!(matches!(
            sales.require_any(Uuid::now_v7(), &either),
            Err(AuthError::CompanyNotFound(_))
        ));
    }

    #[test]
    fn each_refusal_answers_its_code_reason_and_message() {
        use tonic_types::StatusExt as _;
        let company = Uuid::now_v7();
        let cases = [
            (
                AuthError::PermissionDenied(Permission::InvoicesIssue),
                Code::PermissionDenied,
                "PERMISSION_DENIED",
                "this call needs the `invoices.issue` permission".to_owned(),
            ),
            (
                AuthError::CompanyNotFound(company),
                Code::NotFound,
                "COMPANY_NOT_FOUND",
                format!("company {company} not found"),
            ),
            (
                AuthError::NoActiveCompany,
                Code::FailedPrecondition,
                "NO_ACTIVE_COMPANY",
                "no active company: call SwitchCompany first".to_owned(),
            ),
            (
                AuthError::ServiceTokenRequired,
                Code::PermissionDenied,
                "SERVICE_TOKEN_REQUIRED",
                "this internal call accepts service tokens only".to_owned(),
            ),
        ];
        for (err, code, reason, message) in cases {
            let status = tonic::Status::from(err);
            assert_eq!(status.code(), code);
            assert_eq!(status.message(), message);
            let info = status.get_details_error_info().expect("error info");
            assert_eq!(
                (info.reason.as_str(), info.domain.as_str()),
                (reason, "auth.comptoir")
            );
        }
    }
}
