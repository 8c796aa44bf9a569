//! The reports as files: `ExportPayments` (streamed as the payments come) and
//! `ExportReport` (the VAT register, the OSS return, the unpaid invoices, the revenue
//! and expense lists, each computed by the same function as its RPC, then written as a
//! table through [`super::sheet`]).

use futures::StreamExt;
use rust_decimal::Decimal;
use sqlx::PgPool;
use uuid::Uuid;

use super::documents::{self as lists, DocumentQuery};
use super::files::{self, ChunkSink, File};
use super::reports;
use super::sheet::{self, Cell, FileFormat, Heading, Sheet, Table};
use crate::domain::documents::{self, DocumentList, OssReport, Settlement, Unpaid};
use crate::domain::ledger::{DocumentKind, Supply};
use crate::domain::report_pdf::{as_of_text, period_text};
use crate::domain::reports::{Period, VatRegister};
use crate::error::Error;
use crate::store;

/// The payments asked for.
#[derive(Debug, Clone)]
pub(crate) struct PaymentsExport {
    pub(crate) company_id: Uuid,
    pub(crate) period: Period,
    /// Payments received, made, or both.
    pub(crate) received: bool,
    pub(crate) paid: bool,
    pub(crate) party_id: Option<Uuid>,
    pub(crate) format: FileFormat,
}

const PAYMENT_COLUMNS: [&str; 8] = [
    "Date",
    "Sens",
    "Mode",
    "Référence",
    "Tiers",
    "Montant",
    "Pièce réglée",
    "Montant imputé",
];

/// "Encaissement" or "Décaissement".
fn direction(received: bool) -> &'static str {
    if received {
        "Encaissement"
    } else {
        "Décaissement"
    }
}

/// `ExportPayments`: one row per payment and document it settles (the payment's amount
/// on its first row only, so the column adds up), payments made negative; then the
/// totals of each direction and the net.
pub(crate) fn payments(pool: &PgPool, export: PaymentsExport) -> File {
    let stem = format!(
        "reglements-{}-{}",
        export.period.start.format("%Y%m%d"),
        export.period.end.format("%Y%m%d")
    );
    let (name, content_type) = export.format.file(&stem);
    let pool = pool.clone();
    files::stream(name, content_type, move |sink| {
        write_payments(pool, export, sink)
    })
}

async fn write_payments(
    pool: PgPool,
    export: PaymentsExport,
    mut sink: ChunkSink,
) -> Result<ChunkSink, Error> {
    let directions: Vec<&str> = [(export.received, "received"), (export.paid, "paid")]
        .into_iter()
        .filter_map(|(wanted, direction)| wanted.then_some(direction))
        .collect();
    let heading = Heading::of(
        &pool,
        export.company_id,
        export.format,
        "Règlements",
        period_text(export.period.start, export.period.end),
    )
    .await?;
    let mut sheet = Sheet::start(export.format, heading, &PAYMENT_COLUMNS, &mut sink).await?;
    let (mut received, mut paid) = (None::<(Decimal, Decimal)>, None::<(Decimal, Decimal)>);
    let mut tx = store::begin(&pool, export.company_id).await?;
    {
        let mut rows = store::documents::payment_rows(
            &mut tx,
            export.company_id,
            &export.period,
            &directions,
            export.party_id,
        );
        let mut last_payment = None;
        while let Some(row) = rows.next().await {
            let row = row?;
            let sign = if row.received {
                Decimal::ONE
            } else {
                Decimal::NEGATIVE_ONE
            };
            let first = last_payment != Some(row.payment_id);
            last_payment = Some(row.payment_id);
            let sums = if row.received {
                &mut received
            } else {
                &mut paid
            };
            let (amount, allocated) = sums.get_or_insert((Decimal::ZERO, Decimal::ZERO));
            if first {
                *amount += row.amount * sign;
            }
            *allocated += row.allocated * sign;
            let cells = [
                Cell::Date(row.date),
                Cell::text(direction(row.received)),
                Cell::Text(row.method),
                Cell::Text(row.reference),
                Cell::Text(row.party_name),
                if first {
                    Cell::Money(row.amount * sign)
                } else {
                    Cell::Empty
                },
                Cell::Text(row.document_number),
                Cell::Money(row.allocated * sign),
            ];
            sheet.row(&mut sink, &cells).await?;
        }
    }
    tx.commit().await?;
    let (mut amount_total, mut allocated_total) = (Decimal::ZERO, Decimal::ZERO);
    for (is_received, sums) in [(true, received), (false, paid)] {
        let Some((amount, allocated)) = sums else {
            continue;
        };
        amount_total += amount;
        allocated_total += allocated;
        let total = |value| Cell::SumIf { key: 1, value };
        let cells = [
            Cell::Empty,
            Cell::text(direction(is_received)),
            Cell::Empty,
            Cell::Empty,
            Cell::text("Total"),
            total(amount),
            Cell::Empty,
            total(allocated),
        ];
        sheet.total(&mut sink, &cells).await?;
    }
    let mut cells = vec![Cell::Empty; 4];
    cells.extend([
        Cell::text("Total"),
        Cell::Sum(amount_total),
        Cell::Empty,
        Cell::Sum(allocated_total),
    ]);
    sheet.total(&mut sink, &cells).await?;
    sheet.finish(&mut sink).await?;
    Ok(sink)
}

