//! The documents and payments the reports read, beside the ledger: what a document
//! adds to its entry (due date, the party's kind and country, OSS), its VAT per rate
//! split into goods and services, what an invoice prints (lines, the customer's
//! address, mentions), settlement status, ageing of what is left to pay, and the OSS
//! quarter.

use std::collections::BTreeMap;

use chrono::{Datelike, NaiveDate};
use rust_decimal::{Decimal, RoundingStrategy};
use uuid::Uuid;

use super::ledger::{Document, DocumentKind, Payment, Supply, VatAmount};
use super::reports::Period;

/// Whether a customer is a business or a consumer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum PartyKind {
    Professional,
    Private,
}

impl PartyKind {
    /// As stored.
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            PartyKind::Professional => "professional",
            PartyKind::Private => "private",
        }
    }

    /// From an event's text: "private", else a business (billing's default).
    pub(crate) fn from_text(text: &str) -> Self {
        match text {
            "private" => PartyKind::Private,
            _ => PartyKind::Professional,
        }
    }
}

/// A document as the reports keep it: its ledger form and what the reports add.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct IssuedDocument {
    pub(crate) document: Document,
    pub(crate) due_date: Option<NaiveDate>,
    pub(crate) party_kind: PartyKind,
    pub(crate) party_country: String,
    pub(crate) party_vat_number: String,
    pub(crate) net_total: Decimal,
    pub(crate) vat_total: Decimal,
    /// An OSS distance sale: its member state of consumption (the customer's country).
    pub(crate) oss_country: Option<String>,
    pub(crate) credited_document_id: Option<Uuid>,
    /// What the printed document adds.
    pub(crate) details: DocumentDetails,
}

/// An issued invoice or credit note as printed, its seller aside.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct PrintedDocument {
    pub(crate) kind: DocumentKind,
    pub(crate) number: String,
    pub(crate) date: NaiveDate,
    pub(crate) due_date: Option<NaiveDate>,
    pub(crate) party_name: String,
    pub(crate) party_kind: PartyKind,
    pub(crate) party_vat_number: String,
    pub(crate) party_country: String,
    /// An OSS distance sale to a consumer of another member state, taxed at its rate.
    pub(crate) oss: bool,
    pub(crate) details: DocumentDetails,
    /// VAT per rate, highest rate first.
    pub(crate) vat: Vec<VatAmount>,
    pub(crate) net_total: Decimal,
    pub(crate) vat_total: Decimal,
    pub(crate) gross_total: Decimal,
}

/// A postal address as printed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct PostalAddress {
    pub(crate) line1: String,
    pub(crate) line2: String,
    pub(crate) postal_code: String,
    pub(crate) city: String,
    pub(crate) country_code: String,
}

/// One line of a document as printed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct PrintedLine {
    pub(crate) line_number: i32,
    pub(crate) description: String,
    pub(crate) quantity: Decimal,
    pub(crate) unit_price: Decimal,
    pub(crate) discount: Decimal,
    pub(crate) vat_rate: Decimal,
    pub(crate) net_amount: Decimal,
    /// The unit as billing's user entered it, free text; empty when none.
    pub(crate) unit: String,
}

/// What an invoice or credit note prints besides what the reports read: the customer's
/// SIREN and address, the lines and the mentions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct DocumentDetails {
    pub(crate) currency_code: String,
    pub(crate) party_siren: String,
    /// The customer's address (its country is the document's party country).
    pub(crate) party_address: PostalAddress,
    /// The VAT exemption or reverse-charge mention; empty when none.
    pub(crate) vat_exemption: String,
    /// Percent per year.
    pub(crate) late_penalty_rate: Option<Decimal>,
    pub(crate) recovery_fee: bool,
    /// For a credit note: the credited invoice's number (empty when none) and date.
    pub(crate) credited_number: String,
    pub(crate) credited_date: Option<NaiveDate>,
    pub(crate) lines: Vec<PrintedLine>,
}

/// The taxable amount and VAT of one rate and supply on a document.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct SupplyVat {
    pub(crate) rate: Decimal,
    pub(crate) supply: Supply,
    pub(crate) taxable: Decimal,
    pub(crate) vat: Decimal,
}

