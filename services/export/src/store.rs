//! Export's queries. The only module that sees SQL.

use sqlx::{PgConnection, PgPool};
use uuid::Uuid;

/// A seller profile as stored.
#[derive(Debug, Clone, sqlx::FromRow)]
pub(crate) struct ProfileRow {
    pub(crate) company_id: Uuid,
    pub(crate) legal_name: String,
    pub(crate) siren: String,
}

/// Records a company's seller profile; applying it twice changes nothing.
pub(crate) async fn record_profile(
    conn: &mut PgConnection,
    company_id: Uuid,
    legal_name: &str,
    siren: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO seller_profile (company_id, legal_name, siren) VALUES ($1, $2, $3) \
         ON CONFLICT (company_id) DO NOTHING",
    )
    .bind(company_id)
    .bind(legal_name)
    .bind(siren)
    .execute(conn)
    .await?;
    Ok(())
}

/// The profile of a company, if known.
pub(crate) async fn profile(
    pool: &PgPool,
    company_id: Uuid,
) -> Result<Option<ProfileRow>, sqlx::Error> {
    sqlx::query_as("SELECT company_id, legal_name, siren FROM seller_profile WHERE company_id = $1")
        .bind(company_id)
        .fetch_optional(pool)
        .await
}
