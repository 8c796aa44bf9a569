//! What the document commands share: the day documents are dated by default, the lock
//! date they respect and the numbering they take (quotes, invoices and credit notes each
//! have a series, numbered without gaps and in date order).

use chrono::{DateTime, NaiveDate, Utc};
use comptoir_runtime::Deps;
use sqlx::PgConnection;
use uuid::Uuid;

use super::Ctx;
use crate::domain::DocumentType;
use crate::domain::document::{Document, DocumentStatus, format_number};
use crate::error::Error;
use crate::store::{books, documents};

/// Today in UTC: the default date of documents and payments, and the day a quote's
/// validity is judged on.
pub(crate) fn today() -> NaiveDate {
    Utc::now().date_naive()
}

/// FAILED_PRECONDITION (PERIOD_LOCKED) naming `field` when `date` is on or before the
/// lock date.
pub(crate) fn refuse_locked(
    lock_date: Option<NaiveDate>,
    date: NaiveDate,
    field: &str,
) -> Result<(), Error> {
    match lock_date {
        Some(lock) if date <= lock => Err(Error::PeriodLocked(format!(
            "{field} {date} is on or before the lock date {lock}: the period is closed"
        ))),
        _ => Ok(()),
    }
}

/// Takes the next number of `document_type`'s series for a document dated `date`; a date
/// earlier than the series' last one answers FAILED_PRECONDITION (NOT_CHRONOLOGICAL).
pub(crate) async fn next_number(
    conn: &mut PgConnection,
    company_id: Uuid,
    document_type: DocumentType,
    date: NaiveDate,
) -> Result<(String, i64), Error> {
    match books::take_number(conn, company_id, document_type, date).await? {
        Ok((number, prefix, include_year)) => {
            Ok((format_number(&prefix, include_year, date, number), number))
        }
        Err(last) => Err(Error::NotChronological {
            document_type,
            date,
            last,
        }),
    }
}

/// What a list of documents asks for.
#[derive(Debug, Clone, Default)]
pub(crate) struct ListDocuments {
    /// The types listed.
    pub(crate) types: Vec<DocumentType>,
    /// Only documents reading as this status (today).
    pub(crate) status: Option<DocumentStatus>,
    /// Only documents naming this party.
    pub(crate) party_id: Option<Uuid>,
    /// The (created_at, id) the page starts after.
    pub(crate) after: Option<(DateTime<Utc>, Uuid)>,
    /// How many rows: one more than the page, to learn whether another follows.
    pub(crate) limit: i64,
}

/// A page of the company's documents, newest first. The status is filtered in SQL, so a
/// page holds as many documents as asked for.
pub(crate) async fn list(
    ctx: &Ctx,
    deps: &Deps,
    query: ListDocuments,
) -> Result<Vec<Document>, Error> {
    let (status, standing) = query.status.map(|s| s.filter(today())).unzip();
    let filter = documents::ListFilter {
        types: query.types,
        status,
        standing: standing.flatten(),
        party_id: query.party_id,
        category: None,
        after: query.after,
    };
    let mut tx = ctx.begin(&deps.pool, "read").await?;
    Ok(documents::list(&mut tx, ctx.company_id, &filter, query.limit).await?)
}
