//! A document's content and the rules on it: the lines and their net amounts, the VAT per
//! rate and the totals (EN 16931: each line net rounded half-up to 2 decimals, VAT
//! computed once per rate on the sum of the nets at that rate), the mandatory mentions
//! an invoice must carry before it is issued and the EN 16931 rules its e-invoice must
//! meet, how a number prints, and a stored
//! [`Document`] with the status it reads as ([`Document::status_on`]).

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Datelike, NaiveDate, Utc};
use comptoir_domain_types::amount::round_half_up;
use rust_decimal::Decimal;
use uuid::Uuid;

use super::vat::{Regime, VatCategory};
use super::{DocumentType, Status};

/// Most lines on one document.
pub const MAX_LINES: usize = 500;
/// The fixed recovery fee owed by a late professional customer (Code de commerce,
/// L441-10), in euros.
pub const RECOVERY_FEE_EUR: u32 = 40;

/// One line, validated.
#[derive(Debug, Clone, PartialEq)]
pub struct Line {
    /// The item it started from.
    pub item_id: Option<Uuid>,
    /// Description.
    pub description: String,
    /// Quantity, more than 0.
    pub quantity: Decimal,
    /// Unit.
    pub unit: String,
    /// Unit price excluding VAT.
    pub unit_price: Decimal,
    /// Discount in currency.
    pub discount: Decimal,
    /// VAT rate in percent.
    pub vat_rate: Decimal,
}

impl Line {
    /// quantity × unit price − discount, rounded half-up to 2 decimals.
    pub fn net_amount(&self) -> Decimal {
        round_half_up(self.quantity * self.unit_price - self.discount, 2)
    }

    /// The amount before discount, rounded like the net: the most a discount may take.
    pub fn gross_amount(&self) -> Decimal {
        round_half_up(self.quantity * self.unit_price, 2)
    }
}

/// The VAT of one rate.
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize)]
pub struct VatAmount {
    /// Rate in percent.
    pub rate: Decimal,
    /// Sum of the line nets at this rate.
    pub taxable_amount: Decimal,
    /// VAT at this rate.
    pub vat_amount: Decimal,
}

/// A document's amounts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Totals {
    /// VAT per rate, by rate (highest first).
    pub vat_amounts: Vec<VatAmount>,
    /// Sum of the line nets.
    pub net_total: Decimal,
    /// Sum of the VAT amounts.
    pub vat_total: Decimal,
    /// net + VAT.
    pub gross_total: Decimal,
}

impl Totals {
    /// The totals of `lines`.
    pub fn of(lines: &[Line]) -> Self {
        let mut per_rate: BTreeMap<Decimal, Decimal> = BTreeMap::new();
        for line in lines {
            *per_rate.entry(line.vat_rate.normalize()).or_default() += line.net_amount();
        }
        let vat_amounts: Vec<VatAmount> = per_rate
            .into_iter()
            .rev()
            .map(|(rate, taxable_amount)| VatAmount {
                rate,
                taxable_amount,
                vat_amount: round_half_up(taxable_amount * rate / Decimal::ONE_HUNDRED, 2),
            })
            .collect();
        let net_total = vat_amounts.iter().map(|v| v.taxable_amount).sum();
        let vat_total = vat_amounts.iter().map(|v| v.vat_amount).sum();
        Totals {
            vat_amounts,
            net_total,
            vat_total,
            gross_total: net_total + vat_total,
        }
    }
}

/// What an invoice says about its seller, from tenancy's company events.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Seller {
    /// Legal name.
    pub legal_name: String,
    /// Legal form (SARL, SAS…).
    pub legal_form: String,
    /// SIREN.
    pub siren: String,
    /// Intra-EU VAT number.
    pub vat_number: String,
    /// RCS registration city.
    pub rcs_city: String,
    /// Share capital.
    pub share_capital_amount: String,
    /// Address: first line.
    pub address_line1: String,
    /// Postal code.
    pub address_postal_code: String,
    /// City.
    pub address_city: String,
}

/// The customer as printed on the document.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Customer {
    /// Business (true) or private person.
    pub professional: bool,
    /// Name.
    pub name: String,
    /// SIREN.
    pub siren: String,
    /// VAT number.
    pub vat_number: String,
    /// Address: first line.
    pub address_line1: String,
    /// Postal code.
    pub address_postal_code: String,
    /// City.
    pub address_city: String,
    /// ISO country code.
    pub address_country_code: String,
}

