//! Identity's errors and their one mapping to gRPC statuses.

use std::collections::HashMap;
use std::time::Duration;

use comptoir_runtime::caller::AuthError;
use comptoir_runtime::error::{self, FieldViolations};
use tonic::{Code, Status};
use tonic_types::{ErrorDetails, StatusExt};

use crate::domain::{self, ResetTokenProblem};
use crate::keys::KeyError;

const DOMAIN: &str = "identity";

/// Everything an identity call can fail with.
#[derive(Debug, thiserror::Error)]
pub(crate) enum Error {
    /// The request has bad fields.
    #[error("invalid request")]
    InvalidArgument(FieldViolations),
    /// The caller's token was refused, or does not allow the call.
    #[error(transparent)]
    Auth(#[from] AuthError),
    /// Unknown e-mail or wrong password: one answer for both, so logins reveal nothing.
    #[error("e-mail or password is incorrect")]
    BadCredentials,
    /// Too many failed logins for the e-mail or from the address.
    #[error("too many failed logins")]
    Throttled {
        /// How long until an attempt may succeed again.
        retry_after: Duration,
    },
    /// The refresh token is unknown, expired, or its session has ended.
    #[error("the refresh token is invalid or its session has ended")]
    RefreshTokenInvalid,
    /// An already rotated refresh token was presented; its session is now revoked.
    #[error("this refresh token was already used; the session has been ended")]
    RefreshTokenReused,
    /// The access token's session has ended (or it names none).
    #[error("the session of this access token has ended")]
    SessionEnded,
    /// The caller may not act on the company (or it does not exist: the same answer).
    #[error("you may not act on this company")]
    NoAccessToCompany,
    /// Tenancy could not be asked.
    #[error("company access cannot be checked now: {0}")]
    SwitchUnavailable(String),
    /// The call needs a person's access token, not a service token.
    #[error("this call needs a user's access token")]
    UserRequired,
    /// `ChangePassword` with a wrong current password.
    #[error("the current password is incorrect")]
    WrongCurrentPassword,
    /// A password reset token that cannot be used, and why.
    #[error("{}", .0.message())]
    ResetToken(ResetTokenProblem),
    /// Hashing or signing failed.
    #[error("crypto: {0}")]
    Crypto(String),
    /// Database fault.
    #[error("database: {0}")]
    Db(#[from] sqlx::Error),
}

impl From<Error> for Status {
    fn from(err: Error) -> Self {
        match err {
            Error::InvalidArgument(violations) => violations.into_status(),
            Error::Auth(refusal) => refusal.into(),
            Error::BadCredentials => error::status(
                Code::Unauthenticated,
                "BAD_CREDENTIALS",
                DOMAIN,
                err.to_string(),
            ),
            Error::Throttled { retry_after } => {
                let mut details = ErrorDetails::with_error_info(
                    "LOGIN_THROTTLED",
                    format!("{DOMAIN}.comptoir"),
                    HashMap::<String, String>::new(),
                );
                details.set_retry_info(Some(retry_after));
                Status::with_error_details(
                    Code::ResourceExhausted,
                    domain::retry_message(retry_after),
                    details,
                )
            }
            Error::RefreshTokenInvalid => error::status(
                Code::Unauthenticated,
                "REFRESH_TOKEN_INVALID",
                DOMAIN,
                err.to_string(),
            ),
            Error::RefreshTokenReused => error::status(
                Code::Unauthenticated,
                "REFRESH_TOKEN_REUSED",
                DOMAIN,
                err.to_string(),
            ),
            Error::NoAccessToCompany => error::status(
                Code::PermissionDenied,
                "NO_ACCESS_TO_COMPANY",
                DOMAIN,
                err.to_string(),
            ),
            Error::SwitchUnavailable(_) => {
                tracing::warn!(error = %err, "switch company: tenancy unavailable");
                error::status(
                    Code::Unavailable,
                    "TENANCY_UNAVAILABLE",
                    DOMAIN,
                    "company access cannot be checked now; retry later",
                )
            }
            Error::SessionEnded => error::status(
                Code::Unauthenticated,
                "SESSION_ENDED",
                DOMAIN,
                err.to_string(),
            ),
            Error::UserRequired => error::status(
                Code::PermissionDenied,
                "USER_TOKEN_REQUIRED",
                DOMAIN,
                err.to_string(),
            ),
            Error::WrongCurrentPassword => error::status(
                Code::PermissionDenied,
                "CURRENT_PASSWORD_INCORRECT",
                DOMAIN,
                err.to_string(),
            ),
            Error::ResetToken(problem) => error::status(
                Code::FailedPrecondition,
                problem.reason(),
                DOMAIN,
                problem.message(),
            ),
            Error::Crypto(_) => error::internal(DOMAIN, &err),
            Error::Db(db) => error::database(DOMAIN, &db),
        }
    }
}

impl From<KeyError> for Error {
    fn from(err: KeyError) -> Self {
        match err {
            KeyError::Db(db) => Error::Db(db),
            other => Error::Crypto(other.to_string()),
        }
    }
}

impl From<FieldViolations> for Error {
    fn from(violations: FieldViolations) -> Self {
        Error::InvalidArgument(violations)
    }
}

impl From<domain::RefreshRefusal> for Error {
    fn from(refusal: domain::RefreshRefusal) -> Self {
        match refusal {
            domain::RefreshRefusal::Invalid => Error::RefreshTokenInvalid,
            domain::RefreshRefusal::Reused => Error::RefreshTokenReused,
        }
    }
}

impl From<ResetTokenProblem> for Error {
    fn from(problem: ResetTokenProblem) -> Self {
        Error::ResetToken(problem)
    }
}
