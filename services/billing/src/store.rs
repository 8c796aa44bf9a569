//! Billing's queries. The only module that sees SQL.

use sqlx::{PgConnection, PgPool};
use uuid::Uuid;

use crate::domain::DocumentType;

/// A company's series as stored.
#[derive(Debug, Clone, sqlx::FromRow)]
pub(crate) struct SeriesRow {
    pub(crate) document_type: String,
    pub(crate) prefix: String,
    pub(crate) next_number: i64,
}

/// Opens a company's books with one series per document type. Applying it twice changes
/// nothing.
pub(crate) async fn open_books(
    conn: &mut PgConnection,
    company_id: Uuid,
    legal_name: &str,
    siren: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO book (company_id, legal_name, siren) VALUES ($1, $2, $3) \
         ON CONFLICT (company_id) DO NOTHING",
    )
    .bind(company_id)
    .bind(legal_name)
    .bind(siren)
    .execute(&mut *conn)
    .await?;
    for document_type in DocumentType::ALL {
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
    Ok(())
}

/// Whether the company's books are open.
pub(crate) async fn books_open(pool: &PgPool, company_id: Uuid) -> Result<bool, sqlx::Error> {
    sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM book WHERE company_id = $1)")
        .bind(company_id)
        .fetch_one(pool)
        .await
}

/// A page of the company's series, ordered by document type, after `after`.
pub(crate) async fn series(
    pool: &PgPool,
    company_id: Uuid,
    after: Option<&str>,
    limit: i64,
) -> Result<Vec<SeriesRow>, sqlx::Error> {
    sqlx::query_as(
        "SELECT document_type, prefix, next_number FROM numbering_series \
         WHERE company_id = $1 AND ($2::text IS NULL OR document_type > $2) \
         ORDER BY document_type LIMIT $3",
    )
    .bind(company_id)
    .bind(after)
    .bind(limit)
    .fetch_all(pool)
    .await
}
