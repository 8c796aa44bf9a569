//! Billing's errors and their one mapping to gRPC statuses. Database refusals raised by
//! billing's own triggers (a locked period, a frozen document) become client errors here,
//! so the database's guarantee and the service's answer are the same thing.

use chrono::NaiveDate;
use comptoir_domain_types::amount;
use comptoir_domain_types::permissions::{self, Permission};
use comptoir_runtime::caller::AuthError;
use comptoir_runtime::error::{self, FieldViolations};
use comptoir_runtime::idempotency::IdempotencyError;
use rust_decimal::Decimal;
use tonic::{Code, Status};

use crate::domain::PartyRole;
use uuid::Uuid;

use crate::domain::DocumentType;
use crate::domain::document::NotChronological;
use crate::domain::einvoice::Refusal;
use crate::domain::issuing::Unissuable;

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
    /// The caller's token was refused, or does not allow the call.
    #[error(transparent)]
    Auth(#[from] AuthError),
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
    // Documents
    /// A number taken with a date before the last one its series numbered.
    #[error(
        "the date {date} is earlier than the last numbered {} ({last}): numbering must stay \
         chronological",
        document_type.as_str().replace('_', " ")
    )]
    NotChronological {
        /// The series.
        document_type: DocumentType,
        /// The date asked for.
        date: NaiveDate,
        /// The series' last date.
        last: NaiveDate,
    },
    /// An invoice issued with a due date before the date it is issued with.
    #[error("the due date is before the issue date {issue_date}; update the draft")]
    DueDateBeforeIssueDate {
        /// The date the invoice would be issued with.
        issue_date: NaiveDate,
    },
    /// A credit note for an invoice that is not issued.
    #[error("only an issued invoice can be credited; delete or edit the draft instead")]
    InvoiceNotIssued,
    /// A credit note totalling more than what is left to credit on its invoice.
    #[error(
        "the credit note totals {credit_total} but only {room} of invoice {invoice_number} \
         remains to be credited"
    )]
    CreditExceedsInvoice {
        /// The credit note's gross total.
        credit_total: Decimal,
        /// What earlier credit notes left of the invoice's gross total.
        room: Decimal,
        /// The invoice's number.
        invoice_number: String,
    },
    /// A change to a quote that is no longer a draft.
    #[error("quote {number} is {status}; only a draft quote changes")]
    QuoteNotDraft {
        /// The quote's number (its id while a draft).
        number: String,
        /// Its stored status.
        status: String,
    },
    /// An answer to (or a conversion of) a quote that is not sent.
    #[error("quote {number} is {status}; only a sent quote can be {action}")]
    QuoteNotSent {
        /// The quote's number.
        number: String,
        /// Its stored status.
        status: String,
        /// What was asked: "accepted", "refused", "converted to an invoice".
        action: &'static str,
    },
    /// A quote that stopped being sent while it was being accepted.
    #[error("quote {number} is no longer sent")]
    QuoteNoLongerSent {
        /// The quote's number.
        number: String,
    },
    /// A sent quote past its validity.
    #[error("quote {number} expired on {expired_on}; it cannot be {action}")]
    QuoteExpired {
        /// The quote's number.
        number: String,
        /// The end of its validity.
        expired_on: NaiveDate,
        /// What was asked: "accepted", "converted to an invoice".
        action: &'static str,
    },
    /// A quote converted again while its invoice is issued.
    #[error("quote {number} is already invoiced by invoice {invoice_number}")]
    QuoteAlreadyInvoiced {
        /// The quote's number.
        number: String,
        /// The invoice's number.
        invoice_number: String,
    },
    /// A quote converted again while its draft invoice exists.
    #[error(
        "quote {number} already has draft invoice {invoice_id}; delete that draft to convert \
         again"
    )]
    QuoteHasDraftInvoice {
        /// The quote's number.
        number: String,
        /// The draft invoice.
        invoice_id: Uuid,
    },
    /// A quote converted for a customer archived since.
    #[error("customer {name} is archived; restore it or create the invoice by hand")]
    QuoteCustomerArchived {
        /// The customer's name.
        name: String,
    },
    /// A quote converted at a rate its customer's sale no longer allows.
    #[error("the quote's {line} no longer fits the customer: {reason}")]
    QuoteRatesOutdated {
        /// The line, e.g. "lines[0].vat_rate".
        line: String,
        /// Why the rate does not fit.
        reason: String,
    },
    // Books, parties, items, payments
    /// A call on a party of a role the caller may not act on.
    #[error(
        "this call on a {} needs one of the permissions {}",
        role.as_str(),
        permissions::names(needed).join(", ")
    )]
    PartyPermissionDenied {
        /// The party's role.
        role: PartyRole,
        /// The permissions, one of which the call needs.
        needed: &'static [Permission],
    },
    /// Money received for an invoice that is still a draft.
    #[error("invoice {invoice_id} is a draft; issue it before recording a payment")]
    PaymentOnDraftInvoice {
        /// The draft.
        invoice_id: Uuid,
    },
    /// A payment's share larger than what is left to pay on its document.
    #[error(
        "{} on {} {number} exceeds its balance due of {}",
        amount::format(*.share, 2),
        .document_type.as_str().replace('_', " "),
        amount::format(*.balance, 2)
    )]
    Overpayment {
        /// The share asked for.
        share: Decimal,
        /// What the document is.
        document_type: DocumentType,
        /// Its number.
        number: String,
        /// What is left to pay on it.
        balance: Decimal,
    },
    /// A purchase invoice whose supplier number its supplier already has.
    #[error("invoice {supplier_number} of this supplier is already recorded")]
    SupplierNumberTaken {
        /// The supplier's number.
        supplier_number: String,
    },
    /// A supplier's e-invoice refused: not one of the three formats, too large, not
    /// adding up, or not addressed to the company.
    #[error("the file {0}")]
    EInvoiceRefused(Refusal),
    /// An idempotency key reused with another request, or too long.
    #[error(transparent)]
    Idempotency(IdempotencyError),
    /// Database fault.
    #[error("database: {0}")]
    Db(sqlx::Error),
}

