//! The double-entry projection: billing's documents and payments as export understands
//! them, and the one accounting entry each becomes. An invoice debits the customer
//! (gross) and credits revenue per VAT rate and goods/services (net) and collected VAT
//! per rate; a credit note is the reverse; a payment received debits the bank and credits
//! the customer, one line per document it settles; a purchase invoice debits expense and
//! deductible VAT per rate and credits the supplier; a payment made is the reverse. An
//! entry that does not balance to the cent is refused ([`Unbalanced`]), never stored.
//!
//! Lines carry a [`Role`], not an account: the accounts come from the company's settings
//! in force when the event happened ([`super::settings`]), resolved when the entry is
//! stored, and again if settings for that time arrive later.

use std::cmp::Reverse;

use chrono::NaiveDate;
use rust_decimal::Decimal;
use uuid::Uuid;

/// The journals entries go to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum JournalKind {
    Sales,
    Purchases,
    Bank,
}

impl JournalKind {
    /// As stored.
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            JournalKind::Sales => "sales",
            JournalKind::Purchases => "purchases",
            JournalKind::Bank => "bank",
        }
    }

    /// From its stored text (the table's CHECK keeps it one of the three).
    pub(crate) fn from_stored(text: &str) -> Self {
        match text {
            "purchases" => JournalKind::Purchases,
            "bank" => JournalKind::Bank,
            _ => JournalKind::Sales,
        }
    }
}

/// Goods or services: which revenue account a sale goes to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Supply {
    Goods,
    Services,
}

impl Supply {
    /// As stored and as events carry it.
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Supply::Goods => "goods",
            Supply::Services => "services",
        }
    }

    /// From an event's or the store's text: "goods", else services (billing's lines say
    /// nothing when the item's kind is unknown, and a service is the common case).
    pub(crate) fn from_text(text: &str) -> Self {
        match text {
            "goods" => Supply::Goods,
            _ => Supply::Services,
        }
    }
}

/// What an entry line stands for; the settings turn it into an account.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Role {
    Customer,
    Supplier,
    Bank,
    Revenue { rate: Decimal, supply: Supply },
    CollectedVat { rate: Decimal },
    Expense { rate: Decimal },
    DeductibleVat { rate: Decimal },
}

impl Role {
    /// As stored: its name, the VAT rate and the supply, when it has them.
    pub(crate) fn stored(self) -> (&'static str, Option<Decimal>, Option<&'static str>) {
        match self {
            Role::Customer => ("customer", None, None),
            Role::Supplier => ("supplier", None, None),
            Role::Bank => ("bank", None, None),
            Role::Revenue { rate, supply } => ("revenue", Some(rate), Some(supply.as_str())),
            Role::CollectedVat { rate } => ("collected_vat", Some(rate), None),
            Role::Expense { rate } => ("expense", Some(rate), None),
            Role::DeductibleVat { rate } => ("deductible_vat", Some(rate), None),
        }
    }

    /// From what [`Role::stored`] wrote; None for anything else.
    pub(crate) fn from_stored(
        name: &str,
        rate: Option<Decimal>,
        supply: Option<&str>,
    ) -> Option<Self> {
        Some(match name {
            "customer" => Role::Customer,
            "supplier" => Role::Supplier,
            "bank" => Role::Bank,
            "revenue" => Role::Revenue {
                rate: rate?,
                supply: Supply::from_text(supply?),
            },
            "collected_vat" => Role::CollectedVat { rate: rate? },
            "expense" => Role::Expense { rate: rate? },
            "deductible_vat" => Role::DeductibleVat { rate: rate? },
            _ => return None,
        })
    }
}

/// The customer or supplier of an entry.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub(crate) struct PartyRef {
    /// Billing's id; None when the event named none.
    pub(crate) party_id: Option<Uuid>,
    /// Its ledger code (billing's `accounting_code`); may be empty.
    pub(crate) code: String,
    /// Its name.
    pub(crate) name: String,
}

