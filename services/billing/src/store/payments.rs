//! Payments and the documents they settle. Both tables are append-only (the database
//! refuses updates and deletes): a payment is recorded once and never changes. The
//! balance of a document is derived from its allocations (see
//! [`Document::balance_due`](crate::domain::document::Document::balance_due)).

use chrono::{DateTime, NaiveDate, Utc};
use rust_decimal::Decimal;
use sqlx::PgConnection;
use uuid::Uuid;

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
    pub(crate) allocations: &'a [(Uuid, Decimal)],
    pub(crate) actor: &'a str,
}

/// Writes a payment and its allocations; returns the payment as stored.
pub(crate) async fn insert(
    conn: &mut PgConnection,
    company_id: Uuid,
    payment: &NewPayment<'_>,
) -> Result<PaymentRow, sqlx::Error> {
    let row: PaymentRow = sqlx::query_as(
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
    let documents: Vec<Uuid> = payment.allocations.iter().map(|(id, _)| *id).collect();
    let amounts: Vec<Decimal> = payment.allocations.iter().map(|(_, a)| *a).collect();
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
    Ok(row)
}

/// A stored payment.
#[derive(Debug, Clone, sqlx::FromRow)]
pub(crate) struct PaymentRow {
    pub(crate) payment_id: Uuid,
    pub(crate) company_id: Uuid,
    pub(crate) direction: String,
    pub(crate) payment_date: NaiveDate,
    pub(crate) method: String,
    pub(crate) amount: Decimal,
    pub(crate) currency_code: String,
    pub(crate) reference: String,
    pub(crate) created_by: String,
    pub(crate) created_at: DateTime<Utc>,
}

/// One stored allocation, with the number of the document it settles.
#[derive(Debug, Clone, sqlx::FromRow)]
pub(crate) struct AllocationRow {
    pub(crate) payment_id: Uuid,
    pub(crate) document_id: Uuid,
    pub(crate) document_number: String,
    pub(crate) amount: Decimal,
}

/// A payment with its allocations.
#[derive(Debug, Clone)]
pub(crate) struct PaymentWithAllocations {
    pub(crate) row: PaymentRow,
    pub(crate) allocations: Vec<AllocationRow>,
}

/// Filters of a payment list.
#[derive(Debug, Clone, Default)]
pub(crate) struct ListFilter {
    pub(crate) direction: Option<Direction>,
    pub(crate) document_id: Option<Uuid>,
    /// The (created_at, id) the page starts after.
    pub(crate) after: Option<(DateTime<Utc>, Uuid)>,
}

/// A page of payments, newest first, with their allocations.
pub(crate) async fn list(
    conn: &mut PgConnection,
    company_id: Uuid,
    filter: &ListFilter,
    limit: i64,
) -> Result<Vec<PaymentWithAllocations>, sqlx::Error> {
    let rows: Vec<PaymentRow> = sqlx::query_as(
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
    let ids: Vec<Uuid> = rows.iter().map(|r| r.payment_id).collect();
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
    Ok(rows
        .into_iter()
        .map(|row| PaymentWithAllocations {
            allocations: allocations
                .iter()
                .filter(|a| a.payment_id == row.payment_id)
                .cloned()
                .collect(),
            row,
        })
        .collect())
}
