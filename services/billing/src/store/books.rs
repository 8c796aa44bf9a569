//! A company's books: opening them, the seller's legal identity kept from tenancy, the
//! numbering series, the lock date and the audit trail.

use chrono::{DateTime, NaiveDate, Utc};
use comptoir_domain_types::party::PostalAddress;
use sqlx::postgres::PgRow;
use sqlx::{FromRow, PgConnection, Row};
use uuid::Uuid;

use super::stored_enum;
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

/// Binds the seller's identity, in the order `keep_identity` lists its columns ($2 to
/// $14).
fn bind_identity<'q>(
    query: sqlx::query::Query<'q, sqlx::Postgres, sqlx::postgres::PgArguments>,
    identity: &'q LegalIdentity,
) -> sqlx::query::Query<'q, sqlx::Postgres, sqlx::postgres::PgArguments> {
    query
        .bind(&identity.legal_name)
        .bind(&identity.siren)
        .bind(&identity.legal_form)
        .bind(&identity.nic)
        .bind(&identity.ape_code)
        .bind(&identity.vat_number)
        .bind(&identity.rcs_city)
        .bind(&identity.share_capital_amount)
        .bind(&identity.address.line1)
        .bind(&identity.address.line2)
        .bind(&identity.address.postal_code)
        .bind(&identity.address.city)
        .bind(&identity.address.country_code)
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
    let query = sqlx::query(
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
    )
    .bind(company_id);
    let kept = bind_identity(query, identity)
        .bind(version)
        .execute(&mut *conn)
        .await?;
    for document_type in DocumentType::NUMBERED {
        sqlx::query(
            "INSERT INTO numbering_series (company_id, document_type, prefix) VALUES ($1, $2, $3) \
             ON CONFLICT (company_id, document_type) DO NOTHING",
        )
        .bind(company_id)
        .bind(document_type.as_str())
        .bind(document_type.default_prefix())
        .execute(&mut *conn)
        .await?;
    }
    Ok(kept.rows_affected() == 1)
}

/// The book row as a document reads it.
#[derive(Debug, sqlx::FromRow)]
pub(crate) struct SellerRow {
    legal_name: String,
    legal_form: String,
    siren: String,
    vat_number: String,
    rcs_city: String,
    share_capital_amount: String,
    address_line1: String,
    address_postal_code: String,
    address_city: String,
    #[sqlx(flatten)]
    calendar: Calendar,
}

/// The columns of [`SellerRow`], from `book` aliased `b` (read with the document being
/// issued, see `documents::load_for_issue`).
pub(crate) const SELLER_COLUMNS: &str = "b.legal_name, b.legal_form, b.siren, b.vat_number, \
     b.rcs_city, b.share_capital_amount, b.address_line1, b.address_postal_code, \
     b.address_city, b.lock_date, (now() AT TIME ZONE b.time_zone)::date AS today";

/// What issuing dates a document from: the lock date and today in the company's time
/// zone, read from the book row under a lock that a concurrent SetLockDate waits for.
#[derive(Debug, Clone, Copy, sqlx::FromRow)]
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
            self.calendar,
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
    sqlx::query_as(
        "SELECT lock_date, (now() AT TIME ZONE time_zone)::date AS today \
         FROM book WHERE company_id = $1 FOR KEY SHARE",
    )
    .bind(company_id)
    .fetch_one(conn)
    .await
}

/// The lock date, locking the book row until the transaction ends (so a concurrent
/// SetLockDate waits); `Err(RowNotFound)` when the books are not open.
pub(crate) async fn lock_date_for_update(
    conn: &mut PgConnection,
    company_id: Uuid,
) -> Result<Option<NaiveDate>, sqlx::Error> {
    sqlx::query_scalar("SELECT lock_date FROM book WHERE company_id = $1 FOR UPDATE")
        .bind(company_id)
        .fetch_one(conn)
        .await
}