/// What an invoice about to be issued carries.
#[derive(Debug, Clone, PartialEq)]
pub struct Issuable<'a> {
    /// The seller.
    pub seller: &'a Seller,
    /// The customer.
    pub customer: &'a Customer,
    /// The lines.
    pub lines: &'a [Line],
    /// Due date.
    pub due_date: Option<NaiveDate>,
    /// Late-payment penalty rate.
    pub late_penalty_rate: Option<Decimal>,
    /// Whether the 40 € recovery fee mention is printed.
    pub recovery_fee: bool,
    /// VAT exemption or reverse-charge mention.
    pub vat_exemption: &'a str,
}

/// The mandatory mentions (Code général des impôts, art. 242 nonies A; Code de commerce,
/// L441-9) an invoice lacks, as (field, reason) pairs; empty when it may be issued.
///
/// An invoice to a business customer is also an e-invoice its customer's platform will
/// check against EN 16931, so for one the reasons that are rules of the norm start with
/// the rule's name (`BR-10: …`), and the rules the mentions do not already cover are
/// checked: BR-11 (the buyer's country code), BR-S-02 (a line at a rate above 0 needs the
/// seller's VAT number), BR-AE-02 (a reverse-charge line needs the seller's VAT number
/// and the buyer's VAT number or SIREN) and BR-K-02 (an intra-community supply needs both
/// VAT numbers). BR-AE-03/04 and BR-K-03/04 say the same of document-level allowances and
/// charges, which billing never makes (a discount is its line's), so the line rules cover
/// them; billing's sellers are French, so BR-9 (the seller's country) holds. An invoice
/// to a private person is no e-invoice (its sale is e-reported) and gets the mentions only.
pub fn missing_mentions(doc: &Issuable<'_>) -> Vec<(String, String)> {
    let business = doc.customer.professional;
    let mut missing = Vec::new();
    // `rule` names the EN 16931 rule the check is, for a business customer's e-invoice.
    let mut need = |present: bool, field: &str, rule: Option<&str>, reason: &str| {
        if !present {
            let reason = match rule {
                Some(rule) if business => format!("{rule}: {reason}"),
                _ => reason.to_owned(),
            };
            missing.push((field.to_owned(), reason));
        }
    };
    let seller = doc.seller;
    need(
        !seller.legal_name.is_empty(),
        "seller.legal_name",
        Some("BR-6"),
        "the seller's legal name is unknown (tenancy's company event not applied yet)",
    );
    need(
        !seller.siren.is_empty(),
        "seller.siren",
        None,
        "the seller's SIREN is unknown",
    );
    need(
        !seller.address_line1.is_empty() && !seller.address_city.is_empty(),
        "seller.address",
        Some("BR-8"),
        "the seller's address is incomplete; complete the company's legal identity",
    );
    let customer = doc.customer;
    need(
        !customer.name.is_empty(),
        "customer.name",
        Some("BR-7"),
        "the customer has no name",
    );
    need(
        !customer.address_line1.is_empty()
            && !customer.address_postal_code.is_empty()
            && !customer.address_city.is_empty(),
        "customer.address",
        Some("BR-10"),
        if business {
            "the buyer's postal address is required; the customer's billing address is \
             incomplete"
        } else {
            "the customer's billing address is incomplete"
        },
    );
    if business {
        need(
            !customer.address_country_code.is_empty(),
            "customer.address.country_code",
            Some("BR-11"),
            "the buyer's postal address needs its country code",
        );
        need(
            customer.address_country_code != "FR" || !customer.siren.is_empty(),
            "customer.siren",
            None,
            "a French professional customer's SIREN is mandatory",
        );
        need(
            !customer.vat_number.is_empty() || doc.lines.iter().all(|l| l.vat_rate.is_zero()),
            "customer.vat_number",
            None,
            "a professional customer's intra-EU VAT number is mandatory",
        );
        need(
            doc.late_penalty_rate.is_some(),
            "late_penalty_rate",
            None,
            "the late-payment penalty rate is mandatory for a professional customer",
        );
        need(
            doc.recovery_fee,
            "recovery_fee",
            None,
            "the 40 € fixed recovery fee mention is mandatory for a professional customer",
        );
    }
    need(
        !doc.lines.is_empty(),
        "lines",
        Some("BR-16"),
        "an invoice needs at least one line",
    );
    for (index, line) in doc.lines.iter().enumerate() {
        need(
            !line.description.trim().is_empty(),
            &format!("lines[{index}].description"),
            Some("BR-25"),
            "every line needs a description",
        );
    }
    need(
        doc.due_date.is_some(),
        "due_date",
        Some("BR-CO-25"),
        "the payment due date is mandatory",
    );
    let categories: BTreeSet<VatCategory> = doc
        .lines
        .iter()
        .map(|line| {
            VatCategory::of_line(
                line.vat_rate,
                business,
                &customer.address_country_code,
                doc.vat_exemption,
            )
        })
        .collect();
    let zero_rated = categories.iter().find(|c| **c != VatCategory::Standard);
    let exemption_rule = format!("BR-{}-10", zero_rated.map_or("E", |c| c.code()));
    need(
        zero_rated.is_none() || !doc.vat_exemption.trim().is_empty(),
        "vat_exemption",
        Some(exemption_rule.as_str()),
        "a line at 0 % needs the exemption mention, e.g. \"TVA non applicable, art. 293 B du \
         CGI\" or \"Autoliquidation\"",
    );
    if !business {
        return missing;
    }
    let seller_vat = !seller.vat_number.is_empty();
    for category in &categories {
        match category {
            VatCategory::Standard => need(
                seller_vat,
                "seller.vat_number",
                Some("BR-S-02"),
                "a line at a standard rate needs the seller's VAT number; complete the \
                 company's legal identity",
            ),
            VatCategory::ReverseCharge => {
                need(
                    seller_vat,
                    "seller.vat_number",
                    Some("BR-AE-02"),
                    "a reverse-charge line needs the seller's VAT number; complete the \
                     company's legal identity",
                );
                need(
                    !customer.vat_number.is_empty() || !customer.siren.is_empty(),
                    "customer.vat_number",
                    Some("BR-AE-02"),
                    "a reverse-charge line needs the buyer's VAT number (or SIREN)",
                );
            }
            VatCategory::IntraCommunity => {
                need(
                    seller_vat,
                    "seller.vat_number",
                    Some("BR-K-02"),
                    "an intra-community supply needs the seller's VAT number; complete the \
                     company's legal identity",
                );
                need(
                    !customer.vat_number.is_empty(),
                    "customer.vat_number",
                    Some("BR-K-02"),
                    "an intra-community supply needs the buyer's VAT number",
                );
            }
            VatCategory::Exempt | VatCategory::Export => {}
        }
    }
    missing
}