/// A report `ExportReport` renders.
#[derive(Debug, Clone)]
pub(crate) enum Report {
    VatRegister,
    /// The OSS return of a quarter (the one containing the period's start).
    Oss(Period),
    /// As of the period's end.
    Unpaid {
        party_id: Option<Uuid>,
    },
    Revenue(DocumentQuery),
    Expenses(DocumentQuery),
}

/// `ExportReport` asked for.
#[derive(Debug, Clone)]
pub(crate) struct ReportExport {
    pub(crate) company_id: Uuid,
    pub(crate) period: Period,
    pub(crate) report: Report,
    pub(crate) format: FileFormat,
}

/// `ExportReport`: the report computed as its RPC computes it, as a file.
pub(crate) async fn report(pool: &PgPool, export: ReportExport) -> Result<File, Error> {
    let dates = |period: &Period| {
        format!(
            "{}-{}",
            period.start.format("%Y%m%d"),
            period.end.format("%Y%m%d")
        )
    };
    let company_id = export.company_id;
    let format = export.format;
    let heading = async |name: &'static str, coverage: String| {
        Heading::of(pool, company_id, format, name, coverage).await
    };
    let table = match export.report {
        Report::VatRegister => {
            let register = reports::vat_register(pool, company_id, export.period).await?;
            let coverage = period_text(export.period.start, export.period.end);
            vat_table(
                &register,
                format!("registre-tva-{}", dates(&export.period)),
                heading("Registre de TVA", coverage).await?,
            )
        }
        Report::Oss(quarter) => {
            let report = lists::oss_report(pool, company_id, quarter).await?;
            let (year, number) = documents::quarter_of(quarter.start);
            let coverage = period_text(quarter.start, quarter.end);
            oss_table(
                &report,
                format!("oss-{year}-T{number}"),
                heading("OSS", coverage).await?,
            )
        }
        Report::Unpaid { party_id } => {
            let as_of = export.period.end;
            let unpaid = lists::unpaid(pool, company_id, Some(as_of), party_id).await?;
            unpaid_table(
                &unpaid,
                format!("impayes-{}", as_of.format("%Y%m%d")),
                heading("Impayés", as_of_text(as_of)).await?,
            )
        }
        Report::Revenue(query) => {
            let list = lists::document_list(pool, &query).await?;
            let coverage = period_text(query.period.start, query.period.end);
            list_table(
                &list,
                format!("recettes-{}", dates(&query.period)),
                heading("Chiffre d'affaires", coverage).await?,
            )
        }
        Report::Expenses(query) => {
            let list = lists::document_list(pool, &query).await?;
            let coverage = period_text(query.period.start, query.period.end);
            list_table(
                &list,
                format!("depenses-{}", dates(&query.period)),
                heading("Dépenses", coverage).await?,
            )
        }
    };
    Ok(sheet::table_file(table, export.format))
}

const VAT_COLUMNS: [&str; 5] = ["Section", "Case CA3", "Taux TVA", "Base HT", "TVA"];

/// The register: a row per collected then deductible rate, each with its CA3 box, a
/// total per section, and the VAT due.
fn vat_table(register: &VatRegister, stem: String, heading: Heading) -> Table {
    const COLLECTED: &str = "TVA collectée";
    const DEDUCTIBLE: &str = "TVA déductible";
    let mut rows = Vec::new();
    for line in register.ca3.iter().filter(|line| line.rate.is_some()) {
        rows.push(vec![
            Cell::text(COLLECTED),
            Cell::text(line.box_code),
            Cell::Number(line.rate.unwrap_or_default()),
            Cell::Money(line.base),
            Cell::Money(line.vat),
        ]);
    }
    for rate in &register.deductible {
        rows.push(vec![
            Cell::text(DEDUCTIBLE),
            Cell::text("20"),
            Cell::Number(rate.rate),
            Cell::Money(rate.net),
            Cell::Money(rate.vat),
        ]);
    }
    let section = |label: &str, base: Decimal, vat: Decimal| {
        vec![
            Cell::text(label),
            Cell::text("Total"),
            Cell::Empty,
            Cell::SumIf {
                key: 0,
                value: base,
            },
            Cell::SumIf { key: 0, value: vat },
        ]
    };
    let collected_base = register.collected.iter().map(|r| r.net).sum();
    let deductible_base = register.deductible.iter().map(|r| r.net).sum();
    let totals = vec![
        section(COLLECTED, collected_base, register.collected_total),
        section(DEDUCTIBLE, deductible_base, register.deductible_total),
        vec![
            Cell::text(if register.due < Decimal::ZERO {
                "Crédit de TVA"
            } else {
                "TVA nette due"
            }),
            Cell::Empty,
            Cell::Empty,
            Cell::Empty,
            Cell::Money(register.due.abs()),
        ],
    ];
    Table {
        stem,
        heading,
        columns: &VAT_COLUMNS,
        rows,
        totals,
    }
}

