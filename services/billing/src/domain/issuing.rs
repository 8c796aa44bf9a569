//! Issuing an invoice: the date it is issued with and what it must carry by then. In
//! France an invoice's date is its date of issue: issuing takes the date asked for (or
//! the draft's), which may be at most a few days ahead of today in the company's time
//! zone, so one careless date far in the future cannot block a company's chronological
//! numbering for good. The other bound, never before the last issued document of the
//! series, is the numbering's own rule (`store::books::take_number`). Drafts and quotes
//! may carry any date. An invoice is issued only with its mandatory mentions and, to a
//! business customer, what its EN 16931 e-invoice needs ([`missing_mentions`], each rule
//! named), and a due date no earlier than its issue date ([`check_issuable`]).

use chrono::{NaiveDate, TimeDelta};

use super::PartyKind;
use super::document::{Customer, Document, Issuable, Seller, missing_mentions};

/// How many days ahead of today an issue date may be when the configuration says nothing.
pub const DEFAULT_MAX_DAYS_AHEAD: u16 = 3;

/// `requested` when it is at most `max_days_ahead` days after `today`; otherwise the
/// latest date allowed, as the refusal.
pub fn issue_date(
    requested: NaiveDate,
    today: NaiveDate,
    max_days_ahead: u16,
) -> Result<NaiveDate, NaiveDate> {
    let latest = today + TimeDelta::days(i64::from(max_days_ahead));
    if requested <= latest {
        Ok(requested)
    } else {
        Err(latest)
    }
}

/// Why an invoice cannot be issued.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Unissuable {
    /// It lacks mandatory mentions, as (field, reason) pairs.
    MissingMentions(Vec<(String, String)>),
    /// Its due date is before the date it would be issued with.
    DueDateBeforeIssueDate {
        /// That date.
        issue_date: NaiveDate,
    },
}

/// Whether `invoice` may be issued by `seller` on `date`: first its mandatory mentions,
/// then its due date, which must not be before `date`.
pub fn check_issuable(
    invoice: &Document,
    seller: &Seller,
    date: NaiveDate,
) -> Result<(), Unissuable> {
    let lines: Vec<_> = invoice.lines.iter().map(|l| l.to_line()).collect();
    let customer = customer_of(invoice);
    let missing = missing_mentions(&Issuable {
        seller,
        customer: &customer,
        lines: &lines,
        due_date: invoice.due_date,
        late_penalty_rate: invoice.late_penalty_rate,
        recovery_fee: invoice.recovery_fee,
        vat_exemption: &invoice.vat_exemption,
    });
    if !missing.is_empty() {
        return Err(Unissuable::MissingMentions(missing));
    }
    if invoice.due_date.is_some_and(|due| due < date) {
        return Err(Unissuable::DueDateBeforeIssueDate { issue_date: date });
    }
    Ok(())
}

/// The customer an issued document prints.
fn customer_of(row: &Document) -> Customer {
    Customer {
        professional: PartyKind::from_stored(&row.party_kind) == Some(PartyKind::Professional),
        name: row.party_name.clone(),
        siren: row.party_siren.clone(),
        vat_number: row.party_vat_number.clone(),
        address_line1: row.party_address_line1.clone(),
        address_postal_code: row.party_postal_code.clone(),
        address_city: row.party_city.clone(),
        address_country_code: row.party_country_code.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::document::DocumentLine;
    use crate::domain::document::tests::{d, day, seller, stored};
    use crate::domain::{DocumentType, Status};

    /// A draft invoice to a private customer, complete but for what a test takes away.
    fn draft(due_date: &str) -> Document {
        let mut invoice = stored(DocumentType::Invoice, Status::Draft);
        invoice.party_kind = PartyKind::Private.as_str().to_owned();
        invoice.party_name = "Jeanne Martin".into();
        invoice.party_address_line1 = "3 rue Haute".into();
        invoice.party_postal_code = "69002".into();
        invoice.party_city = "Lyon".into();
        invoice.party_country_code = "FR".into();
        invoice.due_date = Some(day(due_date));
        invoice.lines = vec![DocumentLine {
            line_number: 1,
            item_id: None,
            description: "Pain".into(),
            quantity: d("1"),
            unit: String::new(),
            unit_price: d("100"),
            discount: d("0"),
            vat_rate: d("20"),
            net_amount: d("100"),
            supply_type: None,
        }];
        invoice
    }

    #[test]
    fn an_invoice_is_issued_on_or_before_its_due_date_but_not_after() {
        let seller = seller();
        let invoice = draft("2026-03-31");
        assert_eq!(check_issuable(&invoice, &seller, day("2026-03-01")), Ok(()));
        assert_eq!(check_issuable(&invoice, &seller, day("2026-03-31")), Ok(()));
        assert_eq!(
            check_issuable(&invoice, &seller, day("2026-04-01")),
            Err(Unissuable::DueDateBeforeIssueDate {
                issue_date: day("2026-04-01")
            })
        );
    }

    #[test]
    fn missing_mentions_are_refused_before_the_due_date_is_looked_at() {
        let mut invoice = draft("2026-03-31");
        invoice.party_city = String::new();
        assert_eq!(
            check_issuable(&invoice, &seller(), day("2026-04-01")),
            Err(Unissuable::MissingMentions(vec![(
                "customer.address".to_owned(),
                "the customer's billing address is incomplete".to_owned()
            )]))
        );
    }

    #[test]
    fn an_issue_date_may_be_today_in_the_past_or_a_few_days_ahead_but_no_further() {
        let today = day("2026-12-02");
        for (requested, max, expected) in [
            ("2026-12-02", 3, Ok("2026-12-02")),
            ("2026-01-15", 3, Ok("2026-01-15")),
            ("2026-12-05", 3, Ok("2026-12-05")),
            ("2026-12-06", 3, Err("2026-12-05")),
            ("2099-12-31", 3, Err("2026-12-05")),
            ("2026-12-03", 0, Err("2026-12-02")),
            ("2026-12-31", 29, Ok("2026-12-31")),
        ] {
            assert_eq!(
                issue_date(day(requested), today, max),
                expected.map(day).map_err(day),
                "{requested} with {max} days ahead"
            );
        }
    }
}