/// The document's VAT per rate and supply: the nets of its lines by rate and supply, and
/// each rate's VAT shared between goods and services in proportion to their nets,
/// rounded half-up to the cent with the remainder on services, so the parts add up to
/// the rate's VAT exactly.
pub(crate) fn vat_by_supply(document: &Document) -> Vec<SupplyVat> {
    let mut nets: BTreeMap<(Decimal, Supply), Decimal> = BTreeMap::new();
    for line in &document.lines {
        *nets.entry((line.vat_rate, line.supply)).or_default() += line.net_amount;
    }
    let mut out = Vec::new();
    for vat in &document.vat {
        let rate_net: Decimal = nets
            .iter()
            .filter(|((rate, _), _)| *rate == vat.rate)
            .map(|(_, net)| *net)
            .sum();
        let goods = nets.get(&(vat.rate, Supply::Goods)).copied();
        let services = nets.get(&(vat.rate, Supply::Services)).copied();
        let goods_vat = match (goods, services) {
            (Some(_), None) => vat.vat_amount,
            (None, _) => Decimal::ZERO,
            (Some(goods), Some(_)) if !rate_net.is_zero() => (vat.vat_amount * goods / rate_net)
                .round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero),
            (Some(_), Some(_)) => Decimal::ZERO,
        };
        if let Some(goods) = goods {
            out.push(SupplyVat {
                rate: vat.rate,
                supply: Supply::Goods,
                taxable: goods,
                vat: goods_vat,
            });
        }
        if services.is_some() || goods.is_none() {
            out.push(SupplyVat {
                rate: vat.rate,
                supply: Supply::Services,
                taxable: services.unwrap_or(vat.taxable_amount),
                vat: vat.vat_amount - goods_vat,
            });
        }
    }
    out
}

/// A payment as the reports keep it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct RecordedPayment {
    pub(crate) payment: Payment,
    pub(crate) method: String,
}

/// How much of a document is settled.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Settlement {
    Unpaid,
    PartlyPaid,
    Paid,
}

impl Settlement {
    /// The status of a document of `gross` of which `settled` is paid or credited.
    pub(crate) fn of(gross: Decimal, settled: Decimal) -> Self {
        if settled >= gross {
            Settlement::Paid
        } else if settled > Decimal::ZERO {
            Settlement::PartlyPaid
        } else {
            Settlement::Unpaid
        }
    }
}

/// One document of a revenue or expense list, as stored: amounts positive.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ListedDocument {
    pub(crate) document_id: Uuid,
    pub(crate) kind: DocumentKind,
    pub(crate) number: String,
    pub(crate) date: NaiveDate,
    pub(crate) due_date: Option<NaiveDate>,
    pub(crate) party_name: String,
    pub(crate) country: String,
    pub(crate) net: Decimal,
    pub(crate) vat: Decimal,
    pub(crate) gross: Decimal,
    /// Paid through allocations, plus credit notes correcting it (for an invoice), or
    /// its whole amount when it corrects an invoice (for a credit note).
    pub(crate) settled: Decimal,
}

impl ListedDocument {
    /// Its settlement status.
    pub(crate) fn status(&self) -> Settlement {
        Settlement::of(self.gross, self.settled)
    }

    /// Left to pay.
    pub(crate) fn balance(&self) -> Decimal {
        self.gross - self.settled
    }

    /// Its amounts as they count in a list: negative for a credit note.
    pub(crate) fn signed(&self) -> (Decimal, Decimal, Decimal) {
        let sign = if self.kind == DocumentKind::CreditNote {
            Decimal::NEGATIVE_ONE
        } else {
            Decimal::ONE
        };
        (self.net * sign, self.vat * sign, self.gross * sign)
    }
}

/// Which documents a list keeps, besides the period and kinds the query reads.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct DocumentFilter {
    pub(crate) status: Option<Settlement>,
    pub(crate) country: Option<String>,
    pub(crate) party_id: Option<Uuid>,
}

/// A list of documents and its totals (credit notes deducted).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct DocumentList {
    pub(crate) documents: Vec<ListedDocument>,
    pub(crate) net: Decimal,
    pub(crate) vat: Decimal,
    pub(crate) gross: Decimal,
}

impl DocumentList {
    /// `documents` in their order, those not in `status` left out, and their totals.
    pub(crate) fn of(documents: Vec<ListedDocument>, status: Option<Settlement>) -> Self {
        let mut list = DocumentList::default();
        for document in documents {
            if status.is_some_and(|status| status != document.status()) {
                continue;
            }
            let (net, vat, gross) = document.signed();
            list.net += net;
            list.vat += vat;
            list.gross += gross;
            list.documents.push(document);
        }
        list
    }
}

/// How late an unpaid invoice is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum AgeBucket {
    NotDue,
    Days0To30,
    Days31To60,
    Days61To90,
    Over90,
}

