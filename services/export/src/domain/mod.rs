//! Export's types and rules, free of I/O, proto and SQL: the seller profile exports
//! print ([`profile`]), the accounting settings and account resolution ([`settings`]),
//! the double-entry entries of documents and payments ([`ledger`]), lettering
//! ([`lettering`]), the FEC's format ([`fec`]), the reports read from the ledger
//! ([`reports`]) and those read from the documents and payments kept beside it
//! ([`documents`]: settlement, ageing, OSS); the invoice PDF ([`pdf`]), its e-invoice
//! ([`einvoice`]: CII, UBL, Factur-X) and a report as a PDF table ([`report_pdf`]); export jobs'
//! states and progress ([`jobs`]).

pub(crate) mod documents;
pub(crate) mod einvoice;
pub(crate) mod fec;
pub(crate) mod jobs;
pub(crate) mod ledger;
pub(crate) mod lettering;
pub(crate) mod pdf;
pub(crate) mod profile;
pub(crate) mod report_pdf;
pub(crate) mod reports;
pub(crate) mod settings;

use rust_decimal::Decimal;

/// An amount as French files write it: two decimals, a decimal comma, no thousands
/// separator ("1234,50", "-12,00").
pub(crate) fn decimal_comma(value: Decimal) -> String {
    comptoir_domain_types::amount::format(value, 2).replace('.', ",")
}

/// A VAT rate as French labels and files write it: "20", "5,5".
pub(crate) fn rate_comma(rate: Decimal) -> String {
    rate.normalize().to_string().replace('.', ",")
}
