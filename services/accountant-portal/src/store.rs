//! The portal's queries. The only module that sees SQL.

use chrono::{DateTime, Utc};
use sqlx::{PgConnection, PgPool};
use uuid::Uuid;

/// A directory entry.
#[derive(Debug, Clone, sqlx::FromRow)]
pub(crate) struct DirectoryRow {
    pub(crate) company_id: Uuid,
    pub(crate) legal_name: String,
    pub(crate) siren: String,
    pub(crate) is_firm: bool,
    pub(crate) created_at: DateTime<Utc>,
}

/// Records a company in the directory; applying it twice changes nothing.
pub(crate) async fn record_company(
    conn: &mut PgConnection,
    company_id: Uuid,
    legal_name: &str,
    siren: &str,
    is_firm: bool,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO directory_company (company_id, legal_name, siren, is_firm) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (company_id) DO NOTHING",
    )
    .bind(company_id)
    .bind(legal_name)
    .bind(siren)
    .bind(is_firm)
    .execute(conn)
    .await?;
    Ok(())
}

/// A page of the directory in arrival order, after the `(created_at, company_id)` cursor.
pub(crate) async fn directory(
    pool: &PgPool,
    after: Option<(DateTime<Utc>, Uuid)>,
    limit: i64,
) -> Result<Vec<DirectoryRow>, sqlx::Error> {
    let (after_at, after_id) = after.unzip();
    sqlx::query_as(
        "SELECT company_id, legal_name, siren, is_firm, created_at FROM directory_company \
         WHERE ($1::timestamptz IS NULL OR (created_at, company_id) > ($1, $2)) \
         ORDER BY created_at, company_id LIMIT $3",
    )
    .bind(after_at)
    .bind(after_id)
    .bind(limit)
    .fetch_all(pool)
    .await
}
