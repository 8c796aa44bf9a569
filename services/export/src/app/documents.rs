//! The documents and payments the reports read: kept by the ledger's consumer in its
//! transaction ([`keep`]), and read by `ListUnpaid`, `RevenueList`, `ExpenseList`,
//! `OssReport` and `ExportPayments`.

use chrono::NaiveDate;
use sqlx::{PgConnection, PgPool};
use uuid::Uuid;

use crate::domain::documents::{
    self, DocumentFilter, DocumentList, IssuedDocument, OssReport, RecordedPayment, Unpaid,
};
use crate::domain::ledger::DocumentKind;
use crate::domain::reports::Period;
use crate::error::Error;
use crate::store;
use crate::store::documents::Selection;

/// The first and last days the database's dates take for "any time".
const FIRST_DAY: NaiveDate = NaiveDate::from_ymd_opt(1, 1, 1).expect("a date");
const LAST_DAY: NaiveDate = NaiveDate::from_ymd_opt(9999, 12, 31).expect("a date");

/// What a billing event adds to the reports' documents.
pub(crate) enum Kept {
    Document(Box<IssuedDocument>),
    Payment(RecordedPayment),
}

/// Keeps `kept` of `company_id`; one already held changes nothing.
pub(crate) async fn keep(
    conn: &mut PgConnection,
    company_id: Uuid,
    kept: &Kept,
) -> Result<bool, sqlx::Error> {
    match kept {
        Kept::Document(issued) => {
            let vat = documents::vat_by_supply(&issued.document);
            store::documents::insert_document(conn, company_id, issued, &vat).await
        }
        Kept::Payment(payment) => store::documents::insert_payment(conn, company_id, payment).await,
    }
}

/// A list of documents asked for: `RevenueList` or `ExpenseList`.
#[derive(Debug, Clone)]
pub(crate) struct DocumentQuery {
    pub(crate) company_id: Uuid,
    pub(crate) period: Period,
    /// The kinds asked for, among those of the list.
    pub(crate) kinds: Vec<DocumentKind>,
    pub(crate) filter: DocumentFilter,
}

/// `RevenueList` or `ExpenseList`: the documents of the query, each with its status as
/// of now, and their totals.
pub(crate) async fn document_list(
    pool: &PgPool,
    query: &DocumentQuery,
) -> Result<DocumentList, Error> {
    let mut tx = store::begin(pool, query.company_id).await?;
    let listed = store::documents::documents(
        &mut tx,
        query.company_id,
        &Selection {
            period: &query.period,
            kinds: &query.kinds,
            country: query.filter.country.as_deref(),
            party_id: query.filter.party_id,
            settled_as_of: LAST_DAY,
        },
    )
    .await?;
    tx.commit().await?;
    Ok(DocumentList::of(listed, query.filter.status))
}

/// `ListUnpaid`: the invoices of `company_id` (only `party_id`'s when given) issued by
/// `as_of` (None: today in France) with something left to pay as of that date, aged.
pub(crate) async fn unpaid(
    pool: &PgPool,
    company_id: Uuid,
    as_of: Option<NaiveDate>,
    party_id: Option<Uuid>,
) -> Result<Unpaid, Error> {
    let mut tx = store::begin(pool, company_id).await?;
    let as_of = match as_of {
        Some(day) => day,
        None => store::documents::today_in_france(&mut tx).await?,
    };
    let invoices = store::documents::documents(
        &mut tx,
        company_id,
        &Selection {
            period: &Period {
                start: FIRST_DAY,
                end: as_of,
            },
            kinds: &[DocumentKind::Invoice],
            country: None,
            party_id,
            settled_as_of: as_of,
        },
    )
    .await?;
    tx.commit().await?;
    Ok(documents::unpaid(invoices, as_of))
}

/// `OssReport`: the OSS sales of `company_id` in `period`, a quarter.
pub(crate) async fn oss_report(
    pool: &PgPool,
    company_id: Uuid,
    period: Period,
) -> Result<OssReport, Error> {
    let mut tx = store::begin(pool, company_id).await?;
    let lines = store::documents::oss_lines(&mut tx, company_id, &period).await?;
    tx.commit().await?;
    let vat_total = lines.iter().map(|line| line.vat).sum();
    Ok(OssReport {
        period,
        lines,
        vat_total,
    })
}