/// The documents that become entries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum DocumentKind {
    Invoice,
    CreditNote,
    PurchaseInvoice,
}

/// One line of a document: what the entry needs of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct DocumentLine {
    pub(crate) vat_rate: Decimal,
    pub(crate) supply: Supply,
    pub(crate) net_amount: Decimal,
}

/// The VAT of one rate on a document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct VatAmount {
    pub(crate) rate: Decimal,
    pub(crate) taxable_amount: Decimal,
    pub(crate) vat_amount: Decimal,
}

/// An issued invoice or credit note, or a recorded purchase invoice. Amounts are
/// positive; the kind says which way they go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Document {
    pub(crate) document_id: Uuid,
    pub(crate) kind: DocumentKind,
    pub(crate) number: String,
    pub(crate) date: NaiveDate,
    pub(crate) party: PartyRef,
    pub(crate) lines: Vec<DocumentLine>,
    pub(crate) vat: Vec<VatAmount>,
    pub(crate) gross_total: Decimal,
}

/// Money in or out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Direction {
    Received,
    Paid,
}

/// The part of a payment settling one document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Allocation {
    pub(crate) document_id: Uuid,
    pub(crate) document_number: String,
    pub(crate) amount: Decimal,
}

/// A payment received from a customer or made to a supplier.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Payment {
    pub(crate) payment_id: Uuid,
    pub(crate) direction: Direction,
    pub(crate) date: NaiveDate,
    pub(crate) amount: Decimal,
    pub(crate) reference: String,
    pub(crate) party: PartyRef,
    pub(crate) allocations: Vec<Allocation>,
}

/// What an entry was made from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Source {
    Invoice,
    CreditNote,
    PurchaseInvoice,
    PaymentReceived,
    PaymentPaid,
}

impl Source {
    /// As stored.
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Source::Invoice => "invoice",
            Source::CreditNote => "credit_note",
            Source::PurchaseInvoice => "purchase_invoice",
            Source::PaymentReceived => "payment_received",
            Source::PaymentPaid => "payment_paid",
        }
    }
}

/// One line of an entry: exactly one of debit and credit is not zero.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct EntryLine {
    pub(crate) role: Role,
    pub(crate) debit: Decimal,
    pub(crate) credit: Decimal,
    /// On a customer or supplier line: the document it belongs to or settles, which
    /// lettering matches on.
    pub(crate) document_id: Option<Uuid>,
}

/// A balanced accounting entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Entry {
    /// The document's or payment's id: one entry each.
    pub(crate) entry_id: Uuid,
    pub(crate) source: Source,
    pub(crate) journal: JournalKind,
    pub(crate) date: NaiveDate,
    /// The piece it is posted from (`PieceRef`) and its date.
    pub(crate) piece_ref: String,
    pub(crate) piece_date: NaiveDate,
    /// What it is (`EcritureLib`).
    pub(crate) label: String,
    pub(crate) party: PartyRef,
    pub(crate) lines: Vec<EntryLine>,
}

/// An entry whose debits and credits differ: the event contradicts itself.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("entry {entry_id} does not balance: debit {debit}, credit {credit}")]
pub(crate) struct Unbalanced {
    pub(crate) entry_id: Uuid,
    pub(crate) debit: Decimal,
    pub(crate) credit: Decimal,
}

/// A line debiting `amount` when `debit`, else crediting it.
fn line(role: Role, amount: Decimal, debit: bool, document_id: Option<Uuid>) -> EntryLine {
    let (debit, credit) = if debit {
        (amount, Decimal::ZERO)
    } else {
        (Decimal::ZERO, amount)
    };
    EntryLine {
        role,
        debit,
        credit,
        document_id,
    }
}

/// Sums of `amount` per key, in key order.
fn sums<K: Ord>(
    items: impl IntoIterator<Item = (K, Decimal)>,
) -> std::collections::BTreeMap<K, Decimal> {
    let mut sums = std::collections::BTreeMap::new();
    for (key, amount) in items {
        *sums.entry(key).or_insert(Decimal::ZERO) += amount;
    }
    sums
}

