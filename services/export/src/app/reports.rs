//! The reports read from the ledger: `ExportSalesJournal` as a CSV file (UTF-8 with a
//! byte order mark, `;`, decimal comma: what French spreadsheets open; streamed as the
//! rows come) or an XLSX workbook (numbers as numbers, dates as dates, totals as
//! formulas), and `VatRegister`.

use chrono::{Datelike, NaiveDate};
use futures::StreamExt;
use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;
use rust_xlsxwriter::{ExcelDateTime, Format, Formula, Workbook, Worksheet, XlsxError};
use sqlx::PgPool;
use uuid::Uuid;

use super::files::{self, ChunkSink, File};
use crate::domain::reports::{self, Period, RateTotals, SalesRow, Totals, VatRegister};
use crate::domain::{decimal_comma, rate_comma};
use crate::error::Error;
use crate::store;

/// A spreadsheet's file format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum FileFormat {
    Csv,
    Xlsx,
}

/// The sales journal asked for.
#[derive(Debug, Clone)]
pub(crate) struct SalesJournal {
    pub(crate) company_id: Uuid,
    pub(crate) period: Period,
    /// Invoices, credit notes, or both.
    pub(crate) invoices: bool,
    pub(crate) credit_notes: bool,
    /// Only this customer's documents.
    pub(crate) party_id: Option<Uuid>,
    pub(crate) format: FileFormat,
}

/// The journal's columns.
const COLUMNS: [&str; 8] = [
    "Date", "Numéro", "Type", "Client", "Taux TVA", "HT", "TVA", "TTC",
];

/// `ExportSalesJournal`: the file, named after the period.
pub(crate) fn sales_journal(pool: &PgPool, journal: SalesJournal) -> File {
    let stem = format!(
        "journal-des-ventes-{}-{}",
        journal.period.start.format("%Y%m%d"),
        journal.period.end.format("%Y%m%d")
    );
    let (name, content_type) = match journal.format {
        FileFormat::Csv => (format!("{stem}.csv"), "text/csv; charset=utf-8"),
        FileFormat::Xlsx => (
            format!("{stem}.xlsx"),
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        ),
    };
    let pool = pool.clone();
    files::stream(name, content_type, move |sink| {
        write_journal(pool, journal, sink)
    })
}

/// Reads the journal's rows in one transaction and writes them, then the totals.
async fn write_journal(
    pool: PgPool,
    journal: SalesJournal,
    mut sink: ChunkSink,
) -> Result<ChunkSink, Error> {
    let sources: Vec<&str> = [
        (journal.invoices, "invoice"),
        (journal.credit_notes, "credit_note"),
    ]
    .into_iter()
    .filter_map(|(wanted, source)| wanted.then_some(source))
    .collect();
    let mut out = match journal.format {
        FileFormat::Csv => Out::Csv,
        FileFormat::Xlsx => Out::Xlsx(Box::new(Workbook::new())),
    };
    out.header(&mut sink).await?;
    let (mut totals, mut count) = (Totals::default(), 0u32);
    let mut tx = store::begin(&pool, journal.company_id).await?;
    {
        let mut rows = store::reports::sales_rows(
            &mut tx,
            journal.company_id,
            &journal.period,
            &sources,
            journal.party_id,
        );
        while let Some(row) = rows.next().await {
            let row = row?;
            count += 1;
            totals.add(&row.amounts);
            out.row(&mut sink, count, row).await?;
        }
    }
    tx.commit().await?;
    out.totals(&mut sink, count, &totals).await?;
    Ok(sink)
}

/// Where the journal is written: CSV records go out as they come; the workbook is
/// built in memory (an XLSX file is a zip whose parts are written at the end) and sent
/// once complete.
enum Out {
    Csv,
    Xlsx(Box<Workbook>),
}

impl Out {
    async fn header(&mut self, sink: &mut ChunkSink) -> Result<(), Error> {
        match self {
            Out::Csv => {
                sink.write("\u{feff}".as_bytes()).await?;
                let header: Vec<String> = COLUMNS.iter().map(|c| (*c).to_owned()).collect();
                sink.write(&csv_record(&header)?).await
            }
            Out::Xlsx(workbook) => {
                let sheet = workbook.add_worksheet();
                sheet.set_name("Journal des ventes")?;
                for (col, name) in (0u16..).zip(COLUMNS) {
                    sheet.write_string_with_format(0, col, name, &Format::new().set_bold())?;
                }
                Ok(())
            }
        }
    }

    /// Writes the `count`-th row.
    async fn row(&mut self, sink: &mut ChunkSink, count: u32, row: SalesRow) -> Result<(), Error> {
        match self {
            Out::Csv => {
                let mut fields = vec![
                    row.date.format("%d/%m/%Y").to_string(),
                    row.number,
                    kind(row.credit_note).to_owned(),
                    row.customer,
                ];
                fields.extend(csv_amounts(&row.amounts));
                sink.write(&csv_record(&fields)?).await
            }
            Out::Xlsx(workbook) => Ok(xlsx_row(workbook.worksheet_from_index(0)?, count, &row)?),
        }
    }

