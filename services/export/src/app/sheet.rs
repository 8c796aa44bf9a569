//! The one table writer every report goes through, in any of its formats: CSV (UTF-8
//! with a byte order mark, `;`, decimal comma: what French spreadsheets open; each
//! record sent as it comes), XLSX (numbers as numbers, dates as dates, totals as
//! formulas with their value cached for readers that do not calculate; the workbook is
//! built in memory, an XLSX file being a zip whose parts are written at the end, and
//! sent once complete) or PDF (a table laid out by [`crate::domain::report_pdf`], its
//! rows kept until the end, since the page count is printed on every page). A report is
//! a header, data rows, then total rows whose formulas cover the data rows.

use chrono::{Datelike, NaiveDate};
use rust_decimal::Decimal;
use rust_xlsxwriter::{ExcelDateTime, Format, Formula, Workbook, XlsxError};

use sqlx::PgPool;
use uuid::Uuid;

use super::files::{self, ChunkSink, File};
use crate::domain::report_pdf::{self, ReportTable, TableCell};
use crate::domain::{decimal_comma, rate_comma};
use crate::error::Error;
use crate::store;

/// A spreadsheet's file format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum FileFormat {
    Csv,
    Xlsx,
    Pdf,
}

impl FileFormat {
    /// The file name of `stem` in this format, and its MIME type.
    pub(crate) fn file(self, stem: &str) -> (String, &'static str) {
        match self {
            FileFormat::Csv => (format!("{stem}.csv"), "text/csv; charset=utf-8"),
            FileFormat::Xlsx => (
                format!("{stem}.xlsx"),
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            ),
            FileFormat::Pdf => (format!("{stem}.pdf"), "application/pdf"),
        }
    }
}

/// What a report is called and what it covers: the XLSX sheet's name; a PDF's title,
/// with the company's name and the period.
#[derive(Debug, Clone)]
pub(crate) struct Heading {
    pub(crate) name: &'static str,
    /// The company's name; empty when not known (a PDF's title then leaves it out).
    pub(crate) company: String,
    /// E.g. "Du 01/01/2026 au 31/12/2026".
    pub(crate) coverage: String,
}

impl Heading {
    /// The heading of report `name` of `company_id` covering `coverage`; the company's
    /// name is read only for a PDF, the one format that prints it.
    pub(crate) async fn of(
        pool: &PgPool,
        company_id: Uuid,
        format: FileFormat,
        name: &'static str,
        coverage: String,
    ) -> Result<Self, Error> {
        let company = if format == FileFormat::Pdf {
            let mut tx = store::begin(pool, company_id).await?;
            let profile = store::profiles::profile(&mut tx, company_id).await?;
            tx.commit().await?;
            profile
                .map(|profile| profile.legal_name)
                .unwrap_or_default()
        } else {
            String::new()
        };
        Ok(Self {
            name,
            company,
            coverage,
        })
    }
}

/// One cell.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Cell {
    Empty,
    Text(String),
    Date(NaiveDate),
    /// A plain number: a VAT rate, a count of days.
    Number(Decimal),
    /// An amount.
    Money(Decimal),
    /// The sum of these columns of the same row (e.g. net + VAT), whose value is given.
    RowSum(Vec<u16>, Decimal),
    /// On a total row: the sum of the column over the data rows.
    Sum(Decimal),
    /// On a total row: the sum of the column over the data rows whose `key` column holds
    /// what this row's `key` column holds.
    SumIf {
        key: u16,
        value: Decimal,
    },
}

impl Cell {
    pub(crate) fn text(text: impl Into<String>) -> Self {
        Cell::Text(text.into())
    }

    /// The cell as a CSV field.
    fn csv(&self) -> String {
        match self {
            Cell::Empty => String::new(),
            Cell::Text(text) => text.clone(),
            Cell::Date(day) => day.format("%d/%m/%Y").to_string(),
            Cell::Number(value) => rate_comma(*value),
            Cell::Money(value)
            | Cell::RowSum(_, value)
            | Cell::Sum(value)
            | Cell::SumIf { value, .. } => decimal_comma(*value),
        }
    }

    /// The cell as a PDF table prints it.
    fn pdf(&self) -> TableCell {
        match self {
            Cell::Empty => TableCell::empty(),
            Cell::Text(text) => TableCell::text(text.clone()),
            Cell::Date(day) => TableCell::date(*day),
            Cell::Number(value) => TableCell::number(*value),
            Cell::Money(value)
            | Cell::RowSum(_, value)
            | Cell::Sum(value)
            | Cell::SumIf { value, .. } => TableCell::amount(*value),
        }
    }
}

/// A spreadsheet being written.
pub(crate) struct Sheet {
    out: Out,
    /// Data rows written so far.
    rows: u32,
    /// Total rows written so far.
    totals: u32,
}

enum Out {
    Csv,
    Xlsx(Box<Workbook>),
    Pdf(Box<ReportTable>),
}

/// The column letter of `col` (the reports have fewer than 26 columns).
fn letter(col: u16) -> char {
    char::from(b'A' + u8::try_from(col.min(25)).unwrap_or(25))
}

