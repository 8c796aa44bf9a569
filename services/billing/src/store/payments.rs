//! Payments and the documents they settle. Both tables are append-only (the database
//! refuses updates and deletes): a payment is recorded once and never changes. The
//! balance of a document is derived from its allocations (see
//! [`Document::balance_due`](crate::domain::document::Document::balance_due)). The queries
//! are compile-checked against billing's schema (`sqlx.toml`, offline data in `.sqlx/`,
//! `cargo xtask sqlx-prepare`).

use chrono::{DateTime, NaiveDate, Utc};
use comptoir_runtime::page::TimeIdCursor;
use rust_decimal::Decimal;
use sqlx::PgConnection;
use uuid::Uuid;

use super::parse_stored;
use crate::domain::payment::{Allocation, Payment};
use crate::domain::{Direction, Method};

/// A payment to write.
#[derive(Debug, Clone)]
pub(crate) struct NewPayment<'a> {
    pub(crate) payment_id: Uuid,
    pub(crate) direction: Direction,
    pub(crate) payment_date: NaiveDate,
    pub(crate) method: Method,
    pub(crate) amount: Decimal,
    pub(crate) reference: &'a str,
    /// The documents settled and the amount each.
    pub(crate) allocations: &'a [Allocation],
    pub(crate) actor: &'a str,
}

/// Writes a payment and its allocations; returns the payment as stored.
pub(crate) async fn insert(
    conn: &mut PgConnection,
    company_id: Uuid,
    payment: &NewPayment<'_>,
) -> Result<Payment, sqlx::Error> {
    let row = sqlx::query_as!(
        PaymentRow,
        "INSERT INTO payment (payment_id, company_id, direction, payment_date, method, amount, \
             reference, created_by) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) \
         RETURNING payment_id, company_id, direction, payment_date, method, amount, \
                   currency_code, reference, created_by, created_at",
        payment.payment_id,
        company_id,
        payment.direction.as_str(),
        payment.payment_date,
        payment.method.as_str(),
        payment.amount,
        payment.reference,
        payment.actor,
    )
    .fetch_one(&mut *conn)
    .await?;
    let documents: Vec<Uuid> = payment.allocations.iter().map(|a| a.document_id).collect();
    let amounts: Vec<Decimal> = payment.allocations.iter().map(|a| a.amount).collect();
    sqlx::query!(
        "INSERT INTO payment_allocation (payment_id, company_id, document_id, amount) \
         SELECT $1, $2, * FROM UNNEST($3::uuid[], $4::numeric[])",
        payment.payment_id,
        company_id,
        &documents,
        &amounts,
    )
    .execute(conn)
    .await?;
    let mut stored = Payment::try_from(row)?;
    stored.allocations = payment.allocations.to_vec();
    Ok(stored)
}

/// A stored payment as read, its enums still text.
struct PaymentRow {
    payment_id: Uuid,
    company_id: Uuid,
    direction: String,
    payment_date: NaiveDate,
    method: String,
    amount: Decimal,
    currency_code: String,
    reference: String,
    created_by: String,
    created_at: DateTime<Utc>,
}

impl TryFrom<PaymentRow> for Payment {
    type Error = sqlx::Error;

    /// A stored payment, without its allocations (read apart).
    fn try_from(row: PaymentRow) -> Result<Self, sqlx::Error> {
        Ok(Payment {
            payment_id: row.payment_id,
            company_id: row.company_id,
            direction: parse_stored("direction", &row.direction, Direction::from_stored)?,
            payment_date: row.payment_date,
            method: parse_stored("method", &row.method, Method::from_stored)?,
            amount: row.amount,
            currency_code: row.currency_code,
            reference: row.reference,
            created_by: row.created_by,
            created_at: row.created_at,
            allocations: Vec::new(),
        })
    }
}

/// One stored allocation, with the number of the document it settles.
#[derive(Debug, Clone)]
struct AllocationRow {
    payment_id: Uuid,
    document_id: Uuid,
    document_number: String,
    amount: Decimal,
}

/// Filters of a payment list.
#[derive(Debug, Clone, Default)]
pub(crate) struct ListFilter {
    pub(crate) direction: Option<Direction>,
    pub(crate) document_id: Option<Uuid>,
    /// The (created_at, id) the page starts after.
    pub(crate) after: Option<TimeIdCursor>,
}

/// A page of payments, newest first, with their allocations.
pub(crate) async fn list(
    conn: &mut PgConnection,
    company_id: Uuid,
    filter: &ListFilter,
    limit: i64,
) -> Result<Vec<Payment>, sqlx::Error> {
    let mut payments = sqlx::query_as!(
        PaymentRow,
        "SELECT payment_id, company_id, direction, payment_date, method, amount, currency_code, \
                reference, created_by, created_at \
         FROM payment p \
         WHERE company_id = $1 \
           AND ($2::text IS NULL OR direction = $2) \
           AND ($3::uuid IS NULL OR EXISTS (SELECT 1 FROM payment_allocation a \
                WHERE a.payment_id = p.payment_id AND a.document_id = $3)) \
           AND ($4::timestamptz IS NULL OR (created_at, payment_id) < ($4, $5)) \
         ORDER BY created_at DESC, payment_id DESC LIMIT $6",
        company_id,
        filter.direction.map(Direction::as_str),
        filter.document_id,
        filter.after.map(|(at, _)| at),
        filter.after.map(|(_, id)| id),
        limit,
    )
    .fetch_all(&mut *conn)
    .await?
    .into_iter()
    .map(Payment::try_from)
    .collect::<Result<Vec<_>, _>>()?;
    let ids: Vec<Uuid> = payments.iter().map(|p| p.payment_id).collect();
    // `!`: coalesce with a literal is never null, but the macros take any expression as
    // nullable.
    let allocations = sqlx::query_as!(
        AllocationRow,
        r#"SELECT a.payment_id, a.document_id, coalesce(d.number, '') AS "document_number!",
                  a.amount
             FROM payment_allocation a JOIN document d ON d.document_id = a.document_id
            WHERE a.company_id = $1 AND a.payment_id = ANY($2)
            ORDER BY a.payment_id, d.document_date, d.number"#,
        company_id,
        &ids,
    )
    .fetch_all(conn)
    .await?;
    for payment in &mut payments {
        payment.allocations = allocations
            .iter()
            .filter(|a| a.payment_id == payment.payment_id)
            .map(|a| Allocation {
                document_id: a.document_id,
                document_number: a.document_number.clone(),
                amount: a.amount,
            })
            .collect();
    }
    Ok(payments)
}