impl AgeBucket {
    /// Every bucket, in order.
    pub(crate) const ALL: [AgeBucket; 5] = [
        AgeBucket::NotDue,
        AgeBucket::Days0To30,
        AgeBucket::Days31To60,
        AgeBucket::Days61To90,
        AgeBucket::Over90,
    ];

    /// Its label in French reports.
    pub(crate) fn label(self) -> &'static str {
        match self {
            AgeBucket::NotDue => "Non échu",
            AgeBucket::Days0To30 => "0 à 30 jours",
            AgeBucket::Days31To60 => "31 à 60 jours",
            AgeBucket::Days61To90 => "61 à 90 jours",
            AgeBucket::Over90 => "Plus de 90 jours",
        }
    }
}

/// Days past `due` as of `as_of` (0 when not due yet) and the bucket.
pub(crate) fn age(due: NaiveDate, as_of: NaiveDate) -> (i64, AgeBucket) {
    let days = (as_of - due).num_days().max(0);
    let bucket = match days {
        _ if as_of <= due => AgeBucket::NotDue,
        0..=30 => AgeBucket::Days0To30,
        31..=60 => AgeBucket::Days31To60,
        61..=90 => AgeBucket::Days61To90,
        _ => AgeBucket::Over90,
    };
    (days, bucket)
}

/// An invoice not fully paid as of a date.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct UnpaidInvoice {
    pub(crate) document: ListedDocument,
    pub(crate) due_date: NaiveDate,
    pub(crate) days_past_due: i64,
    pub(crate) bucket: AgeBucket,
}

/// The unpaid invoices as of a date, oldest due first, with the balance per bucket.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Unpaid {
    pub(crate) invoices: Vec<UnpaidInvoice>,
    /// Every bucket, in order, with what is left to pay in it.
    pub(crate) buckets: Vec<(AgeBucket, Decimal)>,
    pub(crate) total: Decimal,
}

/// The invoices of `invoices` with something left to pay as of `as_of` (their settled
/// amounts counted as of that date), aged; an invoice without a due date is due on its
/// date.
pub(crate) fn unpaid(invoices: Vec<ListedDocument>, as_of: NaiveDate) -> Unpaid {
    let mut unpaid: Vec<UnpaidInvoice> = invoices
        .into_iter()
        .filter(|invoice| invoice.balance() > Decimal::ZERO)
        .map(|document| {
            let due_date = document.due_date.unwrap_or(document.date);
            let (days_past_due, bucket) = age(due_date, as_of);
            UnpaidInvoice {
                document,
                due_date,
                days_past_due,
                bucket,
            }
        })
        .collect();
    unpaid.sort_by(|a, b| {
        (a.due_date, &a.document.number, a.document.document_id).cmp(&(
            b.due_date,
            &b.document.number,
            b.document.document_id,
        ))
    });
    let buckets = AgeBucket::ALL
        .iter()
        .map(|bucket| {
            let sum = unpaid
                .iter()
                .filter(|invoice| invoice.bucket == *bucket)
                .map(|invoice| invoice.document.balance())
                .sum();
            (*bucket, sum)
        })
        .collect();
    let total = unpaid.iter().map(|i| i.document.balance()).sum();
    Unpaid {
        invoices: unpaid,
        buckets,
        total,
    }
}

/// Why an OSS quarter is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub(crate) enum QuarterError {
    #[error("must be 1 to 4")]
    Quarter,
    #[error("must be a year from 1 to 9999")]
    Year,
}

/// The dates of quarter `quarter` (1 to 4) of `year`.
pub(crate) fn quarter(year: i32, quarter: i32) -> Result<Period, QuarterError> {
    if !(1..=4).contains(&quarter) {
        return Err(QuarterError::Quarter);
    }
    let first_month = u32::try_from(quarter * 3 - 2).map_err(|_| QuarterError::Quarter)?;
    let start = NaiveDate::from_ymd_opt(year, first_month, 1)
        .filter(|_| (1..=9999).contains(&year))
        .ok_or(QuarterError::Year)?;
    let next = if quarter == 4 {
        NaiveDate::from_ymd_opt(year + 1, 1, 1)
    } else {
        NaiveDate::from_ymd_opt(year, first_month + 3, 1)
    }
    .ok_or(QuarterError::Year)?;
    Period::new(start, next.pred_opt().unwrap_or(next)).map_err(|_| QuarterError::Year)
}

/// The quarter (year, 1 to 4) `day` is in.
pub(crate) fn quarter_of(day: NaiveDate) -> (i32, i32) {
    (day.year(), i32::try_from(day.month0() / 3 + 1).unwrap_or(1))
}

