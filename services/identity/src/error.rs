//! Identity's errors and their one mapping to gRPC statuses.

use comptoir_runtime::error::{self, FieldViolations};
use tonic::{Code, Status};

const DOMAIN: &str = "identity";

/// Everything an identity call can fail with.
#[derive(Debug, thiserror::Error)]
pub(crate) enum Error {
    /// The request has bad fields.
    #[error("invalid request")]
    InvalidArgument(FieldViolations),
    /// An account already uses this e-mail.
    #[error("an account with this e-mail already exists")]
    EmailTaken,
    /// Unknown e-mail or wrong password: one answer for both, so logins reveal nothing.
    #[error("e-mail or password is incorrect")]
    BadCredentials,
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
            Error::EmailTaken => {
                error::status(Code::AlreadyExists, "EMAIL_TAKEN", DOMAIN, err.to_string())
            }
            Error::BadCredentials => error::status(
                Code::Unauthenticated,
                "BAD_CREDENTIALS",
                DOMAIN,
                err.to_string(),
            ),
            Error::Crypto(_) => error::internal(DOMAIN, &err),
            Error::Db(db) => error::database(DOMAIN, &db),
        }
    }
}

impl From<FieldViolations> for Error {
    fn from(violations: FieldViolations) -> Self {
        Error::InvalidArgument(violations)
    }
}