/// The entry of a document. An invoice (and a purchase invoice, from the supplier's
/// side) posts the party's gross against net per rate and VAT per rate; a credit note
/// posts the invoice's lines the other way.
pub(crate) fn document_entry(document: &Document) -> Result<Entry, Unbalanced> {
    let id = Some(document.document_id);
    // Rates from the highest down, goods before services within a rate.
    let vat = sums(document.vat.iter().map(|v| (Reverse(v.rate), v.vat_amount)));
    let mut lines = Vec::new();
    let (source, journal, what) = match document.kind {
        DocumentKind::Invoice | DocumentKind::CreditNote => {
            // An invoice debits the customer; a credit note credits it.
            let invoice = document.kind == DocumentKind::Invoice;
            lines.push(line(Role::Customer, document.gross_total, invoice, id));
            let nets = sums(
                document
                    .lines
                    .iter()
                    .map(|l| ((Reverse(l.vat_rate), l.supply), l.net_amount)),
            );
            for ((Reverse(rate), supply), net) in nets {
                lines.push(line(Role::Revenue { rate, supply }, net, !invoice, None));
            }
            for (Reverse(rate), amount) in vat {
                lines.push(line(Role::CollectedVat { rate }, amount, !invoice, None));
            }
            if invoice {
                (Source::Invoice, JournalKind::Sales, "Facture")
            } else {
                (Source::CreditNote, JournalKind::Sales, "Avoir")
            }
        }
        DocumentKind::PurchaseInvoice => {
            let nets = sums(
                document
                    .lines
                    .iter()
                    .map(|l| (Reverse(l.vat_rate), l.net_amount)),
            );
            for (Reverse(rate), net) in nets {
                lines.push(line(Role::Expense { rate }, net, true, None));
            }
            for (Reverse(rate), amount) in vat {
                lines.push(line(Role::DeductibleVat { rate }, amount, true, None));
            }
            lines.push(line(Role::Supplier, document.gross_total, false, id));
            (
                Source::PurchaseInvoice,
                JournalKind::Purchases,
                "Facture fournisseur",
            )
        }
    };
    balanced(Entry {
        entry_id: document.document_id,
        source,
        journal,
        date: document.date,
        piece_ref: document.number.clone(),
        piece_date: document.date,
        label: format!("{what} {} {}", document.number, document.party.name),
        party: document.party.clone(),
        lines,
    })
}

/// The entry of a payment: the bank against the party, one party line per document
/// settled (and one for what no document takes, if any).
pub(crate) fn payment_entry(payment: &Payment) -> Result<Entry, Unbalanced> {
    let (party_role, received) = match payment.direction {
        Direction::Received => (Role::Customer, true),
        Direction::Paid => (Role::Supplier, false),
    };
    let mut lines = vec![line(Role::Bank, payment.amount, received, None)];
    let mut allocated = Decimal::ZERO;
    for allocation in &payment.allocations {
        allocated += allocation.amount;
        lines.push(line(
            party_role,
            allocation.amount,
            !received,
            Some(allocation.document_id),
        ));
    }
    if payment.amount != allocated {
        lines.push(line(
            party_role,
            payment.amount - allocated,
            !received,
            None,
        ));
    }
    let numbers: Vec<&str> = payment
        .allocations
        .iter()
        .map(|a| a.document_number.as_str())
        .filter(|n| !n.is_empty())
        .collect();
    let piece_ref = if !payment.reference.is_empty() {
        payment.reference.clone()
    } else if !numbers.is_empty() {
        numbers.join(" ")
    } else {
        payment.payment_id.to_string()
    };
    let (source, what) = if received {
        (Source::PaymentReceived, "Règlement reçu")
    } else {
        (Source::PaymentPaid, "Règlement fournisseur")
    };
    balanced(Entry {
        entry_id: payment.payment_id,
        source,
        journal: JournalKind::Bank,
        date: payment.date,
        piece_ref,
        piece_date: payment.date,
        label: format!("{what} {} {}", payment.party.name, numbers.join(" "))
            .trim_end()
            .to_owned(),
        party: payment.party.clone(),
        lines,
    })
}

