//! Tenancy's errors and their one mapping to gRPC statuses.

use comptoir_runtime::error::{self, FieldViolations};
use comptoir_runtime::idempotency::IdempotencyError;
use tonic::{Code, Status};

const DOMAIN: &str = "tenancy";

/// Everything a tenancy call can fail with.
#[derive(Debug, thiserror::Error)]
pub(crate) enum Error {
    /// The request has bad fields.
    #[error("invalid request")]
    InvalidArgument(FieldViolations),
    /// Another company already has this SIREN.
    #[error("a company with SIREN {0} already exists")]
    SirenTaken(String),
    /// No such company, or the caller is not a member.
    #[error("company {0} not found")]
    CompanyNotFound(String),
    /// The call acts for a person and got a service token.
    #[error("this call needs a user's token")]
    UserRequired,
    /// An idempotency key reused for another request, or too long.
    #[error(transparent)]
    Idempotency(#[from] IdempotencyError),
    /// Database fault.
    #[error("database: {0}")]
    Db(#[from] sqlx::Error),
}

impl From<Error> for Status {
    fn from(err: Error) -> Self {
        match err {
            Error::InvalidArgument(violations) => violations.into_status(),
            Error::SirenTaken(_) => {
                error::status(Code::AlreadyExists, "SIREN_TAKEN", DOMAIN, err.to_string())
            }
            Error::CompanyNotFound(_) => {
                error::status(Code::NotFound, "COMPANY_NOT_FOUND", DOMAIN, err.to_string())
            }
            Error::UserRequired => error::status(
                Code::PermissionDenied,
                "USER_TOKEN_REQUIRED",
                DOMAIN,
                err.to_string(),
            ),
            Error::Idempotency(IdempotencyError::Db(db)) => Error::Db(db).into(),
            Error::Idempotency(
                inner @ (IdempotencyError::Mismatch | IdempotencyError::TooLong),
            ) => {
                let mut violations = FieldViolations::new();
                violations.add("idempotency_key", inner.to_string());
                violations.into_status()
            }
            Error::Db(db) => error::database(DOMAIN, &db),
        }
    }
}

impl From<FieldViolations> for Error {
    fn from(violations: FieldViolations) -> Self {
        Error::InvalidArgument(violations)
    }
}