    /// Writes the totals below the `count` rows, and the workbook.
    async fn totals(self, sink: &mut ChunkSink, count: u32, totals: &Totals) -> Result<(), Error> {
        match self {
            Out::Csv => {
                for rate in totals.by_rate() {
                    let mut fields = vec![
                        String::new(),
                        String::new(),
                        String::new(),
                        format!("Total {} %", rate_comma(rate.rate)),
                    ];
                    fields.extend(csv_amounts(&rate));
                    sink.write(&csv_record(&fields)?).await?;
                }
                let mut fields = vec![String::new(); 3];
                fields.extend(["Total".to_owned(), String::new()]);
                fields.extend(csv_amounts(&totals.all()).into_iter().skip(1));
                sink.write(&csv_record(&fields)?).await
            }
            Out::Xlsx(mut workbook) => {
                xlsx_totals(workbook.worksheet_from_index(0)?, count, totals)?;
                let bytes = workbook.save_to_buffer()?;
                sink.write(&bytes).await
            }
        }
    }
}

/// One CSV record, with its line end.
fn csv_record(fields: &[String]) -> Result<Vec<u8>, Error> {
    let mut writer = csv::WriterBuilder::new()
        .delimiter(b';')
        .terminator(csv::Terminator::CRLF)
        .from_writer(Vec::new());
    writer.write_record(fields)?;
    writer
        .into_inner()
        .map_err(|err| Error::from(csv::Error::from(err.into_error())))
}

/// The CSV amounts of `amounts`: rate, net, VAT, gross.
fn csv_amounts(amounts: &RateTotals) -> [String; 4] {
    [
        rate_comma(amounts.rate),
        decimal_comma(amounts.net),
        decimal_comma(amounts.vat),
        decimal_comma(amounts.gross()),
    ]
}

/// "Facture" or "Avoir".
fn kind(credit_note: bool) -> &'static str {
    if credit_note { "Avoir" } else { "Facture" }
}

/// A decimal as a spreadsheet number.
fn number(value: Decimal) -> f64 {
    value.to_f64().unwrap_or_default()
}

/// A date as a spreadsheet date.
fn excel_date(day: NaiveDate) -> Result<ExcelDateTime, XlsxError> {
    ExcelDateTime::from_ymd(
        u16::try_from(day.year()).unwrap_or_default(),
        u8::try_from(day.month()).unwrap_or_default(),
        u8::try_from(day.day()).unwrap_or_default(),
    )
}

fn money() -> Format {
    Format::new().set_num_format("#,##0.00")
}

fn xlsx_row(sheet: &mut Worksheet, at: u32, row: &SalesRow) -> Result<(), XlsxError> {
    sheet.write_datetime_with_format(
        at,
        0,
        &excel_date(row.date)?,
        &Format::new().set_num_format("dd/mm/yyyy"),
    )?;
    sheet.write_string(at, 1, &row.number)?;
    sheet.write_string(at, 2, kind(row.credit_note))?;
    sheet.write_string(at, 3, &row.customer)?;
    sheet.write_number(at, 4, number(row.amounts.rate))?;
    let money = money();
    sheet.write_number_with_format(at, 5, number(row.amounts.net), &money)?;
    sheet.write_number_with_format(at, 6, number(row.amounts.vat), &money)?;
    sheet.write_formula_with_format(
        at,
        7,
        Formula::new(format!("=F{line}+G{line}", line = at + 1))
            .set_result(row.amounts.gross().to_string()),
        &money,
    )?;
    Ok(())
}

/// Below the rows: one total per rate (SUMIF on the rate column) and the grand total
/// (SUM), each as a formula with its value cached for readers that do not calculate.
fn xlsx_totals(sheet: &mut Worksheet, last_row: u32, totals: &Totals) -> Result<(), XlsxError> {
    let money = money().set_bold();
    let bold = Format::new().set_bold();
    let rows = |col: char| format!("{col}$2:{col}${}", last_row.max(1) + 1);
    // A total row: its label, its rate (None for the grand total), the amounts cached
    // and the formula of each amount column.
    let mut total = |at: u32,
                     label: String,
                     rate: Option<Decimal>,
                     amounts: &RateTotals,
                     sum: &dyn Fn(char) -> String| {
        sheet.write_string_with_format(at, 3, label, &bold)?;
        if let Some(rate) = rate {
            sheet.write_number(at, 4, number(rate))?;
        }
        for (col, letter, value) in [
            (5, 'F', amounts.net),
            (6, 'G', amounts.vat),
            (7, 'H', amounts.gross()),
        ] {
            let formula = Formula::new(sum(letter)).set_result(value.to_string());
            sheet.write_formula_with_format(at, col, formula, &money)?;
        }
        Ok::<_, XlsxError>(())
    };
    let mut at = last_row + 1;
    for rate in totals.by_rate() {
        let label = format!("Total {} %", rate_comma(rate.rate));
        let line = at + 1;
        total(at, label, Some(rate.rate), &rate, &|col| {
            format!("=SUMIF({},$E${line},{})", rows('E'), rows(col))
        })?;
        at += 1;
    }
    total(at, "Total".to_owned(), None, &totals.all(), &|col| {
        format!("=SUM({})", rows(col))
    })
}

/// `VatRegister`: the period's collected and deductible VAT by rate and the CA3 lines.
pub(crate) async fn vat_register(
    pool: &PgPool,
    company_id: Uuid,
    period: Period,
) -> Result<VatRegister, Error> {
    let mut tx = store::begin(pool, company_id).await?;
    let (collected, deductible) = store::reports::vat_by_rate(&mut tx, company_id, &period).await?;
    tx.commit().await?;
    Ok(reports::vat_register(&collected, &deductible))
}