/// A stored document: quote, invoice, credit note or purchase invoice, with the party
/// printed on it, its lines, its VAT per rate and what is left to pay.
#[derive(Debug, Clone, PartialEq)]
pub struct Document {
    /// Its id.
    pub document_id: Uuid,
    /// The company whose books hold it.
    pub company_id: Uuid,
    /// Its type, in its stored form ([`Document::document_type`] reads it).
    pub document_type: String,
    /// Its stored status ([`Document::status`] reads it).
    pub status: String,
    /// Its number, once numbered (the supplier's for a purchase invoice).
    pub number: Option<String>,
    /// Its position in its series, once numbered.
    pub sequence: Option<i64>,
    /// The party it names.
    pub party_id: Uuid,
    /// The party's kind when the document was written, in its stored form.
    pub party_kind: String,
    /// The party's name as printed.
    pub party_name: String,
    /// The party's SIREN as printed.
    pub party_siren: String,
    /// The party's VAT number as printed.
    pub party_vat_number: String,
    /// The party's address as printed: first line.
    pub party_address_line1: String,
    /// Second line.
    pub party_address_line2: String,
    /// Postal code.
    pub party_postal_code: String,
    /// City.
    pub party_city: String,
    /// ISO country code.
    pub party_country_code: String,
    /// The party's accounting code now (not a printed copy).
    pub party_accounting_code: String,
    /// Its date (the issue date once issued).
    pub document_date: NaiveDate,
    /// Its due date, or a quote's end of validity.
    pub due_date: Option<NaiveDate>,
    /// ISO currency code.
    pub currency_code: String,
    /// Sum of the line nets.
    pub net_total: Decimal,
    /// Sum of the VAT amounts.
    pub vat_total: Decimal,
    /// net + VAT.
    pub gross_total: Decimal,
    /// Its total less the payments allocated to it and the credit notes issued against
    /// it; negative when overpaid.
    pub balance_due: Decimal,
    /// VAT exemption or reverse-charge mention.
    pub vat_exemption: String,
    /// Late-payment penalty rate.
    pub late_penalty_rate: Option<Decimal>,
    /// Whether the 40 € recovery fee mention is printed.
    pub recovery_fee: bool,
    /// Free notes.
    pub notes: String,
    /// Whether taxed at the customer's country's rates (EU one-stop shop).
    pub oss: bool,
    /// A purchase invoice's expense category.
    pub category: String,
    /// The invoice a credit note corrects.
    pub credited_document_id: Option<Uuid>,
    /// That invoice's number.
    pub credited_number: String,
    /// That invoice's date.
    pub credited_date: Option<NaiveDate>,
    /// The quote an invoice was made from.
    pub quote_id: Option<Uuid>,
    /// Who created it.
    pub created_by: String,
    /// Who changed it last.
    pub updated_by: String,
    /// When it was created.
    pub created_at: DateTime<Utc>,
    /// When it was changed last.
    pub updated_at: DateTime<Utc>,
    /// Its lines, in order.
    pub lines: Vec<DocumentLine>,
    /// Its VAT per rate, highest rate first.
    pub vat: Vec<VatAmount>,
}

