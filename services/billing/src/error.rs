//! Billing's errors and their one mapping to gRPC statuses. Database refusals raised by
//! billing's own triggers (a locked period, a frozen document) become client errors here,
//! so the database's guarantee and the service's answer are the same thing.

use comptoir_runtime::error::{self, FieldViolations};
use comptoir_runtime::idempotency::IdempotencyError;
use tonic::{Code, Status};

const DOMAIN: &str = "billing";

/// SQLSTATE of the lock-date trigger.
const PERIOD_LOCKED_SQLSTATE: &str = "CB001";
/// SQLSTATE of the frozen-document and append-only triggers.
const FROZEN_SQLSTATE: &str = "CB002";

/// Everything a billing call can fail with.
#[derive(Debug, thiserror::Error)]
pub(crate) enum Error {
    /// The request has bad fields.
    #[error("invalid request")]
    InvalidArgument(FieldViolations),
    /// The company's books are not open (unknown company, or its event not yet applied).
    #[error("no books for company {0}")]
    BooksNotFound(String),
    /// An object that does not exist in the caller's company.
    #[error("{what} {id} not found")]
    NotFound {
        /// What was looked for: "invoice", "party"…
        what: &'static str,
        /// The id asked for.
        id: String,
    },
    /// A date on or before the lock date.
    #[error("{0}")]
    PeriodLocked(String),
    /// A change to a document past its draft.
    #[error("{0}")]
    Frozen(String),
    /// A lock date moved backwards (or cleared) by someone other than an Administrator.
    #[error("only an Administrator of the company may move the lock date backwards or clear it")]
    LockDateLoweringDenied,
    /// A lock date moved backwards (or cleared) by a caller who reaches the company only
    /// through an accounting firm's grant: a firm locks its client's periods, and only the
    /// company itself unlocks them.
    #[error(
        "an accounting firm may move the lock date forwards but not backwards nor clear it; \
         an Administrator of the company itself may"
    )]
    FirmMayNotUnlock,
    /// A credit note taking back, at some VAT rate, more than its invoice charged there
    /// less earlier credit notes; each violation names the line and the rate.
    #[error("the credit note takes back more than the invoice charged at some VAT rate")]
    CreditExceedsRates(FieldViolations),
    /// An invoice that lacks mandatory mentions.
    #[error("the invoice lacks mandatory mentions")]
    MissingMentions(FieldViolations),
    /// The request conflicts with the state of the books.
    #[error("{message}")]
    Precondition {
        /// UPPER_SNAKE reason.
        reason: &'static str,
        /// What is wrong, for a person.
        message: String,
    },
    /// Something unique exists already.
    #[error("{message}")]
    AlreadyExists {
        /// UPPER_SNAKE reason.
        reason: &'static str,
        /// What is taken.
        message: String,
    },
    /// An idempotency key reused with another request, or too long.
    #[error(transparent)]
    Idempotency(IdempotencyError),
    /// Database fault.
    #[error("database: {0}")]
    Db(sqlx::Error),
}

impl Error {
    /// A conflict with the state of the books.
    pub(crate) fn precondition(reason: &'static str, message: impl Into<String>) -> Self {
        Error::Precondition {
            reason,
            message: message.into(),
        }
    }

    /// An object not found in the caller's company.
    pub(crate) fn not_found(what: &'static str, id: impl ToString) -> Self {
        Error::NotFound {
            what,
            id: id.to_string(),
        }
    }

    /// One bad field.
    pub(crate) fn invalid(field: &str, reason: impl Into<String>) -> Self {
        let mut violations = FieldViolations::new();
        violations.add(field, reason);
        Error::InvalidArgument(violations)
    }
}

impl From<sqlx::Error> for Error {
    fn from(err: sqlx::Error) -> Self {
        let code = match &err {
            sqlx::Error::Database(db) => db.code().map(|c| c.into_owned()),
            _ => None,
        };
        match code.as_deref() {
            Some(PERIOD_LOCKED_SQLSTATE) => Error::PeriodLocked(database_message(&err)),
            Some(FROZEN_SQLSTATE) => Error::Frozen(database_message(&err)),
            _ => Error::Db(err),
        }
    }
}

fn database_message(err: &sqlx::Error) -> String {
    match err {
        sqlx::Error::Database(db) => db.message().to_owned(),
        other => other.to_string(),
    }
}

impl From<IdempotencyError> for Error {
    fn from(err: IdempotencyError) -> Self {
        match err {
            IdempotencyError::Db(db) => Error::from(db),
            other => Error::Idempotency(other),
        }
    }
}

impl From<FieldViolations> for Error {
    fn from(violations: FieldViolations) -> Self {
        Error::InvalidArgument(violations)
    }
}

impl From<Error> for Status {
    fn from(err: Error) -> Self {
        match err {
            Error::InvalidArgument(violations) => violations.into_status(),
            Error::BooksNotFound(_) => {
                error::status(Code::NotFound, "BOOKS_NOT_FOUND", DOMAIN, err.to_string())
            }
            Error::NotFound { what, .. } => error::status(
                Code::NotFound,
                &format!("{}_NOT_FOUND", what.to_ascii_uppercase().replace(' ', "_")),
                DOMAIN,
                err.to_string(),
            ),
            Error::PeriodLocked(message) => {
                error::status(Code::FailedPrecondition, "PERIOD_LOCKED", DOMAIN, message)
            }
            Error::Frozen(message) => {
                error::status(Code::FailedPrecondition, "DOCUMENT_FROZEN", DOMAIN, message)
            }
            Error::MissingMentions(violations) => violations.into_precondition(
                "MANDATORY_MENTIONS_MISSING",
                DOMAIN,
                "the invoice cannot be issued; it lacks mandatory mentions",
            ),
            Error::LockDateLoweringDenied => error::status(
                Code::PermissionDenied,
                "LOCK_DATE_LOWERING_DENIED",
                DOMAIN,
                err.to_string(),
            ),
            Error::FirmMayNotUnlock => error::status(
                Code::PermissionDenied,
                "FIRM_MAY_NOT_UNLOCK",
                DOMAIN,
                err.to_string(),
            ),
            Error::CreditExceedsRates(violations) => violations.into_precondition(
                "CREDIT_EXCEEDS_INVOICED_RATE",
                DOMAIN,
                "the credit note takes back more than the invoice charged at some VAT rate",
            ),
            Error::Precondition { reason, message } => {
                error::status(Code::FailedPrecondition, reason, DOMAIN, message)
            }
            Error::AlreadyExists { reason, message } => {
                error::status(Code::AlreadyExists, reason, DOMAIN, message)
            }
            Error::Idempotency(inner) => {
                let mut violations = FieldViolations::new();
                violations.add("idempotency_key", inner.to_string());
                violations.into_status()
            }
            Error::Db(db) => error::database(DOMAIN, &db),
        }
    }
}
