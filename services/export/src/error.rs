//! Export's errors and their one mapping to gRPC statuses.

use comptoir_runtime::caller::AuthError;
use comptoir_runtime::error::{self, FieldViolations};
use tonic::{Code, Status};

const DOMAIN: &str = "export";

/// Everything an export call can fail with.
#[derive(Debug, thiserror::Error)]
pub(crate) enum Error {
    /// The request has bad fields.
    #[error("invalid request")]
    InvalidArgument(FieldViolations),
    /// The caller's token was refused, or does not allow the call.
    #[error(transparent)]
    Auth(#[from] AuthError),
    /// The export service has not heard of this company.
    #[error("no seller profile for company {0}")]
    ProfileNotFound(uuid::Uuid),
    /// The caller stopped reading a streamed file.
    #[error("the caller went away")]
    CallerGone,
    /// A spreadsheet could not be written.
    #[error("writing the CSV file: {0}")]
    Csv(#[from] csv::Error),
    /// A workbook could not be written.
    #[error("writing the XLSX file: {0}")]
    Xlsx(#[from] rust_xlsxwriter::XlsxError),
    /// Database fault.
    #[error("database: {0}")]
    Db(#[from] sqlx::Error),
}

impl From<Error> for Status {
    fn from(err: Error) -> Self {
        match err {
            Error::InvalidArgument(violations) => violations.into_status(),
            Error::Auth(refusal) => refusal.into(),
            Error::ProfileNotFound(_) => error::status(
                Code::NotFound,
                "SELLER_PROFILE_NOT_FOUND",
                DOMAIN,
                err.to_string(),
            ),
            Error::CallerGone => Status::cancelled(err.to_string()),
            Error::Csv(ref fault) => error::internal(DOMAIN, fault),
            Error::Xlsx(ref fault) => error::internal(DOMAIN, fault),
            Error::Db(db) => error::database(DOMAIN, &db),
        }
    }
}

impl From<FieldViolations> for Error {
    fn from(violations: FieldViolations) -> Self {
        Error::InvalidArgument(violations)
    }
}
