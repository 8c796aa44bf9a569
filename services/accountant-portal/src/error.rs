//! The portal's one `Error` enum and its one mapping to gRPC statuses: every variant is
//! matched with no catch-all arm, so a new refusal forces a choice of code.

use comptoir_runtime::caller::AuthError;
use comptoir_runtime::error::{self, FieldViolations};
use tonic::Status;

const DOMAIN: &str = "accountant_portal";

/// Everything a portal call can fail with.
#[derive(Debug, thiserror::Error)]
pub(crate) enum Error {
    /// The request has bad fields.
    #[error("invalid request")]
    InvalidArgument(FieldViolations),
    /// The caller's token was refused, or does not allow the call.
    #[error(transparent)]
    Auth(#[from] AuthError),
    /// Database fault.
    #[error("database: {0}")]
    Db(#[from] sqlx::Error),
    /// Writing an exported CSV file failed.
    #[error("writing the CSV export: {0}")]
    Csv(#[from] csv::Error),
    /// Writing an exported XLSX file failed.
    #[error("writing the XLSX export: {0}")]
    Xlsx(#[from] rust_xlsxwriter::XlsxError),
}

impl From<Error> for Status {
    fn from(err: Error) -> Self {
        match err {
            Error::InvalidArgument(violations) => violations.into_status(),
            Error::Auth(refusal) => refusal.into(),
            Error::Db(db) => error::database(DOMAIN, &db),
            Error::Csv(err) => error::internal(DOMAIN, &err),
            Error::Xlsx(err) => error::internal(DOMAIN, &err),
        }
    }
}

impl From<FieldViolations> for Error {
    fn from(violations: FieldViolations) -> Self {
        Error::InvalidArgument(violations)
    }
}
