//! The portal's one `Error` enum and its one mapping to gRPC statuses: every variant is
//! matched with no catch-all arm, so a new refusal forces a choice of code.

use comptoir_runtime::caller::AuthError;
use comptoir_runtime::error::{self, FieldViolations};
use comptoir_runtime::idempotency::IdempotencyError;
use tonic::{Code, Status};
use uuid::Uuid;

use crate::domain::settings::StaleVersion;

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
    /// The active company is not an accounting firm.
    #[error("company {0} is not an accounting firm")]
    NotAFirm(Uuid),
    /// Tenancy's announcement of the active company has not reached the portal yet.
    #[error("company {0} is not known to the portal yet; retry in a moment")]
    CompanyNotYetKnown(Uuid),
    /// The firm has not enabled its accounting module.
    #[error("the firm's accounting module is not enabled: call EnableAccountingModule first")]
    AccountingModuleDisabled,
    /// No such client in the firm's portfolio, or not one the caller may see.
    #[error("client {0} not found")]
    ClientNotFound(Uuid),
    /// The settings changed since the caller read them.
    #[error(
        "the settings are at version {}, not {}: read them again",
        .0.current,
        .0.expected
    )]
    StaleSettings(StaleVersion),
    /// The firm already has a client with this code dossier.
    #[error("the code dossier {0} is already used by another client of the firm")]
    FileCodeTaken(String),
    /// An idempotency key reused for another request, or too long.
    #[error(transparent)]
    Idempotency(#[from] IdempotencyError),
    /// Tenancy refused the call: its status goes back to the caller unchanged.
    #[error("tenancy: {}", .0.message())]
    Tenancy(Status),
    /// No tenancy address is configured (COMPTOIR_TENANCY_URL).
    #[error("no tenancy address is configured (COMPTOIR_TENANCY_URL)")]
    TenancyNotConfigured,
    /// Tenancy answered something its contract rules out.
    #[error("tenancy answered a malformed {0}")]
    TenancyAnswer(String),
    /// Identity refused a company token: its status goes back to the caller unchanged.
    #[error("identity: {}", .0.message())]
    Identity(Status),
    /// Identity answered something its contract rules out.
    #[error("identity answered a malformed {0}")]
    IdentityAnswer(String),
    /// Billing refused the call: its status goes back to the caller unchanged.
    #[error("billing: {}", .0.message())]
    Billing(Status),
    /// No billing address is configured (COMPTOIR_BILLING_URL).
    #[error("no billing address is configured (COMPTOIR_BILLING_URL)")]
    BillingNotConfigured,
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
            Error::NotAFirm(_) => error::status(
                Code::FailedPrecondition,
                "NOT_A_FIRM",
                DOMAIN,
                err.to_string(),
            ),
            Error::CompanyNotYetKnown(_) => error::status(
                Code::Unavailable,
                "COMPANY_NOT_YET_KNOWN",
                DOMAIN,
                err.to_string(),
            ),
            Error::AccountingModuleDisabled => error::status(
                Code::FailedPrecondition,
                "ACCOUNTING_MODULE_DISABLED",
                DOMAIN,
                err.to_string(),
            ),
            Error::ClientNotFound(_) => {
                error::status(Code::NotFound, "CLIENT_NOT_FOUND", DOMAIN, err.to_string())
            }
            Error::StaleSettings(_) => error::status(
                Code::Aborted,
                "SETTINGS_VERSION_MISMATCH",
                DOMAIN,
                err.to_string(),
            ),
            Error::FileCodeTaken(_) => error::status(
                Code::AlreadyExists,
                "FILE_CODE_TAKEN",
                DOMAIN,
                err.to_string(),
            ),
            Error::Idempotency(IdempotencyError::Db(db)) => error::database(DOMAIN, &db),
            Error::Idempotency(
                refusal @ (IdempotencyError::Mismatch | IdempotencyError::TooLong),
            ) => {
                let mut violations = FieldViolations::new();
                violations.add("idempotency_key", refusal.to_string());
                violations.into_status()
            }
            Error::Tenancy(status) => status,
            Error::Identity(status) | Error::Billing(status) => status,
            Error::TenancyNotConfigured | Error::BillingNotConfigured => {
                tracing::warn!("{err}");
                error::status(
                    Code::Unavailable,
                    "DEPENDENCY_UNAVAILABLE",
                    DOMAIN,
                    "a dependency is unavailable; retry later",
                )
            }
            Error::TenancyAnswer(_) | Error::IdentityAnswer(_) => error::internal(DOMAIN, &err),
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
