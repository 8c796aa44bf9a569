//! Payments and the documents they settle. Both tables are append-only (the database
//! refuses updates and deletes): a payment is recorded once and never changes. The
//! balance of a document is derived from its allocations (see
//! [`Document::balance_due`](crate::domain::document::Document::balance_due)).

use chrono::NaiveDate;
use comptoir_runtime::page::TimeIdCursor;
use rust_decimal::Decimal;
use sqlx::postgres::PgRow;
use sqlx::{FromRow, PgConnection, Row};
use uuid::Uuid;

use super::stored_enum;
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
    let mut row: Payment = sqlx::query_as(
        "INSERT INTO payment (payment_id, company_id, direction, payment_date, method, amount, \
             reference, created_by) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) \
         RETURNING payment_id, company_id, direction, payment_date, method, amount, \
                   currency_code, reference, created_by, created_at",
    )
    .bind(payment.payment_id)
    .bind(company_id)
    .bind(payment.direction.as_str())
    .bind(payment.payment_date)
    .bind(payment.method.as_str())
    .bind(payment.amount)
    .bind(payment.reference)
    .bind(payment.actor)
    .fetch_one(&mut *conn)
    .await?;
    let documents: Vec<Uuid> = payment.allocations.iter().map(|a| a.document_id).collect();
    let amounts: Vec<Decimal> = payment.allocations.iter().map(|a| a.amount).collect();
    sqlx::query(
        "INSERT INTO payment_allocation (payment_id, company_id, document_id, amount) \
         SELECT $1, $2, * FROM UNNEST($3::uuid[], $4::numeric[])",
    )
    .bind(payment.payment_id)
    .bind(company_id)
    .bind(&documents)
    .bind(&amounts)
    .execute(conn)
    .await?;
    row.allocations = payment.allocations.to_vec();
    Ok(row)
}

impl FromRow<'_, PgRow> for Payment {
    /// A stored payment, without its allocations (read apart).
    fn from_row(row: &PgRow) -> Result<Self, sqlx::Error> {
        Ok(Payment {
            payment_id: row.try_get("payment_id")?,
            company_id: row.try_get("company_id")?,
            direction: stored_enum(row, "direction", Direction::from_stored)?,
            payment_date: row.try_get("payment_date")?,
            method: stored_enum(row, "method", Method::from_stored)?,
            amount: row.try_get("amount")?,
            currency_code: row.try_get("currency_code")?,
            reference: row.try_get("reference")?,
            created_by: row.try_get("created_by")?,
            created_at: row.try_get("created_at")?,
            allocations: Vec::new(),
        })
    }
}

/// One stored allocation, with the number of the document it settles.
#[derive(Debug, Clone, sqlx::FromRow)]
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
    let mut payments: Vec<Payment> = sqlx::query_as(
        "SELECT payment_id, company_id, direction, payment_date, method, amount, currency_code, \
                reference, created_by, created_at \
         FROM payment p \
         WHERE company_id = $1 \
           AND ($2::text IS NULL OR direction = $2) \
           AND ($3::uuid IS NULL OR EXISTS (SELECT 1 FROM payment_allocation a \
                WHERE a.payment_id = p.payment_id AND a.document_id = $3)) \
           AND ($4::timestamptz IS NULL OR (created_at, payment_id) < ($4, $5)) \
         ORDER BY created_at DESC, payment_id DESC LIMIT $6",
    )
    .bind(company_id)
    .bind(filter.direction.map(Direction::as_str))
    .bind(filter.document_id)
    .bind(filter.after.map(|(at, _)| at))
    .bind(filter.after.map(|(_, id)| id))
    .bind(limit)
    .fetch_all(&mut *conn)
    .await?;
    let ids: Vec<Uuid> = payments.iter().map(|p| p.payment_id).collect();
    let allocations: Vec<AllocationRow> = sqlx::query_as(
        "SELECT a.payment_id, a.document_id, coalesce(d.number, '') AS document_number, a.amount \
         FROM payment_allocation a JOIN document d ON d.document_id = a.document_id \
         WHERE a.company_id = $1 AND a.payment_id = ANY($2) \
         ORDER BY a.payment_id, d.document_date, d.number",
    )
    .bind(company_id)
    .bind(&ids)
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
