//! A company's books: opening them, the seller's legal identity kept from tenancy, the
//! numbering series, the lock date and the audit trail. The queries are compile-checked
//! against billing's schema (`sqlx.toml`, offline data in `.sqlx/`,
//! `cargo xtask sqlx-prepare`).
//!
//! `today!`, `open!`, `number!`: a cast, `EXISTS` or sum is never null here, but the macros
//! take any expression as nullable.

use chrono::{DateTime, NaiveDate, Utc};
use comptoir_domain_types::party::PostalAddress;
use sqlx::PgConnection;
use uuid::Uuid;

use super::parse_stored;
use crate::domain::books::Series;
use crate::domain::{DocumentType, document::Seller};

/// The seller's legal identity as tenancy announced it.
#[derive(Debug, Clone, Default)]
pub(crate) struct LegalIdentity {
    pub(crate) legal_name: String,
    pub(crate) siren: String,
    pub(crate) legal_form: String,
    pub(crate) nic: String,
    pub(crate) ape_code: String,
    pub(crate) vat_number: String,
    pub(crate) rcs_city: String,
    pub(crate) share_capital_amount: String,
    /// The registered office.
    pub(crate) address: PostalAddress,
}

/// Keeps the seller's identity at `version` (from `company.created` or `company.updated`,
/// which both carry the whole identity), opening the books and their series when the
/// company is new to billing. An identity older than the one held changes nothing, so
/// events applied in any order leave the newest; the same version again rewrites the same
/// identity (harmless, though audited: the consumer's inbox keeps a redelivery out).
/// False when an older event was set aside.
pub(crate) async fn keep_identity(
    conn: &mut PgConnection,
    company_id: Uuid,
    identity: &LegalIdentity,
    version: i64,
) -> Result<bool, sqlx::Error> {
    let address = &identity.address;
    let kept = sqlx::query!(
        "INSERT INTO book AS b (company_id, legal_name, siren, legal_form, nic, ape_code, \
                                vat_number, rcs_city, share_capital_amount, address_line1, \
                                address_line2, address_postal_code, address_city, \
                                address_country_code, identity_version) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15) \
         ON CONFLICT (company_id) DO UPDATE SET legal_name = EXCLUDED.legal_name, \
                siren = EXCLUDED.siren, legal_form = EXCLUDED.legal_form, nic = EXCLUDED.nic, \
                ape_code = EXCLUDED.ape_code, vat_number = EXCLUDED.vat_number, \
                rcs_city = EXCLUDED.rcs_city, \
                share_capital_amount = EXCLUDED.share_capital_amount, \
                address_line1 = EXCLUDED.address_line1, address_line2 = EXCLUDED.address_line2, \
                address_postal_code = EXCLUDED.address_postal_code, \
                address_city = EXCLUDED.address_city, \
                address_country_code = EXCLUDED.address_country_code, \
                identity_version = EXCLUDED.identity_version, updated_at = now() \
         WHERE b.identity_version <= EXCLUDED.identity_version",
        company_id,
        &identity.legal_name,
        &identity.siren,
        &identity.legal_form,
        &identity.nic,
        &identity.ape_code,
        &identity.vat_number,
        &identity.rcs_city,
        &identity.share_capital_amount,
        &address.line1,
        &address.line2,
        &address.postal_code,
        &address.city,
        &address.country_code,
        version,
    )
    .execute(&mut *conn)
    .await?;
    for document_type in DocumentType::NUMBERED {
        sqlx::query!(
            "INSERT INTO numbering_series (company_id, document_type, prefix) VALUES ($1, $2, $3) \
             ON CONFLICT (company_id, document_type) DO NOTHING",
            company_id,
            document_type.as_str(),
            document_type.default_prefix(),
        )
        .execute(&mut *conn)
        .await?;
    }
    Ok(kept.rows_affected() == 1)
}

/// The book row as a document being issued reads it (see `documents::load_for_issue`,
/// which selects these columns from `book` aliased `b`).
#[derive(Debug)]
pub(crate) struct SellerRow {
    pub(crate) legal_name: String,
    pub(crate) legal_form: String,
    pub(crate) siren: String,
    pub(crate) vat_number: String,
    pub(crate) rcs_city: String,
    pub(crate) share_capital_amount: String,
    pub(crate) address_line1: String,
    pub(crate) address_postal_code: String,
    pub(crate) address_city: String,
    pub(crate) lock_date: Option<NaiveDate>,
    pub(crate) today: NaiveDate,
}