/// The lock date; `Err(RowNotFound)` when the books are not open.
pub(crate) async fn lock_date(
    conn: &mut PgConnection,
    company_id: Uuid,
) -> Result<Option<NaiveDate>, sqlx::Error> {
    sqlx::query_scalar("SELECT lock_date FROM book WHERE company_id = $1")
        .bind(company_id)
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
    sqlx::query(
        "UPDATE book SET lock_date = $2, lock_date_reason = $3, updated_at = now() \
         WHERE company_id = $1",
    )
    .bind(company_id)
    .bind(lock_date)
    .bind(reason)
    .execute(conn)
    .await?;
    Ok(())
}

/// Whether the company's books are open.
pub(crate) async fn books_open(
    conn: &mut PgConnection,
    company_id: Uuid,
) -> Result<bool, sqlx::Error> {
    sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM book WHERE company_id = $1)")
        .bind(company_id)
        .fetch_one(conn)
        .await
}

impl FromRow<'_, PgRow> for Series {
    fn from_row(row: &PgRow) -> Result<Self, sqlx::Error> {
        Ok(Series {
            document_type: stored_enum(row, "document_type", DocumentType::from_stored)?,
            prefix: row.try_get("prefix")?,
            next_number: row.try_get("next_number")?,
            include_year: row.try_get("include_year")?,
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
    sqlx::query_as(
        "SELECT document_type, prefix, next_number, include_year FROM numbering_series \
         WHERE company_id = $1 AND ($2::text IS NULL OR document_type > $2) \
         ORDER BY document_type LIMIT $3",
    )
    .bind(company_id)
    .bind(after)
    .bind(limit)
    .fetch_all(conn)
    .await
}

/// Changes a series' format; None when the series does not exist.
pub(crate) async fn update_series(
    conn: &mut PgConnection,
    company_id: Uuid,
    document_type: DocumentType,
    prefix: &str,
    include_year: bool,
) -> Result<Option<Series>, sqlx::Error> {
    sqlx::query_as(
        "UPDATE numbering_series SET prefix = $3, include_year = $4, updated_at = now() \
         WHERE company_id = $1 AND document_type = $2 \
         RETURNING document_type, prefix, next_number, include_year",
    )
    .bind(company_id)
    .bind(document_type.as_str())
    .bind(prefix)
    .bind(include_year)
    .fetch_optional(conn)
    .await
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
    let taken: Option<(i64, String, bool)> = sqlx::query_as(
        "UPDATE numbering_series \
         SET next_number = next_number + 1, last_issue_date = $3, updated_at = now() \
         WHERE company_id = $1 AND document_type = $2 \
           AND (last_issue_date IS NULL OR last_issue_date <= $3) \
         RETURNING next_number - 1, prefix, include_year",
    )
    .bind(company_id)
    .bind(document_type.as_str())
    .bind(date)
    .fetch_optional(&mut *conn)
    .await?;
    if let Some(taken) = taken {
        return Ok(Ok(taken));
    }
    let last: Option<NaiveDate> = sqlx::query_scalar(
        "SELECT last_issue_date FROM numbering_series WHERE company_id = $1 AND document_type = $2",
    )
    .bind(company_id)
    .bind(document_type.as_str())
    .fetch_optional(conn)
    .await?
    .flatten();
    Ok(Err(last.unwrap_or(date)))
}

/// One audit event as stored.
#[derive(Debug, Clone, sqlx::FromRow)]
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
    sqlx::query_as(
        "SELECT audit_event_id, subject_type, subject_id, action, actor, occurred_at, before, after \
         FROM audit_event \
         WHERE company_id = $1 \
           AND ($2::uuid IS NULL OR subject_id = $2) \
           AND ($3::text IS NULL OR actor = $3) \
           AND ($4::timestamptz IS NULL OR occurred_at >= $4) \
           AND ($5::timestamptz IS NULL OR occurred_at < $5) \
           AND ($6::bigint IS NULL OR audit_event_id < $6) \
         ORDER BY audit_event_id DESC LIMIT $7",
    )
    .bind(company_id)
    .bind(filter.subject_id)
    .bind(filter.actor.as_deref())
    .bind(filter.from)
    .bind(filter.to)
    .bind(filter.before_id)
    .bind(limit)
    .fetch_all(conn)
    .await
}
