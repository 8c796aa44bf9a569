//! The firm's client list: a page of a listing with its total ([`list_clients`]) and the
//! whole listing as a file ([`export_clients`]). Both read the portal's projection only,
//! for the clients the caller reaches: a firm Administrator every client of the firm, a
//! portfolio manager or collaborator the clients assigned to them.

use chrono::{NaiveDate, Utc};
use comptoir_domain_types::amount;
use comptoir_domain_types::permissions::Permission;
use comptoir_runtime::Deps;
use rust_xlsxwriter::{Format, Workbook, XlsxError};
use uuid::Uuid;

use crate::app::Ctx;
use crate::domain::clients::{ClientStatus, Listing, Reach};
use crate::error::Error;
use crate::store::clients::{self, ClientRow, ListScope};

/// A page of a listing and how many clients the listing holds over all its pages.
#[derive(Debug, Clone)]
pub(crate) struct ClientPage {
    pub(crate) clients: Vec<ClientRow>,
    pub(crate) total: i64,
}

/// Which of the firm's clients the caller reaches (see [`Reach::of`]). A caller acting
/// for no person (which has no firm active anyway) is assigned to no client.
pub(crate) fn reach(ctx: &Ctx) -> Reach {
    let member = ctx.user_id().unwrap_or_else(Uuid::nil);
    Reach::of(ctx.may(Permission::MembersManage), member)
}

/// Today's date, in UTC: it decides the current year of the turnover and the export's
/// file name.
fn today() -> NaiveDate {
    Utc::now().date_naive()
}

/// At most `limit` clients of `listing` after the `(sort key, company id)` position
/// `after`, and the listing's total: counted on the first page, `known_total` (the first
/// page's count, carried by the page token) on the later ones.
pub(crate) async fn list_clients(
    ctx: &Ctx,
    deps: &Deps,
    listing: &Listing,
    after: Option<(&str, Uuid)>,
    known_total: Option<i64>,
    limit: i64,
) -> Result<ClientPage, Error> {
    let scope = ListScope {
        firm: ctx.firm_id,
        reach: reach(ctx),
        listing,
        year: chrono::Datelike::year(&today()),
    };
    let mut tx = ctx.begin(&deps.pool, "clients.listed").await?;
    let clients = clients::list(&mut tx, &scope, after, Some(limit)).await?;
    let total = match known_total {
        Some(total) => total,
        None => clients::count(&mut tx, &scope).await?,
    };
    tx.commit().await?;
    Ok(ClientPage { clients, total })
}

/// The formats the list exports to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum FileFormat {
    /// Comma-separated values, UTF-8, with a header row.
    Csv,
    /// An Office Open XML workbook of one sheet.
    Xlsx,
}

/// An exported file.
#[derive(Debug, Clone)]
pub(crate) struct ExportedFile {
    /// `clients-<YYYYMMDD>.csv` or `.xlsx`.
    pub(crate) file_name: String,
    /// Its MIME type.
    pub(crate) content_type: &'static str,
    /// Its bytes.
    pub(crate) bytes: Vec<u8>,
}

/// The columns of an exported list, in order.
const HEADERS: [&str; 12] = [
    "company_id",
    "legal_name",
    "file_code",
    "siren",
    "create_date",
    "lock_date",
    "user_count",
    "portfolio_managers",
    "status",
    "last_invoice_date",
    "turnover_current_year",
    "owned_by_firm",
];

/// Every client of `listing`, in its order, as a file of `format`.
pub(crate) async fn export_clients(
    ctx: &Ctx,
    deps: &Deps,
    listing: &Listing,
    format: FileFormat,
) -> Result<ExportedFile, Error> {
    let today = today();
    let scope = ListScope {
        firm: ctx.firm_id,
        reach: reach(ctx),
        listing,
        year: chrono::Datelike::year(&today),
    };
    let mut tx = ctx.begin(&deps.pool, "clients.exported").await?;
    let rows = clients::list(&mut tx, &scope, None, None).await?;
    tx.commit().await?;
    let stamp = today.format("%Y%m%d");
    Ok(match format {
        FileFormat::Csv => ExportedFile {
            file_name: format!("clients-{stamp}.csv"),
            content_type: "text/csv; charset=utf-8",
            bytes: csv_file(&rows)?,
        },
        FileFormat::Xlsx => ExportedFile {
            file_name: format!("clients-{stamp}.xlsx"),
            content_type: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            bytes: xlsx_file(&rows)?,
        },
    })
}

/// A client's cells, as text, in the order of [`HEADERS`].
fn cells(row: &ClientRow) -> [String; 12] {
    let date = |d: Option<NaiveDate>| d.map(|d| d.to_string()).unwrap_or_default();
    let managers: Vec<String> = row.managers.iter().map(Uuid::to_string).collect();
    [
        row.company_id.to_string(),
        row.legal_name.clone(),
        row.file_code.clone(),
        row.siren.clone(),
        row.create_time.date_naive().to_string(),
        date(row.lock_date),
        row.user_count.to_string(),
        managers.join(" "),
        match row.status {
            ClientStatus::Connected => "connected".to_owned(),
            ClientStatus::Disconnected => "disconnected".to_owned(),
        },
        date(row.last_invoice_date),
        amount::format(row.turnover, 2),
        row.owned_by_firm.to_string(),
    ]
}

fn csv_file(rows: &[ClientRow]) -> Result<Vec<u8>, csv::Error> {
    let mut writer = csv::Writer::from_writer(Vec::new());
    writer.write_record(HEADERS)?;
    for row in rows {
        writer.write_record(cells(row))?;
    }
    writer
        .into_inner()
        .map_err(|err| csv::Error::from(err.into_error()))
}

/// The user count and the turnover are numbers in the sheet (the turnover with two
/// decimals), so that a spreadsheet sums them; every other cell is text.
fn xlsx_file(rows: &[ClientRow]) -> Result<Vec<u8>, XlsxError> {
    let mut workbook = Workbook::new();
    let sheet = workbook.add_worksheet();
    sheet.set_name("Clients")?;
    let euros = Format::new().set_num_format("0.00");
    for (col, header) in (0u16..).zip(HEADERS) {
        sheet.write_string(0, col, header)?;
    }
    for (line, row) in (1u32..).zip(rows) {
        for (col, cell) in (0u16..).zip(cells(row)) {
            match HEADERS[usize::from(col)] {
                "user_count" => {
                    sheet.write_number(line, col, f64::from(row.user_count))?;
                }
                "turnover_current_year" => {
                    let value: f64 = cell.parse().unwrap_or_default();
                    sheet.write_number_with_format(line, col, value, &euros)?;
                }
                _ => {
                    sheet.write_string(line, col, cell)?;
                }
            }
        }
    }
    workbook.save_to_buffer()
}
