//! An independent checker of a Fichier des Écritures Comptables, written from article
//! A47 A-1 of the Livre des procédures fiscales and the administration's notice, without
//! any of the generator's code: the file's name, the 18 columns in their order, one
//! separator (`|` or tab), dates as `AAAAMMJJ` inside the fiscal year, amounts with a
//! decimal comma and no thousands separator, mandatory fields filled, one side of each
//! line, balanced entries, entry numbers continuous per journal in date order, and
//! lettered lines that balance.

use std::collections::BTreeMap;

use chrono::NaiveDate;

/// The columns in their legal order.
const COLUMNS: [&str; 18] = [
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

/// One line of the file, its amounts in cents.
#[derive(Debug, Clone)]
pub(crate) struct Line {
    pub(crate) journal: String,
    pub(crate) number: u64,
    pub(crate) date: NaiveDate,
    pub(crate) account: String,
    pub(crate) piece: String,
    pub(crate) debit: i64,
    pub(crate) credit: i64,
    pub(crate) lettering: String,
    pub(crate) lettered_on: Option<NaiveDate>,
}

/// What a valid file holds.
#[derive(Debug)]
pub(crate) struct Checked {
    pub(crate) lines: Vec<Line>,
}

impl Checked {
    /// Credit less debit of the accounts starting with `prefix`, in cents.
    pub(crate) fn balance(&self, prefix: &str) -> i64 {
        self.lines
            .iter()
            .filter(|l| l.account.starts_with(prefix))
            .map(|l| l.credit - l.debit)
            .sum()
    }
}

/// "1234,56" in cents; None unless digits, optionally a comma and one or two digits.
fn cents(text: &str) -> Option<i64> {
    let (units, decimals) = text.split_once(',').unwrap_or((text, ""));
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    if !digits(units) || (text.contains(',') && (!digits(decimals) || decimals.len() > 2)) {
        return None;
    }
    let units: i64 = units.parse().ok()?;
    let decimals: i64 = format!("{decimals:0<2}").parse().ok()?;
    Some(units * 100 + decimals)
}

/// "AAAAMMJJ" as a date.
fn date(text: &str) -> Option<NaiveDate> {
    (text.len() == 8)
        .then(|| NaiveDate::parse_from_str(text, "%Y%m%d").ok())
        .flatten()
}

/// Checks `file` named `name` for the fiscal year `start`..=`closing` of `siren`;
/// every breach found, or the lines.
pub(crate) fn check(
    name: &str,
    file: &[u8],
    siren: &str,
    start: NaiveDate,
    closing: NaiveDate,
) -> Result<Checked, Vec<String>> {
    let mut errors = Vec::new();
    let expected_name = format!("{siren}FEC{}.txt", closing.format("%Y%m%d"));
    if name != expected_name {
        errors.push(format!("file name {name} should be {expected_name}"));
    }
    let Ok(text) = std::str::from_utf8(file) else {
        return Err(vec!["the file is not UTF-8".to_owned()]);
    };
    let mut rows = text.lines();
    let header = rows.next().unwrap_or_default();
    let separator = if header.contains('\t') { '\t' } else { '|' };
    let names: Vec<&str> = header.split(separator).collect();
    if names != COLUMNS {
        errors.push(format!(
            "header {header:?} is not the 18 columns in their order"
        ));
    }
    let mut lines = Vec::new();
    for (index, row) in rows.enumerate() {
        let at = index + 2;
        let fields: Vec<&str> = row.split(separator).collect();
        if fields.len() != 18 {
            errors.push(format!("line {at}: {} fields instead of 18", fields.len()));
            continue;
        }
        for (column, value) in COLUMNS.iter().zip(&fields) {
            let optional = matches!(
                *column,
                "CompAuxNum"
                    | "CompAuxLib"
                    | "EcritureLet"
                    | "DateLet"
                    | "Montantdevise"
                    | "Idevise"
            );
            if !optional && value.trim().is_empty() {
                errors.push(format!("line {at}: {column} is empty"));
            }
        }
        if fields[6].is_empty() != fields[7].is_empty() {
            errors.push(format!("line {at}: CompAuxNum and CompAuxLib go together"));
        }
        if fields[13].is_empty() != fields[14].is_empty() {
            errors.push(format!("line {at}: EcritureLet and DateLet go together"));
        }
        let account = fields[4];
        if account.len() < 3
            || !account[..3].bytes().all(|b| b.is_ascii_digit())
            || account.starts_with('0')
        {
            errors.push(format!(
                "line {at}: CompteNum {account} is not a plan comptable account"
            ));
        }
        let mut day = |column: usize| -> Option<NaiveDate> {
            let parsed = date(fields[column]);
            if parsed.is_none() {
                errors.push(format!(
                    "line {at}: {} {:?} is not AAAAMMJJ",
                    COLUMNS[column], fields[column]
                ));
            }
            parsed
        };
        let (entry_date, _, valid_date) = (day(3), day(9), day(15));
        let lettered_on = if fields[14].is_empty() { None } else { day(14) };
        for (column, value) in [(3, entry_date), (15, valid_date), (14, lettered_on)] {
            if let Some(value) = value
                && (value < start || value > closing)
            {
                errors.push(format!(
                    "line {at}: {} {value} is outside the fiscal year",
                    COLUMNS[column]
                ));
            }
        }
        let mut amount = |column: usize| -> i64 {
            cents(fields[column]).unwrap_or_else(|| {
                errors.push(format!(
                    "line {at}: {} {:?} is not an amount like 1234,56",
                    COLUMNS[column], fields[column]
                ));
                0
            })
        };
        let (debit, credit) = (amount(11), amount(12));
        if (debit == 0) == (credit == 0) {
            errors.push(format!(
                "line {at}: exactly one of Debit and Credit must be set"
            ));
        }
        let Ok(number) = fields[2].parse::<u64>() else {
            errors.push(format!(
                "line {at}: EcritureNum {:?} is not a number",
                fields[2]
            ));
            continue;
        };
        lines.push(Line {
            journal: fields[0].to_owned(),
            number,
            date: entry_date.unwrap_or(start),
            account: account.to_owned(),
            piece: fields[8].to_owned(),
            debit,
            credit,
            lettering: fields[13].to_owned(),
            lettered_on,
        });
    }
    // Entries: balanced, one date and one piece each; numbers continuous per journal
    // and in date order.
    let mut entries: BTreeMap<(&str, u64), Vec<&Line>> = BTreeMap::new();
    for line in &lines {
        entries
            .entry((&line.journal, line.number))
            .or_default()
            .push(line);
    }
    let mut previous: Option<(&str, u64, NaiveDate)> = None;
    for ((journal, number), entry) in &entries {
        let (debit, credit) = entry
            .iter()
            .fold((0, 0), |(d, c), l| (d + l.debit, c + l.credit));
        if debit != credit {
            errors.push(format!(
                "entry {journal} {number}: debit {debit} ≠ credit {credit}"
            ));
        }
        if entry
            .iter()
            .any(|l| l.date != entry[0].date || l.piece != entry[0].piece)
        {
            errors.push(format!(
                "entry {journal} {number}: its lines differ in date or piece"
            ));
        }
        match previous {
            Some((last_journal, last, last_date)) if last_journal == *journal => {
                if *number != last + 1 {
                    errors.push(format!("journal {journal}: entry {number} follows {last}"));
                }
                if entry[0].date < last_date {
                    errors.push(format!(
                        "journal {journal}: entry {number} is dated before entry {last}"
                    ));
                }
            }
            _ if *number != 1 => errors.push(format!("journal {journal} starts at {number}")),
            _ => {}
        }
        previous = Some((journal, *number, entry[0].date));
    }
    let mut lettered: BTreeMap<(&str, &str), i64> = BTreeMap::new();
    for line in lines.iter().filter(|l| !l.lettering.is_empty()) {
        *lettered
            .entry((&line.account, &line.lettering))
            .or_default() += line.debit - line.credit;
    }
    for ((account, code), balance) in lettered {
        if balance != 0 {
            errors.push(format!(
                "lettering {code} on {account} does not balance ({balance})"
            ));
        }
    }
    if errors.is_empty() {
        Ok(Checked { lines })
    } else {
        Err(errors)
    }
}
