//! Payments: money received against issued invoices and paid against purchase invoices.
//! What a payment is once recorded, and the rules a recording follows: which documents a
//! direction settles, that they are one party's, and that no share exceeds what is left
//! to pay on its document.

use chrono::{DateTime, NaiveDate, Utc};
use rust_decimal::Decimal;
use uuid::Uuid;

use super::{Direction, DocumentType, Method, Status};

/// A payment as recorded (payments never change).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Payment {
    pub(crate) payment_id: Uuid,
    pub(crate) company_id: Uuid,
    pub(crate) direction: Direction,
    pub(crate) payment_date: NaiveDate,
    pub(crate) method: Method,
    pub(crate) amount: Decimal,
    pub(crate) currency_code: String,
    pub(crate) reference: String,
    pub(crate) created_by: String,
    pub(crate) created_at: DateTime<Utc>,
    /// The documents it settles, and how much of each.
    pub(crate) allocations: Vec<Allocation>,
}

/// The share of a payment that settles one document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Allocation {
    pub(crate) document_id: Uuid,
    /// The document's number (empty while it has none).
    pub(crate) document_number: String,
    pub(crate) amount: Decimal,
}

/// A payment to record, read from a request and checked field by field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Recording {
    pub(crate) direction: Direction,
    pub(crate) payment_date: NaiveDate,
    pub(crate) method: Method,
    pub(crate) amount: Decimal,
    pub(crate) reference: String,
    /// The documents settled and the share of each, in the order asked.
    pub(crate) allocations: Vec<(Uuid, Decimal)>,
}

/// Why a document may not be settled in a direction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Unsettleable {
    /// Money received for an invoice still a draft.
    Draft,
    /// Money received for something other than an invoice.
    ReceivedForOther,
    /// Money paid for something other than a purchase invoice.
    PaidForOther,
}

/// Whether a document of `document_type` in `status` may be settled in `direction`:
/// money received settles issued invoices, money paid settles purchase invoices.
pub(crate) fn check_settleable(
    direction: Direction,
    document_type: DocumentType,
    status: Status,
) -> Result<(), Unsettleable> {
    match (direction, document_type) {
        (Direction::Received, DocumentType::Invoice) if status == Status::Issued => Ok(()),
        (Direction::Received, DocumentType::Invoice) => Err(Unsettleable::Draft),
        (Direction::Received, _) => Err(Unsettleable::ReceivedForOther),
        (Direction::Paid, DocumentType::PurchaseInvoice) => Ok(()),
        (Direction::Paid, _) => Err(Unsettleable::PaidForOther),
    }
}

/// What is left to pay on a document with `balance_due` (a balance overpaid by credit
/// notes is nothing left, not a negative amount).
pub(crate) fn payable(balance_due: Decimal) -> Decimal {
    balance_due.max(Decimal::ZERO)
}

/// Whether `share` fits in what is left to pay on a document with `balance_due`.
pub(crate) fn fits_balance(share: Decimal, balance_due: Decimal) -> bool {
    share <= payable(balance_due)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn money_received_settles_issued_invoices_and_money_paid_purchase_invoices() {
        use DocumentType::*;
        let received = Direction::Received;
        assert_eq!(check_settleable(received, Invoice, Status::Issued), Ok(()));
        assert_eq!(
            check_settleable(received, Invoice, Status::Draft),
            Err(Unsettleable::Draft)
        );
        assert_eq!(
            check_settleable(received, CreditNote, Status::Issued),
            Err(Unsettleable::ReceivedForOther)
        );
        assert_eq!(
            check_settleable(received, PurchaseInvoice, Status::Issued),
            Err(Unsettleable::ReceivedForOther)
        );
        let paid = Direction::Paid;
        assert_eq!(
            check_settleable(paid, PurchaseInvoice, Status::Issued),
            Ok(())
        );
        assert_eq!(
            check_settleable(paid, Invoice, Status::Issued),
            Err(Unsettleable::PaidForOther)
        );
    }

    #[test]
    fn a_share_fits_what_is_left_to_pay_and_an_overpaid_balance_leaves_nothing() {
        let d = |units: i64| Decimal::new(units, 2);
        assert!(fits_balance(d(10_000), d(10_000)));
        assert!(!fits_balance(d(10_001), d(10_000)));
        assert_eq!(payable(d(-500)), Decimal::ZERO);
        assert!(!fits_balance(d(1), d(-500)));
    }
}