/// A decimal as a spreadsheet number.
fn number(value: Decimal) -> f64 {
    use rust_decimal::prelude::ToPrimitive;
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

impl Sheet {
    /// A sheet headed `heading` in `format`, its header row of `columns` written.
    pub(crate) async fn start(
        format: FileFormat,
        heading: Heading,
        columns: &[&str],
        sink: &mut ChunkSink,
    ) -> Result<Self, Error> {
        let out = match format {
            FileFormat::Csv => {
                sink.write("\u{feff}".as_bytes()).await?;
                let header: Vec<String> = columns.iter().map(|c| (*c).to_owned()).collect();
                sink.write(&csv_record(&header)?).await?;
                Out::Csv
            }
            FileFormat::Xlsx => {
                let mut workbook = Workbook::new();
                let sheet = workbook.add_worksheet();
                sheet.set_name(heading.name)?;
                let bold = Format::new().set_bold();
                for (col, column) in (0u16..).zip(columns) {
                    sheet.write_string_with_format(0, col, *column, &bold)?;
                }
                Out::Xlsx(Box::new(workbook))
            }
            FileFormat::Pdf => Out::Pdf(Box::new(ReportTable {
                title: heading.name.to_owned(),
                company: heading.company,
                coverage: heading.coverage,
                columns: columns.iter().map(|c| (*c).to_owned()).collect(),
                rows: Vec::new(),
                totals: Vec::new(),
            })),
        };
        Ok(Self {
            out,
            rows: 0,
            totals: 0,
        })
    }

    /// Writes a data row.
    pub(crate) async fn row(&mut self, sink: &mut ChunkSink, cells: &[Cell]) -> Result<(), Error> {
        self.rows += 1;
        self.write(sink, self.rows, cells, false).await?;
        sink.row_written();
        Ok(())
    }

    /// Writes a total row below the data rows, in bold.
    pub(crate) async fn total(
        &mut self,
        sink: &mut ChunkSink,
        cells: &[Cell],
    ) -> Result<(), Error> {
        self.totals += 1;
        self.write(sink, self.rows + self.totals, cells, true).await
    }

    /// Sends what is left: the workbook, for XLSX; the whole document, for PDF.
    pub(crate) async fn finish(self, sink: &mut ChunkSink) -> Result<(), Error> {
        match self.out {
            Out::Csv => Ok(()),
            Out::Xlsx(mut workbook) => {
                let bytes = workbook.save_to_buffer()?;
                sink.write(&bytes).await
            }
            Out::Pdf(table) => {
                let bytes = report_pdf::render(&table)?;
                sink.write(&bytes).await
            }
        }
    }

    async fn write(
        &mut self,
        sink: &mut ChunkSink,
        at: u32,
        cells: &[Cell],
        bold: bool,
    ) -> Result<(), Error> {
        match &mut self.out {
            Out::Csv => {
                let fields: Vec<String> = cells.iter().map(Cell::csv).collect();
                sink.write(&csv_record(&fields)?).await
            }
            Out::Pdf(table) => {
                let cells = cells.iter().map(Cell::pdf).collect();
                if bold {
                    table.totals.push(cells);
                } else {
                    table.rows.push(cells);
                }
                Ok(())
            }
            Out::Xlsx(workbook) => {
                let data_rows = |col: u16| {
                    let col = letter(col);
                    format!("{col}$2:{col}${}", self.rows.max(1) + 1)
                };
                let sheet = workbook.worksheet_from_index(0)?;
                let mut money = Format::new().set_num_format("#,##0.00");
                let mut text = Format::new();
                if bold {
                    money = money.set_bold();
                    text = text.set_bold();
                }
                let line = at + 1;
                for (col, cell) in (0u16..).zip(cells) {
                    let formula = |formula: String, value: &Decimal| {
                        Formula::new(formula).set_result(value.to_string())
                    };
                    match cell {
                        Cell::Empty => {}
                        Cell::Text(value) => {
                            sheet.write_string_with_format(at, col, value, &text)?;
                        }
                        Cell::Date(day) => {
                            sheet.write_datetime_with_format(
                                at,
                                col,
                                excel_date(*day)?,
                                &Format::new().set_num_format("dd/mm/yyyy"),
                            )?;
                        }
                        Cell::Number(value) => {
                            sheet.write_number(at, col, number(*value))?;
                        }
                        Cell::Money(value) => {
                            sheet.write_number_with_format(at, col, number(*value), &money)?;
                        }
                        Cell::RowSum(cols, value) => {
                            let terms: Vec<String> = cols
                                .iter()
                                .map(|c| format!("{}{line}", letter(*c)))
                                .collect();
                            let sum = formula(format!("={}", terms.join("+")), value);
                            sheet.write_formula_with_format(at, col, sum, &money)?;
                        }
                        Cell::Sum(value) => {
                            let sum = formula(format!("=SUM({})", data_rows(col)), value);
                            sheet.write_formula_with_format(at, col, sum, &money)?;
                        }
                        Cell::SumIf { key, value } => {
                            let sum = formula(
                                format!(
                                    "=SUMIF({},${}${line},{})",
                                    data_rows(*key),
                                    letter(*key),
                                    data_rows(col)
                                ),
                                value,
                            );
                            sheet.write_formula_with_format(at, col, sum, &money)?;
                        }
                    }
                }
                Ok(())
            }
        }
    }
}

/// A report computed in memory, as a file: `rows`, then `totals`.
pub(crate) struct Table {
    pub(crate) stem: String,
    pub(crate) heading: Heading,
    pub(crate) columns: &'static [&'static str],
    pub(crate) rows: Vec<Vec<Cell>>,
    pub(crate) totals: Vec<Vec<Cell>>,
}

/// `table` written in `format`, streamed.
pub(crate) fn table_file(table: Table, format: FileFormat) -> File {
    let (name, content_type) = format.file(&table.stem);
    files::stream(name, content_type, move |mut sink| async move {
        sink.expect_rows(table.rows.len());
        let mut sheet = Sheet::start(format, table.heading, table.columns, &mut sink).await?;
        for row in &table.rows {
            sheet.row(&mut sink, row).await?;
        }
        for total in &table.totals {
            sheet.total(&mut sink, total).await?;
        }
        sheet.finish(&mut sink).await?;
        Ok(sink)
    })
}
