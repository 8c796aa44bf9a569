//! Who a request comes from: the claims of a Comptoir access token, the [`Caller`] they
//! become in the request's extensions, the lifetimes every service agrees on, and why a
//! request was not authenticated or its caller not allowed to make it ([`AuthError`], which
//! each service's `Error` takes as it is and turns into its status). The auth layer
//! ([`crate::auth`]) turns a verified token into a caller; the revocation list
//! ([`crate::revocation`]) narrows or refuses one. Neither needs the other to read these.

use std::time::Duration;

use serde::{Deserialize, Serialize};
use tonic::Code;
use uuid::Uuid;

use comptoir_domain_types::permissions::{self, Permission};

use crate::error;

/// How long an access token lives.
pub const ACCESS_TOKEN_TTL: Duration = Duration::from_secs(10 * 60);

/// How far past its expiry a token is still accepted (clock skew between hosts).
pub const LEEWAY: Duration = Duration::from_secs(30);

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
    pub fn of<T>(request: &tonic::Request<T>) -> Result<&Caller, AuthError> {
        request
            .extensions()
            .get::<Caller>()
            .ok_or(AuthError::Missing)
    }

    /// Checks that the caller may use `permission` on `company_id`: a user whose token is
    /// scoped to that very company and carries the permission. A token scoped to another
    /// company (or to none) answers NOT_FOUND, so a foreign id reveals nothing; a missing
    /// permission answers PERMISSION_DENIED. Services act for themselves with service
    /// tokens only on internal calls, which check [`Caller::require_service`] instead.
    pub fn require(&self, company_id: Uuid, permission: Permission) -> Result<(), AuthError> {
        match self {
            Caller::User {
                company_id: Some(active),
                permissions,
                ..
            } if *active == company_id => {
                if permission.held_in(permissions) {
                    Ok(())
                } else {
                    Err(AuthError::PermissionDenied(permission))
                }
            }
            Caller::User { .. } | Caller::Service { .. } => {
                Err(AuthError::CompanyNotFound(company_id))
            }
        }
    }

    /// Checks that the caller may act on `company_id` with at least one of `permissions`
    /// (a call several permissions allow): as [`Caller::require`] when one is named,
    /// else PERMISSION_DENIED naming them all when the token holds none of them.
    pub fn require_any(
        &self,
        company_id: Uuid,
        permissions: &[Permission],
    ) -> Result<(), AuthError> {
        if let [permission] = permissions {
            return self.require(company_id, *permission);
        }
        for permission in permissions {
            match self.require(company_id, *permission) {
                Ok(()) => return Ok(()),
                Err(AuthError::PermissionDenied(_)) => {}
                Err(other) => return Err(other),
            }
        }
        Err(AuthError::NoneOfPermissions(permissions.to_vec()))
    }

    /// The company the caller's token is scoped to; a token with none answers
    /// FAILED_PRECONDITION (switch to a company first).
    pub fn active_company(&self) -> Result<Uuid, AuthError> {
        match self {
            Caller::User {
                company_id: Some(company),
                ..
            } => Ok(*company),
            Caller::User { .. } | Caller::Service { .. } => Err(AuthError::NoActiveCompany),
        }
    }

    /// Checks that the caller is another Comptoir service (internal calls).
    pub fn require_service(&self) -> Result<&str, AuthError> {
        match self {
            Caller::Service { name } => Ok(name),
            Caller::User { .. } => Err(AuthError::ServiceTokenRequired),
        }
    }

    /// The caller with only the `permissions` of a new `role` that it also held before.
    pub(crate) fn narrowed(self, new_role: &str, allowed: &[String]) -> Self {
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

    pub(crate) fn from_claims(claims: Claims) -> Result<Self, AuthError> {
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

/// Why a request was not authenticated, or its caller not allowed to make it. A token
/// that cannot be trusted answers UNAUTHENTICATED; a revoked company access, a missing
/// permission or a user token on an internal call answer PERMISSION_DENIED (the person is
/// still who they say); missing keys answer UNAVAILABLE; a company the token is not
/// scoped to answers NOT_FOUND, so a foreign id reveals nothing.
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
    /// The token is scoped to another company, or to none.
    #[error("company {0} not found")]
    CompanyNotFound(Uuid),
    /// The token is scoped to the company but lacks the permission the call needs.
    #[error("this call needs the `{0}` permission")]
    PermissionDenied(Permission),
    /// The token is scoped to the company but holds none of the permissions that allow
    /// the call.
    #[error(
        "this call needs one of the permissions {}",
        permissions::names(.0).join(", ")
    )]
    NoneOfPermissions(Vec<Permission>),
    /// The call acts on the active company and the token has none.
    #[error("no active company: call SwitchCompany first")]
    NoActiveCompany,
    /// An internal call made with a user's token.
    #[error("this internal call accepts service tokens only")]
    ServiceTokenRequired,
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
            AuthError::CompanyNotFound(_) => (Code::NotFound, "COMPANY_NOT_FOUND"),
            AuthError::PermissionDenied(_) | AuthError::NoneOfPermissions(_) => {
                (Code::PermissionDenied, "PERMISSION_DENIED")
            }
            AuthError::NoActiveCompany => (Code::FailedPrecondition, "NO_ACTIVE_COMPANY"),
            AuthError::ServiceTokenRequired => (Code::PermissionDenied, "SERVICE_TOKEN_REQUIRED"),
        };
        error::status(code, reason, "auth", err.to_string())
    }
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