/// `entry` without its zero lines, if its debits equal its credits.
fn balanced(mut entry: Entry) -> Result<Entry, Unbalanced> {
    entry
        .lines
        .retain(|l| !(l.debit.is_zero() && l.credit.is_zero()));
    let debit: Decimal = entry.lines.iter().map(|l| l.debit).sum();
    let credit: Decimal = entry.lines.iter().map(|l| l.credit).sum();
    if debit != credit
        || entry
            .lines
            .iter()
            .any(|l| l.debit.is_sign_negative() || l.credit.is_sign_negative())
    {
        return Err(Unbalanced {
            entry_id: entry.entry_id,
            debit,
            credit,
        });
    }
    Ok(entry)
}

#[cfg(test)]
mod tests {
    use std::str::FromStr;

    use super::*;

    fn d(s: &str) -> Decimal {
        Decimal::from_str(s).unwrap()
    }

    fn day(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    fn customer() -> PartyRef {
        PartyRef {
            party_id: Some(Uuid::nil()),
            code: "DUPONT".to_owned(),
            name: "Dupont".to_owned(),
        }
    }

    fn invoice(kind: DocumentKind) -> Document {
        let l = |rate: &str, supply, net: &str| DocumentLine {
            vat_rate: d(rate),
            supply,
            net_amount: d(net),
        };
        let v = |rate: &str, base: &str, vat: &str| VatAmount {
            rate: d(rate),
            taxable_amount: d(base),
            vat_amount: d(vat),
        };
        Document {
            document_id: Uuid::now_v7(),
            kind,
            number: "F-2026-0001".to_owned(),
            date: day("2026-03-01"),
            party: customer(),
            lines: vec![
                l("20", Supply::Goods, "100.00"),
                l("20", Supply::Services, "50.00"),
                l("20", Supply::Goods, "10.00"),
                l("5.5", Supply::Goods, "33.33"),
                l("0", Supply::Services, "40.00"),
            ],
            vat: vec![
                v("20", "160.00", "32.00"),
                v("5.5", "33.33", "1.83"),
                v("0", "40.00", "0.00"),
            ],
            gross_total: d("267.16"),
        }
    }

    fn amounts(entry: &Entry) -> Vec<(Role, Decimal, Decimal)> {
        entry
            .lines
            .iter()
            .map(|l| (l.role, l.debit, l.credit))
            .collect()
    }

    #[test]
    fn an_invoice_debits_the_customer_and_credits_revenue_and_vat_per_rate() {
        let document = invoice(DocumentKind::Invoice);
        let entry = document_entry(&document).unwrap();
        let z = Decimal::ZERO;
        assert_eq!(
            amounts(&entry),
            [
                (Role::Customer, d("267.16"), z),
                (
                    Role::Revenue {
                        rate: d("20"),
                        supply: Supply::Goods
                    },
                    z,
                    d("110.00")
                ),
                (
                    Role::Revenue {
                        rate: d("20"),
                        supply: Supply::Services
                    },
                    z,
                    d("50.00")
                ),
                (
                    Role::Revenue {
                        rate: d("5.5"),
                        supply: Supply::Goods
                    },
                    z,
                    d("33.33")
                ),
                (
                    Role::Revenue {
                        rate: d("0"),
                        supply: Supply::Services
                    },
                    z,
                    d("40.00")
                ),
                (Role::CollectedVat { rate: d("20") }, z, d("32.00")),
                (Role::CollectedVat { rate: d("5.5") }, z, d("1.83")),
            ]
        );
        assert_eq!(entry.lines[0].document_id, Some(document.document_id));
        assert_eq!(
            (entry.journal, entry.source),
            (JournalKind::Sales, Source::Invoice)
        );
        assert_eq!(entry.label, "Facture F-2026-0001 Dupont");
    }

    #[test]
    fn a_credit_note_is_the_invoice_reversed() {
        let invoice_entry = document_entry(&invoice(DocumentKind::Invoice)).unwrap();
        let credit_entry = document_entry(&invoice(DocumentKind::CreditNote)).unwrap();
        let swapped: Vec<_> = amounts(&invoice_entry)
            .into_iter()
            .map(|(role, debit, credit)| (role, credit, debit))
            .collect();
        assert_eq!(amounts(&credit_entry), swapped);
        assert_eq!(credit_entry.source, Source::CreditNote);
    }

    #[test]
    fn a_purchase_invoice_debits_expense_and_deductible_vat_and_credits_the_supplier() {
        let mut document = invoice(DocumentKind::PurchaseInvoice);
        document.lines.truncate(3);
        document.vat.truncate(1);
        document.gross_total = d("192.00");
        let entry = document_entry(&document).unwrap();
        let z = Decimal::ZERO;
        assert_eq!(
            amounts(&entry),
            [
                (Role::Expense { rate: d("20") }, d("160.00"), z),
                (Role::DeductibleVat { rate: d("20") }, d("32.00"), z),
                (Role::Supplier, z, d("192.00")),
            ]
        );
        assert_eq!(entry.journal, JournalKind::Purchases);
    }

    #[test]
    fn a_document_whose_totals_disagree_is_refused() {
        let mut document = invoice(DocumentKind::Invoice);
        document.gross_total = d("267.17");
        let refused = document_entry(&document).unwrap_err();
        assert_eq!((refused.debit, refused.credit), (d("267.17"), d("267.16")));
    }

    #[test]
    fn a_payment_credits_the_customer_once_per_document_it_settles() {
        let (first, second) = (Uuid::now_v7(), Uuid::now_v7());
        let allocation = |document_id, number: &str, amount: &str| Allocation {
            document_id,
            document_number: number.to_owned(),
            amount: d(amount),
        };
        let payment = Payment {
            payment_id: Uuid::now_v7(),
            direction: Direction::Received,
            date: day("2026-04-02"),
            amount: d("150.00"),
            reference: String::new(),
            party: customer(),
            allocations: vec![
                allocation(first, "F-1", "100.00"),
                allocation(second, "F-2", "30.00"),
            ],
        };
        let entry = payment_entry(&payment).unwrap();
        let z = Decimal::ZERO;
        assert_eq!(
            amounts(&entry),
            [
                (Role::Bank, d("150.00"), z),
                (Role::Customer, z, d("100.00")),
                (Role::Customer, z, d("30.00")),
                (Role::Customer, z, d("20.00")),
            ]
        );
        let settles: Vec<_> = entry.lines.iter().map(|l| l.document_id).collect();
        assert_eq!(settles, [None, Some(first), Some(second), None]);
        assert_eq!(entry.piece_ref, "F-1 F-2");

        let made = payment_entry(&Payment {
            direction: Direction::Paid,
            amount: d("130.00"),
            reference: "VIR-7".to_owned(),
            ..payment
        })
        .unwrap();
        assert_eq!(
            amounts(&made),
            [
                (Role::Bank, z, d("130.00")),
                (Role::Supplier, d("100.00"), z),
                (Role::Supplier, d("30.00"), z),
            ]
        );
        assert_eq!(
            (made.piece_ref.as_str(), made.source),
            ("VIR-7", Source::PaymentPaid)
        );
    }

    #[test]
    fn roles_survive_the_store() {
        for role in [
            Role::Customer,
            Role::Revenue {
                rate: d("5.5"),
                supply: Supply::Goods,
            },
            Role::DeductibleVat { rate: d("20") },
        ] {
            let (name, rate, supply) = role.stored();
            assert_eq!(Role::from_stored(name, rate, supply), Some(role));
        }
    }
}