/// What issuing dates a document from: the lock date and today in the company's time
/// zone, read from the book row under a lock that a concurrent SetLockDate waits for.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Calendar {
    /// The lock date.
    pub(crate) lock_date: Option<NaiveDate>,
    /// Today where the company is (the database's clock, in the book's time zone).
    pub(crate) today: NaiveDate,
}

impl SellerRow {
    /// The seller and the calendar.
    pub(crate) fn into_parts(self) -> (Seller, Calendar) {
        (
            Seller {
                legal_name: self.legal_name,
                legal_form: self.legal_form,
                siren: self.siren,
                vat_number: self.vat_number,
                rcs_city: self.rcs_city,
                share_capital_amount: self.share_capital_amount,
                address_line1: self.address_line1,
                address_postal_code: self.address_postal_code,
                address_city: self.address_city,
            },
            Calendar {
                lock_date: self.lock_date,
                today: self.today,
            },
        )
    }
}

/// The calendar of a document issued without a draft (credit notes): the book row is
/// key-share locked until the transaction ends, so a SetLockDate (which locks it for
/// update) waits for the issue to commit or roll back, and an issue that comes after a
/// SetLockDate reads its lock date. `Err(RowNotFound)` when the books are not open.
pub(crate) async fn calendar_for_issue(
    conn: &mut PgConnection,
    company_id: Uuid,
) -> Result<Calendar, sqlx::Error> {
    sqlx::query_as!(
        Calendar,
        r#"SELECT lock_date, (now() AT TIME ZONE time_zone)::date AS "today!"
             FROM book WHERE company_id = $1 FOR KEY SHARE"#,
        company_id,
    )
    .fetch_one(conn)
    .await
}

/// The lock date, locking the book row until the transaction ends (so a concurrent
/// SetLockDate waits); `Err(RowNotFound)` when the books are not open.
pub(crate) async fn lock_date_for_update(
    conn: &mut PgConnection,
    company_id: Uuid,
) -> Result<Option<NaiveDate>, sqlx::Error> {
    sqlx::query_scalar!(
        "SELECT lock_date FROM book WHERE company_id = $1 FOR UPDATE",
        company_id
    )
    .fetch_one(conn)
    .await
}

/// The lock date; `Err(RowNotFound)` when the books are not open.
pub(crate) async fn lock_date(
    conn: &mut PgConnection,
    company_id: Uuid,
) -> Result<Option<NaiveDate>, sqlx::Error> {
    sqlx::query_scalar!(
        "SELECT lock_date FROM book WHERE company_id = $1",
        company_id
    )
    .fetch_one(conn)
    .await
}