/// One line of the OSS return: a member state, supply and rate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct OssLine {
    pub(crate) country: String,
    pub(crate) supply: Supply,
    pub(crate) rate: Decimal,
    pub(crate) taxable: Decimal,
    pub(crate) vat: Decimal,
}

/// The OSS return of a quarter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct OssReport {
    pub(crate) period: Period,
    pub(crate) lines: Vec<OssLine>,
    pub(crate) vat_total: Decimal,
}

/// One payment of a period and one document it settles (none when it settles nothing).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct PaymentRow {
    pub(crate) payment_id: Uuid,
    pub(crate) date: NaiveDate,
    pub(crate) received: bool,
    pub(crate) method: String,
    pub(crate) reference: String,
    pub(crate) party_name: String,
    pub(crate) amount: Decimal,
    pub(crate) document_number: String,
    pub(crate) allocated: Decimal,
}

#[cfg(test)]
mod tests {
    use std::str::FromStr;

    use super::*;
    use crate::domain::ledger::{DocumentLine, PartyRef, VatAmount};

    fn d(s: &str) -> Decimal {
        Decimal::from_str(s).unwrap()
    }

    fn day(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn a_rates_vat_is_shared_between_goods_and_services_to_the_cent() {
        let line = |rate: &str, supply, net: &str| DocumentLine {
            vat_rate: d(rate),
            supply,
            net_amount: d(net),
        };
        let document = Document {
            document_id: Uuid::nil(),
            kind: DocumentKind::Invoice,
            number: "F-1".into(),
            date: day("2026-01-01"),
            party: PartyRef::default(),
            lines: vec![
                line("20", Supply::Goods, "0.05"),
                line("20", Supply::Services, "0.05"),
                line("10", Supply::Services, "3.00"),
            ],
            vat: vec![
                VatAmount {
                    rate: d("20"),
                    taxable_amount: d("0.10"),
                    vat_amount: d("0.02"),
                },
                VatAmount {
                    rate: d("10"),
                    taxable_amount: d("3.00"),
                    vat_amount: d("0.30"),
                },
            ],
            gross_total: d("3.42"),
        };
        let split: Vec<(String, Supply, String, String)> = vat_by_supply(&document)
            .into_iter()
            .map(|v| {
                (
                    v.rate.to_string(),
                    v.supply,
                    v.taxable.to_string(),
                    v.vat.to_string(),
                )
            })
            .collect();
        let row = |rate: &str, supply, taxable: &str, vat: &str| {
            (rate.to_owned(), supply, taxable.to_owned(), vat.to_owned())
        };
        assert_eq!(
            split,
            [
                row("20", Supply::Goods, "0.05", "0.01"),
                row("20", Supply::Services, "0.05", "0.01"),
                row("10", Supply::Services, "3.00", "0.30"),
            ]
        );
    }

    #[test]
    fn ageing_counts_days_past_due_into_buckets() {
        let due = day("2026-03-31");
        assert_eq!(age(due, day("2026-03-01")), (0, AgeBucket::NotDue));
        assert_eq!(age(due, due), (0, AgeBucket::NotDue));
        assert_eq!(age(due, day("2026-04-01")), (1, AgeBucket::Days0To30));
        assert_eq!(age(due, day("2026-04-30")), (30, AgeBucket::Days0To30));
        assert_eq!(age(due, day("2026-05-01")), (31, AgeBucket::Days31To60));
        assert_eq!(age(due, day("2026-06-29")), (90, AgeBucket::Days61To90));
        assert_eq!(age(due, day("2026-06-30")), (91, AgeBucket::Over90));
    }

    #[test]
    fn settlement_follows_what_is_paid() {
        assert_eq!(Settlement::of(d("10"), d("0")), Settlement::Unpaid);
        assert_eq!(Settlement::of(d("10"), d("9.99")), Settlement::PartlyPaid);
        assert_eq!(Settlement::of(d("10"), d("10")), Settlement::Paid);
    }

    #[test]
    fn quarters_run_from_their_first_to_their_last_day() {
        let q = quarter(2026, 4).unwrap();
        assert_eq!((q.start, q.end), (day("2026-10-01"), day("2026-12-31")));
        let q = quarter(2026, 1).unwrap();
        assert_eq!((q.start, q.end), (day("2026-01-01"), day("2026-03-31")));
        assert_eq!(quarter(2026, 5), Err(QuarterError::Quarter));
        assert_eq!(quarter(2026, 0), Err(QuarterError::Quarter));
        assert_eq!(quarter(0, 1), Err(QuarterError::Year));
        assert_eq!(quarter_of(day("2026-08-15")), (2026, 3));
    }
}
