//! Export's errors and their one mapping to gRPC statuses.

use comptoir_runtime::caller::AuthError;
use comptoir_runtime::error::{self, FieldViolations};
use comptoir_runtime::idempotency::IdempotencyError;
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
    /// No export job of the caller's company has this id.
    #[error("no export job {0}")]
    ExportNotFound(uuid::Uuid),
    /// The export job has not succeeded (yet): it has no file to download.
    #[error("export job {0} has no file: it is running or failed")]
    ExportNotReady(uuid::Uuid),
    /// An export job's file grew beyond what a job keeps.
    #[error("the file exceeds {} MiB, the most an export job keeps", crate::domain::jobs::MAX_FILE_BYTES / (1024 * 1024))]
    ExportTooLarge,
    /// An export job's worker died every time it ran it.
    #[error("the export was abandoned after {0} attempts")]
    ExportAbandoned(i32),
    /// Export holds no issued invoice or credit note with this id.
    #[error("no issued invoice or credit note {0}")]
    DocumentNotFound(uuid::Uuid),
    /// A PDF could not be written.
    #[error(transparent)]
    Pdf(#[from] crate::domain::pdf::RenderError),
    /// The document breaks EN 16931 rules: it cannot be an e-invoice.
    #[error(transparent)]
    NotAnEInvoice(#[from] crate::domain::einvoice::NotAnEInvoice),
    /// An e-invoice's XML could not be written.
    #[error(transparent)]
    EInvoiceWrite(#[from] crate::domain::einvoice::WriteError),
    /// A zip could not be written.
    #[error("writing the zip file: {0}")]
    Zip(#[from] zip::result::ZipError),
    /// The idempotency key was used with another request, or is too long.
    #[error(transparent)]
    Idempotency(IdempotencyError),
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
            Error::ExportNotFound(_) => {
                error::status(Code::NotFound, "EXPORT_NOT_FOUND", DOMAIN, err.to_string())
            }
            Error::ExportNotReady(_) => error::status(
                Code::FailedPrecondition,
                "EXPORT_NOT_READY",
                DOMAIN,
                err.to_string(),
            ),
            Error::ExportTooLarge => error::status(
                Code::ResourceExhausted,
                "EXPORT_TOO_LARGE",
                DOMAIN,
                err.to_string(),
            ),
            Error::ExportAbandoned(_) => {
                error::status(Code::Aborted, "EXPORT_ABANDONED", DOMAIN, err.to_string())
            }
            Error::DocumentNotFound(_) => error::status(
                Code::NotFound,
                "DOCUMENT_NOT_FOUND",
                DOMAIN,
                err.to_string(),
            ),
            Error::Pdf(ref fault) => error::internal(DOMAIN, fault),
            Error::NotAnEInvoice(ref refusal) => {
                let mut violations = FieldViolations::new();
                for broken in &refusal.0 {
                    violations.add(&broken.field, broken.to_string());
                }
                violations.into_precondition(
                    "NOT_AN_EN16931_INVOICE",
                    DOMAIN,
                    "the document cannot be a valid EN 16931 e-invoice",
                )
            }
            Error::EInvoiceWrite(ref fault) => error::internal(DOMAIN, fault),
            Error::Zip(ref fault) => error::internal(DOMAIN, fault),
            Error::Idempotency(ref inner) => {
                let mut violations = FieldViolations::new();
                violations.add("idempotency_key", inner.to_string());
                violations.into_status()
            }
            Error::CallerGone => Status::cancelled(err.to_string()),
            Error::Csv(ref fault) => error::internal(DOMAIN, fault),
            Error::Xlsx(ref fault) => error::internal(DOMAIN, fault),
            Error::Db(db) => error::database(DOMAIN, &db),
        }
    }
}

impl From<crate::domain::einvoice::EInvoiceError> for Error {
    fn from(err: crate::domain::einvoice::EInvoiceError) -> Self {
        match err {
            crate::domain::einvoice::EInvoiceError::Invalid(refusal) => {
                Error::NotAnEInvoice(refusal)
            }
            crate::domain::einvoice::EInvoiceError::Write(fault) => Error::EInvoiceWrite(fault),
        }
    }
}

impl From<crate::domain::einvoice::facturx::FacturXError> for Error {
    fn from(err: crate::domain::einvoice::facturx::FacturXError) -> Self {
        match err {
            crate::domain::einvoice::facturx::FacturXError::EInvoice(err) => err.into(),
            crate::domain::einvoice::facturx::FacturXError::Pdf(fault) => Error::Pdf(fault),
        }
    }
}

impl From<IdempotencyError> for Error {
    fn from(err: IdempotencyError) -> Self {
        match err {
            IdempotencyError::Db(db) => Error::Db(db),
            other => Error::Idempotency(other),
        }
    }
}

impl From<FieldViolations> for Error {
    fn from(violations: FieldViolations) -> Self {
        Error::InvalidArgument(violations)
    }
}