impl Error {
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

/// Answers NOT_FOUND (books not open) when `err` says the company's books are missing:
/// a read of them found no row, or a write's foreign key to `book` (parties, items) broke.
pub(crate) fn books_or(err: sqlx::Error, company_id: uuid::Uuid) -> Error {
    match &err {
        sqlx::Error::RowNotFound => Error::BooksNotFound(company_id.to_string()),
        sqlx::Error::Database(db) if db.is_foreign_key_violation() => {
            Error::BooksNotFound(company_id.to_string())
        }
        _ => Error::from(err),
    }
}

impl From<NotChronological> for Error {
    fn from(refusal: NotChronological) -> Self {
        let NotChronological {
            document_type,
            date,
            last,
        } = refusal;
        Error::NotChronological {
            document_type,
            date,
            last,
        }
    }
}

impl From<Unissuable> for Error {
    fn from(refusal: Unissuable) -> Self {
        match refusal {
            Unissuable::MissingMentions(missing) => {
                let mut violations = FieldViolations::new();
                for (field, reason) in missing {
                    violations.add(field, reason);
                }
                Error::MissingMentions(violations)
            }
            Unissuable::DueDateBeforeIssueDate { issue_date } => {
                Error::DueDateBeforeIssueDate { issue_date }
            }
        }
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
            Error::Auth(refusal) => refusal.into(),
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
            Error::NotChronological { .. } => failed_precondition("NOT_CHRONOLOGICAL", &err),
            Error::DueDateBeforeIssueDate { .. } => {
                failed_precondition("DUE_DATE_BEFORE_ISSUE_DATE", &err)
            }
            Error::InvoiceNotIssued => failed_precondition("INVOICE_NOT_ISSUED", &err),
            Error::CreditExceedsInvoice { .. } => {
                failed_precondition("CREDIT_EXCEEDS_INVOICE", &err)
            }
            Error::QuoteNotDraft { .. } => failed_precondition("QUOTE_NOT_DRAFT", &err),
            Error::QuoteNotSent { .. } | Error::QuoteNoLongerSent { .. } => {
                failed_precondition("QUOTE_NOT_SENT", &err)
            }
            Error::QuoteExpired { .. } => failed_precondition("QUOTE_EXPIRED", &err),
            Error::QuoteAlreadyInvoiced { .. } | Error::QuoteHasDraftInvoice { .. } => {
                failed_precondition("QUOTE_ALREADY_CONVERTED", &err)
            }
            Error::QuoteCustomerArchived { .. } => failed_precondition("PARTY_ARCHIVED", &err),
            Error::QuoteRatesOutdated { .. } => failed_precondition("QUOTE_RATES_OUTDATED", &err),
            Error::PartyPermissionDenied { .. } => error::status(
                Code::PermissionDenied,
                "PERMISSION_DENIED",
                "auth",
                err.to_string(),
            ),
            Error::PaymentOnDraftInvoice { .. } => failed_precondition("INVOICE_NOT_ISSUED", &err),
            Error::Overpayment { .. } => failed_precondition("OVERPAYMENT", &err),
            Error::SupplierNumberTaken { .. } => error::status(
                Code::AlreadyExists,
                "SUPPLIER_NUMBER_TAKEN",
                DOMAIN,
                err.to_string(),
            ),
            Error::EInvoiceRefused(_) => {
                let mut violations = FieldViolations::new();
                violations.add("content", err.to_string());
                violations.into_status()
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

/// FAILED_PRECONDITION with `reason`, saying what `err` says.
fn failed_precondition(reason: &str, err: &Error) -> Status {
    error::status(Code::FailedPrecondition, reason, DOMAIN, err.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answer(err: Error) -> (Code, String) {
        let status = Status::from(err);
        (status.code(), status.message().to_owned())
    }

    #[test]
    fn document_refusals_read_as_one_sentence_each() {
        let day = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
        assert_eq!(
            answer(Error::NotChronological {
                document_type: DocumentType::CreditNote,
                date: day("2026-03-01"),
                last: day("2026-03-02"),
            }),
            (
                Code::FailedPrecondition,
                "the date 2026-03-01 is earlier than the last numbered credit note (2026-03-02): \
                 numbering must stay chronological"
                    .to_owned()
            )
        );
        assert_eq!(
            answer(Error::CreditExceedsInvoice {
                credit_total: Decimal::new(12000, 2),
                room: Decimal::new(10000, 2),
                invoice_number: "F-2026-000001".into(),
            })
            .1,
            "the credit note totals 120.00 but only 100.00 of invoice F-2026-000001 remains to \
             be credited"
        );
        assert_eq!(
            answer(Error::QuoteHasDraftInvoice {
                number: "D-2026-000001".into(),
                invoice_id: Uuid::nil(),
            })
            .1,
            "quote D-2026-000001 already has draft invoice 00000000-0000-0000-0000-000000000000; \
             delete that draft to convert again"
        );
    }

    #[test]
    fn payment_refusals_keep_their_reason_and_sentence() {
        let status = Status::from(Error::PaymentOnDraftInvoice {
            invoice_id: Uuid::nil(),
        });
        assert_eq!(status.code(), Code::FailedPrecondition);
        assert_eq!(
            status.message(),
            "invoice 00000000-0000-0000-0000-000000000000 is a draft; issue it before recording \
             a payment"
        );
        assert_eq!(
            answer(Error::Overpayment {
                share: Decimal::new(1000001, 4),
                document_type: DocumentType::PurchaseInvoice,
                number: "FA-17".into(),
                balance: Decimal::new(100, 0),
            }),
            (
                Code::FailedPrecondition,
                "100.00 on purchase invoice FA-17 exceeds its balance due of 100.00".to_owned()
            )
        );
        assert_eq!(
            answer(Error::SupplierNumberTaken {
                supplier_number: "FA-17".into(),
            }),
            (
                Code::AlreadyExists,
                "invoice FA-17 of this supplier is already recorded".to_owned()
            )
        );
    }
}