/// Sets the lock date and why it moved (kept on the book, so the audit trail's row for
/// the change carries it).
pub(crate) async fn set_lock_date(
    conn: &mut PgConnection,
    company_id: Uuid,
    lock_date: Option<NaiveDate>,
    reason: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "UPDATE book SET lock_date = $2, lock_date_reason = $3, updated_at = now() \
         WHERE company_id = $1",
        company_id,
        lock_date,
        reason,
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// Whether the company's books are open.
pub(crate) async fn books_open(
    conn: &mut PgConnection,
    company_id: Uuid,
) -> Result<bool, sqlx::Error> {
    sqlx::query_scalar!(
        r#"SELECT EXISTS (SELECT 1 FROM book WHERE company_id = $1) AS "open!""#,
        company_id
    )
    .fetch_one(conn)
    .await
}

/// A series as read, its document type still text.
struct SeriesRecord {
    document_type: String,
    prefix: String,
    next_number: i64,
    include_year: bool,
}

impl TryFrom<SeriesRecord> for Series {
    type Error = sqlx::Error;

    fn try_from(row: SeriesRecord) -> Result<Self, sqlx::Error> {
        Ok(Series {
            document_type: parse_stored(
                "document_type",
                &row.document_type,
                DocumentType::from_stored,
            )?,
            prefix: row.prefix,
            next_number: row.next_number,
            include_year: row.include_year,
        })
    }
}

/// A page of the company's series, ordered by document type, after `after`.
pub(crate) async fn series(
    conn: &mut PgConnection,
    company_id: Uuid,
    after: Option<&str>,
    limit: i64,
) -> Result<Vec<Series>, sqlx::Error> {
    sqlx::query_as!(
        SeriesRecord,
        "SELECT document_type, prefix, next_number, include_year FROM numbering_series \
         WHERE company_id = $1 AND ($2::text IS NULL OR document_type > $2) \
         ORDER BY document_type LIMIT $3",
        company_id,
        after,
        limit,
    )
    .fetch_all(conn)
    .await?
    .into_iter()
    .map(Series::try_from)
    .collect()
}

/// Changes a series' format; None when the series does not exist.
pub(crate) async fn update_series(
    conn: &mut PgConnection,
    company_id: Uuid,
    document_type: DocumentType,
    prefix: &str,
    include_year: bool,
) -> Result<Option<Series>, sqlx::Error> {
    sqlx::query_as!(
        SeriesRecord,
        "UPDATE numbering_series SET prefix = $3, include_year = $4, updated_at = now() \
         WHERE company_id = $1 AND document_type = $2 \
         RETURNING document_type, prefix, next_number, include_year",
        company_id,
        document_type.as_str(),
        prefix,
        include_year,
    )
    .fetch_optional(conn)
    .await?
    .map(Series::try_from)
    .transpose()
}

/// The next number of a series, taken for a document dated `date`: the series row is
/// locked until the transaction ends, so concurrent issuers queue and numbers are
/// consecutive; a rollback gives the number back. Returns (number, prefix, include_year),
/// or `Ok(None)` when `date` is earlier than the series' last issue date (the `Err` side
/// of the inner result carries that date).
pub(crate) async fn take_number(
    conn: &mut PgConnection,
    company_id: Uuid,
    document_type: DocumentType,
    date: NaiveDate,
) -> Result<Result<(i64, String, bool), NaiveDate>, sqlx::Error> {
    let taken = sqlx::query!(
        r#"UPDATE numbering_series
              SET next_number = next_number + 1, last_issue_date = $3, updated_at = now()
            WHERE company_id = $1 AND document_type = $2
              AND (last_issue_date IS NULL OR last_issue_date <= $3)
           RETURNING next_number - 1 AS "number!", prefix, include_year"#,
        company_id,
        document_type.as_str(),
        date,
    )
    .fetch_optional(&mut *conn)
    .await?;
    if let Some(taken) = taken {
        return Ok(Ok((taken.number, taken.prefix, taken.include_year)));
    }
    let last = sqlx::query_scalar!(
        "SELECT last_issue_date FROM numbering_series WHERE company_id = $1 AND document_type = $2",
        company_id,
        document_type.as_str(),
    )
    .fetch_optional(conn)
    .await?
    .flatten();
    Ok(Err(last.unwrap_or(date)))
}

/// One audit event as stored.
#[derive(Debug, Clone)]
pub(crate) struct AuditRow {
    pub(crate) audit_event_id: i64,
    pub(crate) subject_type: String,
    pub(crate) subject_id: Uuid,
    pub(crate) action: String,
    pub(crate) actor: String,
    pub(crate) occurred_at: DateTime<Utc>,
    pub(crate) before: Option<serde_json::Value>,
    pub(crate) after: Option<serde_json::Value>,
}

/// Filters of the audit trail.
#[derive(Debug, Clone, Default)]
pub(crate) struct AuditFilter {
    pub(crate) subject_id: Option<Uuid>,
    pub(crate) actor: Option<String>,
    pub(crate) from: Option<DateTime<Utc>>,
    pub(crate) to: Option<DateTime<Utc>>,
    /// Events older than this id (the page token).
    pub(crate) before_id: Option<i64>,
}

/// A page of the audit trail, newest first.
pub(crate) async fn audit_events(
    conn: &mut PgConnection,
    company_id: Uuid,
    filter: &AuditFilter,
    limit: i64,
) -> Result<Vec<AuditRow>, sqlx::Error> {
    sqlx::query_as!(
        AuditRow,
        "SELECT audit_event_id, subject_type, subject_id, action, actor, occurred_at, before, after \
         FROM audit_event \
         WHERE company_id = $1 \
           AND ($2::uuid IS NULL OR subject_id = $2) \
           AND ($3::text IS NULL OR actor = $3) \
           AND ($4::timestamptz IS NULL OR occurred_at >= $4) \
           AND ($5::timestamptz IS NULL OR occurred_at < $5) \
           AND ($6::bigint IS NULL OR audit_event_id < $6) \
         ORDER BY audit_event_id DESC LIMIT $7",
        company_id,
        filter.subject_id,
        filter.actor.as_deref(),
        filter.from,
        filter.to,
        filter.before_id,
        limit,
    )
    .fetch_all(conn)
    .await
}
