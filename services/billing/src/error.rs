//! Billing's errors and their one mapping to gRPC statuses.

use comptoir_runtime::error::{self, FieldViolations};
use tonic::{Code, Status};

const DOMAIN: &str = "billing";

/// Everything a billing call can fail with.
#[derive(Debug, thiserror::Error)]
pub(crate) enum Error {
    /// The request has bad fields.
    #[error("invalid request")]
    InvalidArgument(FieldViolations),
    /// The company's books are not open (unknown company, or its event not yet applied).
    #[error("no books for company {0}")]
    BooksNotFound(String),
    /// Database fault.
    #[error("database: {0}")]
    Db(#[from] sqlx::Error),
}

impl From<Error> for Status {
    fn from(err: Error) -> Self {
        match err {
            Error::InvalidArgument(violations) => violations.into_status(),
            Error::BooksNotFound(_) => {
                error::status(Code::NotFound, "BOOKS_NOT_FOUND", DOMAIN, err.to_string())
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