impl Document {
    /// The stored type.
    pub fn document_type(&self) -> DocumentType {
        DocumentType::from_stored(&self.document_type).unwrap_or(DocumentType::Invoice)
    }

    /// The stored status.
    pub fn status(&self) -> Status {
        Status::from_stored(&self.status).unwrap_or(Status::Draft)
    }

    /// The status the document reads as on `today`: payments and a quote's validity are
    /// derived, never stored. `DocumentStatus::filter` is its twin for lists.
    pub fn status_on(&self, today: NaiveDate) -> DocumentStatus {
        match self.status() {
            Status::Draft => DocumentStatus::Draft,
            Status::Sent if self.due_date.is_some_and(|due| due < today) => DocumentStatus::Expired,
            Status::Sent => DocumentStatus::Sent,
            Status::Accepted => DocumentStatus::Accepted,
            Status::Refused => DocumentStatus::Refused,
            Status::Issued if self.document_type() == DocumentType::CreditNote => {
                DocumentStatus::Issued
            }
            Status::Issued if self.balance_due <= Decimal::ZERO => DocumentStatus::Paid,
            Status::Issued if self.balance_due < self.gross_total => DocumentStatus::PartiallyPaid,
            Status::Issued => DocumentStatus::Issued,
        }
    }
}

/// One stored line: a [`Line`] with its place and its net amount as written.
#[derive(Debug, Clone, PartialEq, serde::Deserialize)]
pub struct DocumentLine {
    /// Its place on the document, from 1.
    pub line_number: i32,
    /// The item it started from.
    pub item_id: Option<Uuid>,
    /// Description.
    pub description: String,
    /// Quantity.
    pub quantity: Decimal,
    /// Unit.
    pub unit: String,
    /// Unit price excluding VAT.
    pub unit_price: Decimal,
    /// Discount in currency.
    pub discount: Decimal,
    /// VAT rate in percent.
    pub vat_rate: Decimal,
    /// Net amount.
    pub net_amount: Decimal,
    /// "goods" or "services": the kind of the item it started from; None without one.
    #[serde(default)]
    pub supply_type: Option<String>,
}

impl DocumentLine {
    /// The line as the rules see it.
    pub fn to_line(&self) -> Line {
        Line {
            item_id: self.item_id,
            description: self.description.clone(),
            quantity: self.quantity,
            unit: self.unit.clone(),
            unit_price: self.unit_price,
            discount: self.discount,
            vat_rate: self.vat_rate,
        }
    }
}

/// The status a document reads as: its stored status, told apart by its dates and
/// balance (a sent quote past its validity is expired; an issued invoice is paid when
/// nothing is left due).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DocumentStatus {
    /// Editable, no number.
    Draft,
    /// A quote sent and still valid.
    Sent,
    /// A quote sent and past its validity.
    Expired,
    /// A quote accepted.
    Accepted,
    /// A quote refused.
    Refused,
    /// Issued with nothing paid or credited yet (and every credit note).
    Issued,
    /// Issued with part of its total still due.
    PartiallyPaid,
    /// Issued with nothing left due.
    Paid,
}

impl DocumentStatus {
    /// What a list asking for this status filters on, `today`: the stored status, and
    /// the standing that tells apart the statuses sharing it, mirroring
    /// [`Document::status_on`].
    pub fn filter(self, today: NaiveDate) -> (Status, Option<Standing>) {
        match self {
            DocumentStatus::Draft => (Status::Draft, None),
            DocumentStatus::Sent => (Status::Sent, Some(Standing::ValidOn(today))),
            DocumentStatus::Expired => (Status::Sent, Some(Standing::ExpiredOn(today))),
            DocumentStatus::Accepted => (Status::Accepted, None),
            DocumentStatus::Refused => (Status::Refused, None),
            DocumentStatus::Issued => (Status::Issued, Some(Standing::Unpaid)),
            DocumentStatus::PartiallyPaid => (Status::Issued, Some(Standing::PartiallyPaid)),
            DocumentStatus::Paid => (Status::Issued, Some(Standing::Paid)),
        }
    }
}

