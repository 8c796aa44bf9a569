//! The Fichier des Écritures Comptables (article A47 A-1 of the Livre des procédures
//! fiscales): the fiscal year it covers (at most 24 months), its 18 columns in their
//! legal order, how a line is written (dates `YYYYMMDD`, amounts with a decimal comma and
//! no thousands separator, text without the separator) and the file's name,
//! `<SIREN>FEC<closing date>.txt`.

use chrono::{Months, NaiveDate};
use rust_decimal::Decimal;

use super::decimal_comma;

/// The columns, in their legal order.
pub(crate) const COLUMNS: [&str; 18] = [
    "JournalCode",
    "JournalLib",
    "EcritureNum",
    "EcritureDate",
    "CompteNum",
    "CompteLib",
    "CompAuxNum",
    "CompAuxLib",
    "PieceRef",
    "PieceDate",
    "EcritureLib",
    "Debit",
    "Credit",
    "EcritureLet",
    "DateLet",
    "ValidDate",
    "Montantdevise",
    "Idevise",
];

/// Longest fiscal year: 24 months.
const MAX_MONTHS: u32 = 24;

/// A fiscal year: its first day and its closing date, both included.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct FiscalYear {
    pub(crate) start: NaiveDate,
    pub(crate) closing: NaiveDate,
}

/// Why a fiscal year is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub(crate) enum FiscalYearError {
    #[error("must not be before the fiscal year's start")]
    ClosingBeforeStart,
    #[error("must be at most {MAX_MONTHS} months after the fiscal year's start")]
    LongerThan24Months,
}

impl FiscalYear {
    /// The year from `start` to `closing`; the closing date is what is refused.
    pub(crate) fn new(start: NaiveDate, closing: NaiveDate) -> Result<Self, FiscalYearError> {
        if closing < start {
            return Err(FiscalYearError::ClosingBeforeStart);
        }
        let last_allowed = start
            .checked_add_months(Months::new(MAX_MONTHS))
            .and_then(|d| d.pred_opt())
            .unwrap_or(NaiveDate::MAX);
        if closing > last_allowed {
            return Err(FiscalYearError::LongerThan24Months);
        }
        Ok(Self { start, closing })
    }
}

/// The field separator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Separator {
    Pipe,
    Tab,
}

impl Separator {
    fn char(self) -> char {
        match self {
            Separator::Pipe => '|',
            Separator::Tab => '\t',
        }
    }
}

/// One line of the file: one entry line, with its entry's facts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct FecLine {
    pub(crate) journal_code: String,
    pub(crate) journal_label: String,
    /// The entry's number, continuous per journal in date order.
    pub(crate) entry_number: i64,
    pub(crate) entry_date: NaiveDate,
    pub(crate) account_number: String,
    pub(crate) account_label: String,
    pub(crate) aux_number: String,
    pub(crate) aux_label: String,
    pub(crate) piece_ref: String,
    pub(crate) piece_date: NaiveDate,
    pub(crate) label: String,
    pub(crate) debit: Decimal,
    pub(crate) credit: Decimal,
    /// The lettering code and its date, when lettered.
    pub(crate) lettering: Option<(String, NaiveDate)>,
    pub(crate) valid_date: NaiveDate,
}

/// The file's name for a company and year.
pub(crate) fn file_name(siren: &str, year: &FiscalYear) -> String {
    format!("{siren}FEC{}.txt", year.closing.format("%Y%m%d"))
}

/// The header line, with its line end.
pub(crate) fn header(separator: Separator) -> String {
    let mut line = COLUMNS.join(&separator.char().to_string());
    line.push_str("\r\n");
    line
}

/// A date as the file writes it.
fn date(day: NaiveDate) -> String {
    day.format("%Y%m%d").to_string()
}

/// Text as the file writes it: the separator, line breaks and tabs become spaces.
fn text(value: &str, separator: Separator) -> String {
    value
        .chars()
        .map(|c| {
            if c == separator.char() || c == '\t' || c == '\r' || c == '\n' {
                ' '
            } else {
                c
            }
        })
        .collect()
}

/// Appends `line` to `out`, with its line end.
pub(crate) fn write_line(line: &FecLine, separator: Separator, out: &mut String) {
    let (code, lettered_on) = match &line.lettering {
        Some((code, day)) => (text(code, separator), date(*day)),
        None => (String::new(), String::new()),
    };
    let fields = [
        text(&line.journal_code, separator),
        text(&line.journal_label, separator),
        line.entry_number.to_string(),
        date(line.entry_date),
        text(&line.account_number, separator),
        text(&line.account_label, separator),
        text(&line.aux_number, separator),
        text(&line.aux_label, separator),
        text(&line.piece_ref, separator),
        date(line.piece_date),
        text(&line.label, separator),
        decimal_comma(line.debit),
        decimal_comma(line.credit),
        code,
        lettered_on,
        date(line.valid_date),
        String::new(),
        String::new(),
    ];
    out.push_str(&fields.join(&separator.char().to_string()));
    out.push_str("\r\n");
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn a_fiscal_year_is_at_most_24_months_and_ends_after_it_starts() {
        let start = day("2026-01-01");
        assert!(FiscalYear::new(start, day("2027-12-31")).is_ok());
        assert!(FiscalYear::new(start, start).is_ok());
        assert_eq!(
            FiscalYear::new(start, day("2028-01-01")),
            Err(FiscalYearError::LongerThan24Months)
        );
        assert_eq!(
            FiscalYear::new(start, day("2025-12-31")),
            Err(FiscalYearError::ClosingBeforeStart)
        );
    }

    #[test]
    fn a_line_is_written_in_the_legal_order_with_french_amounts() {
        let line = FecLine {
            journal_code: "VT".to_owned(),
            journal_label: "Ventes".to_owned(),
            entry_number: 3,
            entry_date: day("2026-03-01"),
            account_number: "411DUPONT".to_owned(),
            account_label: "Dupont | fils".to_owned(),
            aux_number: "DUPONT".to_owned(),
            aux_label: "Dupont".to_owned(),
            piece_ref: "F-1".to_owned(),
            piece_date: day("2026-03-01"),
            label: "Facture\nF-1".to_owned(),
            debit: Decimal::new(123456, 2),
            credit: Decimal::ZERO,
            lettering: Some(("AA".to_owned(), day("2026-04-02"))),
            valid_date: day("2026-03-01"),
        };
        let mut out = String::new();
        write_line(&line, Separator::Pipe, &mut out);
        assert_eq!(
            out,
            "VT|Ventes|3|20260301|411DUPONT|Dupont   fils|DUPONT|Dupont|F-1|20260301|Facture F-1\
             |1234,56|0,00|AA|20260402|20260301||\r\n"
        );
        assert_eq!(header(Separator::Tab).split('\t').count(), 18);
        let year = FiscalYear::new(day("2026-01-01"), day("2026-12-31")).unwrap();
        assert_eq!(file_name("732829320", &year), "732829320FEC20261231.txt");
    }
}