const OSS_COLUMNS: [&str; 5] = ["Pays", "Nature", "Taux TVA", "Base HT", "TVA"];

/// "Biens" or "Services".
fn supply(supply: Supply) -> &'static str {
    match supply {
        Supply::Goods => "Biens",
        Supply::Services => "Services",
    }
}

fn oss_table(report: &OssReport, stem: String, heading: Heading) -> Table {
    let rows = report
        .lines
        .iter()
        .map(|line| {
            vec![
                Cell::Text(line.country.clone()),
                Cell::text(supply(line.supply)),
                Cell::Number(line.rate),
                Cell::Money(line.taxable),
                Cell::Money(line.vat),
            ]
        })
        .collect();
    let taxable = report.lines.iter().map(|line| line.taxable).sum();
    Table {
        stem,
        heading,
        columns: &OSS_COLUMNS,
        rows,
        totals: vec![vec![
            Cell::text("Total"),
            Cell::Empty,
            Cell::Empty,
            Cell::Sum(taxable),
            Cell::Sum(report.vat_total),
        ]],
    }
}

const UNPAID_COLUMNS: [&str; 9] = [
    "Numéro",
    "Date",
    "Échéance",
    "Client",
    "TTC",
    "Payé",
    "Solde",
    "Jours de retard",
    "Tranche",
];

fn unpaid_table(unpaid: &Unpaid, stem: String, heading: Heading) -> Table {
    let rows = unpaid
        .invoices
        .iter()
        .map(|invoice| {
            let document = &invoice.document;
            vec![
                Cell::Text(document.number.clone()),
                Cell::Date(document.date),
                Cell::Date(invoice.due_date),
                Cell::Text(document.party_name.clone()),
                Cell::Money(document.gross),
                Cell::Money(document.settled),
                Cell::Money(document.balance()),
                Cell::Number(Decimal::from(invoice.days_past_due)),
                Cell::text(invoice.bucket.label()),
            ]
        })
        .collect();
    let mut totals: Vec<Vec<Cell>> = unpaid
        .buckets
        .iter()
        .map(|(bucket, balance)| {
            let mut cells = vec![Cell::text("Total"), Cell::Empty, Cell::Empty, Cell::Empty];
            cells.extend([
                Cell::Empty,
                Cell::Empty,
                Cell::SumIf {
                    key: 8,
                    value: *balance,
                },
                Cell::Empty,
                Cell::text(bucket.label()),
            ]);
            cells
        })
        .collect();
    let mut all = vec![Cell::text("Total"), Cell::Empty, Cell::Empty, Cell::Empty];
    all.extend([Cell::Empty, Cell::Empty, Cell::Sum(unpaid.total)]);
    totals.push(all);
    Table {
        stem,
        heading,
        columns: &UNPAID_COLUMNS,
        rows,
        totals,
    }
}

const LIST_COLUMNS: [&str; 9] = [
    "Date", "Numéro", "Type", "Tiers", "Pays", "HT", "TVA", "TTC", "Statut",
];

/// "Facture", "Avoir" or "Facture d'achat".
pub(crate) fn kind_label(kind: DocumentKind) -> &'static str {
    match kind {
        DocumentKind::Invoice => "Facture",
        DocumentKind::CreditNote => "Avoir",
        DocumentKind::PurchaseInvoice => "Facture d'achat",
    }
}

fn status_label(status: Settlement) -> &'static str {
    match status {
        Settlement::Unpaid => "Non payé",
        Settlement::PartlyPaid => "Partiellement payé",
        Settlement::Paid => "Payé",
    }
}

fn list_table(list: &DocumentList, stem: String, heading: Heading) -> Table {
    let rows = list
        .documents
        .iter()
        .map(|document| {
            let (net, vat, gross) = document.signed();
            vec![
                Cell::Date(document.date),
                Cell::Text(document.number.clone()),
                Cell::text(kind_label(document.kind)),
                Cell::Text(document.party_name.clone()),
                Cell::Text(document.country.clone()),
                Cell::Money(net),
                Cell::Money(vat),
                Cell::RowSum(vec![5, 6], gross),
                Cell::text(status_label(document.status())),
            ]
        })
        .collect();
    let mut total = vec![Cell::Empty; 3];
    total.extend([
        Cell::text("Total"),
        Cell::Empty,
        Cell::Sum(list.net),
        Cell::Sum(list.vat),
        Cell::Sum(list.gross),
    ]);
    Table {
        stem,
        heading,
        columns: &LIST_COLUMNS,
        rows,
        totals: vec![total],
    }
}