/// A standing derived from a document's stored status and its dates or balance, as
/// [`Document::status_on`] derives it, for lists to filter on in SQL (so a page holds as
/// many documents as asked for).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Standing {
    /// A sent quote still valid on that day.
    ValidOn(NaiveDate),
    /// A sent quote past its validity on that day.
    ExpiredOn(NaiveDate),
    /// An issued invoice nothing has been paid or credited on (or a credit note).
    Unpaid,
    /// An issued invoice with part of its total still due.
    PartiallyPaid,
    /// An issued invoice with nothing left due.
    Paid,
}

/// A number asked of a series for a date before the last one it numbered: numbering must
/// stay chronological.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NotChronological {
    /// The series.
    pub document_type: DocumentType,
    /// The date asked for.
    pub date: NaiveDate,
    /// The series' last date.
    pub last: NaiveDate,
}

/// Checks the lines' rates against the sale's regime, naming each bad line.
pub fn check_rates(lines: &[Line], regime: &Regime) -> Vec<(String, String)> {
    lines
        .iter()
        .enumerate()
        .filter_map(|(index, line)| {
            regime
                .check(line.vat_rate)
                .err()
                .map(|reason| (format!("lines[{index}].vat_rate"), reason))
        })
        .collect()
}

/// How a series prints its numbers: prefix, then the year when asked, then the number on
/// six digits, e.g. F-2026-000042.
pub fn format_number(prefix: &str, include_year: bool, date: NaiveDate, number: i64) -> String {
    if include_year {
        format!("{prefix}-{}-{number:06}", date.year())
    } else {
        format!("{prefix}-{number:06}")
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use std::str::FromStr;

    use super::*;

    pub(crate) fn d(s: &str) -> Decimal {
        Decimal::from_str(s).unwrap()
    }

    fn line(quantity: &str, price: &str, discount: &str, rate: &str) -> Line {
        Line {
            item_id: None,
            description: "Article".to_owned(),
            quantity: d(quantity),
            unit: String::new(),
            unit_price: d(price),
            discount: d(discount),
            vat_rate: d(rate),
        }
    }

    /// (lines, expected net per rate, VAT per rate, net, vat, gross)
    #[test]
    fn totals_follow_en_16931_on_a_table_of_cases() {
        struct Case {
            name: &'static str,
            lines: Vec<Line>,
            vat: Vec<(&'static str, &'static str, &'static str)>,
            totals: (&'static str, &'static str, &'static str),
        }
        let cases = [
            Case {
                name: "one line at 20 %",
                lines: vec![line("3", "19.99", "0", "20")],
                vat: vec![("20", "59.97", "11.99")],
                totals: ("59.97", "11.99", "71.96"),
            },
            Case {
                // Ten lines of 0.99 at 5.5 %: VAT per line would be 0.05 each (0.50), per
                // rate it is round(9.90 × 5.5 %) = round(0.5445) = 0.54.
                name: "many lines at 5.5 % rounded once per rate",
                lines: (0..10).map(|_| line("1", "0.99", "0", "5.5")).collect(),
                vat: vec![("5.5", "9.90", "0.54")],
                totals: ("9.90", "0.54", "10.44"),
            },
            Case {
                name: "discounts and two rates",
                lines: vec![
                    line("2", "100", "15.50", "20"),
                    line("1.5", "33.333", "0", "10"),
                    line("4", "12.5", "5", "20"),
                ],
                vat: vec![("20", "229.50", "45.90"), ("10", "50.00", "5.00")],
                totals: ("279.50", "50.90", "330.40"),
            },
            Case {
                name: "half-up on the line net",
                lines: vec![line("1", "0.125", "0", "20"), line("1", "0.125", "0", "20")],
                vat: vec![("20", "0.26", "0.05")],
                totals: ("0.26", "0.05", "0.31"),
            },
            Case {
                name: "an OSS sale to a private customer in Germany at 19 %",
                lines: vec![line("3", "41.50", "0", "19"), line("1", "9.99", "0", "7")],
                vat: vec![("19", "124.50", "23.66"), ("7", "9.99", "0.70")],
                totals: ("134.49", "24.36", "158.85"),
            },
            Case {
                name: "an exempt sale at 0 %",
                lines: vec![line("10", "45", "0", "0")],
                vat: vec![("0", "450.00", "0.00")],
                totals: ("450.00", "0.00", "450.00"),
            },
            Case {
                name: "2.1 % and 5.5 % together",
                lines: vec![
                    line("7", "1.37", "0", "2.1"),
                    line("3", "3.33", "0.01", "5.5"),
                ],
                vat: vec![("5.5", "9.98", "0.55"), ("2.1", "9.59", "0.20")],
                totals: ("19.57", "0.75", "20.32"),
            },
        ];
        for case in cases {
            let totals = Totals::of(&case.lines);
            let vat: Vec<_> = totals
                .vat_amounts
                .iter()
                .map(|v| (v.rate, v.taxable_amount, v.vat_amount))
                .collect();
            let expected: Vec<_> = case
                .vat
                .iter()
                .map(|(r, b, v)| (d(r), d(b), d(v)))
                .collect();
            assert_eq!(vat, expected, "{}", case.name);
            assert_eq!(
                (totals.net_total, totals.vat_total, totals.gross_total),
                (d(case.totals.0), d(case.totals.1), d(case.totals.2)),
                "{}",
                case.name
            );
        }
    }

    #[test]
    fn per_rate_rounding_differs_from_summing_rounded_line_vat() {
        let lines: Vec<Line> = (0..10).map(|_| line("1", "0.99", "0", "5.5")).collect();
        let per_line: Decimal = lines
            .iter()
            .map(|l| round_half_up(l.net_amount() * d("0.055"), 2))
            .sum();
        assert_eq!(per_line, d("0.50"));
        assert_eq!(Totals::of(&lines).vat_total, d("0.54"));
    }

    pub(crate) fn seller() -> Seller {
        Seller {
            legal_name: "Boulangerie Dupont SARL".into(),
            legal_form: "SARL".into(),
            siren: "732829320".into(),
            vat_number: "FR44732829320".into(),
            rcs_city: "Lyon".into(),
            share_capital_amount: "10000".into(),
            address_line1: "1 rue de la Paix".into(),
            address_postal_code: "69001".into(),
            address_city: "Lyon".into(),
        }
    }

    fn professional() -> Customer {
        Customer {
            professional: true,
            name: "Garage Martin".into(),
            siren: "552100554".into(),
            vat_number: "FR74552100554".into(),
            address_line1: "2 avenue Foch".into(),
            address_postal_code: "75016".into(),
            address_city: "Paris".into(),
            address_country_code: "FR".into(),
        }
    }

    #[test]
    fn a_complete_professional_invoice_misses_nothing() {
        let (seller, customer) = (seller(), professional());
        let lines = [line("1", "10", "0", "20")];
        let doc = Issuable {
            seller: &seller,
            customer: &customer,
            lines: &lines,
            due_date: NaiveDate::from_ymd_opt(2026, 12, 31),
            late_penalty_rate: Some(d("10")),
            recovery_fee: true,
            vat_exemption: "",
        };
        assert_eq!(missing_mentions(&doc), Vec::<(String, String)>::new());
    }

    #[test]
    fn each_missing_mention_is_named() {
        let seller = Seller::default();
        let customer = Customer {
            siren: String::new(),
            vat_number: String::new(),
            address_city: String::new(),
            ..professional()
        };
        let mut lines = vec![line("1", "10", "0", "0")];
        lines[0].description = " ".into();
        let doc = Issuable {
            seller: &seller,
            customer: &customer,
            lines: &lines,
            due_date: None,
            late_penalty_rate: None,
            recovery_fee: false,
            vat_exemption: "",
        };
        let fields: Vec<String> = missing_mentions(&doc).into_iter().map(|(f, _)| f).collect();
        assert_eq!(
            fields,
            [
                "seller.legal_name",
                "seller.siren",
                "seller.address",
                "customer.address",
                "customer.siren",
                "late_penalty_rate",
                "recovery_fee",
                "lines[0].description",
                "due_date",
                "vat_exemption",
            ]
        );
    }

    /// The violations of an invoice to `customer` by `seller`, complete otherwise, with
    /// `lines` and the exemption mention `vat_exemption`.
    fn refused(
        seller: &Seller,
        customer: &Customer,
        lines: &[Line],
        vat_exemption: &str,
    ) -> Vec<(String, String)> {
        missing_mentions(&Issuable {
            seller,
            customer,
            lines,
            due_date: NaiveDate::from_ymd_opt(2026, 12, 31),
            late_penalty_rate: Some(d("10")),
            recovery_fee: true,
            vat_exemption,
        })
    }

    fn fields_and_rules(refused: &[(String, String)]) -> Vec<(&str, &str)> {
        refused
            .iter()
            .map(|(field, reason)| (field.as_str(), reason.split(':').next().unwrap_or("")))
            .collect()
    }

    #[test]
    fn a_line_at_a_standard_rate_needs_the_seller_vat_number_br_s_02() {
        let seller = Seller {
            vat_number: String::new(),
            ..seller()
        };
        let lines = [line("1", "10", "0", "20"), line("1", "10", "0", "0")];
        assert_eq!(
            fields_and_rules(&refused(&seller, &professional(), &lines, "Exonération")),
            [("seller.vat_number", "BR-S-02")]
        );
        // At 0 % only (an exempt sale), no VAT number is needed.
        assert!(refused(&seller, &professional(), &lines[1..], "Exonération").is_empty());
        // A private customer gets no e-invoice: the norm's rules are not checked.
        let private = Customer {
            professional: false,
            ..professional()
        };
        assert!(refused(&seller, &private, &lines, "Exonération").is_empty());
    }

    #[test]
    fn a_reverse_charge_needs_the_seller_vat_number_and_the_buyer_vat_number_or_siren() {
        let lines = [line("1", "10", "0", "0")];
        let mention = "Autoliquidation, article 283-2 du CGI";
        let anonymous = Customer {
            vat_number: String::new(),
            siren: String::new(),
            address_country_code: "BE".into(),
            ..professional()
        };
        let no_vat = Seller {
            vat_number: String::new(),
            ..seller()
        };
        assert_eq!(
            fields_and_rules(&refused(&no_vat, &anonymous, &lines, mention)),
            [
                ("seller.vat_number", "BR-AE-02"),
                ("customer.vat_number", "BR-AE-02")
            ]
        );
        // A French buyer with its SIREN, or a buyer with its VAT number, will do.
        let french = Customer {
            vat_number: String::new(),
            ..professional()
        };
        assert!(refused(&seller(), &french, &lines, mention).is_empty());
        let with_vat = Customer {
            vat_number: "BE0403170701".into(),
            ..anonymous
        };
        assert!(refused(&seller(), &with_vat, &lines, mention).is_empty());
    }

    #[test]
    fn an_intra_community_supply_needs_both_vat_numbers_br_k_02() {
        let lines = [line("2", "50", "0", "0")];
        let mention = "Exonération de TVA, article 262 ter I du CGI";
        let german = Customer {
            siren: String::new(),
            vat_number: String::new(),
            address_postal_code: "10115".into(),
            address_city: "Berlin".into(),
            address_country_code: "DE".into(),
            ..professional()
        };
        let no_vat = Seller {
            vat_number: String::new(),
            ..seller()
        };
        let violations = refused(&no_vat, &german, &lines, mention);
        assert_eq!(
            fields_and_rules(&violations),
            [
                ("seller.vat_number", "BR-K-02"),
                ("customer.vat_number", "BR-K-02")
            ]
        );
        assert_eq!(
            violations[1].1,
            "BR-K-02: an intra-community supply needs the buyer's VAT number"
        );
        let with_vat = Customer {
            vat_number: "DE136695976".into(),
            ..german
        };
        assert!(refused(&seller(), &with_vat, &lines, mention).is_empty());
    }

    #[test]
    fn the_buyer_needs_a_country_code_br_11_and_a_postal_address_br_10() {
        let customer = Customer {
            address_country_code: String::new(),
            address_postal_code: String::new(),
            ..professional()
        };
        let violations = refused(&seller(), &customer, &[line("1", "10", "0", "20")], "");
        assert_eq!(
            fields_and_rules(&violations),
            [
                ("customer.address", "BR-10"),
                ("customer.address.country_code", "BR-11")
            ]
        );
        assert!(
            violations[0]
                .1
                .starts_with("BR-10: the buyer's postal address is required")
        );
    }

    #[test]
    fn a_private_customer_needs_no_business_mentions() {
        let seller = seller();
        let customer = Customer {
            professional: false,
            siren: String::new(),
            vat_number: String::new(),
            ..professional()
        };
        let lines = [line("1", "10", "0", "20")];
        let doc = Issuable {
            seller: &seller,
            customer: &customer,
            lines: &lines,
            due_date: NaiveDate::from_ymd_opt(2026, 12, 31),
            late_penalty_rate: None,
            recovery_fee: false,
            vat_exemption: "",
        };
        assert!(missing_mentions(&doc).is_empty());
    }

    /// A stored document of `document_type` in `status`, 100 + 20 % VAT, dated 2026-03-01.
    pub(crate) fn stored(document_type: DocumentType, status: Status) -> Document {
        let at = DateTime::<Utc>::default();
        Document {
            document_id: Uuid::nil(),
            company_id: Uuid::nil(),
            document_type: document_type.as_str().to_owned(),
            status: status.as_str().to_owned(),
            number: None,
            sequence: None,
            party_id: Uuid::nil(),
            party_kind: String::new(),
            party_name: String::new(),
            party_siren: String::new(),
            party_vat_number: String::new(),
            party_address_line1: String::new(),
            party_address_line2: String::new(),
            party_postal_code: String::new(),
            party_city: String::new(),
            party_country_code: String::new(),
            party_accounting_code: String::new(),
            document_date: day("2026-03-01"),
            due_date: None,
            currency_code: "EUR".into(),
            net_total: d("100"),
            vat_total: d("20"),
            gross_total: d("120"),
            balance_due: d("120"),
            vat_exemption: String::new(),
            late_penalty_rate: None,
            recovery_fee: false,
            notes: String::new(),
            oss: false,
            category: String::new(),
            credited_document_id: None,
            credited_number: String::new(),
            credited_date: None,
            quote_id: None,
            created_by: String::new(),
            updated_by: String::new(),
            created_at: at,
            updated_at: at,
            lines: Vec::new(),
            vat: Vec::new(),
        }
    }

    pub(crate) fn day(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn a_sent_quote_reads_as_expired_only_after_its_last_valid_day() {
        let mut quote = stored(DocumentType::Quote, Status::Sent);
        quote.due_date = Some(day("2026-03-31"));
        for (today, expected) in [
            ("2026-03-30", DocumentStatus::Sent),
            ("2026-03-31", DocumentStatus::Sent),
            ("2026-04-01", DocumentStatus::Expired),
        ] {
            assert_eq!(quote.status_on(day(today)), expected, "on {today}");
        }
        quote.due_date = None;
        assert_eq!(quote.status_on(day("2099-01-01")), DocumentStatus::Sent);
        for (status, expected) in [
            (Status::Draft, DocumentStatus::Draft),
            (Status::Accepted, DocumentStatus::Accepted),
            (Status::Refused, DocumentStatus::Refused),
        ] {
            let quote = stored(DocumentType::Quote, status);
            assert_eq!(quote.status_on(day("2026-03-01")), expected);
        }
    }

    #[test]
    fn an_issued_invoice_reads_as_paid_from_its_balance_and_a_credit_note_never_does() {
        let today = day("2026-03-01");
        let mut invoice = stored(DocumentType::Invoice, Status::Issued);
        for (balance, expected) in [
            ("120", DocumentStatus::Issued),
            ("119.99", DocumentStatus::PartiallyPaid),
            ("0.01", DocumentStatus::PartiallyPaid),
            ("0", DocumentStatus::Paid),
            ("-5", DocumentStatus::Paid),
        ] {
            invoice.balance_due = d(balance);
            assert_eq!(invoice.status_on(today), expected, "balance {balance}");
        }
        let mut credit_note = stored(DocumentType::CreditNote, Status::Issued);
        credit_note.balance_due = Decimal::ZERO;
        assert_eq!(credit_note.status_on(today), DocumentStatus::Issued);
    }

    #[test]
    fn each_status_filters_on_the_stored_status_it_derives_from() {
        let today = day("2026-03-01");
        let statuses = [
            DocumentStatus::Draft,
            DocumentStatus::Sent,
            DocumentStatus::Expired,
            DocumentStatus::Accepted,
            DocumentStatus::Refused,
            DocumentStatus::Issued,
            DocumentStatus::PartiallyPaid,
            DocumentStatus::Paid,
        ];
        let mut standings = std::collections::HashSet::new();
        for status in statuses {
            let (stored_status, standing) = status.filter(today);
            let shared = statuses
                .iter()
                .filter(|other| other.filter(today).0 == stored_status)
                .count();
            // A standing is needed exactly when the stored status is shared.
            assert_eq!(standing.is_some(), shared > 1, "{status:?}");
            assert!(
                standing.is_none() || standings.insert(standing),
                "{status:?}"
            );
        }
        assert_eq!(
            DocumentStatus::Expired.filter(today),
            (Status::Sent, Some(Standing::ExpiredOn(today)))
        );
    }

    #[test]
    fn numbers_print_prefix_year_and_six_digits() {
        let date = NaiveDate::from_ymd_opt(2026, 3, 1).unwrap();
        assert_eq!(format_number("F", true, date, 42), "F-2026-000042");
        assert_eq!(format_number("AV", false, date, 7), "AV-000007");
        assert_eq!(format_number("F", true, date, 1_234_567), "F-2026-1234567");
    }
}
