//! The reports read from the ledger: `ExportSalesJournal` as a CSV file, an XLSX
//! workbook or a PDF table (through [`super::sheet`], streamed as the rows come), and
//! `VatRegister`.

use futures::StreamExt;
use rust_decimal::Decimal;
use sqlx::PgPool;
use uuid::Uuid;

use super::files::{self, ChunkSink, File};
use super::sheet::{Cell, FileFormat, Heading, Sheet};
use crate::domain::rate_comma;
use crate::domain::report_pdf::period_text;
use crate::domain::reports::{self, Period, RateTotals, Totals, VatRegister};
use crate::error::Error;
use crate::store;

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
    let (name, content_type) = journal.format.file(&stem);
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
    let heading = Heading::of(
        &pool,
        journal.company_id,
        journal.format,
        "Journal des ventes",
        period_text(journal.period.start, journal.period.end),
    )
    .await?;
    let mut sheet = Sheet::start(journal.format, heading, &COLUMNS, &mut sink).await?;
    let mut totals = Totals::default();
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
            totals.add(&row.amounts);
            let mut cells = vec![
                Cell::Date(row.date),
                Cell::Text(row.number),
                Cell::text(kind(row.credit_note)),
                Cell::Text(row.customer),
            ];
            let amounts = &row.amounts;
            cells.extend([
                Cell::Number(amounts.rate),
                Cell::Money(amounts.net),
                Cell::Money(amounts.vat),
                Cell::RowSum(vec![5, 6], amounts.gross()),
            ]);
            sheet.row(&mut sink, &cells).await?;
        }
    }
    tx.commit().await?;
    for rate in totals.by_rate() {
        let mut cells = vec![Cell::Empty, Cell::Empty, Cell::Empty];
        cells.push(Cell::Text(format!("Total {} %", rate_comma(rate.rate))));
        cells.extend(total_cells(&rate, Some(rate.rate), |value| Cell::SumIf {
            key: 4,
            value,
        }));
        sheet.total(&mut sink, &cells).await?;
    }
    let mut cells = vec![Cell::Empty, Cell::Empty, Cell::Empty, Cell::text("Total")];
    cells.extend(total_cells(&totals.all(), None, Cell::Sum));
    sheet.total(&mut sink, &cells).await?;
    sheet.finish(&mut sink).await?;
    Ok(sink)
}

/// The amount cells of a journal total row: its rate (None for the grand total), then
/// net, VAT and gross as `sum` makes them.
fn total_cells(
    amounts: &RateTotals,
    rate: Option<Decimal>,
    sum: impl Fn(Decimal) -> Cell,
) -> [Cell; 4] {
    [
        rate.map_or(Cell::Empty, Cell::Number),
        sum(amounts.net),
        sum(amounts.vat),
        sum(amounts.gross()),
    ]
}

/// "Facture" or "Avoir".
fn kind(credit_note: bool) -> &'static str {
    if credit_note { "Avoir" } else { "Facture" }
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
